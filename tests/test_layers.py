"""`iris_lib.layers`: TF1's `tf.layers` in tf.compat.v1 graphs (names, shapes, collections, training).

The real TF 2.15 layers are compared in tests/test_parity_layers_canned.py; here the behaviour a TF1
program relies on: variable names and initial values, reuse, `.weights`, UPDATE_OPS and
REGULARIZATION_LOSSES, `training=` for dropout and batch norm, and clear errors.
"""
import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1 as tf1
from iris_lib import layers

v1 = tf.compat.v1


def run(graph, fetches, feed=None, init=True):
    with v1.Session(graph=graph) as session:
        if init:
            session.run(v1.global_variables_initializer())
        return session.run(fetches, feed)


def names(variables):
    return [v.op.name for v in variables]


def test_the_tf1_namespace_and_the_package_export_exactly_the_tf1_names():
    assert {"dense", "conv2d", "max_pooling2d", "average_pooling2d", "dropout", "flatten", "batch_normalization",
            "Dense", "Flatten", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout",
            "BatchNormalization"} <= set(layers.__all__)
    for name in layers.__all__:
        assert getattr(tf1.layers, name) is getattr(layers, name)
    from iris_lib.layers import dense  # the old module path still works

    assert dense is layers.core.dense


def test_default_names_count_per_kind_and_given_names_are_used_as_is():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 8, 8, 3])
        net = layers.conv2d(x, 4, 3)
        net = layers.conv2d(net, 4, 3, name="second")
        net = layers.conv2d(net, 2, 1)
        net = layers.batch_normalization(net)
        out = layers.dense(layers.flatten(net), 5)
        assert names(v1.global_variables()) == [
            "conv2d/kernel", "conv2d/bias", "second/kernel", "second/bias", "conv2d_1/kernel", "conv2d_1/bias",
            "batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean",
            "batch_normalization/moving_variance", "dense/kernel", "dense/bias"]
        assert out.shape.as_list() == [None, 5]
        assert "batch_normalization/moving_mean" not in names(v1.trainable_variables())


def test_initial_values_are_glorot_uniform_kernels_and_zero_biases():
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(1)
        layers.dense(tf.zeros([2, 300]), 200)
        layers.conv2d(tf.zeros([1, 5, 5, 30]), 40, 3)
        layers.batch_normalization(tf.zeros([2, 6]))
        values = dict(zip(names(v1.global_variables()), run(graph, v1.global_variables())))
    limit = np.sqrt(6 / (300 + 200))
    assert values["dense/kernel"].std() == pytest.approx(limit / np.sqrt(3), rel=0.05)
    assert np.abs(values["dense/kernel"]).max() <= limit
    conv_limit = np.sqrt(6 / (9 * 30 + 9 * 40))  # fan_in = k*k*in, fan_out = k*k*filters
    assert np.abs(values["conv2d/kernel"]).max() <= conv_limit
    assert values["conv2d/kernel"].std() == pytest.approx(conv_limit / np.sqrt(3), rel=0.05)
    assert not values["dense/bias"].any() and not values["conv2d/bias"].any()
    assert (values["batch_normalization/gamma"] == 1).all() and (values["batch_normalization/moving_variance"] == 1).all()
    assert not values["batch_normalization/beta"].any() and not values["batch_normalization/moving_mean"].any()


def test_a_layer_object_reuses_its_variables_and_lists_them():
    graph = tf.Graph()
    with graph.as_default():
        layer = layers.Dense(3, activation=tf.nn.relu, name="fc")
        a, b = layer(tf.ones([2, 4])), layer(2 * tf.ones([2, 4]))
        assert names(layer.weights) == ["fc/kernel", "fc/bias"] == names(v1.global_variables())
        assert layer.trainable_weights == layer.weights and layer.non_trainable_weights == []
        assert layer.kernel.shape == (4, 3) and layer.count_params() == 15 and layer.name == "fc"
        a, b = run(graph, [a, b])
    assert a.shape == (2, 3) and (a >= 0).all()


def test_reuse_by_name_and_by_variable_scope_as_in_tf1():
    with tf.Graph().as_default():
        x = tf.ones([1, 4])
        layers.dense(x, 3, name="shared")
        layers.dense(x, 3, name="shared", reuse=True)
        with v1.variable_scope("tower", reuse=v1.AUTO_REUSE):
            layers.dense(x, 2, name="head")
            layers.dense(x, 2, name="head")
        assert names(v1.global_variables()) == ["shared/kernel", "shared/bias", "tower/head/kernel", "tower/head/bias"]
        with pytest.raises(ValueError, match="already exists"):
            layers.dense(x, 3, name="shared")


def test_conv_padding_strides_data_format_and_pooling_shapes():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 28, 28, 1])
        assert layers.conv2d(x, 8, 5, padding="same").shape.as_list() == [None, 28, 28, 8]
        assert layers.conv2d(x, 8, 5).shape.as_list() == [None, 24, 24, 8]
        assert layers.conv2d(x, 8, 3, strides=2, padding="SAME").shape.as_list() == [None, 14, 14, 8]
        assert layers.max_pooling2d(x, 2, 2).shape.as_list() == [None, 14, 14, 1]
        assert layers.average_pooling2d(x, 3, 1, padding="same").shape.as_list() == [None, 28, 28, 1]
        channels_first = v1.placeholder(tf.float32, [None, 3, 10, 10])
        conv = layers.Conv2D(6, 3, data_format="channels_first")
        assert conv(channels_first).shape.as_list() == [None, 6, 8, 8] and conv.kernel.shape == (3, 3, 3, 6)
        assert layers.conv1d(v1.placeholder(tf.float32, [None, 20, 2]), 4, 5).shape.as_list() == [None, 16, 4]
        assert layers.max_pooling1d(v1.placeholder(tf.float32, [None, 20, 2]), 2, 2).shape.as_list() == [None, 10, 2]


def test_pooling_and_flatten_compute_what_they_say():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
        pooled = layers.max_pooling2d(x, 2, 2), layers.average_pooling2d(x, 2, 2)
        flat_last = layers.flatten(tf.reshape(tf.range(8.0), [1, 2, 2, 2]))
        flat_first = layers.flatten(tf.reshape(tf.range(8.0), [1, 2, 2, 2]), data_format="channels_first")
        (maximum, average), last, first = run(graph, [pooled, flat_last, flat_first], init=False)
    np.testing.assert_array_equal(maximum.ravel(), [5, 7, 13, 15])
    np.testing.assert_array_equal(average.ravel(), [2.5, 4.5, 10.5, 12.5])
    np.testing.assert_array_equal(last, [[0, 1, 2, 3, 4, 5, 6, 7]])
    np.testing.assert_array_equal(first, [[0, 4, 1, 5, 2, 6, 3, 7]])  # channels moved last first, as TF1


def test_dropout_drops_only_when_training():
    graph = tf.Graph()
    with graph.as_default():
        training = v1.placeholder_with_default(False, [])
        x = tf.ones([1000])
        outputs = [layers.dropout(x, 0.5), layers.dropout(x, 0.5, training=True), layers.dropout(x, 0.5, training=training)]
    with v1.Session(graph=graph) as session:
        off, on, fed_off = session.run(outputs)
        fed_on = session.run(outputs[2], {training: True})
    assert (off == 1).all() and (fed_off == 1).all()
    for dropped in (on, fed_on):
        assert set(np.unique(dropped)) == {0.0, 2.0} and 0.4 < (dropped == 0).mean() < 0.6


@pytest.mark.parametrize("shape", [[64, 3], [8, 4, 4, 3]], ids=["dense-input", "image-input-fused"])
def test_batch_norm_normalizes_and_updates_its_moving_averages_through_update_ops(shape):
    graph = tf.Graph()
    with graph.as_default():
        values = np.random.RandomState(0).normal(5.0, 2.0, size=shape).astype(np.float32)
        training = v1.placeholder_with_default(True, [])
        layer = layers.BatchNormalization(momentum=0.9)
        out = layer(tf.constant(values), training=training)
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2 and layer.updates == updates
        assert names(layer.non_trainable_weights) == ["batch_normalization/moving_mean",
                                                      "batch_normalization/moving_variance"]
    with v1.Session(graph=graph) as session:
        session.run(v1.global_variables_initializer())
        normalized = session.run(out)
        assert abs(normalized.mean()) < 1e-3 and normalized.std() == pytest.approx(1, abs=0.01)
        assert session.run(layer.moving_mean).tolist() == [0, 0, 0]  # computing the output updates nothing
        session.run(updates)
        batch_mean = values.reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(session.run(layer.moving_mean), 0.1 * batch_mean, rtol=1e-5)
        # not training: the moving statistics are used, and nothing may change
        inference = session.run(out, {training: False})
        mean, variance = session.run([layer.moving_mean, layer.moving_variance])
        np.testing.assert_allclose(inference, (values - mean) / np.sqrt(variance + 1e-3), rtol=1e-4, atol=1e-4)
        session.run(updates, {training: False})
        np.testing.assert_allclose(session.run(layer.moving_mean), mean)


def test_fused_batch_norm_on_2d_inputs_runs_the_plain_kernel_and_activity_losses_are_per_example():
    """tf.layers' BatchNormalization fell back from fused=True where the fused kernel cannot run, silently;
    Keras 2 divided an activity regularizer's loss by the batch size."""
    with tf.Graph().as_default():
        x = tf.constant([[1.0], [3.0], [5.0], [7.0]])
        normalized = layers.batch_normalization(x, fused=True, training=True)
        out = layers.dense(x, 1, kernel_initializer=tf1.ones_initializer(),
                           activity_regularizer=lambda a: tf.reduce_sum(tf.abs(a)))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            values, regularization = session.run([normalized, tf1.losses.get_regularization_loss()])
    np.testing.assert_allclose(values.ravel(), [-1.3416, -0.4472, 0.4472, 1.3416], atol=1e-3)
    assert regularization == pytest.approx((1 + 3 + 5 + 7) / 4)
    del out


def test_batch_norm_with_training_false_adds_no_updates():
    with tf.Graph().as_default():
        layers.batch_normalization(tf.ones([4, 3]), training=False)
        assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []


def test_training_with_update_ops_reduces_the_loss_and_moves_the_averages():
    graph = tf.Graph()
    rng = np.random.RandomState(0)
    images = rng.rand(64, 6, 6, 1).astype(np.float32)
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype(np.int64)
    with graph.as_default():
        v1.set_random_seed(0)
        net = layers.conv2d(tf.constant(images), 4, 3, activation=tf.nn.relu)
        net = layers.batch_normalization(net, training=True)
        net = layers.max_pooling2d(net, 2, 2)
        logits = layers.dense(layers.flatten(net), 2)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train_op = v1.train.AdamOptimizer(0.05).minimize(loss)
        moving_mean = [v for v in v1.global_variables() if v.op.name == "batch_normalization/moving_mean"][0]
    with v1.Session(graph=graph) as session:
        session.run(v1.global_variables_initializer())
        first = session.run(loss)
        for _ in range(60):
            session.run(train_op)
        assert session.run(loss) < 0.7 * first
        assert np.abs(session.run(moving_mean)).sum() > 0


def test_regularizers_go_to_the_regularization_losses_collection_once():
    graph = tf.Graph()
    with graph.as_default():
        layer = layers.Dense(2, kernel_regularizer=lambda w: tf.reduce_sum(tf.square(w)), name="fc",
                             kernel_initializer=v1.ones_initializer())
        layer(tf.ones([1, 3]))
        layer(tf.ones([1, 3]))  # reusing the variables adds no second loss
        losses = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
        assert losses == layer.losses and len(losses) == 1
        assert run(graph, losses)[0] == 6.0


def test_trainable_false_keeps_variables_out_of_training():
    with tf.Graph().as_default():
        layer = layers.Dense(2, trainable=False)
        layer(tf.ones([1, 3]))
        assert v1.trainable_variables() == [] and layer.trainable_weights == []
        assert names(layer.non_trainable_weights) == ["dense/kernel", "dense/bias"]


@pytest.mark.parametrize("build, message", [
    (lambda: layers.dense(tf.ones([1, 3]), 0), "units must be a positive whole number"),
    (lambda: layers.dense(v1.placeholder(tf.float32, [None, None]), 2), "last dimension of the inputs must be known"),
    (lambda: layers.dense(tf.ones([1, 3], tf.int32), 2), r"inputs are int32.*tf.cast"),
    (lambda: layers.conv2d(tf.ones([2, 8, 3]), 4, 3), "must have rank 4"),
    (lambda: layers.conv2d(tf.ones([1, 8, 8, 3]), 4, (3, 3, 3)), "kernel_size must be an int or a tuple of 2"),
    (lambda: layers.conv2d(tf.ones([1, 8, 8, 3]), 4, 3, padding="full"), "padding must be 'valid' or 'same'"),
    (lambda: layers.conv2d(tf.ones([1, 8, 8, 3]), 4, 3, data_format="NHWC"), "data_format must be 'channels_last'"),
    (lambda: layers.max_pooling2d(tf.ones([1, 8, 8, 3]), 2, 0), "strides must be positive"),
    (lambda: layers.dropout(tf.ones([3]), rate=1.0), r"rate must be a number in \[0, 1\)"),
    (lambda: layers.batch_normalization(tf.ones([2, 3]), axis=0), "out of range"),
    (lambda: layers.batch_normalization(tf.ones([2, 3]), renorm=True), "no batch renormalization"),
    (lambda: layers.Dense(3, activaton=tf.nn.relu), "unexpected keyword arguments"),
])
def test_bad_arguments_say_what_is_wrong(build, message):
    with tf.Graph().as_default():
        with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
            build()


def test_an_activation_given_by_name_is_the_function_of_that_name():
    """tf.layers.dense(activation='relu') ran on the real tf.layers (Keras 2 looked the name up)."""
    inputs = np.array([[1.0, -2.0], [-0.5, 3.0]], np.float32)
    with tf.Graph().as_default():
        by_name = layers.dense(tf.constant(inputs), 3, activation="relu", kernel_initializer=v1.ones_initializer())
        by_function = layers.dense(tf.constant(inputs), 3, activation=tf.nn.relu,
                                   kernel_initializer=v1.ones_initializer())
        conv = layers.conv2d(tf.constant(np.ones((1, 3, 3, 1), np.float32)), 2, 3, activation="tanh")
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            named, function, _ = session.run([by_name, by_function, conv])
    np.testing.assert_array_equal(named, function)
    assert named.min() == 0.0 and named.max() > 0.0
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*such as 'relu'"):
        layers.Dense(3, activation="rellu")
    with pytest.raises(TypeError, match="activation must be a function such as tf.nn.relu, or its name, got 3"):
        layers.Dense(3, activation=3)


@pytest.mark.parametrize("padding, strides, kernel, size, expected", [
    ("same", 2, 3, 4, 8), ("valid", 2, 3, 4, 9), ("valid", 3, 2, 4, 12), ("same", 1, 3, 5, 5)])
def test_conv2d_transpose_has_keras_2s_sizes_names_and_is_the_adjoint_of_conv2d(padding, strides, kernel, size,
                                                                               expected):
    """The transposed convolution of a decoder: kernel `(k, k, filters, in_channels)` under `conv2d_transpose/`,
    output `in * stride` ('same') or `in * stride + max(k - stride, 0)` ('valid'), as TF1's; and it is the adjoint
    of conv2d with that kernel: <conv2d_transpose(x), y> == <x, conv2d(y)>."""
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        x = tf.constant(rng.uniform(-1, 1, (2, size, size, 3)).astype(np.float32))
        up = layers.conv2d_transpose(x, 4, kernel, strides=strides, padding=padding, use_bias=False)
        assert up.shape.as_list() == [2, expected, expected, 4]
        kernel_variable, = tf1.global_variables()
        assert kernel_variable.op.name == "conv2d_transpose/kernel"
        assert kernel_variable.shape.as_list() == [kernel, kernel, 4, 3]
        y = tf.constant(rng.uniform(-1, 1, (2, expected, expected, 4)).astype(np.float32))
        down = tf.nn.conv2d(y, kernel_variable, strides=strides, padding=padding.upper())
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            up_value, down_value, x_value, y_value = session.run([up, down, x, y])
    assert down_value.shape == x_value.shape
    assert np.sum(up_value * y_value) == pytest.approx(np.sum(x_value * down_value), rel=1e-4)


def numpy_separable_conv2d(x, depthwise, pointwise, bias, strides, padding):
    """Separable convolution the long way: each input channel filtered by its own `depth_multiplier` kernels
    (output channel `c * depth_multiplier + m`), then a 1x1 convolution; padding as TF pads ('same': the extra
    row or column at the bottom and right)."""
    (kh, kw, channels, multiplier), (sh, sw) = depthwise.shape, strides
    if padding == "same":
        out_h, out_w = -(-x.shape[1] // sh), -(-x.shape[2] // sw)
        pad_h = max((out_h - 1) * sh + kh - x.shape[1], 0)
        pad_w = max((out_w - 1) * sw + kw - x.shape[2], 0)
        x = np.pad(x, [(0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)])
    out_h, out_w = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    depth = np.zeros((x.shape[0], out_h, out_w, channels * multiplier))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (batch, kh, kw, channels)
            depth[:, i, j] = np.einsum("bhwc,hwcm->bcm", patch, depthwise).reshape(x.shape[0], -1)
    return depth @ pointwise.reshape(channels * multiplier, -1) + bias


def test_the_separable_and_3d_transposed_convolutions_are_in_the_tf1_namespace():
    """TF1's Xception/MobileNet blocks and 3-D decoders: every `tf.layers` name TF 2.15 had, but its InputSpec."""
    for name in ("separable_conv1d", "separable_conv2d", "SeparableConv1D", "SeparableConv2D", "conv3d_transpose",
                 "Conv3DTranspose"):
        assert name in layers.__all__ and getattr(tf1.layers, name) is getattr(layers, name)


@pytest.mark.parametrize("padding, strides, multiplier, size, expected", [
    ("same", 2, 2, 7, 4), ("valid", 1, 1, 6, 4), ("valid", 2, 3, 7, 3), ("same", 1, 2, 5, 5)])
def test_separable_conv2d_has_tf1s_names_and_shapes_and_is_depthwise_then_pointwise(padding, strides, multiplier,
                                                                                    size, expected):
    """`separable_conv2d/depthwise_kernel` (k, k, in, depth_multiplier), `/pointwise_kernel` (1, 1, in * dm,
    filters), `/bias`; the output is each channel filtered alone, then mixed by a 1x1 convolution."""
    rng = np.random.RandomState(0)
    inputs = rng.uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    with tf.Graph().as_default():
        out = layers.separable_conv2d(tf.constant(inputs), 4, 3, strides=strides, padding=padding,
                                      depth_multiplier=multiplier, bias_initializer=tf1.random_uniform_initializer())
        assert out.shape.as_list() == [2, expected, expected, 4]
        assert [(v.op.name, v.shape.as_list()) for v in tf1.global_variables()] == [
            ("separable_conv2d/depthwise_kernel", [3, 3, 3, multiplier]),
            ("separable_conv2d/pointwise_kernel", [1, 1, 3 * multiplier, 4]), ("separable_conv2d/bias", [4])]
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            value, (depthwise, pointwise, bias) = session.run([out, tf1.global_variables()])
    np.testing.assert_allclose(value, numpy_separable_conv2d(inputs, depthwise, pointwise, bias, (strides, strides),
                                                             padding), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding, strides, expected", [("same", 2, 6), ("valid", 1, 9), ("valid", 3, 3)])
def test_separable_conv1d_is_the_2d_one_on_a_single_row(padding, strides, expected):
    """Keras 2 (and so TF1) computed the 1-D separable convolution as the 2-D one on inputs of height 1:
    kernels `(k, in, dm)` and `(1, in * dm, filters)` under `separable_conv1d/`."""
    rng = np.random.RandomState(1)
    inputs = rng.uniform(-1, 1, (2, 11, 3)).astype(np.float32)
    with tf.Graph().as_default():
        out = layers.separable_conv1d(tf.constant(inputs), 5, 3, strides=strides, padding=padding,
                                      depth_multiplier=2, activation=tf.nn.relu)
        assert out.shape.as_list() == [2, expected, 5]
        assert [(v.op.name, v.shape.as_list()) for v in tf1.global_variables()] == [
            ("separable_conv1d/depthwise_kernel", [3, 3, 2]), ("separable_conv1d/pointwise_kernel", [1, 6, 5]),
            ("separable_conv1d/bias", [5])]
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            value, (depthwise, pointwise, bias) = session.run([out, tf1.global_variables()])
    expected_value = numpy_separable_conv2d(inputs[:, None], depthwise[None], pointwise[None], bias, (1, strides),
                                            padding)[:, 0]
    np.testing.assert_allclose(value, np.maximum(expected_value, 0), rtol=1e-5, atol=1e-5)


def test_separable_conv_dilation_data_format_regularizers_and_reuse_as_in_tf1():
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 9, 9, 3])
        assert layers.separable_conv2d(x, 4, 3, dilation_rate=2).shape.as_list() == [None, 5, 5, 4]
        channels_first = layers.SeparableConv2D(6, 3, strides=2, padding="same", data_format="channels_first")
        assert channels_first(tf1.placeholder(tf.float32, [None, 3, 9, 9])).shape.as_list() == [None, 6, 5, 5]
        assert channels_first.depthwise_kernel.shape == (3, 3, 3, 1)
        square = lambda w: tf.reduce_sum(tf.square(w))  # noqa: E731
        layer = layers.SeparableConv1D(2, 3, name="block", depthwise_regularizer=square, pointwise_regularizer=square,
                                       depthwise_initializer=tf1.ones_initializer(),
                                       pointwise_initializer=tf1.ones_initializer())
        layer(tf.ones([1, 5, 2]))
        layer(tf.ones([1, 5, 2]))  # the same variables, no second loss
        layers.separable_conv1d(tf.ones([1, 5, 2]), 2, 3, name="block", reuse=True)
        assert names(layer.weights) == ["block/depthwise_kernel", "block/pointwise_kernel", "block/bias"]
        assert len([v for v in tf1.global_variables() if v.op.name.startswith("block/")]) == 3
        losses = tf1.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
        assert losses == layer.losses and len(losses) == 2
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(losses) == [6.0, 4.0]  # 3 * 2 * 1 ones, then 1 * 2 * 2


@pytest.mark.parametrize("padding, strides, kernel, size, expected", [
    ("same", 2, 3, 3, 6), ("valid", 2, 3, 3, 7), ("valid", 3, 2, 2, 6), ("same", 1, 2, 3, 3)])
def test_conv3d_transpose_has_keras_2s_sizes_names_and_is_the_adjoint_of_conv3d(padding, strides, kernel, size,
                                                                               expected):
    """The 3-D decoder's upsampling: kernel `(k, k, k, filters, in_channels)` under `conv3d_transpose/`, Keras 2's
    output sizes, and <conv3d_transpose(x), y> == <x, conv3d(y)> with that kernel."""
    rng = np.random.RandomState(2)
    with tf.Graph().as_default():
        x = tf.constant(rng.uniform(-1, 1, (2, size, size + 1, size, 3)).astype(np.float32))
        up = layers.conv3d_transpose(x, 2, kernel, strides=strides, padding=padding, use_bias=False)
        assert up.shape.as_list() == [2, expected, expected + strides, expected, 2]  # one more input row: + stride
        kernel_variable, = tf1.global_variables()
        assert kernel_variable.op.name == "conv3d_transpose/kernel"
        assert kernel_variable.shape.as_list() == [kernel, kernel, kernel, 2, 3]
        y = tf.constant(rng.uniform(-1, 1, up.shape.as_list()).astype(np.float32))
        down = tf.nn.conv3d(y, kernel_variable, strides=[1, strides, strides, strides, 1], padding=padding.upper())
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            up_value, down_value, x_value, y_value = session.run([up, down, x, y])
    assert down_value.shape == x_value.shape
    assert np.sum(up_value * y_value) == pytest.approx(np.sum(x_value * down_value), rel=1e-4)


def test_conv3d_transpose_adds_its_bias_and_knows_a_dynamic_batch_and_channels_first():
    with tf.Graph().as_default():
        volumes = tf1.placeholder(tf.float32, [None, None, 4, 5, 2])
        dynamic = layers.conv3d_transpose(volumes, 4, 3, strides=2, padding="same",
                                          bias_initializer=tf1.ones_initializer(),
                                          kernel_initializer=tf1.zeros_initializer())
        assert dynamic.shape.as_list() == [None, None, 8, 10, 4]
        first = layers.Conv3DTranspose(4, 3, strides=2, data_format="channels_first")
        assert first(tf1.placeholder(tf.float32, [None, 3, 4, 5, 2])).shape.as_list() == [None, 4, 9, 11, 5]
        assert first.kernel.shape == (3, 3, 3, 4, 3) and names(first.weights)[0] == "conv3d_transpose_1/kernel"
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            value = session.run(dynamic, {volumes: np.zeros((1, 2, 4, 5, 2))})
    assert value.shape == (1, 4, 8, 10, 4) and (value == 1).all()


@pytest.mark.parametrize("build, message", [
    (lambda: layers.separable_conv2d(tf.ones([1, 8, 8, 3]), 4, 3, depth_multiplier=0),
     "depth_multiplier must be a positive whole number"),
    (lambda: layers.separable_conv2d(tf.ones([1, 8, 3]), 4, 3), "must have rank 4"),
    (lambda: layers.separable_conv1d(tf.ones([1, 8, 8, 3]), 4, 3), "must have rank 3"),
    (lambda: layers.separable_conv2d(tf.ones([1, 8, 8, 3]), 4, 3, strides=2, dilation_rate=2),
     "strides > 1 together with dilation_rate > 1"),
    (lambda: layers.conv3d_transpose(tf.ones([1, 4, 4, 3]), 2, 3), "must have rank 5"),
    (lambda: layers.conv3d_transpose(tf.ones([1, 4, 4, 4, 3]), 2, (3, 3)),
     "kernel_size must be an int or a tuple of 3"),
    (lambda: layers.SeparableConv2D(3, 3, depthwise_initialiser=None), "unexpected keyword arguments"),
    (lambda: layers.separable_conv2d(tf.ones([1, 8, 8, 3]), 3, 3, kernel_initializer=None),  # as TF1's: two kernels
     "unexpected keyword argument 'kernel_initializer'"),
])
def test_separable_and_3d_transposed_bad_arguments_say_what_is_wrong(build, message):
    with tf.Graph().as_default():
        with pytest.raises((ValueError, TypeError), match=message):
            build()
