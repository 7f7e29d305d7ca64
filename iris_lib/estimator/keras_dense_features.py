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
from tensorflow.python.feature_column import feature_column_v2 as fc_v2

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

        def input_layer(columns, tensors):
            with v1.variable_scope(self.name, partitioner=self._partitioner) as scope:
                return fc_v1._internal_input_layer(  # noqa: SLF001 (input_layer's body, in this layer's scope)
                    features, columns, trainable=self.trainable, scope=scope, cols_to_output_tensors=tensors)

        return with_shared_embeddings(features, self._feature_columns, input_layer, cols_to_output_tensors)


def with_shared_embeddings(features, feature_columns, input_layer, cols_to_output_tensors=None):
    """`input_layer(columns, cols_to_output_tensors)` over the columns it takes, with TF2's shared embedding
    columns, which `input_layer` refuses, looked up beside it (`shared_embedding_tensors`): all the columns'
    tensors concatenated in the order of their names, as Keras 2's DenseFeatures did."""
    shared = [c for c in feature_columns if isinstance(c, fc_v2.SharedEmbeddingColumn)]
    others = [c for c in feature_columns if c not in shared]
    tensors = {}
    net = input_layer(others, tensors) if others else None
    if shared:
        tensors.update(shared_embedding_tensors(features, shared))
        net = tf.concat([tensors[c] for c in sorted(feature_columns, key=lambda c: c.name)], 1)
    if cols_to_output_tensors is not None:
        cols_to_output_tensors.update(tensors)
    return net


def shared_embedding_tensors(features, shared_columns) -> dict:
    """Each of TF2's shared embedding columns (`tf.feature_column.shared_embeddings`) looked up, as Keras 2's
    DenseFeatures did (`input_layer` refuses them): their one table is the column creator's own variable, made
    by `get_variable` at the root variable scope (`a_b_shared_embedding`, [num_buckets, dimension], the
    creator's initializer), looked up with the column's combiner, one [batch, dimension] tensor a column."""
    cache = fc_v2.FeatureTransformationCache(features)
    tensors = {}
    with v1.variable_scope(v1.VariableScope(reuse=None), auxiliary_name_scope=False):  # the root scope
        for column in shared_columns:
            with tf.name_scope(column.name):
                tensor = column.get_dense_tensor(cache, None)
                tensors[column] = tf.reshape(tensor, (tf.shape(tensor)[0], column.variable_shape.num_elements()))
    return tensors
