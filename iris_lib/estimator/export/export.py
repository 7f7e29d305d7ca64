"""What a serving_input_receiver_fn returns, and the two builders of such functions.

Ported from the real `tensorflow_estimator/python/estimator/export/export.py`: a receiver names the
placeholders a SavedModel is fed through (`receiver_tensors`, the signature's inputs) and the features
the model_fn sees (`features`). The names (`examples`, `input_example_tensor`, `feature`, `input`) are
the real ones, because serving clients address a signature by them.
"""
from __future__ import annotations

import collections

import tensorflow as tf
from tensorflow.python.saved_model.model_utils.export_utils import (
    SINGLE_FEATURE_DEFAULT_NAME,
    SINGLE_LABEL_DEFAULT_NAME,
    SINGLE_RECEIVER_DEFAULT_NAME,
)

v1 = tf.compat.v1

_SINGLE_TENSOR_DEFAULT_NAMES = {
    "feature": SINGLE_FEATURE_DEFAULT_NAME,
    "label": SINGLE_LABEL_DEFAULT_NAME,
    "receiver_tensor": SINGLE_RECEIVER_DEFAULT_NAME,
    "receiver_tensors_alternative": SINGLE_RECEIVER_DEFAULT_NAME,
}


def wrap_and_check_input_tensors(tensors, field_name: str, allow_int_keys: bool = False) -> dict:
    """A dict of name -> tensor; a single tensor is wrapped under the field's default name."""
    if tensors is None:
        raise ValueError(f"{field_name}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_SINGLE_TENSOR_DEFAULT_NAMES[field_name]: tensors}
    for name, tensor in tensors.items():
        _check_tensor_key(name, field_name, allow_int_keys)
        _check_tensor(tensor, name, field_name)
    return tensors


def _check_tensor(tensor, name, error_label: str = "feature") -> None:
    if not isinstance(tensor, (tf.Tensor, tf.SparseTensor, tf.RaggedTensor)):
        where = f" {name}" if name else ""
        raise ValueError(
            f"{error_label}{where} must be a Tensor, SparseTensor, or RaggedTensor, got {type(tensor).__name__}: "
            "create it inside the serving_input_receiver_fn, e.g. with tf.compat.v1.placeholder"
        )


def _check_tensor_key(name, error_label: str = "feature", allow_ints: bool = False) -> None:
    if isinstance(name, str) or (allow_ints and isinstance(name, int) and not isinstance(name, bool)):
        return
    kinds = "strings or ints" if allow_ints else "strings"
    raise ValueError(f"{error_label} keys must be {kinds}: {name!r}.")


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a serving_input_receiver_fn returns: the fed tensors and the features the model_fn gets.

    A single `features` tensor is wrapped as `{'feature': tensor}` (use `TensorServingInputReceiver`
    to pass it as is); each `receiver_tensors_alternatives` entry adds a signature of its own.
    """

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        if receiver_tensors_alternatives is not None:
            if not isinstance(receiver_tensors_alternatives, dict):
                raise ValueError(
                    f"receiver_tensors_alternatives must be a dict: {receiver_tensors_alternatives}.")
            for alternative, tensors in list(receiver_tensors_alternatives.items()):
                receiver_tensors_alternatives[alternative] = wrap_and_check_input_tensors(
                    tensors, "receiver_tensors_alternative")
        return super().__new__(cls, features=features, receiver_tensors=receiver_tensors,
                               receiver_tensors_alternatives=receiver_tensors_alternatives)


class TensorServingInputReceiver(collections.namedtuple(
        "TensorServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """As `ServingInputReceiver`, for a model_fn that takes one tensor as its features, not a dict."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        _check_tensor(features, None)
        receiver = ServingInputReceiver(features, receiver_tensors, receiver_tensors_alternatives)
        return super().__new__(cls, features=receiver.features[SINGLE_FEATURE_DEFAULT_NAME],
                               receiver_tensors=receiver.receiver_tensors,
                               receiver_tensors_alternatives=receiver.receiver_tensors_alternatives)


class UnsupervisedInputReceiver(ServingInputReceiver):
    """Features without labels, for exporting a TRAIN or EVAL graph (`experimental_mode`)."""

    def __new__(cls, features, receiver_tensors):
        return super().__new__(cls, features=features, receiver_tensors=receiver_tensors,
                               receiver_tensors_alternatives=None)


class SupervisedInputReceiver(collections.namedtuple(
        "SupervisedInputReceiver", ["features", "labels", "receiver_tensors"])):
    """Features and labels, for exporting a TRAIN or EVAL graph (`experimental_mode`)."""

    def __new__(cls, features, labels, receiver_tensors):
        wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        wrap_and_check_input_tensors(labels, "label", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        return super().__new__(cls, features=features, labels=labels, receiver_tensors=receiver_tensors)


def build_parsing_serving_input_receiver_fn(feature_spec: dict, default_batch_size: int | None = None):
    """A serving_input_receiver_fn fed serialized `tf.Example`s (input key `examples`), parsed by feature_spec.

    `feature_spec` maps names to `FixedLenFeature`/`VarLenFeature`, e.g. from
    `tf.feature_column.make_parse_example_spec(columns)`.
    """

    def serving_input_receiver_fn():
        serialized = v1.placeholder(dtype=tf.string, shape=[default_batch_size], name="input_example_tensor")
        features = v1.io.parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})

    return serving_input_receiver_fn


def _placeholder_from_tensor(t, default_batch_size=None):
    """A placeholder of t's dtype and shape (batch dimension replaced), named after t's op."""
    shape = tf.TensorShape([default_batch_size]).concatenate(t.get_shape()[1:])
    try:
        name = t.op.name
    except AttributeError:  # eager tensors have no op
        name = None
    return v1.placeholder(dtype=t.dtype, shape=shape, name=name)


def build_raw_serving_input_receiver_fn(features: dict, default_batch_size: int | None = None):
    """A serving_input_receiver_fn fed the features themselves, one placeholder per feature.

    `features` maps names to example tensors (e.g. `tf.constant([[5.1]])`, or a placeholder) whose dtype
    and shape (beyond the batch dimension) the placeholders copy.
    """

    def serving_input_receiver_fn():
        receiver_tensors = {name: _placeholder_from_tensor(t, default_batch_size) for name, t in features.items()}
        return ServingInputReceiver(receiver_tensors, receiver_tensors)

    return serving_input_receiver_fn


def build_raw_supervised_input_receiver_fn(features, labels, default_batch_size: int | None = None):
    """A receiver fn of placeholders for features and labels, for exporting a TRAIN or EVAL graph."""
    feature_keys = features.keys() if isinstance(features, dict) else [SINGLE_RECEIVER_DEFAULT_NAME]
    label_keys = labels.keys() if isinstance(labels, dict) else [SINGLE_LABEL_DEFAULT_NAME]
    overlap = set(feature_keys) & set(label_keys)
    if overlap:
        raise ValueError(f"Features and labels must have distinct keys. Found overlapping keys: {sorted(overlap)}")

    def supervised_input_receiver_fn():
        if isinstance(features, dict):
            feature_placeholders = {k: _placeholder_from_tensor(t, default_batch_size) for k, t in features.items()}
            receivers = dict(feature_placeholders)
        else:
            feature_placeholders = _placeholder_from_tensor(features, default_batch_size)
            receivers = {SINGLE_RECEIVER_DEFAULT_NAME: feature_placeholders}
        if isinstance(labels, dict):
            label_placeholders = {k: _placeholder_from_tensor(t, default_batch_size) for k, t in labels.items()}
            receivers.update(label_placeholders)
        else:
            label_placeholders = _placeholder_from_tensor(labels, default_batch_size)
            receivers[SINGLE_LABEL_DEFAULT_NAME] = label_placeholders
        return SupervisedInputReceiver(feature_placeholders, label_placeholders, receivers)

    return supervised_input_receiver_fn
