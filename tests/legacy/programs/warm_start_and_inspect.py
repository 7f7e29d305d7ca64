"""Fine-tuning from a trained model, then looking inside it: warm start and the Estimator's introspection.

Model A (a custom model_fn, constant initial weights) trains 15 steps. Model B renames its output layer and
adds a layer, and starts from A with `tf.estimator.WarmStartSettings(vars_to_warm_start=[...],
var_name_to_prev_var_name={...})` (the hidden layer by regex, the renamed output by the map); then
`get_variable_names`, `get_variable_value`, `latest_checkpoint`, `predict(predict_keys=...)` and
`predict(yield_single_examples=False)`, as notebooks inspected a model.
Usage: python warm_start_and_inspect.py real|ours. Prints one JSON line.
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

rng = np.random.RandomState(10)
X = rng.uniform(-1, 1, (30, 4)).astype(np.float32)
Y = np.argmax(X[:, :3], axis=1).astype(np.int32)


def input_fn(train, batch=10):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return dataset.repeat().batch(batch) if train else dataset.batch(batch)
    return make


def model_fn(features, labels, mode, params):
    constant = tf1.constant_initializer
    net = tf1.layers.dense(features["x"], 6, activation="relu", name="hidden",
                           kernel_initializer=constant(np.linspace(-0.5, 0.5, 24).reshape(4, 6)))
    if params["extra_layer"]:
        net = tf1.layers.dense(net, 6, activation="relu", name="extra",
                               kernel_initializer=constant(np.eye(6) * 0.9), bias_initializer=constant(0.01))
    logits = tf1.layers.dense(net, 3, name=params["output_name"],
                              kernel_initializer=constant(np.linspace(0.3, -0.3, 18).reshape(6, 3)))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={
            "class_ids": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits), "logits": logits})
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf1.train.GradientDescentOptimizer(0.4).minimize(loss, global_step=tf1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


a = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(),
                           params={"extra_layer": False, "output_name": "logits"})
a.train(input_fn(True), steps=15)

warm_start = tf.estimator.WarmStartSettings(
    ckpt_to_initialize_from=a.model_dir, vars_to_warm_start=["hidden/.*", "classes/.*"],
    var_name_to_prev_var_name={"classes/kernel": "logits/kernel", "classes/bias": "logits/bias"})
b = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(), warm_start_from=warm_start,
                           params={"extra_layer": True, "output_name": "classes"})
b.train(input_fn(True), steps=1)
start_of_b = {name: b.get_variable_value(name) for name in ("hidden/bias", "classes/bias", "extra/bias")}
b.train(input_fn(True), steps=9)

print_report({
    "a variables": a.get_variable_names(),
    "b variables": b.get_variable_names(),
    "a hidden/kernel": a.get_variable_value("hidden/kernel"),
    "a logits/bias": a.get_variable_value("logits/bias"),
    "b after one step": start_of_b,
    "b latest checkpoint": os.path.basename(b.latest_checkpoint()),
    "b files": sorted(f for f in os.listdir(b.model_dir) if not f.startswith("events.")),
    "b probabilities only": [p for _, p in zip(range(3), b.predict(input_fn(False), predict_keys=["probabilities"]))],
    "b batches": [{k: v for k, v in sorted(batch.items())} for batch in
                  b.predict(input_fn(False, batch=16), yield_single_examples=False)],
})
