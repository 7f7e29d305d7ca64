"""`evaluate()` reports the accuracy over the whole evaluation set but the loss as a mean of batch losses, so
the loss changes with the batch size, as in the real TensorFlow 2.15 Estimator (what chapter 5 says).

One program (`tests/legacy/eval_loss_batches_program.py`) evaluates a model with fixed weights in batches
of 30 and of 7 on the real `tf.estimator` (legacy venv) and on ours. Opt-in like the other parity tests:
`make parity`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "eval_loss_batches_program.py"


def test_eval_accuracy_ignores_the_batch_size_and_the_loss_is_a_mean_of_batch_means_as_in_the_real_estimator(
        legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    assert real["batch 30"]["accuracy"] == real["batch 7"]["accuracy"]
    assert real["batch 30"]["loss"] == real["numpy"]["mean over flowers"]
    assert real["batch 7"]["loss"] == real["numpy"]["mean of batch means"] != real["batch 30"]["loss"]
    assert ours == real
