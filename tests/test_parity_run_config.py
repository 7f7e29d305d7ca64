"""RunConfig reads TF_CONFIG and checks its arguments as the real TensorFlow 2.15 one (issue: train on a cluster).

One program (`tests/legacy/run_config_program.py`) builds RunConfigs for 45 TF_CONFIGs and argument sets and 6
replace() calls, on the real `tf.estimator` (legacy venv) and on ours, and reports the properties a cluster
program reads (cluster_spec, task_type, task_id, master, is_chief, replica counts, global id, device filters of
the default session_config...) or the error raised. Our error messages are the real ones, some with the
offending value appended. Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "run_config_program.py"


def test_run_config_reads_tf_config_and_checks_arguments_as_the_real_one(legacy_python):
    real = run_json(legacy_python, PROGRAM, "real")
    ours = run_json(sys.executable, PROGRAM, "ours")
    assert real["worker 1"]["master"] == "grpc://host4:2222" and real["ps 1"]["global_id_in_cluster"] == 5
    assert sorted(ours) == sorted(real)
    for case, expected in real.items():
        got = ours[case]
        if "error" in expected:
            assert got.get("error") == expected["error"], case
            assert got["message"].startswith(expected["message"]), case
        else:
            assert got == expected, case
