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

    Validated up front, as the real one is, so a missing piece fails with a message naming the
    mode and the field instead of a puzzling error deep inside training.
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

        for name in ("training_chief_hooks", "training_hooks", "evaluation_hooks", "prediction_hooks"):
            object.__setattr__(self, name, tuple(check_hooks(getattr(self, name), f"EstimatorSpec {name}")))
        need = {
            ModeKeys.TRAIN: ("loss", "train_op"),
            ModeKeys.EVAL: ("loss",),
            ModeKeys.PREDICT: ("predictions",),
        }
        if self.mode not in need:
            raise ValueError(
                f"EstimatorSpec: unknown mode {self.mode!r}; use ModeKeys.TRAIN, ModeKeys.EVAL or ModeKeys.PREDICT"
            )
        for name in need[self.mode]:
            if getattr(self, name) is None:
                raise ValueError(
                    f"EstimatorSpec for mode {self.mode!r} needs {name}=...: "
                    f"{' and '.join(need[self.mode])} must be given in this mode"
                )
        if isinstance(getattr(self.loss, "shape", None), tf.TensorShape):
            if self.loss.shape.num_elements() not in (None, 1):
                raise ValueError(f"EstimatorSpec: loss must be a scalar, got shape {self.loss.shape}")
            if not self.loss.shape.is_compatible_with([]):  # shape [1], as the real one: reshaped to a scalar
                object.__setattr__(self, "loss", _reshape_to_scalar(self.loss))
        if self.mode == ModeKeys.PREDICT:  # as the real one: validated, with the default signature added
            object.__setattr__(self, "export_outputs", _export_outputs(self.export_outputs, self.predictions))
        for key, value in (self.eval_metric_ops or {}).items():
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError(
                    f"EstimatorSpec: eval_metric_ops[{key!r}] must be a (value_op, update_op) pair "
                    f"such as tf.metrics.accuracy(...) returns, got {type(value).__name__}"
                )


def _reshape_to_scalar(loss):
    with loss.graph.as_default():
        return tf.reshape(loss, [])


def _export_outputs(export_outputs, predictions):
    """The real EstimatorSpec's check: a dict of ExportOutputs, plus 'serving_default' when missing."""
    return export_utils.get_export_outputs(export_outputs, predictions)
