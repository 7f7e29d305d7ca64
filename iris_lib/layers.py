"""`tf.layers.dense` for graph mode, as TensorFlow 1 had it.

`tf.compat.v1.layers.dense` fails under Keras 3. This one builds the same variables with the same
names (`dense/kernel`, `dense/bias`, then `dense_1/...`) and the same initializers (Glorot-uniform
kernel, zero bias), so checkpoints move between it and the original in both directions.
"""
from __future__ import annotations

import tensorflow as tf

v1 = tf.compat.v1


def dense(inputs, units: int, activation=None, use_bias: bool = True, kernel_initializer=None,
          bias_initializer=None, name: str | None = None, reuse=None):
    """A fully connected layer: `activation(inputs @ kernel + bias)`."""
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(f"dense: units must be a positive whole number, got {units!r}")
    inputs = tf.convert_to_tensor(inputs)
    in_units = inputs.shape[-1]
    if in_units is None:
        raise ValueError(f"dense: the last dimension of the inputs must be known, got shape {inputs.shape}")
    with v1.variable_scope(name, default_name="dense", values=[inputs], reuse=reuse):
        kernel = v1.get_variable(
            "kernel", shape=[in_units, units], dtype=inputs.dtype,
            initializer=kernel_initializer or v1.glorot_uniform_initializer())
        outputs = tf.matmul(inputs, kernel)
        if use_bias:
            bias = v1.get_variable("bias", shape=[units], dtype=inputs.dtype,
                                   initializer=bias_initializer or v1.zeros_initializer())
            outputs = tf.nn.bias_add(outputs, bias)
        return activation(outputs) if activation is not None else outputs
