"""Programs for the layers/canned parity tests, written once against a `tf` (TF1 API) passed in.

`tests/legacy/real_layers_canned.py` runs them with TensorFlow 2.15's own `tensorflow.compat.v1` and
`tf.compat.v1.estimator`; `tests/test_parity_layers_canned.py` runs them with `iris_lib.tf1` and our
canned Estimators. Nothing here imports TensorFlow: both sides hand in their `tf`.

* `cnn_model_fn`: a small CNN with every `tf.layers` piece (conv2d twice, max and average pooling,
  batch norm with UPDATE_OPS, flatten, dropout, dense function and Dense class), trained with Adam.
* `CANNED`: pre-made Estimators on numeric, vocabulary, identity, hashed, bucketized, crossed,
  indicator and embedding columns.
"""
from __future__ import annotations

import numpy as np

IMAGES = np.random.RandomState(0).rand(24, 8, 8, 1).astype(np.float32)
IMAGE_LABELS = (IMAGES.mean(axis=(1, 2, 3)) * 6).astype(np.int64) % 3
SEED = 3


def cnn_model_fn(tf, features, labels, mode, params):
    training = mode == tf.estimator.ModeKeys.TRAIN
    net = tf.layers.conv2d(features["x"], 6, 3, padding="same", activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.batch_normalization(net, training=training)
    net = tf.layers.conv2d(net, 4, (3, 3), strides=(1, 1), padding="valid")
    net = tf.layers.average_pooling2d(net, 2, 1, padding="same")
    net = tf.layers.flatten(net)
    net = tf.layers.dropout(net, rate=params["dropout"], training=training)
    net = tf.layers.dense(net, 8, activation=tf.nn.relu)
    net = tf.layers.batch_normalization(net, training=training)
    logits = tf.layers.Dense(3, name="logits")(net)
    predictions = {"probabilities": tf.nn.softmax(logits), "class_ids": tf.argmax(logits, 1)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.metrics.accuracy(labels, predictions["class_ids"])})
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def cnn_estimator(tf, estimator, model_dir, dropout=0.25):
    return estimator.Estimator(lambda features, labels, mode, params: cnn_model_fn(tf, features, labels, mode, params),
                               model_dir=model_dir, config=estimator.RunConfig(tf_random_seed=SEED),
                               params={"dropout": dropout})


def cnn_input_fn(tf, batch_size=8, repeat=True):
    def input_fn():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": IMAGES}, IMAGE_LABELS))
        return (dataset.repeat() if repeat else dataset).batch(batch_size)
    return input_fn


# ----- canned Estimators ------------------------------------------------------------------------------

_rng = np.random.RandomState(1)
N = 40
TABLE = {
    "a": _rng.rand(N).astype(np.float32) * 4,
    "c": np.array(["x", "y", "z", "w"])[_rng.randint(0, 4, N)],
    "n": _rng.randint(0, 3, N).astype(np.int64),
    "h": np.array(["p", "q", "r", "s", "t"])[_rng.randint(0, 5, N)],
}
BINARY = ((TABLE["a"] > 2) ^ (TABLE["c"] == "x")).astype(np.int64)
THREE = (TABLE["a"].astype(np.int64) + TABLE["n"]) % 3
TARGET = (TABLE["a"] * 1.5 - TABLE["n"] + (TABLE["c"] == "y")).astype(np.float32)


def columns(tf):
    fc = tf.feature_column
    a = fc.numeric_column("a")
    c = fc.categorical_column_with_vocabulary_list("c", ["x", "y", "z"])
    n = fc.categorical_column_with_identity("n", 3)
    h = fc.categorical_column_with_hash_bucket("h", 7)
    a_buckets = fc.bucketized_column(a, [1.0, 2.0, 3.0])
    crossed = fc.crossed_column([c, a_buckets], 12)
    linear = [a, c, n, h, a_buckets, crossed]
    dnn = [a, fc.embedding_column(c, 2), fc.indicator_column(n)]
    return linear, dnn


def canned_estimator(tf, estimator, name, model_dir):
    linear, dnn = columns(tf)
    config = estimator.RunConfig(tf_random_seed=SEED)
    make = {
        "linear_binary": lambda: estimator.LinearClassifier(linear, model_dir=model_dir, config=config),
        "linear_three": lambda: estimator.LinearClassifier(linear, model_dir=model_dir, n_classes=3, config=config),
        "linear_regressor": lambda: estimator.LinearRegressor(linear, model_dir=model_dir, config=config),
        "dnn_classifier": lambda: estimator.DNNClassifier([5, 4], dnn, model_dir=model_dir, n_classes=3,
                                                          config=config),
        "dnn_regressor": lambda: estimator.DNNRegressor([5, 4], dnn, model_dir=model_dir, batch_norm=True,
                                                        config=config),
        "combined": lambda: estimator.DNNLinearCombinedClassifier(
            model_dir=model_dir, linear_feature_columns=linear, dnn_feature_columns=dnn, dnn_hidden_units=[4],
            config=config),
    }
    return make[name]()


def labels_for(name):
    if name in ("linear_regressor", "dnn_regressor"):
        return TARGET
    return THREE if name in ("linear_three", "dnn_classifier") else BINARY


def canned_input_fn(tf, name, batch_size=10, repeat=True, labels=True):
    def input_fn():
        data = (dict(TABLE), labels_for(name)) if labels else dict(TABLE)
        dataset = tf.data.Dataset.from_tensor_slices(data)
        return (dataset.repeat() if repeat else dataset).batch(batch_size)
    return input_fn


CANNED = ("linear_binary", "linear_three", "linear_regressor", "dnn_classifier", "dnn_regressor", "combined")


# ----- what both sides report ----------------------------------------------------------------------------

def report(tf, est, input_fn, predict_input_fn) -> dict:
    """Metrics, predictions and variables (name -> shape) of the latest checkpoint, as JSON-able values."""
    metrics = est.evaluate(input_fn)
    predictions = list(est.predict(predict_input_fn))
    checkpoint = tf.train.latest_checkpoint(est.model_dir)
    return {
        "metrics": {key: float(np.asarray(value)) for key, value in metrics.items()},
        "predictions": [{key: _jsonable(value) for key, value in p.items()} for p in predictions],
        "variables": {name: list(shape) for name, shape in tf.train.list_variables(checkpoint)},
    }


def values(tf, model_dir, names) -> dict:
    checkpoint = tf.train.latest_checkpoint(model_dir)
    return {name: np.asarray(tf.train.load_variable(checkpoint, name)).tolist() for name in names}


def _jsonable(value):
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value.ravel().tolist()]
    return value.tolist()
