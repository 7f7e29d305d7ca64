"""A real-style program's checkpoint, written by one engine, is read by the other: both ways, same answers.

tests/test_parity_programs.py runs each program on the real TensorFlow 2.15 `tf.estimator` and on ours and
compares what they print; that shows that the engines compute alike, not that a user can move a model_dir from
one to the other. Here five of those programs (an LSTM/GRU text classifier with `rnn_cell`s, a separable CNN
with a conv3d_transpose decoder, TF2 shared embeddings in canned wide & deep and DNN, a multi-output Keras model
through model_to_estimator with three optimizers, gradient accumulation in non-trainable variables) train on
each engine (`PROGRAM ENGINE ROOT train`), then each engine evaluates and predicts from a copy of the other's
model_dirs (`PROGRAM ENGINE ROOT restore`): the restored model must answer as its trainer did (the same
evaluation, predictions, variable names and weights). The gradient-accumulation program also trains 2 steps
on from the other engine's checkpoint (its accumulators, Adam slots and global step), which must end where the
trainer's own 2 steps more ended.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import assert_close, train_both_and_cross_restore

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAMS = Path(__file__).resolve().parent / "legacy" / "programs"
# Each program's model_dirs under ROOT.
MODEL_DIRS = {
    "tf1_lstm_text_classifier": ("classifier",),
    "tf1_separable_cnn": ("cnn",),
    "tf2_shared_embeddings_wide_deep": ("wide_deep", "deep"),
    "keras_model_to_estimator_multi_output": ("nadam", "legacy nadam", "adam schedule"),
    "tf1_gradient_accumulation": ("accumulation",),
}


def global_steps(report) -> list:
    """Every `global_step` number in `report` (an evaluation's, a variable's value), however deep."""
    if not isinstance(report, dict):
        return []
    return [step for key, value in report.items()
            for step in ([value] if key == "global_step" and isinstance(value, int) else global_steps(value))]


@pytest.mark.parametrize("program", MODEL_DIRS)
def test_a_program_checkpoint_restores_on_the_other_engine(legacy_python, tmp_path_factory, program):
    runs = train_both_and_cross_restore(legacy_python, PROGRAMS / f"{program}.py", MODEL_DIRS[program],
                                        tmp_path_factory)
    for restorer, trainer in (("ours restores real", "real"), ("real restores ours", "ours")):
        restored, trained = runs[restorer], runs[trainer]
        # Something was restored: a trained global step (not a fresh model's 0) in every evaluation.
        assert global_steps(restored) and min(global_steps(restored)) > 0, restorer
        # What restore reports, the trainer reported too (train may report more: its own checkpoints, warnings).
        assert set(restored) <= set(trained), restorer
        assert_close(restored, {key: trained[key] for key in restored}, f"{program}: {restorer}")
