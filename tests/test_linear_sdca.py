"""`tf.estimator.experimental.LinearSDCA`: LinearClassifier (binary) and LinearRegressor (one label) trained by
stochastic dual coordinate ascent, checked against optima computed by hand (numpy), and the real one's
refusals with its messages. Parity with the real engine: tests/test_parity_linear_sdca.py."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1
from iris_lib.estimator import api
from iris_lib.estimator.canned import linear
from iris_lib.estimator.canned.linear import LinearSDCA

fc = tf.feature_column
X = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, -2.0], [-2.0, -1.0], [1.5, 0.5], [-0.5, -1.5], [0.5, -0.5],
              [-1.0, 0.5]], np.float32)
COLOR = np.array(["red", "blue", "red", "green", "blue", "green", "violet", "red"])  # violet: out of vocabulary
WEIGHT = np.array([[1.0], [2.0], [0.5], [1.0], [1.5], [1.0], [0.5], [2.0]], np.float32)
IDS = np.array([f"id{i}" for i in range(len(X))])
COLUMNS = [fc.numeric_column("x", shape=(2,)),
           fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])]


def design_matrix():
    """The model's inputs as SDCA sees them: x, color one-hot (violet none), then the bias's column of ones."""
    colors = np.array([[c == name for name in ("red", "green", "blue")] for c in COLOR], np.float64)
    return np.hstack([X, colors, np.ones((len(X), 1))])


def input_fn(labels):
    features = {"x": X, "color": COLOR, "w": WEIGHT, "example_id": IDS}
    return lambda: tf.data.Dataset.from_tensor_slices((features, labels)).batch(len(X)).repeat()


def fitted(estimator):
    """[x weights, color weights, bias] from the checkpoint, in design_matrix's order."""
    value = estimator.get_variable_value
    return np.concatenate([value("linear/linear_model/x/weights").ravel(),
                           value("linear/linear_model/color/weights").ravel(),
                           value("linear/linear_model/bias_weights")])


def test_linear_sdca_is_experimental_in_both_namespaces():
    assert iris_lib.tf1.estimator.experimental.LinearSDCA is LinearSDCA
    assert api.ESTIMATOR_V2.experimental.LinearSDCA is LinearSDCA


def test_sdca_regressor_converges_to_the_weighted_ridge_solution(tmp_path):
    # SDCA minimizes (sum_i w_i (y_i - z_i.b)^2 / 2 + l2 |b|^2 / 2) / sum_i w_i, the bias included in b:
    # b solves (Z'WZ + l2 I) b = Z'Wy.
    y = (X @ [1.0, -0.5] + 0.3 + 0.1 * np.arange(len(X)) % 3).astype(np.float32).reshape(-1, 1)
    z, w, l2 = design_matrix(), WEIGHT.ravel().astype(np.float64), 2.0
    optimum = np.linalg.solve(z.T @ (w[:, None] * z) + l2 * np.eye(z.shape[1]), z.T @ (w * y.ravel()))
    regressor = iris_lib.tf1.estimator.LinearRegressor(
        COLUMNS, model_dir=str(tmp_path), weight_column="w",
        optimizer=LinearSDCA("example_id", symmetric_l2_regularization=l2))
    regressor.train(input_fn(y), steps=60)
    np.testing.assert_allclose(fitted(regressor), optimum, atol=1e-5)
    # The V1 path's weights are one-part partitioned variables, their unshrunk copies named as the real one's.
    names = set(regressor.get_variable_names())
    assert {"linear/linear/linear_model/x/weights/part_0_unshrunk", "ShardedMutableHashTable-1-of-1-keys",
            "ShardedMutableHashTable-1-of-1-values"} <= names


def test_sdca_classifier_separates_a_separable_problem_at_the_regularized_optimum(tmp_path):
    labels = (X[:, :1] + X[:, 1:] > 0).astype(np.int64)  # separable by x0 + x1 = 0
    l2 = 0.5
    classifier = api.ESTIMATOR_V2.LinearClassifier(COLUMNS, model_dir=str(tmp_path),
                                                   optimizer=LinearSDCA("example_id", symmetric_l2_regularization=l2))
    classifier.train(input_fn(labels), steps=60)
    b, z = fitted(classifier), design_matrix()
    # At the optimum of sum_i logloss(z_i.b, y_i) + l2 |b|^2 / 2 the gradient vanishes.
    gradient = z.T @ (1 / (1 + np.exp(-z @ b)) - labels.ravel()) + l2 * b
    np.testing.assert_allclose(gradient, 0.0, atol=1e-4)
    metrics = classifier.evaluate(input_fn(labels), steps=1)
    assert metrics["accuracy"] == 1.0 and metrics["global_step"] == 60
    assert "linear/linear_model/x/weights_unshrunk" in classifier.get_variable_names()  # V2: no partitions


@pytest.mark.parametrize("make, message", [
    (lambda sdca: iris_lib.tf1.estimator.LinearClassifier(COLUMNS, n_classes=3, optimizer=sdca),
     "LinearSDCA cannot be used in a multi-class setting."),
    (lambda sdca: api.ESTIMATOR_V2.LinearClassifier(COLUMNS, sparse_combiner="mean", optimizer=sdca),
     'sparse_combiner must be "sum" when optimizer is a LinearSDCA object.'),
    (lambda sdca: api.ESTIMATOR_V2.LinearRegressor(COLUMNS, label_dimension=2, optimizer=sdca),
     "LinearSDCA can only be used with one-dimensional label."),
    (lambda sdca: iris_lib.tf1.estimator.LinearRegressor(COLUMNS, learning_rate=0.1, optimizer=sdca),
     "learning_rate=0.1 does not apply to LinearSDCA"),
])
def test_sdca_is_refused_where_the_real_one_refused_it(make, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        make(LinearSDCA("example_id"))


def test_sdca_needs_v2_feature_columns():
    with tf.Graph().as_default():  # TF1's shared embedding columns exist only in a graph
        v1_columns = tf.compat.v1.feature_column.shared_embedding_columns(
            [fc.categorical_column_with_identity("a", 3), fc.categorical_column_with_identity("b", 3)], 2)
    with pytest.raises(ValueError, match="V2 feature columns required when optimizer is a LinearSDCA object"):
        iris_lib.tf1.estimator.LinearClassifier(v1_columns, optimizer=LinearSDCA("example_id"))


def test_sdca_is_only_for_linear_classifier_and_regressor():
    with pytest.raises(NotImplementedError, match="only in LinearClassifier"):
        iris_lib.tf1.estimator.LinearEstimator(linear.RegressionHead(), COLUMNS, optimizer=LinearSDCA("id"))


def test_sdca_refuses_a_non_positive_l2_when_it_builds_the_train_step(tmp_path):
    regressor = api.ESTIMATOR_V2.LinearRegressor(COLUMNS, model_dir=str(tmp_path),
                                                 optimizer=LinearSDCA("example_id", symmetric_l2_regularization=0.0))
    with pytest.raises(ValueError, match="symmetric_l2_regularization should be positive"):
        regressor.train(input_fn(np.zeros((len(X), 1), np.float32)), steps=1)
