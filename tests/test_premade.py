"""The pre-made DNNClassifier: an Estimator subclass with the real one's keys, metrics and names."""
import numpy as np
import pytest

from support import eval_fn, predict_fn, train_fn
from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.premade import DEFAULT_LEARNING_RATE, DNNClassifier


@pytest.fixture(scope="module")
def premade(tmp_path_factory, iris, columns):
    classifier = DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                               model_dir=str(tmp_path_factory.mktemp("dnn")), config=RunConfig(tf_random_seed=5))
    classifier.train(train_fn(iris), steps=1000)
    return classifier, classifier.evaluate(eval_fn(iris))


def test_premade_is_a_subclass_of_estimator():
    assert issubclass(DNNClassifier, Estimator) and DNNClassifier is not Estimator


def test_premade_learns_iris_with_the_v1_learning_rate(premade):
    classifier, result = premade
    assert DEFAULT_LEARNING_RATE == 0.05
    assert result["accuracy"] >= 0.93
    assert set(result) == {"accuracy", "average_loss", "loss", "global_step"}
    # The head sums the loss over the batch: 'loss' is per batch of 30, 'average_loss' per example
    assert result["loss"] == pytest.approx(30 * result["average_loss"], rel=1e-4)


def test_premade_predictions_have_the_real_keys(premade):
    classifier, _ = premade
    predictions = list(classifier.predict(predict_fn()))
    assert set(predictions[0]) == {"logits", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes"}
    assert [data.SPECIES[p["class_ids"][0]] for p in predictions] == data.EXPECTED
    assert [p["classes"][0] for p in predictions] == [b"0", b"1", b"2"]
    assert list(predictions[0]["all_class_ids"]) == [0, 1, 2]
    np.testing.assert_allclose([p["probabilities"].sum() for p in predictions], 1, rtol=1e-5)


def test_premade_variables_are_named_like_the_v1_dnn(premade):
    names = set(premade[0].get_variable_names())
    assert {"dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_1/bias", "dnn/logits/kernel", "global_step"} <= names


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_units": []}, "hidden_units is empty"),
    ({"hidden_units": [10, -1]}, r"hidden_units\[1\] = -1"),
    ({"n_classes": 1}, "n_classes must be an integer >= 2"),
    ({"optimizer": "Adadelta"}, "optimizer 'Adadelta' is not one of"),
    ({"learning_rate": 0}, "learning_rate must be > 0"),
    ({"feature_columns": []}, "feature_columns is empty"),
    ({"dropout": 1.5}, r"dropout must be in \[0, 1\)"),
])
def test_premade_refuses_bad_configuration_at_construction(columns, tmp_path, kwargs, message):
    arguments = {"hidden_units": [10], "feature_columns": columns, "n_classes": 3, "model_dir": str(tmp_path)}
    with pytest.raises(ValueError, match=message):
        DNNClassifier(**{**arguments, **kwargs})
