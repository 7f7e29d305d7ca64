"""A TF2-era model_fn built from Keras layers: two `tf.keras.layers.Dense` called on features, a
`tf.keras.Sequential` of two Dense layers (one named), and a Dense logits layer, with a
`tf.compat.v1.train` optimizer, as TensorFlow's migration guide and many TF2-era programs wrote it.

Keras numbers its layers' names (`dense`, `dense_1`, ...); the real Keras 2 counted them per graph, so the
eval, predict and export graphs named their variables as the train graph did and restored its checkpoint.
The program trains, evaluates, trains on (a restore), predicts and exports, and lists the variables.
Usage: python keras_layers_model_fn.py real|ours. Prints one JSON line.
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(2)
X = rng.uniform(-1, 1, (40, 4)).astype(np.float32)
Y = np.argmax(X[:, :3] - 0.4 * X[:, 3:], axis=1).astype(np.int32)


def dense(units, inputs, name=None, activation=None):
    """A Keras Dense whose initial weights both engines share (its variables are named by Keras)."""
    key = f"{name or 'dense'}{units}x{inputs}"
    return tf.keras.layers.Dense(units, activation=activation, name=name,
                                 kernel_initializer=tf.keras.initializers.Constant(fixed_values(key, (inputs, units))),
                                 bias_initializer=tf.keras.initializers.Constant(0.05))


def model_fn(features, labels, mode):
    hidden = dense(8, 4, activation="relu")(features["x"])
    hidden = dense(8, 8, activation="relu")(hidden)  # a second in a row: `dense_1`, not Keras 3's `dense_1_1`
    hidden = tf.keras.Sequential([dense(8, 8, activation="tanh"), dense(6, 8, name="named")])(hidden)
    logits = dense(3, 6)(hidden)
    predictions = {"class_ids": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions, export_outputs={
            "serving_default": tf.estimator.export.PredictOutput(predictions)})
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
    metrics = {"accuracy": tf.compat.v1.metrics.accuracy(labels, predictions["class_ids"])}
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.2).minimize(
        loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return dataset.repeat().batch(8) if train else dataset.batch(8)
    return make


estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp())
estimator.train(input_fn(True), steps=10)
first = estimator.evaluate(input_fn(False))
estimator.train(input_fn(True), steps=15)
second = estimator.evaluate(input_fn(False))
predictions = list(estimator.predict(input_fn(False)))[:3]
receiver = tf.estimator.export.build_raw_serving_input_receiver_fn({"x": tf.zeros([1, 4])})
export_dir = estimator.export_saved_model(tempfile.mkdtemp(), receiver).decode()
served = tf.saved_model.load(export_dir).signatures["serving_default"](x=tf.constant(X[:2]))
print_report({
    "first": first,
    "second": second,
    "predictions": [{k: p[k] for k in sorted(p)} for p in predictions],
    "variables": estimator.get_variable_names(),
    "served probabilities": served["probabilities"].numpy(),
    "export files": sorted(os.listdir(export_dir)),
})
