"""The Estimator calls an input function with no arguments, or with the `mode`, `params` and `config` it
declares, as the real TensorFlow 2.15 one does (what chapter 2 and the glossary say).

One program (`tests/legacy/input_fn_arguments_program.py`) runs on the real `tf.estimator` (legacy venv) and
on ours. Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "input_fn_arguments_program.py"


def test_input_fn_receives_the_mode_params_and_config_it_declares_as_in_the_real_estimator(legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    assert real["received"][:2] == ["()", "()"]
    assert real["received"][2] == "(mode='train', params=['units'], config=RunConfig)"
    assert ours == real
