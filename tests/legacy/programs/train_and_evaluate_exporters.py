"""`tf.estimator.train_and_evaluate` as production trainers ran it: exporters and early stopping.

A custom model_fn (constant initial weights, a learning rate that drops to 0 after step 10) trains with a
checkpoint every 5 steps; each checkpoint is evaluated (`throttle_secs=0`) and exported by a
`BestExporter` (smallest loss, keeps 2) and a `LatestExporter` (keeps 1);
`tf.estimator.experimental.stop_if_no_decrease_hook` stops training once the eval loss has not decreased for
10 steps, long before `max_steps=200`.
Usage: python train_and_evaluate_exporters.py real|ours. Prints one JSON line: the final metrics and step,
the evaluated steps with their loss, how many exports each exporter kept, their signatures, model_dir's folders.
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1 as tf1
else:
    import tensorflow.compat.v1 as tf1
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

rng = np.random.RandomState(9)
X = rng.uniform(-1, 1, (40, 2)).astype(np.float32)
Y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return dataset.repeat().batch(8) if train else dataset.batch(20)
    return make


def model_fn(features, labels, mode):
    hidden = tf1.layers.dense(features["x"], 8, activation=tf.nn.relu,
                              kernel_initializer=tf1.constant_initializer(np.linspace(-1, 1, 16).reshape(2, 8)))
    logits = tf1.layers.dense(hidden, 2, kernel_initializer=tf1.constant_initializer(np.linspace(0.4, -0.4, 16)
                                                                                         .reshape(8, 2)))
    probabilities = tf.nn.softmax(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": probabilities}, export_outputs={
            "serving_default": tf.estimator.export.PredictOutput({"probabilities": probabilities})})
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    global_step = tf1.train.get_global_step()
    learning_rate = tf1.train.piecewise_constant(global_step, [10], [0.5, 0.0])
    train_op = tf1.train.GradientDescentOptimizer(learning_rate).minimize(loss, global_step=global_step)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops={
        "accuracy": tf1.metrics.accuracy(labels, tf.argmax(logits, 1))})


model_dir = tempfile.mkdtemp()
estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir,
                                   config=tf.estimator.RunConfig(save_checkpoints_steps=5))
serving = tf.estimator.export.build_raw_serving_input_receiver_fn({"x": tf.zeros([1, 2])})
early_stopping = tf.estimator.experimental.stop_if_no_decrease_hook(
    estimator, "loss", max_steps_without_decrease=10, run_every_secs=None, run_every_steps=1)
exporters = [tf.estimator.BestExporter("best", serving, exports_to_keep=2),
             tf.estimator.LatestExporter("latest", serving, exports_to_keep=1)]
metrics, exports = tf.estimator.train_and_evaluate(
    estimator, tf.estimator.TrainSpec(input_fn(True), max_steps=200, hooks=[early_stopping]),
    tf.estimator.EvalSpec(input_fn(False), steps=None, exporters=exporters, start_delay_secs=0, throttle_secs=0))

evaluated = []
for name in sorted(os.listdir(estimator.eval_dir())):
    for event in tf1.train.summary_iterator(os.path.join(estimator.eval_dir(), name)):
        evaluated += [[event.step, v.simple_value] for v in event.summary.value if v.tag == "loss"]
export_root = os.path.join(model_dir, "export")
kept = {name: len(os.listdir(os.path.join(export_root, name))) for name in sorted(os.listdir(export_root))}
latest = os.path.join(export_root, "latest", os.listdir(os.path.join(export_root, "latest"))[0])
print_report({
    "metrics": metrics,
    "global step": estimator.get_variable_value("global_step"),
    "evaluated": evaluated,
    "kept": kept,
    "returned exports": len(exports),
    "signatures": sorted(tf.saved_model.load(latest).signatures.keys()),
    "folders": sorted(n for n in os.listdir(model_dir) if os.path.isdir(os.path.join(model_dir, n))),
})
