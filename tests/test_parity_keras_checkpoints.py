"""model_to_estimator's checkpoints cross with the real one's both ways (TF 2.15 + tensorflow-estimator 2.15).

The same compiled Keras models (fixed starting weights) go through `tf.keras.estimator.model_to_estimator` on
both engines, with each optimizer and both `checkpoint_format`s: the checkpoints hold the same keys, the same
object graph and the same values; each engine trains on from the other's checkpoint to where an uninterrupted
real run gets (optimizer state included); each warm-starts from the other's `model_dir/keras` first checkpoint.
Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "keras_checkpoint_program.py"
SETUPS = [("sequential-adam", "checkpoint"), ("sequential-amsgrad", "checkpoint"), ("sequential-sgd", "saver"),
          ("sequential-nesterov", "checkpoint"), ("sequential-rmsprop", "checkpoint"),
          ("sequential-adagrad", "saver"), ("sequential-ftrl", "checkpoint"), ("functional-adam", "checkpoint"),
          ("functional-rmsprop", "saver"), ("sequential-legacyadam", "checkpoint"), ("functional-legacysgd", "saver")]
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def both(legacy_python, real_jobs, our_jobs):
    """Each engine's jobs, side by side: (real results, our results)."""
    return run_json_on_both(legacy_python, PROGRAM, ["real", json.dumps(real_jobs)], ["ours", json.dumps(our_jobs)])


def job(directory, setup, checkpoint_format, steps, weights="fixed"):
    return {"dir": str(directory), "setup": setup, "format": checkpoint_format, "steps": steps, "weights": weights}


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Per setup: real's A (5 steps), C (10), V (converted only); ours' B (5), W (converted only); then ours
    on from A and from V (zeros given: the first checkpoint decides), real on from B and from W."""
    root = tmp_path_factory.mktemp("keras_checkpoints")
    dirs = {(setup, name): root / f"{setup}-{name}" for setup, _ in SETUPS for name in "ABCVW"}
    real_1, ours_1 = both(
        legacy_python,
        [job(dirs[s, n], s, f, steps) for s, f in SETUPS for n, steps in (("A", 5), ("C", 10), ("V", 0))],
        [job(dirs[s, n], s, f, steps) for s, f in SETUPS for n, steps in (("B", 5), ("W", 0))])
    first = {}
    for index, (setup, _) in enumerate(SETUPS):
        first[setup, "A"], first[setup, "C"], first[setup, "V"] = real_1[3 * index: 3 * index + 3]
        first[setup, "B"], first[setup, "W"] = ours_1[2 * index: 2 * index + 2]
    real_2, ours_2 = both(
        legacy_python,
        [job(dirs[s, n], s, f, 5, weights) for s, f in SETUPS for n, weights in (("B", "fixed"), ("W", "zeros"))],
        [job(dirs[s, n], s, f, 5, weights) for s, f in SETUPS for n, weights in (("A", "fixed"), ("V", "zeros"))])
    second = {}
    for index, (setup, _) in enumerate(SETUPS):
        second[setup, "real on from ours"], second[setup, "real warm from ours"] = real_2[2 * index: 2 * index + 2]
        second[setup, "ours on from real"], second[setup, "ours warm from real"] = ours_2[2 * index: 2 * index + 2]
    return first, second


def assert_same(ours: dict, real: dict, what: str):
    assert sorted(ours) == sorted(real), f"{what}: keys differ: {sorted(set(ours) ^ set(real))}"
    for key, value in real.items():
        if isinstance(value, str):
            assert ours[key] == value, f"{what}: {key} differs"
        else:
            np.testing.assert_allclose(ours[key], value, **TOLERANCE, err_msg=f"{what}: {key}")


@pytest.mark.parametrize("setup", [s for s, _ in SETUPS])
def test_the_checkpoints_hold_the_real_ones_keys_object_graph_and_values(runs, setup):
    first, _ = runs
    for part in ("main", "keras"):
        assert_same(first[setup, "B"][part], first[setup, "A"][part], f"{setup} {part}")
    assert first[setup, "B"]["keras"] and first[setup, "W"]["keras"] == first[setup, "B"]["keras"]
    assert any("OPTIMIZER_SLOT" in key or "/Adam/" in key or "/RMSprop/" in key or "/Adagrad/" in key
               or "/SGD/" in key or "/Ftrl/" in key for key in first[setup, "A"]["main"])


@pytest.mark.parametrize("setup", [s for s, _ in SETUPS])
def test_each_engine_trains_on_from_the_others_checkpoint_as_the_real_one_on_from_its_own(runs, setup):
    first, second = runs
    uninterrupted = first[setup, "C"]["main"]
    step = "global_step" if "global_step" in uninterrupted else "estimator_global_step/.ATTRIBUTES/VARIABLE_VALUE"
    assert uninterrupted[step] == 10
    assert_same(second[setup, "ours on from real"]["main"], uninterrupted, f"{setup}: ours on from real's")
    assert_same(second[setup, "real on from ours"]["main"], uninterrupted, f"{setup}: real on from ours")


@pytest.mark.parametrize("setup", [s for s, _ in SETUPS])
def test_each_engine_warm_starts_from_the_others_first_checkpoint(runs, setup):
    first, second = runs
    assert_same(second[setup, "real warm from ours"]["main"], first[setup, "A"]["main"], f"{setup}: real warm")
    assert_same(second[setup, "ours warm from real"]["main"], first[setup, "B"]["main"], f"{setup}: ours warm")
