"""The metrics a head's `metrics()` returns: tf_keras's, rebuilt for the Estimator's tf.compat.v1 graph.

The real heads returned `tf_keras.metrics.Mean`, `Accuracy`, `Precision`, `AUC`...; Keras 3 metrics cannot
run in a tf.compat.v1 graph, so each one here builds the `tf.compat.v1.metrics` op pair that computes the
same number (same thresholds, same AUC summation) when `update_state` is called. `result()` is the value
tensor; `as_op_pair()` is the `(value, update_op)` pair an EstimatorSpec's `eval_metric_ops` takes.
A metric is updated once (a head's `update_metrics` does it); make new ones with `head.metrics()`.
"""
from __future__ import annotations

import tensorflow as tf

v1 = tf.compat.v1


class Metric:
    """One metric: `update_state(...)` builds its variables and update op, `result()` its value."""

    def __init__(self, name: str):
        self.name = name
        self._value = self._update_op = None

    def update_state(self, *args, **kwargs):
        if self._update_op is not None:
            raise ValueError(f"Metric {self.name!r} has already been updated: a graph metric is updated once. "
                             "Make new metrics with head.metrics() for another update.")
        if tf.executing_eagerly():
            raise RuntimeError(f"Metric {self.name!r} is built in a tf.compat.v1 graph, as the Estimator runs a "
                               "model_fn, and cannot run eagerly: update it inside a model_fn (or a "
                               "`with tf.Graph().as_default():` block); head.loss and head.predictions run eagerly.")
        self._value, self._update_op = self._build(*args, **kwargs)
        return self._update_op

    def result(self):
        if self._value is None:
            raise ValueError(f"Metric {self.name!r} has no result before update_state(): call "
                             "head.update_metrics(eval_metrics, features, logits, labels) first.")
        return self._value

    def as_op_pair(self):
        """`(value, update_op)`, what `EstimatorSpec(eval_metric_ops=...)` takes."""
        return self.result(), self._update_op

    def _build(self, *args, **kwargs):
        raise NotImplementedError


class Mean(Metric):
    """The weighted mean of `values` (weights broadcast to them)."""

    def _build(self, values, sample_weight=None):
        return v1.metrics.mean(tf.cast(values, tf.float32), weights=sample_weight, name=self.name)


class Accuracy(Metric):
    """How often `y_pred` equals `y_true` (cast to its dtype)."""

    def _build(self, y_true, y_pred, sample_weight=None):
        return v1.metrics.accuracy(y_true, tf.cast(y_pred, y_true.dtype), weights=sample_weight, name=self.name)


class BinaryAccuracy(Metric):
    """How often `y_pred > threshold` equals `y_true`."""

    def __init__(self, name: str, threshold: float = 0.5):
        super().__init__(name)
        self.threshold = threshold

    def _build(self, y_true, y_pred, sample_weight=None):
        predicted = tf.cast(tf.greater(tf.cast(y_pred, tf.float32), self.threshold), tf.float32)
        return v1.metrics.accuracy(tf.cast(y_true, tf.float32), predicted, weights=sample_weight, name=self.name)


class Precision(Metric):
    """tp / (tp + fp), a prediction counting as positive above `thresholds` (0.5 by default, as Keras)."""

    _metric = staticmethod(v1.metrics.precision)

    def __init__(self, name: str, thresholds: float | None = None):
        super().__init__(name)
        self.thresholds = 0.5 if thresholds is None else thresholds

    def _build(self, y_true, y_pred, sample_weight=None):
        positive = tf.greater(tf.cast(y_pred, tf.float32), self.thresholds)
        return self._metric(tf.cast(y_true, tf.bool), positive, weights=sample_weight, name=self.name)


class Recall(Precision):
    """tp / (tp + fn), a prediction counting as positive above `thresholds` (0.5 by default, as Keras)."""

    _metric = staticmethod(v1.metrics.recall)


class AUC(Metric):
    """The area under the ROC or PR curve on 200 thresholds; PR interpolated as Keras's `AUC` does."""

    def __init__(self, name: str, curve: str = "ROC", num_thresholds: int = 200):
        super().__init__(name)
        self.curve, self.num_thresholds = curve, num_thresholds

    def _build(self, y_true, y_pred, sample_weight=None):
        return v1.metrics.auc(y_true, tf.cast(y_pred, tf.float32), weights=sample_weight,
                              num_thresholds=self.num_thresholds, curve=self.curve,
                              summation_method="careful_interpolation", name=self.name)


class MaxOfMeanAndComplement(Metric):
    """max(mean, 1 - mean) of another Mean: a binary head's accuracy_baseline, from its label mean."""

    def update_from(self, label_mean: Metric):
        value, update_op = label_mean.as_op_pair()
        self._value = tf.maximum(value, 1. - value, name="value")
        self._update_op = tf.maximum(update_op, 1. - update_op, name="update_op")
        return self._update_op
