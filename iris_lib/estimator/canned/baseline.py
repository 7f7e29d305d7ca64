"""`BaselineClassifier`, `BaselineRegressor`, `BaselineEstimator`: a bias only, to beat before anything else.

Mirrors `tensorflow_estimator/python/estimator/canned/baseline.py`: the features are ignored except for the
batch size (all features must agree on it; the weight column is left out), the logits are one trainable
`baseline/bias` of shape `[logits_dimension]` (zeros at the start) broadcast over the batch, and FTRL at
learning rate 0.3 by default trains it, so a classifier learns the class frequencies and a regressor the
label mean. V1 (`tf.compat.v1.estimator`) sums the loss over the batch; the `...V2` classes average it, take
TF2's (Keras's) `loss_reduction` names ("sum_over_batch_size", "auto", "sum") and hide `export_savedmodel`,
as the real TF2 classes.
`BaselineEstimator` takes any head: V1 a canned head (`canned/head.py`) or a public one, V2 a public one
(`tf.estimator.MultiLabelHead`...), as the real ones; both train through `train_op_fn`, as the real ones did.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.util import deprecation

from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.canned.dnn import HIDDEN_EXPORT_SAVEDMODEL
from iris_lib.estimator.canned.head import KERAS_SUM_OVER_BATCH_SIZE, SUM, RegressionHead, binary_or_multi_class_head
from iris_lib.estimator.estimator import Estimator

v1 = tf.compat.v1

LEARNING_RATE = 0.3


def _weight_key(weight_column):
    if weight_column is None or isinstance(weight_column, str):
        return weight_column
    return weight_column.key


def baseline_logits(features, logits_dimension: int, weight_column=None):
    """The bias broadcast to `[batch_size, logits_dimension]`; the batch size is checked equal across features."""
    if not isinstance(features, dict):  # the real one needed a dict; a lone Tensor only gives its batch size here
        features = {"features": features}
    sizes = [tf.shape(value)[0] for key, value in features.items() if key != _weight_key(weight_column)]
    if not sizes:
        raise ValueError("features are empty: the baseline takes its batch size from them, so give at least one")
    checks = [v1.debugging.assert_equal(sizes[0], size) for size in sizes[1:]]
    with tf.control_dependencies(checks):
        with v1.variable_scope("baseline"):
            bias = v1.get_variable("bias", shape=[logits_dimension], initializer=v1.zeros_initializer())
            return tf.math.multiply(bias, tf.ones([sizes[0], logits_dimension]))


def make_baseline_model_fn(head, optimizer, get_optimizer, weight_column=None):
    """The model_fn(features, labels, mode, config); as in the real one, its settings live in this closure."""

    def _model_fn(features, labels, mode, config):
        logits = baseline_logits(features, head.logits_dimension, weight_column)

        def train_op_fn(loss):
            opt = get_optimizer(optimizer, learning_rate=LEARNING_RATE)
            return opt.minimize(loss, global_step=v1.train.get_global_step())

        return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                          train_op_fn=train_op_fn)

    return _model_fn


def _check_optimizer(get_optimizer, optimizer) -> None:
    if isinstance(optimizer, str):  # a bad name fails now, not at the first train()
        get_optimizer(optimizer, learning_rate=LEARNING_RATE)


class BaselineClassifier(Estimator):
    """A classifier predicting the class frequencies seen in training (`tf.compat.v1.estimator.BaselineClassifier`)."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)
    _keras_reduction = False  # tf.compat.v1.losses.Reduction names

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, loss_reduction=SUM):
        head = binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction,
                                          type(self).__name__, keras_reduction=self._keras_reduction)
        _check_optimizer(self._get_optimizer, optimizer)
        super().__init__(make_baseline_model_fn(head, optimizer, self._get_optimizer, weight_column),
                         model_dir=model_dir, config=config)


class BaselineClassifierV2(BaselineClassifier):
    """TF2's `tf.estimator.BaselineClassifier`: the loss averaged over the batch."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    _keras_reduction = True  # TF2's (Keras's) names
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, loss_reduction=KERAS_SUM_OVER_BATCH_SIZE):
        super().__init__(model_dir=model_dir, n_classes=n_classes, weight_column=weight_column,
                         label_vocabulary=label_vocabulary, optimizer=optimizer, config=config,
                         loss_reduction=loss_reduction)


class BaselineRegressor(Estimator):
    """A regressor predicting the mean label seen in training (`tf.compat.v1.estimator.BaselineRegressor`)."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)
    _keras_reduction = False

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=SUM):
        head = RegressionHead(label_dimension, weight_column, loss_reduction, keras_reduction=self._keras_reduction)
        _check_optimizer(self._get_optimizer, optimizer)
        # As the real one, the weight column is the head's only: the batch size check counts it as a feature.
        super().__init__(make_baseline_model_fn(head, optimizer, self._get_optimizer),
                         model_dir=model_dir, config=config)


class BaselineRegressorV2(BaselineRegressor):
    """TF2's `tf.estimator.BaselineRegressor`: the loss averaged over the batch."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    _keras_reduction = True
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=KERAS_SUM_OVER_BATCH_SIZE):
        super().__init__(model_dir=model_dir, label_dimension=label_dimension, weight_column=weight_column,
                         optimizer=optimizer, config=config, loss_reduction=loss_reduction)


class BaselineEstimator(Estimator):
    """A bias-only model under any head (`tf.compat.v1.estimator.BaselineEstimator`): a canned or public head."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance)

    def __init__(self, head, model_dir=None, optimizer="Ftrl", config=None):
        _check_optimizer(self._get_optimizer, optimizer)
        super().__init__(make_baseline_model_fn(head, optimizer, self._get_optimizer),
                         model_dir=model_dir, config=config)


class BaselineEstimatorV2(BaselineEstimator):
    """TF2's `tf.estimator.BaselineEstimator`: optimizers by name get the Keras defaults."""

    _get_optimizer = staticmethod(optimizers.get_optimizer_instance_v2)
    export_savedmodel = deprecation.hide_attribute_from_api(HIDDEN_EXPORT_SAVEDMODEL)
