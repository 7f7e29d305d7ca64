"""`EstimatorSpec`: what a model_fn returns, validated per mode as the real one is."""
from __future__ import annotations

import collections

import tensorflow as tf
from tensorflow.python.saved_model.model_utils import export_utils

from iris_lib.estimator import keras_in_graph
from iris_lib.estimator.mode_keys import ModeKeys

_FIELDS = ["mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs", "training_chief_hooks",
           "training_hooks", "scaffold", "evaluation_hooks", "prediction_hooks"]


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """What a model_fn returns: everything the Estimator needs for the requested mode.

    A namedtuple, as the real one: its fields read as attributes, and it unpacks, indexes and has `_fields`,
    `_asdict()` and `_replace(...)` (which validates the new spec again and refuses to change `mode`).
    Validated up front, in the real one's order and with its messages ('Missing train_op.', ...), so a
    missing piece fails in the model_fn, and a reader who searches the message finds the real Estimator's
    documentation and answers. As in the real one, `None` gives `{}` for `predictions` and `eval_metric_ops`,
    `()` for the hooks (stored as tuples) and a new `tf.compat.v1.train.Scaffold` for `scaffold`, and
    PREDICT's `export_outputs` are completed with the default 'serving_default' signature.
    """

    __slots__ = ()

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None, export_outputs=None,
                training_chief_hooks=None, training_hooks=None, scaffold=None, evaluation_hooks=None,
                prediction_hooks=None):
        from iris_lib.estimator.hooks.hook_runner import check_hooks  # (hooks import TensorFlow)

        if train_op is None:
            if mode == ModeKeys.TRAIN:
                raise ValueError("Missing train_op.")
        elif not isinstance(train_op, (tf.Operation, tf.__internal__.types.Tensor)):
            raise TypeError(f"train_op must be Operation or Tensor, given: {train_op}")
        if loss is None:
            if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
                raise ValueError("Missing loss.")
        else:
            _check_is_tensor(loss, "loss")
            if loss.shape.num_elements() not in (None, 1):
                raise ValueError(f"Loss must be scalar, given: {loss}")
            if not loss.shape.is_compatible_with([]):  # shape [1], as the real one: reshaped to a scalar
                loss = _reshape_to_scalar(loss)
        if predictions is None:
            if mode == ModeKeys.PREDICT:
                raise ValueError("Missing predictions.")
            predictions = {}  # as the real one
        elif isinstance(predictions, dict):
            for key, value in predictions.items():
                _check_is_tensor(value, f"predictions[{key}]")
        else:
            _check_is_tensor(predictions, "predictions")
        if mode == ModeKeys.PREDICT:  # as the real one: validated, with the default signature added
            export_outputs = _export_outputs(export_outputs, predictions)
        hooks = {name: tuple(check_hooks(value, f"EstimatorSpec {name}")) for name, value in (
            ("training_hooks", training_hooks), ("evaluation_hooks", evaluation_hooks),
            ("prediction_hooks", prediction_hooks), ("training_chief_hooks", training_chief_hooks))}
        if eval_metric_ops is None:
            eval_metric_ops = {}  # as the real one
        elif not isinstance(eval_metric_ops, dict):
            raise TypeError(f"eval_metric_ops must be a dict, given: {eval_metric_ops}")
        eval_metric_ops = {key: keras_in_graph.metric_ops(value) if keras_in_graph.is_a_metric(value) else value
                           for key, value in eval_metric_ops.items()}  # as the real one: a Keras Metric too
        for key, value in eval_metric_ops.items():
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError(
                    f"Values of eval_metric_ops must be (metric_value, update_op) tuples, given: {value} for key: {key}"
                )
        scaffold = _validate_scaffold(scaffold)
        return super().__new__(cls, mode=mode, predictions=predictions, loss=loss, train_op=train_op,
                               eval_metric_ops=eval_metric_ops, export_outputs=export_outputs, scaffold=scaffold,
                               **hooks)

    def _replace(self, **kwds):
        """Return a new EstimatorSpec replacing specified fields with new values (validated again)."""
        if "mode" in kwds:
            if self.mode != kwds["mode"]:
                raise ValueError("mode of EstimatorSpec cannot be changed.")
        new_fields = map(kwds.pop, self._fields, list(self))
        return EstimatorSpec(*new_fields)


def _validate_scaffold(scaffold):
    """The real one's: a `tf.compat.v1.train.Scaffold` (a new, empty one for None)."""
    scaffold = scaffold or tf.compat.v1.train.Scaffold()
    if not isinstance(scaffold, tf.compat.v1.train.Scaffold):
        raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold}")
    return scaffold


def _check_is_tensor(value, name):
    if not isinstance(value, tf.__internal__.types.Tensor):
        raise TypeError(f"{name} must be Tensor, given: {value}")


def _reshape_to_scalar(loss):
    with loss.graph.as_default():
        return tf.reshape(loss, [])


def _export_outputs(export_outputs, predictions):
    """The real EstimatorSpec's check: a dict of ExportOutputs, plus 'serving_default' when missing."""
    return export_utils.get_export_outputs(export_outputs, predictions)
