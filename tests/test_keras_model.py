"""The Keras 3 twin of the custom Estimator: same network, same optimizer, same data, and it learns."""
from __future__ import annotations

import numpy as np
import pytest

from iris_lib import keras_model as km
from iris_lib import data

import keras
import tensorflow as tf


@pytest.fixture(scope="module")
def trained() -> km.KerasResult:
    return km.train_and_evaluate(hidden_units=[10, 10], steps=1000, batch_size=100, seed=42)


def test_keras_model_learns_iris_in_1000_steps(trained):
    assert trained.steps == 1000  # optimizer.iterations counts steps as global_step did
    assert trained.test_accuracy >= 0.9
    assert trained.test_loss < 0.3
    assert trained.predicted_species == data.EXPECTED


def test_predictions_are_probabilities_of_the_three_guide_examples(trained):
    assert trained.probabilities.shape == (3, 3)
    assert trained.class_ids.shape == (3,)
    np.testing.assert_allclose(trained.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(trained.class_ids, trained.probabilities.argmax(axis=1))
    np.testing.assert_allclose(km.predict_proba(trained.model, data.PREDICT_X), trained.probabilities, rtol=1e-6)


def test_model_outputs_one_logit_per_class_for_each_example():
    model = km.build_model([10, 10])
    (train_x, _), _ = data.load_data()
    logits = model(km.to_array(train_x), training=False)
    assert tuple(logits.shape) == (len(train_x), 3)
    assert model.layers[-1].activation is keras.activations.linear  # logits, not probabilities


@pytest.mark.parametrize("hidden_units", [[10, 10], [3], [64, 64, 64], [5, 7, 2]])
def test_build_model_follows_hidden_units(hidden_units):
    model = km.build_model(hidden_units, n_classes=3)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [*hidden_units, 3]
    assert all(layer.activation is keras.activations.relu for layer in dense[:-1])
    sizes = [4, *hidden_units, 3]
    assert model.count_params() == sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def test_keras_model_has_the_variables_of_my_model_fn():
    """Same architecture as the custom Estimator: the model_fn's variables have the Keras weights' shapes."""
    from iris_lib.estimator import ModeKeys
    from iris_lib.model import my_model_fn

    params = {"feature_columns": [tf.compat.v1.feature_column.numeric_column(k) for k in data.FEATURE_NAMES],
              "hidden_units": [10, 10], "n_classes": 3}
    with tf.Graph().as_default():
        features = {k: tf.compat.v1.placeholder(tf.float32, [None]) for k in data.FEATURE_NAMES}
        my_model_fn(features, None, ModeKeys.PREDICT, params)
        estimator_shapes = [tuple(v.shape) for v in tf.compat.v1.trainable_variables()]
    keras_shapes = [tuple(w.shape) for w in km.build_model([10, 10]).trainable_weights]
    assert keras_shapes == estimator_shapes


def test_optimizer_takes_tf1_adagrad_steps():
    """One step equals TF1 AdagradOptimizer(0.1): accumulator starts at 0.1, w -= lr * g / sqrt(acc + g**2)."""
    keras.utils.set_random_seed(0)
    model = km.build_model([4])
    (train_x, train_y), _ = data.load_data()
    x, y = km.to_array(train_x[:100]), train_y[:100].to_numpy()
    before = [w.numpy().copy() for w in model.trainable_weights]
    with tf.GradientTape() as tape:
        loss = model.loss(y, model(x, training=True))
    grads = [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]
    model.train_on_batch(x, y)
    for w0, g, w1 in zip(before, grads, model.trainable_weights):
        np.testing.assert_allclose(w1.numpy(), w0 - 0.1 * g / np.sqrt(0.1 + g * g), atol=1e-5)


def test_same_seed_gives_identical_results_and_another_seed_differs():
    first = km.train_and_evaluate(steps=50, seed=7)
    again = km.train_and_evaluate(steps=50, seed=7)
    other = km.train_and_evaluate(steps=50, seed=8)
    for a, b in zip(first.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    assert first.test_loss == again.test_loss
    assert any(not np.array_equal(a, b) for a, b in zip(first.model.get_weights(), other.model.get_weights()))


def test_training_runs_exactly_the_requested_steps():
    assert km.train_and_evaluate(steps=7, batch_size=30).steps == 7


@pytest.mark.parametrize("hidden_units", [[], [10, 0], "10,10"])
def test_bad_hidden_units_are_refused_with_an_example(hidden_units):
    with pytest.raises(ValueError, match=r"\[10, 10\]"):
        km.build_model(hidden_units)


@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"steps": 1.5}, {"batch_size": -1}])
def test_bad_steps_or_batch_size_are_refused(kwargs):
    with pytest.raises(ValueError, match="positive whole number"):
        km.train_and_evaluate(**kwargs)


def test_missing_feature_is_named():
    features = {k: v for k, v in data.PREDICT_X.items() if k != "PetalWidth"}
    with pytest.raises(KeyError, match="PetalWidth"):
        km.to_array(features)
