"""`SequentialHeadWrapper`: a head over `[batch, time, ...]` logits, as `.../head/sequential_head.py`.

What `RNNClassifier(return_sequences=True)` wraps its head in: the loss and the metrics count only the
steps the sequence mask (`features[sequence_length_mask]`, `[batch, time]` booleans) keeps, by flattening
the valid steps of the logits, the labels and the named feature columns (a weight column) into one batch
for the static head; in PREDICT mode nothing is flattened and the mask joins the predictions.
"""
from __future__ import annotations

from collections.abc import Iterable

import tensorflow as tf

from iris_lib.estimator.head import base_head
from iris_lib.estimator.head.multi_head import MultiHead
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1


class _SequentialHead(base_head.Head):
    """A head whose logits have a time dimension, and the key of its sequence mask in the features."""

    @property
    def input_sequence_mask_key(self):
        raise NotImplementedError("Calling an abstract method.")


class SequentialHeadWrapper(_SequentialHead):
    """Applies a sequence mask to a static head's loss, metrics and predictions (the real class)."""

    def __init__(self, static_head, sequence_length_mask="sequence_length_mask", feature_columns=None):
        if not isinstance(sequence_length_mask, str):
            raise TypeError(f"`sequence_mask` column must be a string. Given type: {type(sequence_length_mask)}.")
        self._sequence_length_mask = sequence_length_mask
        feature_columns = feature_columns or []
        if not isinstance(feature_columns, Iterable):
            raise TypeError("`feature_columns` must be either a string or an iterable of strings got "
                            f"{type(feature_columns)} instead.")
        self._feature_columns = [feature_columns] if isinstance(feature_columns, str) else feature_columns
        for column in self._feature_columns:
            if not isinstance(column, str):
                raise TypeError(f"Column must a string. Given type: {type(column)}.")
        if isinstance(static_head, MultiHead):
            raise ValueError("`MultiHead` is not supported with `SequentialHeadWrapper`.")
        self._static_head = static_head

    def _flatten(self, labels, logits, features):
        if self.input_sequence_mask_key not in features:
            raise ValueError(f"The provided sequence_length_mask key `{self.input_sequence_mask_key}` should be "
                             f"included in the features dictionary, but was not found. Found keys: "
                             f"{list(features.keys())}.")
        sequence_mask = features[self.input_sequence_mask_key]
        if sequence_mask.get_shape().ndims != 2:
            raise ValueError(f"Mask is expected to have two dimensions, got {sequence_mask.get_shape().ndims} "
                             "instead.")
        with v1.name_scope("flatten"):
            expected_length = tf.math.reduce_sum(tf.cast(sequence_mask, tf.int32))
            flat_logits = _flatten_tensor(logits, sequence_mask, expected_length)
            flat_labels = _flatten_tensor(labels, sequence_mask, expected_length)
            flat_features = {}
            for column in self._feature_columns:
                if column not in features:
                    raise ValueError(f"`{column}` column expected in features dictionary.")
                flat_features[column] = _flatten_tensor(features[column], sequence_mask, expected_length)
            return flat_labels, flat_logits, flat_features

    def loss(self, logits, labels, features=None, mode=None, regularization_losses=None):
        flat_labels, flat_logits, flat_features = self._flatten(labels, logits, features)
        return self._static_head.loss(logits=flat_logits, labels=flat_labels, features=flat_features, mode=mode,
                                      regularization_losses=regularization_losses)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """PREDICT: the static head's spec plus the mask under `input_sequence_mask_key`; TRAIN and EVAL: the
        static head's spec on the valid steps only."""
        if mode == ModeKeys.PREDICT:
            spec = self._static_head.create_estimator_spec(features=features, mode=mode, logits=logits)
            spec.predictions[self.input_sequence_mask_key] = features[self.input_sequence_mask_key]
            return spec._replace(predictions=spec.predictions)
        flat_labels, flat_logits, flat_features = self._flatten(labels, logits, features)
        return self._static_head.create_estimator_spec(
            features=flat_features, mode=mode, logits=flat_logits, trainable_variables=trainable_variables,
            labels=flat_labels, optimizer=optimizer, train_op_fn=train_op_fn,
            regularization_losses=regularization_losses, update_ops=update_ops)

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        flat_labels, flat_logits, flat_features = self._flatten(labels, logits, features)
        return self._static_head.update_metrics(eval_metrics=eval_metrics, features=flat_features,
                                                logits=flat_logits, labels=flat_labels,
                                                regularization_losses=regularization_losses)

    def metrics(self, regularization_losses=None):
        return self._static_head.metrics(regularization_losses)

    def predictions(self, logits, keys=None):
        return self._static_head.predictions(logits, keys)

    @property
    def input_sequence_mask_key(self):
        return self._sequence_length_mask

    @property
    def logits_dimension(self):
        return self._static_head.logits_dimension

    @property
    def loss_reduction(self):
        return self._static_head.loss_reduction

    @property
    def name(self):
        if self._static_head.name:
            return f"{self._static_head.name}_sequential"
        return None

    @property
    def static_head(self):
        return self._static_head


def _flatten_tensor(tensor, sequence_mask, expected_length):
    """The valid steps of a `[batch, time, ...]` Tensor (by the mask) or SparseTensor (its values), as one
    `[expected_length, ...]` batch; a rank-2 input gains a last dimension of 1."""
    shape = tensor.get_shape()
    if shape.ndims < 2:
        raise ValueError(f"Input tensor expected to have at least 2 dimensions, got {shape.ndims} instead.")
    if isinstance(tensor, tf.sparse.SparseTensor):
        flat_tensor = tf.sparse.reorder(tensor).values
        if shape.ndims > 2:  # as the real one: the values of the tensor as given, not reordered
            flat_tensor = tf.reshape(tensor.values, tf.concat([[-1], shape[2:]], axis=0))
    elif isinstance(tensor, tf.Tensor):
        flat_tensor = tf.boolean_mask(tensor, sequence_mask)
    else:
        raise ValueError(f"`tensor` expected to be a `Tensor` or  `SparseTensor` got `{tensor}` instead.")
    if shape.ndims == 2:
        flat_tensor = v1.expand_dims(flat_tensor, -1)
        expected_shape = tf.concat([[expected_length], [1]], axis=0)
    else:
        expected_shape = tf.concat([[expected_length], shape[2:]], axis=0)
    with tf.control_dependencies([v1.debugging.assert_equal(v1.shape(flat_tensor), expected_shape,
                                                            message="Tensor shape is incompatible with provided "
                                                                    "mask.")]):
        return tf.identity(flat_tensor)
