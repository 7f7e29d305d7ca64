"""`import iris_lib.estimator_shim`: the one line that lets a TF2-era Estimator program run on TF 2.21.

    import tensorflow as tf
    import iris_lib.estimator_shim  # noqa: F401  (before or after the TensorFlow import)

    classifier = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3)

After the import, `tf.estimator` is iris_lib's TF2 namespace, where the canned Estimators are the V2 classes
TF2 had there (`DNNClassifier` is `DNNClassifierV2`), and `tf.compat.v1.estimator` is the TF1 namespace (V1
classes, plus `inputs.numpy_input_fn`/`pandas_input_fn`), as in TensorFlow 2.15; programs written as
`import tensorflow.compat.v1 as tf` get the V1 classes, as they did. `tensorflow.estimator` and
`tensorflow.compat.v1.estimator` are registered as modules too (`from tensorflow.estimator import export`).
`tf.compat.v1.layers` becomes iris_lib's graph-mode layers (TF 2.21's refuses `dense` and the rest under
Keras 3, and TF2-era model_fns called them: `tf.compat.v1.layers.dense(...)`, TF's migration guide's
`tf1.layers.Dense(1)(features)`), `tf.compat.v1.nn.rnn_cell` (also `import tensorflow.compat.v1.nn.rnn_cell`)
becomes iris_lib's TF1 RNN cells (`layers/rnn_cell.py`: `LSTMCell`, `GRUCell`, `MultiRNNCell`, `DropoutWrapper`...,
for TF 2.21's own `dynamic_rnn`, which Keras 3 left without cells), and `tf.keras.estimator.model_to_estimator`
(`tf.compat.v1.keras.estimator` too) is iris_lib's (`estimator/keras_lib.py`). `tf.keras.optimizers.legacy`
(which Keras 3 refuses) holds iris_lib's Keras 2 optimizers (`estimator/keras_legacy_optimizers.py`), which
run in the Estimator's graph: `optimizer=tf.keras.optimizers.legacy.Adam(learning_rate=0.01)` (and
`model.compile` takes them), and `tf.keras.layers.DenseFeatures` is Keras 2's for model_fns
(`estimator/keras_dense_features.py`). Nothing else in TensorFlow changes; `iris_lib.tf1` stays the way in for
the guide's TF1 code.
"""
import importlib
import sys
import types

from iris_lib import quiet  # noqa: F401  (silences TensorFlow before it is imported)

import tensorflow as _tf
# Imported here, not left to the program: TensorFlow builds a new `tensorflow.compat.v1` module object on
# its first `import tensorflow.compat.v1`, which would come without our `estimator` attribute.
import tensorflow.compat.v1 as _tf_v1
import tensorflow.compat.v2 as _tf_v2

from iris_lib.estimator.api import ESTIMATOR_V1, ESTIMATOR_V2
from iris_lib.tf1 import layers as _layers
from iris_lib.tf1 import rnn_cell as _rnn_cell
from iris_lib.estimator import keras_lib as _keras_lib
from iris_lib.estimator import keras_legacy_optimizers as _keras_legacy
from iris_lib.estimator.keras_dense_features import DenseFeatures as _DenseFeatures


def _keras_estimator(name: str, model_to_estimator) -> types.ModuleType:
    module = types.ModuleType(name, "model_to_estimator, as tf.keras.estimator had it (iris_lib's keras_lib).")
    module.model_to_estimator = model_to_estimator
    return module


for _module, _namespace in ((_tf, ESTIMATOR_V2), (_tf_v2, ESTIMATOR_V2), (_tf_v1, ESTIMATOR_V1),
                            (_tf.compat.v1, ESTIMATOR_V1), (_tf.compat.v2, ESTIMATOR_V2)):
    _module.estimator = _namespace
sys.modules["tensorflow.estimator"] = ESTIMATOR_V2
sys.modules["tensorflow.compat.v1.estimator"] = ESTIMATOR_V1
sys.modules["tensorflow.compat.v2.estimator"] = ESTIMATOR_V2
for _module in (_tf_v1, _tf.compat.v1):
    _module.layers = _layers
    _module.nn.rnn_cell = _rnn_cell  # TF 2.21's refuses to load under Keras 3
sys.modules["tensorflow.compat.v1.layers"] = _layers
sys.modules["tensorflow.compat.v1.nn.rnn_cell"] = _rnn_cell
# `tf.keras` is a lazy loader of `keras._tf_keras.keras` until something imports `tensorflow.keras.<module>`;
# from then on it may be the module `tensorflow.keras`, another object. Both get what the shim adds.
# tf.keras and tf.compat.v1.keras are one Keras module in TF 2.21: both get the TF2 function (the TF1 one
# differed only in its default checkpoint_format, and both formats give the same checkpoints here).
_legacy_optimizers = _keras_legacy.namespace()
importlib.import_module("tensorflow.keras.optimizers")
for _keras in {id(k): k for k in (_tf.keras, sys.modules["tensorflow.keras"],
                                  importlib.import_module("keras._tf_keras.keras"))}.values():
    _keras.estimator = _keras_estimator("tensorflow.keras.estimator", _keras_lib.model_to_estimator)
    _keras.optimizers.legacy = _legacy_optimizers  # Keras 3 refuses `tf.keras.optimizers.legacy`
    _keras.layers.DenseFeatures = _DenseFeatures  # Keras 3 has none
sys.modules["tensorflow.keras.optimizers.legacy"] = _legacy_optimizers
_keras_legacy.accept_in_keras_compile()  # compile(optimizer=tf.keras.optimizers.legacy.Adam()), model_to_estimator
