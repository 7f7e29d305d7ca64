"""Gradient accumulation in a TF1 model_fn, as BERT-era programs did for batches larger than memory: each run adds
its gradients to non-trainable accumulators, and every 4th run applies their mean with Adam and moves the global
step, so `train(steps=5)` is 20 runs. The real Estimator warned that the global step had not been increased and
trained on. Also checkpoints every 2 steps, then a second train() that resumes. Fixed initial weights.
Usage: python tf1_gradient_accumulation.py real|ours [ROOT train|restore]. Prints one JSON line. With ROOT, the
model_dir is ROOT/accumulation, and the report adds 2 steps more trained from its step-7 checkpoint (in a copy);
`restore` only evaluates, predicts and trains on from the checkpoint already there (e.g. the other engine's, with
its accumulators and Adam slots).
"""
import logging
import os
import shutil
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

v1 = tf.compat.v1
ACCUMULATE = 4
X = np.random.RandomState(3).uniform(-1, 1, (48, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) > 0).astype(np.int64)[:, 0]


def model_fn(features, labels, mode):
    hidden = v1.layers.dense(features["x"], 8, activation=tf.nn.tanh,
                             kernel_initializer=v1.constant_initializer(fixed_values("h", (3, 8))))
    logits = v1.layers.dense(hidden, 2, kernel_initializer=v1.constant_initializer(fixed_values("o", (8, 2))))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": tf.nn.softmax(logits)})
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        accuracy = v1.metrics.accuracy(labels, tf.argmax(logits, 1))
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})
    variables = v1.trainable_variables()
    sums = [v1.get_variable(v.op.name + "/accumulated", v.shape, trainable=False,
                            initializer=v1.zeros_initializer()) for v in variables]
    runs = v1.get_variable("accumulated_runs", [], tf.int64, trainable=False, initializer=v1.zeros_initializer())
    adds = [s.assign_add(g) for s, g in zip(sums, tf.gradients(loss, variables))]
    with tf.control_dependencies(adds):
        counted = runs.assign_add(1)

    def apply():
        step = v1.train.AdamOptimizer(0.05).apply_gradients(
            [(s / ACCUMULATE, v) for s, v in zip(sums, variables)], global_step=v1.train.get_global_step())
        with tf.control_dependencies([step]):
            return tf.group(*[s.assign(tf.zeros_like(s)) for s in sums])

    train_op = tf.cond(tf.equal(counted % ACCUMULATE, 0), apply, tf.no_op)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn(repeat):
    def make():
        data = tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(6)
        return data.repeat() if repeat else data
    return make


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def trained_on(model_dir):
    """2 steps more (8 runs) from the checkpoint in `model_dir`, in a copy of it: the weights and runs after."""
    estimator = tf.estimator.Estimator(model_fn, shutil.copytree(model_dir, os.path.join(tempfile.mkdtemp(), "on")),
                                       config=config)
    estimator.train(input_fn(True), steps=2)
    return {name: estimator.get_variable_value(name)
            for name in ("global_step", "accumulated_runs", "dense/kernel", "dense_1/bias")}


warnings = Warnings()
tf.get_logger().addHandler(warnings)
ROOT, ACTION = sys.argv[2:] or (None, "train")
model_dir = os.path.join(ROOT, "accumulation") if ROOT else tempfile.mkdtemp()
config = tf.estimator.RunConfig(save_checkpoints_steps=2, keep_checkpoint_max=20)
estimator = tf.estimator.Estimator(model_fn, model_dir, config=config)
report = {}
if ACTION == "train":
    estimator.train(input_fn(True), steps=5)
    first = {"global_step": estimator.get_variable_value("global_step"),
             "runs": estimator.get_variable_value("accumulated_runs")}
    estimator.train(input_fn(True), steps=2)
    state = tf.train.get_checkpoint_state(model_dir)
    report = {
        "first train": first,
        "runs after the second": estimator.get_variable_value("accumulated_runs"),
        "checkpoints": sorted(int(path.rsplit("-", 1)[1]) for path in state.all_model_checkpoint_paths),
        "warned": any(m.startswith("It seems that global step") for m in warnings.messages),
    }
report.update({
    "evaluated": estimator.evaluate(input_fn(False)),
    "weights": {name: estimator.get_variable_value(name) for name in ("dense/kernel", "dense_1/bias")},
    "predicted": [p["probabilities"] for p in estimator.predict(input_fn(False))][:3],
})
if ROOT:
    report["trained on"] = trained_on(model_dir)
print_report(report)
