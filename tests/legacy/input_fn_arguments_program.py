"""What the Estimator passes to an input function, on either engine; prints one JSON line.

Usage: python input_fn_arguments_program.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
One input function takes no arguments, another declares `mode`, `params` and `config`: the report lists
what each received in train, evaluate and predict (what chapter 2 says about who calls it, and how).
"""
import json
import sys
import tempfile

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
received = []


def model_fn(features, labels, mode, params):
    logits = tf.matmul(features["x"], v1.get_variable("w", [1, 2]))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"logits": logits})
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def dataset(with_labels=True):
    features = {"x": [[1.0], [2.0]]}
    return tf.data.Dataset.from_tensor_slices((features, [0, 1]) if with_labels else features).batch(2)


def no_arguments():
    received.append("()")
    return dataset()


def declared(mode, params, config):
    received.append(f"(mode={mode!r}, params={sorted(params)}, config={type(config).__name__})")
    return dataset(with_labels=mode != tf.estimator.ModeKeys.PREDICT)


estimator = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(), params={"units": 2})
for input_fn in (no_arguments, declared):
    estimator.train(input_fn, steps=1)
    estimator.evaluate(input_fn)
    if input_fn is declared:
        list(estimator.predict(input_fn))
print(json.dumps({"received": received}))
