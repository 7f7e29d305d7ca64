"""The public heads (`tf.estimator.MultiClassHead`...) on our side: the numbers the real heads' own
documentation gives for its examples, the checks of their arguments, and `create_estimator_spec` in a
custom model_fn with each way of training. `tests/test_parity_heads.py` runs them beside the real ones."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1
from iris_lib.estimator import Estimator, ModeKeys, RunConfig, api, head

v1 = tf.compat.v1
PROVIDED = ["Head", "BinaryClassHead", "MultiClassHead", "RegressionHead", "LogisticRegressionHead",
            "PoissonRegressionHead", "MultiLabelHead", "MultiHead"]


def evaluated(build):
    """Run `build()` in a fresh graph (as a model_fn runs) and return its tensors' values."""
    with tf.Graph().as_default():
        tensors = build()
        with v1.Session() as session:
            session.run([v1.local_variables_initializer(), v1.tables_initializer()])
            return session.run(tensors)


def loss_and_metrics(the_head, logits, labels, features=None):
    """`head.loss` and every metric after `update_metrics` on one batch, as (loss, {key: value})."""
    features = features if features is not None else {"x": np.array(((42,),), dtype=np.float32)}
    with tf.Graph().as_default():
        loss = the_head.loss(labels, logits, features=features)
        metrics = the_head.update_metrics(the_head.metrics(), features, logits, labels)
        with v1.Session() as session:
            session.run([v1.local_variables_initializer(), v1.tables_initializer()])
            session.run([metric.as_op_pair()[1] for metric in metrics.values()])  # then read: no race
            return session.run((loss, {key: metric.result() for key, metric in metrics.items()}))


@pytest.mark.parametrize("namespace", [api.ESTIMATOR_V1, api.ESTIMATOR_V2], ids=["v1", "v2"])
def test_every_provided_head_resolves_in_both_namespaces(namespace):
    for name in PROVIDED:
        assert getattr(namespace, name) is getattr(head, name)
        assert name in dir(namespace)
    assert iris_lib.tf1.estimator.MultiClassHead is head.MultiClassHead


# The examples of the real heads' docstrings (tensorflow_estimator/python/estimator/head/*_head.py), with
# the values they document.

def test_multi_class_head_gives_the_documented_loss_and_metrics():
    logits = np.array(((10, 0, 0), (0, 10, 0)), dtype=np.float32)
    labels = np.array(((1,), (1,)), dtype=np.int64)
    loss, metrics = loss_and_metrics(head.MultiClassHead(3), logits, labels)
    assert loss == pytest.approx(5.0, abs=1e-3)  # sum(cross_entropy) / batch_size = (10 + 0) / 2
    assert metrics == pytest.approx({"accuracy": 0.5, "average_loss": 5.0}, abs=1e-3)


def test_binary_class_head_gives_the_documented_loss_and_metrics():
    logits = np.array(((45,), (-41,)), dtype=np.float32)
    labels = np.array(((1,), (1,)), dtype=np.int32)
    loss, metrics = loss_and_metrics(head.BinaryClassHead(), logits, labels)
    assert loss == pytest.approx(20.5)  # sum(0, 41) / 2
    assert metrics == pytest.approx({
        "accuracy": 0.5, "accuracy_baseline": 1.0, "auc": 0.0, "auc_precision_recall": 1.0, "average_loss": 20.5,
        "label/mean": 1.0, "precision": 1.0, "prediction/mean": 0.5, "recall": 0.5}, abs=5e-3)


def test_regression_head_gives_the_documented_loss_and_metrics():
    logits = np.array(((45,), (41,)), dtype=np.float32)
    labels = np.array(((43,), (44,)), dtype=np.int32)
    loss, metrics = loss_and_metrics(head.RegressionHead(), logits, labels)
    assert loss == pytest.approx(6.5)  # ((43-45)^2 + (44-41)^2) / 2
    assert metrics == pytest.approx({"average_loss": 6.5, "label/mean": 43.5, "prediction/mean": 43.0})


def test_multi_label_head_gives_the_documented_loss_and_metrics():
    logits = np.array([[-1., 1.], [-1.5, 1.5]], dtype=np.float32)
    labels = np.array([[1, 0], [1, 1]], dtype=np.int64)
    loss, metrics = loss_and_metrics(head.MultiLabelHead(n_classes=2), logits, labels)
    assert loss == pytest.approx(1.13, abs=5e-3)  # (1.31326169 + 0.9514133) / 2, each averaged over classes
    assert metrics == pytest.approx({"auc": 0.33, "auc_precision_recall": 0.77, "average_loss": 1.13}, abs=5e-3)


def test_multi_head_gives_the_documented_loss_and_metrics():
    multi_head = head.MultiHead([head.MultiLabelHead(n_classes=2, name="head1"),
                                 head.MultiLabelHead(n_classes=3, name="head2")])
    logits = {"head1": np.array([[-10., 10.], [-15., 10.]], dtype=np.float32),
              "head2": np.array([[20., -20., 20.], [-30., 20., -20.]], dtype=np.float32)}
    labels = {"head1": np.array([[1, 0], [1, 1]], dtype=np.int64),
              "head2": np.array([[0, 1, 0], [1, 1, 0]], dtype=np.int64)}
    loss, metrics = loss_and_metrics(multi_head, logits, labels)
    assert loss == pytest.approx(23.75, abs=1e-3)  # 8.75 + 15.00
    assert metrics == pytest.approx({
        "auc/head1": 0.17, "auc/head2": 0.33, "auc_precision_recall/head1": 0.60,
        "auc_precision_recall/head2": 0.40, "average_loss/head1": 8.75, "average_loss/head2": 15.00,
        "loss/head1": 8.75, "loss/head2": 15.00}, abs=5e-3)
    assert multi_head.name == "head1_head2" and multi_head.logits_dimension == 5
    predictions = evaluated(lambda: multi_head.predictions(np.zeros((2, 5), np.float32)))  # one Tensor, split
    assert sorted(predictions) == [(name, key) for name in ("head1", "head2")
                                   for key in ("classes", "logits", "probabilities")]
    assert predictions[("head2", "logits")].shape == (2, 3)


def test_weights_and_a_head_name_change_the_loss_and_the_metric_keys():
    logits = np.array(((10, 0, 0), (0, 10, 0)), dtype=np.float32)
    labels = np.array(((1,), (1,)), dtype=np.int64)
    features = {"w": np.array((1., 3.), dtype=np.float32)}
    the_head = head.MultiClassHead(3, weight_column="w", name="flower")
    loss, metrics = loss_and_metrics(the_head, logits, labels, features)
    assert loss == pytest.approx((10 * 1 + 0 * 3) / 2, abs=1e-3)  # weighted sum over the batch size
    assert metrics == pytest.approx({"accuracy/flower": 3 / 4, "average_loss/flower": 10 / 4}, abs=1e-3)
    summed = head.MultiClassHead(3, weight_column="w", loss_reduction=tf.losses.Reduction.SUM)
    assert loss_and_metrics(summed, logits, labels, features)[0] == pytest.approx(10.0, abs=1e-3)


def test_poisson_and_logistic_heads_predict_through_their_inverse_link():
    logits = np.array(((0.5,), (-1.0,)), dtype=np.float32)
    poisson = evaluated(lambda: head.PoissonRegressionHead().predictions(logits))
    logistic = evaluated(lambda: head.LogisticRegressionHead().predictions(logits))
    np.testing.assert_allclose(poisson["predictions"], np.exp(logits), rtol=1e-6)
    np.testing.assert_allclose(logistic["predictions"], 1 / (1 + np.exp(-logits)), rtol=1e-6)
    np.testing.assert_array_equal(logistic["logits"], logits)


def test_a_vocabulary_names_the_classes_in_predictions():
    logits = np.array(((0, 5, 0), (0, 0, 5)), dtype=np.float32)
    predictions = evaluated(lambda: head.MultiClassHead(3, label_vocabulary=["a", "b", "c"]).predictions(logits))
    assert predictions["classes"].tolist() == [[b"b"], [b"c"]]
    assert predictions["all_classes"].tolist() == [[b"a", b"b", b"c"]] * 2


# ----- arguments -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, message", [
    (lambda: head.MultiClassHead(2), ValueError, r"n_classes must be > 2: 2"),
    (lambda: head.MultiClassHead(3, label_vocabulary=["a", "b"]), ValueError, "does not have \"n_classes\" items"),
    (lambda: head.MultiClassHead(3, label_vocabulary="abc"), ValueError, "should be a list or a tuple"),
    (lambda: head.BinaryClassHead(thresholds=[0.5, 1.0]), ValueError, r"thresholds not in \(0, 1\)"),
    (lambda: head.RegressionHead(label_dimension=0), ValueError, "Invalid label_dimension 0"),
    (lambda: head.RegressionHead(loss_reduction=v1.losses.Reduction.SUM), ValueError,
     "Invalid loss_reduction: weighted_sum.*not NONE, nor a tf.compat.v1.losses.Reduction"),
    (lambda: head.RegressionHead(loss_fn=lambda labels, predictions: labels), ValueError,
     "loss_fn must contain argument: logits"),
    (lambda: head.Head(), TypeError, "abstract"),
    (lambda: head.MultiLabelHead(3, classes_for_class_based_metrics=[3]), ValueError,
     r"must be in range \[0, 2\]. Given: 3"),
    (lambda: head.MultiHead([head.RegressionHead()]), ValueError, "All given heads must have name specified"),
    (lambda: head.MultiHead([head.RegressionHead(name="a")], head_weights=[1., 2.]), ValueError,
     "heads and head_weights must have the same size"),
])
def test_bad_arguments_are_refused_with_the_real_messages(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_float_labels_are_refused_by_a_class_head():
    with pytest.raises(ValueError, match="Labels dtype should be integer"):
        evaluated(lambda: head.MultiClassHead(3).loss(np.array([[1.0]]), np.zeros((1, 3), np.float32)))


def test_metrics_refuse_eager_execution_and_say_where_they_run():
    logits, labels = np.array(((10, 0, 0),), np.float32), np.array(((1,),))
    the_head = head.MultiClassHead(3)
    assert float(the_head.loss(labels, logits)) == pytest.approx(10.0, abs=1e-3)  # the loss runs eagerly
    with pytest.raises(RuntimeError, match="cannot run eagerly: update it inside a model_fn"):
        the_head.update_metrics(the_head.metrics(), {}, logits, labels)


def test_a_missing_weight_column_is_named():
    with pytest.raises(ValueError, match="weight column 'w' is not among the features"):
        evaluated(lambda: head.RegressionHead(weight_column="w").loss(
            np.zeros((1, 1)), np.zeros((1, 1), np.float32), features={"x": np.zeros((1, 1))}))


def spec(the_head, mode, **kwargs):
    """An EstimatorSpec built in a fresh graph with a global step and one trainable variable."""
    with tf.Graph().as_default():
        v1.train.create_global_step()
        weight = v1.get_variable("w", initializer=np.ones((1, 3), np.float32))
        logits = tf.matmul(tf.ones((2, 1)), weight)
        labels = np.array(((1,), (2,)), dtype=np.int64)
        return the_head.create_estimator_spec({}, mode, logits, labels=labels, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "train_op_fn and optimizer cannot both be None"),
    ({"optimizer": v1.train.GradientDescentOptimizer(0.1), "train_op_fn": lambda loss: tf.no_op()},
     "train_op_fn and optimizer cannot both be set"),
    ({"optimizer": "Adagrad", "trainable_variables": []}, "not a tf.compat.v1.train.Optimizer.*train_op_fn"),
    ({"optimizer": v1.train.GradientDescentOptimizer(0.1)}, "trainable_variables cannot be None"),
    ({"train_op_fn": lambda loss: tf.no_op(), "update_ops": tf.no_op}, "update_ops should be a list or a tuple"),
])
def test_training_needs_exactly_one_way_to_train(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spec(head.MultiClassHead(3), ModeKeys.TRAIN, **kwargs)


def test_predict_spec_exports_the_real_signatures():
    predict = spec(head.MultiClassHead(3), ModeKeys.PREDICT)
    assert sorted(predict.export_outputs) == ["classification", "predict", "serving_default"]
    assert sorted(predict.predictions) == ["all_class_ids", "all_classes", "class_ids", "classes", "logits",
                                           "probabilities"]
    evaluate = spec(head.MultiClassHead(3), ModeKeys.EVAL, regularization_losses=[0.5])
    assert sorted(evaluate.eval_metric_ops) == ["accuracy", "average_loss", "regularization_loss"]


# ----- in an Estimator -----------------------------------------------------------------------------------------

X = np.linspace(-1, 1, 24, dtype=np.float32).reshape(12, 2)
Y = (X[:, :1] > 0).astype(np.int64)


def binary_model_fn(features, labels, mode, params):
    the_head = head.BinaryClassHead()
    with v1.variable_scope("dense"):
        kernel = v1.get_variable("kernel", initializer=np.zeros((2, 1), np.float32))
    logits = tf.matmul(features["x"], kernel)
    if params["way"] == "optimizer":
        return the_head.create_estimator_spec(features, mode, logits, labels=labels,
                                              optimizer=v1.train.GradientDescentOptimizer(1.0),
                                              trainable_variables=v1.trainable_variables())
    return the_head.create_estimator_spec(features, mode, logits, labels=labels, train_op_fn=lambda loss: (
        v1.train.GradientDescentOptimizer(1.0).minimize(loss, global_step=v1.train.get_global_step())))


def input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(12).repeat()


@pytest.mark.parametrize("way", ["optimizer", "train_op_fn"])
def test_a_custom_model_fn_trains_with_a_head_either_way(tmp_path, way):
    estimator = Estimator(binary_model_fn, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=1),
                          params={"way": way})
    estimator.train(input_fn, steps=20)
    metrics = estimator.evaluate(input_fn, steps=1)
    assert metrics["global_step"] == 20
    assert metrics["accuracy"] == 1.0  # the labels are the sign of the first feature
    assert metrics["loss"] < 0.69  # below log(2), where it started
    assert [name for name, _ in tf.train.list_variables(str(tmp_path))] == ["dense/kernel", "global_step"]
