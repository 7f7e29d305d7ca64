"""`tf.layers` as TensorFlow 1 had it, for tf.compat.v1 graphs (`import iris_lib.tf1 as tf; tf.layers.conv2d`).

`tf.compat.v1.layers` is built on Keras 2 and fails under Keras 3. These build the same variables with
the same names (`dense/kernel`, `conv2d_1/bias`, `batch_normalization/moving_mean`, ...) and the same
initializers, so checkpoints move between them and the original in both directions. Laid out as
TF1's `tensorflow/python/layers/`:

| module | what |
| --- | --- |
| `base.py` | `Layer`: variable scope, variables, losses and updates of one layer |
| `core.py` | `Dense`, `Dropout`, `Flatten` |
| `convolutional.py` | `Conv1D`, `Conv2D`, `Conv3D`, `SeparableConv1D/2D`, `Conv2DTranspose`, `Conv3DTranspose` |
| `pooling.py` | `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` |
| `normalization.py` | `BatchNormalization` |
| `rnn_cell.py` | `tf.nn.rnn_cell`: `LSTMCell`, `GRUCell`, `MultiRNNCell`, `DropoutWrapper`, ... (not in `__all__`) |

Each class has its functional twin (`dense`, `conv2d`, `separable_conv2d`, `max_pooling2d`,
`batch_normalization`, ...).
`__all__` lists exactly the TF1 names iris_lib provides.
"""
from iris_lib import quiet  # noqa: F401  (silences TensorFlow's start-up lines before it is imported)
from iris_lib.layers.base import Layer
from iris_lib.layers.convolutional import (Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                                           SeparableConv1D, SeparableConv2D, conv1d, conv2d, conv2d_transpose,
                                           conv3d, conv3d_transpose, separable_conv1d, separable_conv2d)
from iris_lib.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from iris_lib.layers.normalization import BatchNormalization, batch_normalization
from iris_lib.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D,
                                     MaxPooling2D, MaxPooling3D, average_pooling1d, average_pooling2d,
                                     average_pooling3d, max_pooling1d, max_pooling2d, max_pooling3d)

# The same spellings TF1 offered as aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "BatchNormalization", "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1D",
    "Convolution2D", "Convolution3D",
    "Dense", "Dropout", "Flatten", "Layer", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D",
    "MaxPooling2D", "MaxPooling3D", "SeparableConv1D", "SeparableConv2D",
    "average_pooling1d", "average_pooling2d", "average_pooling3d", "batch_normalization", "conv1d", "conv2d",
    "conv2d_transpose", "conv3d", "conv3d_transpose", "dense", "dropout", "flatten", "max_pooling1d", "max_pooling2d",
    "max_pooling3d", "separable_conv1d", "separable_conv2d",
]
