"""TensorFlow's TF2 guide pattern "a Keras model inside a model_fn": a `tf.keras.Sequential` of Dense (with a
kernel_regularizer), BatchNormalization and Dense called on the features, its regularization losses added with
`model.get_losses_for(None) + model.get_losses_for(features)`, its update ops (BatchNormalization's moving mean
and variance) run with the train op from `model.get_updates_for(None) + model.get_updates_for(features)`, and
a `tf.compat.v1.train.AdamOptimizer` minimizing over `var_list=model.trainable_variables`.

Keras 2 had `get_losses_for`/`get_updates_for`; Keras 3 has neither, and a v1 optimizer took none of its
variables. The moving statistics move only if the update ops run, and evaluate and predict use them.
No Dropout: each Keras draws its own masks, so the trained weights could not match. And Dense -> BatchNormalization
-> ReLU with no bias before the normalization: a bias there gets a gradient that is zero but for rounding, and
Adam would take a full step along each engine's own rounding noise.
Usage: python keras_model_in_model_fn.py real|ours. Prints one JSON line.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(7)
X = (rng.uniform(-1, 1, (48, 4)) * [1.0, 2.0, 0.5, 1.5] + [0.5, -1.0, 2.0, 0.0]).astype(np.float32)
Y = np.argmax(X[:, :3] * [1.0, 0.5, 2.0] - [0.5, -0.5, 4.0], axis=1).astype(np.int32)
COUNTS = {}  # per mode: how many losses and updates each get_*_for call gave


def model_fn(features, labels, mode):
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(8, use_bias=False, kernel_regularizer=tf.keras.regularizers.l2(0.01),
                              kernel_initializer=tf.keras.initializers.Constant(fixed_values("hidden", (4, 8)))),
        tf.keras.layers.BatchNormalization(momentum=0.8),
        tf.keras.layers.Activation("relu"),
        tf.keras.layers.Dense(3, kernel_initializer=tf.keras.initializers.Constant(fixed_values("logits", (8, 3))))])
    training = mode == tf.estimator.ModeKeys.TRAIN
    logits = model(features["x"], training=training)
    predictions = {"class_ids": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)

    reg_losses = model.get_losses_for(None) + model.get_losses_for(features["x"])
    update_ops = model.get_updates_for(None) + model.get_updates_for(features["x"])
    COUNTS[mode] = {"losses for None": len(model.get_losses_for(None)),
                    "losses for features": len(model.get_losses_for(features["x"])),
                    "updates for None": len(model.get_updates_for(None)),
                    "updates for features": len(update_ops)}
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    total_loss = loss_object(labels, logits) + tf.math.add_n(reg_losses)
    accuracy = tf.compat.v1.metrics.accuracy(labels=labels, predictions=predictions["class_ids"], name="acc_op")
    minimize_op = tf.compat.v1.train.AdamOptimizer(0.02).minimize(
        total_loss, var_list=model.trainable_variables, global_step=tf.compat.v1.train.get_or_create_global_step())
    train_op = tf.group(minimize_op, update_ops)
    return tf.estimator.EstimatorSpec(mode, predictions=predictions, loss=total_loss, train_op=train_op,
                                      eval_metric_ops={"accuracy": accuracy})


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return dataset.repeat().batch(8) if train else dataset.batch(8)
    return make


estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp())
estimator.train(input_fn(True), steps=12)
value = estimator.get_variable_value
print_report({
    "evaluated": estimator.evaluate(input_fn(False)),
    "predictions": [{k: p[k] for k in sorted(p)} for p in list(estimator.predict(input_fn(False)))[:4]],
    "variables": [name for name in estimator.get_variable_names() if "Adam" not in name and "power" not in name],
    "moving mean": value("sequential/batch_normalization/moving_mean"),
    "moving variance": value("sequential/batch_normalization/moving_variance"),
    "kernel": value("sequential/dense/kernel"),
    "counts": COUNTS,
})
