"""`MultiHead`: several named heads trained together on one loss, as the real `head/multi_head.py`."""
from __future__ import annotations

import tensorflow as tf

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.head import base_head, head_metrics
from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec

v1 = tf.compat.v1


def _no_op_train_fn(loss):
    del loss
    return tf.no_op()


def _default_export_output(export_outputs, head_name):
    if len(export_outputs) == 1:
        return next(iter(export_outputs.values()))
    try:
        return export_outputs[base_head.DEFAULT_SERVING_KEY]
    except KeyError:
        raise ValueError(f"{head_name} did not specify default export_outputs. Given: {export_outputs} Suggested "
                         f"fix: Use one of the heads in tf.estimator, or include key "
                         f"{base_head.DEFAULT_SERVING_KEY} in export_outputs.") from None


class MultiHead(base_head.Head):
    """Heads side by side: the loss is their (weighted) sum; metrics and predictions are keyed by head name.

    Logits and labels are dicts keyed by head name (logits may also be one Tensor, split along its last
    dimension in the heads' order); predictions are keyed `(head name, prediction key)`. The first head is
    the one served by default.
    """

    def __init__(self, heads, head_weights=None):
        if not heads:
            raise ValueError(f"Must specify heads. Given: {heads}")
        if head_weights and len(head_weights) != len(heads):
            raise ValueError(f"heads and head_weights must have the same size. Given len(heads): {len(heads)}. "
                             f"Given len(head_weights): {len(head_weights)}.")
        for head in heads:
            if head.name is None:
                raise ValueError(f"All given heads must have name specified. Given: {head}")
        self._logits_dimension = sum(head.logits_dimension for head in heads)
        self._heads = tuple(heads)
        self._head_weights = tuple(head_weights) if head_weights else tuple()
        self._loss_regularization_key = self._summary_key(MetricKeys.LOSS_REGULARIZATION)
        self._loss_keys = tuple(f"{MetricKeys.LOSS}/{head.name}" for head in self._heads)

    @property
    def name(self):
        return "_".join(head.name for head in self._heads)

    @property
    def logits_dimension(self):
        return self._logits_dimension

    @property
    def loss_reduction(self):
        reductions = [head.loss_reduction for head in self._heads]
        if len(set(reductions)) > 1:
            raise ValueError(f"The loss_reduction must be the same for different heads. Given: {reductions}")
        return reductions[0]

    def _split_logits(self, logits):
        """One Tensor of logits, sliced along its last dimension into each head's, in the heads' order."""
        with v1.name_scope("split_logits", values=[logits]):
            logits = tf.convert_to_tensor(logits)
            dimensions = [head.logits_dimension for head in self._heads]
            last = logits.shape.as_list()[-1]
            if last is not None and last != sum(dimensions):
                raise ValueError(f"Could not split logits of shape {logits.shape.as_list()!r} among the heads with "
                                 f"individual logits dimensions: {dimensions!r}. The last dimension of the logits "
                                 f"tensor should equal {sum(dimensions)} but is {last}.")
            batch_shape = tf.shape(logits)[:-1]
            zeros, minus_ones = tf.zeros_like(batch_shape), -1 * tf.ones_like(batch_shape)
            logits_dict, begin = {}, 0
            for head in self._heads:
                logits_dict[head.name] = tf.slice(logits, begin=tf.concat([zeros, [begin]], axis=0),
                                                  size=tf.concat([minus_ones, [head.logits_dimension]], axis=0))
                begin += head.logits_dimension
            return logits_dict

    def _check_logits_and_labels(self, logits, labels=None):
        names = [head.name for head in self._heads]
        if isinstance(logits, dict):
            missing = list(set(names) - set(logits))
            if missing:
                raise ValueError(f"logits has missing values for head(s): {missing}")
            logits_dict = logits
        else:
            logits_dict = self._split_logits(logits)
        if labels is not None:
            if not isinstance(labels, dict):
                raise ValueError(f"labels must be a dict. Given: {labels}. Return the labels from your input_fn as "
                                 f"a dict keyed by head name: {names}.")
            missing = list(set(names) - set(labels))
            if missing:
                raise ValueError(f"labels has missing values for head(s): {missing}")
        return logits_dict

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        logits_dict = self._check_logits_and_labels(logits, labels)
        training_losses = tuple(head.loss(logits=logits_dict[head.name], labels=labels[head.name], features=features,
                                          mode=mode) for head in self._heads)
        with v1.name_scope("merge_losses", values=training_losses + (self._head_weights or tuple())):
            if self._head_weights:
                training_losses = [tf.math.multiply(loss, weight)
                                   for loss, weight in zip(training_losses, self._head_weights)]
            return base_head.regularized_loss(tf.math.add_n(training_losses), regularization_losses)

    def predictions(self, logits, keys=None):
        logits_dict = self._check_logits_and_labels(logits)
        predictions = {}
        with v1.name_scope("merge_pred"):
            for head in self._heads:
                for key, value in head.predictions(logits=logits_dict[head.name]).items():
                    predictions[(head.name, key)] = value
        return predictions

    def metrics(self, regularization_losses=None):
        eval_metrics = {}
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key] = head_metrics.Mean(MetricKeys.LOSS_REGULARIZATION)
        for loss_key in self._loss_keys:
            eval_metrics[loss_key] = head_metrics.Mean(loss_key)
        return eval_metrics

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        logits_dict = self._check_logits_and_labels(logits, labels)
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key].update_state(values=tf.math.add_n(regularization_losses))
        for i, head in enumerate(self._heads):
            head_logits, head_labels = logits_dict[head.name], labels[head.name]
            eval_metrics[self._loss_keys[i]].update_state(
                values=head.loss(logits=head_logits, labels=head_labels, features=features))
            eval_metrics.update(head.update_metrics(head.metrics(), features, head_logits, head_labels) or {})
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """Each head's spec, merged: the summed loss, every head's metrics and predictions, the first served."""
        with v1.name_scope(self.name, "multi_head"):
            logits_dict = self._check_logits_and_labels(logits, labels)
            all_specs = [head.create_estimator_spec(features=features, mode=mode, logits=logits_dict[head.name],
                                                    labels=labels[head.name] if labels else None,
                                                    train_op_fn=_no_op_train_fn)
                         for head in self._heads]
            predictions = self.predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._merge_predict_export_outputs(all_specs))
            loss = self.loss(labels, logits, features, mode, regularization_losses)
            if mode == ModeKeys.EVAL:
                updated = self.update_metrics(self.metrics(regularization_losses=regularization_losses), features,
                                              logits, labels, regularization_losses=regularization_losses)
                return EstimatorSpec(ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops={key: metric.as_op_pair() for key, metric in updated.items()})
            if mode == ModeKeys.TRAIN:
                train_op = base_head.create_estimator_spec_train_op(
                    self.name, optimizer=optimizer, trainable_variables=trainable_variables, train_op_fn=train_op_fn,
                    update_ops=update_ops, regularized_training_loss=loss, loss_reduction=self.loss_reduction)
                base_head.create_estimator_spec_summary(loss, regularization_losses)
                eval_metrics = {}
                for spec in all_specs:
                    eval_metrics.update(spec.eval_metric_ops or {})
                return EstimatorSpec(ModeKeys.TRAIN, loss=loss, train_op=train_op, predictions=predictions,
                                     eval_metric_ops=eval_metrics)
            raise ValueError(f"mode={mode} unrecognized")

    def _merge_predict_export_outputs(self, all_specs):
        """The first head's default signature as the default; every head's as `name/key`; one merged predict."""
        export_outputs = {base_head.DEFAULT_SERVING_KEY: _default_export_output(all_specs[0].export_outputs,
                                                                                self._heads[0].name)}
        merged_predict_outputs = {}
        for head, spec in zip(self._heads, all_specs):
            for key, value in spec.export_outputs.items():
                export_outputs[head.name if key == base_head.DEFAULT_SERVING_KEY else f"{head.name}/{key}"] = value
                if key == base_head.PREDICT_SERVING_KEY and isinstance(value, export_output.PredictOutput):
                    for output_key, tensor in value.outputs.items():
                        merged_predict_outputs[f"{head.name}/{output_key}"] = tensor
        export_outputs[base_head.PREDICT_SERVING_KEY] = export_output.PredictOutput(merged_predict_outputs)
        return export_outputs
