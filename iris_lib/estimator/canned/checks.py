"""Argument checks shared by the canned Estimators: fail at construction, with the fix in the message."""
from __future__ import annotations


def check_hidden_units(hidden_units, what: str = "hidden_units") -> list[int]:
    """A non-empty list of positive layer sizes, e.g. [10, 10]."""
    if isinstance(hidden_units, (str, bytes)) or not hasattr(hidden_units, "__iter__"):
        raise ValueError(f"{what} must be a list of layer sizes such as [10, 10], got {hidden_units!r}")
    units = list(hidden_units)
    if not units:
        raise ValueError(f"{what} is empty: give at least one hidden layer, e.g. [10, 10]")
    for i, n in enumerate(units):
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"{what}[{i}] = {n!r}: every layer needs a positive whole number of units, e.g. [10, 10]")
    return units


def check_feature_columns(feature_columns, what: str = "feature_columns") -> list:
    if feature_columns is None or isinstance(feature_columns, (str, bytes, dict)):
        raise ValueError(f"{what} must be a list of feature columns, e.g. [tf.feature_column.numeric_column('x')], "
                         f"got {feature_columns!r}")
    columns = list(feature_columns) if hasattr(feature_columns, "__iter__") else [feature_columns]
    if not columns:
        raise ValueError(f"{what} is empty: give one column per feature, e.g. numeric_column(key)")
    for column in columns:
        if not hasattr(column, "parse_example_spec") and not hasattr(column, "_parse_example_spec"):
            raise ValueError(f"{what} must hold feature columns (tf.feature_column.*), got {column!r}")
    return columns


def check_dropout(dropout) -> None:
    if dropout is not None and (isinstance(dropout, bool) or not 0 <= dropout < 1):
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def raw_keys(feature_columns) -> list[str]:
    """The feature names the columns read from the input_fn's dict (crossed and bucketized included)."""
    keys: list[str] = []
    for column in feature_columns:
        spec = getattr(column, "parse_example_spec", None)
        if spec is None:
            spec = getattr(column, "_parse_example_spec", {})
        keys += [key for key in spec if key not in keys]
    return keys


def check_feature_keys(features, feature_columns) -> None:
    """Every column needs its key among the features; say which are missing and what is there."""
    if not isinstance(features, dict):
        raise ValueError(f"features should be a dictionary of `Tensor`s. Given type: {type(features)}")
    missing = [key for key in raw_keys(feature_columns) if key not in features]
    if missing:
        raise KeyError(f"features lack the keys {missing} that the feature columns need; "
                       f"the input_fn provided {sorted(features)}")
