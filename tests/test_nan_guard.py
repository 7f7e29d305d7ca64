"""A NaN or infinite loss stops training with NanLossDuringTrainingError and is never saved (issue 9)."""
import os

import numpy as np
import pytest
import tensorflow as tf

from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.model import my_model_fn
from support import make_estimator, train_fn

v1 = tf.compat.v1


def checkpoint_steps(model_dir):
    return sorted(int(name.split("-")[1].split(".")[0]) for name in os.listdir(model_dir) if name.endswith(".index"))


def poisoned_fn(iris, value):
    (train_x, train_y), _ = iris
    train_x = train_x.copy()
    train_x.iloc[17, 2] = value
    return lambda: data.train_input_fn(train_x, train_y, 100)


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e300])
def test_a_bad_value_in_the_features_raises_and_the_last_good_checkpoint_stays_the_newest(tmp_path, iris, columns,
                                                                                             value):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=1, keep_checkpoint_max=1)
    estimator.train(train_fn(iris), steps=20)
    good = estimator.latest_checkpoint()
    kernel = estimator.get_variable_value("dense/kernel")
    with pytest.raises(v1.train.NanLossDuringTrainingError) as raised:
        estimator.train(poisoned_fn(iris, value), steps=100)
    message = str(raised.value)
    assert "Model diverged with loss = " in message and "in training step 2" in message  # the 17th row: batch 1
    assert "NaN or infinite value in the input features" in message and "learning rate too high" in message
    assert good in message
    # nothing of the diverged step was saved, and rotation (keep_checkpoint_max=1) deleted nothing good
    assert estimator.latest_checkpoint() == good and checkpoint_steps(tmp_path) == [20]
    assert np.array_equal(estimator.get_variable_value("dense/kernel"), kernel)


def test_a_diverging_learning_rate_raises_before_any_nan_weights_are_saved(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != "train":
            return spec
        train_op = v1.train.GradientDescentOptimizer(1e38).minimize(spec.loss, global_step=v1.train.get_global_step())
        return spec._replace(train_op=train_op)

    estimator = Estimator(model_fn, str(tmp_path), RunConfig(tf_random_seed=7, save_checkpoints_steps=1),
                          params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    with pytest.raises(v1.train.NanLossDuringTrainingError, match="diverged"):
        estimator.train(train_fn(iris), steps=1000)
    steps = checkpoint_steps(tmp_path)
    assert steps and steps[-1] < 1000
    for step in steps:
        for name, _ in tf.train.list_variables(str(tmp_path / f"model.ckpt-{step}")):
            assert np.isfinite(tf.train.load_variable(str(tmp_path / f"model.ckpt-{step}"), name)).all(), (step, name)


def test_weights_that_became_infinite_with_a_finite_loss_are_not_saved_either(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != "train":
            return spec
        bias = [v for v in v1.trainable_variables() if v.op.name == "dense/bias"][0]
        step = v1.train.get_global_step()
        with tf.control_dependencies([spec.train_op]):  # at step 3, overflow a bias of the first layer's unit
            poison = tf.cond(tf.equal(step, 3), lambda: bias.assign(bias * 0 + np.inf).op, lambda: tf.no_op())
        return spec._replace(train_op=tf.group(spec.train_op, poison))

    estimator = Estimator(model_fn, str(tmp_path), RunConfig(tf_random_seed=7, save_checkpoints_steps=2),
                          params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    with pytest.raises(v1.train.NanLossDuringTrainingError) as raised:
        estimator.train(train_fn(iris), steps=100)
    assert checkpoint_steps(tmp_path) == [0, 2]
    assert "dense/bias" in str(raised.value) or "diverged" in str(raised.value)


def test_without_a_bad_value_training_is_unchanged(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=50)
    assert estimator.get_variable_value("global_step") == 50
