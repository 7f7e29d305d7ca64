"""`classifier_parse_example_spec` and `regressor_parse_example_spec`: the `tf.io.parse_example` spec of a model's
features plus its label (and weight), as the real `tensorflow_estimator/python/estimator/canned/parsing_utils.py`.

Plain Python over the feature columns' own `make_parse_example_spec`: `tf.compat.v1.estimator`'s take
`tf.compat.v1.feature_column.make_parse_example_spec` (columns must be `_FeatureColumn`s), TF2's
`tf.estimator`'s (the `_v2` functions) `tf.feature_column.make_parse_example_spec` (`FeatureColumn`s); the
returned dicts and the errors are the real ones.

    spec = tf.estimator.classifier_parse_example_spec(feature_columns, label_key="species")
    features = tf.io.parse_example(serialized, spec)
    labels = features.pop("species")
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.feature_column import feature_column_lib as fc


def classifier_parse_example_spec_v2(feature_columns, label_key, label_dtype=tf.dtypes.int64, label_default=None,
                                     weight_column=None):
    """Generates parsing spec for tf.parse_example to be used with classifiers (TF2's `tf.estimator` one).

    Args:
      feature_columns: An iterable containing all feature columns (`FeatureColumn` instances).
      label_key: A string identifying the label: tf.Example stores labels with this key.
      label_dtype: A `tf.dtype` for the labels, `tf.int64` by default; `tf.string` with a `label_vocabulary`;
        `tf.float32` only for binary classification.
      label_default: used as label if `label_key` does not exist in a given tf.Example; its type should be
        compatible with `label_dtype`.
      weight_column: A string or a `NumericColumn` created by `tf.feature_column.numeric_column`: the
        examples' weights.

    Returns:
      A dict mapping each feature key to a `FixedLenFeature` or `VarLenFeature` value; the label is a
      `FixedLenFeature((1,), label_dtype, label_default)`.

    Raises:
      ValueError: If label or weight_column is used in `feature_columns`, if any of the given
        `feature_columns` is not a `FeatureColumn` instance, or if `weight_column` is not a `NumericColumn`.
    """
    parsing_spec = tf.compat.v2.feature_column.make_parse_example_spec(feature_columns)
    label_spec = tf.io.FixedLenFeature((1,), label_dtype, label_default)
    return _add_label_and_weight_to_parsing_spec(parsing_spec=parsing_spec, label_key=label_key,
                                                 label_spec=label_spec, weight_column=weight_column)


def regressor_parse_example_spec_v2(feature_columns, label_key, label_dtype=tf.dtypes.float32, label_default=None,
                                    label_dimension=1, weight_column=None):
    """Generates parsing spec for tf.parse_example to be used with regressors (TF2's `tf.estimator` one).

    Args:
      feature_columns: An iterable containing all feature columns (`FeatureColumn` instances).
      label_key: A string identifying the label: tf.Example stores labels with this key.
      label_dtype: A `tf.dtype` for the labels, `tf.float32` by default.
      label_default: used as label if `label_key` does not exist in a given tf.Example; by default None,
        which means `tf.parse_example` errors out on a missing label.
      label_dimension: Number of regression targets per example (the last dimension of labels and logits).
      weight_column: A string or a `NumericColumn` created by `tf.feature_column.numeric_column`: the
        examples' weights.

    Returns:
      A dict mapping each feature key to a `FixedLenFeature` or `VarLenFeature` value; the label is a
      `FixedLenFeature((label_dimension,), label_dtype, label_default)`.

    Raises:
      ValueError: If label or weight_column is used in `feature_columns`, if any of the given
        `feature_columns` is not a `FeatureColumn` instance, or if `weight_column` is not a `NumericColumn`.
    """
    parsing_spec = tf.compat.v2.feature_column.make_parse_example_spec(feature_columns)
    label_spec = tf.io.FixedLenFeature((label_dimension,), label_dtype, label_default)
    return _add_label_and_weight_to_parsing_spec(parsing_spec=parsing_spec, label_key=label_key,
                                                 label_spec=label_spec, weight_column=weight_column)


def _add_label_and_weight_to_parsing_spec(parsing_spec, label_key, label_spec, weight_column=None):
    """`parsing_spec` (changed in place and returned) with the label's and the weight's specs added."""
    if label_key in parsing_spec:
        raise ValueError("label should not be used as feature. "
                         "label_key: {}, features: {}".format(label_key, parsing_spec.keys()))
    parsing_spec[label_key] = label_spec

    if weight_column is None:
        return parsing_spec

    if isinstance(weight_column, str):
        weight_column = tf.feature_column.numeric_column(weight_column)

    if not isinstance(weight_column, fc.NumericColumn):
        raise ValueError("weight_column should be an instance of "
                         "tf.feature_column.numeric_column. "
                         "Given type: {} value: {}".format(type(weight_column), weight_column))

    if weight_column.key in parsing_spec:
        raise ValueError("weight_column should not be used as feature. "
                         "weight_column: {}, features: {}".format(weight_column.key, parsing_spec.keys()))

    parsing_spec.update(weight_column.parse_example_spec)
    return parsing_spec


def classifier_parse_example_spec(feature_columns, label_key, label_dtype=tf.dtypes.int64, label_default=None,
                                  weight_column=None):
    parsing_spec = tf.compat.v1.feature_column.make_parse_example_spec(feature_columns)
    label_spec = tf.io.FixedLenFeature((1,), label_dtype, label_default)
    return _add_label_and_weight_to_parsing_spec(parsing_spec=parsing_spec, label_key=label_key,
                                                 label_spec=label_spec, weight_column=weight_column)


classifier_parse_example_spec.__doc__ = classifier_parse_example_spec_v2.__doc__.replace(
    "(TF2's `tf.estimator` one)", "(`tf.compat.v1.estimator`'s)").replace(
    "`FeatureColumn` instance", "`_FeatureColumn` instance").replace(
    "(`FeatureColumn` instances)", "(`_FeatureColumn` instances)")


def regressor_parse_example_spec(feature_columns, label_key, label_dtype=tf.dtypes.float32, label_default=None,
                                 label_dimension=1, weight_column=None):
    parsing_spec = tf.compat.v1.feature_column.make_parse_example_spec(feature_columns)
    label_spec = tf.io.FixedLenFeature((label_dimension,), label_dtype, label_default)
    return _add_label_and_weight_to_parsing_spec(parsing_spec=parsing_spec, label_key=label_key,
                                                 label_spec=label_spec, weight_column=weight_column)


regressor_parse_example_spec.__doc__ = regressor_parse_example_spec_v2.__doc__.replace(
    "(TF2's `tf.estimator` one)", "(`tf.compat.v1.estimator`'s)").replace(
    "`FeatureColumn` instance", "`_FeatureColumn` instance").replace(
    "(`FeatureColumn` instances)", "(`_FeatureColumn` instances)")
