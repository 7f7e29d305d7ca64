"""`tf.keras.layers.DenseFeatures` for Estimator model_fns: Keras 2's layer that turns a dict of features into one
dense tensor through feature columns, which Keras 3 does not have.

TF2-era model_fns wrote `net = tf.keras.layers.DenseFeatures(params['feature_columns'])(features)` (TensorFlow's
"Custom Estimators" guide for TF2 did). After `import iris_lib.estimator_shim` this class is there. It builds the
same tensor as `tf.compat.v1.feature_column.input_layer` (the columns sorted by name, concatenated) with Keras 2's
variable names, `dense_features/<column>_embedding/embedding_weights` (`dense_features_1`... for the next ones in a
graph, or the `name` given), so checkpoints cross with the real Estimator's. It runs in a TF1 graph (a model_fn);
for a Keras 3 model, preprocess with `keras.utils.FeatureSpace` instead.
"""
from __future__ import annotations

import tensorflow as tf
from keras.src.utils import naming  # TensorFlow 2.21 imports Keras 3 itself
from tensorflow.python.feature_column import feature_column as fc_v1

v1 = tf.compat.v1


class DenseFeatures:
    """Keras 2's `DenseFeatures(feature_columns, trainable=True, name=None)`, called on a dict of features."""

    def __init__(self, feature_columns, trainable: bool = True, name: str | None = None, partitioner=None, **kwargs):
        if not feature_columns:
            raise ValueError("Feature columns to be used must be specified: feature_columns is empty.")
        self._feature_columns = list(feature_columns)
        self.trainable = trainable
        self._partitioner = partitioner
        self.name = name or naming.uniquify("dense_features")  # Keras's per-graph counter in a model_fn
        del kwargs  # dtype, dynamic...: Keras layer arguments that change nothing here

    def __call__(self, features, cols_to_output_tensors=None, training=None):
        del training  # as Keras 2's: the columns behave the same in every mode
        if tf.executing_eagerly() or tf.inside_function():
            raise RuntimeError("iris_lib's DenseFeatures runs in an Estimator's model_fn (a TF1 graph); for a "
                               "Keras 3 model, preprocess features with keras.utils.FeatureSpace instead")
        if not isinstance(features, dict):
            raise ValueError(f"We expected a dictionary here. Instead we got: {features}")
        with v1.variable_scope(self.name, partitioner=self._partitioner) as scope:
            return fc_v1._internal_input_layer(  # noqa: SLF001 (input_layer's body, in this layer's scope)
                features, self._feature_columns, trainable=self.trainable, scope=scope,
                cols_to_output_tensors=cols_to_output_tensors)
