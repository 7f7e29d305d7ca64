"""LinearClassifier and LinearRegressor trained by LinearSDCA behave as the REAL TensorFlow 2.15 ones, both ways.

One program (`tests/legacy/linear_sdca_program.py`) runs on the real `tf.estimator` (legacy venv) and on ours:
a V1 and a V2 LinearClassifier and LinearRegressor, each trained by `tf.estimator.experimental.LinearSDCA` on
the same 16 examples (a numeric, a vocabulary and a hashed column, example weights, L1 and L2) for 100
full-batch steps, then evaluated and predicted. Both engines save the same checkpoint variables (the weights,
their `_unshrunk` copies, the per-example table `ShardedMutableHashTable-1-of-1-keys/-values`), reach the same
weights, metrics and predictions; and each engine, given the other's checkpoint, evaluates and predicts the
same numbers again and trains on from it without moving off the optimum (which needs the dual state back).

SDCA's kernel shuffles the examples with a seed of its own, so runs agree only once converged: the tolerance
here is that of a converged optimum (measured gaps ~2e-7), not PARITY_TOLERANCE's same-graph one.

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
    reason="parity with the real LinearSDCA is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "linear_sdca_program.py"
MODELS = ("classifier_v1", "classifier_v2", "regressor_v1", "regressor_v2")
CONVERGED = {"rtol": 1e-4, "atol": 1e-5}


def assert_converged_alike(ours, real, where: str):
    """support.assert_close within CONVERGED (the module docstring says why)."""
    assert_close(ours, real, where, CONVERGED)


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Each engine trains its own models, then evaluates and trains on from the other engine's checkpoints."""
    return train_both_and_cross_restore(legacy_python, PROGRAM, MODELS, tmp_path_factory)


@pytest.mark.parametrize("model", MODELS)
def test_sdca_saves_the_real_variables_and_reaches_the_real_weights_metrics_and_predictions(runs, model):
    real, ours = runs["real"][model], runs["ours"][model]
    assert real["metrics"]["global_step"] == 100
    assert any(name.endswith("_unshrunk") for name in real["variables"])
    assert "ShardedMutableHashTable-1-of-1-values" in real["variables"]
    assert ours["variables"] == real["variables"]
    assert_converged_alike(ours["weights"], real["weights"], f"{model} weights")
    assert_converged_alike(ours["metrics"], real["metrics"], f"{model} metrics")
    assert_converged_alike(ours["predictions"], real["predictions"], f"{model} predictions")


@pytest.mark.parametrize("model", MODELS)
def test_an_sdca_checkpoint_restores_and_trains_on_both_ways(runs, model):
    for restorer, trainer in (("real restores ours", "ours"), ("ours restores real", "real")):
        restored, trained = runs[restorer][model], runs[trainer][model]
        assert restored["metrics"]["global_step"] == 100, restorer
        assert_converged_alike(restored["metrics"], trained["metrics"], f"{model}: {restorer}")
        assert_converged_alike(restored["predictions"], trained["predictions"], f"{model}: {restorer}")
        assert restored["resumed_step"] == 103, restorer
        assert_converged_alike(restored["resumed_weights"], trained["weights"], f"{model}: {restorer}, resumed")
