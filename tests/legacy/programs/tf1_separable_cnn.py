"""A MobileNet/Xception-style TF1 model_fn, as such programs were written for the Estimator: an image branch of
`tf.layers.separable_conv2d` blocks (depth_multiplier 2, strides 2, a residual 1x1 shortcut), a sequence branch
of `separable_conv1d`, and a small 3-D decoder head of `conv3d_transpose` ('same' then 'valid') that rebuilds a
volume from the image code as an auxiliary loss; Adam, fixed initial weights so that both engines start alike.
Usage: python tf1_separable_cnn.py real|ours [ROOT train|restore]. Prints one JSON line; with ROOT, the model_dir
is ROOT/cnn, and `restore` only evaluates and predicts from the checkpoint already there (e.g. the other engine's).
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

v1 = tf.compat.v1
RNG = np.random.RandomState(11)
FEATURES = {
    "image": RNG.uniform(0, 1, (16, 12, 12, 3)).astype(np.float32),
    "sequence": RNG.normal(0, 1, (16, 10, 2)).astype(np.float32),
    "volume": RNG.uniform(0, 1, (16, 4, 6, 6, 1)).astype(np.float32),
}
LABELS = (FEATURES["image"].mean(axis=(1, 2, 3)) * 6 + FEATURES["sequence"][:, 0, 0]).astype(np.int64) % 3


def fixed(name):
    return lambda shape, dtype=None, partition_info=None: tf.constant(fixed_values(name, shape))


def image_branch(images):
    net = v1.layers.conv2d(images, 8, 3, strides=2, padding="same", activation=tf.nn.relu,
                           kernel_initializer=fixed("stem"))  # 6 x 6
    net = v1.layers.separable_conv2d(net, 16, 3, strides=2, padding="same", depth_multiplier=2,
                                     activation=tf.nn.relu, depthwise_initializer=fixed("dw1"),
                                     pointwise_initializer=fixed("pw1"), bias_initializer=fixed("b1"))  # 3 x 3
    block = v1.layers.SeparableConv2D(16, 3, padding="same", depthwise_initializer=fixed("dw2"),
                                      pointwise_initializer=fixed("pw2"), name="block2_sepconv")
    shortcut = v1.layers.conv2d(net, 16, 1, use_bias=False, kernel_initializer=fixed("shortcut"))
    return tf.nn.relu(block(net) + shortcut)  # 3 x 3 x 16, Xception's residual


def model_fn(features, labels, mode):
    code = image_branch(features["image"])
    sequence = v1.layers.separable_conv1d(features["sequence"], 6, 3, strides=2, padding="same", depth_multiplier=2,
                                          activation=tf.nn.relu, depthwise_initializer=fixed("dw_seq"),
                                          pointwise_initializer=fixed("pw_seq"))  # 5 steps
    pooled = tf.concat([tf.reduce_mean(code, [1, 2]), tf.reduce_mean(sequence, 1)], 1)
    logits = v1.layers.dense(pooled, 3, kernel_initializer=fixed("logits"), name="logits")
    volume = tf.expand_dims(code, 1)  # 1 x 3 x 3 x 16
    volume = v1.layers.conv3d_transpose(volume, 4, 3, strides=2, padding="same", activation=tf.nn.relu,
                                        kernel_initializer=fixed("up1"), bias_initializer=fixed("up1_b"))  # 2x6x6
    decoded = v1.layers.conv3d_transpose(volume, 1, (2, 1, 1), strides=(2, 1, 1), padding="valid",
                                         kernel_initializer=fixed("up2"))  # 4 x 6 x 6 x 1
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={
            "probabilities": tf.nn.softmax(logits), "decoded": decoded[:, 0, :2, :2, 0]})
    reconstruction = v1.losses.mean_squared_error(features["volume"], decoded)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits) + 0.5 * reconstruction
    train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=v1.train.get_global_step())
    metrics = {"accuracy": v1.metrics.accuracy(labels, tf.argmax(logits, 1)),
               "reconstruction": v1.metrics.mean_squared_error(features["volume"], decoded)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def input_fn():
    return tf.data.Dataset.from_tensor_slices((FEATURES, LABELS)).batch(8)


ROOT, ACTION = sys.argv[2:] or (None, "train")
estimator = tf.estimator.Estimator(model_fn, os.path.join(ROOT, "cnn") if ROOT else tempfile.mkdtemp())
if ACTION == "train":
    estimator.train(lambda: input_fn().repeat(), steps=12)
print_report({
    "evaluated": estimator.evaluate(input_fn),
    "shapes": {name: estimator.get_variable_value(name).shape for name in estimator.get_variable_names()},
    "depthwise": estimator.get_variable_value("separable_conv2d/depthwise_kernel")[1],
    "pointwise 1-D": estimator.get_variable_value("separable_conv1d/pointwise_kernel"),
    "decoder": estimator.get_variable_value("conv3d_transpose_1/kernel").ravel(),
    "predictions": [prediction for _, prediction in zip(range(3), estimator.predict(input_fn))],
})
