"""`DNNLinearCombinedClassifier` / `...Regressor` / `...Estimator` (any head): "wide & deep", a linear model plus a DNN.

Mirrors `tensorflow_estimator/python/estimator/canned/dnn_linear_combined.py`: the linear part under
`linear/linear_model/...` trained by FTRL (default learning rate min(0.005, 1/sqrt(number of linear
columns))), the DNN part under `dnn/...` trained by Adagrad at 0.001, each optimizer on its own
variables, then `global_step` incremented once. V1 sums the loss over the batch; `...V2` averages it, with
the real TF2 signature (no `input_layer_partitioner`, TF2's (Keras's) `loss_reduction` names:
"sum_over_batch_size" by default, "auto", "sum") and no `export_savedmodel`, as the real TF2 classes.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.util import deprecation

from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.canned.checks import (check_dropout, check_feature_columns, check_feature_keys,
                                              check_hidden_units)
from iris_lib.estimator.canned.dnn import HIDDEN_EXPORT_SAVEDMODEL, dnn_logits
from iris_lib.estimator.canned.head import KERAS_SUM_OVER_BATCH_SIZE, SUM, RegressionHead, binary_or_multi_class_head
from iris_lib.estimator.canned.linear import default_learning_rate, linear_logits
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1

DNN_LEARNING_RATE = 0.001
LINEAR_LEARNING_RATE = 0.005


def _summarize(value, tag):
    v1.summary.scalar(f"{tag}/fraction_of_zero_values", tf.math.zero_fraction(value))
    v1.summary.histogram(f"{tag}/activation", value)


def make_combined_model_fn(head, get_optimizer, settings: dict, batch_norm=False, linear_sparse_combiner="sum",
                           input_layer_partitioner=None):
    """The model_fn(features, labels, mode, config) of a wide & deep Estimator, its settings in this closure."""

    def _model_fn(features, labels, mode, config):
        linear_columns, dnn_columns = settings["linear_feature_columns"], settings["dnn_feature_columns"]
        check_feature_keys(features, linear_columns + dnn_columns)
        dnn_out = linear_out = None
        if dnn_columns:
            with v1.variable_scope("dnn", values=tuple(features.values())) as scope:
                dnn_scope = scope.name
                # The V2 classes' input layer takes TF2's shared embedding columns, whose table (at the root
                # scope, outside `dnn`) the DNN optimizer leaves alone, as the real one did.
                dnn_out = dnn_logits(features, mode, head.logits_dimension, settings["dnn_hidden_units"], dnn_columns,
                                     settings["dnn_activation_fn"], settings["dnn_dropout"], batch_norm,
                                     input_layer_partitioner, v2=get_optimizer is optimizers.get_optimizer_instance_v2)
        if linear_columns:
            with v1.variable_scope("linear", values=tuple(features.values())) as scope:
                linear_scope = scope.name
                linear_out = linear_logits(features, head.logits_dimension, linear_columns, linear_sparse_combiner)
                _summarize(linear_out, scope.name)
        logits = dnn_out + linear_out if dnn_out is not None and linear_out is not None \
            else (dnn_out if dnn_out is not None else linear_out)

        def train_op_fn(loss):
            train_ops = []
            if dnn_out is not None:
                optimizer = get_optimizer(settings["dnn_optimizer"], DNN_LEARNING_RATE)
                train_ops.append(optimizer.minimize(loss, var_list=v1.get_collection(
                    v1.GraphKeys.TRAINABLE_VARIABLES, scope=dnn_scope)))
            if linear_out is not None:
                optimizer = get_optimizer(settings["linear_optimizer"],
                                          default_learning_rate(len(linear_columns), LINEAR_LEARNING_RATE))
                train_ops.append(optimizer.minimize(loss, var_list=v1.get_collection(
                    v1.GraphKeys.TRAINABLE_VARIABLES, scope=linear_scope)))
            with tf.control_dependencies([tf.group(*train_ops)]):
                return v1.assign_add(v1.train.get_global_step(), 1).op

        return head.create_estimator_spec(features, mode, logits, labels=labels,
                                          train_op_fn=train_op_fn if mode == ModeKeys.TRAIN else None)

    return _model_fn


def _combined_settings(linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                       dnn_hidden_units, dnn_activation_fn, dnn_dropout, **more) -> dict:
    linear = check_feature_columns(linear_feature_columns, "linear_feature_columns") \
        if linear_feature_columns else []
    dnn = check_feature_columns(dnn_feature_columns, "dnn_feature_columns") if dnn_feature_columns else []
    if not linear and not dnn:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    if dnn and not dnn_hidden_units:
        raise ValueError("dnn_hidden_units must be defined when dnn_feature_columns is specified.")
    check_dropout(dnn_dropout)
    return {
        "linear_feature_columns": linear, "linear_optimizer": linear_optimizer,
        "dnn_feature_columns": dnn, "dnn_optimizer": dnn_optimizer,
        "dnn_hidden_units": check_hidden_units(dnn_hidden_units, "dnn_hidden_units") if dnn else None,
        "dnn_activation_fn": dnn_activation_fn, "dnn_dropout": dnn_dropout, **more,
    }


def _check_optimizers(get_optimizer, settings) -> None:
    for key in ("linear_optimizer", "dnn_optimizer"):
        if isinstance(settings[key], str):
            get_optimizer(settings[key], 0.01)  # an unknown name fails now, not at the first train()


def _estimator_kwargs(config, warm_start_from) -> dict:
    return {"config": config, **({"warm_start_from": warm_start_from} if warm_start_from is not None else {})}


class DNNLinearCombinedClassifier(Estimator):
    """Wide & deep classifier (`tf.compat.v1.estimator.DNNLinearCombinedClassifier`)."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=SUM, batch_norm=False, linear_sparse_combiner="sum"):
        settings = _combined_settings(linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                      dnn_hidden_units, dnn_activation_fn, dnn_dropout, n_classes=n_classes)
        head = binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction,
                                          type(self).__name__, keras_reduction=self._keras_reduction)
        _check_optimizers(self._get_optimizer, settings)
        model_fn = make_combined_model_fn(head, self._get_optimizer, settings, batch_norm, linear_sparse_combiner,
                                          input_layer_partitioner)
        super().__init__(model_fn, model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class DNNLinearCombinedClassifierV2(DNNLinearCombinedClassifier):
    """TF2's `tf.estimator.DNNLinearCombinedClassifier`: the loss averaged over the batch."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    _keras_reduction = True  # TF2's (Keras's) names
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, config=None, warm_start_from=None,
                 loss_reduction=KERAS_SUM_OVER_BATCH_SIZE, batch_norm=False, linear_sparse_combiner="sum"):
        super().__init__(model_dir=model_dir, linear_feature_columns=linear_feature_columns,
                         linear_optimizer=linear_optimizer, dnn_feature_columns=dnn_feature_columns,
                         dnn_optimizer=dnn_optimizer, dnn_hidden_units=dnn_hidden_units,
                         dnn_activation_fn=dnn_activation_fn, dnn_dropout=dnn_dropout, n_classes=n_classes,
                         weight_column=weight_column, label_vocabulary=label_vocabulary, config=config,
                         warm_start_from=warm_start_from, loss_reduction=loss_reduction, batch_norm=batch_norm,
                         linear_sparse_combiner=linear_sparse_combiner)


class DNNLinearCombinedRegressor(Estimator):
    """Wide & deep regressor (`tf.compat.v1.estimator.DNNLinearCombinedRegressor`)."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)
    _keras_reduction = False

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, label_dimension=1, weight_column=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=SUM,
                 batch_norm=False, linear_sparse_combiner="sum"):
        settings = _combined_settings(linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                      dnn_hidden_units, dnn_activation_fn, dnn_dropout, label_dimension=label_dimension)
        head = RegressionHead(label_dimension, weight_column, loss_reduction, keras_reduction=self._keras_reduction)
        _check_optimizers(self._get_optimizer, settings)
        model_fn = make_combined_model_fn(head, self._get_optimizer, settings, batch_norm, linear_sparse_combiner,
                                          input_layer_partitioner)
        super().__init__(model_fn, model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class DNNLinearCombinedRegressorV2(DNNLinearCombinedRegressor):
    """TF2's `tf.estimator.DNNLinearCombinedRegressor`: the loss averaged over the batch."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    _keras_reduction = True
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, label_dimension=1, weight_column=None, config=None,
                 warm_start_from=None, loss_reduction=KERAS_SUM_OVER_BATCH_SIZE, batch_norm=False,
                 linear_sparse_combiner="sum"):
        super().__init__(model_dir=model_dir, linear_feature_columns=linear_feature_columns,
                         linear_optimizer=linear_optimizer, dnn_feature_columns=dnn_feature_columns,
                         dnn_optimizer=dnn_optimizer, dnn_hidden_units=dnn_hidden_units,
                         dnn_activation_fn=dnn_activation_fn, dnn_dropout=dnn_dropout,
                         label_dimension=label_dimension, weight_column=weight_column, config=config,
                         warm_start_from=warm_start_from, loss_reduction=loss_reduction, batch_norm=batch_norm,
                         linear_sparse_combiner=linear_sparse_combiner)


class DNNLinearCombinedEstimator(Estimator):
    """Wide & deep under a head you choose (`tf.compat.v1.estimator.DNNLinearCombinedEstimator`).

    Takes a canned head or a public one; as the real one, no `warm_start_from`."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)

    def __init__(self, head, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, input_layer_partitioner=None, config=None,
                 batch_norm=False, linear_sparse_combiner="sum"):
        settings = _combined_settings(linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                      dnn_hidden_units, dnn_activation_fn, dnn_dropout)
        _check_optimizers(self._get_optimizer, settings)
        model_fn = make_combined_model_fn(head, self._get_optimizer, settings, batch_norm, linear_sparse_combiner,
                                          input_layer_partitioner)
        super().__init__(model_fn, model_dir=model_dir, config=config)


class DNNLinearCombinedEstimatorV2(DNNLinearCombinedEstimator):
    """TF2's `tf.estimator.DNNLinearCombinedEstimator`: a public head."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, head, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, config=None, batch_norm=False,
                 linear_sparse_combiner="sum"):
        super().__init__(head, model_dir=model_dir, linear_feature_columns=linear_feature_columns,
                         linear_optimizer=linear_optimizer, dnn_feature_columns=dnn_feature_columns,
                         dnn_optimizer=dnn_optimizer, dnn_hidden_units=dnn_hidden_units,
                         dnn_activation_fn=dnn_activation_fn, dnn_dropout=dnn_dropout, config=config,
                         batch_norm=batch_norm, linear_sparse_combiner=linear_sparse_combiner)
