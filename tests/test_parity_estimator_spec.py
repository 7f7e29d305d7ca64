"""EstimatorSpec refuses what the real TensorFlow 2.15 one refuses, with its messages (what chapter 5 shows).

One program (`tests/legacy/estimator_spec_program.py`) builds complete and incomplete specs in each mode on
the real `tf.estimator` (legacy venv) and on ours, and the two reports must be equal. Opt-in like the other
parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "estimator_spec_program.py"


def test_estimator_spec_validation_and_messages_match_the_real_estimator(legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    assert real["train: loss only"] == "ValueError: Missing train_op."
    assert real["infer: loss only"] == "ValueError: Missing predictions."
    assert ours == real
