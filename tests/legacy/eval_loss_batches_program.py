"""What `evaluate()` reports for the same model with two batch sizes, on either engine; prints one JSON line.

Usage: python eval_loss_batches_program.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
The model has fixed weights (no training, nothing random), and the 30 test flowers are evaluated in one
batch of 30 and in batches of 7: the accuracy is the same, the loss is the mean of the batch losses
(what chapter 5 says). Also reports those two means computed here with NumPy.
"""
import json
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
rng = np.random.default_rng(0)
x = rng.normal(size=(30, 4)).astype(np.float32)
y = rng.integers(0, 3, size=30).astype(np.int64)
w = rng.normal(size=(4, 3)).astype(np.float32)


def model_fn(features, labels, mode):
    logits = tf.matmul(features["x"], tf.constant(w))
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    accuracy = v1.metrics.accuracy(labels, tf.argmax(logits, 1))
    return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy},
                                      train_op=v1.assign_add(v1.train.get_global_step(), 1))  # only counts


estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp())
estimator.train(lambda: tf.data.Dataset.from_tensors(({"x": x}, y)), steps=1)  # a checkpoint to evaluate
report = {}
for size in (30, 7):
    result = estimator.evaluate(lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).batch(size))
    report[f"batch {size}"] = {"accuracy": round(float(result["accuracy"]), 6), "loss": round(float(result["loss"]), 5)}
logits = x.astype(np.float64) @ w
flower_losses = np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(30), y]
report["numpy"] = {"mean over flowers": round(flower_losses.mean(), 5),
                   "mean of batch means": round(np.mean([flower_losses[i:i + 7].mean() for i in range(0, 30, 7)]), 5)}
print(json.dumps(report))
