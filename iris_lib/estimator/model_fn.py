"""`EstimatorSpec`: what a model_fn returns, validated per mode as the real one is."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf
from tensorflow.python.saved_model.model_utils import export_utils

from iris_lib.estimator.mode_keys import ModeKeys


@dataclass(frozen=True)
class EstimatorSpec:
    """What a model_fn returns: everything the Estimator needs for the requested mode.

    Validated up front, in the real one's order and with its messages ('Missing train_op.', ...), so a
    missing piece fails in the model_fn, and a reader who searches the message finds the real Estimator's
    documentation and answers.
    """

    mode: str
    predictions: Any = None
    loss: Any = None
    train_op: Any = None
    eval_metric_ops: dict | None = None
    export_outputs: dict | None = None  # PREDICT: completed with the default 'serving_default' signature
    # Hooks the model_fn adds, called as the real engine did (see hooks/hook_runner.py); stored as tuples.
    training_chief_hooks: Any = ()
    training_hooks: Any = ()
    scaffold: Any = None  # a tf.compat.v1.train.Scaffold: its saver and init_fn are used
    evaluation_hooks: Any = ()
    prediction_hooks: Any = ()

    def __post_init__(self):
        from iris_lib.estimator.hooks.hook_runner import check_hooks  # (hooks import TensorFlow)

        if self.train_op is None:
            if self.mode == ModeKeys.TRAIN:
                raise ValueError("Missing train_op.")
        elif not isinstance(self.train_op, (tf.Operation, tf.__internal__.types.Tensor)):
            raise TypeError(f"train_op must be Operation or Tensor, given: {self.train_op}")
        if self.loss is None:
            if self.mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
                raise ValueError("Missing loss.")
        else:
            _check_is_tensor(self.loss, "loss")
            if self.loss.shape.num_elements() not in (None, 1):
                raise ValueError(f"Loss must be scalar, given: {self.loss}")
            if not self.loss.shape.is_compatible_with([]):  # shape [1], as the real one: reshaped to a scalar
                object.__setattr__(self, "loss", _reshape_to_scalar(self.loss))
        if self.predictions is None:
            if self.mode == ModeKeys.PREDICT:
                raise ValueError("Missing predictions.")
        elif isinstance(self.predictions, dict):
            for key, value in self.predictions.items():
                _check_is_tensor(value, f"predictions[{key}]")
        else:
            _check_is_tensor(self.predictions, "predictions")
        if self.mode == ModeKeys.PREDICT:  # as the real one: validated, with the default signature added
            object.__setattr__(self, "export_outputs", _export_outputs(self.export_outputs, self.predictions))
        for name in ("training_chief_hooks", "training_hooks", "evaluation_hooks", "prediction_hooks"):
            object.__setattr__(self, name, tuple(check_hooks(getattr(self, name), f"EstimatorSpec {name}")))
        if self.eval_metric_ops is not None and not isinstance(self.eval_metric_ops, dict):
            raise TypeError(f"eval_metric_ops must be a dict, given: {self.eval_metric_ops}")
        for key, value in (self.eval_metric_ops or {}).items():
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError(
                    f"Values of eval_metric_ops must be (metric_value, update_op) tuples, given: {value} for key: {key}"
                )


def _check_is_tensor(value, name):
    if not isinstance(value, tf.__internal__.types.Tensor):
        raise TypeError(f"{name} must be Tensor, given: {value}")


def _reshape_to_scalar(loss):
    with loss.graph.as_default():
        return tf.reshape(loss, [])


def _export_outputs(export_outputs, predictions):
    """The real EstimatorSpec's check: a dict of ExportOutputs, plus 'serving_default' when missing."""
    return export_utils.get_export_outputs(export_outputs, predictions)
