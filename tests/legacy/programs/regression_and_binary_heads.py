"""Custom model_fns for a regression and a binary problem, each ending in a public head with `train_op_fn`.

`tf.estimator.RegressionHead(weight_column=...)` predicts two house-price-like targets (label_dimension 2);
`tf.estimator.BinaryClassHead(thresholds=[0.3, 0.7])` a churn-like yes/no. The model_fns use
`tf.compat.v1.layers.dense` with constant initial weights and a `train_op_fn` around a tf.compat.v1
optimizer (Momentum, Adam), the head's way that took the same code on either TensorFlow.
Usage: python regression_and_binary_heads.py real|ours. Prints one JSON line: per problem, metrics and
predictions.
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

rng = np.random.RandomState(2)
X = rng.uniform(-1, 1, (40, 3)).astype(np.float32)
PRICES = np.stack([X @ [1.5, -2.0, 0.5] + 0.3, X @ [0.2, 0.4, -1.0]], axis=1).astype(np.float32)
CHURN = (X[:, 0] - X[:, 2] > 0.1).astype(np.int64)
WEIGHT = rng.uniform(0.5, 2.0, 40).astype(np.float32)


def input_fn(labels, train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "w": WEIGHT}, labels))
        return dataset.repeat().batch(8) if train else dataset.batch(8)
    return make


def model_fn(features, labels, mode, params):
    head = params["head"]
    constant = tf1.constant_initializer
    hidden = tf1.layers.dense(features["x"], 5, activation=tf.nn.tanh,
                              kernel_initializer=constant(np.linspace(-0.5, 0.5, 15).reshape(3, 5)))
    logits = tf1.layers.dense(hidden, head.logits_dimension,
                              kernel_initializer=constant(np.linspace(0.4, -0.3, 5 * head.logits_dimension)
                                                          .reshape(5, head.logits_dimension)))

    def train_op_fn(loss):
        return params["optimizer"]().minimize(loss, global_step=tf1.train.get_global_step())
    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      train_op_fn=train_op_fn)


problems = {
    "regression": (tf.estimator.RegressionHead(label_dimension=2, weight_column="w"), PRICES,
                   lambda: tf1.train.MomentumOptimizer(0.05, momentum=0.9)),
    "binary": (tf.estimator.BinaryClassHead(thresholds=[0.3, 0.7]), CHURN,
               lambda: tf1.train.AdamOptimizer(0.05)),
}
report = {}
for name, (head, labels, optimizer) in problems.items():
    estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(),
                                       params={"head": head, "optimizer": optimizer})
    estimator.train(input_fn(labels, True), steps=15)
    predictions = list(estimator.predict(input_fn(labels, False)))[:3]
    report[name] = {"metrics": estimator.evaluate(input_fn(labels, False)),
                    "predictions": [{k: p[k] for k in sorted(p)} for p in predictions]}
print_report(report)
