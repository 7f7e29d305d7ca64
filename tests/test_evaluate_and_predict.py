"""evaluate_and_predict: one graph and one session, with exactly the numbers and files of evaluate() and predict()."""

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from support import eval_fn, make_estimator, predict_fn, train_fn
from iris_lib import data
from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from iris_lib.estimator.evaluate_and_predict import evaluate_and_predict
from iris_lib.layers import dense
from iris_lib.model import my_model_fn

v1 = tf.compat.v1


@pytest.fixture
def estimator(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path / "model", columns, hidden_units=(8, 6))
    estimator.train(train_fn(iris), steps=200)
    return estimator


def eval_points(logdir):
    accumulator = EventAccumulator(str(logdir))
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}


def separate_predictions(estimator, input_fn, keys=None):
    batches = list(estimator.predict(input_fn, predict_keys=keys, yield_single_examples=False))
    return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}


def test_metrics_and_predictions_equal_separate_evaluate_and_predict_calls(estimator, iris, tmp_path):
    # Batches of 7 and 2: several batches on both sides, the last one short.
    metrics, predictions = evaluate_and_predict(estimator, eval_fn(iris, 7), predict_fn(2))
    separate_points = eval_points(tmp_path / "model" / "eval")
    assert metrics == estimator.evaluate(eval_fn(iris, 7))  # the same ops on the same checkpoint: equal
    assert metrics["global_step"] == 200 and set(metrics) == {"accuracy", "loss", "global_step"}
    expected = separate_predictions(estimator, predict_fn(2))
    assert sorted(predictions) == sorted(expected) == ["class_ids", "logits", "probabilities"]
    for key in expected:
        np.testing.assert_array_equal(predictions[key], expected[key])
    assert predictions["probabilities"].shape == (3, 3)
    # The evaluation point TensorBoard shows was written as evaluate() writes it (then once more by evaluate()).
    assert separate_points == {"accuracy": [(200, pytest.approx(metrics["accuracy"]))],
                               "loss": [(200, pytest.approx(metrics["loss"]))]}


def test_predict_keys_and_an_eval_name_work_as_in_the_separate_calls(estimator, iris, tmp_path):
    _, (test_x, _) = iris
    rows = {key: np.tile(test_x[key].to_numpy(), 40) for key in data.FEATURE_NAMES}  # 1200 rows, one batch
    metrics, predictions = evaluate_and_predict(estimator, eval_fn(iris), lambda: data.eval_input_fn(rows, None, 1200),
                                                predict_keys="probabilities", name="test")
    assert list(predictions) == ["probabilities"] and predictions["probabilities"].shape == (1200, 3)
    np.testing.assert_array_equal(predictions["probabilities"], separate_predictions(
        estimator, lambda: data.eval_input_fn(rows, None, 1200), ["probabilities"])["probabilities"])
    assert eval_points(tmp_path / "model" / "eval_test")["accuracy"] == [(200, pytest.approx(metrics["accuracy"]))]
    assert not (tmp_path / "model" / "eval").exists()


def test_it_needs_a_trained_model_like_predict(tmp_path, iris, columns):
    untrained = make_estimator(tmp_path / "empty", columns)
    with pytest.raises(ValueError, match="Could not find trained model in model_dir.*Train it first"):
        evaluate_and_predict(untrained, eval_fn(iris), predict_fn())


def test_unknown_predict_keys_and_empty_evaluation_data_are_explained(estimator, iris):
    with pytest.raises(ValueError, match=r"predict_keys \['classes'\] are not among the predictions"):
        evaluate_and_predict(estimator, eval_fn(iris), predict_fn(), predict_keys=["classes"])
    _, (test_x, test_y) = iris
    with pytest.raises(ValueError, match="eval_input_fn yielded no data"):
        evaluate_and_predict(estimator, lambda: data.eval_input_fn(test_x[:0], test_y[:0], 10), predict_fn())


def _model_fn_with_a_predict_only_layer(features, labels, mode, params):
    net = v1.feature_column.input_layer(features, params["feature_columns"])
    if mode == ModeKeys.PREDICT:
        net = dense(net, 4)  # a layer EVAL never builds: its weights are not the evaluated model's
    logits = dense(net, 3)
    if mode == ModeKeys.PREDICT:
        return EstimatorSpec(mode, predictions={"logits": logits})
    loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    train_op = v1.train.AdagradOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=train_op)


def test_a_model_fn_with_other_variables_in_predict_mode_is_refused(tmp_path, iris, columns):
    estimator = Estimator(_model_fn_with_a_predict_only_layer, str(tmp_path / "m"), RunConfig(tf_random_seed=1),
                          params={"feature_columns": columns})
    estimator.train(train_fn(iris), steps=5)
    with pytest.raises(ValueError, match=r"different variables in the two modes.*call estimator.evaluate\(\) and "
                                          r"estimator.predict\(\) instead"):
        evaluate_and_predict(estimator, eval_fn(iris), predict_fn())


def test_a_model_fn_with_evaluation_hooks_is_refused(tmp_path, iris, columns):
    def hooked_model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != ModeKeys.EVAL:
            return spec
        return spec._replace(evaluation_hooks=[v1.train.StepCounterHook(output_dir=str(tmp_path))])

    estimator = Estimator(hooked_model_fn, str(tmp_path / "m"), RunConfig(tf_random_seed=1),
                          params={"feature_columns": columns, "hidden_units": [4], "n_classes": 3})
    estimator.train(train_fn(iris), steps=5)
    with pytest.raises(ValueError, match="runs no hooks.*evaluation_hooks or prediction_hooks"):
        evaluate_and_predict(estimator, eval_fn(iris), predict_fn())
