"""Helpers the tests share: an Estimator on the guide's model and the guide's three input functions."""
import iris_lib.quiet  # noqa: F401  (before TensorFlow)
from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.model import my_model_fn


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
