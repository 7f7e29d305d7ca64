"""`Layer`: the TensorFlow 1 layer base class (`tf.layers.Layer`), for tf.compat.v1 graphs.

`tf.compat.v1.layers` is built on Keras 2, which TensorFlow 2.21 no longer has (its own refuse to run under
Keras 3), so this base class does what TF1's did with plain `tf.compat.v1.get_variable`: each layer object
opens one variable scope on its first call (`dense`, `dense_1`, ... or the `name` you gave), creates its variables there
(so the checkpoint names are TF1's), and reuses them on later calls. Regularization losses go to
`REGULARIZATION_LOSSES` and batch-norm updates to `UPDATE_OPS`, the collections TF1 programs read.
"""
from __future__ import annotations

import re

import tensorflow as tf

v1 = tf.compat.v1


class Layer:
    """Base class of the TF1 layers: variable scope, variables, losses and updates of one layer."""

    _base_name = "layer"

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None, **kwargs):
        scope, reuse = kwargs.pop("_scope", None), kwargs.pop("_reuse", None)
        kwargs.pop("input_shape", None)  # accepted by TF1 layers (Keras style), meaningless in a graph
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {sorted(kwargs)}")
        if name is not None and not isinstance(name, (str, v1.VariableScope)):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {type(name).__name__}")
        self.trainable = bool(trainable)
        self._scope_arg = scope
        self._reuse = reuse
        self._given_name = name.name if isinstance(name, v1.VariableScope) else name
        self.name = self._given_name or self._base_name
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self._scope = None
        self.built = False
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._losses: list = []
        self._updates: list = []

    # ----- what TF1 programs read ----------------------------------------------------------------

    trainable_weights = property(lambda self: list(self._trainable_weights) if self.trainable else [])
    non_trainable_weights = property(
        lambda self: list(self._non_trainable_weights) + ([] if self.trainable else list(self._trainable_weights)))
    weights = property(lambda self: self.trainable_weights + self.non_trainable_weights)
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    losses = property(lambda self: list(self._losses))
    updates = property(lambda self: list(self._updates))
    dtype = property(lambda self: self._dtype.name if self._dtype is not None else None)
    scope_name = property(lambda self: self._scope.name if self._scope is not None else None)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"{self.name} is not built yet: call it on inputs before count_params()")
        return sum(int(w.shape.num_elements()) for w in self.weights)

    # ----- calling -------------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        scope_arg = kwargs.pop("scope", None)
        if self._scope is None:
            with v1.variable_scope(self._scope_arg or scope_arg, default_name=self._given_name or self._base_name,
                                   reuse=self._reuse) as scope:
                inputs = self._prepare(inputs)
                if not self.built:
                    self.build(inputs.shape)
                    self.built = True
                self._scope = scope  # only once built: a call that failed to build leaves the layer fresh
                self.name = scope.name.split("/")[-1]
                return self._finish(self.call(inputs, *args, **kwargs))
        with v1.variable_scope(self._scope, reuse=True, auxiliary_name_scope=False), \
                tf.name_scope(self._scope.original_name_scope):
            return self._finish(self.call(self._prepare(inputs), *args, **kwargs))

    apply = __call__

    def build(self, input_shape) -> None:
        """Create the layer's variables for inputs of `input_shape` (layers without variables: nothing)."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError

    def _prepare(self, inputs):
        inputs = tf.convert_to_tensor(inputs)
        if self._dtype is not None and inputs.dtype != self._dtype:
            inputs = tf.cast(inputs, self._dtype)
        if self._dtype is None:
            if not inputs.dtype.is_floating:
                raise ValueError(
                    f"{self.name}: the inputs are {inputs.dtype.name}, but layers compute in floating point: "
                    "convert them first, e.g. tf.cast(inputs, tf.float32)")
            self._dtype = inputs.dtype.base_dtype
        return inputs

    def _finish(self, outputs):
        regularizer = getattr(self, "activity_regularizer", None)
        if regularizer is not None:
            with tf.name_scope("ActivityRegularizer"):  # per example, as Keras 2's layers divided it
                loss = regularizer(outputs)
                self._add_loss(loss / tf.cast(tf.shape(outputs)[0], loss.dtype))
        return outputs

    # ----- for subclasses ------------------------------------------------------------------------

    def add_weight(self, name: str, shape, dtype=None, initializer=None, regularizer=None, trainable: bool = True,
                   constraint=None):
        """`get_variable` in the layer's scope (reusing it when the scope reuses), tracked by the layer."""
        before = set(map(id, v1.global_variables())) if regularizer is not None else set()
        variable = v1.get_variable(name, shape=shape, dtype=dtype or self._dtype, initializer=initializer,
                                   trainable=trainable and self.trainable, constraint=constraint)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        if regularizer is not None and id(variable) not in before:
            with tf.name_scope(f"{name}/Regularizer"):
                self._add_loss(regularizer(variable))
        return variable

    add_variable = add_weight

    def _add_loss(self, loss) -> None:
        if loss is None:
            return
        self._losses.append(loss)
        v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, loss)

    def add_update(self, update) -> None:
        self._updates.append(update)
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update)


def activation_function(activation, layer: str):
    """The layer's activation: a function, None, or a name such as 'relu', which the real `tf.layers` (Keras 2
    layers in TF 2.15) looked up with `keras.activations.get`, as this does with Keras 3's."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str):
        import keras

        try:
            return keras.activations.get(activation)
        except ValueError:
            raise ValueError(f"{layer}: unknown activation {activation!r}; give a function such as tf.nn.relu or a "
                             "Keras name such as 'relu', 'tanh', 'sigmoid', 'softmax'") from None
    raise TypeError(f"{layer}: activation must be a function such as tf.nn.relu, or its name, got {activation!r}")


def to_snake_case(name: str) -> str:
    """`Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`: TF1's default layer names."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def normalize_tuple(value, n: int, what: str, layer: str) -> tuple:
    """An int or a sequence of `n` ints, as TF1's `kernel_size`, `strides`, `pool_size` accept."""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{layer}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v <= 0 for v in values):
        raise ValueError(f"{layer}: {what} must be positive, got {value!r}")
    return values


def normalize_padding(value, layer: str) -> str:
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {value!r}")
    return padding.upper()


def normalize_data_format(value, layer: str) -> str:
    data_format = value.lower() if isinstance(value, str) else value
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return data_format


def tf_data_format(data_format: str, rank: int) -> str:
    """'channels_last', 2 -> 'NHWC'; 'channels_first', 2 -> 'NCHW' (rank = number of spatial dims)."""
    spatial = {1: "W", 2: "HW", 3: "DHW"}[rank]
    return f"N{spatial}C" if data_format == "channels_last" else f"NC{spatial}"


def check_rank(inputs, rank: int, layer: str, example: str) -> None:
    if inputs.shape.rank is not None and inputs.shape.rank != rank:
        raise ValueError(f"{layer}: the inputs must have rank {rank} ({example}), got shape {inputs.shape}")


def constant_value(pred):
    """A Python bool when `pred` is one (or a constant tensor), else None: TF1's `smart_cond` test."""
    if isinstance(pred, (bool, int)) and not isinstance(pred, tf.Tensor):
        return bool(pred)
    if isinstance(pred, tf.Variable):
        return None
    value = tf.get_static_value(pred)
    return None if value is None else bool(value)


def smart_cond(pred, true_fn, false_fn):
    value = constant_value(pred)
    if value is None:
        return tf.cond(pred, true_fn, false_fn)
    return true_fn() if value else false_fn()
