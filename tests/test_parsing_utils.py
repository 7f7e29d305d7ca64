"""`classifier_parse_example_spec` and `regressor_parse_example_spec` (both namespaces), as the real TF 2.15 ones.

The spec is the feature columns' own `make_parse_example_spec` plus the label's `FixedLenFeature` (and the
weight's); the errors are the real ones (`tests/test_parity_parsing_and_hooks.py` compares them with the real
functions).
"""
import pytest
import tensorflow as tf

import iris_lib.estimator_shim  # noqa: F401
import iris_lib.tf1
from iris_lib.estimator.canned import parsing_utils

v1 = tf.compat.v1
fc = v1.feature_column
NAMESPACES = {"tf.estimator": tf.estimator, "tf.compat.v1.estimator": iris_lib.tf1.estimator}


def columns():
    return [fc.numeric_column("a", shape=(2,)), fc.categorical_column_with_vocabulary_list("b", ["x", "y"]),
            fc.bucketized_column(fc.numeric_column("c"), [0.0, 1.0]),
            fc.embedding_column(fc.categorical_column_with_hash_bucket("d", 10), 3)]


def test_each_namespace_has_the_real_function():
    assert tf.estimator.classifier_parse_example_spec is parsing_utils.classifier_parse_example_spec_v2
    assert tf.estimator.regressor_parse_example_spec is parsing_utils.regressor_parse_example_spec_v2
    assert iris_lib.tf1.estimator.classifier_parse_example_spec is parsing_utils.classifier_parse_example_spec
    assert iris_lib.tf1.estimator.regressor_parse_example_spec is parsing_utils.regressor_parse_example_spec


@pytest.mark.parametrize("namespace", NAMESPACES.values(), ids=NAMESPACES.keys())
def test_classifier_spec_is_the_features_plus_an_int64_label(namespace):
    spec = namespace.classifier_parse_example_spec(columns(), label_key="species")
    assert spec == {**fc.make_parse_example_spec(columns()),
                    "species": tf.io.FixedLenFeature((1,), tf.int64, None)}
    assert spec["a"] == tf.io.FixedLenFeature((2,), tf.float32, None)
    assert spec["b"] == tf.io.VarLenFeature(tf.string)


@pytest.mark.parametrize("namespace", NAMESPACES.values(), ids=NAMESPACES.keys())
def test_regressor_spec_has_a_float_label_of_label_dimension(namespace):
    spec = namespace.regressor_parse_example_spec(columns(), "y", label_dimension=3, label_default=(0.0, 1.0, 2.0))
    assert spec["y"] == tf.io.FixedLenFeature((3,), tf.float32, (0.0, 1.0, 2.0))
    assert namespace.regressor_parse_example_spec(columns(), "y")["y"] == tf.io.FixedLenFeature((1,), tf.float32)


@pytest.mark.parametrize("namespace", NAMESPACES.values(), ids=NAMESPACES.keys())
def test_a_weight_column_adds_its_own_spec(namespace):
    by_key = namespace.classifier_parse_example_spec(columns(), "label", label_dtype=tf.string, label_default="z",
                                                     weight_column="w")
    assert by_key["label"] == tf.io.FixedLenFeature((1,), tf.string, "z")
    assert by_key["w"] == tf.io.FixedLenFeature((1,), tf.float32)
    by_column = namespace.regressor_parse_example_spec(columns(), "label",
                                                       weight_column=fc.numeric_column("w", dtype=tf.float64))
    assert by_column["w"] == tf.io.FixedLenFeature((1,), tf.float64)


@pytest.mark.parametrize("namespace", NAMESPACES.values(), ids=NAMESPACES.keys())
def test_the_real_errors(namespace):
    classifier = namespace.classifier_parse_example_spec
    with pytest.raises(ValueError, match=r"^label should not be used as feature. label_key: a, features: "
                                         r"dict_keys\(\['a', 'b', 'c', 'd'\]\)$"):
        classifier(columns(), "a")
    with pytest.raises(ValueError, match=r"^weight_column should not be used as feature. weight_column: c, "
                                         r"features: dict_keys\(\['a', 'b', 'c', 'd', 'label'\]\)$"):
        classifier(columns(), "label", weight_column="c")
    with pytest.raises(ValueError, match=r"^weight_column should be an instance of tf.feature_column.numeric_column. "
                                         r"Given type: <class 'int'> value: 3$"):
        namespace.regressor_parse_example_spec(columns(), "label", weight_column=3)
    with pytest.raises(ValueError, match="weight_column should be an instance of .*IdentityCategoricalColumn"):
        classifier([], "label", weight_column=fc.categorical_column_with_identity("w", 3))
    kind = "FeatureColumn" if namespace is tf.estimator else "_FeatureColumn"
    with pytest.raises(ValueError, match=rf"^All feature_columns must be {kind} instances. Given: e$"):
        classifier(columns() + ["e"], "label")


def test_parsing_examples_with_the_spec_gives_features_and_label():
    example = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0])),
        "c": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5])),
        "w": tf.train.Feature(float_list=tf.train.FloatList(value=[3.0])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[2]))}))
    spec = tf.estimator.classifier_parse_example_spec(
        [fc.numeric_column("a", shape=(2,)), fc.numeric_column("c")], "label", weight_column="w")
    with tf.Graph().as_default(), v1.Session() as session:
        parsed = session.run(v1.io.parse_example([example.SerializeToString()] * 2, spec))
    assert parsed["a"].tolist() == [[1.0, 2.0]] * 2
    assert parsed["label"].tolist() == [[2], [2]]
    assert parsed["w"].tolist() == [[3.0], [3.0]]
