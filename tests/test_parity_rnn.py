"""`tf.estimator.experimental.RNNClassifier` and `RNNEstimator` behave as the REAL TensorFlow 2.15 ones, both ways.

One program (`tests/legacy/rnn_program.py`) runs on the real `tf.estimator` (legacy venv, Keras 2 layers and
optimizers in the Estimator's graph) and on ours (tf.compat.v1 variables and ops): for each configuration
(SimpleRNN, stacked LSTM with 3 classes, GRU from an int `units`, Adam, RMSProp, SGD and Ftrl by name,
return_sequences, RNNEstimator under a RegressionHead), the same sequences of lengths 1 to 4 with context
columns, from the same initial checkpoint. Both engines give the same checkpoint variables (names and shapes),
trained weights, eval metrics, predictions (every key), constructor signature and export signatures; and each
engine's checkpoint, read by the other, gives the same metrics and predictions again, and one more training
step from it moves the weights the same way on both.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import support
from support import assert_close, train_both_and_cross_restore

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator.experimental.RNNClassifier is opt-in: IRIS_PARITY=1 "
           "(see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "rnn_program.py"
CONFIGS = ("simple_rnn", "lstm_stacked_3_classes", "gru_int_units", "adam", "rmsprop", "sgd", "ftrl",
           "return_sequences", "estimator_regression")
REPORTED = ("weights", "metrics", "predictions")
# RMSProp divides each gradient by its own running size, so a component that is nearly zero (float noise of
# the two builds' kernels, ~1e-7) still moves its weight by a full step: the engines agree to ~1e-4 there.
LOOSER = {"rmsprop": {"rtol": 1e-3, "atol": 1e-5}}


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Each engine trains its own models from the same start, then reads (and trains one step more) the other's."""
    return train_both_and_cross_restore(legacy_python, PROGRAM, CONFIGS, tmp_path_factory)


@pytest.fixture
def tolerance(request) -> dict:
    return LOOSER.get(request.node.callspec.params["config"], support.PARITY_TOLERANCE)


@pytest.mark.parametrize("config", CONFIGS)
def test_rnn_gives_the_real_variables_weights_metrics_and_predictions(runs, config, tolerance):
    real, ours = runs["real"][config], runs["ours"][config]
    assert real["metrics"]["global_step"] >= 2 and "loss" in real["metrics"]
    assert ours["variables"] == real["variables"]
    assert_close(ours["weights_start"], real["weights_start"], f"{config} weights_start")  # the shared start
    assert ours["signature"] == real["signature"]
    assert ours.get("export") == real.get("export")
    for key in REPORTED:
        assert_close(ours[key], real[key], f"{config} {key}", tolerance)


def test_the_real_variable_names_are_the_keras_ones(runs):
    real = runs["real"]
    assert real["simple_rnn"]["variables"]["rnn_model/rnn/simple_rnn_cell/kernel"] == [1 + 3 + 1 + 2, 4]
    assert real["gru_int_units"]["variables"]["rnn_model/gru/gru_cell/bias"] == [2, 12]
    assert "rnn_model/rnn/stacked_rnn_cells/lstm_cell_1/recurrent_kernel" in real["lstm_stacked_3_classes"]["variables"]
    assert "training/Adagrad/sequence_features/tok_embedding/embedding_weights/accumulator" in real["simple_rnn"][
        "variables"]
    assert "dense_features/cc_embedding/embedding_weights" in real["simple_rnn"]["variables"]
    assert sorted(real["return_sequences"]["predictions"][0])[-1] == "sequence_mask"


@pytest.mark.parametrize("config", CONFIGS)
def test_an_rnn_checkpoint_restores_both_ways(runs, config, tolerance):
    for restorer, trainer in (("real restores ours", "ours"), ("ours restores real", "real")):
        restored, trained = runs[restorer][config], runs[trainer][config]
        assert restored["variables"] == trained["variables"], restorer
        for key in REPORTED:
            assert_close(restored[key], trained[key], f"{config} {key}: {restorer}", tolerance)
    # One more step from each other's checkpoint: the same weights and metrics on both engines.
    for key in ("weights_one_step_more", "metrics_one_step_more"):
        assert_close(runs["ours restores real"][config][key], runs["real restores ours"][config][key],
                     f"{config}: {key}", tolerance)
    assert runs["ours restores real"][config]["metrics_one_step_more"]["global_step"] == (
        runs["real"][config]["metrics"]["global_step"] + 1)


def test_training_moved_the_weights_away_from_the_shared_start(runs):
    """The start is shared, so equal weights alone could mean nothing trained: check that both engines moved."""
    for engine in ("real", "ours"):
        after = runs[engine]["simple_rnn"]["weights"]["rnn_model/logits/kernel"]
        start = runs[engine]["simple_rnn"]["weights_start"]["rnn_model/logits/kernel"]
        assert not np.allclose(after, start), engine
