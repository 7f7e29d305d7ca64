"""`tf.keras.optimizers.legacy` (`iris_lib.estimator.keras_legacy_optimizers`): Keras 2's updates in a v1 graph.

Each update is checked against Keras 2's formula (`keras/src/optimizers/legacy/*.py` in TF 2.15) on a tiny graph,
with the gradients given; the same programs agree with the real Keras 2 optimizers in
`tests/test_parity_programs.py::keras_legacy_optimizers`. The shim's `tf.keras.optimizers.legacy` is tested in a
fresh interpreter, because it changes the `tensorflow` module for the rest of the process.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1 as tf1
from support import run_program
from iris_lib.estimator import Estimator, RunConfig, canned
from iris_lib.estimator import keras_legacy_optimizers as legacy
from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.model_fn import EstimatorSpec

v1 = tf.compat.v1


def run_updates(optimizer, start, grads, global_step_start=None, set_iterations=False):
    """`start` after one `apply_gradients` per gradient in `grads` (constants); also the global step and the
    optimizer's `iterations` (a v1 optimizer has none: the global step again) at the end."""
    with tf.Graph().as_default():
        global_step = v1.train.get_or_create_global_step()
        var = v1.get_variable("w", initializer=np.array(start, np.float32), use_resource=True)
        if set_iterations:
            optimizer.iterations = global_step
        grad = v1.placeholder(tf.float32, var.shape)
        step = optimizer.apply_gradients([(grad, var)])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            if global_step_start is not None:
                global_step.load(global_step_start, session)
            for g in grads:
                session.run(step, {grad: np.array(g, np.float32)})
            return session.run([var, global_step, getattr(optimizer, "iterations", global_step)])


GRADS = [[0.5, -1e-3], [0.3, 2e-3], [-0.2, 1e-3]]


def test_sgd_with_nesterov_momentum_follows_keras_at_a_changing_rate():
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    value, *_ = run_updates(legacy.SGD(schedule, momentum=0.9, nesterov=True), [1.0, 2.0], GRADS)
    var, accum = np.array([1.0, 2.0]), np.zeros(2)
    for t, g in enumerate(np.array(GRADS)):
        lr = 0.1 * 0.5 ** (t / 2)  # the schedule at `iterations`
        accum = 0.9 * accum - lr * g
        var = var + 0.9 * accum - lr * g  # Keras's momentum, not v1's `accum = 0.9 * accum + g; var -= lr * accum`
    np.testing.assert_allclose(value, var, rtol=1e-6)


def test_adam_corrects_its_bias_from_iterations_which_may_be_the_global_step():
    own, _, own_steps = run_updates(legacy.Adam(0.1), [1.0, 2.0], GRADS)
    from_step_5, global_step, iterations = run_updates(legacy.Adam(0.1), [1.0, 2.0], GRADS, global_step_start=5,
                                                        set_iterations=True)

    def keras_adam(first_step):
        var, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
        for t, g in enumerate(np.array(GRADS), start=first_step + 1):
            lr_t = 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            m, v = m + (g - m) * 0.1, v + (g * g - v) * 0.001
            var = var - lr_t * m / (np.sqrt(v) + 1e-7)
        return var

    np.testing.assert_allclose(own, keras_adam(0), rtol=1e-6)
    np.testing.assert_allclose(from_step_5, keras_adam(5), rtol=1e-6)
    assert own_steps == 3 and global_step == iterations == 8


def test_adagrad_divides_by_root_accumulator_plus_epsilon_at_the_decayed_rate():
    value, *_ = run_updates(legacy.Adagrad(0.1, decay=0.5), [1.0, 2.0], GRADS)
    var, accum = np.array([1.0, 2.0]), np.full(2, 0.1)
    for t, g in enumerate(np.array(GRADS)):
        accum = accum + g * g
        var = var - 0.1 / (1 + 0.5 * t) * g / (np.sqrt(accum) + 1e-7)
    np.testing.assert_allclose(value, var, rtol=1e-6)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_starts_at_zero_with_epsilon_outside_the_root(centered):
    value, *_ = run_updates(legacy.RMSprop(0.01, centered=centered), [1.0, 2.0], GRADS)
    var, rms, mg = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    for g in np.array(GRADS):
        rms, mg = 0.9 * rms + 0.1 * g * g, 0.9 * mg + 0.1 * g
        var = var - 0.01 * g / (np.sqrt(rms - mg * mg if centered else rms) + 1e-7)
    np.testing.assert_allclose(value, var, rtol=1e-5)


def test_rmsprop_with_momentum_uses_tensorflows_kernel_from_zero():
    value, *_ = run_updates(legacy.RMSprop(0.01, momentum=0.5), [1.0, 2.0], GRADS)
    var, ms, mom = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    for g in np.array(GRADS):
        ms = 0.9 * ms + 0.1 * g * g
        mom = 0.5 * mom + 0.01 * g / np.sqrt(ms + 1e-7)
        var = var - mom
    np.testing.assert_allclose(value, var, rtol=1e-5)


def test_the_v2_rmsprop_by_name_is_keras_rmsprop():
    value, *_ = run_updates(optimizers.get_optimizer_instance_v2("RMSProp"), [1.0, 2.0], GRADS[:1])
    g = np.array(GRADS[0])
    np.testing.assert_allclose(value, [1.0, 2.0] - 0.001 * g / (np.sqrt(0.1 * g * g) + 1e-7), rtol=1e-6)


def test_ftrl_with_l1_l2_and_beta():
    value, *_ = run_updates(legacy.Ftrl(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                                        beta=0.1), [0.0, 0.5], GRADS)
    var, accum, linear = np.array([0.0, 0.5]), np.full(2, 0.1), np.zeros(2)
    l2 = 0.02 + 0.1 / (2 * 0.1)  # Keras's beta, added to l2 as beta / (2 * lr)
    for g in np.array(GRADS):
        new_accum = accum + g * g
        linear = linear + g - (np.sqrt(new_accum) - np.sqrt(accum)) / 0.1 * var
        quadratic = np.sqrt(new_accum) / 0.1 + 2 * l2
        var = np.where(np.abs(linear) > 0.01, (np.sign(linear) * 0.01 - linear) / quadratic, 0.0)
        accum = new_accum
    np.testing.assert_allclose(value, var, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("clip, expected", [
    ({"clipnorm": 1.0}, [0.6, 0.8]),  # each gradient to norm 1
    ({"clipvalue": 0.5}, [0.5, 0.5]),
    ({"global_clipnorm": 2.5}, [1.5, 2.0]),
])
def test_gradients_are_clipped_before_the_update(clip, expected):
    value, *_ = run_updates(legacy.SGD(1.0, **clip), [0.0, 0.0], [[3.0, 4.0]])
    np.testing.assert_allclose(value, np.negative(expected), rtol=1e-6)


def test_sparse_gradients_move_only_their_rows_with_momentum():
    with tf.Graph().as_default():
        table = v1.get_variable("table", initializer=[[1.0], [2.0], [3.0]], use_resource=True)
        optimizer = legacy.SGD(0.1, momentum=0.9)
        step = optimizer.get_updates(tf.reduce_sum(tf.gather(table, [0])), [table])[0]
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            for _ in range(3):
                session.run(step)
            value = session.run(table).ravel()
    accum, row = 0.0, 1.0
    for _ in range(3):
        accum = 0.9 * accum - 0.1
        row += accum
    np.testing.assert_allclose(value, [row, 2.0, 3.0], rtol=1e-6)


def test_get_updates_steps_the_global_step_only_when_it_is_iterations():
    def three_updates(set_iterations):
        with tf.Graph().as_default():
            global_step = v1.train.get_or_create_global_step()
            var = v1.get_variable("w", initializer=[1.0, 2.0], use_resource=True)
            optimizer = legacy.Adam(0.1)
            if set_iterations:
                optimizer.iterations = global_step
            updates = optimizer.get_updates(tf.reduce_sum(var * var), [var])
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                for _ in range(3):
                    session.run(updates)
                return session.run([global_step, optimizer.iterations])

    assert three_updates(set_iterations=False) == [0, 3]
    assert three_updates(set_iterations=True) == [3, 3]


def test_minimize_takes_a_loss_function_or_a_tensor_with_its_tape_as_keras_2():
    with tf.Graph().as_default():
        var = v1.get_variable("w", initializer=[1.0, -2.0], use_resource=True)
        optimizer = legacy.SGD(0.1)
        step = optimizer.minimize(lambda: tf.reduce_sum(var * var), [var])
        with pytest.raises(ValueError, match="`tape` is required when a `Tensor` loss is passed"):
            optimizer.minimize(tf.reduce_sum(var * var), [var])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            session.run(step)
            np.testing.assert_allclose(session.run(var), [1.0 - 0.2, -2.0 + 0.4], rtol=1e-6)
            assert session.run(optimizer.iterations) == 1


def test_iterations_is_set_once_as_in_keras_2():
    optimizer = legacy.SGD()
    optimizer.iterations = tf.Variable(0, dtype=tf.int64)
    with pytest.raises(RuntimeError, match="Cannot set `iterations`.*lambda: tf.keras.optimizers.legacy.SGD"):
        optimizer.iterations = tf.Variable(0, dtype=tf.int64)


def test_constructors_and_configs_are_keras_2s():
    assert legacy.SGD().get_config() == {"name": "SGD", "learning_rate": 0.01, "decay": 0.0, "momentum": 0.0,
                                         "nesterov": False}
    assert legacy.Adam(clipnorm=1.0).get_config() == {
        "name": "Adam", "clipnorm": 1.0, "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}
    assert legacy.RMSprop().get_config() == {"name": "RMSprop", "learning_rate": 0.001, "decay": 0.0, "rho": 0.9,
                                             "momentum": 0.0, "epsilon": 1e-07, "centered": False}
    assert legacy.Adagrad.from_config(legacy.Adagrad(0.2).get_config()).get_config()["learning_rate"] == 0.2
    assert legacy.Ftrl(l1_regularization_strength=0.5).l1_regularization_strength == 0.5
    optimizer = legacy.Adam(0.01)
    optimizer.lr = 0.02
    assert optimizer.learning_rate == 0.02
    with pytest.raises(TypeError, match="Unexpected keyword argument passed to optimizer: momentum"):
        legacy.Adam(momentum=0.9)
    with pytest.raises(ValueError, match="Cannot accept both `clipnorm` and `global_clipnorm`"):
        legacy.SGD(clipnorm=1.0, global_clipnorm=1.0)


def model_fn(features, labels, mode, params):
    logits = tf1.layers.dense(features["x"], 3, name="logits", kernel_initializer=v1.zeros_initializer())
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    optimizer = legacy.Adam(0.1)
    if params["set_iterations"]:
        optimizer.iterations = v1.train.get_global_step()  # as the real canned Estimators did
    return EstimatorSpec(mode, loss=loss, train_op=optimizer.get_updates(loss, v1.trainable_variables())[0])


def input_fn():
    x = np.random.RandomState(0).uniform(-1, 1, (20, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(({"x": x}, (x[:, 0] > 0).astype(np.int64))).repeat().batch(5)


def test_a_model_fn_with_get_updates_trains_when_iterations_is_the_global_step(tmp_path):
    estimator = Estimator(model_fn, model_dir=str(tmp_path / "set"), params={"set_iterations": True},
                          config=RunConfig(tf_random_seed=1))
    estimator.train(input_fn, steps=4)
    assert estimator.get_variable_value("global_step") == 4
    forgot = Estimator(model_fn, model_dir=str(tmp_path / "unset"), params={"set_iterations": False})
    with pytest.raises(RuntimeError, match="did not increase global_step"):  # the real one trained on at step 0
        forgot.train(input_fn, steps=4)


def test_the_v2_canned_estimators_take_them_and_the_v1_ones_refuse_them():
    columns = [tf.feature_column.numeric_column("x", shape=2)]
    assert isinstance(optimizers.get_optimizer_instance_v2(legacy.Adam()), v1.train.Optimizer)
    with pytest.raises(ValueError, match="not an Optimizer instance.*tf.estimator's classes"):
        canned.DNNClassifier([3], columns, optimizer=legacy.Adam())
    with pytest.raises(ValueError, match="as an instance of `tf.keras.optimizers.legacy.Optimizer`"):
        canned.DNNClassifierV2([3], columns, optimizer=tf.keras.optimizers.Adam(0.01))


def test_the_shim_gives_tf_keras_optimizers_legacy_and_a_dnn_classifier_trains_with_it(tmp_path):
    answer = run_program("""
        import json, tempfile
        import numpy as np
        import iris_lib.estimator_shim
        import tensorflow as tf
        from tensorflow.keras.optimizers.legacy import Adam
        from iris_lib.estimator import keras_legacy_optimizers

        x = np.random.RandomState(0).uniform(-1, 1, (30, 2)).astype(np.float32)
        def input_fn():
            return tf.data.Dataset.from_tensor_slices(({"x": x}, (x[:, 0] > 0).astype(np.int64))).repeat().batch(10)
        classifier = tf.estimator.DNNClassifier(
            hidden_units=[4], feature_columns=[tf.feature_column.numeric_column("x", shape=2)],
            optimizer=tf.keras.optimizers.legacy.Adam(learning_rate=0.01), model_dir=tempfile.mkdtemp())
        classifier.train(input_fn, steps=5)
        try:
            tf.keras.optimizers.legacy.Adamax
            nadam = "found"
        except AttributeError as error:
            nadam = str(error)
        print(json.dumps({
            "same class": Adam is tf.keras.optimizers.legacy.Adam is keras_legacy_optimizers.Adam
                          is tf.compat.v1.keras.optimizers.legacy.Adam,
            "global_step": int(classifier.get_variable_value("global_step")),
            "optimizer": sorted(n for n in classifier.get_variable_names() if n.startswith("training/")),
            "nadam": nadam,
        }))
    """, tmp_path)
    assert answer == {
        "same class": True, "global_step": 5,
        "optimizer": [  # as the real Estimator's Keras 2 Adam named its state
            "training/Adam/beta_1", "training/Adam/beta_2", "training/Adam/decay",
            "training/Adam/dnn/hiddenlayer_0/bias/m", "training/Adam/dnn/hiddenlayer_0/bias/v",
            "training/Adam/dnn/hiddenlayer_0/kernel/m", "training/Adam/dnn/hiddenlayer_0/kernel/v",
            "training/Adam/dnn/logits/bias/m", "training/Adam/dnn/logits/bias/v", "training/Adam/dnn/logits/kernel/m",
            "training/Adam/dnn/logits/kernel/v", "training/Adam/learning_rate"],
        "nadam": "tf.keras.optimizers.legacy.Adamax is not in iris_lib: use one of SGD, Adam, Adagrad, RMSprop, Ftrl, "
                 "Nadam."}


def test_a_keras_model_compiles_with_one_fits_and_model_to_estimator_runs_it(tmp_path):
    """TF 2.15 programs compiled a model with `tf.keras.optimizers.legacy.Adam(...)` for model_to_estimator; Keras 3
    refused it (`Could not interpret optimizer identifier`). Compile now takes it as Keras 3's Adam with the
    same settings (for `fit`), and model_to_estimator runs the Keras 2 optimizer itself, `decay` included."""
    answer = run_program("""
        import json, tempfile
        import numpy as np
        import iris_lib.estimator_shim
        import tensorflow as tf

        x = np.random.RandomState(0).uniform(-1, 1, (32, 2)).astype(np.float32)
        y = (x[:, :1] > 0).astype(np.float32)
        model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1, activation="sigmoid")])
        legacy = tf.keras.optimizers.legacy.Adam(0.01, beta_1=0.8, decay=0.1)
        model.compile(optimizer=legacy, loss="binary_crossentropy")
        history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        estimator = tf.keras.estimator.model_to_estimator(keras_model=model, model_dir=tempfile.mkdtemp())
        estimator.train(lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).batch(32).repeat(), steps=3)
        print(json.dumps({
            "compiled": [type(model.optimizer).__module__.split(".")[0], model.optimizer.beta_1,
                         model.optimizer.keras_2_optimizer is legacy],
            "fit": len(history.history["loss"]),
            "global_step": int(estimator.get_variable_value("estimator_global_step/.ATTRIBUTES/VARIABLE_VALUE")),
            "decay": float(estimator.get_variable_value("optimizer/decay/.ATTRIBUTES/VARIABLE_VALUE")),
            "beta_1": float(estimator.get_variable_value("optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE")),
        }))
    """, tmp_path)
    assert answer == {"compiled": ["keras", 0.8, True], "fit": 1, "global_step": 3,
                      "decay": pytest.approx(0.1), "beta_1": pytest.approx(0.8)}


def test_a_public_head_runs_get_updates(tmp_path):
    from iris_lib.estimator.head import MultiClassHead

    def head_model_fn(features, labels, mode):
        logits = tf1.layers.dense(features["x"], 3, name="logits")
        optimizer = legacy.SGD(0.1, momentum=0.5)
        optimizer.iterations = v1.train.get_global_step()
        return MultiClassHead(3).create_estimator_spec(features, mode, logits, labels, optimizer=optimizer,
                                                       trainable_variables=v1.trainable_variables())

    estimator = Estimator(head_model_fn, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=1))
    estimator.train(input_fn, steps=3)
    assert estimator.evaluate(lambda: input_fn().take(2))["global_step"] == 3
