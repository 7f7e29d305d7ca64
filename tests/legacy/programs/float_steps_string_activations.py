"""Loose but valid calls found in real code: float step counts and string activations.

Step counts computed by arithmetic (`steps=epochs * rows / batch` is a float: `steps=10.0`, `max_steps=25.0`,
`evaluate(steps=2.0)`, `TrainSpec(max_steps=30.0)`, `EvalSpec(steps=3.0, throttle_secs=0.0)`), and
`tf.compat.v1.layers.dense(activation='relu')` with the activation as a string, as Keras allowed ('relu',
'tanh', 'selu' from params). Constant initial weights.
Usage: python float_steps_string_activations.py real|ours. Prints one JSON line: per activation, the global
steps after each call, the metrics and the first predictions.
"""
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

rng = np.random.RandomState(7)
X = rng.uniform(-1, 1, (40, 3)).astype(np.float32)
Y = (X @ [2.0, -1.0, 0.5]).astype(np.float32)[:, None]
EPOCHS, BATCH = 2, 8


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return dataset.repeat().batch(BATCH) if train else dataset.batch(BATCH)
    return make


def model_fn(features, labels, mode, params):
    hidden = tf1.layers.dense(features["x"], 6, activation=params["activation"],
                              kernel_initializer=tf1.constant_initializer(np.linspace(-0.7, 0.6, 18).reshape(3, 6)),
                              bias_initializer=tf1.constant_initializer(0.1))
    output = tf1.layers.dense(hidden, 1, kernel_initializer=tf1.constant_initializer(np.linspace(0.5, -0.5, 6)))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"value": output, "hidden": hidden})
    loss = tf1.losses.mean_squared_error(labels, output)
    train_op = tf1.train.AdagradOptimizer(0.2).minimize(loss, global_step=tf1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                      eval_metric_ops={"mae": tf1.metrics.mean_absolute_error(labels, output)})


report = {}
for activation in ("relu", "tanh", "selu"):
    estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(), params={"activation": activation})
    steps = []
    estimator.train(input_fn(True), steps=EPOCHS * len(X) / BATCH)  # 10.0
    steps.append(estimator.get_variable_value("global_step"))
    metrics = estimator.evaluate(input_fn(False), steps=2.0)
    estimator.train(input_fn(True), max_steps=25.0)
    steps.append(estimator.get_variable_value("global_step"))
    final, _ = tf.estimator.train_and_evaluate(
        estimator, tf.estimator.TrainSpec(input_fn(True), max_steps=30.0),
        tf.estimator.EvalSpec(input_fn(False), steps=3.0, throttle_secs=0.0))
    steps.append(estimator.get_variable_value("global_step"))
    predictions = list(estimator.predict(input_fn(False)))[:2]
    report[activation] = {"global steps": steps, "evaluate after 10": metrics, "final": final,
                          "predictions": [{k: p[k] for k in sorted(p)} for p in predictions]}
print_report(report)
