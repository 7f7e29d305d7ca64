"""Hooked Estimator programs run on either engine, recording every hook and listener call.

    python hook_programs.py real  SCENARIO MODEL_DIR     # with the legacy venv's python (TF 2.15)
    python hook_programs.py ours  SCENARIO MODEL_DIR     # with the project's python (iris_lib)

One program text for both engines: only the import differs (`tensorflow.compat.v1` vs `iris_lib.tf1`).
Prints one JSON object: the call log, the checkpoint steps on disk, the evaluations' steps, and the
error raised, if any. tests/test_parity_hooks.py compares the two engines' answers.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ENGINE, SCENARIO, MODEL_DIR = sys.argv[1:4]
if ENGINE == "real":
    import tensorflow.compat.v1 as tf  # noqa: E402
else:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    import iris_lib.tf1 as tf  # noqa: E402
import numpy as np  # noqa: E402

LOG: list = []
rng = np.random.RandomState(0)
X = rng.rand(200, 4).astype("float32")
Y = (X.sum(1) > 2).astype("int32")


def train_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).repeat().batch(10)


def finite_input_fn(rows=25):
    return lambda: tf.data.Dataset.from_tensor_slices(({"x": X[:rows]}, Y[:rows])).batch(10)


def nan_input_fn():
    x = X.copy()
    x[35, 2] = np.nan  # in the 4th batch: the step from global_step 3 to 4
    return tf.data.Dataset.from_tensor_slices(({"x": x}, Y)).batch(10)


class Recorder(tf.train.SessionRunHook):
    def __init__(self, tag, stop_at=None):
        self.tag, self.stop_at = tag, stop_at

    def begin(self):
        self.global_step = tf.train.get_global_step()
        LOG.append([self.tag, "begin", tf.get_default_graph().finalized])

    def after_create_session(self, session, coord):
        LOG.append([self.tag, "after_create_session", int(session.run(self.global_step))])

    def before_run(self, run_context):
        LOG.append([self.tag, "before_run"])
        return tf.train.SessionRunArgs(self.global_step)

    def after_run(self, run_context, run_values):
        step = int(run_context.session.run(self.global_step))
        LOG.append([self.tag, "after_run", step])
        if step == self.stop_at:
            run_context.request_stop()

    def end(self, session):
        LOG.append([self.tag, "end", int(session.run(self.global_step))])


class Listener(tf.train.CheckpointSaverListener):
    def begin(self):
        LOG.append(["listener", "begin"])

    def before_save(self, session, global_step_value):
        LOG.append(["listener", "before_save", int(global_step_value)])

    def after_save(self, session, global_step_value):
        LOG.append(["listener", "after_save", int(global_step_value)])

    def end(self, session, global_step_value):
        LOG.append(["listener", "end", int(global_step_value)])


def model_fn(features, labels, mode, params):
    logits = tf.layers.dense(features["x"], 2)
    predictions = {"class": tf.argmax(logits, 1)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions,
                                          prediction_hooks=[Recorder("late")] if params.get("spec_hooks") else None)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, eval_metric_ops={"accuracy": tf.metrics.accuracy(labels, predictions["class"])},
            evaluation_hooks=[Recorder("late")] if params.get("spec_hooks") else None)
    train_op = tf.train.GradientDescentOptimizer(params.get("lr", 0.1)).minimize(
        loss, global_step=tf.train.get_global_step())
    spec_hooks = params.get("spec_hooks")
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train_op,
        training_chief_hooks=[Recorder("chief")] if spec_hooks else None,
        training_hooks=[Recorder("late")] if spec_hooks else None)


def estimator(spec_hooks=False, **config):
    config.setdefault("tf_random_seed", 1)
    return tf.estimator.Estimator(model_fn, MODEL_DIR, tf.estimator.RunConfig(**config),
                                  params={"spec_hooks": spec_hooks})


def checkpoint_steps(directory=MODEL_DIR):
    if not os.path.isdir(directory):
        return []
    return sorted(int(n.split("-")[1].split(".")[0]) for n in os.listdir(directory) if n.endswith(".index"))


def eval_steps(name="eval"):
    directory = os.path.join(MODEL_DIR, name)
    steps = []
    for event_file in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        for event in tf.train.summary_iterator(os.path.join(directory, event_file)):
            if event.HasField("summary") and any(v.tag == "loss" for v in event.summary.value):
                steps.append(int(event.step))
    return sorted(steps)


def run():
    answer = {}
    if SCENARIO == "train_order":
        e = estimator(spec_hooks=True, save_checkpoints_steps=2, save_summary_steps=2, log_step_count_steps=2)
        e.train(train_input_fn, hooks=[Recorder("user")], steps=5, saving_listeners=[Listener()])
        LOG.append(["second train"])
        e.train(train_input_fn, hooks=[Recorder("user")], steps=1)
    elif SCENARIO == "stop":
        estimator().train(train_input_fn, hooks=[Recorder("user", stop_at=7)], steps=100)
    elif SCENARIO == "out_of_range":
        estimator().train(finite_input_fn(), hooks=[Recorder("user")], saving_listeners=[Listener()])
    elif SCENARIO == "evaluate":
        e = estimator(spec_hooks=True)
        e.train(train_input_fn, steps=3)
        LOG.clear()
        answer["metrics_all"] = sorted(e.evaluate(finite_input_fn(), hooks=[Recorder("user")]))
        LOG.append(["steps=2"])
        e.evaluate(finite_input_fn(), steps=2, hooks=[Recorder("user")])
    elif SCENARIO == "predict":
        e = estimator(spec_hooks=True)
        e.train(train_input_fn, steps=3)
        LOG.clear()
        answer["n"] = len(list(e.predict(finite_input_fn(25), hooks=[Recorder("user")])))
        LOG.append(["stopped early"])
        next(iter(e.predict(finite_input_fn(25), hooks=[Recorder("user")])))
    elif SCENARIO == "nan":
        try:
            estimator(save_checkpoints_steps=2).train(nan_input_fn, hooks=[Recorder("user")], steps=100,
                                                      saving_listeners=[Listener()])
        except tf.train.NanLossDuringTrainingError as error:
            answer["error"] = "NanLossDuringTrainingError"
            answer["is_tf_error"] = isinstance(error, tf.train.NanLossDuringTrainingError)
        answer["finite_checkpoints"] = [
            bool(np.isfinite(tf.train.load_variable(os.path.join(MODEL_DIR, f"model.ckpt-{s}"), "dense/kernel")).all())
            for s in checkpoint_steps()]
    elif SCENARIO == "train_and_evaluate":
        e = estimator(save_checkpoints_steps=20)
        metrics, exports = tf.estimator.train_and_evaluate(
            e, tf.estimator.TrainSpec(train_input_fn, max_steps=100, hooks=[Recorder("user")]),
            tf.estimator.EvalSpec(finite_input_fn(50), steps=3, throttle_secs=0, hooks=[Recorder("eval")]))
        answer["metrics"] = {"global_step": int(metrics["global_step"]), "keys": sorted(metrics)}
        answer["exports"] = exports
        LOG[:] = [entry for entry in LOG if entry[1] in ("begin", "end", "after_create_session")]
    elif SCENARIO == "early_stopping":
        e = estimator(save_checkpoints_steps=20)
        hook = tf.estimator.experimental.stop_if_lower_hook(e, "loss", 100.0, run_every_secs=None, run_every_steps=1)
        metrics, _ = tf.estimator.train_and_evaluate(
            e, tf.estimator.TrainSpec(train_input_fn, max_steps=1000, hooks=[hook]),
            tf.estimator.EvalSpec(finite_input_fn(50), steps=None, throttle_secs=0))
        answer["metrics_step"] = int(metrics["global_step"])
        answer["variables"] = sorted(name for name, _ in tf.train.list_variables(MODEL_DIR))
    else:
        raise SystemExit(f"unknown scenario {SCENARIO}")
    answer.update(log=LOG, checkpoints=checkpoint_steps(), evaluations=eval_steps())
    return answer


print(json.dumps(run()))
