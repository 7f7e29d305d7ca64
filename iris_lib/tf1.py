"""`import iris_lib.tf1 as tf`: TensorFlow 1 as the guide knew it, on current TensorFlow.

Everything is `tf.compat.v1` except the pieces TensorFlow no longer has: `tf.estimator` (our engine,
the TF1 classes: `tf.estimator.DNNClassifier` is the V1 DNNClassifier, as in `tf.compat.v1.estimator`),
`tf.layers` (ours, with TF1's variable names) and `tf.nn.rnn_cell` (ours, `iris_lib.layers.rnn_cell`; the rest
of `tf.nn`, `dynamic_rnn` included, is TensorFlow's). With this import the guide's code runs unchanged. They are
module objects; a name the real ones had and iris_lib lacks fails with an AttributeError saying what to use
instead (`iris_lib.estimator.api`). TF2-era programs (`import tensorflow as tf`) use
`import iris_lib.estimator_shim` instead.
"""
from iris_lib import quiet  # noqa: F401  (silences TensorFlow before it is imported)

import sys as _sys
import types as _types

import tensorflow as _tf

from iris_lib import layers as _layers
from iris_lib.layers import rnn_cell as _rnn_cell
from iris_lib.estimator import api as _api

_v1 = _tf.compat.v1

estimator = _api.ESTIMATOR_V1

_REAL_LAYERS = (
    "AveragePooling1D AveragePooling2D AveragePooling3D BatchNormalization Conv1D Conv2D Conv2DTranspose Conv3D "
    "Conv3DTranspose Dense Dropout Flatten InputSpec Layer MaxPooling1D MaxPooling2D MaxPooling3D SeparableConv1D "
    "SeparableConv2D average_pooling1d average_pooling2d average_pooling3d batch_normalization conv1d conv2d "
    "conv2d_transpose conv3d conv3d_transpose dense dropout experimental flatten max_pooling1d max_pooling2d "
    "max_pooling3d separable_conv1d separable_conv2d"
).split()
layers = _api.Namespace("tf.layers", {name: ["iris_lib.layers"] for name in _layers.__all__}, _REAL_LAYERS,
                        "iris_lib's tf.layers: TF1's graph-mode layers with TF1 variable names (iris_lib.layers).")


rnn_cell = _api.Namespace("tf.nn.rnn_cell", {name: ["iris_lib.layers.rnn_cell"] for name in _rnn_cell.__all__},
                          _rnn_cell.__all__, "iris_lib's tf.nn.rnn_cell: TF1's RNN cells with TF1 variable names "
                          "(iris_lib.layers.rnn_cell), for tf.nn.dynamic_rnn and its kin.")


class _Redirect(_types.ModuleType):
    """A TensorFlow module with some attributes replaced (`estimator`, `v1`...); the rest is TensorFlow's."""

    def __init__(self, name: str, base, **replaced):
        super().__init__(name)
        self._base = base
        self.__dict__.update(replaced)

    def __getattr__(self, name):
        return getattr(self._base, name)

    def __dir__(self):
        return sorted(set(dir(self._base)) | set(self.__dict__) - {"_base"})


# TF 2.21's tf.compat.v1.nn.rnn_cell refuses to load under Keras 3; dynamic_rnn and the rest take our cells.
nn = _Redirect("iris_lib.tf1.nn", _v1.nn, rnn_cell=rnn_cell)

# A TF1 program also reaches the Estimator as `tf.compat.v1.estimator` (or `tf.compat.v2.estimator`).
compat = _Redirect("iris_lib.tf1.compat", _v1.compat, v1=_sys.modules[__name__],
                   v2=_Redirect("iris_lib.tf1.compat.v2", _tf.compat.v2, estimator=_api.ESTIMATOR_V2))


def __getattr__(name):
    return getattr(_v1, name)


def __dir__():
    return sorted(set(dir(_v1)) | {"estimator", "layers", "nn", "compat"})
