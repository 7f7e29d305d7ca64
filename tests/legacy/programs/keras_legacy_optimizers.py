"""Keras 2's legacy optimizers in Estimators, as TF 2.15-era programs passed them: `tf.keras.optimizers.legacy`.

TF 2.15's canned Estimators refused a Keras `tf.keras.optimizers.Adam(0.01)` and asked for
`tf.keras.optimizers.legacy.Adam`, so programs wrote `DNNClassifier(..., optimizer=tf.keras.optimizers.legacy.Adam(
learning_rate=0.01))`, or a function making one at a decaying rate (`lambda: ...Adam(learning_rate=
tf.compat.v1.train.exponential_decay(...))`), or a Keras schedule. One setup each: Adam, Adagrad, SGD with Nesterov
momentum at a Keras schedule, SGD clipped by value with `decay`, Adam clipped by norm, centered RMSprop, RMSprop
with momentum, RMSProp by name (the real built Keras's), Ftrl with L1 on a LinearClassifier (a categorical column:
sparse gradients), Adagrad and Ftrl in a DNNLinearCombinedClassifier, a custom model_fn whose train_op is
`optimizer.get_updates(loss, variables)[0]` with `optimizer.iterations` set to the global step (AMSGrad), and a
public head given the optimizer. DNNs warm-start from the same fixed weights (`common.fixed_start_checkpoint`).
Usage: python keras_legacy_optimizers.py real|ours. Prints one JSON line: per setup, metrics and weights.
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

from common import fixed_start_checkpoint, print_report  # noqa: E402

legacy = tf.keras.optimizers.legacy
rng = np.random.RandomState(11)
X = rng.uniform(-1, 1, (40, 4)).astype(np.float32)
Y = np.argmax(X[:, :3] + 0.3 * X[:, 3:], axis=1).astype(np.int64)
COLOR = np.array(["red", "green", "blue"])[rng.randint(0, 3, 40)]
STEPS = 10

x_column = tf.feature_column.numeric_column("x", shape=4)
color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "color": COLOR}, Y))
        return dataset.repeat().batch(10) if train else dataset.batch(10)
    return make


def exponential_decay_adam():
    return legacy.Adam(learning_rate=tf.compat.v1.train.exponential_decay(
        0.05, tf.compat.v1.train.get_global_step(), decay_steps=4, decay_rate=0.5))


DNN_SETUPS = {
    "adam": lambda: legacy.Adam(learning_rate=0.01),
    "adagrad": lambda: legacy.Adagrad(learning_rate=0.1),
    "exponential_decay lambda": lambda: exponential_decay_adam,
    "sgd nesterov at a keras schedule": lambda: legacy.SGD(
        learning_rate=tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5),
        momentum=0.9, nesterov=True),
    "sgd clipvalue and decay": lambda: legacy.SGD(learning_rate=0.2, clipvalue=0.05, decay=0.1),
    "adam clipnorm": lambda: legacy.Adam(learning_rate=0.05, clipnorm=0.1),
    "rmsprop centered": lambda: legacy.RMSprop(learning_rate=0.01, centered=True),
    "rmsprop momentum": lambda: legacy.RMSprop(learning_rate=0.01, momentum=0.5),
    "rmsprop by name": lambda: "RMSProp",
}


def dnn(optimizer):
    def make(model_dir, warm_start_from=None):
        return tf.estimator.DNNClassifier(hidden_units=[6], feature_columns=[x_column], n_classes=3,
                                          optimizer=optimizer(), model_dir=model_dir, warm_start_from=warm_start_from)
    return make


def wide_and_deep(model_dir, warm_start_from=None):
    return tf.estimator.DNNLinearCombinedClassifier(
        linear_feature_columns=[color], linear_optimizer=legacy.Ftrl(learning_rate=0.05),
        dnn_feature_columns=[x_column], dnn_hidden_units=[6], dnn_optimizer=legacy.Adagrad(learning_rate=0.05),
        n_classes=3, model_dir=model_dir, warm_start_from=warm_start_from)


def trained(make, weights):
    start = fixed_start_checkpoint(make, input_fn(True))
    model = make(tempfile.mkdtemp(), warm_start_from=start)
    model.train(input_fn(True), steps=STEPS)
    return {"metrics": model.evaluate(input_fn(False)),
            "weights": {name: model.get_variable_value(name) for name in weights}}


def model_fn(features, labels, mode, params):
    hidden = tf1.layers.dense(features["x"], 5, activation=tf.nn.relu, name="hidden",
                              kernel_initializer=tf1.constant_initializer(np.linspace(-0.6, 0.7, 20).reshape(4, 5)),
                              bias_initializer=tf1.constant_initializer(0.1))
    logits = tf1.layers.dense(hidden, 3, name="logits",
                              kernel_initializer=tf1.constant_initializer(np.linspace(0.5, -0.4, 15).reshape(5, 3)))
    if params["head"]:
        optimizer = legacy.SGD(learning_rate=0.1, momentum=0.5)
        optimizer.iterations = tf1.train.get_global_step()
        return tf.estimator.MultiClassHead(3).create_estimator_spec(
            features=features, mode=mode, logits=logits, labels=labels, optimizer=optimizer,
            trainable_variables=tf1.trainable_variables())
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf1.metrics.accuracy(labels, tf.argmax(logits, 1))})
    optimizer = legacy.Adam(learning_rate=0.05, amsgrad=True)
    optimizer.iterations = tf1.train.get_global_step()  # as the real canned Estimators did: it steps the global step
    train_op = optimizer.get_updates(loss, tf1.trainable_variables())[0]
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def custom(head):
    model = tf.estimator.Estimator(model_fn, model_dir=tempfile.mkdtemp(), params={"head": head})
    model.train(input_fn(True), steps=STEPS)
    return {"metrics": model.evaluate(input_fn(False)),
            "weights": {name: model.get_variable_value(name) for name in ("logits/kernel", "hidden/bias")}}


DNN_WEIGHTS = ("dnn/logits/kernel", "dnn/hiddenlayer_0/bias")
report = {name: trained(dnn(optimizer), DNN_WEIGHTS) for name, optimizer in DNN_SETUPS.items()}

again = dnn(DNN_SETUPS["adam"])(tempfile.mkdtemp())  # one optimizer object, trained twice
again.train(input_fn(True), steps=2)
try:
    again.train(input_fn(True), steps=2)
    report["adam"]["second train"] = "trained"
except RuntimeError as error:  # Keras 2: `iterations` is set once
    report["adam"]["second train"] = f"RuntimeError: {str(error).split('.')[0]}"

linear = tf.estimator.LinearClassifier(
    [x_column, color], n_classes=3, model_dir=tempfile.mkdtemp(),
    optimizer=legacy.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01,
                          beta=0.1))
linear.train(input_fn(True), steps=STEPS)
report["ftrl l1 linear"] = {"metrics": linear.evaluate(input_fn(False)), "weights": {
    name: linear.get_variable_value(f"linear/linear_model/{name}") for name in ("x/weights", "color/weights")}}
report["wide and deep"] = trained(wide_and_deep, DNN_WEIGHTS + ("linear/linear_model/color/weights",))
report["model_fn get_updates"] = custom(head=False)
report["head"] = custom(head=True)
print_report(report)
