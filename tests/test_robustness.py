"""A hostile user's inputs: damaged checkpoints, odd model_dirs, empty data, odd arguments, exhausted resources.

Every bad input gets a clear error (or, where the work is done, a warning) and nothing on disk is lost.
"""
import hashlib
import logging
import os
import shutil
import threading

import numpy as np
import pytest
import tensorflow as tf

from iris_lib import data
from iris_lib.estimator import RunConfig
from iris_lib.estimator import estimator as estimator_module
from iris_lib.estimator import model_dir_lock, summary_writers
from iris_lib.estimator.checkpoint_state import DamagedCheckpointError
from iris_lib.tensorboard import read_run
from support import eval_fn, make_estimator, predict_fn, train_fn


def snapshot(directory) -> dict:
    """Every file under `directory` with its content hash: 'nothing on disk changed' made checkable."""
    result = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                result[os.path.relpath(path, directory)] = hashlib.sha256(file.read()).hexdigest()
    return result


class Records(logging.Handler):
    """The warnings the engine logs (to the `tensorflow` logger, as the real one did)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged():
    records = Records()
    logger = logging.getLogger("tensorflow")
    logger.addHandler(records)
    yield records.messages
    logger.removeHandler(records)


@pytest.fixture(scope="module")
def four_checkpoints(tmp_path_factory, iris, columns):
    """A model_dir with checkpoints at steps 0, 100, 200 and 300."""
    model_dir = tmp_path_factory.mktemp("four") / "model"
    make_estimator(model_dir, columns, save_checkpoints_steps=100).train(train_fn(iris), steps=300)
    return model_dir


def truncate(path, keep=0.5):
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])


DAMAGES = {
    "checkpoint names a missing step": (
        lambda d: (d / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-900"\n'
                                                'all_model_checkpoint_paths: "model.ckpt-900"\n'),
        "`checkpoint` names model.ckpt-900, but model.ckpt-900.index is missing", 300),
    "garbage in checkpoint": (
        lambda d: (d / "checkpoint").write_text("}}} this is not a checkpoint state {{{\n"),
        "is not a valid `checkpoint` file", 300),
    "checkpoint file deleted": (
        lambda d: (d / "checkpoint").unlink(),
        "the `checkpoint` file that names the newest checkpoint is missing", 300),
    "index deleted": (
        lambda d: (d / "model.ckpt-300.index").unlink(),
        "`checkpoint` names model.ckpt-300, but model.ckpt-300.index is missing", 200),
    "data deleted": (
        lambda d: (d / "model.ckpt-300.data-00000-of-00001").unlink(),
        "model.ckpt-300.data-00000-of-00001 is missing", 200),
    "index truncated": (
        lambda d: truncate(d / "model.ckpt-300.index"),
        "model.ckpt-300.index is damaged or truncated", 200),
    "data truncated": (
        lambda d: truncate(d / "model.ckpt-300.data-00000-of-00001"),
        "its data (model.ckpt-300.data-00000-of-00001) is damaged or truncated", 200),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_a_damaged_newest_checkpoint_is_refused_and_nothing_on_disk_changes(tmp_path, iris, columns, case,
                                                                           four_checkpoints):
    damage, problem, newest_intact = DAMAGES[case]
    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    damage(model_dir)
    before = snapshot(model_dir)
    estimator = make_estimator(model_dir, columns, save_checkpoints_steps=100)
    calls = {
        "train": lambda: estimator.train(train_fn(iris), steps=10),
        "evaluate": lambda: estimator.evaluate(eval_fn(iris)),
        "predict": lambda: list(estimator.predict(predict_fn())),
    }
    for call in calls.values():
        with pytest.raises(DamagedCheckpointError) as error:
            call()
        message = str(error.value)
        assert f"model_dir {model_dir} cannot be used" in message and problem in message
        intact = ", ".join(f"model.ckpt-{s}" for s in range(0, newest_intact + 1, 100))
        assert f"Intact checkpoints that remain: {intact}." in message
        assert f"update_checkpoint_state({str(model_dir)!r}, 'model.ckpt-{newest_intact}')" in message
        assert "nothing on disk was changed" in message
        assert snapshot(model_dir) == before


def test_following_the_advice_continues_from_the_newest_intact_checkpoint(tmp_path, iris, columns, four_checkpoints):
    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    (model_dir / "model.ckpt-300.index").unlink()
    tf.compat.v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-200")
    estimator = make_estimator(model_dir, columns, save_checkpoints_steps=100)
    estimator.train(train_fn(iris), steps=10)
    assert estimator.get_variable_value("global_step") == 210


def test_checkpoint_path_of_an_intact_checkpoint_still_evaluates(tmp_path, iris, columns, four_checkpoints):
    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    truncate(model_dir / "model.ckpt-300.data-00000-of-00001")
    estimator = make_estimator(model_dir, columns)
    assert estimator.evaluate(eval_fn(iris), checkpoint_path=str(model_dir / "model.ckpt-200"))["global_step"] == 200
    with pytest.raises(DamagedCheckpointError, match="checkpoint_path .*model.ckpt-300 cannot be used: its data"):
        estimator.evaluate(eval_fn(iris), checkpoint_path=str(model_dir / "model.ckpt-300"))


def test_a_model_dir_named_with_glob_brackets_is_refused_up_front(tmp_path, columns):
    """TensorFlow looks checkpoints up by glob (`latest_checkpoint` and the C++ restore op): in `lr[0.1]` it
    never finds them: the real Estimator's next train() failed late ("The passed save_path is not a valid
    checkpoint") and its evaluate() and predict() used fresh weights."""
    with pytest.raises(ValueError) as error:
        make_estimator(tmp_path / "lr[0.1]", columns)
    message = str(error.value)
    assert f"model_dir {tmp_path / 'lr[0.1]'} contains [ ]" in message
    assert "checkpoints would be written but never found again" in message and repr(str(tmp_path / "lr_0.1_")) in message
    with pytest.raises(ValueError, match=r"contains \*, .*\(they are in a parent folder, .*runs\*: move or rename it\)"):
        make_estimator(tmp_path / "runs*" / "model", columns)
    assert os.listdir(tmp_path) == []


# ----- one trainer per model_dir; readers retry when a trainer rotates their checkpoint away ---------------

def test_a_second_trainer_is_refused_while_the_first_trains(tmp_path, iris, columns):
    model_dir = tmp_path / "model"
    estimator = make_estimator(model_dir, columns)
    with model_dir_lock.hold(str(model_dir)):  # as a trainer in another thread holds it
        with pytest.raises(model_dir_lock.ModelDirBusyError) as error:
            estimator.train(train_fn(iris), steps=5)
        assert f"model_dir {model_dir} is being trained by another thread" in str(error.value)
        assert f"of this process (pid {os.getpid()})" in str(error.value)
        assert not any(name.startswith("model.ckpt") for name in os.listdir(model_dir))
    estimator.train(train_fn(iris), steps=5)  # released: trains
    assert estimator.get_variable_value("global_step") == 5
    assert not (model_dir / model_dir_lock.LOCK_FILE).exists()


def test_evaluate_retries_with_the_newest_checkpoint_when_its_pick_is_rotated_away(
        tmp_path, iris, columns, monkeypatch, warnings_logged):
    model_dir = tmp_path / "model"
    make_estimator(model_dir, columns, save_checkpoints_steps=100).train(train_fn(iris), steps=100)
    original = estimator_module._check_compatible
    rotations = []

    def another_process_trains_meanwhile(path, graph, directory, saver=None, training=False):
        if not rotations:  # between picking model.ckpt-100 and restoring it, a trainer rotates it away
            rotations.append(path)
            make_estimator(model_dir, columns, save_checkpoints_steps=100, keep_checkpoint_max=1).train(
                train_fn(iris), steps=100)
            assert not os.path.exists(path + ".index")
        return original(path, graph, directory, saver, training)

    monkeypatch.setattr(estimator_module, "_check_compatible", another_process_trains_meanwhile)
    results = make_estimator(model_dir, columns).evaluate(eval_fn(iris))
    assert rotations == [str(model_dir / "model.ckpt-100")]
    assert results["global_step"] == 200
    assert any("was replaced by a newer one while being restored" in m for m in warnings_logged)


# ----- arguments -------------------------------------------------------------------------------------------

def test_evaluate_on_empty_data_raises_instead_of_reporting_zero_accuracy(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path / "model", columns)
    estimator.train(train_fn(iris), steps=5)
    (train_x, train_y), _ = iris
    with pytest.raises(ValueError, match=r"evaluate\(\): input_fn yielded no data"):
        estimator.evaluate(lambda: data.eval_input_fn(train_x[:0], train_y[:0], 10))
    assert not (tmp_path / "model" / "eval").exists()


def test_train_on_empty_data_warns_that_no_step_was_trained(tmp_path, iris, columns, warnings_logged):
    estimator = make_estimator(tmp_path / "model", columns)
    (train_x, train_y), _ = iris
    estimator.train(lambda: data.eval_input_fn(train_x[:0], train_y[:0], 10), steps=5)
    assert any("train(): input_fn yielded no data, so no step was trained (global_step stays 0)" in m
               for m in warnings_logged), warnings_logged


def test_predict_keys_empty_means_all_and_a_string_means_that_key(trained):
    estimator, _ = trained
    every = next(estimator.predict(predict_fn(), predict_keys=[]))
    assert sorted(every) == ["class_ids", "logits", "probabilities"]
    only = next(estimator.predict(predict_fn(), predict_keys="class_ids"))
    assert sorted(only) == ["class_ids"]


def test_numpy_integers_are_steps(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path / "model", columns)
    estimator.train(train_fn(iris), steps=np.int64(7))
    estimator.train(train_fn(iris), max_steps=np.int32(9))
    assert estimator.evaluate(eval_fn(iris), steps=np.int64(1))["global_step"] == 9


def test_a_model_dir_that_is_a_file_or_empty_is_refused_up_front(tmp_path, columns):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(ValueError, match=r"notes.txt is a file, not a directory: pass a directory path"):
        make_estimator(a_file, columns)
    assert a_file.read_text() == "keep me"
    with pytest.raises(ValueError, match=r"model_dir='' is empty: pass a directory path"):
        make_estimator("", columns)


def test_the_same_path_as_model_dir_and_in_run_config_is_accepted(tmp_path, columns):
    from iris_lib.estimator import Estimator
    from iris_lib.model import my_model_fn

    estimator = Estimator(my_model_fn, model_dir=tmp_path / "m", config=RunConfig(model_dir=tmp_path / "m"),
                          params={"feature_columns": columns, "hidden_units": [3], "n_classes": 3})
    assert estimator.model_dir == str(tmp_path / "m")
    with pytest.raises(ValueError, match="`model_dir` are set both in constructor and `RunConfig`, but with different values"):
        Estimator(my_model_fn, model_dir=tmp_path / "a", config=RunConfig(model_dir=tmp_path / "b"),
                  params={"feature_columns": columns, "hidden_units": [3], "n_classes": 3})


@pytest.mark.parametrize("name", ["save_checkpoints_steps", "save_checkpoints_secs", "save_summary_steps"])
def test_negative_run_config_counts_are_refused(name):
    with pytest.raises(ValueError, match=f"^{name} should be >= 0, got -1$"):
        RunConfig(**{name: -1})


def test_a_plain_tensor_where_feature_columns_need_a_dict_is_named(tmp_path, iris, columns):
    (train_x, train_y), _ = iris
    estimator = make_estimator(tmp_path / "model", columns)
    tensor_input = lambda: tf.data.Dataset.from_tensor_slices((train_x.values, train_y)).batch(10)  # noqa: E731
    with pytest.raises(TypeError, match=r"features must be a dict of tensors keyed by the feature columns' keys "
                                        r"\['SepalLength', 'SepalWidth', 'PetalLength', 'PetalWidth'\].*plain \w*Tensor"):
        estimator.train(tensor_input, steps=1)


def test_a_model_fn_that_takes_a_plain_tensor_still_works(tmp_path):
    from iris_lib.estimator import Estimator, EstimatorSpec

    def linear_model_fn(features, labels, mode):
        logits = tf.matmul(features, tf.compat.v1.get_variable("w", [4, 3]))
        loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=tf.compat.v1.train.get_global_step())
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    x, y = np.ones((8, 4), np.float32), np.zeros(8, np.int64)
    estimator = Estimator(linear_model_fn, model_dir=str(tmp_path / "m"))
    estimator.train(lambda: tf.data.Dataset.from_tensor_slices((x, y)).batch(4).repeat(), steps=3)
    assert estimator.get_variable_value("global_step") == 3


@pytest.mark.parametrize("name", ["a/b", "../up", "a\\b"])
def test_an_evaluation_name_with_a_path_separator_is_refused(trained, iris, name):
    estimator, _ = trained
    before = sorted(os.listdir(estimator.model_dir))
    with pytest.raises(ValueError, match=r"must be a plain folder name without '/' or '\\'"):
        estimator.evaluate(eval_fn(iris), name=name)
    assert sorted(os.listdir(estimator.model_dir)) == before


# ----- resources ---------------------------------------------------------------------------------------

def event_logger_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "EventLoggerThread")


def test_event_writers_of_finished_models_are_closed(tmp_path, iris, columns):
    """Counted for this test's models only: writers that earlier tests in this process still use stay open."""
    threads_before = event_logger_threads()
    for i in range(12):
        estimator = make_estimator(tmp_path / f"m{i}", columns)
        estimator.train(train_fn(iris), steps=2)
        estimator.evaluate(eval_fn(iris))
    open_here = [logdir for logdir, writer in list(summary_writers._LIVE.items())
                 if logdir.startswith(str(tmp_path)) and not writer.event_writer._closed]
    assert len(open_here) <= summary_writers.KEEP_OPEN, open_here
    assert event_logger_threads() - threads_before <= summary_writers.KEEP_OPEN
    # The closed writers' summaries are all on disk.
    for i in range(12):
        runs = read_run(tmp_path / f"m{i}")
        assert runs["train"]["loss"]["step"].tolist() == [1] and runs["eval"]["accuracy"]["step"].tolist() == [2]


def test_a_writer_in_use_is_never_closed_by_others(tmp_path):
    first = summary_writers.writer_for(str(tmp_path / "busy"))
    for i in range(2 * summary_writers.KEEP_OPEN):
        summary_writers.writer_for(str(tmp_path / f"other{i}"))
    assert summary_writers.writer_for(str(tmp_path / "busy")) is first  # still the one open writer of that dir
    first.add_summary(tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag="x", simple_value=1.0)]), 1)
    first.flush()
    assert read_run(tmp_path / "busy")["train"]["x"]["value"].tolist() == [1.0]


def test_event_file_names_are_unique_per_writer(tmp_path):
    names = set()
    for _ in range(3):
        writer = summary_writers.writer_for(str(tmp_path))
        names.add(os.path.basename(summary_writers.event_file(writer)))
        writer.close()  # as after its model_dir was emptied: the next writer opens a file of its own
        os.remove(summary_writers.event_file(writer))
    assert len(names) == 3
    assert all(name.startswith("events.out.tfevents.") and f".{os.getpid()}." in name for name in names)


def test_evaluate_returns_its_metrics_when_the_summary_cannot_be_written(trained, iris, warnings_logged):
    estimator, expected = trained
    blocked = os.path.join(estimator.model_dir, "eval_blocked")
    with open(blocked, "w") as file:  # a file where the evaluation's folder would go: unwritable, even as root
        file.write("not a directory")
    try:
        results = estimator.evaluate(eval_fn(iris), name="blocked")
    finally:
        os.remove(blocked)
    assert results == expected
    assert any("evaluate(): the metrics are returned, but their summary for TensorBoard could not be written to "
               f"{blocked}" in m for m in warnings_logged), warnings_logged


def test_a_checkpoint_rotated_away_between_listing_and_reading_is_reported_missing(tmp_path, four_checkpoints,
                                                                                 monkeypatch):
    """Another process's keep_checkpoint_max can delete a checkpoint after its files were listed and before
    they are read (a race CI once hit): that is a missing checkpoint, never a FileNotFoundError."""
    from iris_lib.estimator import checkpoint_state

    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    prefix = str(model_dir / "model.ckpt-300")
    real_stat = os.stat

    def stat_after_rotation(path, *args, **kwargs):
        if str(path).startswith(prefix):
            for name in os.listdir(model_dir):
                if name.startswith("model.ckpt-300."):
                    os.remove(model_dir / name)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(checkpoint_state.os, "stat", stat_after_rotation)
    checkpoint_state._VERIFIED.pop(prefix, None)
    assert checkpoint_state.checkpoint_problem(prefix) == "model.ckpt-300.index is missing"


def test_latest_looks_again_when_the_newest_checkpoint_is_rotated_away_while_checked(tmp_path, four_checkpoints,
                                                                                    monkeypatch):
    """A trainer in another process saves a newer checkpoint and deletes the one being checked: `latest`
    answers with the new one (predict() and evaluate() ask it first), never DamagedCheckpointError."""
    from iris_lib.estimator import checkpoint_state

    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    real_problem = checkpoint_state.checkpoint_problem

    def problem_after_a_save(prefix):
        if prefix.endswith("model.ckpt-300") and (model_dir / "model.ckpt-300.index").exists():
            for name in os.listdir(model_dir):  # "a newer one" is played by 200: the state file now names it
                if name.startswith("model.ckpt-300."):
                    os.remove(model_dir / name)
            tf.compat.v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-200")
        return real_problem(prefix)

    monkeypatch.setattr(checkpoint_state, "checkpoint_problem", problem_after_a_save)
    assert checkpoint_state.latest(str(model_dir)) == str(model_dir / "model.ckpt-200")


def test_evaluate_restores_the_newest_when_the_checkpoint_vanishes_while_its_variables_are_listed(
        tmp_path, iris, columns, four_checkpoints, monkeypatch):
    """Rotated away between `latest` and the variable check, a checkpoint makes TensorFlow's reader raise a
    bare OpError (not NotFoundError; CI hit it): evaluate() restores the newest one, as for the other races."""
    model_dir = tmp_path / "model"
    shutil.copytree(four_checkpoints, model_dir)
    real_check = estimator_module._check_compatible
    calls = []

    def check_during_a_rotation(path, graph, directory, saver=None, training=False):
        calls.append(os.path.basename(path))
        if len(calls) == 1:  # a trainer saves "a newer one" (played by 200) and deletes the one being read
            tf.compat.v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-200")
            raise tf.errors.OpError(None, None, f"{path}.index; No such file or directory", tf.errors.UNKNOWN)
        return real_check(path, graph, directory)

    monkeypatch.setattr(estimator_module, "_check_compatible", check_during_a_rotation)
    result = make_estimator(model_dir, columns).evaluate(eval_fn(iris))
    assert calls == ["model.ckpt-300", "model.ckpt-200"] and result["global_step"] == 200


def test_run_config_takes_the_real_ones_session_and_checkpoint_settings(tmp_path, iris, columns):
    """RunConfig(session_config=...) configures every session, as in tf.estimator (a reader may pin threads
    that way); checkpoint_save_graph_def=False writes neither graph.pbtxt nor .meta files."""
    import pytest as _pytest
    import tensorflow as _tf
    from iris_lib.estimator import RunConfig as _RunConfig
    from iris_lib.estimator.hooks import SessionRunHook
    from support import eval_fn, make_estimator, predict_fn, train_fn

    pinned = _tf.compat.v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=3)

    class SeenConfig(SessionRunHook):
        def __init__(self):
            self.configs = []

        def after_create_session(self, session, coord):
            self.configs.append(session._config)

    seen = SeenConfig()
    estimator = make_estimator(tmp_path, columns, session_config=pinned, checkpoint_save_graph_def=False,
                               keep_checkpoint_every_n_hours=1)
    estimator.train(train_fn(iris), steps=20, hooks=[seen])
    estimator.evaluate(eval_fn(iris), hooks=[seen])
    list(estimator.predict(predict_fn(), hooks=[seen]))
    assert [(c.intra_op_parallelism_threads, c.inter_op_parallelism_threads) for c in seen.configs] == [(2, 3)] * 3
    assert not (tmp_path / "graph.pbtxt").exists() and not list(tmp_path.glob("*.meta"))
    assert (tmp_path / "model.ckpt-20.index").is_file()

    with _pytest.raises(ValueError, match="session_config must be instance of ConfigProto"):
        _RunConfig(session_config={"intra_op_parallelism_threads": 1})
    config = _RunConfig(tf_random_seed=1)
    assert (config.keep_checkpoint_every_n_hours, config.session_creation_timeout_secs,
            config.checkpoint_save_graph_def, config.session_config) == (10000, 7200, True, None)
    replaced = config.replace(save_summary_steps=10)
    assert (replaced.save_summary_steps, replaced.tf_random_seed, config.save_summary_steps) == (10, 1, 100)
