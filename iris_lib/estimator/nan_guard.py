"""The NaN guard: a NaN or infinite loss stops training before anything is saved.

The real Estimator always ran `NanTensorHook(loss)` and raised `NanLossDuringTrainingError`. We do the
same check on every step (the loss is fetched with the train_op: one scalar more per `Session.run`), and
do better in two ways, on purpose:
  * the error names the step, the newest good checkpoint and the likely causes, where the real one
    said only "NaN loss during training.";
  * the diverged state is NEVER saved: the check runs before a checkpoint that falls due on the same step
    (the real CheckpointSaverHook ran first and could save NaN weights), and every checkpoint also checks
    the weights themselves, which catches a step whose loss was finite but whose update overflowed. So
    the last good checkpoint stays the newest and `keep_checkpoint_max` rotation never deletes it.
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

LIKELY_CAUSES = (
    "Likely causes: a NaN or infinite value in the input features (check the data, e.g. "
    "np.isfinite(x).all() for every feature column), or a learning rate too high for this model "
    "(the weights diverged: try one 10 times smaller)."
)


class NanLossDuringTrainingError(v1.train.NanLossDuringTrainingError):
    """TensorFlow's `NanLossDuringTrainingError` (catch either), with a message that says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def loss_is_finite(loss_value) -> bool:
    return math.isfinite(float(loss_value))


def nan_loss_error(loss_value, step: int, model_dir: str, newest: str | None) -> NanLossDuringTrainingError:
    """`step` is the global step the diverged update would have produced."""
    kept = (f"The newest checkpoint, {newest}, is from before it and stays the newest."
            if newest else "No checkpoint was written.")
    return NanLossDuringTrainingError(
        f"Model diverged with loss = {loss_value} in training step {step} (global_step {step - 1} -> {step}); "
        f"training stopped and this state was not saved in {model_dir}. {kept} {LIKELY_CAUSES}"
    )


def nonfinite_weights(session, graph: tf.Graph) -> list[str]:
    """Names of the trainable variables holding a NaN or an infinity (read only when a checkpoint is due)."""
    with graph.as_default():
        variables = [v for v in v1.trainable_variables() if v.dtype.base_dtype.is_floating]
    values = session.run(variables)
    return [v.op.name for v, value in zip(variables, values) if not np.isfinite(value).all()]


def nonfinite_weights_error(names: list[str], step: int, model_dir: str, newest: str | None) -> NanLossDuringTrainingError:
    kept = f"The newest checkpoint, {newest}, stays the newest." if newest else "No checkpoint was written."
    return NanLossDuringTrainingError(
        f"The weights became NaN or infinite by global step {step} ({', '.join(names[:5])}"
        f"{', ...' if len(names) > 5 else ''}); training stopped and this state was not saved in {model_dir}. "
        f"{kept} {LIKELY_CAUSES}"
    )
