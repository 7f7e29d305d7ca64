"""`tf.layers` batch normalization for graph mode: `BatchNormalization` and `batch_normalization`.

Mirrors TensorFlow 1's `tensorflow/python/layers/normalization.py` (Keras 2's V1 batch norm under it):
variables `batch_normalization/gamma`, `beta` (trainable), `moving_mean`, `moving_variance` (not
trainable, in GLOBAL_VARIABLES); with `training=True` it normalizes with the batch's statistics and puts
the moving-average updates `moving -= (moving - batch) * (1 - momentum)` into `UPDATE_OPS`, which your
train_op must run (`with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS))`).
As in TF1, 4-D and 5-D inputs normalized over axis 1 or the last axis are the "fused" case, whose batch
variance (for the moving average) carries Bessel's correction n/(n-1); other inputs do not.

The arithmetic is TF1's, but not its kernels: TensorFlow's `FusedBatchNorm` and `Rsqrt` (which
`tf.nn.batch_normalization` calls) get 1/sqrt(x) from the CPU's RSQRTPS estimate plus one Newton step,
and that estimate is not the same bits on Intel and AMD processors (chapter 11's exercise ended at moving
mean 0.019 on an AMD Zen 5 and 0.0203 on an Intel Xeon). Here 1/sqrt is a correctly rounded square root
and division, the same on every CPU (`iris_lib.same_bits`); the values agree with the fused kernel's to
a few units in the last place.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib.layers.base import Layer, constant_value, smart_cond

v1 = tf.compat.v1

_FUSED_FORMATS = {(4, 1): "NCHW", (4, 3): "NHWC", (5, 1): "NCDHW", (5, 4): "NDHWC"}


class BatchNormalization(Layer):
    """Normalizes each channel to zero mean and unit variance, then scales by gamma and shifts by beta."""

    _base_name = "batch_normalization"

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer=v1.zeros_initializer(), gamma_initializer=v1.ones_initializer(),
                 moving_mean_initializer=v1.zeros_initializer(), moving_variance_initializer=v1.ones_initializer(),
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm: bool = False, renorm_clipping=None, renorm_momentum: float = 0.99, fused=None,
                 trainable: bool = True, virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError(
                "batch_normalization: iris_lib has no batch renormalization, virtual_batch_size or adjustment; "
                "leave them at their defaults (renorm=False, virtual_batch_size=None, adjustment=None)")
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"batch_normalization: axis must be one int (the channel axis), got {axis!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"batch_normalization: momentum must be in [0, 1], got {momentum!r}")
        if epsilon <= 0:
            raise ValueError(f"batch_normalization: epsilon must be > 0, got {epsilon!r}")
        self.axis, self.momentum, self.epsilon, self.center, self.scale = axis, momentum, epsilon, center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer, self.moving_variance_initializer = (moving_mean_initializer,
                                                                          moving_variance_initializer)
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.fused = fused
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        rank = input_shape.rank
        if rank is None:
            raise ValueError("batch_normalization: the rank of the inputs must be known")
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 0 < axis < rank:
            raise ValueError(f"batch_normalization: axis={self.axis} is out of range for inputs of shape {input_shape} "
                             "(it names the channel axis, not the batch axis)")
        self._axis = axis
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"batch_normalization: dimension {axis} (the channels) of the inputs must be known, "
                             f"got shape {input_shape}")
        self._fused_format = _FUSED_FORMATS.get((rank, axis)) if self.fused in (None, True) else None
        # fused=True where the fused kernel cannot run (2-D inputs): the plain one, as tf.layers' did silently
        if self._dtype not in (tf.float16, tf.bfloat16, tf.float32):
            self._fused_format = None
        param_dtype = tf.float32 if self._dtype in (tf.float16, tf.bfloat16) else self._dtype
        shape = [channels]
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, dtype=param_dtype, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, dtype=param_dtype, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, dtype=param_dtype,
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, dtype=param_dtype,
                                               initializer=self.moving_variance_initializer, trainable=False)

    def call(self, inputs, training=False):
        rank = inputs.shape.rank
        reduction_axes = [i for i in range(rank) if i != self._axis]
        broadcast_shape = [1] * rank
        broadcast_shape[self._axis] = int(self.moving_mean.shape[0])

        def broadcast(value):
            if value is None or self._axis == rank - 1:
                return value
            return tf.reshape(value, broadcast_shape)

        known = constant_value(training)
        if known is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            batch_mean, batch_variance = tf.nn.moments(tf.cast(inputs, self.moving_mean.dtype), reduction_axes)
            averaged = batch_variance  # what the moving variance averages
            if self._fused_format is not None:  # the fused kernel's: with Bessel's correction
                count = tf.cast(tf.size(inputs) // tf.size(batch_mean), batch_variance.dtype)
                averaged = batch_variance * count / tf.maximum(count - 1, 1)
            mean = smart_cond(training, lambda: batch_mean, lambda: tf.convert_to_tensor(self.moving_mean))
            variance = smart_cond(training, lambda: batch_variance, lambda: tf.convert_to_tensor(self.moving_variance))
            decay = tf.convert_to_tensor(1.0 - self.momentum, name="decay", dtype=self.moving_mean.dtype)
            self.add_update(smart_cond(training, lambda: self._moving_average(self.moving_mean, batch_mean, decay),
                                       lambda: tf.convert_to_tensor(self.moving_mean)))
            self.add_update(smart_cond(training, lambda: self._moving_average(self.moving_variance, averaged, decay),
                                       lambda: tf.convert_to_tensor(self.moving_variance)))
        mean, variance = tf.cast(mean, inputs.dtype), tf.cast(variance, inputs.dtype)
        offset = tf.cast(self.beta, inputs.dtype) if self.center else None
        scale = tf.cast(self.gamma, inputs.dtype) if self.scale else None
        outputs = _normalize(inputs, broadcast(mean), broadcast(variance), broadcast(offset), broadcast(scale),
                             self.epsilon)
        outputs.set_shape(inputs.shape)
        return outputs

    def _moving_average(self, variable, value, decay):
        with tf.name_scope("AssignMovingAvg") as scope:
            with v1.colocate_with(variable):
                delta = (variable - tf.cast(value, variable.dtype)) * decay
                return v1.assign_sub(variable, delta, name=scope)


def _normalize(inputs, mean, variance, offset, scale, epsilon):
    """`tf.nn.batch_normalization`'s formula, x * inv + (offset - mean * inv) with inv = scale / sqrt(var + eps),
    with 1/sqrt from `_reciprocal_sqrt` (not `Rsqrt`, whose bits depend on the CPU's maker)."""
    with tf.name_scope("batchnorm"):
        inv = _reciprocal_sqrt(variance + epsilon)
        if scale is not None:
            inv *= scale
        shift = offset - mean * inv if offset is not None else -mean * inv
        return inputs * inv + shift


@tf.custom_gradient
def _reciprocal_sqrt(value):
    """1/sqrt(value) and its gradient -inv/(2 value) from correctly rounded operations only: TensorFlow's own
    `Rsqrt` and `SqrtGrad` use the CPU's approximate RSQRTPS/RCPPS (measured: a quarter of `SqrtGrad`'s
    results differ from 0.5 * dy / y), whose bits differ between Intel and AMD."""
    root = tf.sqrt(value)
    inv = tf.math.divide(tf.ones_like(root), root)

    def gradient(upstream):
        return upstream * (-0.5 * inv) / value

    return inv, gradient


def batch_normalization(inputs, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                        scale: bool = True, beta_initializer=v1.zeros_initializer(),
                        gamma_initializer=v1.ones_initializer(), moving_mean_initializer=v1.zeros_initializer(),
                        moving_variance_initializer=v1.ones_initializer(), beta_regularizer=None,
                        gamma_regularizer=None, training=False, trainable: bool = True, name=None, reuse=None,
                        renorm: bool = False, renorm_clipping=None, renorm_momentum: float = 0.99, fused=None,
                        virtual_batch_size=None, adjustment=None, beta_constraint=None, gamma_constraint=None):
    """Functional `BatchNormalization`; `training=True` uses batch statistics and adds to UPDATE_OPS."""
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer, moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint, renorm=renorm, renorm_clipping=renorm_clipping,
        renorm_momentum=renorm_momentum, fused=fused, trainable=trainable, virtual_batch_size=virtual_batch_size,
        adjustment=adjustment, name=name, _scope=name, _reuse=reuse)
    return layer(inputs, training=training)
