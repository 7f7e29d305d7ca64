"""Keras layers inside a model_fn run as Keras 2 ran them there (`iris_lib.estimator.keras_in_graph`).

The real Estimator (with Keras 2) gave a model_fn's `tf.keras.layers.Dense(...)` the same names in the
train, eval, predict and export graphs (`dense/kernel`, `sequential/dense_1/kernel`): Keras 2 counted names
per graph. Keras 3 counts per process, so without keras_in_graph the eval graph asked the checkpoint for
`dense_3/kernel`; and its Dropout drew one mask for every step. The same program on the real engine:
tests/legacy/programs/keras_layers_model_fn.py.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1 as tf1
from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from iris_lib.estimator.export import build_raw_serving_input_receiver_fn

v1 = tf.compat.v1
X = np.random.RandomState(0).uniform(-1, 1, (24, 4)).astype(np.float32)
Y = np.argmax(X[:, :3], axis=1).astype(np.int32)
KERAS_2_NAMES = ["dense/bias", "dense/kernel", "dense_2/bias", "dense_2/kernel", "global_step",
                 "sequential/dense_1/bias", "sequential/dense_1/kernel", "sequential/named/bias",
                 "sequential/named/kernel"]


def model_fn(features, labels, mode):
    hidden = tf.keras.layers.Dense(8, activation="relu")(features["x"])
    hidden = tf.keras.Sequential([tf.keras.layers.Dense(8), tf.keras.layers.Dense(6, name="named")])(hidden)
    logits = tf.keras.layers.Dense(3)(hidden)
    predictions = {"class_ids": tf.argmax(logits, 1), "logits": logits}
    if mode == ModeKeys.PREDICT:
        return EstimatorSpec(mode, predictions=predictions)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(8)


def test_keras_layers_keep_their_names_from_train_to_evaluate_predict_and_export(tmp_path):
    estimator = Estimator(model_fn, model_dir=str(tmp_path / "model"))
    estimator.train(input_fn, steps=3)
    assert sorted(estimator.get_variable_names()) == KERAS_2_NAMES
    trained = estimator.get_variable_value("dense/kernel")
    assert estimator.evaluate(input_fn)["global_step"] == 3
    estimator.train(input_fn, steps=3)  # restores step 3: the second train graph names its layers alike
    assert estimator.evaluate(input_fn)["global_step"] == 6
    assert sorted(estimator.get_variable_names()) == KERAS_2_NAMES
    assert not np.array_equal(estimator.get_variable_value("dense/kernel"), trained)

    predicted = np.array([p["logits"] for p in estimator.predict(input_fn)])
    value = estimator.get_variable_value
    expected = np.maximum(X @ value("dense/kernel") + value("dense/bias"), 0)
    for layer in ("sequential/dense_1", "sequential/named", "dense_2"):
        expected = expected @ value(f"{layer}/kernel") + value(f"{layer}/bias")
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)

    receiver = build_raw_serving_input_receiver_fn({"x": tf.zeros([1, 4])})
    export_dir = estimator.export_saved_model(str(tmp_path / "export"), receiver).decode()
    served = tf.saved_model.load(export_dir).signatures["serving_default"](x=tf.constant(X[:2]))
    np.testing.assert_allclose(served["logits"].numpy(), predicted[:2], rtol=1e-5, atol=1e-6)


def test_layers_in_a_row_are_dense_dense_1_dense_2_with_their_ops_in_their_own_scope(tmp_path):
    """Keras 2 built and called a layer in one name scope; Keras 3 opens it twice (build, call), and in a TF1
    graph the second is uniquified, so the next layer's variables were `dense_1_1/kernel` and a real
    checkpoint (`dense_1/kernel`) did not restore."""
    def three_in_a_row(features, labels, mode):
        hidden = tf.keras.layers.Dense(8, activation="relu")(features["x"])
        hidden = tf.keras.layers.Dense(8, activation="relu")(hidden)
        logits = tf.keras.layers.Dense(3)(hidden)
        matmuls = sorted(op.name for op in v1.get_default_graph().get_operations() if op.type == "MatMul")
        assert matmuls == ["dense/MatMul", "dense_1/MatMul", "dense_2/MatMul"]
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        return EstimatorSpec(mode, loss=loss, train_op=v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=v1.train.get_global_step()))

    estimator = Estimator(three_in_a_row, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=1)
    assert sorted(estimator.get_variable_names()) == [
        "dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel", "dense_2/bias", "dense_2/kernel", "global_step"]
    assert estimator.evaluate(input_fn)["global_step"] == 1


def test_keras_names_layers_outside_a_model_fn_from_its_own_counter_as_before(tmp_path):
    before = tf.keras.layers.Dense(1).name
    Estimator(model_fn, model_dir=str(tmp_path)).train(input_fn, steps=1)  # three Dense layers in its graph
    after = tf.keras.layers.Dense(1).name
    number = lambda name: int(name.rpartition("_")[2]) if "_" in name else 0  # noqa: E731
    assert number(after) == number(before) + 1, (before, after)


def test_keras_3_dropout_keeps_a_seed_variable_in_the_checkpoint_and_batch_norm_updates_wait_to_be_run(tmp_path):
    """The two differences companion/differences.md names: Keras 3's random layers hold their seed in a
    variable (Keras 2's Dropout had none), and a Keras BatchNormalization's moving statistics change only
    if the model_fn runs their updates, on both engines (TF 2.15 gave zeros too: measured with the same model)."""
    def with_dropout_and_batch_norm(features, labels, mode):
        hidden = tf.keras.layers.Dense(8)(features["x"])
        hidden = tf.keras.layers.Dropout(0.3)(hidden, training=mode == ModeKeys.TRAIN)
        hidden = tf.keras.layers.BatchNormalization()(hidden, training=mode == ModeKeys.TRAIN)
        logits = tf.keras.layers.Dense(3)(hidden)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        return EstimatorSpec(mode, loss=loss, train_op=v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=v1.train.get_global_step()))

    estimator = Estimator(with_dropout_and_batch_norm, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=3)
    assert estimator.evaluate(input_fn)["global_step"] == 3
    assert "seed_generator/seed_generator_state" in estimator.get_variable_names()
    assert not estimator.get_variable_value("batch_normalization/moving_mean").any()


def dropout_model_fn(features, labels, mode):
    hidden = tf.keras.layers.Dense(8)(features["x"])
    hidden = tf.keras.layers.Dropout(0.5)(hidden, training=mode == ModeKeys.TRAIN)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, tf.keras.layers.Dense(3)(hidden))
    return EstimatorSpec(mode, loss=loss, train_op=v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, global_step=v1.train.get_global_step()))


def test_a_keras_dropout_draws_a_new_mask_at_every_step_from_the_graph_seed(tmp_path):
    """Keras 3 advances its seed with an assign that nothing in a TF1 graph ran: the same mask at every step,
    from a seed Python's `random` chose. As Keras 2 there, each step draws anew, and tf_random_seed fixes it."""
    with tf.Graph().as_default():
        v1.set_random_seed(3)
        masked = tf.keras.layers.Dropout(0.5)(tf.ones([1, 64]), training=True)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            masks = [session.run(masked).tolist() for _ in range(3)]
    assert masks[0] != masks[1] != masks[2]

    def trained(name, seed):
        estimator = Estimator(dropout_model_fn, model_dir=str(tmp_path / name), config=RunConfig(tf_random_seed=seed))
        estimator.train(lambda: input_fn().repeat(), steps=6)
        return estimator

    first, again, other = trained("first", 5), trained("again", 5), trained("other", 6)
    state = first.get_variable_value("seed_generator/seed_generator_state")
    assert state[1] == 6  # advanced once per step
    assert np.array_equal(state, again.get_variable_value("seed_generator/seed_generator_state"))
    assert np.array_equal(first.get_variable_value("dense/kernel"), again.get_variable_value("dense/kernel"))
    assert not np.array_equal(state, other.get_variable_value("seed_generator/seed_generator_state"))


def metrics_model_fn(features, labels, mode, params):
    """Keras metric objects in eval_metric_ops beside the v1 metrics that compute the same numbers."""
    logits = tf1.layers.dense(features["x"], 3, kernel_initializer=v1.constant_initializer(0.1))
    classes = tf.argmax(logits, 1)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = v1.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=v1.train.get_global_step())
    keras_accuracy, keras_mean = tf.keras.metrics.Accuracy(), tf.keras.metrics.Mean()
    if params["update"]:
        keras_accuracy.update_state(labels, classes)
        keras_mean.update_state(logits[:, 0], sample_weight=features["x"][:, 1] + 2)
    return EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops={
        "keras accuracy": keras_accuracy, "keras mean": keras_mean,
        "v1 accuracy": v1.metrics.accuracy(labels, classes),
        "v1 mean": v1.metrics.mean(logits[:, 0], weights=features["x"][:, 1] + 2)})


def test_keras_metric_objects_in_eval_metric_ops_count_as_v1_metrics_and_stay_out_of_checkpoints(tmp_path):
    estimator = Estimator(metrics_model_fn, model_dir=str(tmp_path), params={"update": True})
    estimator.train(input_fn, steps=2)
    assert sorted(estimator.get_variable_names()) == ["dense/bias", "dense/kernel", "global_step"]
    evaluations = [estimator.evaluate(input_fn, steps=steps) for steps in (None, 1)]
    for metrics in evaluations:
        assert metrics["keras accuracy"] == metrics["v1 accuracy"]
        np.testing.assert_allclose(metrics["keras mean"], metrics["v1 mean"], rtol=1e-6)
    assert evaluations[0]["keras mean"] != evaluations[1]["keras mean"]  # each evaluation starts from zero


def test_a_keras_metric_never_updated_is_refused_by_name(tmp_path):
    estimator = Estimator(metrics_model_fn, model_dir=str(tmp_path), params={"update": False})
    with pytest.raises(ValueError, match=re.escape('Please call update_state(...) on the "accuracy" metric')):
        estimator.train(input_fn, steps=1)


def guide_model():
    """TensorFlow's TF2 guide's model for a model_fn: a Keras Sequential, regularized and batch-normalized."""
    return tf.keras.Sequential([
        tf.keras.layers.Dense(6, activation="relu", kernel_regularizer=tf.keras.regularizers.l2(0.01),
                              activity_regularizer=tf.keras.regularizers.l1(0.1)),
        tf.keras.layers.BatchNormalization(momentum=0.5),
        tf.keras.layers.Dense(3)])


def test_get_updates_for_and_get_losses_for_give_batch_norm_assigns_and_regularization_losses_as_keras_2():
    """Keras 2's base_layer_v1 rule: `None` gives what no call's inputs reach (the kernel's l2 loss), the
    inputs give what depends on them (the moving mean and variance assigns, the activity regularizer's loss)."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 4])
        model = guide_model()
        model(x, training=True)
        assert model.get_updates_for(None) == []
        updates = model.get_updates_for(x)
        assert sorted(op.type for op in updates) == ["AssignVariableOp", "AssignVariableOp"]
        batch_norm = model.layers[1]
        assert {op.inputs[0].op.name for op in updates} == {
            v.value.handle.op.name for v in (batch_norm.moving_mean, batch_norm.moving_variance)}
        [weight_loss], [activity_loss] = model.get_losses_for(None), model.get_losses_for(x)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            kernel = session.run(model.layers[0].kernel.value)
            inputs = X[:2]
            hidden = np.maximum(inputs @ kernel, 0)  # the bias starts at zero
            weight, activity = session.run([weight_loss, activity_loss], {x: inputs})
            np.testing.assert_allclose(weight, 0.01 * np.sum(kernel ** 2), rtol=1e-6)
            np.testing.assert_allclose(activity, 0.1 * hidden.sum() / 2, rtol=1e-5)  # per example, as Keras 2
            assert not session.run(batch_norm.moving_mean.value).any()
            session.run(updates, {x: inputs})
            np.testing.assert_allclose(session.run(batch_norm.moving_mean.value), hidden.mean(0) * 0.5, rtol=1e-5)


def guide_model_fn(features, labels, mode):
    """The TF2 guide's model_fn, with `var_list=model.trainable_variables` for a tf.compat.v1.train optimizer."""
    model = guide_model()
    logits = model(features["x"], training=mode == ModeKeys.TRAIN)
    if mode == ModeKeys.PREDICT:
        return EstimatorSpec(mode, predictions={"logits": logits})
    reg_losses = model.get_losses_for(None) + model.get_losses_for(features["x"])
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits) + tf.math.add_n(reg_losses)
    update_ops = model.get_updates_for(None) + model.get_updates_for(features["x"])
    minimize_op = v1.train.AdamOptimizer(0.05).minimize(
        loss, var_list=model.trainable_variables, global_step=v1.train.get_or_create_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=tf.group(minimize_op, update_ops))


def test_a_v1_optimizer_minimizes_over_a_keras_models_trainable_variables(tmp_path):
    """Keras 3's variables wrap a tf.Variable; TF's v1 optimizer, given them, failed on `_in_graph_mode`."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 4])
        model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        loss = tf.reduce_sum(model(x) ** 2)
        grads_and_vars = v1.train.GradientDescentOptimizer(0.1).compute_gradients(loss, model.trainable_variables)
        assert [v for _, v in grads_and_vars] == [v.value for v in model.trainable_variables]
    estimator = Estimator(guide_model_fn, model_dir=str(tmp_path))
    estimator.train(lambda: input_fn().repeat(), steps=4)
    assert estimator.get_variable_value("global_step") == 4
    assert sorted(name for name in estimator.get_variable_names() if "Adam" in name) == sorted(
        f"sequential/{layer}/{weight}/Adam{slot}" for layer, weights in (
            ("dense", ("kernel", "bias")), ("batch_normalization", ("gamma", "beta")), ("dense_1", ("kernel", "bias")))
        for weight in weights for slot in ("", "_1"))


def test_batch_norm_moving_statistics_move_in_train_and_evaluate_and_predict_use_them(tmp_path):
    estimator = Estimator(guide_model_fn, model_dir=str(tmp_path))
    estimator.train(lambda: input_fn().repeat(), steps=6)
    value = lambda name: estimator.get_variable_value(f"sequential/{name}")  # noqa: E731
    assert value("batch_normalization/moving_mean").any()
    assert not np.allclose(value("batch_normalization/moving_variance"), 1)
    hidden = np.maximum(X @ value("dense/kernel") + value("dense/bias"), 0)
    normalized = ((hidden - value("batch_normalization/moving_mean"))
                  / np.sqrt(value("batch_normalization/moving_variance") + 1e-3)
                  * value("batch_normalization/gamma") + value("batch_normalization/beta"))
    logits = normalized @ value("dense_1/kernel") + value("dense_1/bias")
    predicted = np.array([p["logits"] for p in estimator.predict(input_fn)])
    np.testing.assert_allclose(predicted, logits, rtol=1e-5, atol=1e-5)
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected_loss = (-log_softmax[np.arange(len(Y)), Y].mean() + 0.01 * np.sum(value("dense/kernel") ** 2)
                     + 0.1 * hidden.sum(1).mean())
    np.testing.assert_allclose(estimator.evaluate(
        lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(24))["loss"],
                               expected_loss, rtol=1e-5)
