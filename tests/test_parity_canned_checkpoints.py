"""The canned Estimators' checkpoints cross with the real ones both ways, optimizer state included (TF 2.15 +
tensorflow-estimator 2.15): the V2 classes (`tf.estimator.DNNClassifier`...) and the V1 ones
(`tf.compat.v1.estimator.DNNClassifier`...).

Each setup starts from the same fixed weights on both engines: the checkpoints after 5 steps hold the same
names and values (V2: Keras 2's optimizer state, `training/Adagrad/...`; V1: the slots as the real one's one-part
weights saved them, `dnn/hiddenlayer_0/kernel/t_0/Adagrad`, `linear/linear_model/x/weights/part_0/Ftrl`); then each engine trains 5 steps more from
the other's checkpoint and gets where an uninterrupted real run of 10 steps gets. Opt-in: `make parity`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from support import run_json_on_both

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "canned_checkpoint_program.py"
SETUPS = ("dnn-default", "dnn-adam", "dnn-rmsprop", "dnn-legacy-momentum", "dnn-legacy-sgd", "dnn-legacy-adam-decay",
          "linear-default", "linear-sgd", "v1-dnn-default", "v1-dnn-adam", "v1-dnn-batch-norm",
          "v1-dnn-momentum", "v1-linear-default", "v1-linear-adam")
# What marks the optimizer's state in the real checkpoint: Keras 2's variables (V2), the one-part slots (V1).
REAL_STATE = {"v1-dnn": "/t_0/", "v1-linear": "/part_0/"}
# Not DNNLinearCombinedClassifier: the real one cannot train on from its own checkpoint either (its Ftrl wants a
# `training/Ftrl/iter` that its first run did not save: NotFoundError).
# RMSProp and Adam divide by a running gradient size: a component near zero (float noise of the two builds'
# kernels) moves by a full step; elsewhere the engines agree to 1e-5.
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def both(legacy_python, real_jobs, our_jobs):
    """Each engine's jobs, side by side: (real results, our results)."""
    return run_json_on_both(legacy_python, PROGRAM, ["real", json.dumps(real_jobs)], ["ours", json.dumps(our_jobs)])


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Per setup: real's A (5 steps) and C (10), ours' B (5); then ours on from A, real on from B."""
    root = tmp_path_factory.mktemp("canned")
    d = {(s, n): str(root / f"{s}-{n}") for s in SETUPS for n in "ABC"}
    real_1, ours_1 = both(legacy_python,
                          [{"dir": d[s, n], "setup": s, "steps": k} for s in SETUPS for n, k in (("A", 5), ("C", 10))],
                          [{"dir": d[s, "B"], "setup": s, "steps": 5} for s in SETUPS])
    real_2, ours_2 = both(legacy_python, [{"dir": d[s, "B"], "setup": s, "steps": 5} for s in SETUPS],
                          [{"dir": d[s, "A"], "setup": s, "steps": 5} for s in SETUPS])
    return {s: {"real 5": real_1[2 * i], "real 10": real_1[2 * i + 1], "ours 5": ours_1[i],
                "real on from ours": real_2[i], "ours on from real": ours_2[i]} for i, s in enumerate(SETUPS)}


def assert_same(ours: dict, real: dict, what: str):
    assert sorted(ours) == sorted(real), f"{what}: names differ: {sorted(set(ours) ^ set(real))}"
    for name, value in real.items():
        np.testing.assert_allclose(ours[name], value, **TOLERANCE, err_msg=f"{what}: {name}")


@pytest.mark.parametrize("setup", SETUPS)
def test_the_checkpoint_holds_the_real_names_and_values_optimizer_state_included(runs, setup):
    mark = next((m for prefix, m in REAL_STATE.items() if setup.startswith(prefix)), "training/")
    assert any(mark in name for name in runs[setup]["real 5"])
    assert_same(runs[setup]["ours 5"], runs[setup]["real 5"], setup)


@pytest.mark.parametrize("setup", SETUPS)
def test_each_engine_trains_on_from_the_others_checkpoint(runs, setup):
    assert runs[setup]["real 10"]["global_step"] == 10
    assert_same(runs[setup]["ours on from real"], runs[setup]["real 10"], f"{setup}: ours on from real's")
    assert_same(runs[setup]["real on from ours"], runs[setup]["real 10"], f"{setup}: real on from ours")
