"""How an Estimator holds and calls its model_fn is the real TensorFlow 2.15 one's (what chapters 1 and 6 say).

One program (`tests/legacy/model_fn_program.py`) runs on the real `tf.estimator` (legacy venv) and on ours:
the canned Estimators' `params` (empty: their settings live in their model_fn) and the signature of
`Estimator.model_fn` (bound to params, taking config), a custom Estimator's, and the errors for a model_fn
with the wrong arguments. Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "model_fn_program.py"


def test_model_fn_holding_and_argument_checks_match_the_real_estimator(legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    assert real["DNNClassifier"] == {"params": [], "model_fn": "(features, labels, mode, config)"}
    assert real["custom"] == {"params": ["hidden_units"], "model_fn": "(features, labels, mode, config)"}
    assert ours == real
