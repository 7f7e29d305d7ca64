"""The engine keeps tf.estimator's promises: behaviour, files on disk, and clear errors."""
import hashlib
import logging
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from support import make_estimator, predict_fn, eval_fn, train_fn
from iris_lib import data
from iris_lib.layers import dense
from iris_lib.estimator import CheckpointMismatchError, Estimator, EstimatorSpec, ModeKeys, RunConfig
from iris_lib.model import my_model_fn

v1 = tf.compat.v1


def scalars(logdir):
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def snapshot(directory):
    return {p: hashlib.sha256(open(os.path.join(directory, p), "rb").read()).hexdigest()
            for p in sorted(os.listdir(directory)) if os.path.isfile(os.path.join(directory, p))}


def test_mode_keys_are_the_real_strings():
    assert (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT) == ("train", "eval", "infer")


@pytest.mark.parametrize("mode, given, message", [
    (ModeKeys.TRAIN, ("loss",), "Missing train_op."),
    (ModeKeys.TRAIN, ("train_op",), "Missing loss."),
    (ModeKeys.EVAL, (), "Missing loss."),
    (ModeKeys.PREDICT, ("loss",), "Missing predictions."),
])
def test_estimator_spec_requires_each_modes_fields_with_the_real_messages(mode, given, message):
    with tf.Graph().as_default():
        fields = {"loss": tf.constant(0.5), "train_op": tf.no_op()}
        with pytest.raises(ValueError, match=f"^{message}$"):  # tests/test_parity_estimator_spec.py: the real ones
            EstimatorSpec(mode, **{name: fields[name] for name in given})


def test_estimator_spec_rejects_what_is_not_a_tensor_or_a_metric_pair():
    with tf.Graph().as_default():
        loss = tf.constant(0.5)
        with pytest.raises(TypeError, match="^loss must be Tensor, given: 1.0$"):
            EstimatorSpec(ModeKeys.EVAL, loss=1.0)
        with pytest.raises(TypeError, match=r"^Values of eval_metric_ops must be \(metric_value, update_op\) tuples, "
                                            r"given: 0.5 for key: acc$"):
            EstimatorSpec(ModeKeys.EVAL, loss=loss, eval_metric_ops={"acc": 0.5})


def test_run_config_has_the_real_defaults():
    config = RunConfig()
    assert (config.save_summary_steps, config.keep_checkpoint_max, config.log_step_count_steps) == (100, 5, 100)
    assert (config.save_checkpoints_steps, config.save_checkpoints_secs) == (None, 600)
    with pytest.raises(ValueError, match="cannot be both set"):
        RunConfig(save_checkpoints_steps=10, save_checkpoints_secs=10)


def test_guide_model_reaches_093_and_predicts_the_three_examples(trained):
    estimator, result = trained
    assert result["accuracy"] >= 0.93
    assert result["global_step"] == 1000 and set(result) == {"accuracy", "loss", "global_step"}
    predicted = [data.SPECIES[p["class_ids"][0]] for p in estimator.predict(predict_fn())]
    assert predicted == data.EXPECTED


def test_train_writes_files_like_the_real_estimator(trained):
    estimator, _ = trained
    files = os.listdir(estimator.model_dir)
    for name in ["checkpoint", "graph.pbtxt", "model.ckpt-0.index", "model.ckpt-0.meta",
                 "model.ckpt-1000.index", "model.ckpt-1000.meta", "model.ckpt-1000.data-00000-of-00001"]:
        assert name in files
    assert any(f.startswith("events.out.tfevents.") for f in files)
    state = open(os.path.join(estimator.model_dir, "checkpoint")).read()
    assert 'model_checkpoint_path: "model.ckpt-1000"' in state  # relative: a moved model_dir still works
    assert estimator.latest_checkpoint() == os.path.join(estimator.model_dir, "model.ckpt-1000")


def test_train_summaries_follow_save_summary_steps(trained):
    estimator, _ = trained
    train = scalars(estimator.model_dir)
    assert {"loss", "accuracy", "global_step/sec"} <= set(train)
    assert [s for s, _ in train["loss"]] == list(range(1, 1000, 100))
    assert [s for s, _ in train["accuracy"]] == list(range(1, 1000, 100))
    assert [s for s, _ in train["global_step/sec"]] == list(range(101, 1000, 100))  # counted from step 1
    assert train["loss"][-1][1] < train["loss"][0][1]
    assert all(rate > 0 for _, rate in train["global_step/sec"])


def test_evaluate_writes_one_point_per_metric_at_the_global_step(trained):
    estimator, result = trained
    evaluated = scalars(os.path.join(estimator.model_dir, "eval"))
    assert evaluated["accuracy"] == [(1000, pytest.approx(result["accuracy"]))]
    assert evaluated["loss"] == [(1000, pytest.approx(result["loss"]))]


def test_evaluate_with_name_and_steps(trained, iris):
    estimator, _ = trained
    _, (test_x, test_y) = iris
    result = estimator.evaluate(lambda: data.eval_input_fn(test_x, test_y, 10), steps=1, name="first10")
    first10 = np.argmax(estimator_probabilities(estimator, test_x[:10]), axis=1)
    assert result["accuracy"] == pytest.approx(np.mean(first10 == test_y[:10].values))
    assert os.path.isdir(os.path.join(estimator.model_dir, "eval_first10"))


def estimator_probabilities(estimator, features):
    return np.array([p["probabilities"] for p in estimator.predict(lambda: data.eval_input_fn(features, None, 100))])


def test_predict_single_examples_batches_and_keys(trained):
    estimator, _ = trained
    singles = list(estimator.predict(predict_fn()))
    assert len(singles) == 3 and set(singles[0]) == {"class_ids", "probabilities", "logits"}
    assert singles[0]["probabilities"].shape == (3,) and singles[0]["probabilities"].sum() == pytest.approx(1, abs=1e-5)
    batches = list(estimator.predict(predict_fn(batch_size=2), yield_single_examples=False))
    assert [b["logits"].shape for b in batches] == [(2, 3), (1, 3)]
    only = list(estimator.predict(predict_fn(), predict_keys=["class_ids"]))
    assert set(only[0]) == {"class_ids"}
    with pytest.raises(ValueError, match=r"predict_keys \['classes'\] are not among"):
        list(estimator.predict(predict_fn(), predict_keys=["classes"]))


def test_unknown_predict_keys_beside_a_known_one_are_left_out_with_a_warning(trained, caplog):
    """The real `_extract_keys` kept the predictions asked for and dropped unknown keys silently."""
    estimator, _ = trained
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        first = next(estimator.predict(predict_fn(), predict_keys=["classes", "logits", "class_ids"]))
    assert list(first) == ["class_ids", "logits"]
    assert "predict_keys ['classes'] are not among the predictions" in caplog.text


def test_predict_from_an_earlier_checkpoint(trained):
    estimator, _ = trained
    first = os.path.join(estimator.model_dir, "model.ckpt-0")
    untrained = list(estimator.predict(predict_fn(), checkpoint_path=first))
    trained_now = list(estimator.predict(predict_fn()))
    assert not np.allclose(untrained[0]["logits"], trained_now[0]["logits"])


def test_variables_are_named_as_tf_layers_names_them(trained):
    estimator, _ = trained
    names = set(estimator.get_variable_names())
    assert {"global_step", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
            "dense_2/kernel", "dense_2/bias", "dense/kernel/Adagrad"} <= names
    assert estimator.get_variable_value("dense/kernel").shape == (4, 10)
    assert estimator.get_variable_value("dense_2/bias").shape == (3,)
    assert estimator.get_variable_value("global_step") == 1000


def test_train_resumes_from_latest_checkpoint(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=500)
    kernel_500 = estimator.get_variable_value("dense/kernel")
    estimator.train(train_fn(iris), steps=500)
    assert estimator.get_variable_value("global_step") == 1000
    assert not np.allclose(kernel_500, estimator.get_variable_value("dense/kernel"))
    losses = scalars(tmp_path)["loss"]
    assert [s for s, _ in losses][:5] == [1, 101, 201, 301, 401] and 501 in [s for s, _ in losses]


def test_max_steps_stops_at_that_global_step_and_past_it_does_nothing(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), max_steps=300)
    assert estimator.get_variable_value("global_step") == 300
    before = snapshot(tmp_path)
    assert estimator.train(train_fn(iris), max_steps=200) is estimator
    assert snapshot(tmp_path) == before
    estimator.train(train_fn(iris), max_steps=350)
    assert estimator.get_variable_value("global_step") == 350


def test_step_counts_may_be_floats_as_in_the_real_estimator(tmp_path, iris, columns):
    """The real StopAtStepHook stopped at the first global step >= start + steps: 10.0 is 10 steps, 2.5 is 3."""
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=10.0)
    assert estimator.get_variable_value("global_step") == 10
    estimator.train(train_fn(iris), steps=2.5)
    assert estimator.get_variable_value("global_step") == 13
    estimator.train(train_fn(iris), max_steps=20.0)
    assert estimator.get_variable_value("global_step") == 20
    assert estimator.evaluate(eval_fn(iris, batch_size=10), steps=1.5)["global_step"] == 20


def test_a_train_op_adding_two_to_the_global_step_trains_by_the_global_step(tmp_path):
    """Two updates that each count the step (a GAN's two optimizers): the real StopAtStepHook read the global
    step, so steps=10 is 5 runs (or 6: it read the step unordered with the updates); checkpoints are named by it."""
    def model_fn(features, labels, mode):
        loss = v1.losses.sparse_softmax_cross_entropy(labels, dense(features, 3))
        global_step = v1.train.get_global_step()
        first = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
        with tf.control_dependencies([first]):
            return EstimatorSpec(mode, loss=loss, train_op=v1.assign_add(global_step, 1))

    def input_fn():
        dataset = tf.data.Dataset.from_tensor_slices((np.ones((8, 4), np.float32), np.zeros(8, np.int64)))
        return dataset.repeat().batch(4)

    estimator = Estimator(model_fn, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=10)
    assert estimator.get_variable_value("global_step") == 10
    estimator.train(input_fn, max_steps=15)
    assert estimator.get_variable_value("global_step") == 16
    assert sorted(name for name in os.listdir(tmp_path) if name.endswith(".index")) == [
        "model.ckpt-0.index", "model.ckpt-10.index", "model.ckpt-16.index"]


@pytest.mark.parametrize("kwargs, error, message", [  # the real one's messages: tests/test_parity_lenient.py
    ({"steps": 0}, ValueError, r"^Must specify steps > 0, given: 0$"),
    ({"steps": -5.5}, ValueError, r"^Must specify steps > 0, given: -5.5$"),
    ({"max_steps": 0}, ValueError, r"^Must specify max_steps > 0, given: 0$"),
    ({"steps": "10"}, TypeError, r"^'<=' not supported between instances of 'str' and 'int'$"),
    ({"steps": 10, "max_steps": 10}, ValueError, r"^Can not provide both steps and max_steps\.$"),
])
def test_step_counts_the_real_estimator_refuses_are_refused_with_its_messages(tmp_path, iris, columns, kwargs,
                                                                             error, message):
    with pytest.raises(error, match=message):
        make_estimator(tmp_path, columns).train(train_fn(iris), **kwargs)
    assert os.listdir(tmp_path) == []


def test_nan_steps_run_until_the_input_ends_and_true_is_one_step(tmp_path, iris, columns, caplog):
    """As the real StopAtStepHook: no global step is >= start + NaN, and True <= 0 is False, True is 1."""
    (train_x, train_y), _ = iris
    estimator = make_estimator(tmp_path, columns)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        estimator.train(lambda: data.eval_input_fn(train_x, train_y, 40), steps=float("nan"))  # 120 rows: 3 batches
    assert estimator.get_variable_value("global_step") == 3
    assert "steps is NaN, which no step count reaches: this runs until input_fn ends" in caplog.text
    estimator.train(train_fn(iris), steps=True)
    assert estimator.get_variable_value("global_step") == 4


def test_mismatched_model_dir_is_refused_without_harm(tmp_path, iris, columns):
    make_estimator(tmp_path, columns, hidden_units=[10, 10]).train(train_fn(iris), steps=50)
    before = snapshot(tmp_path)
    changed = make_estimator(tmp_path, columns, hidden_units=[20, 10])
    for call in (lambda: changed.train(train_fn(iris), steps=10), lambda: changed.evaluate(eval_fn(iris)),
                 lambda: list(changed.predict(predict_fn()))):
        with pytest.raises(CheckpointMismatchError) as error:
            call()
        message = str(error.value)
        assert str(tmp_path) in message
        assert "dense/kernel: checkpoint (4, 10) vs model (4, 20)" in message
        assert "dense_1/kernel: checkpoint (10, 10) vs model (20, 10)" in message
        assert "new model_dir" in message
    assert snapshot(tmp_path) == before


def test_extra_layers_in_the_checkpoint_are_a_mismatch_to_train_on_and_a_warning_to_evaluate(tmp_path, iris, columns,
                                                                                             caplog):
    """Training on would drop the checkpoint's extra layer; evaluating may rightly leave out a train-only head
    (or restore moving averages instead of the weights), as the real one allowed: it warns."""
    make_estimator(tmp_path, columns, hidden_units=[10, 3]).train(train_fn(iris), steps=5)
    shorter = make_estimator(tmp_path, columns, hidden_units=[10])
    with pytest.raises(CheckpointMismatchError, match="dense_2/kernel: in the checkpoint"):
        shorter.train(train_fn(iris), steps=1)
    with caplog.at_level(logging.WARNING):
        assert shorter.evaluate(eval_fn(iris))["global_step"] == 5
    assert "holds layers this graph does not use" in caplog.text and "dense_2/kernel" in caplog.text


def test_a_partial_model_fn_binds_its_hyperparameters_and_no_checkpoints_can_be_asked_for(tmp_path, iris):
    """`functools.partial(model_fn, learning_rate=...)`: the bound arguments are not the Estimator's to give, as
    the real fn_args said; RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=None) saves nothing
    (the real engine added no CheckpointSaverHook), and saving listeners then have nothing to listen to."""
    import functools

    def model_fn(features, labels, mode, params, learning_rate, units):
        logits = dense(tf.stack([features[k] for k in sorted(features)], 1), units)
        loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
        return EstimatorSpec(mode, loss=loss, train_op=tf.compat.v1.train.GradientDescentOptimizer(
            learning_rate).minimize(loss, global_step=tf.compat.v1.train.get_global_step()))

    config = RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=None)
    estimator = Estimator(functools.partial(model_fn, learning_rate=0.1, units=3), str(tmp_path), config=config,
                          params={})
    estimator.train(train_fn(iris), steps=3)
    assert [name.split(".")[0] for name in os.listdir(tmp_path)] == ["events"] and not estimator.latest_checkpoint()
    with pytest.raises(ValueError, match="There should be a CheckpointSaverHook to use saving_listeners"):
        estimator.train(train_fn(iris), steps=1, saving_listeners=[tf.compat.v1.train.CheckpointSaverListener()])


def test_the_scaffolds_init_op_feed_local_init_op_and_summary_op_are_used(tmp_path):
    """Pretrained values fed through a placeholder (`Scaffold(init_feed_dict=...)`), an init_op of one's own, a
    local variable given its start by `local_init_op`, and `summary_op` choosing what is written: the real
    Scaffold's fields, which iris_lib ignored (InvalidArgumentError: You must feed a value for placeholder)."""
    pretrained = np.array([0.5, 2.0], np.float32)

    def model_fn(features, labels, mode):
        given = tf.compat.v1.placeholder(tf.float32, [2])
        w = tf.compat.v1.get_variable("w", initializer=given)
        counter = tf.compat.v1.get_variable("counter", [], initializer=tf.compat.v1.zeros_initializer(),
                                            collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES])
        loss = tf.reduce_sum(features["x"] * w) + 0 * tf.reduce_sum(labels)
        keep = tf.compat.v1.summary.scalar("keep_me", loss)
        tf.compat.v1.summary.scalar("not_me", 2 * loss)
        scaffold = tf.compat.v1.train.Scaffold(
            init_op=tf.group(tf.compat.v1.global_variables_initializer()), init_feed_dict={given: pretrained},
            local_init_op=counter.assign(5.0), summary_op=tf.compat.v1.summary.merge([keep]))
        return EstimatorSpec(mode, loss=loss, scaffold=scaffold, predictions={"w": tf.identity(w), "counter": counter + 0 * loss},
                             train_op=tf.compat.v1.train.get_global_step().assign_add(1))

    inputs = lambda: tf.data.Dataset.from_tensors(({"x": [1.0, 1.0]}, [0.0]))  # noqa: E731
    estimator = Estimator(model_fn, str(tmp_path), config=RunConfig(save_summary_steps=1))
    before = next(estimator.predict(inputs, yield_single_examples=False))  # no checkpoint: initialized
    estimator.train(lambda: inputs().repeat(), steps=2)
    np.testing.assert_array_equal(before["w"], pretrained)
    assert before["counter"] == next(estimator.predict(inputs, yield_single_examples=False))["counter"] == 5.0
    tags = set(EventAccumulator(str(tmp_path)).Reload().Tags()["scalars"])
    assert "keep_me" in tags and not {"not_me", "loss"} & tags


def test_a_model_fn_failing_on_missing_labels_is_explained(tmp_path, iris, columns):
    """As the real engine, features without labels reach the model_fn as labels=None; the guide's model_fn
    then fails inside tf.losses, and the error names the likely cause and the fix."""
    (train_x, _), _ = iris
    estimator = make_estimator(tmp_path, columns)
    features_only = lambda: data.eval_input_fn(train_x, None, 10)  # noqa: E731
    for call in (lambda: estimator.train(features_only, steps=1), lambda: estimator.evaluate(features_only)):
        with pytest.raises((ValueError, TypeError, AttributeError),
                           match=r"(?s)input_fn returned features without labels, so the model_fn got labels=None"
                                 r".*return \(features, labels\)"):
            call()
    assert os.listdir(tmp_path) == []


def test_labels_are_optional_the_model_fn_decides(tmp_path, iris, columns):
    """An input_fn of features only gives labels=None in every mode, e.g. to a model_fn with its own target."""
    (train_x, _), _ = iris
    seen = []

    def model_fn(features, labels, mode, params):
        seen.append((mode, labels))
        net = v1.feature_column.input_layer(features, params["feature_columns"])
        reconstruction = dense(net, 4)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions={"reconstruction": reconstruction})
        loss = v1.losses.mean_squared_error(net, reconstruction)
        train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=v1.train.get_global_step())
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    estimator = Estimator(model_fn, model_dir=str(tmp_path), params={"feature_columns": columns})
    features_only = lambda: data.eval_input_fn(train_x, None, 40)  # noqa: E731
    estimator.train(features_only, steps=3)
    metrics = estimator.evaluate(features_only)
    predictions = list(estimator.predict(features_only))
    assert [(mode, labels) for mode, labels in seen] == [(ModeKeys.TRAIN, None), (ModeKeys.EVAL, None),
                                                         (ModeKeys.PREDICT, None)]
    assert metrics["global_step"] == 3 and metrics["loss"] > 0
    assert len(predictions) == len(train_x) and predictions[0]["reconstruction"].shape == (4,)


def test_a_loss_of_shape_1_is_reshaped_and_a_longer_one_refused(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        logits = dense(v1.feature_column.input_layer(features, params["feature_columns"]), 3)
        loss = tf.reshape(v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits), [1])
        if params.get("double"):
            loss = tf.concat([loss, loss], 0)
        train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
        spec = EstimatorSpec(mode, loss=loss, train_op=train_op)
        assert spec.loss.shape.rank == 0  # as the real EstimatorSpec: tf.reshape(loss, [])
        return spec

    estimator = Estimator(model_fn, model_dir=str(tmp_path / "one"), params={"feature_columns": columns})
    estimator.train(train_fn(iris), steps=2)
    assert estimator.evaluate(eval_fn(iris))["loss"] > 0
    doubled = Estimator(model_fn, model_dir=str(tmp_path / "two"), params={"feature_columns": columns, "double": 1})
    with pytest.raises(ValueError, match=r"Loss must be scalar, given: .*shape=\(2,\)"):
        doubled.train(train_fn(iris), steps=1)


@pytest.mark.parametrize("returned", [[1, 2, 3], (1, 2, 3), ()])
def test_input_fn_returning_a_tuple_not_of_two_is_refused_as_the_real_one(tmp_path, columns, returned):
    with pytest.raises(ValueError, match=r"^input_fn should return \(features, labels\) as a len 2 tuple\.$"):
        make_estimator(tmp_path, columns).train(lambda: returned, steps=1)


def test_features_of_any_kind_reach_the_model_fn_which_decides(tmp_path):
    """The real engine passed whatever input_fn returned as features; here a model_fn reads a list of tensors."""
    def model_fn(features, labels, mode):
        logits = dense(tf.concat(features, axis=1), 3)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        return EstimatorSpec(mode, loss=loss, train_op=v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=v1.train.get_global_step()))

    def input_fn():
        return [tf.ones([4, 2]), tf.zeros([4, 2])], tf.zeros([4], tf.int64)

    estimator = Estimator(model_fn, model_dir=str(tmp_path))
    estimator.train(input_fn, steps=2)
    assert estimator.get_variable_value("global_step") == 2


def test_a_spec_of_another_mode_is_used_with_a_warning(tmp_path, iris, columns, caplog):
    """A model_fn that always says ModeKeys.TRAIN still evaluates on the real engine: the spec's fields are used."""
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != ModeKeys.EVAL:
            return spec
        return EstimatorSpec(ModeKeys.TRAIN, loss=spec.loss, train_op=tf.no_op(), eval_metric_ops=spec.eval_metric_ops)

    estimator = Estimator(model_fn, model_dir=str(tmp_path),
                          params={"feature_columns": columns, "hidden_units": [4], "n_classes": 3})
    estimator.train(train_fn(iris), steps=2)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        metrics = estimator.evaluate(eval_fn(iris))
    assert metrics["global_step"] == 2 and 0 <= metrics["accuracy"] <= 1
    assert "model_fn was called in mode 'eval' but returned an EstimatorSpec for 'train'" in caplog.text


def test_a_missing_model_fn_is_refused_as_the_real_one():
    with pytest.raises(ValueError, match=r"^model_fn must be provided to Estimator\.$"):
        Estimator(None)


@pytest.mark.parametrize("hidden_units, message", [
    ([], "hidden_units is empty"),
    ([10, 0], r"hidden_units\[1\] = 0"),
    ([-3], r"hidden_units\[0\] = -3"),
    (["10"], r"hidden_units\[0\] = '10'"),
    (10, "must be a list of layer sizes"),
])
def test_bad_hidden_units_are_refused(tmp_path, iris, columns, hidden_units, message):
    estimator = make_estimator(tmp_path, columns, hidden_units=[1])
    estimator._params["hidden_units"] = hidden_units
    with pytest.raises(ValueError, match=message):
        estimator.train(train_fn(iris), steps=1)
    assert os.listdir(tmp_path) == []


def test_missing_feature_keys_are_named(tmp_path, iris, columns):
    (train_x, train_y), _ = iris
    partial = train_x.drop(columns=["PetalWidth"])
    with pytest.raises(KeyError, match=r"lack the keys \['PetalWidth'\]"):
        make_estimator(tmp_path, columns).train(lambda: data.train_input_fn(partial, train_y, 10), steps=1)


def test_forgetting_global_step_in_minimize_is_explained(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        logits = dense(v1.feature_column.input_layer(features, params["feature_columns"]), 3)
        loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        train_op = v1.train.AdagradOptimizer(0.1).minimize(loss)  # no global_step
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    estimator = Estimator(model_fn, model_dir=str(tmp_path), params={"feature_columns": columns})
    with pytest.raises(RuntimeError, match="did not increase global_step in 1000 runs in a row"):
        estimator.train(train_fn(iris), steps=10)
    assert estimator.latest_checkpoint().endswith("model.ckpt-0")  # the start was saved, nothing else


def test_a_step_that_moves_every_few_runs_trains_with_the_real_warnings(tmp_path, caplog):
    """Gradient accumulation: gradients add up for 3 runs, the 3rd applies them and counts one step. The real
    engine warned and trained on (train(steps=4) is 12 runs); so does ours, with one warning."""
    x = np.arange(12, dtype=np.float32).reshape(12, 1) / 12

    def model_fn(features, labels, mode):
        weight = v1.get_variable("w", [1, 1], initializer=v1.zeros_initializer())
        loss = v1.losses.mean_squared_error(labels, tf.matmul(features["x"], weight))
        total = v1.get_variable("total", [1, 1], initializer=v1.zeros_initializer(), trainable=False)
        runs = v1.get_variable("runs", [], tf.int64, initializer=v1.zeros_initializer(), trainable=False)
        accumulate = total.assign_add(tf.gradients(loss, weight)[0])
        with tf.control_dependencies([accumulate, runs.assign_add(1)]):
            def apply():
                step = v1.train.GradientDescentOptimizer(0.5).apply_gradients(
                    [(total / 3, weight)], global_step=v1.train.get_global_step())
                with tf.control_dependencies([step]):
                    return tf.group(total.assign(tf.zeros_like(total)))
            train_op = tf.cond(tf.equal(runs.read_value() % 3, 0), apply, tf.no_op)
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    estimator = Estimator(model_fn, model_dir=str(tmp_path))
    batches = lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, 2 * x)).batch(1)  # noqa: E731
    with caplog.at_level(logging.WARNING):
        estimator.train(batches, steps=4)
    assert estimator.get_variable_value("global_step") == 4
    assert estimator.get_variable_value("runs") == 12
    assert [r.getMessage().startswith("It seems that global step") for r in caplog.records].count(True) == 1


def test_model_fn_must_return_an_estimator_spec(tmp_path, iris):
    estimator = Estimator(lambda features, labels, mode: {"loss": 1}, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="model_fn should return an EstimatorSpec, got dict"):
        estimator.train(train_fn(iris), steps=1)


def test_model_fn_arguments_are_checked_as_the_real_engine_does(tmp_path, iris):
    with pytest.raises(ValueError, match="does not include params argument, but params"):
        Estimator(lambda features, labels, mode: None, params={"a": 1})
    with pytest.raises(ValueError, match="must include features argument"):
        Estimator(lambda inputs, labels, mode: None)
    with pytest.raises(ValueError, match=r"has following not expected args: \['extra'\]"):
        Estimator(lambda features, labels, mode, extra: None)
    no_labels = Estimator(lambda features, mode: None, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="model_fn does not take labels, but input_fn returns labels"):
        no_labels.train(train_fn(iris), steps=1)


def test_a_model_fn_without_mode_gets_what_it_names(tmp_path, iris, columns):
    """Only `features` is required (the real `_verify_model_fn_args`); labels, mode, params, config come when named."""
    seen = {}

    def model_fn(features, labels, config):
        seen["config"] = config
        logits = dense(v1.feature_column.input_layer(features, columns), 3)
        loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        return EstimatorSpec(ModeKeys.EVAL, loss=loss)

    estimator = Estimator(model_fn, model_dir=str(tmp_path))
    assert estimator.params == {}
    assert estimator.evaluate(eval_fn(iris))["loss"] > 0 and seen["config"] is estimator.config


def test_the_public_model_fn_has_the_real_signature_and_binds_params(tmp_path, columns):
    import inspect
    calls = []

    def model_fn(features, labels, mode, params, config):
        calls.append((params, config))
        return "spec"

    estimator = Estimator(model_fn, model_dir=str(tmp_path), params={"units": 4})
    assert str(inspect.signature(estimator.model_fn)) == "(features, labels, mode, config)"
    other = RunConfig(tf_random_seed=5)
    with pytest.raises(ValueError, match="should return an EstimatorSpec"):
        estimator.model_fn({}, None, ModeKeys.PREDICT, other)
    assert calls == [({"units": 4}, other)]


def test_moved_model_dir_still_restores(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path / "a", columns)
    estimator.train(train_fn(iris), steps=100)
    before = estimator.evaluate(eval_fn(iris))
    shutil.move(str(tmp_path / "a"), str(tmp_path / "b"))
    moved = make_estimator(tmp_path / "b", columns)
    after = moved.evaluate(eval_fn(iris))
    assert after["global_step"] == 100 and after["loss"] == pytest.approx(before["loss"])


def test_seeded_runs_are_identical(tmp_path, iris, columns):
    runs = []
    for name in ("one", "two"):
        estimator = make_estimator(tmp_path / name, columns, seed=123)
        estimator.train(train_fn(iris), steps=300)
        losses = [v for _, v in scalars(tmp_path / name)["loss"]]
        logits = [p["logits"] for p in estimator.predict(predict_fn())]
        runs.append((losses, logits))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = make_estimator(tmp_path / "other", columns, seed=124).train(train_fn(iris), steps=300)
    assert [v for _, v in scalars(other.model_dir)["loss"]] != runs[0][0]


def test_temporary_model_dir_when_none_given(columns, caplog):
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        estimator = Estimator(my_model_fn, params={"feature_columns": columns, "hidden_units": [4], "n_classes": 3})
    assert os.path.isdir(estimator.model_dir)
    assert "Using temporary folder as model directory" in caplog.text
    shutil.rmtree(estimator.model_dir)


def test_progress_is_logged_like_the_real_estimator(tmp_path, iris, columns, caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        make_estimator(tmp_path, columns).train(train_fn(iris), steps=200)
    text = caplog.text
    assert "Saving checkpoints for 0 into" in text and "Saving checkpoints for 200 into" in text
    assert "loss = " in text and ", step = 0" in text and ", step = 100 (" in text
    assert "global_step/sec: " in text and "Loss for final step: " in text


def test_checkpoints_every_n_steps_keep_the_newest(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=50, keep_checkpoint_max=3)
    estimator.train(train_fn(iris), steps=300)
    kept = sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(tmp_path) if f.endswith(".index"))
    assert kept == [200, 250, 300]


def test_evaluate_before_training_initializes(tmp_path, iris, columns):
    result = make_estimator(tmp_path, columns).evaluate(eval_fn(iris))
    assert result["global_step"] == 0 and 0 <= result["accuracy"] <= 1


def test_predict_before_training_predicts_from_the_initial_weights_with_a_warning(tmp_path, columns, caplog):
    """As the real one ("running initialization to predict"); the warning says the weights are untrained."""
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        predictions = list(make_estimator(tmp_path, columns).predict(predict_fn()))
    assert len(predictions) == 3 and predictions[0]["probabilities"].sum() == pytest.approx(1, abs=1e-5)
    assert "Could not find trained model in model_dir" in caplog.text and "train first" in caplog.text
    assert not [name for name in os.listdir(tmp_path) if name.startswith("model.ckpt")]


def test_predict_and_evaluate_before_training_start_from_warm_start_from(tmp_path, iris, columns):
    """The real `_maybe_warm_start`: without a checkpoint, evaluate and predict use warm_start_from's weights."""
    donor = make_estimator(tmp_path / "donor", columns)
    donor.train(train_fn(iris), steps=20)
    fresh = Estimator(my_model_fn, model_dir=str(tmp_path / "fresh"), warm_start_from=str(tmp_path / "donor"),
                      params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    first = [next(estimator.predict(predict_fn()))["logits"] for estimator in (fresh, donor)]
    np.testing.assert_array_equal(*first)
    assert fresh.evaluate(eval_fn(iris))["loss"] == donor.evaluate(eval_fn(iris))["loss"]


def test_quick_successive_calls_keep_every_summary(tmp_path, iris, columns):
    # Event file names carry only the second: a new writer per call would overwrite the last call's file.
    estimator = make_estimator(tmp_path, columns, save_summary_steps=10)
    for _ in range(3):
        estimator.train(train_fn(iris), steps=20)
        estimator.evaluate(eval_fn(iris))
    assert [s for s, _ in scalars(tmp_path)["loss"]] == [1, 11, 21, 31, 41, 51]
    assert [s for s, _ in scalars(tmp_path / "eval")["accuracy"]] == [20, 40, 60]


def test_a_model_dir_deleted_and_made_anew_gets_fresh_event_files(tmp_path, iris, columns):
    make_estimator(tmp_path / "m", columns).train(train_fn(iris), steps=5)
    shutil.rmtree(tmp_path / "m")
    make_estimator(tmp_path / "m", columns).train(train_fn(iris), steps=5)
    assert [s for s, _ in scalars(tmp_path / "m")["loss"]] == [1]


def test_keep_checkpoint_max_counts_checkpoints_of_earlier_calls(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=5, keep_checkpoint_max=2)
    for _ in range(3):
        estimator.train(train_fn(iris), steps=10)
    kept = sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(tmp_path) if f.endswith(".index"))
    assert kept == [25, 30]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["model.ckpt-25", "model.ckpt-30"]


def test_final_loss_is_the_last_steps_and_logging_can_be_off(tmp_path, iris, columns, caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        make_estimator(tmp_path, columns, log_step_count_steps=None).train(train_fn(iris), steps=30)
    assert "Loss for final step: None" not in caplog.text and "Loss for final step: " in caplog.text
    assert "global_step/sec" not in caplog.text


@pytest.mark.parametrize("optimizer", ["Adam", "SGD", "RMSProp"])
def test_models_trained_with_any_optimizer_evaluate_and_predict(tmp_path, iris, columns, optimizer):
    estimator = Estimator(my_model_fn, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=7), params={
        "feature_columns": columns, "hidden_units": [10], "n_classes": 3, "optimizer": optimizer,
        "learning_rate": 0.01})
    estimator.train(train_fn(iris), steps=20)
    assert estimator.evaluate(eval_fn(iris))["global_step"] == 20
    assert len(list(estimator.predict(predict_fn()))) == 3


def event_records(logdir):
    """Every record of the event files in `logdir` (not its sub-folders), in file order, as (kind, step, detail)."""
    out = []
    for name in sorted(n for n in os.listdir(logdir) if n.startswith("events.out.tfevents")):
        for event in v1.train.summary_iterator(os.path.join(logdir, name)):
            kind = event.WhichOneof("what")
            detail = None
            if kind == "session_log":
                detail = (v1.SessionLog.SessionStatus.Name(event.session_log.status),
                          event.session_log.checkpoint_path)
            elif kind == "summary":
                detail = tuple(value.tag for value in event.summary.value)
            out.append((kind, event.step, detail))
    return out


def test_event_files_hold_the_graphs_session_logs_and_evaluated_checkpoint_as_the_real_ones(tmp_path, iris, columns):
    # tests/test_parity_event_files.py compares these records with the real Estimator's.
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=20, save_summary_steps=10)
    estimator.train(train_fn(iris), steps=30)
    estimator.train(train_fn(iris), steps=30)  # resumed from model.ckpt-30
    result = estimator.evaluate(eval_fn(iris))
    prefix = os.path.join(str(tmp_path), "model.ckpt")
    train = event_records(str(tmp_path))
    logs = [(step, detail) for kind, step, detail in train if kind == "session_log"]
    assert logs == [(0, ("CHECKPOINT", prefix)), (1, ("START", "")), (20, ("CHECKPOINT", prefix)),
                    (30, ("CHECKPOINT", prefix)), (30, ("CHECKPOINT", prefix)), (31, ("START", "")),
                    (50, ("CHECKPOINT", prefix)), (60, ("CHECKPOINT", prefix))]
    kinds = [kind for kind, _, _ in train]
    # The writer opens with the graph and its meta graph; each train() writes both again, before its first save.
    assert kinds[:6] == ["file_version", "graph_def", "meta_graph_def", "graph_def", "meta_graph_def", "session_log"]
    second = kinds.index("graph_def", 3 + kinds[3:].index("session_log"))
    assert kinds[second:second + 3] == ["graph_def", "meta_graph_def", "session_log"]
    assert kinds.count("graph_def") == kinds.count("meta_graph_def") == 3
    # START comes right before the first summary of its train(), at the same step.
    for index, (kind, step, detail) in enumerate(train):
        if kind == "session_log" and detail[0] == "START":
            assert train[index + 1][:2] == ("summary", step)
    meta = [event.meta_graph_def for name in sorted(os.listdir(tmp_path)) if name.startswith("events.out")
            for event in v1.train.summary_iterator(os.path.join(tmp_path, name)) if event.HasField("meta_graph_def")]
    saved = tf.compat.v1.MetaGraphDef.FromString(meta[1])
    assert saved.saver_def.filename_tensor_name and saved.graph_def.node  # the CheckpointSaverHook's meta graph

    evaluated = event_records(os.path.join(str(tmp_path), "eval"))
    assert [kind for kind, _, _ in evaluated] == ["file_version", "graph_def", "meta_graph_def", "summary", "summary"]
    assert evaluated[3][1:] == (60, ("accuracy", "loss"))
    assert evaluated[4][1:] == (60, ("checkpoint_path",))
    text = [event.summary.value[0].tensor for name in os.listdir(os.path.join(tmp_path, "eval"))
            for event in v1.train.summary_iterator(os.path.join(tmp_path, "eval", name))
            if event.HasField("summary") and event.summary.value[0].tag == "checkpoint_path"]
    assert [tf.make_ndarray(t).item().decode() for t in text] == [estimator.latest_checkpoint()]
    assert result["global_step"] == 60


def test_evaluate_before_training_writes_no_checkpoint_path(tmp_path, iris, columns):
    make_estimator(tmp_path, columns).evaluate(eval_fn(iris))  # the initial weights: no checkpoint evaluated
    evaluated = event_records(os.path.join(str(tmp_path), "eval"))
    assert [(kind, detail) for kind, _, detail in evaluated if kind == "summary"] == [("summary", ("accuracy", "loss"))]


def test_tensorboard_drops_the_points_of_a_run_resumed_from_an_older_checkpoint(tmp_path, iris, columns):
    from iris_lib.tensorboard import read_scalars

    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=20, save_summary_steps=10)
    estimator.train(train_fn(iris), steps=30)  # points at 1, 11, 21; checkpoints 0, 20, 30
    first = read_scalars(tmp_path)["loss"]
    # Back to the checkpoint of step 20, as after a crash that lost model.ckpt-30: the run resumes at 21.
    v1.train.update_checkpoint_state(str(tmp_path), os.path.join(str(tmp_path), "model.ckpt-20"))
    estimator.train(train_fn(iris), steps=10)
    assert ("session_log", 21, ("START", "")) in event_records(str(tmp_path))
    loss = read_scalars(tmp_path)["loss"]
    # The START at step 21 made TensorBoard drop the first run's point at 21: one line, no doubling back.
    assert loss["step"].tolist() == [1, 11, 21]
    assert loss["wall_time"].iloc[2] > first["wall_time"].iloc[2]
    assert loss["value"].iloc[:2].tolist() == first["value"].iloc[:2].tolist()


def test_under_a_strategy_an_input_fn_that_asks_gets_an_input_context_as_the_real_one(tmp_path, iris, columns):
    """The real engine called input_fn through the strategy's distribute_datasets_from_function, which passes an
    InputContext to an input_fn declaring `input_context`; without a strategy it passes none."""
    (train_x, train_y), _ = iris
    received = []

    def input_fn(input_context=None):
        received.append(input_context)
        return data.train_input_fn(train_x, train_y, 100)

    make_estimator(tmp_path / "plain", columns).train(input_fn, steps=1)
    make_estimator(tmp_path / "one_device", columns,
                   train_distribute=tf.distribute.OneDeviceStrategy("/cpu:0")).train(input_fn, steps=1)
    assert received[0] is None
    assert isinstance(received[1], tf.distribute.InputContext)
    assert (received[1].num_input_pipelines, received[1].input_pipeline_id, received[1].num_replicas_in_sync) == (1, 0, 1)


def test_a_model_fn_that_writes_its_own_loss_summary_gets_no_second_one(tmp_path, iris, columns):
    """As the real engine: the Estimator adds `loss` only when no summary op is named so (a canned head writes
    its own), so TensorBoard shows one `loss` curve, not `loss` and `loss_1`."""
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode == ModeKeys.TRAIN:
            tf.compat.v1.summary.scalar("loss", spec.loss)
        return spec

    estimator = Estimator(model_fn=model_fn, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=7),
                          params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    estimator.train(train_fn(iris), steps=3)
    tags = set(scalars(str(tmp_path)))
    assert "loss" in tags and "loss_1" not in tags
