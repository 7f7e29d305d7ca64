"""`tf.layers` core layers for graph mode: `Dense`, `Dropout`, `Flatten` and their functions.

Mirrors TensorFlow 1's `tensorflow/python/layers/core.py`: the same arguments and defaults, variables
`dense/kernel` (Glorot-uniform unless the enclosing variable scope or `kernel_initializer` says
otherwise) and `dense/bias` (zeros), and `dropout` that drops only when `training` is true.
"""
from __future__ import annotations

import functools
import operator

import tensorflow as tf

from iris_lib.layers.base import Layer, activation_function, normalize_data_format, smart_cond

v1 = tf.compat.v1


class Dense(Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)`."""

    _base_name = "dense"

    def __init__(self, units, activation=None, use_bias: bool = True, kernel_initializer=None,
                 bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"dense: units must be a positive whole number, got {units!r}")
        self.units, self.activation, self.use_bias = units, activation_function(activation, "dense"), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        in_units = input_shape[-1] if input_shape.rank else None
        if in_units is None:
            raise ValueError(f"dense: the last dimension of the inputs must be known, got shape {input_shape}")
        self.kernel = self.add_weight("kernel", [in_units, self.units], initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        if inputs.shape.rank is not None and inputs.shape.rank > 2:
            outputs = tf.tensordot(inputs, self.kernel, [[inputs.shape.rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        else:
            outputs = tf.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        return self.activation(outputs) if self.activation is not None else outputs


def dense(inputs, units, activation=None, use_bias: bool = True, kernel_initializer=None,
          bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
          name=None, reuse=None):
    """Functional `Dense`: variables `<name or dense_N>/kernel` and `/bias`."""
    layer = Dense(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                  bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                  bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _scope=name, _reuse=reuse)
    return layer(inputs)


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs (scaling the rest by 1/(1-rate)), only when training."""

    _base_name = "dropout"

    def __init__(self, rate: float = 0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"dropout: rate must be a number in [0, 1) (the fraction dropped), got {rate!r}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        def dropped():
            return tf.nn.dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)

        return smart_cond(training, dropped, lambda: tf.identity(inputs))


def dropout(inputs, rate: float = 0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional `Dropout`: identity unless `training` (a bool or a boolean tensor) is true."""
    return Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)(inputs, training=training)


class Flatten(Layer):
    """Reshapes `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]` (channels last first, as TF1 did)."""

    _base_name = "flatten"

    def __init__(self, data_format: str | None = None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.data_format = normalize_data_format(data_format or "channels_last", "flatten")

    def _prepare(self, inputs):
        return tf.convert_to_tensor(inputs)  # flatten moves any dtype

    def call(self, inputs):
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank is not None and rank > 2:
            inputs = tf.transpose(inputs, [0, *range(2, rank), 1])
        if rank == 1:
            return tf.expand_dims(inputs, axis=1)
        rest = inputs.shape[1:]
        if rest.is_fully_defined():
            shape = tf.constant([-1, int(functools.reduce(operator.mul, rest.as_list(), 1))])
        elif inputs.shape[0] is not None:
            shape = tf.constant([int(inputs.shape[0]), -1])
        else:
            shape = [tf.shape(inputs)[0], -1]
        return tf.reshape(inputs, shape)


def flatten(inputs, name=None, data_format: str = "channels_last"):
    """Functional `Flatten`: keeps the batch dimension, flattens the rest."""
    return Flatten(data_format=data_format, name=name)(inputs)
