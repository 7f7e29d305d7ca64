"""iris_lib accepts what the real TensorFlow 2.15 Estimator accepts, and refuses what it refuses, with its messages.

One program (`tests/legacy/lenient_programs.py`) runs on the real `tf.estimator` (legacy venv) and on ours:
float step counts (`steps=10.0`, `2.5` is 3 steps, NaN runs until the input ends), string activations in
`tf.compat.v1.layers.dense`, a train_op that only adds 1 to the global step and one that adds 2,
`MirroredStrategy` and `OneDeviceStrategy` on one machine (local training), `tf.compat.v1.estimator` (also
through `compat.v1` of the TF1 module), TF2's `tf.estimator` without `inputs`, and the refusals of bad step
counts. Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "lenient_programs.py"


def test_what_the_real_estimator_accepts_and_refuses_iris_lib_accepts_and_refuses_alike(legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    # What the real one does, so that a change of the program cannot make both sides agree on nothing.
    assert real["float steps"]["global steps"] == [10, 13, 20, 23, 24]
    assert real["float TrainSpec"] == 4
    assert real["float steps refused"]["both"] == "ValueError: Can not provide both steps and max_steps."
    assert real["train_op assign_add"][0] == real["train_op method"][0] == 7
    assert [reached for _, reached in real["train_op adding 2"]] == [True, True, True]
    assert real["MirroredStrategy"]["global_step"] == real["OneDeviceStrategy"]["global_step"] == 6
    assert real["namespaces"]["inputs"] == {"tf.estimator": False, "tf.compat.v1.estimator": True,
                                            "tf.compat.v2.estimator": False, "TF1 module": True}
    assert ours == real
