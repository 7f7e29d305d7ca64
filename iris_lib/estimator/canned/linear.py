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

The real LinearClassifier/LinearRegressor put their weights in a one-part `PartitionedVariable`, so their
optimizer slots were saved as `.../weights/part_0/Ftrl`; ours are whole variables whose slots are saved under
those keys (`optimizers.save_slots_as_one_part`), so checkpoints cross both ways, to train on too.

`optimizer=LinearSDCA(...)` (`tf.estimator.experimental.LinearSDCA`) trains a binary LinearClassifier or a
one-label LinearRegressor by SDCA instead (`linear_optimizer/`), as the real `_sdca_model_fn`: logistic or
squared loss, the bias a dense column of ones, the update of the weights run by a chief hook. There the V1
classes do partition their weights (one part), as the real V1 path did, so the checkpoint holds exactly the
real one's variables: the weights, their `..._unshrunk` copies (V1 `linear/linear/linear_model/<column>/weights/
part_0_unshrunk`, V2 `linear/linear_model/<column>/weights_unshrunk`) and the per-example dual state
`ShardedMutableHashTable-1-of-1-keys/-values`; a run resumes from either engine's checkpoint.
"""
from __future__ import annotations

import contextlib
import math

import tensorflow as tf
from tensorflow.python.util import deprecation
from tensorflow.python.feature_column import feature_column as fc_v1
from tensorflow.python.feature_column import feature_column_v2 as fc_v2
from tensorflow.python.ops import variables

from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.canned.checks import check_feature_columns, check_feature_keys
from iris_lib.estimator.canned.dnn import HIDDEN_EXPORT_SAVEDMODEL
from iris_lib.estimator.canned.head import (KERAS_SUM_OVER_BATCH_SIZE, SUM, BinaryClassHead, RegressionHead,
                                            binary_or_multi_class_head, create_estimator_spec)
from iris_lib.estimator.canned.linear_optimizer.python.utils import sdca_ops
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1

LEARNING_RATE = 0.2
SPARSE_COMBINERS = ("sum", "mean", "sqrtn")


def _sparse_ids(column, builder):
    """A categorical column's (ids, weights) SparseTensors, each flattened to [batch, -1]."""
    sparse = column._get_sparse_tensors(builder)
    ids = tf.sparse.reshape(sparse.id_tensor, [tf.shape(sparse.id_tensor, out_type=tf.int64)[0], -1])
    id_weights = sparse.weight_tensor
    if id_weights is not None:
        id_weights = tf.sparse.reshape(id_weights, [tf.shape(id_weights, out_type=tf.int64)[0], -1])
    return fc_v2.CategoricalColumn.IdWeightPair(ids, id_weights)


def _dense_input(column, builder):
    tensor = column._get_dense_tensor(builder)
    return tf.reshape(tensor, [tf.shape(tensor)[0], column.variable_shape.num_elements()])


def _weighted_sum(weights, column_input, sparse_combiner):
    if isinstance(column_input, fc_v2.CategoricalColumn.IdWeightPair):
        return v1.nn.safe_embedding_lookup_sparse(_as_list(weights), column_input.id_tensor,
                                                  sparse_weights=column_input.weight_tensor,
                                                  combiner=sparse_combiner, name="weighted_sum")
    return tf.matmul(column_input, _as_tensor(weights), name="weighted_sum")


def _as_list(variable):
    """A variable as the list of its parts (one, unless partitioned: LinearSDCA's V1 path)."""
    return list(variable) if isinstance(variable, variables.PartitionedVariable) else [variable]


def _as_tensor(variable):
    parts = _as_list(variable)
    return tf.concat(parts, axis=0) if len(parts) > 1 else tf.convert_to_tensor(parts[0])


def _linear_model(features, units: int, feature_columns, sparse_combiner: str = "sum"):
    """`linear_model/...` in the current variable scope: (logits, [(column, weights, its input)], bias), the
    input a categorical column's IdWeightPair or a dense column's [batch, n] tensor (what SDCA trains on)."""
    columns = sorted(feature_columns, key=lambda column: column.name)
    for column in columns:
        if not isinstance(column, (fc_v2.DenseColumn, fc_v2.CategoricalColumn)):
            raise ValueError(f"Items of feature_columns must be either a DenseColumn or CategoricalColumn. "
                             f"Given: {column}")
    builder = fc_v1._LazyBuilder(features)
    with v1.variable_scope("linear_model"):
        sums, used = [], []
        for column in columns:
            with v1.variable_scope(fc_v2._sanitize_column_name_for_variable_scope(column.name)):
                categorical = isinstance(column, fc_v2.CategoricalColumn)
                rows = column.num_buckets if categorical else column.variable_shape.num_elements()
                weight = v1.get_variable("weights", [rows, units], tf.float32, initializer=v1.zeros_initializer())
                column_input = _sparse_ids(column, builder) if categorical else _dense_input(column, builder)
                used.append((column, weight, column_input))
                sums.append(_weighted_sum(weight, column_input, sparse_combiner))
        bias = v1.get_variable("bias_weights", [units], tf.float32, initializer=v1.zeros_initializer())
        logits = tf.nn.bias_add(tf.math.add_n(sums, name="weighted_sum_no_bias"), _as_tensor(bias),
                                name="weighted_sum")
    if units > 1:
        v1.summary.histogram("bias", _as_tensor(bias))
    else:
        v1.summary.scalar("bias", _as_tensor(bias)[0])
    weights = [_as_tensor(weight) for _, weight, _ in used]
    total = tf.add_n([tf.cast(tf.size(w), tf.float32) for w in weights])
    zeros = tf.add_n([tf.cast(tf.size(w), tf.float32) * tf.math.zero_fraction(w) for w in weights])
    v1.summary.scalar("fraction_of_zero_weights", zeros / total)
    return logits, used, bias


def linear_logits(features, units: int, feature_columns, sparse_combiner: str = "sum"):
    """`linear_model/...` in the current variable scope (the Estimators open `linear`): the logits."""
    return _linear_model(features, units, feature_columns, sparse_combiner)[0]


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


class LinearSDCA:
    """Stochastic Dual Coordinate Ascent for `LinearClassifier` (binary) and `LinearRegressor` (one label):
    `tf.estimator.experimental.LinearSDCA`, given as their `optimizer` (it is not a `tf.train.Optimizer`).

    Each step is one pass of TensorFlow's SDCA kernel over the batch, which keeps a dual variable per example
    under the string id in `features[example_id_column]` (shape [batch_size]): so the ids must name the same
    examples from step to step. It needs V2 feature columns and sparse_combiner="sum". `num_loss_partitions` is
    the number of workers training at once, `num_table_shards` the shards of the per-example table. It
    minimizes (sum_i weight_i * loss_i + l2 * |w|^2 / 2 + l1 * |w|_1) / sum_i weight_i, the bias in w, with l1
    and l2 the `symmetric_*_regularization` (the real class's docstring has the papers)."""

    def __init__(self, example_id_column, num_loss_partitions=1, num_table_shards=None,
                 symmetric_l1_regularization=0.0, symmetric_l2_regularization=1.0, adaptive=False):
        self._example_id_column = example_id_column
        self._num_loss_partitions = num_loss_partitions
        self._num_table_shards = num_table_shards
        self._symmetric_l1_regularization = symmetric_l1_regularization
        self._symmetric_l2_regularization = symmetric_l2_regularization
        self._adaptive = adaptive

    def _prune_and_unique_sparse_ids(self, id_weight_pair):
        """The (example, id, weight) rows of a categorical input, without negative ids (out of vocabulary) and
        with an id repeated in one example counted once, its weights summed."""
        id_tensor = id_weight_pair.id_tensor
        if id_weight_pair.weight_tensor is not None:
            weight_tensor = id_weight_pair.weight_tensor.values
        else:
            weight_tensor = tf.ones([v1.shape(id_tensor.indices)[0]], tf.dtypes.float32)
        example_ids = tf.reshape(id_tensor.indices[:, 0], [-1])
        flat_ids = tf.cast(tf.reshape(id_tensor.values, [-1]), dtype=tf.dtypes.int64)
        is_id_valid = tf.math.greater_equal(flat_ids, 0)
        flat_ids = v1.boolean_mask(flat_ids, is_id_valid)
        example_ids = v1.boolean_mask(example_ids, is_id_valid)
        weight_tensor = v1.boolean_mask(weight_tensor, is_id_valid)
        # (example, id) projected to one number, so that tf.unique finds an id repeated within an example.
        projection_length = tf.math.reduce_max(flat_ids) + 1
        projected_ids = projection_length * example_ids + flat_ids
        ids, idx = tf.unique(projected_ids)
        example_ids_filtered = tf.math.unsorted_segment_min(example_ids, idx, v1.shape(ids)[0])
        reproject_ids = ids - projection_length * example_ids_filtered
        weights = tf.reshape(tf.math.unsorted_segment_sum(weight_tensor, idx, v1.shape(ids)[0]), [-1])
        return sdca_ops._SparseFeatureColumn(example_ids_filtered, reproject_ids, weights)

    def get_train_step(self, state_manager, weight_column_name, loss_type, feature_columns, features, targets,
                       bias_var, global_step):
        """(the `_SDCAModel`, its train op) for the linear model whose weights and column inputs
        `state_manager` holds (`_linear_model` built them; the real one's was the LinearModel's)."""
        batch_size = v1.shape(targets)[0]
        dense_features, dense_feature_weights = [], []
        sparse_feature_with_values, sparse_feature_with_values_weights = [], []
        for column in sorted(feature_columns, key=lambda x: x.name):
            if isinstance(column, fc_v2.CategoricalColumn):
                sparse_feature_with_values.append(self._prune_and_unique_sparse_ids(state_manager.input(column)))
                sparse_feature_with_values_weights.append(state_manager.get_variable(column, "weights"))
            elif isinstance(column, fc_v2.DenseColumn):
                if column.variable_shape.ndims != 1:
                    raise ValueError("Column %s has rank %d, larger than 1." %
                                     (type(column).__name__, column.variable_shape.ndims))
                dense_features.append(state_manager.input(column))
                dense_feature_weights.append(state_manager.get_variable(column, "weights"))
            else:
                raise ValueError("LinearSDCA does not support column type %s." % type(column).__name__)
        dense_features.append(tf.ones([batch_size, 1]))  # the bias, a column of ones
        dense_feature_weights.append(bias_var)
        example_weights = tf.reshape(features[weight_column_name], shape=[-1]) if weight_column_name \
            else tf.ones([batch_size])
        training_examples = dict(
            sparse_features=sparse_feature_with_values, dense_features=dense_features,
            example_labels=v1.to_float(tf.reshape(targets, shape=[-1])), example_weights=example_weights,
            example_ids=features[self._example_id_column])
        training_variables = dict(sparse_features_weights=sparse_feature_with_values_weights,
                                  dense_features_weights=dense_feature_weights)
        sdca_model = sdca_ops._SDCAModel(
            examples=training_examples, variables=training_variables,
            options=dict(symmetric_l1_regularization=self._symmetric_l1_regularization,
                         symmetric_l2_regularization=self._symmetric_l2_regularization, adaptive=self._adaptive,
                         num_loss_partitions=self._num_loss_partitions, num_table_shards=self._num_table_shards,
                         loss_type=loss_type))
        return sdca_model, sdca_model.minimize(global_step=global_step)


class _LinearModelState:
    """What `LinearSDCA.get_train_step` asks of the linear model: a column's weights (`get_variable(column,
    "weights")`, as the real state manager) and its input as the model read it (ids or a dense tensor)."""

    def __init__(self, columns):
        self._by_name = {column.name: (weights, column_input) for column, weights, column_input in columns}

    def get_variable(self, feature_column, name):
        if name != "weights":
            raise ValueError(f"The linear model has only weights, not {name!r}")
        return self._by_name[feature_column.name][0]

    def input(self, feature_column):
        return self._by_name[feature_column.name][1]


class _SDCAUpdateWeightsHook(SessionRunHook):
    """Runs the SDCA model's `update_weights` with every step: the unshrunk weights copied to the model's."""

    def __init__(self, sdca_model, train_op):
        self._sdca_model = sdca_model
        self._train_op = train_op

    def begin(self):
        self._update_op = self._sdca_model.update_weights(self._train_op)

    def before_run(self, run_context):
        return SessionRunArgs(self._update_op)


def _sdca_model_fn(features, labels, mode, head, feature_columns, optimizer: LinearSDCA, partitioned: bool):
    """The SDCA branch of the real `_linear_model_fn` (V1: `partitioned`, its weights one-part partitioned
    variables in the `linear` scope, as the real V1 partitioner made them, so their unshrunk copies are
    `linear/linear/linear_model/<column>/weights/part_0_unshrunk`) and `_linear_model_fn_v2` (the copies are
    `linear/linear_model/<column>/weights_unshrunk`)."""
    if isinstance(head, BinaryClassHead):
        loss_type = "logistic_loss"
    elif isinstance(head, RegressionHead):
        assert head.logits_dimension == 1
        loss_type = "squared_loss"
    else:
        raise ValueError("Unsupported head type: {}".format(head))
    partitioner = v1.fixed_size_partitioner(1) if partitioned else None
    with v1.variable_scope("linear", values=tuple(features.values()), partitioner=partitioner) as scope:
        logits, columns, bias = _linear_model(features, 1, feature_columns, "sum")
    if mode != ModeKeys.TRAIN:
        return head.create_estimator_spec(features, mode, logits, labels=labels)
    with v1.name_scope(scope.original_name_scope) if partitioned else contextlib.nullcontext():
        sdca_model, train_op = optimizer.get_train_step(_LinearModelState(columns), head._weight_column, loss_type,
                                                        feature_columns, features, labels, bias,
                                                        v1.train.get_global_step())
    spec = head.create_estimator_spec(features, mode, logits, labels=labels,
                                      train_op_fn=lambda unused_loss: train_op)
    return spec._replace(training_chief_hooks=tuple(spec.training_chief_hooks) +
                         (_SDCAUpdateWeightsHook(sdca_model, train_op),))


def _check_sdca(optimizer, feature_columns, sparse_combiner, learning_rate) -> bool:
    """The real constructors' checks when optimizer is a LinearSDCA (the real messages); True if it is."""
    if not isinstance(optimizer, LinearSDCA):
        return False
    if learning_rate is not None:
        raise ValueError(f"learning_rate={learning_rate!r} does not apply to LinearSDCA (it has no learning rate; "
                         "its step is set by symmetric_l2_regularization): leave learning_rate=None")
    if sparse_combiner != "sum":
        raise ValueError('sparse_combiner must be "sum" when optimizer is a LinearSDCA object.')
    if not fc_v2.is_feature_column_v2(feature_columns):
        raise ValueError("V2 feature columns required when optimizer is a LinearSDCA object.")
    return True


def make_linear_model_fn(head, optimizer_fn, settings: dict, sparse_combiner: str = "sum"):
    """The model_fn(features, labels, mode, config) of a linear Estimator, its settings in this closure."""

    def _model_fn(features, labels, mode, config):
        columns = settings["feature_columns"]
        check_feature_keys(features, columns)
        if isinstance(settings["optimizer"], LinearSDCA):
            return _sdca_model_fn(features, labels, mode, head, columns, settings["optimizer"],
                                  partitioned=settings["sdca_partitioned"])
        with v1.variable_scope("linear", values=tuple(features.values())):
            logits = linear_logits(features, head.logits_dimension, columns, sparse_combiner)
            if optimizer_fn is _v1_optimizer:  # the real V1 model_fn made its train op in `linear`: `linear/head/...`
                optimizer = optimizer_fn(settings) if mode == ModeKeys.TRAIN else None
                spec = create_estimator_spec(head, features, mode, logits, labels, optimizer)
                optimizers.save_slots_as_one_part(optimizer, v1.trainable_variables(), "part_0")
                return spec
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

    _sdca_partitioned = True  # the real V1 path partitions the weights (one part)
    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=SUM, sparse_combiner="sum", learning_rate=None):
        if partitioner is not None:
            raise NotImplementedError("LinearClassifier: iris_lib does not partition variables; leave partitioner=None")
        sdca = _check_sdca(optimizer, feature_columns, sparse_combiner, learning_rate)
        if sdca and n_classes > 2:
            raise ValueError("LinearSDCA cannot be used in a multi-class setting.")
        settings = _linear_settings(feature_columns, optimizer, learning_rate, sparse_combiner, n_classes=n_classes,
                                    sdca_partitioned=self._sdca_partitioned)
        head = binary_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                          loss_reduction, type(self).__name__, keras_reduction=self._keras_reduction)
        if not sdca and not callable(optimizer):  # a bad name or object fails now, not at the first train()
            self._optimizer_fn(settings)
        super().__init__(make_linear_model_fn(head, self._optimizer_fn, settings, sparse_combiner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class LinearClassifierV2(LinearClassifier):
    """TF2's `tf.estimator.LinearClassifier`: the loss averaged over the batch."""

    _sdca_partitioned = False  # plain variables, as the real V2 LinearModel
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

    _sdca_partitioned = True  # the real V1 path partitions the weights (one part)
    _optimizer_fn = staticmethod(_v1_optimizer)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None, loss_reduction=SUM,
                 sparse_combiner="sum", learning_rate=None):
        if partitioner is not None:
            raise NotImplementedError("LinearRegressor: iris_lib does not partition variables; leave partitioner=None")
        sdca = _check_sdca(optimizer, feature_columns, sparse_combiner, learning_rate)
        if sdca and label_dimension > 1:
            raise ValueError("LinearSDCA can only be used with one-dimensional label.")
        settings = _linear_settings(feature_columns, optimizer, learning_rate, sparse_combiner,
                                    label_dimension=label_dimension, sdca_partitioned=self._sdca_partitioned)
        head = RegressionHead(label_dimension, weight_column, loss_reduction, keras_reduction=self._keras_reduction)
        if not sdca and not callable(optimizer):
            self._optimizer_fn(settings)
        super().__init__(make_linear_model_fn(head, self._optimizer_fn, settings, sparse_combiner),
                         model_dir=model_dir, **_estimator_kwargs(config, warm_start_from))


class LinearRegressorV2(LinearRegressor):
    """TF2's `tf.estimator.LinearRegressor`: the loss averaged over the batch."""

    _sdca_partitioned = False  # plain variables, as the real V2 LinearModel
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
        if isinstance(optimizer, LinearSDCA):
            raise NotImplementedError("LinearEstimator: iris_lib trains with LinearSDCA only in LinearClassifier "
                                      "(binary) and LinearRegressor (one label); use one of those")
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
