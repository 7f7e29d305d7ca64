"""Training on a cluster of processes on this machine: TF_CONFIG, TensorFlow's gRPC servers, train_and_evaluate.

Each test starts real processes with `iris_lib.cluster` (a ps, the chief, workers, the evaluator, each running
`iris_lib.train_on_a_cluster` with its own TF_CONFIG) and checks what they leave in model_dir. Waits are on
events (a task's log line, a process's exit), bounded only by the hang guard.
"""
from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

import tensorflow as tf

import iris_lib.tf1 as tf1
from iris_lib import data
from iris_lib.cluster import Cluster
from iris_lib.estimator import ModelDirBusyError, checkpoint_state, training
from support import eval_fn, make_estimator, train_fn, wait_until


def program(max_steps: int, *flags: str) -> list[str]:
    return [sys.executable, "-m", "iris_lib.train_on_a_cluster", "--max_steps", str(max_steps),
            "--save_checkpoints_steps", "100", "--throttle_secs", "0", "--max_worker_delay_secs", "0", *flags]


def logged_steps(task) -> list[int]:
    return [int(m.group(1)) for line in task.lines for m in [re.search(r"loss = [^,]+, step = (\d+)", line)] if m]


def global_step(model_dir) -> int:
    return int(tf.train.load_variable(tf.train.latest_checkpoint(str(model_dir)), "global_step"))


def evaluated_steps(cluster: Cluster) -> list[int]:
    return [int(m.group(1)) for line in cluster.task("evaluator").lines
            for m in [re.search(r"Saving dict for global step (\d+):", line)] if m]


def test_a_cluster_trains_to_max_steps_with_every_worker_and_the_evaluator_follows(tmp_path):
    model_dir = tmp_path / "model"
    cluster = Cluster(program(600, "--wait_for_workers"), ps=1, workers=2, model_dir=str(model_dir),
                      out=io.StringIO()).start()
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": 0, "worker 1": 0, "evaluator": 0}, cluster.out.getvalue()
    # Each trainer stops when it reads a global step >= max_steps; the others' steps in flight land on top
    # (the real one overshoots the same way: at most about two steps per trainer).
    assert 600 <= global_step(model_dir) <= 605
    for trainer in ("chief", "worker 0", "worker 1"):
        assert cluster.task(trainer).last_step is not None, f"{trainer} never trained a step"
    # --wait_for_workers: the chief's first step came after each worker's first (2 updates at least).
    assert any("Waiting for the 2 workers' first steps." in line for line in cluster.task("chief").lines)
    assert logged_steps(cluster.task("chief"))[0] >= 2, cluster.out.getvalue()
    assert evaluated_steps(cluster)[-1] >= 600
    # Only the chief writes: one event file and graph.pbtxt in model_dir; the evaluator's in eval/.
    assert len([name for name in os.listdir(model_dir) if name.startswith("events.out.tfevents")]) == 1
    assert (model_dir / "graph.pbtxt").exists() and os.listdir(model_dir / "eval")


def test_a_worker_killed_mid_run_leaves_the_others_to_finish(tmp_path):
    model_dir = tmp_path / "model"
    # --wait_for_workers: the worker has trained a step before the chief starts, however slowly it started.
    cluster = Cluster(program(3000, "--wait_for_workers"), ps=1, workers=1, model_dir=str(model_dir),
                      out=io.StringIO()).start()
    worker = cluster.task("worker 0")
    wait_until(lambda: worker.last_step is not None or worker.process.poll() is not None, "the worker trains")
    worker.process.send_signal(signal.SIGKILL)
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": -signal.SIGKILL, "evaluator": 0}, cluster.out.getvalue()
    assert global_step(model_dir) >= 3000 and evaluated_steps(cluster)[-1] >= 3000


def test_a_chief_killed_and_restarted_resumes_from_its_last_checkpoint(tmp_path):
    model_dir = tmp_path / "model"
    cluster = Cluster(program(2000), ps=1, workers=1, model_dir=str(model_dir), out=io.StringIO()).start()
    chief = cluster.task("chief")
    # "Saving checkpoints for N" is logged before the files are written; the listeners' "after" line, once they are.
    wait_until(lambda: any(re.search(r"after saving checkpoint [1-9]", line) for line in chief.lines)
               or chief.process.poll() is not None, "the chief saves a checkpoint after step 0")
    chief.process.send_signal(signal.SIGKILL)
    chief.process.wait()
    saved = global_step(model_dir)
    assert 0 < saved < 2000, cluster.out.getvalue()
    cluster.restart("chief")
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": 0, "evaluator": 0}, cluster.out.getvalue()
    restarted = chief.lines[chief.lines.index("--- chief restarted ---"):]
    assert any(f"Restoring parameters from {model_dir}/model.ckpt-" in line for line in restarted)
    assert global_step(model_dir) >= 2000 and evaluated_steps(cluster)[-1] >= 2000


def test_an_evaluator_restarted_goes_on_with_the_newest_checkpoint(tmp_path):
    model_dir = tmp_path / "model"
    cluster = Cluster(program(2000), ps=1, workers=1, model_dir=str(model_dir), out=io.StringIO()).start()
    evaluator = cluster.task("evaluator")
    wait_until(lambda: evaluated_steps(cluster) or evaluator.process.poll() is not None, "a first evaluation")
    evaluator.process.send_signal(signal.SIGKILL)
    evaluator.process.wait()
    cluster.restart("evaluator")
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": 0, "evaluator": 0}, cluster.out.getvalue()
    assert evaluated_steps(cluster)[-1] >= 2000


def _trained_evaluator(tmp_path, eval_input_fn=None):
    iris = data.load_data()
    columns = [tf1.feature_column.numeric_column(key) for key in data.FEATURE_NAMES]
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=3)
    spec = training.EvalSpec(eval_input_fn or eval_fn(iris))
    return training._Evaluator(estimator, spec, max_training_steps=3), str(tmp_path / "model.ckpt-3")


def test_an_evaluator_waits_while_the_chief_writes_its_first_checkpoint(tmp_path):
    """On a cluster the chief's first checkpoint files appear before its `checkpoint` file: not trained yet."""
    evaluator, _ = _trained_evaluator(tmp_path)
    os.rename(tmp_path / "checkpoint", tmp_path / "checkpoint.later")  # the moment before the chief writes it
    assert evaluator.evaluate_new_checkpoint() == (None, [])
    os.rename(tmp_path / "checkpoint.later", tmp_path / "checkpoint")
    metrics, exports = evaluator.evaluate_new_checkpoint()
    assert metrics["global_step"] == 3 and exports == []


def test_an_evaluator_waits_while_a_restarted_chief_saves_its_newest_checkpoint_again(tmp_path):
    """A restarted chief saves the step it restored again, in place: the sharded saver writes into
    `<prefix>_temp/`, then replaces the data files and rewrites the index while `checkpoint` names it."""
    evaluator, newest = _trained_evaluator(tmp_path)
    index = open(newest + ".index", "rb").read()
    os.mkdir(newest + "_temp")
    with open(newest + ".index", "wb") as file:  # the merge, halfway through the index
        file.write(index[: len(index) // 2])
    assert evaluator.evaluate_new_checkpoint() == (None, [])
    with open(newest + ".index", "wb") as file:
        file.write(index)
    os.rmdir(newest + "_temp")  # the save is complete
    metrics, _ = evaluator.evaluate_new_checkpoint()
    assert metrics["global_step"] == 3


def test_an_evaluation_whose_checkpoint_is_saved_again_meanwhile_is_done_again_once_the_save_is_complete(tmp_path):
    iris = data.load_data()
    saved_again = []

    def input_fn():  # called after the evaluator picked the checkpoint, before it is restored
        if not saved_again:
            saved_again.append(open(newest + ".index", "rb").read())
            with open(newest + ".index", "wb") as file:
                file.write(saved_again[0][:100])
        return eval_fn(iris)()

    evaluator, newest = _trained_evaluator(tmp_path, input_fn)
    assert evaluator.evaluate_new_checkpoint() == (None, [])
    with open(newest + ".index", "wb") as file:
        file.write(saved_again[0])
    metrics, _ = evaluator.evaluate_new_checkpoint()  # the same path again, not "no new checkpoint"
    assert metrics["global_step"] == 3


def test_an_evaluator_refuses_a_damaged_newest_checkpoint_nobody_is_saving(tmp_path):
    evaluator, newest = _trained_evaluator(tmp_path)
    with open(newest + ".index", "r+b") as file:
        file.truncate(100)
    with pytest.raises(checkpoint_state.DamagedCheckpointError, match="damaged or truncated"):
        evaluator.evaluate_new_checkpoint()


def test_a_cluster_warm_starts_from_a_model_trained_on_one_machine(tmp_path):
    """Only the chief initializes the variables on the ps: from the warm-start checkpoint, as the real one."""
    iris = data.load_data()
    columns = [tf1.feature_column.numeric_column(key) for key in data.FEATURE_NAMES]
    local = make_estimator(tmp_path / "local", columns)
    local.train(train_fn(iris), steps=30)
    model_dir = tmp_path / "model"
    # No workers: a worker may train steps between the chief's initialization and its first save.
    cluster = Cluster(program(100) + ["--warm_start_from", str(tmp_path / "local"), "--tf_random_seed", "3"], ps=1,
                      workers=0, model_dir=str(model_dir), out=io.StringIO()).start()
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "evaluator": 0}, cluster.out.getvalue()
    first = str(model_dir / "model.ckpt-0")  # saved by the chief right after it initialized the variables
    for name in ("dense/kernel", "dense_1/bias", "dense_2/kernel"):
        assert (tf.train.load_variable(first, name) == local.get_variable_value(name)).all(), name
    assert int(tf.train.load_variable(first, "global_step")) == 0  # the weights, not the step, come along


def test_only_the_chief_holds_the_model_dir_lock_while_the_workers_train_beside_it(tmp_path):
    """A local trainer started on the cluster's model_dir is refused; the worker trains all the same."""
    iris = data.load_data()
    columns = [tf1.feature_column.numeric_column(key) for key in data.FEATURE_NAMES]
    model_dir = tmp_path / "model"
    # Steps enough that the chief is still training when we try (stopped below); the worker steps first.
    cluster = Cluster(program(1_000_000, "--wait_for_workers"), ps=1, workers=1, model_dir=str(model_dir),
                      out=io.StringIO()).start()
    chief, worker = cluster.task("chief"), cluster.task("worker 0")
    try:
        wait_until(lambda: chief.last_step is not None or chief.process.poll() is not None, "the chief trains")
        with pytest.raises(ModelDirBusyError, match="chief|pid"):
            make_estimator(model_dir, columns).train(train_fn(iris), steps=1)
        assert worker.last_step is not None and chief.process.poll() is None, cluster.out.getvalue()
    finally:
        cluster.stop()
    make_estimator(model_dir, columns).train(train_fn(iris), steps=1)  # the chief is gone, and its lock with it


# A real user's program whose training loss turns NaN from global step 50 on (its weights stay finite).
DIVERGING_PROGRAM = '''
import sys
import tensorflow as tf
from iris_lib import data
from iris_lib.custom_estimator import feature_columns
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.estimator.training import EvalSpec, TrainSpec, train_and_evaluate
from iris_lib.model import my_model_fn


def nan_from_step_50(features, labels, mode, params):
    spec = my_model_fn(features, labels, mode, params)
    if mode != "train":
        return spec
    step = tf.compat.v1.train.get_global_step()
    return spec._replace(loss=tf.where(step >= 50, tf.constant(float("nan")), spec.loss))


tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
(train_x, train_y), (valid_x, valid_y), _ = data.load_splits()
estimator = Estimator(nan_from_step_50, config=RunConfig(save_checkpoints_steps=20, experimental_max_worker_delay_secs=0),
                      params={"feature_columns": feature_columns(), "hidden_units": [10, 10], "n_classes": 3})
train_and_evaluate(estimator, TrainSpec(lambda: data.train_input_fn(train_x, train_y, 32), max_steps=3000),
                   EvalSpec(lambda: data.eval_input_fn(valid_x, valid_y, 32), start_delay_secs=0, throttle_secs=0))
'''


def test_a_nan_loss_on_a_cluster_stops_the_chief_and_the_launcher_stops_the_rest(tmp_path):
    """The real NanTensorHook runs in every trainer: the chief fails, the launcher stops every other task, and
    the checkpoints written before stay whole."""
    (tmp_path / "diverging.py").write_text(DIVERGING_PROGRAM)
    model_dir = tmp_path / "model"
    cluster = Cluster([sys.executable, str(tmp_path / "diverging.py")], ps=1, workers=1, model_dir=str(model_dir),
                      out=io.StringIO()).start()
    codes = cluster.wait()
    assert codes["chief"] == 1 and codes["ps 0"] == 0, cluster.out.getvalue()
    assert all(code is not None for code in codes.values())  # nothing left running
    assert any("NaN loss during training" in line for line in cluster.task("chief").lines), cluster.out.getvalue()
    last = tf.train.latest_checkpoint(str(model_dir))  # written before the NaN (or at its step): whole, finite
    assert int(tf.train.load_variable(last, "global_step")) < 3000
    for name, _ in tf.train.list_variables(last):
        assert np.isfinite(tf.train.load_variable(last, name)).all(), name


def test_ctrl_c_on_the_launcher_stops_every_task_it_started(tmp_path):
    model_dir = tmp_path / "model"
    argv = ["iris_lib.cluster", "--workers", "1", "--model_dir", str(model_dir), "--", *program(100_000),
            "--model_dir", str(model_dir)]
    # As from a terminal: Ctrl-C on. A background job of a script (as CI starts its lanes) inherits SIGINT ignored,
    # and Python then leaves it ignored.
    as_from_a_terminal = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                          f"sys.argv = {argv!r}; runpy.run_module('iris_lib.cluster', run_name='__main__')")
    launcher = subprocess.Popen([sys.executable, "-c", as_from_a_terminal], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(launcher.stdout), daemon=True)
    reader.start()
    wait_until(lambda: any(re.search(r"^\[(chief|worker 0)\] .*step = \d+", line) for line in lines)
               or launcher.poll() is not None, "a trainer logs a step")
    tasks = _processes_mentioning(str(model_dir), besides=launcher.pid)
    assert len(tasks) == 4, "".join(lines)  # the ps, the chief, the worker and the evaluator
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait() != 0
    reader.join()
    assert "[cluster] Ctrl-C: stopping every task" in "".join(lines)
    assert _processes_mentioning(str(model_dir), besides=launcher.pid) == []


def _processes_mentioning(text: str, besides: int) -> list[int]:
    """Live processes (not zombies) whose command line holds `text`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline, open(f"/proc/{pid}/stat") as stat:
                if text.encode() in cmdline.read() and stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(pid))
        except OSError:
            continue
    return [pid for pid in found if pid != besides]


def test_a_clusters_ports_are_held_for_it_until_it_stops(tmp_path):
    """Between choosing its ports and its servers binding them (seconds, while TensorFlow imports), no other process
    is handed one: clusters started at once, as by tests in parallel, never meet."""
    cluster = Cluster(program(10), ps=1, workers=1, model_dir=str(tmp_path / "model"), out=io.StringIO())
    ports = [int(address.rsplit(":", 1)[1]) for address in
             sum(cluster.layout[0][1]["cluster"].values(), [])]
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as other, pytest.raises(OSError, match="in use"):
            other.bind(("127.0.0.1", port))
    cluster.start()
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": 0, "evaluator": 0}, cluster.out.getvalue()
    for port in ports:  # released once it stopped (SO_REUSEADDR: its closed connections linger in TIME_WAIT)
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            other.bind(("127.0.0.1", port))
