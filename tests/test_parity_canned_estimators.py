"""`Baseline*` and the `*Estimator` canned classes behave as the REAL TensorFlow 2.15 ones, V1 and V2, both ways.

One program (`tests/legacy/canned_estimators_program.py`) trains each on Iris, on the real `tf.estimator`
(legacy venv) and on ours: the same checkpoint variables (model weights by name and shape; optimizer slots as
`companion/differences.md` says), metric keys, prediction keys, `params == {}` and model_fn arguments; the
models that start from zeros (Baseline*, Linear*; a V2 one with TF2's `loss_reduction="sum"` too) train to
the same metrics and predictions; and each engine's
checkpoint, evaluated and predicted by the other, gives the same numbers again. One more model is a model_fn of
one's own from `tf.compat.v1.estimator.experimental.dnn_logit_fn_builder`, `linear_logit_fn_builder` and
`call_logit_fn`: the same variables (names and shapes, slots included) and checkpoints that cross both ways.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from support import assert_close, train_both_and_cross_restore

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real canned Estimators is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "canned_estimators_program.py"
MODELS = ("v1_baseline_classifier", "v2_baseline_classifier", "v1_baseline_binary", "v1_baseline_regressor",
          "v2_baseline_regressor", "v1_baseline_estimator", "v2_baseline_estimator", "v1_dnn_estimator",
          "v2_dnn_estimator", "v1_linear_estimator", "v2_linear_estimator", "v1_combined_estimator",
          "v2_combined_estimator", "v1_logit_fn_builders", "v2_baseline_regressor_sum")
FROM_ZEROS = [name for name in MODELS if "baseline" in name or "linear_estimator" in name]


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Each engine trains its own models, then evaluates and predicts from the other engine's checkpoints."""
    return train_both_and_cross_restore(legacy_python, PROGRAM, MODELS, tmp_path_factory)


def is_optimizer_state(name: str) -> bool:
    """V1 slots (`.../Ftrl`, `.../Adagrad`) or the real V2's Keras optimizer variables (`training/...`)."""
    return name.startswith("training/") or re.search(r"/(Adagrad|Ftrl(_1)?)$", name) is not None


@pytest.mark.parametrize("name", MODELS)
def test_the_same_variables_metric_and_prediction_keys_params_and_model_fn(runs, name):
    real, ours = runs["real"][name], runs["ours"][name]
    assert real["metrics"]["global_step"] == 20
    weights = lambda variables: {k: v for k, v in variables.items() if not is_optimizer_state(k)}  # noqa: E731
    assert weights(ours["variables"]) == weights(real["variables"])
    assert sorted(ours["metrics"]) == sorted(real["metrics"])
    assert [sorted(p) for p in ours["predictions"]] == [sorted(p) for p in real["predictions"]]
    assert ours["params"] == real["params"] == {}
    assert ours["model_fn_args"] == real["model_fn_args"] == ["features", "labels", "mode", "config"]


@pytest.mark.parametrize("name", ["v1_baseline_classifier", "v1_baseline_regressor", "v1_baseline_estimator",
                                  "v1_combined_estimator", "v1_logit_fn_builders", "v1_dnn_estimator",
                                  "v1_linear_estimator"])
def test_v1_optimizer_slots_have_the_real_names(runs, name):
    """Also a model_fn of one's own from `experimental.dnn_logit_fn_builder` (at the root scope, batch norm),
    `linear_logit_fn_builder` (in a scope) and `call_logit_fn`: every variable and slot, named and shaped as the
    real one's, so its checkpoints cross both ways (below); the V1 DNN and linear Estimators' slots too, with the
    real one's `/t_0/` and `/part_0/` pieces."""
    assert runs["ours"][name]["variables"] == runs["real"][name]["variables"]


@pytest.mark.parametrize("name", FROM_ZEROS)
def test_models_from_zeros_train_to_the_real_metrics_and_predictions(runs, name):
    real, ours = runs["real"][name], runs["ours"][name]
    assert_close(ours["metrics"], real["metrics"], f"{name} metrics")
    assert_close(ours["predictions"], real["predictions"], f"{name} predictions")


@pytest.mark.parametrize("name", MODELS)
def test_a_checkpoint_restores_both_ways_with_the_same_numbers(runs, name):
    assert_close(runs["real restores ours"][name]["metrics"], runs["ours"][name]["metrics"], f"{name} real<-ours")
    assert_close(runs["real restores ours"][name]["predictions"], runs["ours"][name]["predictions"],
                 f"{name} real<-ours predictions")
    assert_close(runs["ours restores real"][name]["metrics"], runs["real"][name]["metrics"], f"{name} ours<-real")
    assert_close(runs["ours restores real"][name]["predictions"], runs["real"][name]["predictions"],
                 f"{name} ours<-real predictions")
