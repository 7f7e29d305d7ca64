"""A TF1 convolutional autoencoder, as tutorials wrote one for the Estimator: `tf.layers.conv2d` and
`max_pooling2d` down, `tf.layers.conv2d_transpose` back up ('same' and 'valid' padding, strides 2), the mean
squared reconstruction error, Adam; fixed initial weights so that both engines start alike.
Usage: python tf1_conv_autoencoder.py real|ours. Prints one JSON line.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

v1 = tf.compat.v1
IMAGES = np.random.RandomState(9).uniform(0, 1, (16, 8, 8, 1)).astype(np.float32)


def fixed(name):
    return lambda shape, dtype=None, partition_info=None: tf.constant(fixed_values(name, shape))


def model_fn(features, labels, mode):
    code = v1.layers.conv2d(features, 4, 3, padding="same", activation=tf.nn.relu, kernel_initializer=fixed("e"))
    code = v1.layers.max_pooling2d(code, 2, 2)  # 4 x 4
    up = v1.layers.conv2d_transpose(code, 3, 3, strides=2, padding="same", activation=tf.nn.relu,
                                    kernel_initializer=fixed("d1"))  # 8 x 8
    valid = v1.layers.conv2d_transpose(code, 2, 2, strides=2, padding="valid", kernel_initializer=fixed("d2"))
    decoded = v1.layers.conv2d(tf.concat([up, valid], 3), 1, 1, kernel_initializer=fixed("out"), name="decoded")
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"decoded": decoded})
    loss = v1.losses.mean_squared_error(features, decoded)
    train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn():
    return tf.data.Dataset.from_tensor_slices(IMAGES).batch(8)


estimator = tf.estimator.Estimator(model_fn, tempfile.mkdtemp())
estimator.train(lambda: input_fn().repeat(), steps=10)
print_report({
    "evaluated": estimator.evaluate(input_fn),
    "shapes": {name: estimator.get_variable_value(name).shape for name in estimator.get_variable_names()},
    "decoder": estimator.get_variable_value("conv2d_transpose/kernel"),
    "decoded": next(estimator.predict(input_fn))["decoded"][:2],
})
