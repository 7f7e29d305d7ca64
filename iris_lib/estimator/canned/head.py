"""Heads: what turns logits into predictions, loss, metrics and a train_op, as the real V1 heads did.

Mirrors `tensorflow_estimator/python/estimator/canned/head.py` (the V1 heads behind
`tf.compat.v1.estimator.DNNClassifier` and friends): the same prediction keys, metric keys, label
checks and loss (per-example loss reduced by `loss_reduction`, SUM in V1; the V2 classes pass TF2's
Keras names, `keras_reduction=True`: "sum_over_batch_size" (their default) or "auto" average over the batch
as tf.compat.v1's SUM_OVER_BATCH_SIZE does, "sum" sums as its SUM does), and the same `export_outputs` in
PREDICT mode, so `export_saved_model` writes the real signatures (V1 `head.py` and V2 `head/*_head.py` build the same ones): a classifier's
`serving_default` and `classification` classify (probabilities as scores, every class name as classes;
a binary one adds `regression` with the logistic), a regressor's `serving_default` and `regression`
regress, and `predict` returns every prediction key. A classifier refuses float labels, as the real
one did: casting 2.9 to a class id would silently train on class 2.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec
from iris_lib.estimator.canned.metric_keys import MetricKeys as keys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys as pred
from iris_lib.estimator.export import export_output

DEFAULT_SERVING_KEY = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY
CLASSIFY_SERVING_KEY = "classification"
REGRESS_SERVING_KEY = "regression"
PREDICT_SERVING_KEY = "predict"

v1 = tf.compat.v1
SUM = v1.losses.Reduction.SUM
SUM_OVER_BATCH_SIZE = v1.losses.Reduction.SUM_OVER_BATCH_SIZE
# TF2's `tf.losses.Reduction` (Keras's) names, which the V2 canned Estimators took, and the tf.compat.v1
# reduction doing their arithmetic (Keras's compute_weighted_loss turns "auto" into "sum_over_batch_size").
KERAS_SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
KERAS_REDUCTIONS = {"auto": SUM_OVER_BATCH_SIZE, "sum": SUM, KERAS_SUM_OVER_BATCH_SIZE: SUM_OVER_BATCH_SIZE}


def check_loss_reduction(loss_reduction) -> None:
    """The V1 check: one of tf.compat.v1.losses.Reduction except NONE (the real V1 message, then advice)."""
    if loss_reduction not in v1.losses.Reduction.all() or loss_reduction == v1.losses.Reduction.NONE:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}; tf.compat.v1.estimator's canned Estimators "
                         "take one of tf.compat.v1.losses.Reduction except NONE, e.g. SUM (their default) or "
                         "SUM_OVER_BATCH_SIZE")


def check_keras_loss_reduction(loss_reduction) -> None:
    """The V2 check, as the real V2 heads made it: one of TF2's `tf.losses.Reduction` except NONE."""
    if not isinstance(loss_reduction, str) or loss_reduction not in KERAS_REDUCTIONS:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}. See `tf.losses.Reduction` for valid options "
                         f"({', '.join(KERAS_REDUCTIONS)}; not NONE, nor a tf.compat.v1.losses.Reduction).")


class _Head:
    """Shared by the heads: labels and weights in, EstimatorSpec out."""

    logits_dimension = 1

    def __init__(self, weight_column=None, loss_reduction=SUM, name=None, keras_reduction=False):
        if keras_reduction:  # a V2 class's: TF2's names, done by the tf.compat.v1 reduction of the same arithmetic
            check_keras_loss_reduction(loss_reduction)
            self._reduction = KERAS_REDUCTIONS[loss_reduction]
        else:
            check_loss_reduction(loss_reduction)
            self._reduction = loss_reduction
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self.name = name

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, train_op_fn=None,
                              regularization_losses=None, trainable_variables=None) -> EstimatorSpec:
        """`trainable_variables`: what `optimizer` updates, all the trainable variables if None."""
        with tf.name_scope(self.name or "head"):
            logits = self._check_logits(logits)
            with tf.name_scope("predictions"):
                predictions = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode, predictions=predictions, export_outputs=self._export_outputs(predictions))
            labels = self._labels(labels, logits)
            unreduced_loss, processed_labels = self._unreduced_loss(labels, logits)
            weights = self._weights(features, logits)
            training_loss = v1.losses.compute_weighted_loss(unreduced_loss, weights=weights,
                                                            reduction=self._reduction)
            regularization_loss = tf.math.add_n(regularization_losses) if regularization_losses else None
            loss = training_loss if regularization_loss is None else tf.math.add_n([training_loss,
                                                                                   regularization_loss])
            if mode == ModeKeys.EVAL:
                with tf.name_scope("metrics"):
                    metrics = self._metrics(processed_labels, logits, predictions, weights, unreduced_loss)
                    if regularization_loss is not None:
                        metrics[self._key(keys.LOSS_REGULARIZATION)] = v1.metrics.mean(
                            regularization_loss, name=keys.LOSS_REGULARIZATION)
                return EstimatorSpec(mode, predictions=predictions, loss=loss, eval_metric_ops=metrics)
            if optimizer is not None and train_op_fn is not None:
                raise ValueError("train_op_fn and optimizer cannot both be set.")
            if optimizer is not None:
                train_op = optimizer.minimize(loss, global_step=v1.train.get_global_step(),
                                              var_list=trainable_variables)
            elif train_op_fn is not None:
                train_op = train_op_fn(loss)
            else:
                raise ValueError("train_op_fn and optimizer cannot both be None.")
            update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            if update_ops:  # batch norm's moving averages, as the real head appended them
                train_op = tf.group(train_op, *update_ops)
            mean_loss = None
            if self._loss_reduction == SUM:  # V1's SUM only: the real V2 heads wrote no loss/mean summary
                mean_loss = training_loss / tf.reduce_sum(weights * tf.ones_like(unreduced_loss))
        with tf.name_scope(""):
            v1.summary.scalar(self._key(keys.LOSS), loss)
            if mean_loss is not None:
                v1.summary.scalar(self._key(keys.LOSS_MEAN), mean_loss)
            if regularization_loss is not None:
                v1.summary.scalar(self._key(keys.LOSS_REGULARIZATION), regularization_loss)
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op)

    # ----- pieces -------------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return f"{key}/{self.name}" if self.name else key

    def _check_logits(self, logits):
        logits = tf.convert_to_tensor(logits)
        last = logits.shape[-1] if logits.shape.rank else None
        if last is not None and last != self.logits_dimension:
            raise ValueError(f"logits shape must be [D0, D1, ... DN, {self.logits_dimension}], got {logits.shape}")
        return logits

    def _labels(self, labels, logits):
        if labels is None:
            raise ValueError(
                "You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: Check that your "
                "data contain your label feature. Check that your input_fn properly parses and returns labels.")
        if isinstance(labels, dict):
            raise ValueError(f"labels must be one Tensor, got a dict with keys {sorted(labels)}: a canned "
                             "Estimator has one head, so return (features, label_tensor) from the input_fn")
        labels = v1.convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, tf.SparseTensor):
            raise ValueError("SparseTensor labels are not supported: in your input_fn, use "
                             "tf.sparse.to_dense() to turn labels into a Tensor.")
        expected = self._labels_dimension()
        if labels.shape.rank is not None and logits.shape.rank is not None and \
                labels.shape.rank == logits.shape.rank - 1:
            labels = tf.expand_dims(labels, -1)
        if labels.shape.rank is not None and labels.shape[-1] is not None and labels.shape[-1] != expected:
            raise ValueError(f"Mismatched label shape. Expected labels dimension={expected}. Received "
                             f"{labels.shape[-1]}. Suggested Fix: If your classifier expects one-hot encoding "
                             "label, check your n_classes argument to the estimator and/or the shape of your label. "
                             "Otherwise, check the shape of your label.")
        return labels

    def _labels_dimension(self) -> int:
        return 1

    def _weights(self, features, logits):
        if self._weight_column is None:
            return 1.0
        key = self._weight_column if isinstance(self._weight_column, str) else self._weight_column.key
        if not isinstance(features, dict) or key not in features:
            raise ValueError(f"weight_column {key!r} is not among the features "
                             f"{sorted(features) if isinstance(features, dict) else type(features).__name__}")
        weights = tf.cast(features[key], tf.float32)
        normalizer = getattr(self._weight_column, "normalizer_fn", None)
        if normalizer is not None:
            weights = normalizer(weights)
        if weights.shape.rank == logits.shape.rank - 1:
            weights = tf.expand_dims(weights, -1)
        return weights

    def _predictions(self, logits):
        raise NotImplementedError

    def _export_outputs(self, predictions) -> dict:
        raise NotImplementedError

    def _unreduced_loss(self, labels, logits):
        raise NotImplementedError

    def _metrics(self, labels, logits, predictions, weights, unreduced_loss) -> dict:
        raise NotImplementedError


def _assert_range(labels, n_classes: int):
    with tf.name_scope("assert_range"):
        below = v1.debugging.assert_less_equal(labels, tf.cast(n_classes - 1, labels.dtype),
                                               message=f"Labels must <= n_classes - 1 ({n_classes - 1})")
        above = v1.debugging.assert_non_negative(labels, message="Labels must >= 0")
        with tf.control_dependencies([below, above]):
            return tf.identity(labels)


def _all_class_ids(logits, n_classes: int):
    return tf.tile(tf.expand_dims(tf.range(n_classes), 0), [tf.shape(logits)[0], 1])


def _all_classes(logits, n_classes: int, label_vocabulary=None):
    classes = label_vocabulary if label_vocabulary else tf.strings.as_string(tf.range(n_classes))
    return tf.tile(tf.expand_dims(classes, 0), [tf.shape(logits)[0], 1])


def _classification_output(scores, n_classes: int, label_vocabulary=None):
    """What a classify signature returns: the scores and, per row, every class name (strings, as it needs)."""
    return export_output.ClassificationOutput(scores=scores,
                                              classes=_all_classes(scores, n_classes, label_vocabulary))


def _classes(class_ids, label_vocabulary):
    if label_vocabulary:
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.range(len(label_vocabulary), dtype=tf.int64),
                                                tf.constant(list(label_vocabulary))), default_value="UNK")
        return table.lookup(class_ids)
    return tf.strings.as_string(class_ids, name="str_classes")


def _label_ids(labels, label_vocabulary, estimator: str):
    if label_vocabulary is None:
        if not labels.dtype.is_integer:
            raise ValueError(
                f"Labels dtype should be integer. Instead got {labels.dtype.name}. {estimator} needs class ids "
                "0 .. n_classes-1 as labels; float labels are refused, not truncated (2.9 would become class 2). "
                "Convert them in your input_fn (e.g. labels.astype(int) or tf.cast(labels, tf.int64) if they "
                "are whole numbers), or give label_vocabulary=[...] for string labels.")
        return labels
    if labels.dtype != tf.string:
        raise ValueError(f"Labels dtype should be string if there is a vocabulary. Instead got {labels.dtype.name}")
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(list(label_vocabulary)),
                                            tf.range(len(label_vocabulary), dtype=tf.int64)), default_value=-1)
    return table.lookup(labels)


class MultiClassHead(_Head):
    """Softmax cross-entropy over `n_classes` > 2 classes; labels are class ids (or vocabulary strings)."""

    def __init__(self, n_classes: int, weight_column=None, label_vocabulary=None, loss_reduction=SUM, name=None,
                 estimator: str = "The classifier", keras_reduction=False):
        super().__init__(weight_column, loss_reduction, name, keras_reduction)
        self.logits_dimension = self._n_classes = n_classes
        self._label_vocabulary = label_vocabulary
        self._estimator = estimator

    def _predictions(self, logits):
        class_ids = tf.expand_dims(tf.argmax(logits, axis=-1, name=pred.CLASS_IDS), -1)
        return {
            pred.LOGITS: logits,
            pred.PROBABILITIES: tf.nn.softmax(logits, name=pred.PROBABILITIES),
            pred.CLASS_IDS: class_ids,
            pred.CLASSES: _classes(class_ids, self._label_vocabulary),
            pred.ALL_CLASS_IDS: _all_class_ids(logits, self._n_classes),
            pred.ALL_CLASSES: _all_classes(logits, self._n_classes, self._label_vocabulary),
        }

    def _export_outputs(self, predictions):
        classify = _classification_output(predictions[pred.PROBABILITIES], self._n_classes, self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classify, CLASSIFY_SERVING_KEY: classify,
                PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

    def _unreduced_loss(self, labels, logits):
        label_ids = _assert_range(_label_ids(labels, self._label_vocabulary, self._estimator), self._n_classes)
        loss = v1.losses.sparse_softmax_cross_entropy(labels=label_ids, logits=logits,
                                                      reduction=v1.losses.Reduction.NONE)
        return tf.expand_dims(loss, -1), label_ids

    def _metrics(self, labels, logits, predictions, weights, unreduced_loss):
        return {
            self._key(keys.LOSS_MEAN): v1.metrics.mean(unreduced_loss, weights=weights, name=keys.LOSS_MEAN),
            self._key(keys.ACCURACY): v1.metrics.accuracy(labels, predictions[pred.CLASS_IDS], weights=weights,
                                                          name=keys.ACCURACY),
        }


class BinaryClassHead(_Head):
    """Sigmoid cross-entropy on one logit; labels 0/1 (floats in [0, 1] allowed, as in the real head)."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None, loss_reduction=SUM, name=None,
                 estimator: str = "The classifier", keras_reduction=False):
        super().__init__(weight_column, loss_reduction, name, keras_reduction)
        self._thresholds = tuple(thresholds) if thresholds else ()
        for threshold in self._thresholds:
            if not 0 < threshold < 1:
                raise ValueError(f"thresholds not in (0, 1): {self._thresholds}.")
        self._label_vocabulary = label_vocabulary
        self._estimator = estimator
        # The real V1 head's tf.compat.v1.metrics.auc summed the PR curve by trapezoids; the V2 classes' head
        # used Keras's AUC, which interpolates it (as "careful_interpolation" does).
        self._pr_summation = "careful_interpolation" if keras_reduction else "trapezoidal"

    def _predictions(self, logits):
        two_class_logits = tf.concat([tf.zeros_like(logits), logits], axis=-1, name="two_class_logits")
        class_ids = tf.expand_dims(tf.argmax(two_class_logits, axis=-1, name=pred.CLASS_IDS), -1)
        return {
            pred.LOGITS: logits,
            pred.LOGISTIC: tf.sigmoid(logits, name=pred.LOGISTIC),
            pred.PROBABILITIES: tf.nn.softmax(two_class_logits, name=pred.PROBABILITIES),
            pred.CLASS_IDS: class_ids,
            pred.CLASSES: _classes(class_ids, self._label_vocabulary),
            pred.ALL_CLASS_IDS: _all_class_ids(logits, 2),
            pred.ALL_CLASSES: _all_classes(logits, 2, self._label_vocabulary),
        }

    def _export_outputs(self, predictions):
        classify = _classification_output(predictions[pred.PROBABILITIES], 2, self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classify, CLASSIFY_SERVING_KEY: classify,
                REGRESS_SERVING_KEY: export_output.RegressionOutput(value=predictions[pred.LOGISTIC]),
                PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

    def _unreduced_loss(self, labels, logits):
        if self._label_vocabulary is not None:
            labels = _label_ids(labels, self._label_vocabulary, self._estimator)
        elif labels.dtype == tf.string:
            raise ValueError("Labels are strings: give label_vocabulary=[...] (e.g. ['no', 'yes']) to map them to 0/1")
        labels = _assert_range(tf.cast(labels, tf.float32), 2)
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), labels

    def _metrics(self, labels, logits, predictions, weights, unreduced_loss):
        logistic, class_ids = predictions[pred.LOGISTIC], predictions[pred.CLASS_IDS]
        weights_for = (lambda t: None if isinstance(weights, float) else tf.broadcast_to(weights, tf.shape(t)))
        with tf.name_scope(keys.LABEL_MEAN):
            labels_mean = v1.metrics.mean(tf.cast(labels, tf.float32), weights=weights_for(labels),
                                          name=keys.LABEL_MEAN)
        with tf.name_scope(keys.ACCURACY_BASELINE):
            value, update = labels_mean
            baseline = (tf.maximum(value, 1.0 - value, name="value"),
                        tf.maximum(update, 1.0 - update, name="update_op"))
        metrics = {
            keys.LOSS_MEAN: v1.metrics.mean(unreduced_loss, weights=weights, name=keys.LOSS_MEAN),
            keys.ACCURACY: v1.metrics.accuracy(labels, class_ids, weights=weights, name=keys.ACCURACY),
            keys.PRECISION: v1.metrics.precision(labels, class_ids, weights=weights, name=keys.PRECISION),
            keys.RECALL: v1.metrics.recall(labels, class_ids, weights=weights, name=keys.RECALL),
            keys.PREDICTION_MEAN: v1.metrics.mean(logistic, weights=weights_for(logistic),
                                                  name=keys.PREDICTION_MEAN),
            keys.LABEL_MEAN: labels_mean,
            keys.ACCURACY_BASELINE: baseline,
            keys.AUC: v1.metrics.auc(labels, logistic, weights=weights_for(logistic), name=keys.AUC),
            keys.AUC_PR: v1.metrics.auc(labels, logistic, weights=weights_for(logistic), curve="PR",
                                        summation_method=self._pr_summation, name=keys.AUC_PR),
        }
        for threshold in self._thresholds:
            above = tf.cast(tf.greater_equal(logistic, threshold), tf.float32)
            metrics[keys.ACCURACY_AT_THRESHOLD % threshold] = v1.metrics.accuracy(labels, above, weights=weights)
            precision = v1.metrics.precision_at_thresholds(labels, logistic, [threshold], weights=weights)
            recall = v1.metrics.recall_at_thresholds(labels, logistic, [threshold], weights=weights)
            metrics[keys.PRECISION_AT_THRESHOLD % threshold] = tuple(tf.squeeze(t) for t in precision)
            metrics[keys.RECALL_AT_THRESHOLD % threshold] = tuple(tf.squeeze(t) for t in recall)
        return {self._key(key): value for key, value in metrics.items()}


class RegressionHead(_Head):
    """Mean squared error on `label_dimension` outputs; predictions are the logits themselves."""

    def __init__(self, label_dimension: int = 1, weight_column=None, loss_reduction=SUM, name=None,
                 keras_reduction=False):
        super().__init__(weight_column, loss_reduction, name, keras_reduction)
        if isinstance(label_dimension, bool) or not isinstance(label_dimension, int) or label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension!r}: give a whole number >= 1")
        self.logits_dimension = label_dimension

    def _labels_dimension(self) -> int:
        return self.logits_dimension

    def _predictions(self, logits):
        return {pred.PREDICTIONS: logits}

    def _export_outputs(self, predictions):
        regress = export_output.RegressionOutput(value=predictions[pred.PREDICTIONS])
        return {DEFAULT_SERVING_KEY: regress, REGRESS_SERVING_KEY: regress,
                PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

    def _unreduced_loss(self, labels, logits):
        if labels.dtype == tf.string:
            raise ValueError("Regression labels must be numbers, got strings")
        labels = tf.cast(labels, tf.float32)
        return v1.losses.mean_squared_error(labels=labels, predictions=logits,
                                            reduction=v1.losses.Reduction.NONE), labels

    def _metrics(self, labels, logits, predictions, weights, unreduced_loss):
        predicted = predictions[pred.PREDICTIONS]
        return {
            self._key(keys.LOSS_MEAN): v1.metrics.mean(unreduced_loss, weights=weights),
            self._key(keys.PREDICTION_MEAN): v1.metrics.mean(
                predicted, weights=None if isinstance(weights, float) else tf.broadcast_to(weights, tf.shape(predicted)),
                name=keys.PREDICTION_MEAN),
            self._key(keys.LABEL_MEAN): v1.metrics.mean(labels, weights=weights),
        }


def binary_or_multi_class_head(n_classes: int, weight_column=None, label_vocabulary=None, loss_reduction=SUM,
                               estimator: str = "The classifier", keras_reduction=False) -> _Head:
    """The head a classifier gets: sigmoid for 2 classes, softmax for more, as the real one chose."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if label_vocabulary is not None:
        if not isinstance(label_vocabulary, (list, tuple)):
            raise TypeError(f"label_vocabulary should be a list or a tuple. Given type: {type(label_vocabulary)}")
        if len(label_vocabulary) != n_classes:
            raise ValueError(f"label_vocabulary has {len(label_vocabulary)} entries but n_classes is {n_classes}")
    if n_classes == 2:
        return BinaryClassHead(weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction,
                               estimator=estimator, keras_reduction=keras_reduction)
    return MultiClassHead(n_classes, weight_column, label_vocabulary=label_vocabulary,
                          loss_reduction=loss_reduction, estimator=estimator, keras_reduction=keras_reduction)


def create_estimator_spec(head, features, mode, logits, labels, optimizer, trainable_variables=None) -> EstimatorSpec:
    """The spec from either kind of head: a canned one (above) takes the optimizer alone; a public `Head`
    (`tf.estimator.MultiLabelHead`...) also takes the variables to train and the update ops, as the real V2
    model_fns passed them (the `*Estimator` classes take either). `trainable_variables`: the variables the
    optimizer updates, all the trainable ones if None."""
    if isinstance(head, _Head):
        return head.create_estimator_spec(features, mode, logits, labels=labels, optimizer=optimizer,
                                          trainable_variables=trainable_variables)
    if trainable_variables is None:
        trainable_variables = v1.trainable_variables()
    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      optimizer=optimizer, trainable_variables=trainable_variables,
                                      update_ops=v1.get_collection(v1.GraphKeys.UPDATE_OPS))
