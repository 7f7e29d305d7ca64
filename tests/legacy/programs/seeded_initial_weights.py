"""A seeded program's random start: `RunConfig(tf_random_seed=...)` and everything left to that seed.

Programs set the graph-level seed and let each op draw its own from the graph's count of seeded ops: default
`get_variable` initializers, `tf.compat.v1.layers.dropout`, a Dataset's `shuffle`, a canned DNN's layers, random
noise in evaluate and predict. (Not `tf.compat.v1.layers.dense`: the real one's Keras 2 initializer took its
seed from Python's `random`, another on each run.) Every op made after the input function gets the seed the real
Estimator gave it only if the engine's own input plumbing draws none (the real one made an initializable
iterator for a Dataset). Inputs: a shuffled Dataset, a plain Dataset, `numpy_input_fn` (unshuffled).
Usage: python seeded_initial_weights.py real|ours. Prints one JSON line: the weights after training, the
metrics and the first predictions of each model.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

v1 = tf.compat.v1
rng = np.random.RandomState(11)
X = rng.uniform(-1, 1, (48, 4)).astype(np.float32)
Y = (X @ [1.0, -2.0, 0.5, 1.5] > 0).astype(np.int32)
CONFIG = tf.estimator.RunConfig(tf_random_seed=21, save_summary_steps=1000, log_step_count_steps=1000)


def dataset_input(shuffle):
    def input_fn():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return (dataset.shuffle(48) if shuffle else dataset).repeat().batch(8)
    return input_fn


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(16)


def model_fn(features, labels, mode):
    training = mode == tf.estimator.ModeKeys.TRAIN
    first = v1.get_variable("first", (4, 6))  # the default initializer: glorot uniform, seeded by the graph
    hidden = tf.nn.relu(tf.matmul(features["x"], first))
    hidden = v1.layers.dropout(hidden, 0.3, training=training)
    logits = tf.matmul(hidden, v1.get_variable("logits", (6, 2))) + v1.get_variable("bias", (2,))
    noise = v1.random_uniform(tf.shape(logits[:, :1]))  # random in every mode, seeded by the graph
    predictions = {"class": tf.argmax(logits, 1), "noise": noise[:, 0]}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, v1.train.get_global_step())
    metrics = {"accuracy": v1.metrics.accuracy(labels, predictions["class"]), "noise": v1.metrics.mean(noise)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def report(estimator, train_input_fn, predict_input_fn):
    estimator.train(train_input_fn, steps=4)
    return {
        "weights": {name: estimator.get_variable_value(name) for name in estimator.get_variable_names()
                    if name != "global_step"},
        "metrics": estimator.evaluate(eval_input_fn),
        "predictions": [{key: value for key, value in p.items() if key != "all_classes"}
                        for p in list(estimator.predict(predict_input_fn))[:3]],
    }


def predict_dataset():
    return tf.data.Dataset.from_tensor_slices({"x": X[:3]}).batch(3)


numpy_train = v1.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=8, num_epochs=None, shuffle=False)
numpy_predict = v1.estimator.inputs.numpy_input_fn({"x": X[:3]}, batch_size=3, shuffle=False)
models = {
    "model_fn, shuffled Dataset": (tf.estimator.Estimator(model_fn, tempfile.mkdtemp(), CONFIG),
                                   dataset_input(True), predict_dataset),
    "model_fn, plain Dataset": (tf.estimator.Estimator(model_fn, tempfile.mkdtemp(), CONFIG),
                                dataset_input(False), predict_dataset),
    "model_fn, numpy_input_fn": (tf.estimator.Estimator(model_fn, tempfile.mkdtemp(), CONFIG),
                                 numpy_train, numpy_predict),
    "canned DNNClassifier, Dataset": (
        tf.estimator.DNNClassifier([5, 3], [tf.feature_column.numeric_column("x", shape=(4,))],
                                   model_dir=tempfile.mkdtemp(), config=CONFIG, dropout=0.2),
        dataset_input(False), predict_dataset),
}
print_report({name: report(*model) for name, model in models.items()})
