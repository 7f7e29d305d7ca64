"""`BaselineClassifier`/`Regressor`/`Estimator` and `DNNEstimator`, `LinearEstimator`, `DNNLinearCombinedEstimator`:
what they learn, how they are wired into `tf.estimator` / `tf.compat.v1.estimator`, and which heads they take.

Names, keys and numbers against the real TF 2.15 classes: tests/test_parity_canned_estimators.py.
"""
import inspect

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import RunConfig, api, canned, head
from iris_lib.estimator.canned import head as canned_head

v1 = tf.compat.v1
fc = tf.compat.v1.feature_column

N = 40
X = np.linspace(0.0, 1.0, N, dtype=np.float32)
CLASSES = np.array([0] * 20 + [1] * 12 + [2] * 8, dtype=np.int64)  # frequencies 0.5, 0.3, 0.2
TARGET = (3.0 + X).astype(np.float32)  # mean 3.5
MULTI_HOT = np.stack([X > 0.5, X < 0.3, np.arange(N) % 5 != 0], axis=1).astype(np.int64)  # 0.5, 0.3, 0.8
NAMES = ["BaselineClassifier", "BaselineRegressor", "BaselineEstimator", "DNNEstimator", "LinearEstimator",
         "DNNLinearCombinedEstimator"]
COLUMNS = [fc.numeric_column("x")]


def input_fn(labels, features=None, epochs=None, batch_size=N):
    def fn():
        dataset = tf.data.Dataset.from_tensor_slices((features or {"x": X}, labels))
        return dataset.repeat(epochs).batch(batch_size)
    return fn


def config():
    return RunConfig(tf_random_seed=1, save_checkpoints_steps=None, save_checkpoints_secs=3600)


@pytest.mark.parametrize("name", NAMES)
def test_each_name_is_the_v1_class_in_tf1_and_its_v2_class_in_tf2(name):
    assert getattr(api.ESTIMATOR_V1, name) is canned.V1_CLASSES[name] is getattr(canned, name)
    assert getattr(api.ESTIMATOR_V2, name) is canned.V2_CLASSES[name] is getattr(canned, name + "V2")
    assert issubclass(canned.V2_CLASSES[name], canned.V1_CLASSES[name])
    first = "head" if name.endswith("Estimator") else "model_dir"
    assert list(inspect.signature(getattr(canned, name)).parameters)[0] == first


def test_the_baseline_classifier_learns_the_class_frequencies(tmp_path):
    """A bias only: softmax of the learned bias is the label distribution, whatever the features say."""
    estimator = canned.BaselineClassifierV2(str(tmp_path), n_classes=3, optimizer="SGD", config=config())
    estimator.train(input_fn(CLASSES), steps=300)
    predictions = list(estimator.predict(input_fn(CLASSES, epochs=1)))
    probabilities = np.array([p["probabilities"] for p in predictions])
    np.testing.assert_allclose(probabilities, np.tile([0.5, 0.3, 0.2], (N, 1)), atol=0.01)
    assert estimator.get_variable_names() == [  # Keras 2's SGD's hyperparameters, as in the real checkpoint
        "baseline/bias", "global_step", "training/SGD/decay", "training/SGD/learning_rate", "training/SGD/momentum"]
    assert estimator.params == {}
    assert list(inspect.signature(estimator.model_fn).parameters) == ["features", "labels", "mode", "config"]


def test_the_baseline_regressor_learns_the_label_mean_and_v1_sums_the_loss(tmp_path):
    estimator = canned.BaselineRegressor(str(tmp_path), optimizer=lambda: v1.train.GradientDescentOptimizer(0.01),
                                         config=config())
    estimator.train(input_fn(TARGET), steps=200)
    metrics = estimator.evaluate(input_fn(TARGET, epochs=1))
    assert metrics["prediction/mean"] == pytest.approx(TARGET.mean(), abs=1e-3)
    assert metrics["loss"] == pytest.approx(N * metrics["average_loss"], rel=1e-5)  # one batch of N, summed
    assert estimator.get_variable_value("baseline/bias").shape == (1,)


def test_features_of_different_batch_sizes_are_refused(tmp_path):
    estimator = canned.BaselineClassifier(str(tmp_path), n_classes=3, config=config())
    features = {"x": X, "y": np.zeros(N, np.float32)}

    def uneven():
        x = tf.data.Dataset.from_tensor_slices(({"x": X, "y": X}, CLASSES)).batch(10)
        return x.map(lambda f, label: ({"x": f["x"], "y": f["y"][:5]}, label))
    with pytest.raises(tf.errors.InvalidArgumentError):
        estimator.train(uneven, steps=1)
    estimator.train(input_fn(CLASSES, features=features), steps=1)  # equal sizes train


def test_several_features_train_the_v2_baseline_too(tmp_path):
    """The real V2 Baseline* failed here (its bias initializer read the input); ours trains."""
    features = {"x": X, "y": np.zeros(N, np.float32)}
    estimator = canned.BaselineClassifierV2(str(tmp_path), n_classes=3, config=config())
    estimator.train(input_fn(CLASSES, features=features), steps=2)
    assert estimator.get_variable_value("global_step") == 2


def test_a_baseline_estimator_takes_a_public_multi_label_head(tmp_path):
    estimator = canned.BaselineEstimatorV2(head.MultiLabelHead(3), str(tmp_path), optimizer="SGD", config=config())
    estimator.train(input_fn(MULTI_HOT), steps=300)
    probabilities = next(iter(estimator.predict(input_fn(MULTI_HOT, epochs=1))))["probabilities"]
    np.testing.assert_allclose(probabilities, MULTI_HOT.mean(axis=0), atol=0.02)


def test_v1_dnn_estimator_with_a_canned_head_sums_the_loss_and_v2_with_a_public_head_averages_it(tmp_path):
    v1_estimator = canned.DNNEstimator(canned_head.MultiClassHead(3), [4], COLUMNS, str(tmp_path / "v1"),
                                       config=config())
    v2_estimator = canned.DNNEstimatorV2(head.MultiClassHead(3), [4], COLUMNS, str(tmp_path / "v2"), config=config())
    for estimator in (v1_estimator, v2_estimator):
        estimator.train(input_fn(CLASSES), steps=3)
    summed, averaged = (e.evaluate(input_fn(CLASSES, epochs=1)) for e in (v1_estimator, v2_estimator))
    assert summed["loss"] == pytest.approx(N * summed["average_loss"], rel=1e-5)
    assert averaged["loss"] == pytest.approx(averaged["average_loss"], rel=1e-5)
    assert "dnn/hiddenlayer_0/kernel" in v2_estimator.get_variable_names()


def test_v1_dnn_and_linear_estimators_also_train_a_public_head(tmp_path):
    """The real V1 ones refused it (its head wanted a Keras optimizer); a tf.compat.v1 optimizer is fine here."""
    for estimator in (canned.DNNEstimator(head.MultiClassHead(3), [4], COLUMNS, str(tmp_path / "dnn"),
                                          config=config()),
                      canned.LinearEstimator(head.MultiClassHead(3), COLUMNS, str(tmp_path / "linear"),
                                             config=config())):
        estimator.train(input_fn(CLASSES), steps=2)
        assert estimator.get_variable_value("global_step") == 2


def test_a_linear_estimator_learns_a_line_under_a_regression_head(tmp_path):
    estimator = canned.LinearEstimatorV2(head.RegressionHead(), COLUMNS, str(tmp_path), optimizer="SGD",
                                         config=config())
    before = estimator.evaluate(input_fn(TARGET, epochs=1), name="before")["average_loss"]
    estimator.train(input_fn(TARGET), steps=400)
    after = estimator.evaluate(input_fn(TARGET, epochs=1))["average_loss"]
    assert before == pytest.approx(np.mean(TARGET ** 2))  # zeros at the start predict 0
    assert after < 0.05


def test_a_combined_estimator_trains_both_parts_under_a_head(tmp_path):
    estimator = canned.DNNLinearCombinedEstimatorV2(head.MultiClassHead(3), str(tmp_path),
                                                    linear_feature_columns=COLUMNS, dnn_feature_columns=COLUMNS,
                                                    dnn_hidden_units=[4], config=config())
    estimator.train(input_fn(CLASSES), steps=2)
    names = estimator.get_variable_names()
    assert {"linear/linear_model/x/weights", "dnn/logits/kernel"} <= set(names)
    assert estimator.get_variable_value("global_step") == 2
    with pytest.raises(ValueError, match="Either linear_feature_columns or dnn_feature_columns"):
        canned.DNNLinearCombinedEstimator(canned_head.MultiClassHead(3))


def test_a_bad_optimizer_name_fails_at_construction():
    with pytest.raises(ValueError, match="is not one of"):
        canned.BaselineClassifier(optimizer="Adadelta")
    with pytest.raises(ValueError, match="is not one of"):
        canned.DNNEstimatorV2(head.RegressionHead(), [4], COLUMNS, optimizer="Adadelta")
