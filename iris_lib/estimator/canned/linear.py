"""`LinearClassifier`, `LinearRegressor` and `LinearEstimator` (a head of your choice): a weighted sum of the columns.

Mirrors `tensorflow_estimator/python/estimator/canned/linear.py`: one weight matrix per column,
`linear/linear_model/<column name>/weights` of shape `[num_buckets or dimension, logits_dimension]`
(zeros at the start), a bias `linear/linear_model/bias_weights`, categorical, bucketized, crossed,
hashed and identity columns looked up sparsely (combined by `sparse_combiner`, 'sum' by default) and
dense ones (numeric, indicator, embedding) multiplied in; FTRL at learning rate 0.2 by default.
V1 (`tf.compat.v1.estimator`) sums the loss over the batch; the `...V2` classes average it, take TF2's
(Keras's) `loss_reduction` names ("sum_over_batch_size", "auto", "sum") and hide `export_savedmodel`, as the
real TF2 classes. `linear_logit_fn_builder` is `tf.compat.v1.estimator.experimental.linear_logit_fn_builder`: a
logit_fn(features) building `linear_model/...` in the variable scope it is called in, as the real one.

Deliberate difference: the real LinearClassifier/LinearRegressor put their weights in a one-part
`PartitionedVariable`, so their optimizer slots are saved as `.../weights/part_0/Ftrl`; ours are plain
variables with slots `.../weights/Ftrl` (as the real DNNLinearCombined* save them). The weights
themselves cross both ways (evaluate and predict from either's checkpoint); to train on from a real
LinearClassifier's checkpoint, warm-start from it (`warm_start_from=`), since the slot names differ.
"""
from __future__ import annotations

import math

import tensorflow as tf
from tensorflow.python.util import deprecation
from tensorflow.python.feature_column import feature_column as fc_v1
from tensorflow.python.feature_column import feature_column_v2 as fc_v2

from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.canned.checks import check_feature_columns, check_feature_keys
from iris_lib.estimator.canned.dnn import HIDDEN_EXPORT_SAVEDMODEL
from iris_lib.estimator.canned.head import (KERAS_SUM_OVER_BATCH_SIZE, SUM, RegressionHead,
                                            binary_or_multi_class_head, create_estimator_spec)
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1

LEARNING_RATE = 0.2
SPARSE_COMBINERS = ("sum", "mean", "sqrtn")


def _weighted_sum(column, builder, weights, sparse_combiner):
    if isinstance(column, fc_v2.CategoricalColumn):
        sparse = column._get_sparse_tensors(builder)
        ids = tf.sparse.reshape(sparse.id_tensor, [tf.shape(sparse.id_tensor, out_type=tf.int64)[0], -1])
        id_weights = sparse.weight_tensor
        if id_weights is not None:
            id_weights = tf.sparse.reshape(id_weights, [tf.shape(id_weights, out_type=tf.int64)[0], -1])
        return v1.nn.safe_embedding_lookup_sparse([weights], ids, sparse_weights=id_weights,
                                                  combiner=sparse_combiner, name="weighted_sum")
    tensor = column._get_dense_tensor(builder)
    tensor = tf.reshape(tensor, [tf.shape(tensor)[0], column.variable_shape.num_elements()])
    return tf.matmul(tensor, weights, name="weighted_sum")


def linear_logits(features, units: int, feature_columns, sparse_combiner: str = "sum"):
    """`linear_model/...` in the current variable scope (the Estimators open `linear`): the logits."""
    columns = sorted(feature_columns, key=lambda column: column.name)
    for column in columns:
        if not isinstance(column, (fc_v2.DenseColumn, fc_v2.CategoricalColumn)):
            raise ValueError(f"Items of feature_columns must be either a DenseColumn or CategoricalColumn. "
                             f"Given: {column}")
    builder = fc_v1._LazyBuilder(features)
    with v1.variable_scope("linear_model"):
        sums, weights = [], []
        for column in columns:
            with v1.variable_scope(fc_v2._sanitize_column_name_for_variable_scope(column.name)):
                rows = column.num_buckets if isinstance(column, fc_v2.CategoricalColumn) \
                    else column.variable_shape.num_elements()
                weight = v1.get_variable("weights", [rows, units], tf.float32, initializer=v1.zeros_initializer())
                weights.append(weight)
                sums.append(_weighted_sum(column, builder, weight, sparse_combiner))
        bias = v1.get_variable("bias_weights", [units], tf.float32, initializer=v1.zeros_initializer())
        logits = tf.nn.bias_add(tf.math.add_n(sums, name="weighted_sum_no_bias"), bias, name="weighted_sum")
    if units > 1:
        v1.summary.histogram("bias", bias)
    else:
        v1.summary.scalar("bias", bias[0])
    total = tf.add_n([tf.cast(tf.size(w), tf.float32) for w in weights])
    zeros = tf.add_n([tf.cast(tf.size(w), tf.float32) * tf.math.zero_fraction(w) for w in weights])
    v1.summary.scalar("fraction_of_zero_weights", zeros / total)
    return logits


def linear_logit_fn_builder(units, feature_columns, sparse_combiner="sum"):
    """`tf.compat.v1.estimator.experimental.linear_logit_fn_builder`: a logit_fn(features) that builds the linear
    model of the canned Estimators (`linear_model/<column>/weights`, `linear_model/bias_weights`) in the variable
    scope it is called in, with its `bias` and `fraction_of_zero_weights` summaries, as the real one."""

    def linear_logit_fn(features):
        return linear_logits(features, units, feature_columns, sparse_combiner)

    return linear_logit_fn


def default_learning_rate(num_columns: int, cap: float = LEARNING_RATE) -> float:
    """min(cap, 1/sqrt(number of columns)): the real linear models' rule for their default FTRL rate."""
    return min(cap, 1.0 / math.sqrt(num_columns))


def make_linear_model_fn(head, optimizer_fn, settings: dict, sparse_combiner: str = "sum"):
    """The model_fn(features, labels, mode, config) of a linear Estimator, its settings in this closure."""

    def _model_fn(features, labels, mode, config):
        columns = settings["feature_columns"]
        check_feature_keys(features, columns)
        with v1.variable_scope("linear", values=tuple(features.values())):
            logits = linear_logits(features, head.logits_dimension, columns, sparse_combiner)
        optimizer = optimizer_fn(settings) if mode == ModeKeys.TRAIN else None
        return create_estimator_spec(head, features, mode, logits, labels, optimizer)

    return _model_fn


def _v1_optimizer(settings):
    opt = settings["optimizer"]
    if opt is None:
        return v1.train.FtrlOptimizer(default_learning_rate(len(settings["feature_columns"])))
    return optimizers.get_optimizer_instance(opt, learning_rate=settings["learning_rate"] or LEARNING_RATE)


def _v2_optimizer(settings):
    opt = settings["optimizer"]
    if opt is None:
        return v1.train.FtrlOptimizer(default_learning_rate(len(settings["feature_columns"])))
    return optimizers.get_optimizer_instance_v2(opt, learning_rate=settings["learning_rate"] or LEARNING_RATE)


def _linear_settings(feature_columns, optimizer, learning_rate, sparse_combiner, **more) -> dict:
    if sparse_combiner not in SPARSE_COMBINERS:
        raise ValueError(f"sparse_combiner must be one of {SPARSE_COMBINERS}, got {sparse_combiner!r}")
    if learning_rate is not None and (isinstance(learning_rate, bool) or not learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    columns = check_feature_columns(feature_columns)
    for column in columns:
        if not isinstance(column, (fc_v2.DenseColumn, fc_v2.CategoricalColumn)):
            raise ValueError(f"Items of feature_columns must be either a DenseColumn or CategoricalColumn. "
                             f"Given: {column}")
    return {"feature_columns": columns, "optimizer": optimizer, "learning_rate": learning_rate, **more}


def _estimator_kwargs(config, warm_start_from) -> dict:
    return {"config": config, **({"warm_start_from": warm_start_from} if warm_start_from is not None else {})}


class LinearClassifier(Estimator):
    """A linear classifier (`tf.compat.v1.estimator.LinearClassifier`): logistic or softmax regression."""

    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=SUM, sparse_combiner="sum", learning_rate=None):
        if partitioner is not None:
            raise NotImplementedError("LinearClassifier: iris_lib does not partition variables; leave partitioner=None")
        settings = _linear_settings(feature_columns, optimizer, learning_rate, sparse_combiner, n_classes=n_classes)
        head = binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                          loss_reduction, type(self).__name__, keras_reduction=self._keras_reduction)
        if not callable(optimizer):  # a bad name or object fails now, not at the first train()
            self._optimizer_fn(settings)
        super().__init__(make_linear_model_fn(head, self._optimizer_fn, settings, sparse_combiner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class LinearClassifierV2(LinearClassifier):
    """TF2's `tf.estimator.LinearClassifier`: the loss averaged over the batch."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    _keras_reduction = True  # TF2's (Keras's) names
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, warm_start_from=None,
                 loss_reduction=KERAS_SUM_OVER_BATCH_SIZE, sparse_combiner="sum", learning_rate=None):
        super().__init__(feature_columns, model_dir=model_dir, n_classes=n_classes, weight_column=weight_column,
                         label_vocabulary=label_vocabulary, optimizer=optimizer, config=config,
                         warm_start_from=warm_start_from, loss_reduction=loss_reduction,
                         sparse_combiner=sparse_combiner, learning_rate=learning_rate)


class LinearRegressor(Estimator):
    """A linear regressor (`tf.compat.v1.estimator.LinearRegressor`): least squares on the columns."""

    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None, loss_reduction=SUM,
                 sparse_combiner="sum", learning_rate=None):
        if partitioner is not None:
            raise NotImplementedError("LinearRegressor: iris_lib does not partition variables; leave partitioner=None")
        settings = _linear_settings(feature_columns, optimizer, learning_rate, sparse_combiner,
                                    label_dimension=label_dimension)
        head = RegressionHead(label_dimension, weight_column, loss_reduction, keras_reduction=self._keras_reduction)
        if not callable(optimizer):
            self._optimizer_fn(settings)
        super().__init__(make_linear_model_fn(head, self._optimizer_fn, settings, sparse_combiner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class LinearRegressorV2(LinearRegressor):
    """TF2's `tf.estimator.LinearRegressor`: the loss averaged over the batch."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    _keras_reduction = True  # TF2's (Keras's) names
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, warm_start_from=None, loss_reduction=KERAS_SUM_OVER_BATCH_SIZE,
                 sparse_combiner="sum", learning_rate=None):
        super().__init__(feature_columns, model_dir=model_dir, label_dimension=label_dimension,
                         weight_column=weight_column, optimizer=optimizer, config=config,
                         warm_start_from=warm_start_from, loss_reduction=loss_reduction,
                         sparse_combiner=sparse_combiner, learning_rate=learning_rate)


class LinearEstimator(Estimator):
    """A linear model under a head you choose (`tf.compat.v1.estimator.LinearEstimator`): canned or public head."""

    _optimizer_fn = staticmethod(_v1_optimizer)

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None, partitioner=None,
                 sparse_combiner="sum", warm_start_from=None):
        if partitioner is not None:
            raise NotImplementedError("LinearEstimator: iris_lib does not partition variables; leave partitioner=None")
        settings = _linear_settings(feature_columns, optimizer, None, sparse_combiner)
        if not callable(optimizer):
            self._optimizer_fn(settings)
        super().__init__(make_linear_model_fn(head, self._optimizer_fn, settings, sparse_combiner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class LinearEstimatorV2(LinearEstimator):
    """TF2's `tf.estimator.LinearEstimator`: a public head."""

    _optimizer_fn = staticmethod(_v2_optimizer)
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None,
                 sparse_combiner="sum", warm_start_from=None):
        super().__init__(head, feature_columns, model_dir=model_dir, optimizer=optimizer, config=config,
                         sparse_combiner=sparse_combiner, warm_start_from=warm_start_from)
