"""A pre-made `DNNClassifier`: an Estimator subclass whose model_fn someone already wrote.

It follows the TensorFlow 1 `DNNClassifier` (variable names `dnn/hiddenlayer_N/...`, `dnn/logits/...`,
the loss summed over the batch, prediction keys and metrics as the real one). Its default learning
rate is the V1 one, 0.05: the V2 class defaulted to 0.001, with which 1000 Adagrad steps leave Iris
at 0.33-0.67 test accuracy (measured on TF 2.15), a poor baseline for the book.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib import layers
from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from iris_lib.model import check_feature_keys, check_hidden_units, make_optimizer

v1 = tf.compat.v1

DEFAULT_LEARNING_RATE = 0.05


def _dnn_model_fn(features, labels, mode, params):
    columns, n_classes = params["feature_columns"], params["n_classes"]
    check_feature_keys(features, columns)
    with v1.variable_scope("dnn"):
        with v1.variable_scope("input_from_feature_columns"):
            net = v1.feature_column.input_layer(features, columns)
        for i, units in enumerate(params["hidden_units"]):
            net = layers.dense(net, units, activation=params["activation_fn"], name=f"hiddenlayer_{i}")
            if params["dropout"] and mode == ModeKeys.TRAIN:
                net = tf.nn.dropout(net, rate=params["dropout"])
        logits = layers.dense(net, n_classes, name="logits")

    class_ids = tf.argmax(logits, 1)
    all_ids = tf.tile(tf.range(n_classes, dtype=tf.int64)[tf.newaxis, :], [tf.shape(logits)[0], 1])
    predictions = {
        "logits": logits,
        "probabilities": tf.nn.softmax(logits),
        "class_ids": class_ids[:, tf.newaxis],
        "classes": tf.strings.as_string(class_ids[:, tf.newaxis]),
        "all_class_ids": tf.cast(all_ids, tf.int32),
        "all_classes": tf.strings.as_string(all_ids),
    }
    if mode == ModeKeys.PREDICT:
        return EstimatorSpec(mode, predictions=predictions)

    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    per_example = v1.losses.sparse_softmax_cross_entropy(labels, logits, reduction=v1.losses.Reduction.NONE)
    loss = tf.reduce_sum(per_example)
    average_loss = tf.reduce_mean(per_example)
    if mode == ModeKeys.EVAL:
        metrics = {
            "accuracy": v1.metrics.accuracy(labels, class_ids, name="accuracy"),
            "average_loss": v1.metrics.mean(per_example, name="average_loss"),
        }
        return EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)

    v1.summary.scalar("average_loss", average_loss)
    optimizer = make_optimizer(params["optimizer"], params["learning_rate"])
    train_op = optimizer.minimize(loss, global_step=v1.train.get_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=train_op)


class DNNClassifier(Estimator):
    """A deep neural network classifier, configured by keyword arguments instead of a model_fn."""

    def __init__(self, hidden_units, feature_columns, n_classes: int = 2, model_dir: str | None = None,
                 optimizer="Adagrad", learning_rate: float = DEFAULT_LEARNING_RATE, activation_fn=tf.nn.relu,
                 dropout: float | None = None, config: RunConfig | None = None):
        feature_columns = list(feature_columns)
        if not feature_columns:
            raise ValueError("feature_columns is empty: give one column per feature, e.g. numeric_column(key)")
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        if dropout is not None and not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        make_optimizer(optimizer, learning_rate)  # fail now, not at the first train()
        params = {
            "hidden_units": check_hidden_units(hidden_units),
            "feature_columns": feature_columns,
            "n_classes": n_classes,
            "optimizer": optimizer,
            "learning_rate": learning_rate,
            "activation_fn": activation_fn,
            "dropout": dropout,
        }
        super().__init__(_dnn_model_fn, model_dir=model_dir, config=config, params=params)
