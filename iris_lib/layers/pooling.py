"""`tf.layers` pooling for graph mode: max and average pooling in 1, 2 and 3 dimensions.

Mirrors TensorFlow 1's `tensorflow/python/layers/pooling.py`: `pool_size` and `strides` (required, as
in TF1), `padding` 'valid'/'same', `data_format`. Pooling has no variables.
"""
from __future__ import annotations

import tensorflow as tf

from iris_lib.layers.base import (Layer, check_rank, normalize_data_format, normalize_padding, normalize_tuple,
                                  tf_data_format)


class _Pooling(Layer):
    rank = 2
    pool_function = staticmethod(tf.nn.max_pool)

    def __init__(self, pool_size, strides, padding: str = "valid", data_format: str = "channels_last", name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        what = self._base_name
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", what)
        self.strides = normalize_tuple(strides, self.rank, "strides", what)
        self.padding = normalize_padding(padding, what)
        self.data_format = normalize_data_format(data_format, what)

    def call(self, inputs):
        check_rank(inputs, self.rank + 2, self._base_name, "batch, spatial dims, channels")
        return self.pool_function(inputs, ksize=list(self.pool_size), strides=list(self.strides),
                                  padding=self.padding, data_format=tf_data_format(self.data_format, self.rank))


def _pooling_class(name, rank, function, doc):
    return type(name, (_Pooling,), {"rank": rank, "pool_function": staticmethod(function), "__doc__": doc,
                                    "_base_name": name.lower().replace("pooling", "_pooling"),
                                    "__module__": __name__})


MaxPooling1D = _pooling_class("MaxPooling1D", 1, tf.nn.max_pool, "Max pooling over `[batch, length, channels]`.")
MaxPooling2D = _pooling_class("MaxPooling2D", 2, tf.nn.max_pool, "Max pooling over images.")
MaxPooling3D = _pooling_class("MaxPooling3D", 3, tf.nn.max_pool, "Max pooling over volumes.")
AveragePooling1D = _pooling_class("AveragePooling1D", 1, tf.nn.avg_pool,
                                  "Average pooling over `[batch, length, channels]`.")
AveragePooling2D = _pooling_class("AveragePooling2D", 2, tf.nn.avg_pool, "Average pooling over images.")
AveragePooling3D = _pooling_class("AveragePooling3D", 3, tf.nn.avg_pool, "Average pooling over volumes.")


def _functional(cls):
    def pool(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return cls(pool_size, strides, padding=padding, data_format=data_format, name=name)(inputs)

    pool.__name__ = pool.__qualname__ = cls._base_name
    pool.__doc__ = f"Functional `{cls.__name__}` (`strides` is required, as in TF1)."
    return pool


max_pooling1d = _functional(MaxPooling1D)
max_pooling2d = _functional(MaxPooling2D)
max_pooling3d = _functional(MaxPooling3D)
average_pooling1d = _functional(AveragePooling1D)
average_pooling2d = _functional(AveragePooling2D)
average_pooling3d = _functional(AveragePooling3D)
