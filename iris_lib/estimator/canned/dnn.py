"""`DNNClassifier`, `DNNRegressor` and `DNNEstimator` (any head): feed-forward networks over feature columns.

Mirrors `tensorflow_estimator/python/estimator/canned/dnn.py`. The V1 classes (`tf.compat.v1.estimator`,
what `import iris_lib.tf1 as tf` gives) have the real V1 variable names (`dnn/hiddenlayer_N/kernel`,
`dnn/logits/bias`, `dnn/input_from_feature_columns/input_layer/...`, batch norm in
`dnn/hiddenlayer_N/batchnorm_N/`), the real keys of their optimizer slots (`dnn/hiddenlayer_0/kernel/t_0/Adagrad`,
`dnn/head/beta1_power`), Adagrad at 0.05 and the loss summed over the batch. The `...V2`
classes are TF2's `tf.estimator.DNNClassifier`: Adagrad at 0.001 (Keras's update, with epsilon), the loss
averaged over the batch, `loss_reduction` one of TF2's (Keras's) names ("sum_over_batch_size", the default,
"auto" or "sum"; the tf.compat.v1 names are refused, as the real V2 refused them), and no
`export_savedmodel` (an AttributeError, as the real TF2 classes hid it: use `export_saved_model`). Their input
layer (`input_layer_v2`) also takes TF2's shared embedding columns (`tf.feature_column.shared_embeddings`), whose
one table is the root variable `<columns>_shared_embedding` that the real V2 classes never trained.

`dnn_logit_fn_builder` is `tf.compat.v1.estimator.experimental.dnn_logit_fn_builder`: a logit_fn(features, mode)
building this network in the current variable scope, with the real one's variable names (at the root scope
`hiddenlayer_0/kernel`, ..., `logits/bias`), for a model_fn of one's own.

As in the real ones, the keyword arguments live in the model_fn's closure: `params` is `{}` and `model_fn`
takes `(features, labels, mode, config)`. Deliberate differences: `DNNClassifier` also takes
`learning_rate=` (the real one fixed 0.05 unless you passed an optimizer object). The hidden-layer
summaries (`fraction_of_zero_values`, `activation`) are written after the logits are built, so that
they do not shift the random seeds of the layers (the real one interleaved them).
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.feature_column import feature_column_v2 as fc_v2
from tensorflow.python.util import deprecation

from iris_lib import layers
from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.canned.checks import (check_dropout, check_feature_columns, check_feature_keys,
                                              check_hidden_units)
from iris_lib.estimator.canned.head import (KERAS_SUM_OVER_BATCH_SIZE, SUM, RegressionHead,
                                            binary_or_multi_class_head, create_estimator_spec)
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.keras_dense_features import with_shared_embeddings
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1

LEARNING_RATE = 0.05  # the V1 default; the V2 classes take Keras Adagrad's 0.001
# What the real TF2 classes (EstimatorV2) put in place of the TF1 `export_savedmodel`: an AttributeError.
HIDDEN_EXPORT_SAVEDMODEL = ("`Estimator.export_savedmodel` has been deprecated. Please use `export_saved_model` "
                            "instead.")


def input_layer_v2(features, feature_columns):
    """The input layer of the V2 canned Estimators (the real ones' Keras 2 `DenseFeatures`): what
    `input_layer` gives, plus TF2's shared embedding columns, which `input_layer` refuses
    (`with_shared_embeddings`)."""
    return with_shared_embeddings(features, feature_columns, lambda columns, tensors: (
        v1.feature_column.input_layer(features, columns, cols_to_output_tensors=tensors)))


def shared_embedding_variables(feature_columns) -> list:
    """The tables of the shared embedding columns, once the graph has them. The real V2 canned Estimators did
    not train them (their Keras model did not track a variable made by `get_variable`; tensorflow#47037): they
    keep the values they started from, warm-started or drawn by their initializer."""
    creators = {c.shared_embedding_column_creator for c in feature_columns
                if isinstance(c, fc_v2.SharedEmbeddingColumn)}
    return [creator.embedding_weights for creator in creators]


def dnn_logits(features, mode, units: int, hidden_units, feature_columns, activation_fn, dropout, batch_norm=False,
               input_layer_partitioner=None, v2: bool = False):
    """The logits of the network, built in the current variable scope (the Estimators open `dnn`). `v2`: the
    input layer of the TF2 classes (`input_layer_v2`, which takes TF2's shared embedding columns)."""
    with v1.variable_scope("input_from_feature_columns", partitioner=input_layer_partitioner):
        net = input_layer_v2(features, feature_columns) if v2 else v1.feature_column.input_layer(features,
                                                                                                 feature_columns)
    summarized = []
    for i, n in enumerate(hidden_units):
        net = layers.dense(net, n, activation=activation_fn, kernel_initializer=v1.glorot_uniform_initializer(),
                           name=f"hiddenlayer_{i}")
        if dropout and mode == ModeKeys.TRAIN:
            net = tf.nn.dropout(net, rate=dropout)
        if batch_norm:
            with v1.variable_scope(f"hiddenlayer_{i}"):
                # momentum 0.999, as the real one: "the default 0.99 actually crashes on certain problems"
                net = layers.batch_normalization(net, momentum=0.999, training=mode == ModeKeys.TRAIN,
                                                 name=f"batchnorm_{i}")
        summarized.append((f"{_scope_prefix()}hiddenlayer_{i}", net))
    logits = layers.dense(net, units, kernel_initializer=v1.glorot_uniform_initializer(), name="logits")
    summarized.append((f"{_scope_prefix()}logits", logits))
    for tag, value in summarized:
        v1.summary.scalar(f"{tag}/fraction_of_zero_values", tf.math.zero_fraction(value))
        v1.summary.histogram(f"{tag}/activation", value)
    return logits


def _scope_prefix() -> str:
    scope = v1.get_variable_scope().name
    return f"{scope}/" if scope else ""


def dnn_logit_fn_builder(units, hidden_units, feature_columns, activation_fn, dropout, input_layer_partitioner,
                         batch_norm):
    """`tf.compat.v1.estimator.experimental.dnn_logit_fn_builder`: a logit_fn(features, mode) that builds the
    DNN of the canned Estimators (`units` logits) in the variable scope it is called in, as the real one."""
    if not isinstance(units, int):
        raise ValueError(f"units must be an int.  Given type: {type(units)}")

    def dnn_logit_fn(features, mode):
        return dnn_logits(features, mode, units, hidden_units, feature_columns, activation_fn, dropout, batch_norm,
                          input_layer_partitioner)

    return dnn_logit_fn


def make_dnn_model_fn(head, optimizer_fn, settings: dict, batch_norm=False, input_layer_partitioner=None):
    """The model_fn(features, labels, mode, config) of a DNN Estimator: its settings live in this closure, as in
    the real canned Estimators, whose `params` stay empty."""

    def _model_fn(features, labels, mode, config):
        columns = settings["feature_columns"]
        check_feature_keys(features, columns)
        v2 = optimizer_fn is not _v1_optimizer
        with v1.variable_scope("dnn"):
            logits = dnn_logits(features, mode, head.logits_dimension, settings["hidden_units"], columns,
                                settings["activation_fn"], settings["dropout"], batch_norm, input_layer_partitioner,
                                v2=v2)
            if not v2:  # the real V1 model_fn made its train op in `dnn` too: `dnn/head/...`
                optimizer = optimizer_fn(settings) if mode == ModeKeys.TRAIN else None
                spec = create_estimator_spec(head, features, mode, logits, labels, optimizer)
                optimizers.save_slots_as_one_part(optimizer, v1.trainable_variables(), "t_0")
                return spec
        optimizer = optimizer_fn(settings) if mode == ModeKeys.TRAIN else None
        untrained = shared_embedding_variables(columns)
        trainable = [v for v in v1.trainable_variables() if v not in untrained] if untrained else None
        return create_estimator_spec(head, features, mode, logits, labels, optimizer, trainable)

    return _model_fn


def _estimator_kwargs(config, warm_start_from) -> dict:
    kwargs = {"config": config}
    if warm_start_from is not None:
        kwargs["warm_start_from"] = warm_start_from
    return kwargs


def _v1_optimizer(settings):
    return optimizers.get_optimizer_instance(settings["optimizer"], learning_rate=settings["learning_rate"])


def _v2_optimizer(settings):
    return optimizers.get_optimizer_instance_v2(settings["optimizer"], learning_rate=settings.get("learning_rate"))


def _dnn_settings(hidden_units, feature_columns, optimizer, activation_fn, dropout, learning_rate, **more) -> dict:
    check_dropout(dropout)
    if learning_rate is not None and (isinstance(learning_rate, bool) or not learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    settings = {
        "hidden_units": check_hidden_units(hidden_units),
        "feature_columns": check_feature_columns(feature_columns),
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "activation_fn": activation_fn,
        "dropout": dropout,
        **more,
    }
    return settings


class DNNClassifier(Estimator):
    """A deep neural network classifier (`tf.compat.v1.estimator.DNNClassifier`), configured by arguments."""

    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names
    _default_learning_rate = LEARNING_RATE

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=SUM,
                 batch_norm=False, learning_rate=None):
        settings = _dnn_settings(hidden_units, feature_columns, optimizer, activation_fn, dropout,
                                 learning_rate if learning_rate is not None else self._default_learning_rate,
                                 n_classes=n_classes)
        head = binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction,
                                          type(self).__name__, keras_reduction=self._keras_reduction)
        if not callable(optimizer):  # a bad name or object fails now, not at the first train()
            self._optimizer_fn(settings)
        super().__init__(make_dnn_model_fn(head, self._optimizer_fn, settings, batch_norm, input_layer_partitioner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class DNNClassifierV2(DNNClassifier):
    """TF2's `tf.estimator.DNNClassifier`: Adagrad at 0.001, loss averaged over the batch (TF2's reduction names)."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    _keras_reduction = True
    _default_learning_rate = None  # the optimizer's own default (Adagrad: 0.001)
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, config=None,
                 warm_start_from=None, loss_reduction=KERAS_SUM_OVER_BATCH_SIZE, batch_norm=False,
                 learning_rate=None):
        super().__init__(hidden_units, feature_columns, model_dir=model_dir, n_classes=n_classes,
                         weight_column=weight_column, label_vocabulary=label_vocabulary, optimizer=optimizer,
                         activation_fn=activation_fn, dropout=dropout, config=config,
                         warm_start_from=warm_start_from, loss_reduction=loss_reduction, batch_norm=batch_norm,
                         learning_rate=learning_rate)


class DNNRegressor(Estimator):
    """A deep neural network regressor (`tf.compat.v1.estimator.DNNRegressor`): mean squared error."""

    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False
    _default_learning_rate = LEARNING_RATE

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=SUM, batch_norm=False, learning_rate=None):
        settings = _dnn_settings(hidden_units, feature_columns, optimizer, activation_fn, dropout,
                                 learning_rate if learning_rate is not None else self._default_learning_rate,
                                 label_dimension=label_dimension)
        head = RegressionHead(label_dimension, weight_column, loss_reduction, keras_reduction=self._keras_reduction)
        if not callable(optimizer):
            self._optimizer_fn(settings)
        super().__init__(make_dnn_model_fn(head, self._optimizer_fn, settings, batch_norm, input_layer_partitioner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class DNNRegressorV2(DNNRegressor):
    """TF2's `tf.estimator.DNNRegressor`: Adagrad at 0.001, loss averaged over the batch (TF2's reduction names)."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    _keras_reduction = True
    _default_learning_rate = None
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, config=None, warm_start_from=None,
                 loss_reduction=KERAS_SUM_OVER_BATCH_SIZE, batch_norm=False, learning_rate=None):
        super().__init__(hidden_units, feature_columns, model_dir=model_dir, label_dimension=label_dimension,
                         weight_column=weight_column, optimizer=optimizer, activation_fn=activation_fn,
                         dropout=dropout, config=config, warm_start_from=warm_start_from,
                         loss_reduction=loss_reduction, batch_norm=batch_norm, learning_rate=learning_rate)


class DNNEstimator(Estimator):
    """A DNN under a head you choose (`tf.compat.v1.estimator.DNNEstimator`): a canned head or a public one."""

    _optimizer_fn = staticmethod(_v1_optimizer)
    _default_learning_rate = LEARNING_RATE

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=tf.nn.relu, dropout=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, batch_norm=False):
        settings = _dnn_settings(hidden_units, feature_columns, optimizer, activation_fn, dropout,
                                 self._default_learning_rate)
        if not callable(optimizer):
            self._optimizer_fn(settings)
        super().__init__(make_dnn_model_fn(head, self._optimizer_fn, settings, batch_norm, input_layer_partitioner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class DNNEstimatorV2(DNNEstimator):
    """TF2's `tf.estimator.DNNEstimator`: a public head; optimizers by name at the Keras defaults (Adagrad 0.001)."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    _default_learning_rate = None
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=tf.nn.relu, dropout=None, config=None, warm_start_from=None, batch_norm=False):
        super().__init__(head, hidden_units, feature_columns, model_dir=model_dir, optimizer=optimizer,
                         activation_fn=activation_fn, dropout=dropout, config=config,
                         warm_start_from=warm_start_from, batch_norm=batch_norm)
