"""Keras metric objects in `eval_metric_ops`, as TensorFlow's migration guide and TF2-era model_fns wrote them:
the model_fn makes `tf.keras.metrics` objects in every mode, calls `update_state` and puts the objects
themselves in the EstimatorSpec (the real one turned each into `(result(), update op)` with local variables).

Checked: the metric values of two evaluations (each starts from zero), a weighted Mean, and that no metric
variable went into the checkpoint. The logits layer starts from constants, so both engines train alike.
Usage: python keras_metrics.py real|ours. Prints one JSON line.
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

rng = np.random.RandomState(5)
X = rng.uniform(-1, 1, (48, 3)).astype(np.float32)
Y = (X[:, 0] + 0.5 * X[:, 1] - 0.2 * X[:, 2] > 0.1).astype(np.int64)
WEIGHT = rng.uniform(0.5, 2.0, 48).astype(np.float32)


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "weight": WEIGHT}, Y))
        return dataset.repeat().batch(12) if train else dataset.batch(10)
    return make


def model_fn(features, labels, mode):
    logits = tf1.layers.dense(features["x"], 2, name="logits",
                              kernel_initializer=tf1.constant_initializer(np.linspace(-0.5, 0.6, 6).reshape(3, 2)))
    probabilities = tf.nn.softmax(logits)
    classes = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"classes": classes, "probabilities": probabilities})
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    accuracy = tf.keras.metrics.Accuracy(name="accuracy")
    accuracy.update_state(labels, classes)
    auc = tf.keras.metrics.AUC(name="auc")
    auc.update_state(labels, probabilities[:, 1])
    precision = tf.keras.metrics.Precision(name="precision")
    precision.update_state(labels, classes)
    weighted = tf.keras.metrics.Mean(name="weighted_positive")
    weighted.update_state(probabilities[:, 1], sample_weight=features["weight"])
    train_op = tf1.train.GradientDescentOptimizer(0.3).minimize(loss, tf1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops={
        "accuracy": accuracy, "auc": auc, "precision": precision, "weighted_positive": weighted})


classifier = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(),
                                    config=tf.estimator.RunConfig(tf_random_seed=1))
classifier.train(input_fn(True), steps=8)
first = classifier.evaluate(input_fn(False))
second = classifier.evaluate(input_fn(False), steps=2)
print_report({
    "first": first,
    "second (2 batches)": second,
    "variables": classifier.get_variable_names(),
})
