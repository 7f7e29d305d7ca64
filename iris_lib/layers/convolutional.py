"""`tf.layers` convolutions for graph mode: `Conv1D`, `Conv2D`, `Conv3D`, `SeparableConv1D`, `SeparableConv2D`,
`Conv2DTranspose`, `Conv3DTranspose` and their functional twins (`conv2d`, `separable_conv2d`, `conv3d_transpose`, ...).

Mirrors TensorFlow 1's `tensorflow/python/layers/convolutional.py`: kernel `conv2d/kernel` of shape
`kernel_size + (in_channels, filters)` (Glorot-uniform by default), bias `conv2d/bias` (zeros),
`padding` 'valid'/'same', `strides`, `dilation_rate`, `data_format` 'channels_last'/'channels_first'.
A separable convolution (Xception's and MobileNet's block) filters each input channel on its own, then mixes
channels with a 1x1 convolution: `separable_conv2d/depthwise_kernel` of shape
`kernel_size + (in_channels, depth_multiplier)`, `/pointwise_kernel` of shape `(1, 1, in_channels * depth_multiplier,
filters)`, `/bias`; computed by `tf.nn.separable_conv2d`, the 1-D one on inputs expanded to 2-D, as Keras 2 did.
The transposed convolutions (a decoder's or a GAN generator's upsampling) have their kernel
`conv2d_transpose/kernel` of shape `kernel_size + (filters, in_channels)` and Keras 2's output size: `in * stride`
with 'same', `in * stride + max(kernel - stride, 0)` with 'valid'.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib.layers.base import (Layer, activation_function, check_rank, normalize_data_format, normalize_padding,
                                  normalize_tuple, tf_data_format)

v1 = tf.compat.v1


class _Conv(Layer):
    """An N-D convolution over `rank` spatial dimensions, plus bias and activation."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding: str = "valid", data_format: str = "channels_last",
                 dilation_rate=1, activation=None, use_bias: bool = True, kernel_initializer=None,
                 bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        what = self._base_name
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{what}: filters must be a positive whole number, got {filters!r}")
        activation = activation_function(activation, what)
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", what)
        self.strides = normalize_tuple(strides, self.rank, "strides", what)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", what)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{what}: strides > 1 together with dilation_rate > 1 is not supported")
        self.padding = normalize_padding(padding, what)
        self.data_format = normalize_data_format(data_format, what)
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def _kernel_shape(self, channels: int) -> list:
        return [*self.kernel_size, channels, self.filters]

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        what = self._base_name
        if input_shape.rank != self.rank + 2:
            raise ValueError(f"{what}: the inputs must have rank {self.rank + 2} "
                             f"(batch, {self.rank} spatial dims, channels), got shape {input_shape}")
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{what}: the channel dimension of the inputs must be known, got shape {input_shape} "
                             f"with data_format={self.data_format!r}")
        self.kernel = self.add_weight("kernel", self._kernel_shape(channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        check_rank(inputs, self.rank + 2, self._base_name, "batch, spatial dims, channels")
        data_format = tf_data_format(self.data_format, self.rank)
        outputs = tf.nn.convolution(inputs, self.kernel, strides=list(self.strides), padding=self.padding,
                                    dilations=list(self.dilation_rate), data_format=data_format)
        if self.use_bias:
            if self.data_format == "channels_last":
                outputs = tf.nn.bias_add(outputs, self.bias)
            elif self.rank == 2:
                outputs = tf.nn.bias_add(outputs, self.bias, data_format="NCHW")
            else:
                outputs = outputs + tf.reshape(self.bias, [1, self.filters] + [1] * self.rank)
        return self.activation(outputs) if self.activation is not None else outputs


class Conv1D(_Conv):
    """1-D convolution (e.g. over time): inputs `[batch, length, channels]`."""

    rank, _base_name = 1, "conv1d"


class Conv2D(_Conv):
    """2-D convolution (images): inputs `[batch, height, width, channels]` (or channels first)."""

    rank, _base_name = 2, "conv2d"


class Conv3D(_Conv):
    """3-D convolution (volumes, video): inputs `[batch, depth, height, width, channels]`."""

    rank, _base_name = 3, "conv3d"


class _ConvTranspose:
    """The transposed convolution over `rank` spatial dims (mixed into `Conv2D`/`Conv3D` for their checks)."""

    def __init__(self, filters, kernel_size, strides=1, padding: str = "valid",
                 data_format: str = "channels_last", activation=None, use_bias: bool = True, kernel_initializer=None,
                 bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
                 name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                         name=name, **kwargs)

    def _kernel_shape(self, channels: int) -> list:
        return [*self.kernel_size, self.filters, channels]

    def _output_size(self, size, kernel, stride):
        """Keras 2's `deconv_output_length` (no output_padding, no dilation)."""
        if self.padding == "SAME":
            return size * stride
        return size * stride + max(kernel - stride, 0)

    def call(self, inputs):
        check_rank(inputs, self.rank + 2, self._base_name, "batch, spatial dims, channels")
        first = self.data_format == "channels_first"
        shape = tf.shape(inputs)
        static = inputs.shape.as_list()
        axes = range(2, self.rank + 2) if first else range(1, self.rank + 1)
        sizes = [self._output_size(static[axis] if static[axis] is not None else shape[axis], kernel, stride)
                 for axis, kernel, stride in zip(axes, self.kernel_size, self.strides)]
        output_shape = [shape[0], self.filters, *sizes] if first else [shape[0], *sizes, self.filters]
        strides = [1, 1, *self.strides] if first else [1, *self.strides, 1]
        data_format = tf_data_format(self.data_format, self.rank)
        if self.rank == 2:  # the ops Keras 2 called: tf.compat.v1's for 2-D, tf.nn's for 3-D
            outputs = v1.nn.conv2d_transpose(inputs, self.kernel, tf.stack(output_shape), strides=strides,
                                             padding=self.padding, data_format=data_format)
        else:
            outputs = tf.nn.conv3d_transpose(inputs, self.kernel, tf.stack(output_shape), strides,
                                             padding=self.padding, data_format=data_format)
        known = [s if isinstance(s, int) else None for s in sizes]
        outputs.set_shape([static[0], self.filters, *known] if first else [static[0], *known, self.filters])
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias, data_format="NCHW" if first else "NHWC")
        return self.activation(outputs) if self.activation is not None else outputs


class Conv2DTranspose(_ConvTranspose, Conv2D):
    """2-D transposed convolution ("deconvolution"): `[batch, height, width, channels]` grown by `strides`."""

    _base_name = "conv2d_transpose"


class Conv3DTranspose(_ConvTranspose, Conv3D):
    """3-D transposed convolution: `[batch, depth, height, width, channels]` grown by `strides` (volume decoders)."""

    _base_name = "conv3d_transpose"


class _SeparableConv(_Conv):
    """A depthwise convolution (each input channel on its own, `depth_multiplier` outputs each), then a pointwise
    (1x1) one mixing the channels: far fewer weights than a full convolution, as Xception and MobileNet wanted."""

    def __init__(self, filters, kernel_size, strides=1, padding: str = "valid", data_format: str = "channels_last",
                 dilation_rate=1, depth_multiplier: int = 1, activation=None, use_bias: bool = True,
                 depthwise_initializer=None, pointwise_initializer=None, bias_initializer=v1.zeros_initializer(),
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, trainable: bool = True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
                         trainable=trainable, name=name, **kwargs)
        if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"{self._base_name}: depth_multiplier must be a positive whole number, "
                             f"got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer, self.pointwise_initializer = depthwise_initializer, pointwise_initializer
        self.depthwise_regularizer, self.pointwise_regularizer = depthwise_regularizer, pointwise_regularizer
        self.depthwise_constraint, self.pointwise_constraint = depthwise_constraint, pointwise_constraint
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        what = self._base_name
        if input_shape.rank != self.rank + 2:
            raise ValueError(f"{what}: the inputs must have rank {self.rank + 2} "
                             f"(batch, {self.rank} spatial dims, channels), got shape {input_shape}")
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{what}: the channel dimension of the inputs must be known, got shape {input_shape} "
                             f"with data_format={self.data_format!r}")
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", [*self.kernel_size, channels, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1] * self.rank + [channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        check_rank(inputs, self.rank + 2, self._base_name, "batch, spatial dims, channels")
        first = self.data_format == "channels_first"
        data_format = "NCHW" if first else "NHWC"
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, dilations = self.strides, self.dilation_rate
        if self.rank == 1:  # no 1-D op: Keras 2 added a height of 1 and squeezed it out again, striding it
            inputs = tf.expand_dims(inputs, 2 if first else 1)  # alike (the op wants equal strides; 1 row stays 1)
            depthwise, pointwise = tf.expand_dims(depthwise, 0), tf.expand_dims(pointwise, 0)
            strides, dilations = strides * 2, (1, *dilations)
        outputs = tf.nn.separable_conv2d(inputs, depthwise, pointwise,
                                         strides=[1, 1, *strides] if first else [1, *strides, 1],
                                         padding=self.padding, data_format=data_format, dilations=dilations)
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias, data_format=data_format)
        if self.rank == 1:
            outputs = tf.squeeze(outputs, [2 if first else 1])
        return self.activation(outputs) if self.activation is not None else outputs


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1-D convolution: inputs `[batch, length, channels]`."""

    rank, _base_name = 1, "separable_conv1d"


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2-D convolution: inputs `[batch, height, width, channels]` (or channels first)."""

    rank, _base_name = 2, "separable_conv2d"


def _functional(cls):
    def conv(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
             dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
             bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
             activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
             reuse=None):
        layer = cls(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                    kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                    kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                    activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                    bias_constraint=bias_constraint, trainable=trainable, name=name, _scope=name, _reuse=reuse)
        return layer(inputs)

    conv.__name__ = conv.__qualname__ = cls._base_name
    conv.__doc__ = f"Functional `{cls.__name__}`: variables `<name or {cls._base_name}_N>/kernel` and `/bias`."
    return conv


conv1d = _functional(Conv1D)
conv2d = _functional(Conv2D)
conv3d = _functional(Conv3D)


def _functional_transpose(cls):
    def conv_transpose(inputs, filters, kernel_size, strides=(1,) * cls.rank, padding="valid",
                       data_format="channels_last", activation=None, use_bias=True, kernel_initializer=None,
                       bias_initializer=v1.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                       activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                       name=None, reuse=None):
        layer = cls(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                    activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                    bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                    bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                    kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                    name=name, _scope=name, _reuse=reuse)
        return layer(inputs)

    conv_transpose.__name__ = conv_transpose.__qualname__ = cls._base_name
    conv_transpose.__doc__ = (f"Functional `{cls.__name__}`: variables `<name or {cls._base_name}_N>/kernel` "
                              "and `/bias`.")
    return conv_transpose


conv2d_transpose = _functional_transpose(Conv2DTranspose)
conv3d_transpose = _functional_transpose(Conv3DTranspose)


def _functional_separable(cls):
    def separable_conv(inputs, filters, kernel_size, strides=(1,) * cls.rank, padding="valid",
                       data_format="channels_last", dilation_rate=(1,) * cls.rank, depth_multiplier=1,
                       activation=None, use_bias=True, depthwise_initializer=None, pointwise_initializer=None,
                       bias_initializer=v1.zeros_initializer(), depthwise_regularizer=None,
                       pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                       depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                       name=None, reuse=None):
        layer = cls(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate, depth_multiplier=depth_multiplier, activation=activation,
                    use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                    pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                    depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
                    bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                    depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
                    bias_constraint=bias_constraint, trainable=trainable, name=name, _scope=name, _reuse=reuse)
        return layer(inputs)

    separable_conv.__name__ = separable_conv.__qualname__ = cls._base_name
    separable_conv.__doc__ = (f"Functional `{cls.__name__}`: variables `<name or {cls._base_name}_N>/"
                              "depthwise_kernel`, `/pointwise_kernel` and `/bias`.")
    return separable_conv


separable_conv1d = _functional_separable(SeparableConv1D)
separable_conv2d = _functional_separable(SeparableConv2D)
