"""The book's custom model function: the guide's `my_model_fn`, in our own code.

A model function turns a batch of features into logits, then does what the mode asks: predictions for
PREDICT, loss and metrics for EVAL, loss and a training op for TRAIN. The input checks come first so
that a reader who mistypes `hidden_units` or forgets a feature learns it from the message.
"""
from __future__ import annotations

from iris_lib import quiet  # noqa: F401  (silences TensorFlow's start-up lines before it is imported)

import tensorflow as tf

from iris_lib import layers
from iris_lib.estimator import EstimatorSpec, ModeKeys

v1 = tf.compat.v1

OPTIMIZERS = {
    "Adagrad": v1.train.AdagradOptimizer,
    "Adam": v1.train.AdamOptimizer,
    "SGD": v1.train.GradientDescentOptimizer,
    "RMSProp": v1.train.RMSPropOptimizer,
}


def check_hidden_units(hidden_units) -> list[int]:
    """`hidden_units` must be a non-empty list of positive layer sizes, e.g. [10, 10]."""
    if isinstance(hidden_units, (str, bytes)) or not hasattr(hidden_units, "__iter__"):
        raise ValueError(f"hidden_units must be a list of layer sizes such as [10, 10], got {hidden_units!r}")
    units = list(hidden_units)
    if not units:
        raise ValueError("hidden_units is empty: give at least one hidden layer, e.g. [10, 10]")
    for i, n in enumerate(units):
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(
                f"hidden_units[{i}] = {n!r}: every layer needs a positive whole number of units, e.g. [10, 10]"
            )
    return units


def check_feature_keys(features, feature_columns) -> None:
    """Every feature column needs its key in the features dict; say which are missing and what is there.

    Feature columns look features up by name, so here (and only here: a model_fn may take a plain tensor)
    features must be a dict; a plain tensor would fail deep inside `input_layer`.
    """
    if not isinstance(features, dict):
        keys = [fc.key for fc in feature_columns if hasattr(fc, "key")]
        raise TypeError(
            f"features must be a dict of tensors keyed by the feature columns' keys {keys}, because feature "
            f"columns look features up by name; the input_fn gave a plain {type(features).__name__}. "
            "Return (dict(features), labels) from the input_fn, e.g. {'SepalLength': [...], ...}"
        )
    missing = [fc.key for fc in feature_columns if hasattr(fc, "key") and fc.key not in features]
    if missing:
        raise KeyError(
            f"features lack the keys {missing} that the feature columns need; "
            f"the input_fn provided {sorted(features)}"
        )


def make_optimizer(name_or_optimizer="Adagrad", learning_rate: float = 0.1):
    """An optimizer from its name ('Adagrad', 'Adam', 'SGD', 'RMSProp') or an optimizer object as is."""
    if not isinstance(name_or_optimizer, str):
        return name_or_optimizer
    if name_or_optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer {name_or_optimizer!r} is not one of {sorted(OPTIMIZERS)}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    return OPTIMIZERS[name_or_optimizer](learning_rate=learning_rate)


def my_model_fn(features, labels, mode, params):
    """DNN with `params['hidden_units']` ReLU layers and `params['n_classes']` logits.

    params: feature_columns, hidden_units, n_classes; optional optimizer ('Adagrad') and
    learning_rate (0.1, the guide's).
    """
    hidden_units = check_hidden_units(params["hidden_units"])
    check_feature_keys(features, params["feature_columns"])

    # Input layer: the feature columns turn the feature dict into one dense [batch, 4] tensor.
    net = v1.feature_column.input_layer(features, params["feature_columns"])
    # Hidden layers: each one is fully connected to the one before it.
    for units in hidden_units:
        net = layers.dense(net, units=units, activation=tf.nn.relu)
    # Output layer: one raw score (logit) per class, no activation.
    logits = layers.dense(net, params["n_classes"], activation=None)

    predicted_classes = tf.argmax(logits, 1)
    if mode == ModeKeys.PREDICT:
        predictions = {
            "class_ids": predicted_classes[:, tf.newaxis],
            "probabilities": tf.nn.softmax(logits),
            "logits": logits,
        }
        return EstimatorSpec(mode, predictions=predictions)

    loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    accuracy = v1.metrics.accuracy(labels=labels, predictions=predicted_classes, name="acc_op")
    v1.summary.scalar("accuracy", accuracy[1])
    if mode == ModeKeys.EVAL:
        return EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})

    optimizer = make_optimizer(params.get("optimizer", "Adagrad"), params.get("learning_rate", 0.1))
    train_op = optimizer.minimize(loss, global_step=v1.train.get_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=train_op)
