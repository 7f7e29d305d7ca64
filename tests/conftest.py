"""Shared fixtures: the Iris split, feature columns and a model trained once per session."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

import iris_lib.quiet  # noqa: F401,E402
from iris_lib import data  # noqa: E402
from support import eval_fn, make_estimator, train_fn  # noqa: E402

import tensorflow as tf  # noqa: E402


@pytest.fixture(scope="session")
def iris():
    return data.load_data()


@pytest.fixture(scope="session")
def columns(iris):
    (train_x, _), _ = iris
    return [tf.compat.v1.feature_column.numeric_column(key=k) for k in train_x.keys()]


@pytest.fixture(scope="session")
def trained(tmp_path_factory, iris, columns):
    """A custom Estimator trained for the guide's 1000 steps, then evaluated once."""
    estimator = make_estimator(tmp_path_factory.mktemp("trained"), columns)
    estimator.train(train_fn(iris), steps=1000)
    return estimator, estimator.evaluate(eval_fn(iris))
