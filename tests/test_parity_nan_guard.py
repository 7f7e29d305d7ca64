"""Chapter 9's NaN run on the real tf.estimator and on ours: what the book and the differences page say of it.

`tests/legacy/nan_guard_program.py` (the guide's model, one NaN PetalLength, 100 steps) on TF 2.15 with oneDNN's
optimizations on (its default on some x86 CPUs only; TF_ENABLE_ONEDNN_OPTS=1 here) trains silently: Grappler's remapper fuses MatMul+BiasAdd+Relu and the fused ReLU turns the NaN into 0, so the loss
stays finite while the NaN reaches the first kernel through its gradient. With the remapper off, or oneDNN's
optimizations off (TF_ENABLE_ONEDNN_OPTS=0), it raises at step 1. Ours raises at step 1, with and without the
graph optimizer (and iris_lib's same-bits settings), and saves nothing diverged.
Opt-in like the other parity tests: `make parity`.
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

PROGRAM = Path(__file__).resolve().parent / "legacy" / "nan_guard_program.py"


def test_the_real_estimator_trains_through_the_nan_and_saves_it(legacy_python, tmp_path):
    """With oneDNN on: TensorFlow's default on some x86 CPUs only (an AMD EPYC without AVX-512 leaves it off)."""
    real = run_json(legacy_python, PROGRAM, "real", str(tmp_path / "m"), "default", tensorflow_defaults=True,
                    env={"TF_ENABLE_ONEDNN_OPTS": "1"})
    assert real == {"raised": None, "steps_run": 100, "checkpoint_step": 100, "kernel_has_nan": True,
                    "accuracy": 0.267}


def test_without_the_remapper_the_real_estimator_stops_at_the_first_step(legacy_python, tmp_path):
    real = run_json(legacy_python, PROGRAM, "real", str(tmp_path / "m"), "no-remapping", tensorflow_defaults=True)
    assert real["raised"] == "NanLossDuringTrainingError"
    assert (real["steps_run"], real["checkpoint_step"], real["kernel_has_nan"]) == (1, 0, False)


def test_with_onednn_off_the_real_estimator_stops_at_the_first_step(legacy_python, tmp_path):
    """The fused ReLU that hides the NaN is oneDNN's: TF_ENABLE_ONEDNN_OPTS=0 (which iris_lib sets) shows it."""
    real = run_json(legacy_python, PROGRAM, "real", str(tmp_path / "m"), "default")  # iris_lib's settings inherited
    assert real["raised"] == "NanLossDuringTrainingError"
    assert (real["steps_run"], real["checkpoint_step"], real["kernel_has_nan"]) == (1, 0, False)


@pytest.mark.parametrize("session", ["default", "grappler"])
def test_ours_stops_at_the_first_step_and_saves_nothing_diverged(tmp_path, session):
    ours = run_json(sys.executable, PROGRAM, "ours", str(tmp_path / "m"), session, tensorflow_defaults=True)
    assert ours["raised"] == "NanLossDuringTrainingError"
    assert (ours["steps_run"], ours["checkpoint_step"], ours["kernel_has_nan"]) == (1, 0, False)
