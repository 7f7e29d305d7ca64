"""What EstimatorSpec accepts and refuses in each mode, on either engine; prints one JSON line.

Usage: python estimator_spec_program.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
Each case builds an EstimatorSpec in a fresh graph and reports "accepted" (with the loss's shape) or the
error's type and message: what chapter 5 shows a reader who forgets a field.
"""
import json
import sys

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
TRAIN, EVAL, PREDICT = tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL, tf.estimator.ModeKeys.PREDICT


def cases():
    loss = tf.constant(0.5, name="loss")
    train_op = tf.no_op(name="train")
    pair = v1.metrics.mean(loss)
    return {
        "train: loss only": (TRAIN, dict(loss=loss)),
        "train: train_op only": (TRAIN, dict(train_op=train_op)),
        "train: nothing": (TRAIN, {}),
        "eval: eval_metric_ops only": (EVAL, dict(eval_metric_ops={"mean": pair})),
        "infer: loss only": (PREDICT, dict(loss=loss)),
        "train: loss of shape [2]": (TRAIN, dict(loss=tf.constant([1.0, 2.0], name="two"), train_op=train_op)),
        "train: loss of shape [1]": (TRAIN, dict(loss=tf.constant([1.0], name="one"), train_op=train_op)),
        "train: loss a float": (TRAIN, dict(loss=0.5, train_op=train_op)),
        "train: train_op an int": (TRAIN, dict(loss=loss, train_op=1)),
        "infer: a prediction a float": (PREDICT, dict(predictions={"p": 0.5})),
        "eval: a metric a float": (EVAL, dict(loss=loss, eval_metric_ops={"acc": 0.5})),
        "eval: metrics a list": (EVAL, dict(loss=loss, eval_metric_ops=[pair])),
        "an unknown mode": ("training", dict(loss=loss)),
    }


report = {}
with tf.Graph().as_default():
    names = list(cases())
for name in names:
    with tf.Graph().as_default():
        mode, fields = cases()[name]
        try:
            spec = tf.estimator.EstimatorSpec(mode, **fields)
            report[name] = "accepted, loss shape " + str(None if spec.loss is None else spec.loss.shape.as_list())
        except Exception as error:
            report[name] = type(error).__name__ + ": " + str(error)
print(json.dumps(report))
