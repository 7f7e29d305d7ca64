"""TF1-era production patterns: a `functools.partial` model_fn binding its hyperparameters, an auxiliary head
trained but left out of evaluation (Inception's), the evaluation of moving averages of the weights
(`ExponentialMovingAverage.variables_to_restore()` in a Scaffold's Saver), an activity regularizer, a fused
batch normalization on 2-D inputs, `numpy_input_fn` with two threads (each reads every epoch), and a RunConfig
that turns the Estimator's own checkpoints off. Usage: python tf1_production_patterns.py real|ours.
Prints one JSON line.
"""
import functools
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

v1 = tf.compat.v1
rng = np.random.RandomState(6)
X = rng.uniform(-1, 1, (40, 3)).astype(np.float32)
Y = (X[:, 0] - X[:, 1] > 0).astype(np.int32)
CONSTANT = {"kernel_initializer": v1.constant_initializer(0.3), "bias_initializer": v1.constant_initializer(0.05)}


def model_fn(features, labels, mode, params, learning_rate, units):
    training = mode == tf.estimator.ModeKeys.TRAIN
    hidden = v1.layers.dense(features["x"], units, activation=tf.nn.tanh, name="hidden",
                             activity_regularizer=lambda a: 0.01 * tf.reduce_sum(tf.abs(a)), **CONSTANT)
    hidden = v1.layers.batch_normalization(hidden, fused=True, training=training, name="norm")
    logits = v1.layers.dense(hidden, 2, name="logits", **CONSTANT)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits) + v1.losses.get_regularization_loss()
    ema = v1.train.ExponentialMovingAverage(params["decay"])
    if training:
        aux = v1.layers.dense(features["x"], 2, name="aux_logits", **CONSTANT)  # trained, never evaluated
        loss += 0.3 * v1.losses.sparse_softmax_cross_entropy(labels, aux)
        step = v1.train.GradientDescentOptimizer(learning_rate).minimize(loss, v1.train.get_global_step())
        with tf.control_dependencies([step] + v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train_op = ema.apply(v1.trainable_variables())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    saver = v1.train.Saver(ema.variables_to_restore())  # evaluate the averaged weights
    return tf.estimator.EstimatorSpec(mode, loss=loss, scaffold=v1.train.Scaffold(saver=saver), eval_metric_ops={
        "accuracy": v1.metrics.accuracy(labels, tf.argmax(logits, 1))})


def make(model_dir, config=None):
    return tf.estimator.Estimator(functools.partial(model_fn, learning_rate=0.2, units=4), model_dir,
                                  params={"decay": 0.5}, config=config)


# two threads, each reading the data once: 2 * 40 / 10 = 8 steps (in an order the real threads pick)
threaded = make(tempfile.mkdtemp())
threaded.train(v1.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=10, num_epochs=1, shuffle=False,
                                                 num_threads=2))
steps = int(threaded.get_variable_value("global_step"))
estimator = make(tempfile.mkdtemp())
estimator.train(v1.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=10, num_epochs=None, shuffle=False),
                steps=10)
evaluated = estimator.evaluate(v1.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=40, shuffle=False))
no_checkpoints = tempfile.mkdtemp()
make(no_checkpoints, tf.estimator.RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=None)).train(
    v1.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=10, num_epochs=None, shuffle=False), steps=3)
print_report({
    "steps with two threads": steps,
    "evaluated": evaluated,
    "weights": {name: estimator.get_variable_value(name) for name in estimator.get_variable_names()
                if name.startswith(("logits", "hidden", "aux_logits")) and "Exponential" not in name},
    "averages": {name: estimator.get_variable_value(name) for name in estimator.get_variable_names()
                 if "ExponentialMovingAverage" in name},
    "files without checkpoints": sorted("events" if name.startswith("events.") else name
                                        for name in os.listdir(no_checkpoints)),
})
