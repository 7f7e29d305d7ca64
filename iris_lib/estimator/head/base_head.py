"""The `Head` interface and the helpers every head shares, as the real `head/base_head.py`.

A head turns logits into predictions, a loss, metrics and a train_op, so a custom model_fn ends with
`return head.create_estimator_spec(features, mode, logits, labels, optimizer=..., trainable_variables=...)`.
These are TF2's public heads (`tf.estimator.MultiClassHead`...): the loss averaged over the batch
(`SUM_OVER_BATCH_SIZE`), the same op scopes, prediction keys, metric keys and export signatures.

Built for graph mode (`tf.compat.v1`), where the Estimator runs a model_fn. Two things cannot be as the real
ones under Keras 3: `metrics()` returns graph metrics (`head_metrics.py`) in place of tf_keras metric objects,
and `optimizer=` takes a `tf.compat.v1.train` optimizer (as the V2 canned Estimators here do), because a
Keras 3 optimizer cannot run in a tf.compat.v1 graph; a `tf.keras.optimizers.legacy` one (iris_lib's, after
the shim) runs as the real head ran a Keras 2 one.
"""
from __future__ import annotations

import abc
import inspect

import tensorflow as tf

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec

v1 = tf.compat.v1

DEFAULT_SERVING_KEY = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY
CLASSIFY_SERVING_KEY = "classification"
REGRESS_SERVING_KEY = "regression"
PREDICT_SERVING_KEY = "predict"

# TF2's `tf.losses.Reduction` (the Keras one): the real heads take these, not tf.compat.v1.losses.Reduction.
SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
_REDUCTIONS = ("auto", "sum", SUM_OVER_BATCH_SIZE)


class Head(abc.ABC):
    """The top of a model: logits in; predictions, loss, metrics and an EstimatorSpec out.

    Subclass it and implement `name`, `logits_dimension`, `loss_reduction`, `loss`, `predictions`, `metrics`,
    `update_metrics` and `create_estimator_spec`, as with the real `tf.estimator.Head`.
    """

    @property
    @abc.abstractmethod
    def name(self):
        """The head's name: metric and summary keys end in `/name`."""

    @property
    @abc.abstractmethod
    def logits_dimension(self):
        """The size of the logits' last dimension."""

    @property
    @abc.abstractmethod
    def loss_reduction(self):
        """One of `tf.losses.Reduction`: how the training loss is reduced over the batch."""

    @abc.abstractmethod
    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The regularized training loss, a scalar."""

    @abc.abstractmethod
    def predictions(self, logits, keys=None):
        """A dict of prediction tensors (all of them, or those in `keys`)."""

    @abc.abstractmethod
    def metrics(self, regularization_losses=None):
        """A dict of new metrics, keyed by metric name."""

    @abc.abstractmethod
    def update_metrics(self, eval_metrics, features, logits, labels, mode=None, regularization_losses=None):
        """Updates `eval_metrics` with one batch and returns them."""

    def _summary_key(self, key):
        return f"{key}/{self.name}" if self.name else key

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None) -> EstimatorSpec:
        """The EstimatorSpec for `mode`; a subclass that does not override this has no spec to give."""
        raise NotImplementedError("Subclasses of Head must implement `create_estimator_spec()`.")


def create_estimator_spec(head, features, mode, logits, labels, optimizer, trainable_variables, train_op_fn,
                          update_ops, regularization_losses, export_outputs) -> EstimatorSpec:
    """What every head's `create_estimator_spec` does; `export_outputs(predictions)` gives its signatures."""
    with v1.name_scope(head.name, "head"):
        predictions = head.predictions(logits)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(ModeKeys.PREDICT, predictions=predictions, export_outputs=export_outputs(predictions))
        loss = head.loss(labels, logits, features=features, mode=mode, regularization_losses=regularization_losses)
        if mode == ModeKeys.EVAL:
            eval_metrics = head.update_metrics(head.metrics(regularization_losses=regularization_losses), features,
                                               logits, labels, regularization_losses=regularization_losses)
            return EstimatorSpec(ModeKeys.EVAL, predictions=predictions, loss=loss,
                                 eval_metric_ops={key: metric.as_op_pair() for key, metric in eval_metrics.items()})
        train_op = create_estimator_spec_train_op(head.name, optimizer=optimizer,
                                                  trainable_variables=trainable_variables, train_op_fn=train_op_fn,
                                                  update_ops=update_ops, regularized_training_loss=loss,
                                                  loss_reduction=head.loss_reduction)
    create_estimator_spec_summary(loss, regularization_losses, head._summary_key)
    return EstimatorSpec(ModeKeys.TRAIN, predictions=predictions, loss=loss, train_op=train_op)


# ----- checks of the arguments ---------------------------------------------------------------------------------

_LABEL_NONE_ERR_MSG = (
    "You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: Check that your data contains "
    "your label feature. Check that your input_fn properly parses and returns labels.")
_SPARSE_LABEL_ERR_MSG = (
    "SparseTensor labels are not supported. Labels must be a Tensor of shape [D0, D1, ..., DN, {0}], e.g. "
    "[batch_size, {0}]. Suggested Fix (1): Check the label feature in your data. Each example must contain {0} "
    "value(s). If not, your choice of label was probably incorrect. Suggested Fix (2): In your input_fn, use "
    "tf.sparse.to_dense() to turn labels into a Tensor.")
_MISMATCHED_LABEL_DIM_ERR_MSG = (
    "Mismatched label shape. Expected labels dimension={}.  Received {}. Suggested Fix: If your classifier expects "
    "one-hot encoding label, check your n_classes argument to the estimator and/or the shape of your label. "
    "Otherwise, check the shape of your label.")
_LABEL_SHAPE_ERR_MSG = ("labels shape must be [D0, D1, ... DN, {}]. Suggested Fix: check your n_classes argument "
                        "to the head and/or the shape of your label.")
_VALIDATION_ERROR_MSG = "{} should be a list or a tuple. Given type: {}."


def check_dense_labels_match_logits_and_reshape(labels, logits, expected_labels_dimension):
    """Labels as [D0, ... DN, expected_labels_dimension] (a missing last dimension of 1 is added)."""
    if labels is None:
        raise ValueError(_LABEL_NONE_ERR_MSG)
    with v1.name_scope("labels", values=(labels, logits)) as scope:
        labels = v1.convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, tf.SparseTensor):
            raise ValueError(_SPARSE_LABEL_ERR_MSG.format(expected_labels_dimension))
        if labels.shape.ndims is not None and logits.shape.ndims is not None and \
                labels.shape.ndims == logits.shape.ndims - 1:
            labels = tf.expand_dims(labels, -1)
        assert_rank = v1.debugging.assert_rank_at_least(
            labels, 2, message=_LABEL_SHAPE_ERR_MSG.format(expected_labels_dimension))
        with tf.control_dependencies([assert_rank]):
            if labels.shape.ndims is not None:
                final_dim = labels.shape[-1]
                if final_dim is not None and final_dim != expected_labels_dimension:
                    raise ValueError(_MISMATCHED_LABEL_DIM_ERR_MSG.format(expected_labels_dimension, final_dim))
            expected_labels_shape = tf.concat([tf.shape(logits)[:-1], [expected_labels_dimension]], axis=0)
            labels_shape = tf.shape(labels)
            assert_dimension = v1.debugging.assert_equal(
                expected_labels_shape, labels_shape, message=_LABEL_SHAPE_ERR_MSG.format(expected_labels_dimension),
                data=["expected_labels_shape: ", expected_labels_shape, "labels_shape: ", labels_shape])
            with tf.control_dependencies([assert_dimension]):
                return tf.identity(labels, name=scope)


def get_weights_and_check_match_logits(features, weight_column, logits, allow_per_logit_weights=False):
    """The example weights from `features` as [D0, ... DN, 1] (or per logit), or 1. without a weight column."""
    if allow_per_logit_weights:
        err_msg = "weights shape must be [D0, D1, ... DN], [D0, D1, ... DN, 1] or [D0, D1, ... DN, logits_dimension]"
    else:
        err_msg = "weights shape must be [D0, D1, ... DN] or [D0, D1, ... DN, 1]"
    if weight_column is None:
        return 1.
    with v1.name_scope("weights", values=tuple((features or {}).values()) + (logits,)) as scope:
        if not isinstance(weight_column, str) and not hasattr(weight_column, "key"):
            raise TypeError("Weight column must be either a string or NumericColumn. "
                            f"Given type: {type(weight_column)}.")
        key = weight_column if isinstance(weight_column, str) else weight_column.key
        if not isinstance(features, dict) or key not in features:
            raise ValueError(f"The weight column {key!r} is not among the features "
                             f"({sorted(features) if isinstance(features, dict) else type(features).__name__}): "
                             "return it from your input_fn with the other features.")
        weights = tf.convert_to_tensor(features[key])
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(f"Weight column should be castable to float. Given dtype: {weights.dtype}")
        weights = tf.cast(weights, tf.float32, name="weights")
        normalizer = getattr(weight_column, "normalizer_fn", None)
        if normalizer is not None:
            weights = normalizer(weights)
        weights_shape, logits_shape = tf.shape(weights, name="weights_shape"), tf.shape(logits, name="logits_shape")
        if weights.shape.ndims is not None and logits.shape.ndims is not None and \
                weights.shape.ndims == logits.shape.ndims - 1:
            assert_dimension = v1.debugging.assert_equal(
                logits_shape[:-1], weights_shape, message=err_msg,
                data=["logits_shape: ", logits_shape, "weights_shape: ", weights_shape])
            with tf.control_dependencies([assert_dimension]):
                return tf.expand_dims(weights, -1, name=scope)
        supported_weights_shape = tf.concat([logits_shape[:-1], [1]], axis=0)
        condition = tf.reduce_all(tf.equal(supported_weights_shape, weights_shape))
        if allow_per_logit_weights:
            condition = tf.logical_or(condition, tf.reduce_all(tf.equal(logits_shape, weights_shape)))
        assert_dimension = tf.debugging.Assert(
            condition, [err_msg, "logits_shape: ", logits_shape, "weights_shape: ", weights_shape])
        with tf.control_dependencies([assert_dimension]):
            return tf.identity(weights, name=scope)


def check_logits_final_dim(logits, expected_logits_dimension):
    """Logits as float32 [D0, ... DN, expected_logits_dimension]; a wrong static shape fails now."""
    with v1.name_scope("logits", values=(logits,)) as scope:
        logits = tf.cast(logits, tf.float32)
        logits_shape = tf.shape(logits)
        assert_rank = v1.debugging.assert_rank_at_least(
            logits, 2, data=[logits_shape], message="logits shape must be [D0, D1, ... DN, logits_dimension]")
        with tf.control_dependencies([assert_rank]):
            static_shape = logits.shape
            if static_shape.ndims is not None and static_shape[-1] is not None:
                if isinstance(expected_logits_dimension, int) and static_shape[-1] != expected_logits_dimension:
                    raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension], got {static_shape}.")
                return logits
            assert_dimension = v1.debugging.assert_equal(
                expected_logits_dimension, logits_shape[-1], data=[logits_shape],
                message="logits shape must be [D0, D1, ... DN, logits_dimension]")
            with tf.control_dependencies([assert_dimension]):
                return tf.identity(logits, name=scope)


def validate_loss_fn_args(loss_fn):
    """A loss_fn takes `labels` and `logits`, and optionally `features` and `loss_reduction`."""
    args = _fn_args(loss_fn)
    for required in ("labels", "logits"):
        if required not in args:
            raise ValueError(f"loss_fn must contain argument: {required}. Given arguments: {args}")
    invalid = sorted(set(args) - {"labels", "logits", "features", "loss_reduction"})
    if invalid:
        raise ValueError(f"loss_fn has unexpected args: {invalid}")


def _fn_args(fn) -> tuple:
    return tuple(name for name, p in inspect.signature(fn).parameters.items()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def validate_loss_reduction(loss_reduction):
    if loss_reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}. See `tf.losses.Reduction` for valid options "
                         f"({', '.join(_REDUCTIONS)}; not NONE, nor a tf.compat.v1.losses.Reduction).")


def validate_update_ops(update_ops=None):
    if update_ops is not None and not isinstance(update_ops, (list, tuple)):
        raise ValueError(_VALIDATION_ERROR_MSG.format("update_ops", type(update_ops)))


def validate_v1_optimizer(optimizer):
    """Where the real head wanted a tf_keras optimizer: Keras 3 optimizers cannot run in a tf.compat.v1 graph."""
    if not isinstance(optimizer, v1.train.Optimizer) and not _is_keras_legacy(optimizer):
        raise ValueError(
            f"The given optimizer is not a tf.compat.v1.train.Optimizer instance. Received optimizer of type "
            f"{type(optimizer)}. Keras 3 optimizers cannot run in the Estimator's tf.compat.v1 graph: pass e.g. "
            "tf.compat.v1.train.AdagradOptimizer(0.1), a tf.keras.optimizers.legacy one (after "
            "`import iris_lib.estimator_shim`), or a train_op_fn.")


def _is_keras_legacy(optimizer) -> bool:
    from iris_lib.estimator import keras_legacy_optimizers  # here: it imports the canned package, which imports us
    return isinstance(optimizer, keras_legacy_optimizers.Optimizer)


def validate_trainable_variables(trainable_variables=None):
    if trainable_variables is None:
        raise ValueError(f"trainable_variables cannot be None. Given {trainable_variables}; pass e.g. "
                         "tf.compat.v1.trainable_variables().")
    if not isinstance(trainable_variables, (list, tuple)):
        raise ValueError(_VALIDATION_ERROR_MSG.format("trainable_variables", type(trainable_variables)))


def validate_n_classes(n_classes):
    if isinstance(n_classes, int) and n_classes <= 2:
        raise ValueError(f"n_classes must be > 2: {n_classes}.")
    return n_classes


def call_loss_fn(loss_fn, labels, logits, features, expected_loss_dim=1):
    """`loss_fn(labels=, logits=[, features=])`, checked to return [D0, ... DN, expected_loss_dim]."""
    kwargs = {"features": features} if "features" in _fn_args(loss_fn) else {}
    with v1.name_scope("call_loss_fn", values=[labels, logits] + list((features or {}).values())):
        unweighted_loss = loss_fn(labels=labels, logits=logits, **kwargs)
        logits_shape = tf.shape(logits, name="logits_shape")
        expected_loss_shape = tf.concat([logits_shape[:-1], [expected_loss_dim]], axis=0, name="expected_loss_shape")
        loss_shape = tf.shape(unweighted_loss, name="loss_shape")
        check_loss_shape_op = tf.debugging.Assert(
            tf.reduce_all(tf.equal(loss_shape, expected_loss_shape)),
            data=[f"loss_fn must return Tensor of shape [D0, D1, ... DN, {expected_loss_dim}]. ",
                  "logits_shape: ", logits_shape, "loss_shape: ", loss_shape],
            name="check_loss_shape")
        with tf.control_dependencies([check_loss_shape_op]):
            return tf.identity(unweighted_loss)


def check_prediction_keys(pred_keys, valid_keys):
    for key in pred_keys:
        if key not in valid_keys:
            raise ValueError(f"Prediction key must be in PredictionKeys, given: {key}."
                             f"Valid prediction keys include {valid_keys}.")


# ----- pieces of predictions, losses and metrics -----------------------------------------------------------------

def all_class_ids(logits, n_classes):
    return tf.tile(tf.expand_dims(tf.range(n_classes), 0), [tf.shape(logits)[0], 1])


def all_classes(logits, n_classes, label_vocabulary=None):
    if label_vocabulary:
        classes_list = tf.convert_to_tensor([label_vocabulary])
    else:
        classes_list = tf.strings.as_string(tf.expand_dims(tf.range(n_classes), axis=0))
    return tf.tile(classes_list, [tf.shape(logits)[0], 1])


def classification_output(scores, n_classes, label_vocabulary=None):
    """A classify signature's output: the scores and every class name (strings, as ClassificationOutput needs)."""
    return export_output.ClassificationOutput(scores=scores,
                                              classes=all_classes(scores, n_classes, label_vocabulary))


def check_label_range(labels, n_classes, message=None):
    """Labels in [0, n_classes), checked when the graph runs."""
    with v1.name_scope("check_label_range", values=(labels,)):
        assert_less = v1.debugging.assert_less_equal(
            labels, tf.convert_to_tensor(n_classes - 1, dtype=labels.dtype),
            message=message or "Labels must be <= n_classes - 1")
        assert_greater = v1.debugging.assert_non_negative(labels, message=message or "Labels must be >= 0")
        with tf.control_dependencies((assert_less, assert_greater)):
            return tf.identity(labels)


def compute_weighted_loss(unweighted_loss, weights, loss_reduction):
    """Keras's reduction, which the real heads used: SUM, or the weighted sum over the number of losses."""
    with v1.name_scope("weighted_loss"):
        weighted = tf.cast(unweighted_loss, tf.float32) * tf.cast(weights, tf.float32)
        total = tf.reduce_sum(weighted)
        if loss_reduction == "sum":
            return total
        return tf.math.divide_no_nan(total, tf.cast(tf.size(weighted), tf.float32), name="value")


def single_head_loss(head, labels, logits, features, regularization_losses):
    """`Head.loss` of every single (not Multi) head, the same steps in each real head: check the logits,
    process the labels, weigh the per-example losses, reduce and regularize. Each head supplies
    `_processed_labels` and `_unweighted_loss_and_weights`."""
    with v1.name_scope("losses", values=(logits, labels, regularization_losses, features)):
        logits = check_logits_final_dim(logits, head.logits_dimension)
        labels = head._processed_labels(logits, labels)
        unweighted_loss, weights = head._unweighted_loss_and_weights(logits, labels, features)
        training_loss = compute_weighted_loss(unweighted_loss, weights, head.loss_reduction)
        return regularized_loss(training_loss, regularization_losses)


def regularized_loss(training_loss, regularization_losses):
    if regularization_losses is None:
        return training_loss
    return training_loss + tf.math.add_n(regularization_losses)


def update_metric_with_broadcast_weights(eval_metric, values, weights):
    values = tf.cast(values, tf.float32)
    if weights is not None:
        weights = tf.compat.v2.__internal__.ops.broadcast_weights(weights, values)
    eval_metric.update_state(values=values, sample_weight=weights)


# ----- the train_op and the summaries --------------------------------------------------------------------------

def create_estimator_spec_train_op(head_name, optimizer=None, trainable_variables=None, train_op_fn=None,
                                   update_ops=None, regularized_training_loss=None,
                                   loss_reduction=SUM_OVER_BATCH_SIZE):
    """The train_op, in the scope `training` as the real one: from `optimizer` or from `train_op_fn`.

    A tf.compat.v1 optimizer steps the global step itself (`minimize(global_step=)`). A Keras legacy one gives
    `optimizer.get_updates(loss, trainable_variables)[0]`, as the real head did: it steps the global step only
    if the program set `optimizer.iterations` to it (the real canned Estimators did).
    """
    del head_name, loss_reduction  # one replica: nothing to scale
    validate_update_ops(update_ops)
    with v1.name_scope(""):
        with v1.name_scope("training"):
            if optimizer is not None:
                if train_op_fn is not None:
                    raise ValueError("train_op_fn and optimizer cannot both be set.")
                validate_v1_optimizer(optimizer)
                validate_trainable_variables(trainable_variables)
                if _is_keras_legacy(optimizer):
                    train_op = optimizer.get_updates(regularized_training_loss, trainable_variables)[0]
                else:
                    train_op = optimizer.minimize(regularized_training_loss, var_list=list(trainable_variables),
                                                  global_step=v1.train.get_global_step())
            elif train_op_fn is not None:
                train_op = train_op_fn(regularized_training_loss)
            else:
                raise ValueError("train_op_fn and optimizer cannot both be None.")
            if update_ops is not None:
                train_op = tf.group(train_op, *update_ops)
            return train_op


def create_estimator_spec_summary(regularized_training_loss, regularization_losses=None, summary_key_fn=None):
    with v1.name_scope(""):
        key = summary_key_fn or (lambda k: k)
        v1.summary.scalar(key(MetricKeys.LOSS), regularized_training_loss)
        if regularization_losses is not None:
            v1.summary.scalar(key(MetricKeys.LOSS_REGULARIZATION), tf.math.add_n(regularization_losses))
