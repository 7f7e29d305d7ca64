"""Parity of `iris_lib.layers` and the canned Estimators with the REAL TensorFlow 2.15 ones, both ways.

One set of programs (`tests/legacy/layers_canned_programs.py`) runs on the real `tf.compat.v1.layers`
and `tf.compat.v1.estimator` (legacy venv, `tests/legacy/real_layers_canned.py`) and here on
`iris_lib.tf1` with our canned classes:

* a CNN model_fn with every `tf.layers` piece: the same variables (names and shapes, optimizer slots
  included); a checkpoint of either restores in the other with equal metrics and predictions; and one
  more training step from the same checkpoint gives equal weights, batch-norm moving averages and Adam
  slots (so the layers compute the same forward pass, gradients and UPDATE_OPS);
* the V2 classes (TF2's `tf.estimator.*`) against the real TF2 namespace: the same model variables and
  keys, the linear ones train to the same numbers (loss averaged over the batch), and a real V2
  DNNClassifier checkpoint evaluates here with equal metrics;
* LinearClassifier (2 and 3 classes), LinearRegressor, DNNClassifier, DNNRegressor (batch norm) and
  DNNLinearCombinedClassifier on numeric, vocabulary, identity, hashed, bucketized, crossed, embedding
  and indicator columns: the same model variables, prediction keys and metric keys; equal metrics and
  predictions when one evaluates the other's checkpoint; and the linear models (zero-initialized, so
  deterministic) train to the same metrics independently.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the
legacy interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.layers / canned Estimators is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "tests" / "legacy"
REAL = LEGACY / "real_layers_canned.py"
STEPS = 20
TOLERANCE = {"rtol": 2e-5, "atol": 1e-6}
CANNED = ("linear_binary", "linear_three", "linear_regressor", "dnn_classifier", "dnn_regressor", "combined")
LINEAR = ("linear_binary", "linear_three", "linear_regressor")


def run_real(legacy_python: Path, *args: str):
    return run_json(legacy_python, REAL, *args)


@pytest.fixture(scope="module")
def ours():
    """`tf` and the estimator namespace our side hands to the shared programs."""
    sys.path.insert(0, str(LEGACY))
    import layers_canned_programs as programs

    import iris_lib.tf1 as tf
    from iris_lib import estimator
    from iris_lib.estimator import canned

    namespace = types.SimpleNamespace(Estimator=estimator.Estimator, RunConfig=estimator.RunConfig,
                                      **canned.V1_CLASSES)
    return tf, namespace, programs


def our_cnn(ours, model_dir, steps=0, dropout=0.25):
    tf, namespace, programs = ours
    est = programs.cnn_estimator(tf, namespace, str(model_dir), dropout=dropout)
    if steps:
        est.train(programs.cnn_input_fn(tf), steps=steps)
    return programs.report(tf, est, programs.cnn_input_fn(tf, repeat=False), programs.cnn_input_fn(tf, repeat=False))


def our_canned(ours, name, model_dir, steps=0, v2=False):
    tf, namespace, programs = ours
    if v2:
        from iris_lib.estimator import canned

        namespace = types.SimpleNamespace(**{**vars(namespace), **canned.V2_CLASSES})
    est = programs.canned_estimator(tf, namespace, name, str(model_dir))
    if steps:
        est.train(programs.canned_input_fn(tf, name), steps=steps)
    return programs.report(tf, est, programs.canned_input_fn(tf, name, repeat=False),
                           programs.canned_input_fn(tf, name, repeat=False, labels=False))


def copy_of(model_dir: Path, tmp_path_factory, name: str) -> Path:
    target = tmp_path_factory.mktemp(name) / "model"
    shutil.copytree(model_dir, target)
    return target


def assert_same_outputs(actual: dict, expected: dict, auc_rtol: float = TOLERANCE["rtol"]) -> None:
    assert sorted(actual["metrics"]) == sorted(expected["metrics"])
    for key in expected["metrics"]:
        # AUCs count predictions between 200 fixed thresholds: a last-bit difference can cross one
        tolerance = {**TOLERANCE, "rtol": auc_rtol} if key.startswith("auc") else TOLERANCE
        np.testing.assert_allclose(actual["metrics"][key], expected["metrics"][key], err_msg=key, **tolerance)
    assert len(actual["predictions"]) == len(expected["predictions"])
    for mine, theirs in zip(actual["predictions"], expected["predictions"]):
        assert sorted(mine) == sorted(theirs)
        for key in theirs:
            if isinstance(theirs[key], list) and theirs[key] and isinstance(np.ravel(theirs[key])[0], str):
                assert mine[key] == theirs[key], key
            else:
                np.testing.assert_allclose(mine[key], theirs[key], err_msg=key, **TOLERANCE)


# ----- tf.layers: a CNN --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_cnn(legacy_python, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("real_cnn") / "model"
    return model_dir, run_real(legacy_python, "cnn-train", str(model_dir), "--steps", str(STEPS))


@pytest.fixture(scope="module")
def our_cnn_run(ours, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("our_cnn") / "model"
    return model_dir, our_cnn(ours, model_dir, steps=STEPS)


def test_cnn_has_the_real_variables_names_and_shapes(real_cnn, our_cnn_run):
    real, mine = real_cnn[1]["variables"], our_cnn_run[1]["variables"]
    assert {"conv2d/kernel", "conv2d_1/kernel", "batch_normalization/moving_variance",
            "batch_normalization_1/gamma", "dense/kernel", "logits/bias"} <= set(real)
    assert mine == real  # model weights, batch-norm statistics, Adam slots and beta powers alike


def test_a_real_cnn_checkpoint_restores_here_with_equal_outputs(real_cnn, ours, tmp_path_factory):
    model_dir, real = real_cnn
    assert_same_outputs(our_cnn(ours, copy_of(model_dir, tmp_path_factory, "real_cnn_here")), real)


def test_our_cnn_checkpoint_restores_in_the_real_one_with_equal_outputs(our_cnn_run, legacy_python,
                                                                         tmp_path_factory):
    model_dir, mine = our_cnn_run
    real = run_real(legacy_python, "cnn-report", str(copy_of(model_dir, tmp_path_factory, "our_cnn_there")))
    assert_same_outputs(mine, real)


def test_one_more_training_step_from_the_same_checkpoint_gives_the_same_variables(
        real_cnn, ours, legacy_python, tmp_path_factory):
    """Forward pass, gradients, Adam and batch norm's UPDATE_OPS (fused and not) all agree (no dropout)."""
    model_dir, real = real_cnn
    theirs = copy_of(model_dir, tmp_path_factory, "step_real")
    mine = copy_of(model_dir, tmp_path_factory, "step_ours")
    run_real(legacy_python, "cnn-train", str(theirs), "--steps", "1", "--dropout", "0")
    our_cnn(ours, mine, steps=1, dropout=0.0)
    tf, _, programs = ours
    names = sorted(real["variables"])
    expected = run_real(legacy_python, "values", str(theirs), *names)
    actual = programs.values(tf, str(mine), names)
    before = programs.values(tf, str(model_dir), ["batch_normalization/moving_variance", "conv2d/kernel"])
    assert actual["global_step"] == expected["global_step"] == STEPS + 1
    assert not np.allclose(actual["conv2d/kernel"], before["conv2d/kernel"])  # the step did train
    assert not np.allclose(actual["batch_normalization/moving_variance"], before["batch_normalization/moving_variance"])
    for name in names:
        if name == "conv2d/bias":
            # Batch norm follows this bias, so its true gradient is zero and Adam divides rounding noise
            # (~1e-9) by its own square root: the step is noise on both engines. Its slots are compared.
            continue
        np.testing.assert_allclose(actual[name], expected[name], err_msg=name, rtol=1e-4, atol=1e-6)


# ----- canned Estimators -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_canned(legacy_python, tmp_path_factory):
    runs = {}
    for name in CANNED:
        model_dir = tmp_path_factory.mktemp(f"real_{name}") / "model"
        runs[name] = model_dir, run_real(legacy_python, "canned-train", name, str(model_dir), "--steps", str(STEPS))
    return runs


@pytest.fixture(scope="module")
def our_canned_runs(ours, tmp_path_factory):
    runs = {}
    for name in CANNED:
        model_dir = tmp_path_factory.mktemp(f"our_{name}") / "model"
        runs[name] = model_dir, our_canned(ours, name, model_dir, steps=STEPS)
    return runs


@pytest.mark.parametrize("name", CANNED)
def test_canned_models_have_the_real_variables_prediction_and_metric_keys(name, real_canned, our_canned_runs):
    real, mine = real_canned[name][1], our_canned_runs[name][1]
    assert mine["variables"] == real["variables"]  # the slots too: `.../kernel/t_0/Adagrad`, `.../part_0/Ftrl`
    assert sorted(mine["metrics"]) == sorted(real["metrics"])
    assert sorted(mine["predictions"][0]) == sorted(real["predictions"][0])


@pytest.mark.parametrize("name", CANNED)
def test_a_real_canned_checkpoint_evaluates_here_with_equal_metrics(name, real_canned, ours, tmp_path_factory):
    model_dir, real = real_canned[name]
    assert_same_outputs(our_canned(ours, name, copy_of(model_dir, tmp_path_factory, f"{name}_here")), real)


@pytest.mark.parametrize("name", CANNED)
def test_our_canned_checkpoint_evaluates_in_the_real_one_with_equal_metrics(name, our_canned_runs, legacy_python,
                                                                            tmp_path_factory):
    model_dir, mine = our_canned_runs[name]
    real = run_real(legacy_python, "canned-report", name, str(copy_of(model_dir, tmp_path_factory, f"{name}_there")))
    assert_same_outputs(mine, real)


@pytest.mark.parametrize("name", LINEAR)
def test_linear_models_train_to_the_real_numbers(name, real_canned, our_canned_runs):
    """Zero-initialized, so both engines start equal: same FTRL rate, loss reduction and metrics."""
    assert_same_outputs(our_canned_runs[name][1], real_canned[name][1])


# ----- the V2 classes (TF2's tf.estimator.*) ------------------------------------------------------------

V2 = ("linear_binary", "linear_regressor", "dnn_classifier")


@pytest.fixture(scope="module")
def real_v2(legacy_python, tmp_path_factory):
    runs = {}
    for name in V2:
        model_dir = tmp_path_factory.mktemp(f"real_v2_{name}") / "model"
        runs[name] = model_dir, run_real(legacy_python, "canned-train", name, str(model_dir), "--steps", str(STEPS),
                                         "--v2")
    return runs


@pytest.fixture(scope="module")
def our_v2(ours, tmp_path_factory):
    return {name: our_canned(ours, name, tmp_path_factory.mktemp(f"our_v2_{name}") / "model", STEPS, v2=True)
            for name in V2}


@pytest.mark.parametrize("name", V2)
def test_v2_classes_have_the_real_model_variables_and_keys(name, real_v2, our_v2):
    real, mine = real_v2[name][1], our_v2[name]
    assert mine["variables"] == real["variables"]  # Keras 2's optimizer state too: `training/Adagrad/...`
    assert sorted(mine["metrics"]) == sorted(real["metrics"])
    assert sorted(mine["predictions"][0]) == sorted(real["predictions"][0])
    # SUM_OVER_BATCH_SIZE: 'loss' is the per-example mean, like average_loss (V1 reports it per batch)
    assert mine["metrics"]["loss"] == pytest.approx(mine["metrics"]["average_loss"], rel=1e-5)
    assert real["metrics"]["loss"] == pytest.approx(real["metrics"]["average_loss"], rel=1e-5)


@pytest.mark.parametrize("name", ["linear_binary", "linear_regressor"])
def test_v2_linear_models_train_to_the_real_numbers(name, real_v2, our_v2):
    assert_same_outputs(our_v2[name], real_v2[name][1], auc_rtol=1e-4)


def test_a_real_v2_dnn_checkpoint_evaluates_here_with_equal_metrics(real_v2, ours, tmp_path_factory):
    model_dir, real = real_v2["dnn_classifier"]
    mine = our_canned(ours, "dnn_classifier", copy_of(model_dir, tmp_path_factory, "v2_dnn_here"), v2=True)
    assert_same_outputs(mine, real)
