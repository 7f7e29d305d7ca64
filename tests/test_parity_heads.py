"""The public heads (`tf.estimator.MultiClassHead`...) behave as the REAL TensorFlow 2.15 ones, both ways.

One program (`tests/legacy/heads_program.py`) runs on the real `tf.estimator` (legacy venv) and on ours: for
each head, a custom model_fn (one dense layer from constant weights) ends in `head.create_estimator_spec`,
trains 5 steps, evaluates, predicts and exports. Both engines give the same head properties, metric keys and
values, prediction keys and values, export signatures with their output keys, and checkpoint variables; and
each engine's checkpoint, evaluated and predicted by the other, gives the same numbers again.

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
    reason="parity with the real tf.estimator heads is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "heads_program.py"
HEADS = ("multi_class", "multi_class_vocab", "binary", "binary_vocab", "regression", "poisson", "logistic",
         "multi_label", "multi_label_vocab", "multi_head")


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Each engine trains its own models, then evaluates the other engine's checkpoints."""
    return train_both_and_cross_restore(legacy_python, PROGRAM, HEADS, tmp_path_factory)


@pytest.mark.parametrize("head", HEADS)
def test_a_head_gives_the_real_keys_values_signatures_and_variables(runs, head):
    real, ours = runs["real"][head], runs["ours"][head]
    assert real["metrics"]["global_step"] == 5
    assert "loss" in real["metrics"] and any(key.startswith("average_loss") for key in real["metrics"])
    assert ours["properties"] == real["properties"]
    assert ours["variables"] == real["variables"]
    assert ours["signatures"] == real["signatures"]
    assert_close(ours["metrics"], real["metrics"], f"{head} metrics")
    assert_close(ours["predictions"], real["predictions"], f"{head} predictions")


@pytest.mark.parametrize("head", HEADS)
def test_a_head_checkpoint_restores_both_ways(runs, head):
    for restorer, trainer in (("real restores ours", "ours"), ("ours restores real", "real")):
        restored, trained = runs[restorer][head], runs[trainer][head]
        assert restored["metrics"]["global_step"] == 5, restorer
        assert_close(restored["metrics"], trained["metrics"], f"{head}: {restorer}")
        assert_close(restored["predictions"], trained["predictions"], f"{head}: {restorer}")
