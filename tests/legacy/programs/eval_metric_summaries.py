"""Metrics that are not one number, as programs returned them from eval_metric_ops: a per-class mean
(`tf.compat.v1.metrics.mean_tensor`, a vector) and a merged summary string (a scalar and a histogram of the
weights). The real Estimator wrote the vector to the eval events as a tensor and the summary's values as
`<key>/0`, `<key>/1`; the report lists each record of the eval event file. Fixed initial weights.
Usage: python eval_metric_summaries.py real|ours. Prints one JSON line.
"""
import glob
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

v1 = tf.compat.v1
X = np.random.RandomState(5).uniform(-1, 1, (12, 2)).astype(np.float32)
Y = np.random.RandomState(6).uniform(0, 1, (12, 3)).astype(np.float32)


def model_fn(features, labels, mode):
    weights = v1.get_variable("w", initializer=fixed_values("w", (2, 3)))
    out = tf.matmul(features, weights)
    loss = tf.reduce_mean(tf.square(out - labels))
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, v1.train.get_global_step())
    merged = v1.summary.merge([v1.summary.scalar("first_weight", weights[0, 0]),
                               v1.summary.histogram("weights", weights)])
    metrics = {"per_output_error": v1.metrics.mean_tensor(tf.reduce_mean(tf.abs(out - labels), 0)),
               "weight_summaries": (merged, tf.no_op()),
               "batches": (tf.constant(3, tf.int64), tf.no_op())}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def input_fn():
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)


model_dir = tempfile.mkdtemp()
estimator = tf.estimator.Estimator(model_fn, model_dir)
estimator.train(input_fn, steps=3)
results = estimator.evaluate(input_fn)
records = []
for path in glob.glob(model_dir + "/eval/events*"):
    for event in v1.train.summary_iterator(path):
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            shown = {"simple_value": lambda: value.simple_value, "histo": lambda: [value.histo.num, value.histo.sum],
                     "tensor": lambda: tf.make_ndarray(value.tensor)}[kind]()
            if value.tag == "checkpoint_path":  # a temporary folder's name: its file name only
                shown = shown.item().decode().rsplit("/", 1)[1]
            records.append([event.step, value.tag, kind, value.node_name, shown])
print_report({
    "returned": {"per_output_error": results["per_output_error"], "loss": results["loss"],
                 "summary string": type(results["weight_summaries"]).__name__},
    "eval events": sorted(records, key=lambda record: record[1]),
})
