"""A custom model_fn that ends in a public head, as TF2-era code did: `tf.estimator.MultiClassHead`.

The model_fn builds logits with `tf.compat.v1.layers.dense` (constant initial weights), and lets
`head.create_estimator_spec(features, mode, logits, labels, optimizer=..., trainable_variables=...)` make the
loss, metrics, predictions, export outputs and train_op; the head has a label vocabulary and a weight column.
The optimizer is the one documented difference (companion/differences.md): the real head took a tf_keras
optimizer (its `iterations` set to the global step, as the real canned model_fns did), ours a
`tf.compat.v1.train` one; both are plain SGD with rate 0.1.
Usage: python head_model_fn.py real|ours. Prints one JSON line: metrics, predictions, export signatures.
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

SPECIES = ["setosa", "versicolor", "virginica"]
rng = np.random.RandomState(1)
X = rng.uniform(-1, 1, (30, 4)).astype(np.float32)
Y = np.array(SPECIES)[np.argmax(X[:, :3] + 0.3 * X[:, 3:], axis=1)]
WEIGHT = rng.uniform(0.5, 2.0, 30).astype(np.float32)


def make_optimizer():
    if sys.argv[1] == "ours":
        return tf1.train.GradientDescentOptimizer(0.1)
    optimizer = tf.keras.optimizers.legacy.SGD(0.1)
    optimizer.iterations = tf1.train.get_global_step()
    return optimizer


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "weight": WEIGHT}, Y))
        return dataset.repeat().batch(10) if train else dataset.batch(10)
    return make


def model_fn(features, labels, mode, params):
    head = tf.estimator.MultiClassHead(3, weight_column="weight", label_vocabulary=SPECIES)
    hidden = tf1.layers.dense(features["x"], 6, activation=tf.nn.relu, name="hidden",
                              kernel_initializer=tf1.constant_initializer(np.linspace(-0.6, 0.7, 24).reshape(4, 6)),
                              bias_initializer=tf1.constant_initializer(0.1))
    logits = tf1.layers.dense(hidden, head.logits_dimension, name="logits",
                              kernel_initializer=tf1.constant_initializer(np.linspace(0.5, -0.4, 18).reshape(6, 3)))
    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      optimizer=make_optimizer(), trainable_variables=tf1.trainable_variables())


classifier = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(),
                                    config=tf.estimator.RunConfig(tf_random_seed=3))
classifier.train(input_fn(True), steps=12)
metrics = classifier.evaluate(input_fn(False))
predictions = list(classifier.predict(input_fn(False)))[:4]
receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
    {"x": tf.zeros([1, 4])})
export_dir = classifier.export_saved_model(tempfile.mkdtemp(), receiver).decode()
loaded = tf.saved_model.load(export_dir)
served = loaded.signatures["predict"](x=tf.constant(X[:2]))
print_report({
    "metrics": metrics,
    "predictions": [{k: p[k] for k in sorted(p)} for p in predictions],
    # Without the real tf_keras optimizer's own variables (`training/SGD/...`), the documented difference.
    "variables": sorted(n for n in classifier.get_variable_names() if not n.startswith("training/")),
    "signatures": sorted(loaded.signatures.keys()),
    "served probabilities": served["probabilities"].numpy(),
    "served classes": served["classes"].numpy(),
    "export files": sorted(os.listdir(export_dir)),
})
