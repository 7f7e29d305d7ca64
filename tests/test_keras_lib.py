"""`tf.keras.estimator.model_to_estimator` (iris_lib.estimator.keras_lib): a compiled Keras model as an Estimator.

The same tutorial-style program runs on the real TF 2.15 in tests/legacy/programs/keras_model_to_estimator.py
(`make parity`); here, what only ours can show: the first checkpoint is the Keras model's weights, the
optimizer and metrics are the compiled ones, a BatchNormalization's statistics move, and what cannot be
converted is refused with what to do instead.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import RunConfig
from iris_lib.estimator.keras_lib import model_to_estimator

keras = tf.keras
rng = np.random.RandomState(0)
X = rng.uniform(0, 1, (60, 4)).astype(np.float32)
Y = (X[:, 0] * 3).astype(np.int64)


def input_fn(repeat=True):
    dataset = tf.data.Dataset.from_tensor_slices(({"dense_input": X}, Y)).batch(20)
    return dataset.repeat() if repeat else dataset


def key(path: str) -> str:
    """The real model_to_estimator's checkpoint key (Keras 2's object path) of `layer_with_weights-<i>/<weight>`."""
    return f"{path}/.ATTRIBUTES/VARIABLE_VALUE"


def compiled(*layers, optimizer="adam", metrics=("accuracy",)):
    model = keras.Sequential([keras.Input((4,)), *layers])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer=optimizer,
                  metrics=list(metrics))
    return model


def test_a_compiled_keras_model_becomes_an_estimator_that_starts_from_its_weights(tmp_path):
    model = compiled(keras.layers.Dense(8, activation="relu", name="dense"), keras.layers.Dense(3, name="dense_1"))
    estimator = model_to_estimator(keras_model=model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    assert tf.train.latest_checkpoint(str(tmp_path / "keras")).endswith("keras_model.ckpt")
    first = tf.train.load_checkpoint(str(tmp_path / "model.ckpt-0"))
    np.testing.assert_array_equal(first.get_tensor(key("layer_with_weights-0/kernel")), model.layers[0].kernel.numpy())
    assert key("layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m") in estimator.get_variable_names()  # Adam's
    estimator.train(input_fn, steps=99)
    estimator.train(input_fn, max_steps=100)  # the global step is read under its object key: nothing to do
    metrics = estimator.evaluate(lambda: input_fn(repeat=False))
    assert sorted(metrics) == ["accuracy", "global_step", "loss"] and metrics["global_step"] == 100
    predicted = np.array([p["dense_1"] for p in estimator.predict(lambda: input_fn(repeat=False))])
    weights = [estimator.get_variable_value(key(f"layer_with_weights-{layer}/{part}")) for layer in (0, 1)
               for part in ("kernel", "bias")]
    expected = np.maximum(X @ weights[0] + weights[1], 0) @ weights[2] + weights[3]
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)
    accuracy = np.mean(np.argmax(expected, 1) == Y)
    assert metrics["accuracy"] == pytest.approx(accuracy)


def test_a_compiled_rmsprop_takes_keras_2s_first_step(tmp_path):
    """Keras 2's RMSprop (what the real model_to_estimator ran) starts its mean square at 0 and adds epsilon
    outside the root, so a first step moves each weight by lr * |g| / (sqrt(1 - rho) * |g| + epsilon): with an
    epsilon far below any gradient here, lr / sqrt(1 - rho), whatever the (random) initial weights make g.
    tf.compat.v1's RMSProp starts it at 1 and would move them by about lr * |g|."""
    model = compiled(keras.layers.Dense(3, name="dense"),
                     optimizer=keras.optimizers.RMSprop(learning_rate=0.01, epsilon=1e-12))
    estimator = model_to_estimator(keras_model=model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    before = tf.train.load_variable(str(tmp_path / "model.ckpt-0"), key("layer_with_weights-0/kernel"))
    moved = np.abs(estimator.get_variable_value(key("layer_with_weights-0/kernel")) - before)
    np.testing.assert_allclose(moved, 0.01 / np.sqrt(0.1), rtol=1e-3)


def test_a_batch_normalization_moves_its_statistics_as_keras_2s_train_function_did(tmp_path):
    model = compiled(keras.layers.Dense(8, name="dense"), keras.layers.BatchNormalization(name="batch_normalization"),
                     keras.layers.Dense(3, name="logits"), optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    estimator = model_to_estimator(model, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=1))
    estimator.train(input_fn, steps=5)
    assert estimator.get_variable_value(key("layer_with_weights-1/moving_mean")).any()
    assert key("layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/momentum") in estimator.get_variable_names()


def test_checkpoint_format_saver_writes_the_keras_2_graphs_names(tmp_path):
    model = compiled(keras.layers.Dense(3, name="dense"), optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    estimator = model_to_estimator(model, model_dir=str(tmp_path), checkpoint_format="saver")
    estimator.train(input_fn, steps=2)
    assert sorted(estimator.get_variable_names()) == [
        "dense/bias", "dense/kernel", "global_step", "training/SGD/decay", "training/SGD/dense/bias/momentum",
        "training/SGD/dense/kernel/momentum", "training/SGD/learning_rate", "training/SGD/momentum"]
    assert estimator.get_variable_value("global_step") == 2


@pytest.mark.parametrize("loss, activation, labels", [
    ("mse", None, X[:, :1] * 2),
    ("binary_crossentropy", "sigmoid", (X[:, :1] > 0.5).astype(np.float32)),
    ("sparse_categorical_crossentropy", "softmax", Y),
])
def test_a_loss_given_by_name_is_averaged_over_the_batch_as_keras_2_compile_did(tmp_path, loss, activation, labels):
    units = 3 if loss.startswith("sparse") else 1
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
    model.compile(loss=loss, optimizer=keras.optimizers.SGD(0.0))  # the weights stay the model's
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    whole = lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, labels)).batch(len(X))  # noqa: E731
    estimator.train(whole, steps=1)  # was InvalidArgumentError: Input to reshape is a tensor with 60 values
    expected = float(tf.reduce_mean(keras.losses.get(loss)(labels, model(X))))
    assert estimator.evaluate(whole)["loss"] == pytest.approx(expected, rel=1e-5)


def test_any_keras_metric_runs_as_a_fresh_keras_metric_in_the_graph(tmp_path):
    """Metrics without a tf.compat.v1.metrics counterpart (the real one ran Keras 2's objects) are Keras's own."""
    model = compiled(keras.layers.Dense(3), metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=2),
                                                     "sparse_categorical_crossentropy"])
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    outputs = tf.nn.softmax(model(X))  # the weights a first step at the default rate barely moved
    metrics = estimator.evaluate(lambda: input_fn(repeat=False))
    top_2 = np.mean([label in np.argsort(row)[-2:] for row, label in zip(outputs.numpy(), Y)])
    assert metrics["sparse_top_k_categorical_accuracy"] == pytest.approx(top_2, abs=0.05)
    assert metrics["sparse_categorical_crossentropy"] > 0


def unbuilt():
    model = keras.Sequential([keras.layers.Dense(3)])
    model.compile(loss="mse", optimizer="sgd")
    return model


@pytest.mark.parametrize("make, message", [
    (lambda: model_to_estimator(), "Either `keras_model` or `keras_model_path` needs to be provided"),
    (lambda: model_to_estimator(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])), "not been compiled"),
    (lambda: model_to_estimator(unbuilt()), "has none yet: start it with keras.Input"),
    (lambda: model_to_estimator(compiled(keras.layers.Dense(3), optimizer="adamax")), "has none for Adamax"),
    (lambda: model_to_estimator(compiled(keras.layers.Dense(3), optimizer=keras.optimizers.Nadam(
        keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)))), "Nadam optimizer does not support"),
    (lambda: model_to_estimator(compiled(keras.layers.Dense(3), metrics=["not_a_metric"])),
     "cannot make the metric 'not_a_metric'"),
    (lambda: model_to_estimator(compiled(keras.layers.Dense(3)), checkpoint_format="h5"), "Checkpoint format"),
])
def test_what_cannot_be_converted_is_refused_with_what_to_do(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_subclassed_model_is_refused_with_what_to_do_instead():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, inputs):
            return self.dense(inputs)

    model = Subclassed()
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(ValueError, match="subclassed .*call its layers in a model_fn"):
        model_to_estimator(model)


def test_the_shim_puts_it_where_tf_keras_had_it():
    import iris_lib.estimator_shim  # noqa: F401
    assert tf.keras.estimator.model_to_estimator is model_to_estimator


def two_heads(optimizer):
    """A functional model with two outputs, `class` (softmax) and `score` (a regression), compiled per output."""
    inputs = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, {"class": keras.layers.Dense(3, activation="softmax", name="class")(hidden),
                                 "score": keras.layers.Dense(1, name="score")(hidden)})
    model.compile(optimizer=optimizer, loss={"class": "sparse_categorical_crossentropy", "score": "mse"},
                  loss_weights={"class": 1.0, "score": 0.5}, metrics={"class": ["accuracy"]})
    return model


SCORE = X[:, :1] - 2 * X[:, 3:]


def by_output(labels=None):
    return tf.data.Dataset.from_tensor_slices(({"features": X}, labels or {"class": Y, "score": SCORE})).batch(60)


def test_a_model_with_two_outputs_takes_labels_by_output_name_and_predicts_and_names_metrics_per_output(tmp_path):
    """As Keras 2's: the loss is each output's loss times its weight, summed; the metrics are `<output>_<metric>`;
    the predictions are keyed by output name; the layers are numbered in the model's order (class before score)."""
    model = two_heads(keras.optimizers.SGD(0.0))  # the weights stay the model's
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    estimator.train(by_output, steps=1)
    metrics = estimator.evaluate(by_output)
    outputs = model(X)
    expected_loss = (keras.losses.sparse_categorical_crossentropy(Y, outputs["class"]).numpy().mean()
                     + 0.5 * np.mean((outputs["score"].numpy() - SCORE) ** 2))
    assert sorted(metrics) == ["class_accuracy", "global_step", "loss"]
    assert metrics["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert metrics["class_accuracy"] == pytest.approx(np.mean(np.argmax(outputs["class"], 1) == Y))
    predicted = list(estimator.predict(lambda: tf.data.Dataset.from_tensor_slices({"features": X[:3]}).batch(3)))
    assert sorted(predicted[0]) == ["class", "score"]
    np.testing.assert_allclose([p["score"] for p in predicted], outputs["score"][:3], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(estimator.get_variable_value(key("layer_with_weights-1/kernel")),
                                  model.get_layer("class").kernel.numpy())
    with pytest.raises(KeyError, match="Missed keys: {'score'}"):
        estimator.evaluate(lambda: by_output({"class": Y}))


@pytest.mark.parametrize("legacy", [False, True], ids=["keras Nadam", "legacy Nadam"])
def test_nadam_takes_keras_2s_first_step_and_keeps_its_momentum_cache(tmp_path, legacy):
    """Keras 2's Nadam (what the real one ran, converting Keras's): with an epsilon far below any gradient, a
    first step moves each weight by lr * (1 + mu_2 * (1 - beta_1) / (1 - mu_1 * mu_2)), whatever the gradient,
    where mu_t = beta_1 * (1 - 0.5 * 0.96 ** (0.004 * t)); the momentum cache (from 1) is then mu_1."""
    import iris_lib.estimator_shim  # noqa: F401  (tf.keras.optimizers.legacy)
    nadam = tf.keras.optimizers.legacy.Nadam if legacy else keras.optimizers.Nadam
    model = compiled(keras.layers.Dense(3, name="dense"), optimizer=nadam(0.01, epsilon=1e-12))
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    before = tf.train.load_variable(str(tmp_path / "model.ckpt-0"), key("layer_with_weights-0/kernel"))
    moved = np.abs(estimator.get_variable_value(key("layer_with_weights-0/kernel")) - before)
    mu_1, mu_2 = (0.9 * (1 - 0.5 * 0.96 ** (0.004 * t)) for t in (1, 2))
    np.testing.assert_allclose(moved, 0.01 * (1 + mu_2 * 0.1 / (1 - mu_1 * mu_2)), rtol=1e-3)
    assert estimator.get_variable_value(key("optimizer/momentum_cache")) == pytest.approx(mu_1)
    assert estimator.get_variable_value(key("optimizer/decay")) == pytest.approx(0.004)  # Keras 2's schedule_decay
    assert key("layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/v") in estimator.get_variable_names()


def test_a_keras_optimizer_with_a_learning_rate_schedule_follows_it_by_the_global_step(tmp_path):
    """The real one converted Keras's Adam to Keras 2's, schedule and all: the rate is the schedule at the global
    step (0.1, then 1e-10 here), so two steps move each weight by Adam's first step, 0.1, and no more; a rate
    that is a schedule is no variable in the checkpoint."""
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=1e-9)
    model = compiled(keras.layers.Dense(3, name="dense"), optimizer=keras.optimizers.Adam(schedule, epsilon=1e-12))
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=2)
    before = tf.train.load_variable(str(tmp_path / "model.ckpt-0"), key("layer_with_weights-0/kernel"))
    moved = np.abs(estimator.get_variable_value(key("layer_with_weights-0/kernel")) - before)
    np.testing.assert_allclose(moved, 0.1, rtol=1e-3)
    assert sorted(name for name in estimator.get_variable_names() if name.startswith("optimizer/")) == [
        key("optimizer/beta_1"), key("optimizer/beta_2"), key("optimizer/decay")]


def test_a_keras_optimizer_that_clips_runs_as_keras_2s_clipping_one(tmp_path):
    """The real one converted it to Keras 2's, which clipped each gradient component to `clipvalue` (was refused):
    a step of SGD at rate 1 moves no weight by more than 1e-3, and those with a larger gradient by exactly that."""
    model = compiled(keras.layers.Dense(3, name="dense"), optimizer=keras.optimizers.SGD(1.0, clipvalue=1e-3))
    estimator = model_to_estimator(model, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    before = tf.train.load_variable(str(tmp_path / "model.ckpt-0"), key("layer_with_weights-0/kernel"))
    moved = np.abs(estimator.get_variable_value(key("layer_with_weights-0/kernel")) - before)
    assert moved.max() == pytest.approx(1e-3, rel=1e-3) and (moved <= 1e-3 * (1 + 1e-3)).all()
