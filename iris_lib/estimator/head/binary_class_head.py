"""`BinaryClassHead`: sigmoid cross-entropy on one logit, as the real `head/binary_class_head.py`."""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.ops import lookup_ops

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.head import base_head, head_metrics
from iris_lib.estimator.head.multi_class_head import check_label_vocabulary, class_strings

v1 = tf.compat.v1


class BinaryClassHead(base_head.Head):
    """A head for binary classification: labels 0/1 (floats in [0, 1] allowed) or two vocabulary strings.

    Its metrics add precision, recall, AUC (ROC and PR), label and prediction means and the accuracy of
    always predicting the commoner class; `thresholds` adds accuracy, precision and recall at each.
    """

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=base_head.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        check_label_vocabulary(label_vocabulary, None)
        thresholds = tuple(thresholds) if thresholds else tuple()
        for threshold in thresholds:
            if threshold <= 0.0 or threshold >= 1.0:
                raise ValueError(f"thresholds not in (0, 1): {(thresholds,)}.")
        base_head.validate_loss_reduction(loss_reduction)
        if loss_fn:
            base_head.validate_loss_fn_args(loss_fn)
        self._weight_column = weight_column
        self._thresholds = thresholds
        self._label_vocabulary = label_vocabulary
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._name = name
        keys, key = MetricKeys, self._summary_key
        self._loss_mean_key = key(keys.LOSS_MEAN)
        self._accuracy_key = key(keys.ACCURACY)
        self._precision_key = key(keys.PRECISION)
        self._recall_key = key(keys.RECALL)
        self._prediction_mean_key = key(keys.PREDICTION_MEAN)
        self._label_mean_key = key(keys.LABEL_MEAN)
        self._accuracy_baseline_key = key(keys.ACCURACY_BASELINE)
        self._auc_key = key(keys.AUC)
        self._auc_pr_key = key(keys.AUC_PR)
        self._loss_regularization_key = key(keys.LOSS_REGULARIZATION)
        self._accuracy_keys = tuple(key(keys.ACCURACY_AT_THRESHOLD % t) for t in thresholds)
        self._precision_keys = tuple(key(keys.PRECISION_AT_THRESHOLD % t) for t in thresholds)
        self._recall_keys = tuple(key(keys.RECALL_AT_THRESHOLD % t) for t in thresholds)

    @property
    def name(self):
        return self._name

    @property
    def logits_dimension(self):
        return 1

    @property
    def loss_reduction(self):
        return self._loss_reduction

    def _processed_labels(self, logits, labels):
        """Labels as floats 0/1, range-checked."""
        labels = base_head.check_dense_labels_match_logits_and_reshape(labels, logits, expected_labels_dimension=1)
        if self._label_vocabulary is not None:
            labels = lookup_ops.index_table_from_tensor(
                vocabulary_list=tuple(self._label_vocabulary), name="class_id_lookup").lookup(labels)
        elif labels.dtype == tf.string:
            raise ValueError("Labels are strings: give label_vocabulary=[...] (e.g. ['no', 'yes']) to map them to 0/1.")
        labels = tf.cast(labels, tf.float32)
        return base_head.check_label_range(labels, n_classes=2)

    def _unweighted_loss_and_weights(self, logits, labels, features):
        if self._loss_fn:
            unweighted_loss = base_head.call_loss_fn(self._loss_fn, labels, logits, features, expected_loss_dim=1)
        else:
            unweighted_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        weights = base_head.get_weights_and_check_match_logits(features, self._weight_column, logits)
        return unweighted_loss, weights

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        del mode  # the same in every mode
        return base_head.single_head_loss(self, labels, logits, features, regularization_losses)

    def predictions(self, logits, keys=None):
        pred_keys = PredictionKeys
        valid_keys = [pred_keys.LOGITS, pred_keys.LOGISTIC, pred_keys.PROBABILITIES, pred_keys.CLASS_IDS,
                      pred_keys.CLASSES, pred_keys.ALL_CLASS_IDS, pred_keys.ALL_CLASSES]
        if keys:
            base_head.check_prediction_keys(keys, valid_keys)
        else:
            keys = valid_keys
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        predictions = {}
        with v1.name_scope("predictions", values=(logits,)):
            if pred_keys.LOGITS in keys:
                predictions[pred_keys.LOGITS] = logits
            if pred_keys.LOGISTIC in keys:
                predictions[pred_keys.LOGISTIC] = tf.sigmoid(logits, name=pred_keys.LOGISTIC)
            two_class_logits = tf.concat((tf.zeros_like(logits), logits), axis=-1, name="two_class_logits")
            if pred_keys.PROBABILITIES in keys:
                predictions[pred_keys.PROBABILITIES] = tf.nn.softmax(two_class_logits, name=pred_keys.PROBABILITIES)
            if pred_keys.CLASS_IDS in keys or pred_keys.CLASSES in keys:
                class_ids = tf.expand_dims(tf.argmax(two_class_logits, axis=-1, name=pred_keys.CLASS_IDS), axis=-1)
                if pred_keys.CLASS_IDS in keys:
                    predictions[pred_keys.CLASS_IDS] = class_ids
                if pred_keys.CLASSES in keys:
                    predictions[pred_keys.CLASSES] = class_strings(class_ids, self._label_vocabulary)
            if pred_keys.ALL_CLASS_IDS in keys:
                predictions[pred_keys.ALL_CLASS_IDS] = base_head.all_class_ids(logits, 2)
            if pred_keys.ALL_CLASSES in keys:
                predictions[pred_keys.ALL_CLASSES] = base_head.all_classes(logits, 2, self._label_vocabulary)
            return predictions

    def metrics(self, regularization_losses=None):
        keys, m = MetricKeys, head_metrics
        eval_metrics = {
            self._loss_mean_key: m.Mean(keys.LOSS_MEAN),
            self._accuracy_key: m.Accuracy(keys.ACCURACY),
            self._precision_key: m.Precision(keys.PRECISION),
            self._recall_key: m.Recall(keys.RECALL),
            self._prediction_mean_key: m.Mean(keys.PREDICTION_MEAN),
            self._label_mean_key: m.Mean(keys.LABEL_MEAN),
            self._accuracy_baseline_key: m.MaxOfMeanAndComplement(keys.ACCURACY_BASELINE),
            self._auc_key: m.AUC(keys.AUC),
            self._auc_pr_key: m.AUC(keys.AUC_PR, curve="PR"),
        }
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key] = m.Mean(keys.LOSS_REGULARIZATION)
        for i, threshold in enumerate(self._thresholds):
            eval_metrics[self._accuracy_keys[i]] = m.BinaryAccuracy(self._accuracy_keys[i], threshold=threshold)
            eval_metrics[self._precision_keys[i]] = m.Precision(self._precision_keys[i], thresholds=threshold)
            eval_metrics[self._recall_keys[i]] = m.Recall(self._recall_keys[i], thresholds=threshold)
        return eval_metrics

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        class_ids = self.predictions(logits)[PredictionKeys.CLASS_IDS]
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        labels = self._processed_labels(logits, labels)
        unweighted_loss, weights = self._unweighted_loss_and_weights(logits, labels, features)
        eval_metrics[self._loss_mean_key].update_state(values=unweighted_loss, sample_weight=weights)
        for key in (self._accuracy_key, self._precision_key, self._recall_key):
            eval_metrics[key].update_state(y_true=labels, y_pred=class_ids, sample_weight=weights)
        logistic = self.predictions(logits, [PredictionKeys.LOGISTIC])[PredictionKeys.LOGISTIC]
        base_head.update_metric_with_broadcast_weights(eval_metrics[self._prediction_mean_key], logistic, weights)
        base_head.update_metric_with_broadcast_weights(eval_metrics[self._label_mean_key], labels, weights)
        eval_metrics[self._accuracy_baseline_key].update_from(eval_metrics[self._label_mean_key])
        broadcast = None if weights is None else tf.compat.v2.__internal__.ops.broadcast_weights(weights, logistic)
        for key in (self._auc_key, self._auc_pr_key):
            eval_metrics[key].update_state(y_true=labels, y_pred=logistic, sample_weight=broadcast)
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key].update_state(values=tf.math.add_n(regularization_losses))
        for keys in zip(self._accuracy_keys, self._precision_keys, self._recall_keys):
            for key in keys:
                eval_metrics[key].update_state(y_true=labels, y_pred=logistic, sample_weight=weights)
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """PREDICT: every prediction and the classify/regress/predict signatures; EVAL and TRAIN as every head."""
        def export_outputs(predictions):
            classifier_output = base_head.classification_output(
                predictions[PredictionKeys.PROBABILITIES], 2, self._label_vocabulary)
            return {base_head.DEFAULT_SERVING_KEY: classifier_output,
                    base_head.CLASSIFY_SERVING_KEY: classifier_output,
                    base_head.REGRESS_SERVING_KEY: export_output.RegressionOutput(
                        value=predictions[PredictionKeys.LOGISTIC]),
                    base_head.PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

        return base_head.create_estimator_spec(self, features, mode, logits, labels, optimizer, trainable_variables,
                                               train_op_fn, update_ops, regularization_losses, export_outputs)
