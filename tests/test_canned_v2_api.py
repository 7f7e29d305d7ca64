"""The canned Estimators' API as the real TF 2.15 had it: TF2's (Keras's) `loss_reduction` names on the V2
classes and tf.compat.v1's on the V1 ones, the real signatures, `export_savedmodel` hidden on V2, and
`experimental.dnn_logit_fn_builder` / `linear_logit_fn_builder` / `call_logit_fn` for a model_fn of one's own.

Names, shapes and signatures against the real classes: tests/test_parity_canned_estimators.py and
tests/test_parity_surface.py.
"""
import inspect

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig, api, canned
from iris_lib.estimator.canned import head as canned_head

v1 = tf.compat.v1
fc = tf.feature_column

N = 20
X = np.linspace(-1.0, 1.0, N, dtype=np.float32)
W = np.linspace(0.5, 2.0, N, dtype=np.float32)
TARGET = (2.0 * X + 1.0).astype(np.float32)
CLASSES = (X > 0).astype(np.int64)
COLUMNS = [fc.numeric_column("x")]


def input_fn(labels, epochs=None):
    def fn():
        return tf.data.Dataset.from_tensor_slices(({"x": X, "w": W}, labels)).repeat(epochs).batch(N)
    return fn


def config():
    return RunConfig(tf_random_seed=3, save_checkpoints_steps=None, save_checkpoints_secs=3600)


def regressor(cls, tmp_path, name, **kwargs):
    return cls(COLUMNS, model_dir=str(tmp_path / name), weight_column="w", config=config(), **kwargs)


V2_WITH_REDUCTION = {
    "BaselineClassifier": lambda r: canned.BaselineClassifierV2(loss_reduction=r),
    "BaselineRegressor": lambda r: canned.BaselineRegressorV2(loss_reduction=r),
    "DNNClassifier": lambda r: canned.DNNClassifierV2([4], COLUMNS, loss_reduction=r),
    "DNNRegressor": lambda r: canned.DNNRegressorV2([4], COLUMNS, loss_reduction=r),
    "LinearClassifier": lambda r: canned.LinearClassifierV2(COLUMNS, loss_reduction=r),
    "LinearRegressor": lambda r: canned.LinearRegressorV2(COLUMNS, loss_reduction=r),
    "DNNLinearCombinedClassifier": lambda r: canned.DNNLinearCombinedClassifierV2(
        linear_feature_columns=COLUMNS, loss_reduction=r),
    "DNNLinearCombinedRegressor": lambda r: canned.DNNLinearCombinedRegressorV2(
        linear_feature_columns=COLUMNS, loss_reduction=r),
}
V1_WITH_REDUCTION = {
    "BaselineClassifier": lambda r: canned.BaselineClassifier(loss_reduction=r),
    "DNNRegressor": lambda r: canned.DNNRegressor([4], COLUMNS, loss_reduction=r),
    "LinearClassifier": lambda r: canned.LinearClassifier(COLUMNS, loss_reduction=r),
    "DNNLinearCombinedRegressor": lambda r: canned.DNNLinearCombinedRegressor(
        linear_feature_columns=COLUMNS, loss_reduction=r),
}


@pytest.mark.parametrize("name", sorted(V2_WITH_REDUCTION))
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "auto", "sum"])
def test_v2_classes_take_tf2s_reduction_names(name, reduction):
    V2_WITH_REDUCTION[name](reduction)


@pytest.mark.parametrize("name", sorted(V2_WITH_REDUCTION))
@pytest.mark.parametrize("reduction", ["weighted_sum_over_batch_size", "weighted_sum", "weighted_mean", "none",
                                       None, "bogus"])
def test_v2_classes_refuse_the_tf_compat_v1_names_with_the_real_message(name, reduction):
    with pytest.raises(ValueError, match=rf"^Invalid loss_reduction: {reduction}\. See `tf\.losses\.Reduction` "
                                         r"for valid options"):
        V2_WITH_REDUCTION[name](reduction)


@pytest.mark.parametrize("name", sorted(V1_WITH_REDUCTION))
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "auto", "none", None])
def test_v1_classes_refuse_tf2s_names_and_none_as_the_real_ones(name, reduction):
    with pytest.raises(ValueError, match=rf"^Invalid loss_reduction: {reduction}(;|$)"):
        V1_WITH_REDUCTION[name](reduction)


@pytest.mark.parametrize("name", sorted(V1_WITH_REDUCTION))
@pytest.mark.parametrize("reduction", ["weighted_sum", "weighted_sum_over_batch_size", "weighted_mean"])
def test_v1_classes_take_the_tf_compat_v1_names(name, reduction):
    V1_WITH_REDUCTION[name](reduction)


def test_v2_sum_is_v1s_sum_and_v2s_default_and_auto_average_over_the_batch(tmp_path):
    """The same Ftrl on the same zeros: V2 "sum" trains as V1's SUM, V2's default and "auto" as V1's
    SUM_OVER_BATCH_SIZE; the loss of one batch summed is N times the averaged one."""
    runs = {
        "v2_sum": regressor(canned.LinearRegressorV2, tmp_path, "v2_sum", loss_reduction="sum"),
        "v1_sum": regressor(canned.LinearRegressor, tmp_path, "v1_sum"),
        "v2_default": regressor(canned.LinearRegressorV2, tmp_path, "v2_default"),
        "v2_auto": regressor(canned.LinearRegressorV2, tmp_path, "v2_auto", loss_reduction="auto"),
        "v1_mean": regressor(canned.LinearRegressor, tmp_path, "v1_mean",
                             loss_reduction=v1.losses.Reduction.SUM_OVER_BATCH_SIZE),
    }
    at_zero = {name: e.evaluate(input_fn(TARGET, epochs=1), steps=1)["loss"] for name, e in runs.items()}
    assert at_zero["v2_sum"] == pytest.approx(N * at_zero["v2_default"], rel=1e-6)
    assert at_zero["v2_auto"] == at_zero["v2_default"] == at_zero["v1_mean"]
    weights = {}
    for name, estimator in runs.items():
        estimator.train(input_fn(TARGET), steps=5)
        weights[name] = estimator.get_variable_value("linear/linear_model/x/weights")
    np.testing.assert_array_equal(weights["v2_sum"], weights["v1_sum"])
    np.testing.assert_array_equal(weights["v2_default"], weights["v1_mean"])
    np.testing.assert_array_equal(weights["v2_auto"], weights["v1_mean"])
    assert not np.array_equal(weights["v2_sum"], weights["v2_default"])


def _summary_tags(head, mode=ModeKeys.TRAIN):
    with tf.Graph().as_default():
        v1.train.create_global_step()
        logits = tf.constant([[0.5], [1.0]]) + v1.get_variable("bias", [1], initializer=v1.zeros_initializer())
        head.create_estimator_spec({"x": tf.constant([[1.0], [2.0]])}, mode, logits, labels=tf.constant([[1.0], [0.0]]),
                                   optimizer=v1.train.GradientDescentOptimizer(0.1))
        return {tf.make_ndarray(op.inputs[0].op.get_attr("value")).item().decode()
                for op in v1.get_default_graph().get_operations() if op.type == "ScalarSummary"}


def test_v2_sum_writes_no_mean_loss_summary_as_the_real_v2_heads():
    assert _summary_tags(canned_head.RegressionHead(loss_reduction="sum", keras_reduction=True)) == {"loss"}
    assert _summary_tags(canned_head.RegressionHead(loss_reduction=canned_head.SUM)) == {"loss", "average_loss"}


def _auc_pr(head, labels, logits):
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({}, ModeKeys.EVAL, tf.constant(logits), labels=tf.constant(labels))
        value, update_op = spec.eval_metric_ops["auc_precision_recall"]
        with v1.Session() as session:
            session.run(v1.local_variables_initializer())
            session.run(update_op)
            return session.run(value)


def test_v2_binary_classifiers_interpolate_the_pr_auc_as_keras_and_v1_ones_sum_trapezoids():
    """The real V2 classes' head measured the PR AUC with Keras's AUC (interpolated, as tf.compat.v1's
    "careful_interpolation"); the V1 head with tf.compat.v1.metrics.auc's trapezoids. Real numbers:
    tests/legacy/programs/wide_and_deep.py (`make parity`)."""
    labels = np.array([[1], [0], [1], [1], [0], [1]], dtype=np.int64)
    logits = np.array([[2.0], [0.5], [-0.3], [1.2], [-1.0], [0.1]], dtype=np.float32)
    with tf.Graph().as_default(), v1.Session() as session:
        expected = {}
        for summation in ("careful_interpolation", "trapezoidal"):
            value, update_op = v1.metrics.auc(labels, tf.sigmoid(logits), curve="PR", summation_method=summation)
            session.run(v1.local_variables_initializer())
            session.run(update_op)
            expected[summation] = session.run(value)
    assert expected["careful_interpolation"] != expected["trapezoidal"]
    assert _auc_pr(canned_head.BinaryClassHead(loss_reduction="sum_over_batch_size", keras_reduction=True),
                   labels, logits) == expected["careful_interpolation"]
    assert _auc_pr(canned_head.BinaryClassHead(), labels, logits) == expected["trapezoidal"]


@pytest.mark.parametrize("name", sorted(canned.V2_CLASSES))
def test_v2_signatures_have_tf2s_defaults_and_no_tf1_partitioners(name):
    parameters = inspect.signature(canned.V2_CLASSES[name]).parameters
    assert "input_layer_partitioner" not in parameters and "partitioner" not in parameters
    if "loss_reduction" in parameters:
        assert parameters["loss_reduction"].default == "sum_over_batch_size"
    v1_parameters = inspect.signature(canned.V1_CLASSES[name]).parameters
    if "loss_reduction" in v1_parameters:
        assert v1_parameters["loss_reduction"].default == "weighted_sum"
    assert all(p.annotation is inspect.Parameter.empty for p in parameters.values())


@pytest.mark.parametrize("name", sorted(canned.V2_CLASSES))
def test_v2_classes_hide_export_savedmodel_as_the_real_ones(name):
    v2, v1_class = canned.V2_CLASSES[name], canned.V1_CLASSES[name]
    assert type(inspect.getattr_static(v2, "export_savedmodel")).__name__ == "HiddenTfApiAttribute"
    assert "export_savedmodel" not in [n for n in dir(v2) if callable(getattr(v2, n, None))]
    assert callable(inspect.getattr_static(v1_class, "export_savedmodel"))


def test_a_v2_instance_raises_attribute_error_naming_export_saved_model(tmp_path):
    estimator = canned.LinearRegressorV2(COLUMNS, model_dir=str(tmp_path))
    with pytest.raises(AttributeError, match="Please use `export_saved_model` instead"):
        estimator.export_savedmodel  # noqa: B018
    assert not hasattr(estimator, "export_savedmodel")
    assert callable(canned.LinearRegressor(COLUMNS, model_dir=str(tmp_path)).export_savedmodel)


def test_the_experimental_logit_fn_names_are_where_the_real_ones_were():
    tf1, tf2 = api.ESTIMATOR_V1.experimental, api.ESTIMATOR_V2.experimental
    assert tf1.dnn_logit_fn_builder is canned.dnn.dnn_logit_fn_builder
    assert tf1.linear_logit_fn_builder is canned.linear.linear_logit_fn_builder
    assert tf1.call_logit_fn is tf2.call_logit_fn is canned.call_logit_fn
    for name in ("dnn_logit_fn_builder", "linear_logit_fn_builder"):
        with pytest.raises(AttributeError, match="nor had the real"):
            getattr(tf2, name)
        assert name not in dir(tf2) and name in dir(tf1)
    assert str(inspect.signature(tf1.dnn_logit_fn_builder)) == (
        "(units, hidden_units, feature_columns, activation_fn, dropout, input_layer_partitioner, batch_norm)")
    assert str(inspect.signature(tf1.linear_logit_fn_builder)) == "(units, feature_columns, sparse_combiner='sum')"
    assert str(inspect.signature(tf1.call_logit_fn)) == "(logit_fn, features, mode, params, config)"


def test_dnn_logit_fn_builder_wants_an_int_of_units():
    with pytest.raises(ValueError, match=r"units must be an int\.  Given type: <class 'float'>"):
        canned.dnn.dnn_logit_fn_builder(3.0, [4], COLUMNS, tf.nn.relu, None, None, False)


def test_call_logit_fn_passes_only_the_arguments_named_and_checks_the_result():
    seen = {}

    def logit_fn(features, params, config):
        seen.update(features=features, params=params, config=config)
        return {"head": tf.constant([[1.0]])}

    with tf.Graph().as_default():
        assert set(canned.call_logit_fn(logit_fn, {"x": 1}, ModeKeys.TRAIN, {"p": 2}, "cfg")) == {"head"}
        assert seen == {"features": {"x": 1}, "params": {"p": 2}, "config": "cfg"}
        with pytest.raises(ValueError, match="logit_fn should return a Tensor or a dictionary mapping strings to "
                                             "Tensors.  logit_fn returned: 3"):
            canned.call_logit_fn(lambda features: 3, {}, ModeKeys.TRAIN, None, None)


def test_a_model_fn_of_ones_own_from_the_logit_fn_builders_trains_and_names_as_the_canned_ones(tmp_path):
    experimental = api.ESTIMATOR_V1.experimental

    def model_fn(features, labels, mode, params, config):
        deep = experimental.dnn_logit_fn_builder(2, [4, 3], COLUMNS, tf.nn.relu, 0.1, None, True)
        logits = experimental.call_logit_fn(deep, features, mode, params, config)
        with v1.variable_scope("wide"):
            wide = experimental.linear_logit_fn_builder(2, [fc.bucketized_column(COLUMNS[0], [0.0])])
            logits += experimental.call_logit_fn(wide, features, mode, params, config)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions={"logits": logits})
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        train_op = tf.group(v1.train.AdagradOptimizer(0.1).minimize(loss, v1.train.get_global_step()),
                            *v1.get_collection(v1.GraphKeys.UPDATE_OPS))
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    estimator = Estimator(model_fn, str(tmp_path), config=config())
    estimator.train(input_fn(CLASSES), steps=3)
    weights = [n for n in estimator.get_variable_names() if not n.endswith("/Adagrad")]
    assert weights == ["global_step", "hiddenlayer_0/batchnorm_0/beta", "hiddenlayer_0/batchnorm_0/gamma",
                       "hiddenlayer_0/batchnorm_0/moving_mean", "hiddenlayer_0/batchnorm_0/moving_variance",
                       "hiddenlayer_0/bias", "hiddenlayer_0/kernel", "hiddenlayer_1/batchnorm_1/beta",
                       "hiddenlayer_1/batchnorm_1/gamma", "hiddenlayer_1/batchnorm_1/moving_mean",
                       "hiddenlayer_1/batchnorm_1/moving_variance", "hiddenlayer_1/bias", "hiddenlayer_1/kernel",
                       "logits/bias", "logits/kernel", "wide/linear_model/bias_weights",
                       "wide/linear_model/x_bucketized/weights"]
    assert estimator.get_variable_value("wide/linear_model/x_bucketized/weights").shape == (2, 2)
    assert estimator.get_variable_value("hiddenlayer_1/kernel").shape == (4, 3)
    assert not np.all(estimator.get_variable_value("hiddenlayer_0/batchnorm_0/moving_mean") == 0)
    assert estimator.get_variable_value("global_step") == 3


def _shared_columns(dimension=8):
    """TF2's shared embeddings of two vocabulary columns; TF2 makes them only outside eager execution."""
    first = fc.categorical_column_with_vocabulary_list("first", ["a", "b", "c"])
    second = fc.categorical_column_with_vocabulary_list("second", ["p", "q", "r"])
    with tf.Graph().as_default():
        return fc.shared_embeddings([first, second], dimension=dimension)


def test_v2_input_layer_looks_both_shared_columns_up_in_one_table():
    columns = _shared_columns()
    with tf.Graph().as_default():
        features = {"first": tf.constant(["a", "b", "c"]), "second": tf.constant(["p", "q", "r"])}  # same ids
        with v1.variable_scope("dnn"):
            net = canned.dnn.input_layer_v2(features, columns)
        tables = v1.global_variables()
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            out, table = session.run([net, tables[0]])
    assert [v.name for v in tables] == ["first_second_shared_embedding:0"]  # at the root, as the real one's
    assert table.shape == (3, 8)
    np.testing.assert_array_equal(out[:, :8], table)  # first_shared_embedding: one id a row, mean = that row
    np.testing.assert_array_equal(out[:, 8:], table)  # second_shared_embedding: the same rows of the same table
    assert np.abs(table).max() <= 2 / np.sqrt(8)  # truncated normal of stddev 1/sqrt(dimension)


def test_v2_dnn_classifier_trains_with_shared_embeddings_and_leaves_their_table_as_the_real_one(tmp_path):
    columns = _shared_columns() + [fc.numeric_column("x")]
    features = {"first": np.array(["a", "b", "c", "a"]), "second": np.array(["p", "q", "r", "z"]),
                "x": np.array([0.1, -0.2, 0.3, 0.5], np.float32)}

    def train_input_fn():
        return tf.data.Dataset.from_tensor_slices((features, np.array([0, 1, 1, 0]))).repeat().batch(4)

    estimator = canned.DNNClassifierV2([4], columns, model_dir=str(tmp_path), config=config())
    estimator.train(train_input_fn, steps=1)
    before = {n: estimator.get_variable_value(n) for n in estimator.get_variable_names()}
    estimator.train(train_input_fn, steps=3)
    weights = [n for n in estimator.get_variable_names() if not n.startswith("training/")]
    assert weights == ["dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/logits/bias", "dnn/logits/kernel",
                       "first_second_shared_embedding", "global_step"]
    assert estimator.get_variable_value("dnn/hiddenlayer_0/kernel").shape == (8 + 8 + 1, 4)
    assert estimator.get_variable_value("first_second_shared_embedding").shape == (3, 8)
    # The real V2 Estimators' Keras model did not track the table: no slot, never updated (tensorflow#47037).
    assert not [n for n in estimator.get_variable_names() if n.startswith("training/") and "shared" in n]
    np.testing.assert_array_equal(estimator.get_variable_value("first_second_shared_embedding"),
                                  before["first_second_shared_embedding"])
    assert not np.array_equal(estimator.get_variable_value("dnn/hiddenlayer_0/kernel"),
                              before["dnn/hiddenlayer_0/kernel"])
    assert estimator.evaluate(train_input_fn, steps=1)["global_step"] == 4


def test_v1_dnn_classifier_refuses_tf2s_shared_embeddings_as_the_real_one(tmp_path):
    estimator = canned.DNNClassifier([4], _shared_columns(), model_dir=str(tmp_path), config=config())
    with pytest.raises(ValueError, match="SharedEmbeddingColumns are not supported in `linear_model` or `input_layer`"):
        estimator.train(lambda: ({"first": tf.constant(["a"]), "second": tf.constant(["p"])}, tf.constant([1])),
                        steps=1)
