"""`MultiLabelHead`: one sigmoid per class, any number of them true, as the real `head/multi_label_head.py`."""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.ops import lookup_ops

from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys
from iris_lib.estimator.export import export_output
from iris_lib.estimator.head import base_head, head_metrics

v1 = tf.compat.v1


class MultiLabelHead(base_head.Head):
    """A head for multi-label classification: each example has any subset of `n_classes` labels.

    Labels are a multi-hot [batch, n_classes] Tensor, or a SparseTensor of class ids (strings with a
    `label_vocabulary`). The loss is the sigmoid cross-entropy averaged over the classes; its metrics are AUC
    (ROC and PR) over every (example, class), per-threshold accuracy/precision/recall, and per class the mean
    probability and AUCs for `classes_for_class_based_metrics`.
    """

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=base_head.SUM_OVER_BATCH_SIZE, loss_fn=None, classes_for_class_based_metrics=None,
                 name=None):
        if n_classes is None or n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for multi-label classification. Given: {n_classes}")
        thresholds = tuple(thresholds) if thresholds else tuple()
        for threshold in thresholds:
            if threshold <= 0.0 or threshold >= 1.0:
                raise ValueError(f"thresholds must be in (0, 1) range. Given: {threshold}")
        if label_vocabulary is not None:
            if not isinstance(label_vocabulary, (list, tuple)):
                raise ValueError(f"label_vocabulary must be a list or tuple. Given type: {type(label_vocabulary)}")
            if len(label_vocabulary) != n_classes:
                raise ValueError(f"Length of label_vocabulary must be n_classes ({n_classes}). "
                                 f"Given: {len(label_vocabulary)}")
        if loss_fn:
            base_head.validate_loss_fn_args(loss_fn)
        base_head.validate_loss_reduction(loss_reduction)
        classes = tuple(classes_for_class_based_metrics or ())
        if classes and isinstance(classes[0], str):
            if not label_vocabulary:
                raise ValueError("label_vocabulary must be provided when classes_for_class_based_metrics are strings.")
            classes = tuple(label_vocabulary.index(name_) for name_ in classes)
        for class_id in classes:
            if class_id < 0 or class_id >= n_classes:
                raise ValueError(f"All classes_for_class_based_metrics must be in range [0, {n_classes - 1}]. "
                                 f"Given: {class_id}")
        self._n_classes = n_classes
        self._weight_column = weight_column
        self._thresholds = thresholds
        self._label_vocabulary = label_vocabulary
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._classes_for_class_based_metrics = classes
        self._name = name
        keys, key = MetricKeys, self._summary_key
        self._loss_mean_key = key(keys.LOSS_MEAN)
        self._auc_key = key(keys.AUC)
        self._auc_pr_key = key(keys.AUC_PR)
        self._loss_regularization_key = key(keys.LOSS_REGULARIZATION)
        self._accuracy_keys = tuple(key(keys.ACCURACY_AT_THRESHOLD % t) for t in thresholds)
        self._precision_keys = tuple(key(keys.PRECISION_AT_THRESHOLD % t) for t in thresholds)
        self._recall_keys = tuple(key(keys.RECALL_AT_THRESHOLD % t) for t in thresholds)
        if label_vocabulary is None:
            self._prob_keys = tuple(key(keys.PROBABILITY_MEAN_AT_CLASS % c) for c in classes)
            self._auc_keys = tuple(key(keys.AUC_AT_CLASS % c) for c in classes)
            self._auc_pr_keys = tuple(key(keys.AUC_PR_AT_CLASS % c) for c in classes)
        else:
            self._prob_keys = tuple(key(keys.PROBABILITY_MEAN_AT_NAME % label_vocabulary[c]) for c in classes)
            self._auc_keys = tuple(key(keys.AUC_AT_NAME % label_vocabulary[c]) for c in classes)
            self._auc_pr_keys = tuple(key(keys.AUC_PR_AT_NAME % label_vocabulary[c]) for c in classes)

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
        """Labels as a multi-hot int64 [D0, ... DN, n_classes] Tensor."""
        if labels is None:
            raise ValueError(base_head._LABEL_NONE_ERR_MSG)
        if isinstance(labels, tf.SparseTensor):
            if labels.dtype == tf.string:
                ids = lookup_ops.index_table_from_tensor(
                    vocabulary_list=tuple(self._label_vocabulary or ()), name="class_id_lookup").lookup(labels.values)
                processed = tf.sparse.to_indicator(tf.SparseTensor(labels.indices, ids, labels.dense_shape),
                                                   self._n_classes)
            else:
                if not labels.values.dtype.is_integer:
                    raise ValueError(f"Labels dtype should be integer. Instead got {labels.values.dtype}.")
                checked = base_head.check_label_range(
                    labels.values, self._n_classes,
                    message=f"labels must be an integer SparseTensor with values in [0, {self._n_classes})")
                with tf.control_dependencies([checked]):
                    processed = tf.sparse.to_indicator(labels, self._n_classes)
            processed = tf.cast(processed, tf.int64)
        else:
            processed = base_head.check_label_range(
                tf.convert_to_tensor(labels), 2, message="labels must be an integer indicator Tensor with values "
                                                         "in [0, 1]")
        return base_head.check_dense_labels_match_logits_and_reshape(processed, logits, self.logits_dimension)

    def _unweighted_loss_and_weights(self, logits, processed_labels, features):
        if self._loss_fn:
            unweighted_loss = base_head.call_loss_fn(self._loss_fn, processed_labels, logits, features,
                                                     expected_loss_dim=1)
        else:
            unweighted_loss = v1.losses.sigmoid_cross_entropy(multi_class_labels=processed_labels, logits=logits,
                                                              reduction=v1.losses.Reduction.NONE)
            unweighted_loss = tf.reduce_mean(unweighted_loss, axis=-1, keepdims=True)
        weights = base_head.get_weights_and_check_match_logits(features, self._weight_column, logits)
        return unweighted_loss, weights

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        del mode  # the same in every mode
        return base_head.single_head_loss(self, labels, logits, features, regularization_losses)

    def predictions(self, logits, keys=None):
        pred_keys = PredictionKeys
        valid_keys = [pred_keys.LOGITS, pred_keys.PROBABILITIES, pred_keys.CLASSES]
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
                predictions[pred_keys.PROBABILITIES] = tf.sigmoid(logits, name=pred_keys.PROBABILITIES)
            if pred_keys.CLASSES in keys:
                predictions[pred_keys.CLASSES] = base_head.all_classes(logits, self._n_classes,
                                                                       self._label_vocabulary)
            return predictions

    def metrics(self, regularization_losses=None):
        keys, m = MetricKeys, head_metrics
        eval_metrics = {self._loss_mean_key: m.Mean(keys.LOSS_MEAN), self._auc_key: m.AUC(keys.AUC),
                        self._auc_pr_key: m.AUC(keys.AUC_PR, curve="PR")}
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key] = m.Mean(keys.LOSS_REGULARIZATION)
        for i, threshold in enumerate(self._thresholds):
            eval_metrics[self._accuracy_keys[i]] = m.BinaryAccuracy(self._accuracy_keys[i], threshold=threshold)
            eval_metrics[self._precision_keys[i]] = m.Precision(self._precision_keys[i], thresholds=threshold)
            eval_metrics[self._recall_keys[i]] = m.Recall(self._recall_keys[i], thresholds=threshold)
        for i in range(len(self._classes_for_class_based_metrics)):
            eval_metrics[self._prob_keys[i]] = m.Mean(self._prob_keys[i])
            eval_metrics[self._auc_keys[i]] = m.AUC(self._auc_keys[i])
            eval_metrics[self._auc_pr_keys[i]] = m.AUC(self._auc_pr_keys[i], curve="PR")
        return eval_metrics

    def update_metrics(self, eval_metrics, features, logits, labels, regularization_losses=None):
        logits = base_head.check_logits_final_dim(logits, self.logits_dimension)
        processed_labels = self._processed_labels(logits, labels)
        unweighted_loss, weights = self._unweighted_loss_and_weights(logits, processed_labels, features)
        probabilities = self.predictions(logits, [PredictionKeys.PROBABILITIES])[PredictionKeys.PROBABILITIES]
        eval_metrics[self._loss_mean_key].update_state(values=unweighted_loss, sample_weight=weights)
        per_logit = None if weights is None else tf.compat.v2.__internal__.ops.broadcast_weights(weights, probabilities)
        for key in (self._auc_key, self._auc_pr_key):
            eval_metrics[key].update_state(y_true=processed_labels, y_pred=probabilities, sample_weight=per_logit)
        if regularization_losses is not None:
            eval_metrics[self._loss_regularization_key].update_state(values=tf.math.add_n(regularization_losses))
        for keys in zip(self._accuracy_keys, self._precision_keys, self._recall_keys):
            for key in keys:
                eval_metrics[key].update_state(y_true=processed_labels, y_pred=probabilities, sample_weight=per_logit)
        for i, class_id in enumerate(self._classes_for_class_based_metrics):
            class_probabilities = probabilities[..., class_id:class_id + 1]
            class_labels = processed_labels[..., class_id:class_id + 1]
            base_head.update_metric_with_broadcast_weights(eval_metrics[self._prob_keys[i]], class_probabilities,
                                                           weights)
            for key in (self._auc_keys[i], self._auc_pr_keys[i]):
                eval_metrics[key].update_state(y_true=class_labels, y_pred=class_probabilities, sample_weight=weights)
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """PREDICT: the predictions and the classify/predict signatures; EVAL and TRAIN as every head."""
        def export_outputs(predictions):
            classifier_output = base_head.classification_output(
                predictions[PredictionKeys.PROBABILITIES], self._n_classes, self._label_vocabulary)
            return {base_head.DEFAULT_SERVING_KEY: classifier_output,
                    base_head.CLASSIFY_SERVING_KEY: classifier_output,
                    base_head.PREDICT_SERVING_KEY: export_output.PredictOutput(predictions)}

        return base_head.create_estimator_spec(self, features, mode, logits, labels, optimizer, trainable_variables,
                                               train_op_fn, update_ops, regularization_losses, export_outputs)
