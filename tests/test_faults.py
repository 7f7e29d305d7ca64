"""A training process killed mid-run leaves a model_dir that training resumes from."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import tensorflow as tf

from support import HANG_GUARD_SECONDS, eval_fn, make_estimator, predict_fn, train_fn

TRAIN_FOREVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from support import make_estimator, train_fn
    from iris_lib import data
    import iris_lib.quiet
    import tensorflow as tf
    columns = [tf.compat.v1.feature_column.numeric_column(key=k) for k in data.FEATURE_NAMES]
    estimator = make_estimator({model_dir!r}, columns, save_checkpoints_steps=100)
    estimator.train(train_fn(data.load_data(), batch_size=10), steps=10_000_000)
""")


def test_sigkill_mid_training_leaves_a_resumable_model_dir(tmp_path, iris, columns):
    model_dir = tmp_path / "model"
    script = TRAIN_FOREVER.format(tests=os.path.dirname(__file__), model_dir=str(model_dir))
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while time.monotonic() < deadline:
            latest = tf.train.latest_checkpoint(str(model_dir))
            if latest and int(latest.rsplit("-", 1)[1]) >= 500:
                break
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        else:
            raise AssertionError("training never reached a checkpoint at step 500")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL

    resumed = make_estimator(model_dir, columns, save_checkpoints_steps=100)
    start = int(resumed.get_variable_value("global_step"))
    assert start >= 500 and start % 100 == 0
    resumed.train(train_fn(iris), steps=50)
    assert resumed.get_variable_value("global_step") == start + 50
    assert resumed.evaluate(eval_fn(iris))["global_step"] == start + 50


TRAIN_WITH_ROTATION = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from support import make_estimator, train_fn
    from iris_lib import data
    import iris_lib.quiet
    import tensorflow as tf
    columns = [tf.compat.v1.feature_column.numeric_column(key=k) for k in data.FEATURE_NAMES]
    estimator = make_estimator({model_dir!r}, columns, save_checkpoints_steps=20, keep_checkpoint_max=1)
    estimator.train(train_fn(data.load_data(), batch_size=10), steps=10_000_000)
""")


def wait_for_step(model_dir, process, step):
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        latest = tf.train.latest_checkpoint(str(model_dir))
        if latest and int(latest.rsplit("-", 1)[1]) >= step:
            return
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    raise AssertionError(f"training never reached a checkpoint at step {step}")


def test_a_second_trainer_is_refused_and_readers_follow_a_rotating_trainer(tmp_path, iris, columns, caplog):
    """One process trains, saving every 20 steps and keeping 1 checkpoint: another process's train() refuses at
    once, naming the model_dir and the trainer; its evaluate() and predict() work, however fast checkpoints
    rotate. After a SIGKILL, the lock the dead trainer left is taken over with a warning."""
    import socket

    from iris_lib.estimator.model_dir_lock import LOCK_FILE, ModelDirBusyError

    model_dir = tmp_path / "model"
    script = TRAIN_WITH_ROTATION.format(tests=os.path.dirname(__file__), model_dir=str(model_dir))
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        wait_for_step(model_dir, process, 50)
        estimator = make_estimator(model_dir, columns)
        try:
            estimator.train(train_fn(iris), steps=10)
        except ModelDirBusyError as error:
            message = str(error)
        else:
            raise AssertionError("a second trainer was let in")
        assert process.poll() is None  # refused while the other trains (it never ends), not after waiting for it
        assert f"model_dir {model_dir} is being trained by process {process.pid} on host {socket.gethostname()}" in message
        steps = []
        for _ in range(15):
            steps.append(estimator.evaluate(eval_fn(iris))["global_step"])
            assert len(list(estimator.predict(predict_fn()))) == 3
        wait_for_step(model_dir, process, steps[0] + 40)  # the trainer goes on meanwhile
        steps.append(estimator.evaluate(eval_fn(iris))["global_step"])
        assert steps == sorted(steps) and steps[-1] > steps[0]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert (model_dir / LOCK_FILE).exists()  # left behind by the killed trainer
    start = int(make_estimator(model_dir, columns).get_variable_value("global_step"))
    with caplog.at_level("WARNING", logger="tensorflow"):
        caplog.handler.setLevel("WARNING")
        import logging
        logging.getLogger("tensorflow").addHandler(caplog.handler)
        try:
            make_estimator(model_dir, columns).train(train_fn(iris), steps=5)
        finally:
            logging.getLogger("tensorflow").removeHandler(caplog.handler)
    assert f"Taking over the training lock of model_dir {model_dir} left by process {process.pid}" in caplog.text
    assert make_estimator(model_dir, columns).get_variable_value("global_step") == start + 5
    assert not (model_dir / LOCK_FILE).exists()


WRITE_EVAL_POINT = textwrap.dedent("""
    import iris_lib.quiet
    from iris_lib.estimator import summary_writers
    summary_writers.write_eval_summaries({eval_dir!r}, {{"accuracy": {accuracy!r}, "global_step": {step!r}}}, None)
""")


def test_two_processes_evaluating_in_the_same_second_keep_both_points(tmp_path):
    """Event file names carried only the second and the host: the second process truncated the first one's file.
    Now each name ends in the writer's process id and a counter. Landing two processes in one second would race
    the clock, so the test checks the names themselves: with their seconds made equal they still differ."""
    import re

    from iris_lib.tensorboard import read_scalars

    eval_dir = tmp_path / "model" / "eval_same_second"
    processes = [subprocess.Popen([sys.executable, "-c", WRITE_EVAL_POINT.format(
        eval_dir=str(eval_dir), accuracy=accuracy, step=step)], stderr=subprocess.PIPE)
        for accuracy, step in ((0.5, 100), (0.75, 200))]
    for process in processes:
        assert process.wait(timeout=HANG_GUARD_SECONDS) == 0, process.stderr.read().decode()[-2000:]
    names = sorted(path.name for path in eval_dir.iterdir())
    pattern = re.compile(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d{6})")
    parts = [pattern.fullmatch(name).groups() for name in names]
    assert len(parts) == 2 and {int(pid) for _, _, pid, _ in parts} == {p.pid for p in processes}
    assert len({(host, pid, counter) for _, host, pid, counter in parts}) == 2  # apart in any second
    frame = read_scalars(eval_dir)["accuracy"].sort_values("step")
    assert frame["step"].tolist() == [100, 200] and frame["value"].tolist() == [0.5, 0.75]
    assert len(os.listdir(eval_dir)) == 2
