"""The canned Estimators (`iris_lib.estimator.canned`): real behaviour on small synthetic problems.

Names, keys and numbers against the real TF 2.15 classes: tests/test_parity_layers_canned.py.
"""
import inspect

import numpy as np
import pytest
import tensorflow as tf

from iris_lib import premade
from iris_lib.estimator import Estimator, RunConfig, canned
from iris_lib.estimator.canned import head as head_lib
from iris_lib.estimator.canned import optimizers

fc = tf.compat.v1.feature_column
v1 = tf.compat.v1

RNG = np.random.RandomState(0)
N = 200
TABLE = {
    "age": RNG.uniform(18, 80, N).astype(np.float32),
    "city": np.array(["paris", "rome", "oslo"])[RNG.randint(0, 3, N)],
    "group": RNG.randint(0, 4, N).astype(np.int64),
    "tag": np.array(["a", "b", "c", "d", "e"])[RNG.randint(0, 5, N)],
}
# Old people in Oslo or young people elsewhere: needs the age buckets crossed with the city.
BINARY = ((TABLE["age"] > 50) == (TABLE["city"] == "oslo")).astype(np.int64)
THREE = TABLE["group"] % 3
TARGET = (0.05 * TABLE["age"] + np.where(TABLE["city"] == "rome", 2.0, 0.0)).astype(np.float32)


def input_fn(labels, batch_size=50, epochs=None, features=None):
    def fn():
        data = dict(TABLE) if features is None else features
        dataset = tf.data.Dataset.from_tensor_slices((data, labels) if labels is not None else data)
        return dataset.repeat(epochs).batch(batch_size)
    return fn


def linear_columns():
    age = fc.numeric_column("age")
    city = fc.categorical_column_with_vocabulary_list("city", ["paris", "rome", "oslo"])
    buckets = fc.bucketized_column(age, [30.0, 50.0, 65.0])
    return [age, city, buckets, fc.crossed_column([buckets, city], 20),
            fc.categorical_column_with_identity("group", 4), fc.categorical_column_with_hash_bucket("tag", 5)]


def dnn_columns():
    city = fc.categorical_column_with_vocabulary_list("city", ["paris", "rome", "oslo"])
    return [fc.numeric_column("age", normalizer_fn=lambda x: (x - 50) / 20), fc.embedding_column(city, 2),
            fc.indicator_column(fc.categorical_column_with_identity("group", 4))]


def config():
    return RunConfig(tf_random_seed=1, save_checkpoints_steps=None, save_checkpoints_secs=3600)


def trained(estimator, labels, steps=200):
    before = estimator.evaluate(input_fn(labels, epochs=1))
    estimator.train(input_fn(labels), steps=steps)
    return before, estimator.evaluate(input_fn(labels, epochs=1))


def test_the_classes_are_estimators_and_premade_reexports_them():
    for name, cls in canned.V1_CLASSES.items():
        assert issubclass(cls, Estimator) and cls.__name__ == name
        assert issubclass(canned.V2_CLASSES[name], cls) and canned.V2_CLASSES[name].__name__ == name + "V2"
    assert premade.DNNClassifier is canned.DNNClassifier and premade.LinearClassifier is canned.LinearClassifier
    assert premade.DEFAULT_LEARNING_RATE == 0.05


def test_linear_classifier_learns_a_crossed_feature(tmp_path):
    classifier = canned.LinearClassifier(linear_columns(), model_dir=str(tmp_path), config=config())
    before, after = trained(classifier, BINARY, steps=300)
    assert set(after) == {"accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss",
                          "label/mean", "loss", "precision", "prediction/mean", "recall", "global_step"}
    assert before["average_loss"] == pytest.approx(np.log(2), rel=1e-5)  # zero weights: p = 0.5
    assert after["accuracy"] > 0.9 and after["auc"] > 0.95 and after["average_loss"] < 0.5 * before["average_loss"]
    assert after["label/mean"] == pytest.approx(BINARY.mean(), rel=1e-5)
    assert after["accuracy_baseline"] == pytest.approx(max(BINARY.mean(), 1 - BINARY.mean()), rel=1e-5)
    assert after["loss"] == pytest.approx(50 * after["average_loss"], rel=1e-4)  # V1: summed over the batch
    names = set(classifier.get_variable_names())
    assert {"linear/linear_model/age/weights", "linear/linear_model/city/weights",
            "linear/linear_model/age_bucketized_X_city/weights", "linear/linear_model/group/weights",
            "linear/linear_model/tag/weights", "linear/linear_model/bias_weights"} <= names
    assert classifier.get_variable_value("linear/linear_model/age_bucketized_X_city/weights").shape == (20, 1)
    prediction = next(iter(classifier.predict(input_fn(None, epochs=1))))
    assert set(prediction) == {"logits", "logistic", "probabilities", "class_ids", "classes", "all_class_ids",
                               "all_classes"}
    assert prediction["probabilities"][1] == pytest.approx(prediction["logistic"][0], rel=1e-5)


def test_linear_regressor_fits_and_reports_label_and_prediction_means(tmp_path):
    regressor = canned.LinearRegressor(linear_columns()[:2], model_dir=str(tmp_path), config=config(),
                                       optimizer="Adam", learning_rate=0.1)
    before, after = trained(regressor, TARGET, steps=400)
    assert set(after) == {"average_loss", "label/mean", "loss", "prediction/mean", "global_step"}
    assert after["average_loss"] < 0.1 * before["average_loss"]
    assert after["label/mean"] == pytest.approx(TARGET.mean(), rel=1e-5)
    assert after["prediction/mean"] == pytest.approx(TARGET.mean(), rel=0.05)
    assert set(next(iter(regressor.predict(input_fn(None, epochs=1))))) == {"predictions"}


def test_dnn_regressor_fits(tmp_path):
    regressor = canned.DNNRegressor([8, 4], dnn_columns(), model_dir=str(tmp_path), config=config(),
                                    learning_rate=0.1)
    before, after = trained(regressor, TARGET)
    assert set(after) == {"average_loss", "label/mean", "loss", "prediction/mean", "global_step"}
    assert after["average_loss"] < 0.2 * before["average_loss"]


def test_dnn_regressor_with_batch_norm_updates_its_moving_averages(tmp_path):
    regressor = canned.DNNRegressor([8, 4], dnn_columns(), model_dir=str(tmp_path), batch_norm=True,
                                    config=config(), learning_rate=0.1)
    regressor.train(input_fn(TARGET), steps=50)
    names = set(regressor.get_variable_names())
    # momentum 0.999, as the real DNN: after 50 steps the averages have moved ~5% of the way
    assert not np.allclose(regressor.get_variable_value("dnn/hiddenlayer_1/batchnorm_1/moving_variance"), 1.0)
    assert {"dnn/hiddenlayer_0/batchnorm_0/gamma", "dnn/hiddenlayer_1/batchnorm_1/moving_variance",
            "dnn/input_from_feature_columns/input_layer/city_embedding/embedding_weights",
            "dnn/logits/kernel"} <= names
    assert np.abs(regressor.get_variable_value("dnn/hiddenlayer_0/batchnorm_0/moving_mean")).sum() > 0


def test_dnn_classifier_dropout_and_three_classes(tmp_path):
    classifier = canned.DNNClassifier([16], dnn_columns(), model_dir=str(tmp_path), n_classes=3, dropout=0.1,
                                      config=config())
    _, after = trained(classifier, THREE)
    assert set(after) == {"accuracy", "average_loss", "loss", "global_step"}
    assert after["accuracy"] > 0.9  # the class is group % 3, one indicator column away
    assert list(next(iter(classifier.predict(input_fn(None, epochs=1))))["all_classes"]) == [b"0", b"1", b"2"]


def test_wide_and_deep_trains_both_parts_and_counts_each_step_once(tmp_path):
    classifier = canned.DNNLinearCombinedClassifier(
        model_dir=str(tmp_path), linear_feature_columns=linear_columns(), dnn_feature_columns=dnn_columns(),
        dnn_hidden_units=[8], config=config())
    classifier.train(input_fn(BINARY), steps=50)
    assert classifier.get_variable_value("global_step") == 50
    names = set(classifier.get_variable_names())
    assert {"linear/linear_model/city/weights", "linear/linear_model/city/weights/Ftrl",
            "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_0/kernel/Adagrad"} <= names
    assert np.abs(classifier.get_variable_value("linear/linear_model/city/weights")).sum() > 0


def test_float_labels_are_refused_not_truncated(tmp_path):
    classifier = canned.DNNClassifier([4], dnn_columns(), model_dir=str(tmp_path), n_classes=3, config=config())
    with pytest.raises(ValueError, match=r"Labels dtype should be integer\. Instead got float(32|64).*2\.9 would become "
                                         r"class 2.*labels\.astype\(int\)"):
        classifier.train(input_fn(THREE + 0.9), steps=1)
    assert classifier.latest_checkpoint() is None  # nothing was trained or written


def test_labels_out_of_range_stop_training_with_the_reason(tmp_path):
    classifier = canned.DNNClassifier([4], dnn_columns(), model_dir=str(tmp_path), n_classes=3, config=config())
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Labels must <= n_classes - 1"):
        classifier.train(input_fn(THREE + 1), steps=5)


def test_string_labels_with_a_label_vocabulary(tmp_path):
    names = np.array(["no", "yes"])[BINARY]
    classifier = canned.LinearClassifier(linear_columns(), model_dir=str(tmp_path), n_classes=2,
                                         label_vocabulary=["no", "yes"], config=config())
    _, after = trained(classifier, names, steps=300)
    assert after["accuracy"] > 0.9
    prediction = next(iter(classifier.predict(input_fn(None, epochs=1))))
    assert prediction["classes"][0] == names[0].encode() and list(prediction["all_classes"]) == [b"no", b"yes"]
    with pytest.raises(ValueError, match="Labels dtype should be string if there is a vocabulary"):
        classifier.train(input_fn(BINARY), steps=1)


def test_weight_column_weights_the_loss(tmp_path):
    weights = (TABLE["age"] > 50).astype(np.float32)  # only the old count
    features = {**TABLE, "w": weights}
    classifier = canned.LinearClassifier(linear_columns()[:2], model_dir=str(tmp_path), weight_column="w",
                                         config=config())
    classifier.train(input_fn(BINARY, features=features), steps=50)
    result = classifier.evaluate(input_fn(BINARY, epochs=1, features=features))
    assert result["label/mean"] == pytest.approx(BINARY[weights > 0].mean(), rel=1e-5)


def test_v2_classes_average_the_loss_and_default_to_adagrad_at_0_001(tmp_path):
    classifier = canned.DNNClassifierV2([8], dnn_columns(), model_dir=str(tmp_path / "v2"), n_classes=3,
                                        config=config())
    result = trained(classifier, THREE, steps=20)[1]
    assert result["loss"] == pytest.approx(result["average_loss"], rel=1e-4)  # SUM_OVER_BATCH_SIZE
    optimizer = optimizers.get_optimizer_instance_v2("Adagrad")
    assert isinstance(optimizer, optimizers.AdagradV2Optimizer) and optimizer._learning_rate == 0.001
    assert optimizers.get_optimizer_instance("Adagrad", 0.05)._learning_rate == 0.05


@pytest.mark.parametrize("make", [
    lambda: canned.DNNClassifier([8], dnn_columns(), n_classes=3),
    lambda: canned.DNNClassifierV2([8], dnn_columns(), n_classes=3),
    lambda: canned.DNNRegressor([8], dnn_columns()),
    lambda: canned.LinearClassifier(dnn_columns(), n_classes=3),
    lambda: canned.LinearRegressorV2(dnn_columns()),
    lambda: canned.DNNLinearCombinedClassifier(dnn_feature_columns=dnn_columns(), dnn_hidden_units=[4]),
], ids=["DNNClassifier", "DNNClassifierV2", "DNNRegressor", "LinearClassifier", "LinearRegressorV2",
        "DNNLinearCombinedClassifier"])
def test_canned_settings_live_in_the_model_fn_as_in_the_real_ones(make):
    """The real canned Estimators close over their arguments: `params` is {} and model_fn takes config."""
    estimator = make()
    assert estimator.params == {}
    assert str(inspect.signature(estimator.model_fn)) == "(features, labels, mode, config)"
    assert set(inspect.signature(estimator._model_fn).parameters) == {"features", "labels", "mode", "config"}


def test_adagrad_v2_applies_the_keras_update_with_epsilon():
    graph = tf.Graph()
    with graph.as_default():
        var = v1.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        step = optimizers.AdagradV2Optimizer(0.1).apply_gradients([(tf.constant([0.5, 1e-4]), var)])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            session.run(step)
            value = session.run(var)
    accumulator = 0.1 + np.array([0.5, 1e-4]) ** 2
    np.testing.assert_allclose(value, [1.0, 2.0] - 0.1 * np.array([0.5, 1e-4]) / (np.sqrt(accumulator) + 1e-7),
                               rtol=1e-6)


@pytest.mark.parametrize("name, hyperparameters, slots", [
    ("Adagrad", ["decay", "learning_rate"], ["accumulator"]),
    ("Adam", ["beta_1", "beta_2", "decay", "learning_rate"], ["m", "v"]),
    ("RMSProp", ["decay", "learning_rate", "momentum", "rho"], ["rms"]),
    ("Ftrl", ["beta", "decay", "l1_regularization_strength", "l2_regularization_strength", "learning_rate",
              "learning_rate_power"], ["accumulator", "linear"]),
    ("SGD", ["decay", "learning_rate", "momentum"], []),
])
def test_v2_optimizers_keep_keras_2s_variables_and_read_their_hyperparameters_from_them(name, hyperparameters, slots):
    """As the real V2 classes' Keras 2 optimizers: `training/<name>/<hyperparameter>` variables that the update
    reads (so a checkpoint's learning rate is the one used) and slots `training/<name>/<variable>/<slot>`."""
    def one_step(rate, loaded_rate=None):
        with tf.Graph().as_default():
            v1.train.create_global_step()
            var = v1.get_variable("w", initializer=tf.constant([1.0, 2.0]), use_resource=True)
            optimizer = optimizers.get_optimizer_instance_v2(name, rate)
            step = optimizer.apply_gradients([(tf.constant([0.5, -0.25]), var)], global_step=v1.train.get_global_step())
            scope = f"training/{optimizer.get_name()}"
            assert sorted(v.op.name for v in v1.global_variables() if v.op.name.startswith(scope)) == sorted(
                [f"{scope}/{h}" for h in hyperparameters] + [f"{scope}/w/{s}" for s in slots])
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                if loaded_rate is not None:  # as a restore would
                    variable, = [v for v in v1.global_variables() if v.op.name == f"{scope}/learning_rate"]
                    variable.load(loaded_rate, session)
                session.run(step)
                return session.run(var)
    moved_at_01 = one_step(0.1)
    np.testing.assert_array_equal(one_step(0.1, loaded_rate=0.05), one_step(0.05))
    assert not np.array_equal(one_step(0.05), moved_at_01)


def test_v1_slots_are_saved_under_the_real_keys_and_resumed_from_them(tmp_path):
    """The real V1 DNN and linear models saved their slots as parts of one-part weights: `.../kernel/t_0/Adam`,
    `.../weights/part_0/Ftrl`, Adam's powers in `dnn/head/`. Ours save theirs there and read them back."""
    dnn = canned.DNNClassifier([4], dnn_columns(), model_dir=str(tmp_path / "dnn"), n_classes=3, optimizer="Adam",
                               config=config())
    linear = canned.LinearClassifier(linear_columns(), model_dir=str(tmp_path / "linear"), config=config())
    for estimator, labels in ((dnn, THREE), (linear, BINARY)):
        estimator.train(input_fn(labels), steps=2)
    dnn_names, linear_names = set(dnn.get_variable_names()), set(linear.get_variable_names())
    assert {"dnn/hiddenlayer_0/kernel/t_0/Adam", "dnn/hiddenlayer_0/kernel/t_0/Adam_1", "dnn/logits/bias/t_0/Adam",
            "dnn/input_from_feature_columns/input_layer/city_embedding/embedding_weights/t_0/Adam",
            "dnn/head/beta1_power", "dnn/head/beta2_power"} <= dnn_names
    assert not any(name.endswith("kernel/Adam") for name in dnn_names)
    assert {"linear/linear_model/age/weights/part_0/Ftrl", "linear/linear_model/bias_weights/part_0/Ftrl_1"} <= \
        linear_names
    beta1_power = dnn.get_variable_value("dnn/head/beta1_power")
    accumulator = linear.get_variable_value("linear/linear_model/age/weights/part_0/Ftrl")
    for estimator, labels in ((dnn, THREE), (linear, BINARY)):
        estimator.train(input_fn(labels), steps=1)
    # restored, not started afresh: Adam's power is 0.9 ** 3 after the third step, Ftrl's accumulator grew
    assert dnn.get_variable_value("dnn/head/beta1_power") == pytest.approx(beta1_power * 0.9)
    assert np.all(linear.get_variable_value("linear/linear_model/age/weights/part_0/Ftrl") >= accumulator)
    assert dnn.get_variable_value("global_step") == linear.get_variable_value("global_step") == 3


@pytest.mark.parametrize("make, error, message", [
    (lambda: canned.DNNClassifier([4], dnn_columns(), n_classes=1), ValueError, "n_classes must be an integer >= 2"),
    (lambda: canned.DNNClassifier([], dnn_columns()), ValueError, "hidden_units is empty"),
    (lambda: canned.DNNClassifier([4], [], n_classes=3), ValueError, "feature_columns is empty"),
    (lambda: canned.DNNRegressor([4], dnn_columns(), dropout=1.0), ValueError, r"dropout must be in \[0, 1\)"),
    (lambda: canned.DNNClassifier([4], dnn_columns(), optimizer="Adadelta"), ValueError,
     "optimizer 'Adadelta' is not one of"),
    (lambda: canned.DNNClassifier([4], dnn_columns(), optimizer=object()), ValueError,
     "not an Optimizer instance"),
    (lambda: canned.LinearClassifier(linear_columns(), sparse_combiner="max"), ValueError,
     "sparse_combiner must be one of"),
    (lambda: canned.LinearClassifier(linear_columns(), loss_reduction="none"), ValueError, "Invalid loss_reduction"),
    (lambda: canned.LinearClassifier(linear_columns(), label_vocabulary=["a", "b", "c"]), ValueError,
     "label_vocabulary has 3 entries but n_classes is 2"),
    (lambda: canned.DNNLinearCombinedClassifier(), ValueError, "Either linear_feature_columns or dnn_feature_columns"),
    (lambda: canned.DNNLinearCombinedClassifier(dnn_feature_columns=dnn_columns()), ValueError,
     "dnn_hidden_units must be defined"),
    (lambda: head_lib.RegressionHead(label_dimension=0), ValueError, "Invalid label_dimension"),
])
def test_bad_configuration_fails_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_missing_feature_keys_are_named(tmp_path):
    classifier = canned.LinearClassifier(linear_columns(), model_dir=str(tmp_path), config=config())
    features = {k: v for k, v in TABLE.items() if k != "city"}
    with pytest.raises(KeyError, match=r"features lack the keys \['city'\].*provided \['age', 'group', 'tag'\]"):
        classifier.train(input_fn(BINARY, features=features), steps=1)


# ----- export_saved_model: the real heads' signatures ------------------------------------------------------

SERVED = 5  # the first rows of TABLE, as serialized tf.Examples


def serialized_examples(rows=SERVED):
    def feature(value):
        if isinstance(value, str):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        if isinstance(value, (int, np.integer)):
            return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
        return tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
    return tf.constant([tf.train.Example(features=tf.train.Features(feature={
        key: feature(column[i].item() if isinstance(column[i], np.generic) else str(column[i]))
        for key, column in TABLE.items()})).SerializeToString() for i in range(rows)])


def exported_and_predicted(estimator, columns, tmp_path):
    """export_saved_model with a parsing receiver, loaded back in TF 2; and predict() on the same rows."""
    from iris_lib.estimator.export import export_lib

    receiver = export_lib.build_parsing_serving_input_receiver_fn(fc.make_parse_example_spec(columns))
    export_dir = estimator.export_saved_model(str(tmp_path / "export"), receiver).decode()
    signatures = tf.saved_model.load(export_dir).signatures
    rows = {key: column[:SERVED] for key, column in TABLE.items()}
    predictions = list(estimator.predict(input_fn(None, batch_size=SERVED, epochs=1, features=rows)))
    predicted = {key: np.stack([p[key] for p in predictions]) for key in predictions[0]}
    return signatures, predicted


def serve(signatures, name):
    signature = signatures[name]
    feeds = {"inputs" if "inputs" in signature.structured_input_signature[1] else "examples": serialized_examples()}
    return {key: value.numpy() for key, value in signature(**feeds).items()}


def assert_predict_signature_is_predict(signatures, predicted):
    served = serve(signatures, "predict")
    assert sorted(served) == sorted(predicted)
    for key, value in predicted.items():
        if value.dtype.kind in "SO":
            np.testing.assert_array_equal(served[key], value, err_msg=key)
        else:
            np.testing.assert_allclose(served[key], value, rtol=1e-6, atol=1e-6, err_msg=key)


def test_a_multi_class_classifier_exports_classify_and_predict_signatures(tmp_path):
    columns = dnn_columns()
    names = np.array(["low", "mid", "high"])[THREE]
    classifier = canned.DNNClassifier([8], columns, model_dir=str(tmp_path / "model"), n_classes=3,
                                      label_vocabulary=["low", "mid", "high"], config=config())
    classifier.train(input_fn(names), steps=20)
    signatures, predicted = exported_and_predicted(classifier, columns, tmp_path)
    assert sorted(signatures) == ["classification", "predict", "serving_default"]
    for name in ("serving_default", "classification"):
        served = serve(signatures, name)
        assert sorted(served) == ["classes", "scores"]
        # every class name on every row, as ClassificationOutput wants them, not the predicted class
        np.testing.assert_array_equal(served["classes"], np.tile([b"low", b"mid", b"high"], (SERVED, 1)))
        np.testing.assert_allclose(served["scores"], predicted["probabilities"], rtol=1e-6, atol=1e-6)
    assert_predict_signature_is_predict(signatures, predicted)


def test_a_binary_classifier_also_exports_a_regression_signature_of_the_logistic(tmp_path):
    columns = linear_columns()
    classifier = canned.LinearClassifierV2(columns, model_dir=str(tmp_path / "model"), config=config())
    classifier.train(input_fn(BINARY), steps=20)
    signatures, predicted = exported_and_predicted(classifier, columns, tmp_path)
    assert sorted(signatures) == ["classification", "predict", "regression", "serving_default"]
    served = serve(signatures, "serving_default")
    np.testing.assert_array_equal(served["classes"], np.tile([b"0", b"1"], (SERVED, 1)))
    np.testing.assert_allclose(served["scores"], predicted["probabilities"], rtol=1e-6, atol=1e-6)
    regressed = serve(signatures, "regression")
    assert sorted(regressed) == ["outputs"]
    np.testing.assert_allclose(regressed["outputs"], predicted["logistic"], rtol=1e-6, atol=1e-6)
    assert_predict_signature_is_predict(signatures, predicted)


@pytest.mark.parametrize("make", [canned.DNNRegressor, canned.DNNRegressorV2])
def test_a_regressor_exports_regress_and_predict_signatures(make, tmp_path):
    columns = dnn_columns()
    regressor = make([8], columns, model_dir=str(tmp_path / "model"), config=config())
    regressor.train(input_fn(TARGET), steps=20)
    signatures, predicted = exported_and_predicted(regressor, columns, tmp_path)
    assert sorted(signatures) == ["predict", "regression", "serving_default"]
    for name in ("serving_default", "regression"):
        served = serve(signatures, name)
        assert sorted(served) == ["outputs"]
        np.testing.assert_allclose(served["outputs"], predicted["predictions"], rtol=1e-6, atol=1e-6)
    assert_predict_signature_is_predict(signatures, predicted)
