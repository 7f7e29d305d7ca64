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
import sys

import tensorflow as tf

import iris_lib.tf1 as tf1
from iris_lib import data
from iris_lib.cluster import Cluster
from iris_lib.estimator import training
from support import eval_fn, make_estimator, train_fn, wait_until


def program(max_steps: int) -> list[str]:
    return [sys.executable, "-m", "iris_lib.train_on_a_cluster", "--max_steps", str(max_steps),
            "--save_checkpoints_steps", "100", "--throttle_secs", "0", "--max_worker_delay_secs", "0"]


def global_step(model_dir) -> int:
    return int(tf.train.load_variable(tf.train.latest_checkpoint(str(model_dir)), "global_step"))


def evaluated_steps(cluster: Cluster) -> list[int]:
    return [int(m.group(1)) for line in cluster.task("evaluator").lines
            for m in [re.search(r"Saving dict for global step (\d+):", line)] if m]


def test_a_cluster_trains_to_max_steps_with_every_worker_and_the_evaluator_follows(tmp_path):
    model_dir = tmp_path / "model"
    cluster = Cluster(program(600), ps=1, workers=2, model_dir=str(model_dir), out=io.StringIO()).start()
    codes = cluster.wait()
    assert codes == {"ps 0": 0, "chief": 0, "worker 0": 0, "worker 1": 0, "evaluator": 0}, cluster.out.getvalue()
    # Each trainer stops when it reads a global step >= max_steps; the others' steps in flight land on top
    # (the real one overshoots the same way: at most about two steps per trainer).
    assert 600 <= global_step(model_dir) <= 605
    for trainer in ("chief", "worker 0", "worker 1"):
        assert cluster.task(trainer).last_step is not None, f"{trainer} never trained a step"
    assert evaluated_steps(cluster)[-1] >= 600
    # Only the chief writes: one event file and graph.pbtxt in model_dir; the evaluator's in eval/.
    assert len([name for name in os.listdir(model_dir) if name.startswith("events.out.tfevents")]) == 1
    assert (model_dir / "graph.pbtxt").exists() and os.listdir(model_dir / "eval")


def test_a_worker_killed_mid_run_leaves_the_others_to_finish(tmp_path):
    model_dir = tmp_path / "model"
    cluster = Cluster(program(3000), ps=1, workers=1, model_dir=str(model_dir), out=io.StringIO()).start()
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


def test_an_evaluator_waits_while_the_chief_writes_its_first_checkpoint(tmp_path):
    """On a cluster the chief's first checkpoint files appear before its `checkpoint` file: not trained yet."""
    iris = data.load_data()
    columns = [tf1.feature_column.numeric_column(key) for key in data.FEATURE_NAMES]
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=3)
    os.rename(tmp_path / "checkpoint", tmp_path / "checkpoint.later")  # the moment before the chief writes it
    evaluator = training._Evaluator(estimator, training.EvalSpec(eval_fn(iris)), max_training_steps=3)
    assert evaluator.evaluate_new_checkpoint() == (None, [])
    os.rename(tmp_path / "checkpoint.later", tmp_path / "checkpoint")
    metrics, exports = evaluator.evaluate_new_checkpoint()
    assert metrics["global_step"] == 3 and exports == []


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
