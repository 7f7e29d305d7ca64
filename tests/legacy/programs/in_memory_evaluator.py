"""Evaluating while training, in the same process: `tf.estimator.experimental.InMemoryEvaluatorHook`.

A custom model_fn (`tf.compat.v1.layers.dense`, constant initial weights, metrics of its own) trains 20
steps with the hook evaluating every 5 steps on held-out data (and once at the end), as production jobs did
when no separate evaluator ran. Both engines write the evaluations to `eval_validation/` in model_dir.
Usage: python in_memory_evaluator.py real|ours. Prints one JSON line: the evaluation events (step, tag,
value), the folders in model_dir, the final metrics.
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

rng = np.random.RandomState(5)
X = rng.uniform(-1, 1, (60, 4)).astype(np.float32)
Y = (X @ [1.0, -1.0, 0.5, 0.0] > 0).astype(np.int32)


def input_fn(rows, train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X[rows]}, Y[rows]))
        return dataset.repeat().batch(10) if train else dataset.batch(10)
    return make


def model_fn(features, labels, mode):
    hidden = tf1.layers.dense(features["x"], 8, activation="relu",
                              kernel_initializer=tf1.constant_initializer(np.linspace(-0.4, 0.5, 32).reshape(4, 8)),
                              bias_initializer=tf1.constant_initializer(0.05))
    logits = tf1.layers.dense(hidden, 2,
                              kernel_initializer=tf1.constant_initializer(np.linspace(0.3, -0.3, 16).reshape(8, 2)))
    predicted = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class": predicted})
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    metrics = {"accuracy": tf1.metrics.accuracy(labels, predicted),
               "mean_logit": tf1.metrics.mean(logits[:, 1])}
    train_op = tf1.train.GradientDescentOptimizer(0.3).minimize(loss, global_step=tf1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp())
evaluator = tf.estimator.experimental.InMemoryEvaluatorHook(
    estimator, input_fn(slice(40, 60), False), every_n_iter=5, name="validation")
estimator.train(input_fn(slice(0, 40), True), steps=20, hooks=[evaluator])

events = []
eval_dir = os.path.join(estimator.model_dir, "eval_validation")
for name in sorted(os.listdir(eval_dir)):
    for event in tf1.train.summary_iterator(os.path.join(eval_dir, name)):
        events += [[event.step, value.tag, value.simple_value] for value in event.summary.value]
print_report({
    "events": sorted(events),
    "folders": sorted(n for n in os.listdir(estimator.model_dir)
                      if os.path.isdir(os.path.join(estimator.model_dir, n))),
    "final": estimator.evaluate(input_fn(slice(40, 60), False), name="validation"),
})
