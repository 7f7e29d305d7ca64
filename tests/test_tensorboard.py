"""iris_lib.tensorboard reads back exactly what TensorFlow's summary writers wrote, the way TensorBoard does."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.tensorboard import (
    NoEventFilesError,
    list_event_files,
    read_run,
    read_scalars,
    summarize,
    tensorboard_command,
)

TRAIN_STEPS = list(range(1, 1000, 100))  # 1, 101, ..., 901: what save_summary_steps=100 gives
EVAL_STEP = 1000


def train_values(step: int) -> dict[str, float]:
    i = TRAIN_STEPS.index(step)
    return {"loss": 1.0 / (1 + i), "accuracy": 0.5 + 0.05 * i, "global_step/sec": 100.0 + 7 * i}


EVAL_VALUES = {"accuracy": 0.9667, "loss": 0.0812}


def write_scalars(logdir: Path, points: dict[int, dict[str, float]], **writer_kwargs) -> None:
    """Write TF1 `simple_value` scalar summaries, as the Estimator's summary hooks do."""
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(str(logdir), **writer_kwargs)
        for step, values in points.items():
            summary = tf.compat.v1.Summary(
                value=[tf.compat.v1.Summary.Value(tag=tag, simple_value=v) for tag, v in values.items()]
            )
            writer.add_summary(summary, step)
        writer.close()


def make_model_dir(root: Path) -> Path:
    write_scalars(root, {step: train_values(step) for step in TRAIN_STEPS})
    write_scalars(root / "eval", {EVAL_STEP: EVAL_VALUES})
    return root


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_dir(tmp_path_factory.mktemp("model"))


def as_float32(x):
    """Summaries store scalars as float32: compare against what was actually stored."""
    return np.float32(x).astype(np.float64)


def test_read_scalars_returns_the_steps_and_values_written(model_dir):
    run = read_scalars(model_dir)
    assert set(run) == {"loss", "accuracy", "global_step/sec"}
    for tag, frame in run.items():
        assert list(frame.columns) == ["step", "wall_time", "value"]
        assert frame["step"].tolist() == TRAIN_STEPS
        expected = [as_float32(train_values(step)[tag]) for step in TRAIN_STEPS]
        np.testing.assert_array_equal(frame["value"].to_numpy(), expected)
        assert (frame["wall_time"] > 1e9).all()


def test_read_run_gives_the_training_run_and_the_evaluation_run(model_dir):
    runs = read_run(model_dir)
    assert list(runs) == ["train", "eval"]
    assert set(runs["eval"]) == {"accuracy", "loss"}
    for tag, value in EVAL_VALUES.items():
        frame = runs["eval"][tag]
        assert frame["step"].tolist() == [EVAL_STEP]
        assert frame["value"].tolist() == [as_float32(value)]
    assert runs["train"]["loss"]["step"].tolist() == TRAIN_STEPS


def test_named_evaluations_are_separate_runs(tmp_path):
    make_model_dir(tmp_path)
    write_scalars(tmp_path / "eval_train_data", {EVAL_STEP: {"accuracy": 0.99}})
    runs = read_run(tmp_path)
    assert list(runs) == ["train", "eval", "eval_train_data"]
    assert runs["eval_train_data"]["accuracy"]["value"].tolist() == [as_float32(0.99)]


def test_tf2_tensor_scalars_are_read_like_tf1_scalars(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        for step in (0, 10, 20):
            tf.summary.scalar("loss", 2.0 - step / 10, step=step)
            tf.summary.histogram("weights", [1.0, 2.0, 3.0], step=step)  # not a scalar: must be skipped
    writer.close()
    run = read_scalars(tmp_path)
    assert list(run) == ["loss"]
    assert run["loss"]["step"].tolist() == [0, 10, 20]
    np.testing.assert_array_equal(run["loss"]["value"].to_numpy(), [as_float32(v) for v in (2.0, 1.0, 0.0)])


def test_events_orphaned_by_a_restart_are_dropped_like_tensorboard(tmp_path):
    """A job that crashed after step 901 and restarted from the step-501 checkpoint: TensorBoard shows
    the new 501+ points, not the stale ones from the first attempt."""
    write_scalars(tmp_path, {step: {"loss": 1.0} for step in TRAIN_STEPS})
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(str(tmp_path), filename_suffix=".restart")
        writer.add_session_log(tf.compat.v1.SessionLog(status=tf.compat.v1.SessionLog.START), 501)
        for step in (501, 601):
            writer.add_summary(
                tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag="loss", simple_value=0.5)]), step
            )
        writer.close()
    frame = read_scalars(tmp_path)["loss"]
    assert frame["step"].tolist() == [1, 101, 201, 301, 401, 501, 601]
    assert frame["value"].tolist() == [1.0] * 5 + [0.5, 0.5]


def test_the_eval_files_checkpoint_path_text_entry_is_not_a_scalar(tmp_path):
    """evaluate() writes the evaluated checkpoint as a string tensor without plugin metadata, as the real
    `_write_checkpoint_path_to_summary`; TensorBoard draws no scalar for it, and neither does read_scalars."""
    write_scalars(tmp_path, {EVAL_STEP: EVAL_VALUES})
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(str(tmp_path), filename_suffix=".checkpoint_path")
        text = tf.compat.v1.Summary()
        text.value.add(tag="checkpoint_path", tensor=tf.make_tensor_proto("/m/model.ckpt-1000", dtype=tf.string))
        writer.add_summary(text, EVAL_STEP)
        writer.close()
    assert sorted(read_scalars(tmp_path)) == sorted(EVAL_VALUES)


def test_list_event_files_lists_each_run(model_dir):
    files = list_event_files(model_dir)
    assert list(files) == ["train", "eval"]
    assert [f.parent for f in files["train"]] == [model_dir]
    assert [f.parent for f in files["eval"]] == [model_dir / "eval"]
    assert all(f.name.startswith("events.out.tfevents.") for fs in files.values() for f in fs)


@pytest.mark.parametrize("reader", [read_run, read_scalars, list_event_files])
def test_a_model_dir_without_event_files_says_to_train_first(tmp_path, reader):
    with pytest.raises(NoEventFilesError, match=r"no event files in .*train the estimator first"):
        reader(tmp_path)
    with pytest.raises(NoEventFilesError, match=r"does not exist.*check the model_dir"):
        reader(tmp_path / "never_trained")


def test_summarize_reports_points_and_step_range_per_run_and_tag(model_dir):
    table = summarize(model_dir).set_index(["run", "tag"])
    assert len(table) == 5
    assert table.loc[("train", "loss"), "points"] == len(TRAIN_STEPS)
    assert table.loc[("train", "loss"), "first_step"] == 1
    assert table.loc[("train", "loss"), "last_step"] == 901
    assert table.loc[("eval", "accuracy"), "points"] == 1
    assert table.loc[("eval", "accuracy"), "last_value"] == as_float32(EVAL_VALUES["accuracy"])
    assert summarize(read_run(model_dir)).equals(summarize(model_dir))


def test_tensorboard_command_is_the_guides_command_with_a_quoted_path():
    assert tensorboard_command("/tmp/iris_model") == "tensorboard --logdir=/tmp/iris_model"
    assert tensorboard_command(Path("/tmp/my models/a")) == "tensorboard --logdir='/tmp/my models/a'"


def test_reading_a_model_dir_trained_twice_prints_nothing(tmp_path, capfd):
    from support import make_estimator, train_fn
    from iris_lib import data
    columns = [tf.compat.v1.feature_column.numeric_column(key=k) for k in data.FEATURE_NAMES]
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(data.load_data()), steps=5)
    estimator.train(train_fn(data.load_data()), steps=5)
    capfd.readouterr()
    scalars = read_scalars(tmp_path)
    assert list(scalars["loss"]["step"]) == [1, 6]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("damage, reason", [
    (lambda raw: raw[:-7], "truncated record"),
    (lambda raw: raw[:60] + bytes([raw[60] ^ 0xFF]) + raw[61:], "corrupted record"),
    (lambda raw: b"not an event file at all" * 20, "corrupted record at 0"),
])
def test_a_damaged_event_file_is_named_in_a_warning(tmp_path, damage, reason):
    from iris_lib.tensorboard import DamagedEventFileWarning

    make_model_dir(tmp_path)
    (event_file,) = list_event_files(tmp_path)["train"]
    event_file.write_bytes(damage(event_file.read_bytes()))
    with pytest.warns(DamagedEventFileWarning) as caught:
        runs = read_run(tmp_path)
    (warning,) = caught
    assert str(event_file) in str(warning.message) and reason in str(warning.message)
    assert runs["eval"]["accuracy"]["value"].tolist() == [pytest.approx(EVAL_VALUES["accuracy"])]  # the rest reads


def test_an_intact_model_dir_reads_without_warnings(model_dir):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(read_run(model_dir)) == {"train", "eval"}
