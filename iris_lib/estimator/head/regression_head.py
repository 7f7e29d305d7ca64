"""`RegressionHead` and its generalized linear models, as the real `head/regression_head.py`.

`PoissonRegressionHead` (log-Poisson loss, predictions `exp(logits)`) and `LogisticRegressionHead`
(sigmoid cross-entropy on labels in [0, 1], predictions `sigmoid(logits)`) are RegressionHeads with a
`loss_fn` and an `inverse_link_fn`.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.head import base_head, head_metrics

v1 = tf.compat.v1


class RegressionHead(base_head.Head):
    """A head for regression on `label_dimension` values: mean squared error unless `loss_fn` is given.

    `inverse_link_fn` (the GLM's mean function) maps logits to predictions in every mode; the predictions
    then carry the logits too.
    """

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=base_head.SUM_OVER_BATCH_SIZE,
                 loss_fn=None, inverse_link_fn=None, name=None):
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        base_head.validate_loss_reduction(loss_reduction)
        if loss_fn:
            base_head.validate_loss_fn_args(loss_fn)
        self._logits_dimension = label_dimension
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._inverse_link_fn = inverse_link_fn
        self._name = name
        self._loss_mean_key = self._summary_key(MetricKeys.LOSS_MEAN)
        self._prediction_mean_key = self._summary_key(MetricKeys.PREDICTION_MEAN)
        self._label_mean_key = self._summary_key(MetricKeys.LABEL_MEAN)
        self._loss_regularization_key = self._summary_key(MetricKeys.LOSS_REGULARIZATION)

    @property
    def name(self):
        return self._name

    @property
    def logits_dimension(self):
        return self._logits_dimension

    @property
    def loss_reduction(self):
        return self._loss_reduction

    def _processed_labels(self, logits, labels):
        labels = base_head.check_dense_labels_match_logits_and_reshape(labels, logits, self._logits_dimension)
        if labels.dtype == tf.string:
            raise ValueError("Regression labels must be numbers, got strings: convert them in your input_fn.")
        return tf.cast(labels, tf.float32)

    def _unweighted_loss_and_weights(self, logits, labels, features):
        if self._loss_fn:
            unweighted_loss = base_head.call_loss_fn(self._loss_fn, labels, logits, features,
                                                     expected_loss_dim=self._logits_dimension)
        else:
            unweighted_loss = v1.losses.mean_squared_error(labels=labels, predictions=logits,
                                                           reduction=v1.losses.Reduction.NONE)
        weights = base_head.get_weights_and_check_match_logits(features, self._weight_column, logits,
                                                               allow_per_logit_weights=True)
        return unweighted_loss, weights

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        del mode  # the same in every mode
        return base_head.single_head_loss(self, labels, logits, features, regularization_losses)

    def predictions(self, logits):
        logits = base_head.check_logits_final_dim(logits, self._logits_dimension)
        with v1.name_scope("predictions", values=(logits,)):
            if self._inverse_link_fn:
                return {PredictionKeys.PREDICTIONS: self._inverse_link_fn(logits), PredictionKeys.LOGITS: logits}
            return {PredictionKeys.PREDICTIONS: logits}

    def metrics(self, regularization_losses=None):
        eval_metrics = {
            self._loss_mean_key: head_metrics.Mean(MetricKeys.LOSS_MEAN),
            self._prediction_mean_key: head_metrics.Mean(MetricKeys.PREDICTION_MEAN),
            self._label_mean_key: head_metrics.Mean(MetricKeys.LABEL_MEAN),
        }
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key] = head_metrics.Mean(MetricKeys.LOSS_REGULARIZATION)
        return eval_metrics

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        predicted_value = self.predictions(logits)[PredictionKeys.PREDICTIONS]
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        label_ids = self._processed_labels(logits, labels)
        unweighted_loss, weights = self._unweighted_loss_and_weights(logits, label_ids, features)
        eval_metrics[self._loss_mean_key].update_state(values=unweighted_loss, sample_weight=weights)
        eval_metrics[self._label_mean_key].update_state(values=label_ids, sample_weight=weights)
        base_head.update_metric_with_broadcast_weights(eval_metrics[self._prediction_mean_key], predicted_value,
                                                       weights)
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key].update_state(values=tf.math.add_n(regularization_losses))
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """PREDICT: the predictions and the regress/predict signatures; EVAL and TRAIN as every head."""
        def export_outputs(predictions):
            regression_output = export_output.RegressionOutput(value=predictions[PredictionKeys.PREDICTIONS])
            return {base_head.DEFAULT_SERVING_KEY: regression_output,
                    base_head.REGRESS_SERVING_KEY: regression_output,
                    base_head.PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

        return base_head.create_estimator_spec(self, features, mode, logits, labels, optimizer, trainable_variables,
                                               train_op_fn, update_ops, regularization_losses, export_outputs)


class PoissonRegressionHead(RegressionHead):
    """Poisson regression: `tf.nn.log_poisson_loss` on the logits (log of the rate), predictions `exp(logits)`."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=base_head.SUM_OVER_BATCH_SIZE,
                 compute_full_loss=True, name=None):
        self._compute_full_loss = compute_full_loss
        super().__init__(label_dimension=label_dimension, weight_column=weight_column,
                         loss_reduction=loss_reduction, loss_fn=self._poisson_loss, inverse_link_fn=tf.math.exp,
                         name=name)

    def _poisson_loss(self, labels, logits):
        return tf.nn.log_poisson_loss(targets=labels, log_input=logits, compute_full_loss=self._compute_full_loss)


class LogisticRegressionHead(RegressionHead):
    """Logistic regression: labels are floats in [0, 1], predictions `sigmoid(logits)`; no class keys, no AUC."""

    def __init__(self, weight_column=None, loss_reduction=base_head.SUM_OVER_BATCH_SIZE, name=None):
        super().__init__(label_dimension=1, weight_column=weight_column, loss_reduction=loss_reduction,
                         loss_fn=self._logistic_loss, inverse_link_fn=tf.math.sigmoid, name=name)

    def _logistic_loss(self, labels, logits):
        labels = base_head.check_label_range(labels, n_classes=2, message="Labels must be in range [0, 1]")
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
