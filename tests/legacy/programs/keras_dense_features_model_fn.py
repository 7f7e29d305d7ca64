"""A TF2-era custom model_fn in the style of TensorFlow 2's "Custom Estimators" guide: the features go through
`tf.keras.layers.DenseFeatures(params['feature_columns'])` (numeric, embedding and indicator columns; a second,
named one; a third over TF2's shared embeddings of two columns, one table), then dense layers, trained with a tf.compat.v1 optimizer; evaluate and predict.
Usage: python keras_dense_features_model_fn.py real|ours. Prints one JSON line.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

fc = tf.feature_column
rng = np.random.RandomState(8)
FEATURES = {"x": rng.uniform(0, 1, (32, 2)).astype(np.float32),
            "c": np.array(["a", "b", "c", "d"])[rng.randint(0, 4, 32)], "i": rng.randint(0, 4, 32)}
LABELS = ((FEATURES["x"][:, 0] > 0.5) | (FEATURES["c"] == "a")).astype(np.int32)
COLUMNS = [fc.numeric_column("x", shape=2),
           fc.embedding_column(fc.categorical_column_with_vocabulary_list("c", ["a", "b", "c", "d"]), 2,
                               initializer=tf.compat.v1.constant_initializer([[0.1, -0.2], [0.3, 0.0], [-0.1, 0.2],
                                                                             [0.05, 0.05]])),
           fc.indicator_column(fc.categorical_column_with_identity("i", 4))]


def model_fn(features, labels, mode, params):
    net = tf.keras.layers.DenseFeatures(params["feature_columns"])(features)
    extra = tf.keras.layers.DenseFeatures(params["feature_columns"][:1], name="numeric_only")(features)
    pair = fc.shared_embeddings(  # made in the graph: TF2 refuses them eagerly
        [fc.categorical_column_with_vocabulary_list("c", ["a", "b", "c", "d"]),
         fc.categorical_column_with_vocabulary_list("i", [0, 1, 2, 3])], 3,
        initializer=tf.compat.v1.constant_initializer(np.linspace(-0.5, 0.5, 12).reshape(4, 3)))
    shared = tf.keras.layers.DenseFeatures(pair)(features)
    net = tf.concat([net, extra, shared], 1)  # 2 + 2 + 4 + 2 + 3 + 3 values
    kernel = tf.compat.v1.constant_initializer(np.linspace(-0.4, 0.4, 32).reshape(16, 2))
    logits = tf.compat.v1.layers.dense(net, 2, kernel_initializer=kernel, name="logits")
    predictions = {"class_ids": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.compat.v1.train.AdagradOptimizer(0.5).minimize(loss, global_step=tf.compat.v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops={
        "accuracy": tf.compat.v1.metrics.accuracy(labels, predictions["class_ids"])})


def input_fn():
    return tf.data.Dataset.from_tensor_slices((FEATURES, LABELS)).batch(8)


estimator = tf.estimator.Estimator(model_fn, tempfile.mkdtemp(), params={"feature_columns": COLUMNS})
estimator.train(lambda: input_fn().repeat(), steps=12)
print_report({
    "evaluated": estimator.evaluate(input_fn),
    "weights": {name: estimator.get_variable_value(name) for name in estimator.get_variable_names()},
    "predictions": [p["probabilities"] for p in estimator.predict(lambda: input_fn().map(lambda f, l: f).take(1))],
})
