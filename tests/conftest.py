"""Shared fixtures: the Iris split, feature columns and a model trained once per session."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

import iris_lib.quiet  # noqa: F401,E402
from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.model import my_model_fn

import tensorflow as tf  # noqa: E402


@pytest.fixture(scope="session")
def iris():
    return data.load_data()


@pytest.fixture(scope="session")
def columns(iris):
    (train_x, _), _ = iris
    return [tf.compat.v1.feature_column.numeric_column(key=k) for k in train_x.keys()]


def make_estimator(model_dir, columns, hidden_units=(10, 10), seed=7, **config):
    return Estimator(
        model_fn=my_model_fn,
        model_dir=str(model_dir),
        config=RunConfig(tf_random_seed=seed, **config),
        params={"feature_columns": columns, "hidden_units": list(hidden_units), "n_classes": 3},
    )


def train_fn(iris, batch_size=100):
    (train_x, train_y), _ = iris
    return lambda: data.train_input_fn(train_x, train_y, batch_size)


def eval_fn(iris, batch_size=100):
    _, (test_x, test_y) = iris
    return lambda: data.eval_input_fn(test_x, test_y, batch_size)


def predict_fn(batch_size=100):
    return lambda: data.eval_input_fn(data.PREDICT_X, None, batch_size)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, iris, columns):
    """A custom Estimator trained for the guide's 1000 steps, then evaluated once."""
    estimator = make_estimator(tmp_path_factory.mktemp("trained"), columns)
    estimator.train(train_fn(iris), steps=1000)
    return estimator, estimator.evaluate(eval_fn(iris))
