"""`MultiClassHead`: softmax cross-entropy over n_classes > 2, as the real `head/multi_class_head.py`."""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.ops import lookup_ops

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.head import base_head, head_metrics

v1 = tf.compat.v1


def check_label_vocabulary(label_vocabulary, n_classes):
    if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
        raise ValueError(f"label_vocabulary should be a list or a tuple. Given type: {type(label_vocabulary)}")
    if label_vocabulary is not None and n_classes is not None and len(label_vocabulary) != n_classes:
        raise ValueError(f'"label_vocabulary" does not have "n_classes" items. len(label_vocabulary)='
                         f"{len(label_vocabulary)}, n_classes={n_classes}, label_vocabulary={label_vocabulary}")


class MultiClassHead(base_head.Head):
    """A head for multi-class classification: labels are class ids in [0, n_classes) or vocabulary strings.

    The loss is `sparse_softmax_cross_entropy`, weighted by `weight_column` and reduced by `loss_reduction`
    (the mean over the batch by default); `loss_fn(labels, logits[, features])` replaces it.
    """

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None,
                 loss_reduction=base_head.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        if n_classes is None:
            raise ValueError("n_classes cannot be None")
        check_label_vocabulary(label_vocabulary, n_classes)
        base_head.validate_loss_reduction(loss_reduction)
        if loss_fn:
            base_head.validate_loss_fn_args(loss_fn)
        self._n_classes = base_head.validate_n_classes(n_classes)
        self._weight_column = weight_column
        self._label_vocabulary = label_vocabulary
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._name = name
        self._loss_mean_key = self._summary_key(MetricKeys.LOSS_MEAN)
        self._accuracy_key = self._summary_key(MetricKeys.ACCURACY)
        self._loss_regularization_key = self._summary_key(MetricKeys.LOSS_REGULARIZATION)

    @property
    def name(self):
        return self._name

    @property
    def logits_dimension(self):
        return self._n_classes

    @property
    def loss_reduction(self):
        return self._loss_reduction

    def _processed_labels(self, logits, labels):
        """Labels as class ids, range-checked."""
        labels = base_head.check_dense_labels_match_logits_and_reshape(labels, logits, expected_labels_dimension=1)
        if self._label_vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype}. Give class ids "
                                 "0 .. n_classes-1, or label_vocabulary=[...] for string labels.")
            label_ids = labels
        else:
            if labels.dtype != tf.string:
                raise ValueError(f"Labels dtype should be string if there is a vocabulary. Instead got {labels.dtype}")
            label_ids = lookup_ops.index_table_from_tensor(
                vocabulary_list=tuple(self._label_vocabulary), name="class_id_lookup").lookup(labels)
        return base_head.check_label_range(label_ids, self._n_classes)

    def _unweighted_loss_and_weights(self, logits, label_ids, features):
        if self._loss_fn:
            unweighted_loss = base_head.call_loss_fn(self._loss_fn, label_ids, logits, features, expected_loss_dim=1)
        else:
            unweighted_loss = v1.losses.sparse_softmax_cross_entropy(labels=label_ids, logits=logits,
                                                                     reduction=v1.losses.Reduction.NONE)
            unweighted_loss = tf.expand_dims(unweighted_loss, axis=-1)
        weights = base_head.get_weights_and_check_match_logits(features, self._weight_column, logits)
        return unweighted_loss, weights

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        del mode  # the same in every mode
        return base_head.single_head_loss(self, labels, logits, features, regularization_losses)

    def predictions(self, logits, keys=None):
        pred_keys = PredictionKeys
        valid_keys = [pred_keys.LOGITS, pred_keys.PROBABILITIES, pred_keys.CLASS_IDS, pred_keys.CLASSES,
                      pred_keys.ALL_CLASS_IDS, pred_keys.ALL_CLASSES]
        if keys:
            base_head.check_prediction_keys(keys, valid_keys)
        else:
            keys = valid_keys
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        predictions = {}
        with v1.name_scope("predictions", values=(logits,)):
            if pred_keys.LOGITS in keys:
                predictions[pred_keys.LOGITS] = logits
            if pred_keys.PROBABILITIES in keys:
                predictions[pred_keys.PROBABILITIES] = tf.nn.softmax(logits, name=pred_keys.PROBABILITIES)
            if pred_keys.CLASS_IDS in keys or pred_keys.CLASSES in keys:
                class_ids = tf.expand_dims(tf.argmax(logits, axis=-1, name=pred_keys.CLASS_IDS), axis=-1)
                if pred_keys.CLASS_IDS in keys:
                    predictions[pred_keys.CLASS_IDS] = class_ids
                if pred_keys.CLASSES in keys:
                    predictions[pred_keys.CLASSES] = class_strings(class_ids, self._label_vocabulary)
            if pred_keys.ALL_CLASS_IDS in keys:
                predictions[pred_keys.ALL_CLASS_IDS] = base_head.all_class_ids(logits, self._n_classes)
            if pred_keys.ALL_CLASSES in keys:
                predictions[pred_keys.ALL_CLASSES] = base_head.all_classes(logits, self._n_classes,
                                                                           self._label_vocabulary)
            return predictions

    def metrics(self, regularization_losses=None):
        eval_metrics = {self._loss_mean_key: head_metrics.Mean(MetricKeys.LOSS_MEAN)}
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key] = head_metrics.Mean(MetricKeys.LOSS_REGULARIZATION)
        eval_metrics[self._accuracy_key] = head_metrics.Accuracy(MetricKeys.ACCURACY)
        return eval_metrics

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        class_ids = self.predictions(logits)[PredictionKeys.CLASS_IDS]
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        label_ids = self._processed_labels(logits, labels)
        unweighted_loss, weights = self._unweighted_loss_and_weights(logits, label_ids, features)
        eval_metrics[self._loss_mean_key].update_state(values=unweighted_loss, sample_weight=weights)
        eval_metrics[self._accuracy_key].update_state(y_true=label_ids, y_pred=class_ids, sample_weight=weights)
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key].update_state(values=tf.math.add_n(regularization_losses))
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """PREDICT: every prediction and the classify/predict signatures; EVAL: loss and metrics; TRAIN: train_op."""
        def export_outputs(predictions):
            classifier_output = base_head.classification_output(
                predictions[PredictionKeys.PROBABILITIES], self._n_classes, self._label_vocabulary)
            return {base_head.DEFAULT_SERVING_KEY: classifier_output,
                    base_head.CLASSIFY_SERVING_KEY: classifier_output,
                    base_head.PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

        return base_head.create_estimator_spec(self, features, mode, logits, labels, optimizer, trainable_variables,
                                               train_op_fn, update_ops, regularization_losses, export_outputs)


def class_strings(class_ids, label_vocabulary):
    """Class ids as their names: the vocabulary's, or the ids as strings."""
    if label_vocabulary:
        table = lookup_ops.index_to_string_table_from_tensor(vocabulary_list=label_vocabulary,
                                                             name="class_string_lookup")
        return table.lookup(class_ids)
    return tf.strings.as_string(class_ids, name="str_classes")
