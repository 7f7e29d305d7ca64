"""Chapter 11 (a convolutional custom Estimator): its claims about tf.layers and the Estimator, and their facts.

    python tests/legacy/claims/ch11_convolutional_estimator.py real|ours WORKDIR
"""
from ledger import Claim, load_iris, main, numeric_columns, train_input_fn

PAGE = "chapters/11_convolutional_estimator.ipynb"

VARIABLES = {"conv2d/bias": [32], "conv2d/kernel": [3, 3, 1, 32], "conv2d_1/bias": [64],
             "conv2d_1/kernel": [3, 3, 32, 64], "dense/bias": [128], "dense/kernel": [256, 128], "dense_1/bias": [10],
             "dense_1/kernel": [128, 10]}

CLAIMS = [
    Claim("conv-same-and-pooling-halve", PAGE,
          quote="`padding='same'` keeps the 8×8 size, and each `max_pooling2d`\nkeeps the largest value of every 2×2 "
                "window, halving it: 8×8 → 4×4 → 2×2",
          says="tf.layers.conv2d with padding='same' keeps 8x8; max_pooling2d(2, 2) takes each 2x2 window's maximum: "
               "8x8 -> 4x4 -> 2x2.",
          shows=("layer_shapes", "max_pool_is_max_of_2x2_windows"),
          holds=lambda f: f["layer_shapes"][:4] == [[None, 8, 8, 32], [None, 4, 4, 32], [None, 4, 4, 64],
                                                    [None, 2, 2, 64]]
          and f["max_pool_is_max_of_2x2_windows"]),
    Claim("flatten-256", PAGE,
          quote="`flatten` turns the\n2×2×64 result into 256 numbers for `dense`",
          says="tf.layers.flatten turns [batch, 2, 2, 64] into [batch, 256].",
          shows=("layer_shapes",),
          holds=lambda f: f["layer_shapes"][4] == [None, 256]),
    Claim("dropout-zeroes-40pct-in-training", PAGE,
          quote="`dropout` zeroes a random 40% of the dense layer's outputs\nwhile training",
          says="tf.layers.dropout(rate=0.4, training=True) zeroes about 40% of its inputs (and scales the rest by "
               "1/0.6); with training=False it passes them unchanged.",
          shows=("dropout",),
          holds=lambda f: f["dropout"] == {"train_zero_fraction_near_40pct": True,
                                           "train_kept_scaled_by_1_over_0.6": True, "eval_is_identity": True}),
    Claim("dropout-follows-mode", PAGE,
          quote="it must be off in evaluation and prediction, and the\nmodel function knows which is which from `mode`",
          says="Called by train(), evaluate() and predict(), the model function builds dropout operations in TRAIN "
               "mode only.",
          shows=("dropout_ops_by_mode",),
          holds=lambda f: f["dropout_ops_by_mode"] == {"train": True, "eval": False, "infer": False}),
    Claim("images-same-three-calls", PAGE,
          quote="Nothing changes on the Estimator's side: the same three calls as for Iris.",
          says="An Estimator over a dict of [n, 8, 8, 1] images trains, evaluates (accuracy, loss, global_step) and "
               "predicts as for Iris.",
          shows=("eval_keys", "eval_global_step"),
          holds=lambda f: f["eval_keys"] == ["accuracy", "global_step", "loss"] and f["eval_global_step"] == 5),
    Claim("tf1-layer-variable-names", PAGE,
          quote="The variables the layers created carry TF1's names, one\nscope per layer (`conv2d`, `conv2d_1`, "
                "`dense`, `dense_1`), exactly as the original `tf.layers` named\nthem",
          says="The CNN's checkpoint holds conv2d/{kernel,bias}, conv2d_1/..., dense/..., dense_1/... with the "
               "shapes of the chapter's table, beside Adam's slots (<var>/Adam, <var>/Adam_1, beta1_power, "
               "beta2_power) and global_step: the same names on both engines.",
          shows=("variables", "checkpoint_variable_names"),
          holds=lambda f: f["variables"] == VARIABLES and f["checkpoint_variable_names"] == sorted(
              [*VARIABLES, *(f"{v}/Adam{s}" for v in VARIABLES for s in ("", "_1")), "beta1_power", "beta2_power",
               "global_step"])),
    Claim("conv-parameter-count", PAGE,
          quote="a `conv2d` with a k×k kernel has\nk·k·in_channels·filters weights plus one bias per filter",
          says="tf.layers.conv2d's kernel is [k, k, in_channels, filters] and its bias [filters]; the model has "
               "53,002 trainable parameters.",
          shows=("variables", "parameters_with_and_without_pooling"),
          holds=lambda f: f["variables"]["conv2d/kernel"] == [3, 3, 1, 32]
          and f["variables"]["conv2d_1/kernel"] == [3, 3, 32, 64] and f["variables"]["conv2d_1/bias"] == [64]
          and f["parameters_with_and_without_pooling"][0] == 53002),
    Claim("pooling-saves-dense-parameters", PAGE,
          quote="assert without_pooling - with_pooling == (8 * 8 - 2 * 2) * 64 * 128",
          says="Without the pooling layers the model has 544,522 trainable parameters instead of 53,002: the dense "
               "layer sees 8x8x64 inputs instead of 2x2x64.",
          shows=("parameters_with_and_without_pooling",),
          holds=lambda f: f["parameters_with_and_without_pooling"] == [53002, 544522]),
    Claim("predictions-repeat-dropout-train-only", PAGE,
          quote="Two predictions agree exactly, and the graph has dropout operations in TRAIN mode only",
          says="Two predict() calls on the same images give identical probabilities, and only the TRAIN graph has "
               "dropout operations.",
          shows=("predict_twice_identical", "dropout_ops_by_mode"),
          holds=lambda f: f["predict_twice_identical"]
          and f["dropout_ops_by_mode"] == {"train": True, "eval": False, "infer": False}),
    Claim("batch-norm-batch-vs-moving-statistics", PAGE,
          quote="Batch normalization normalizes each channel with the batch's mean and variance in\ntraining, and "
                "with moving averages of them in evaluation and prediction.",
          says="tf.layers.batch_normalization(training=True) normalizes with the batch's per-channel mean and "
               "variance; with training=False, with moving_mean and moving_variance (initially 0 and 1).",
          shows=("batch_norm",),
          holds=lambda f: f["batch_norm"]["training_uses_batch_statistics"]
          and f["batch_norm"]["inference_uses_moving_averages_0_and_1"]),
    Claim("training-flag-from-mode", PAGE,
          quote="Layers that behave differently in training (dropout, batch normalization) take\n  "
                "`training=(mode == ModeKeys.TRAIN)`",
          says="dropout and batch_normalization compute differently with training=True and training=False, and the "
               "Estimator's mode makes that flag True in TRAIN only.",
          shows=("dropout", "batch_norm", "dropout_ops_by_mode"),
          holds=lambda f: f["dropout"]["eval_is_identity"] and f["dropout"]["train_zero_fraction_near_40pct"]
          and f["batch_norm"]["training_uses_batch_statistics"]
          and f["batch_norm"]["inference_uses_moving_averages_0_and_1"]
          and f["dropout_ops_by_mode"] == {"train": True, "eval": False, "infer": False}),
    Claim("update-ops-not-run-by-minimize-or-estimator", PAGE,
          quote="Batch normalization also puts the updates of its moving averages into the `UPDATE_OPS` collection,\n"
                "  which neither `minimize` nor a custom Estimator runs (only the pre-made heads add them)",
          says="batch_normalization(training=True) adds 2 ops to UPDATE_OPS; minimize's train_op does not depend on "
               "them, a custom Estimator does not run them (moving averages stay 0 and 1), and a pre-made "
               "DNNClassifier(batch_norm=True) does (its moving means move).",
          shows=("batch_norm", "custom_estimator_moving_averages", "canned_batch_norm_moving_means_moved"),
          holds=lambda f: f["batch_norm"]["update_ops_in_collection"] == 2
          and not f["batch_norm"]["minimize_depends_on_update_ops"]
          and f["custom_estimator_moving_averages"]["False"] == {"moving_mean_all_0": True,
                                                                  "moving_variance_all_1": True}
          and f["canned_batch_norm_moving_means_moved"]),
    Claim("update-ops-control-dependencies", PAGE,
          quote="without the control dependency the moving averages never move from 0 (and the variances from 1)",
          says="Trained by a custom Estimator, batch normalization's moving mean and variance stay 0 and 1 without "
               "tf.control_dependencies(UPDATE_OPS) around minimize, and move with it.",
          shows=("custom_estimator_moving_averages",),
          holds=lambda f: f["custom_estimator_moving_averages"] == {
              "False": {"moving_mean_all_0": True, "moving_variance_all_1": True},
              "True": {"moving_mean_all_0": False, "moving_variance_all_1": False}}),
]

PARAMS = {"filters": [32, 64], "dense_units": 128, "dropout": 0.4, "learning_rate": 0.002}


def cnn_model_fn_for(tf, seen=None):
    """The chapter's cnn_model_fn; `seen` records, per mode the Estimator calls it in, whether dropout ops exist."""
    def cnn_model_fn(features, labels, mode, params):
        net = tf.reshape(features["image"], [-1, 8, 8, 1])
        for filters in params["filters"]:
            net = tf.layers.conv2d(net, filters=filters, kernel_size=3, padding="same", activation=tf.nn.relu)
            net = tf.layers.max_pooling2d(net, pool_size=2, strides=2)
        net = tf.layers.flatten(net)
        net = tf.layers.dense(net, units=params["dense_units"], activation=tf.nn.relu)
        net = tf.layers.dropout(net, rate=params["dropout"], training=(mode == tf.estimator.ModeKeys.TRAIN))
        logits = tf.layers.dense(net, units=10)
        if seen is not None:
            seen[mode] = has_dropout_ops(tf.get_default_graph())
        predicted_classes = tf.argmax(logits, 1)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={
                "class_ids": predicted_classes, "probabilities": tf.nn.softmax(logits)})
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted_classes, name="acc_op")
        if mode == tf.estimator.ModeKeys.EVAL:
            return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})
        train_op = tf.train.AdamOptimizer(params["learning_rate"]).minimize(
            loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    return cnn_model_fn


def has_dropout_ops(graph):
    return any("dropout" in op.name and op.type in ("Mul", "SelectV2", "GreaterEqual")
               for op in graph.get_operations())


def digits():
    """Stand-ins for the 8x8 digits (the real engine's venv has no scikit-learn): the claims are about the layers
    and the Estimator, not about accuracy."""
    import numpy as np
    rng = np.random.RandomState(0)
    return rng.rand(400, 8, 8, 1).astype(np.float32), rng.randint(0, 10, 400).astype(np.int32)


def facts(tf, workdir):
    import numpy as np

    images, labels = digits()
    train_images, train_labels = images[:320], labels[:320]
    test_images, test_labels = images[320:], labels[320:]

    def train_fn():
        return tf.data.Dataset.from_tensor_slices(({"image": train_images}, train_labels)).shuffle(
            320, seed=1).repeat().batch(32)

    def eval_fn(images, labels=None):
        inputs = {"image": images} if labels is None else ({"image": images}, labels)
        return tf.data.Dataset.from_tensor_slices(inputs).batch(64)

    # Shapes through the layers, and what max_pooling2d and flatten compute.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 1])
        shapes = []
        net = x
        for filters in PARAMS["filters"]:
            net = tf.layers.conv2d(net, filters=filters, kernel_size=3, padding="same", activation=tf.nn.relu)
            shapes.append(net.shape.as_list())
            net = tf.layers.max_pooling2d(net, pool_size=2, strides=2)
            shapes.append(net.shape.as_list())
        shapes.append(tf.layers.flatten(net).shape.as_list())
        grid = np.random.RandomState(0).rand(2, 8, 8, 3).astype(np.float32)
        pooled = tf.layers.max_pooling2d(tf.constant(grid), pool_size=2, strides=2)
        ones = tf.ones([200, 100])
        dropped_train = tf.layers.dropout(ones, rate=0.4, training=True)
        dropped_eval = tf.layers.dropout(ones, rate=0.4, training=False)
        with tf.Session() as session:
            pooled_v, train_v, eval_v = session.run([pooled, dropped_train, dropped_eval])
    expected_pool = grid.reshape(2, 4, 2, 4, 2, 3).max(axis=(2, 4))
    zero_fraction = float((train_v == 0).mean())
    dropout = {
        "train_zero_fraction_near_40pct": 0.37 <= zero_fraction <= 0.43,
        "train_kept_scaled_by_1_over_0.6": bool(np.allclose(train_v[train_v != 0], 1 / 0.6)),
        "eval_is_identity": bool(np.array_equal(eval_v, np.ones([200, 100], np.float32))),
    }

    # The model's variables (names, shapes), and parameter counts with and without pooling.
    def count_parameters(model_fn):
        with tf.Graph().as_default():
            model_fn({"image": tf.placeholder(tf.float32, [None, 8, 8, 1])}, None, tf.estimator.ModeKeys.PREDICT,
                     PARAMS)
            return sum(int(np.prod(v.shape.as_list())) for v in tf.trainable_variables())

    def no_pooling_model_fn(features, labels, mode, params):
        net = tf.reshape(features["image"], [-1, 8, 8, 1])
        for filters in params["filters"]:
            net = tf.layers.conv2d(net, filters=filters, kernel_size=3, padding="same", activation=tf.nn.relu)
        net = tf.layers.flatten(net)
        net = tf.layers.dense(net, units=params["dense_units"], activation=tf.nn.relu)
        return tf.estimator.EstimatorSpec(mode, predictions={"logits": tf.layers.dense(net, units=10)})

    # The Estimator: a few steps, evaluation, and two predictions of the same images.
    seen = {}
    classifier = tf.estimator.Estimator(cnn_model_fn_for(tf, seen), model_dir=str(workdir / "cnn"),
                                        config=tf.estimator.RunConfig(tf_random_seed=7), params=PARAMS)
    classifier.train(train_fn, steps=5)
    eval_result = classifier.evaluate(lambda: eval_fn(test_images, test_labels))
    first = [p["probabilities"] for p in classifier.predict(lambda: eval_fn(test_images[:10]))]
    second = [p["probabilities"] for p in classifier.predict(lambda: eval_fn(test_images[:10]))]
    variables = {name: list(classifier.get_variable_value(name).shape) for name in classifier.get_variable_names()
                 if name.split("/")[0].startswith(("conv2d", "dense")) and "Adam" not in name}

    # Batch normalization: batch statistics in training, moving averages otherwise; UPDATE_OPS.
    with tf.Graph().as_default():
        x = tf.constant(np.random.RandomState(1).randn(16, 4, 4, 3).astype(np.float32) * 2 + 3)
        bn_train = tf.layers.batch_normalization(x, training=True)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        bn_update_ops = len(update_ops)
        bn_infer = tf.layers.batch_normalization(x, training=False, name="batch_normalization", reuse=True)
        update_ops_after_inference_layer = len(tf.get_collection(tf.GraphKeys.UPDATE_OPS))
        loss = tf.reduce_mean(tf.square(bn_train))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        minimize_depends_on_updates = any(op in _ancestors(train_op) for op in update_ops)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            x_v, train_out, infer_out = session.run([x, bn_train, bn_infer])
    mean, var = x_v.mean(axis=(0, 1, 2)), x_v.var(axis=(0, 1, 2))
    batch_norm = {
        "training_uses_batch_statistics": bool(np.allclose(train_out, (x_v - mean) / np.sqrt(var + 1e-3), atol=1e-4)),
        "inference_uses_moving_averages_0_and_1": bool(np.allclose(infer_out, x_v / np.sqrt(1 + 1e-3), atol=1e-4)),
        "update_ops_in_collection": bn_update_ops,
        "training_false_adds_no_update_ops": update_ops_after_inference_layer == bn_update_ops,
        "minimize_depends_on_update_ops": minimize_depends_on_updates,
    }

    def bn_model_fn(features, labels, mode, params):
        net = tf.layers.conv2d(features["image"], filters=8, kernel_size=3, padding="same")
        net = tf.nn.relu(tf.layers.batch_normalization(net, training=(mode == tf.estimator.ModeKeys.TRAIN)))
        logits = tf.layers.dense(tf.layers.flatten(net), units=10)
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        optimizer = tf.train.AdamOptimizer(learning_rate=0.002)
        if params["run_update_ops"]:
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
        else:
            train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    moving = {}
    for run_update_ops in (False, True):
        bn = tf.estimator.Estimator(bn_model_fn, model_dir=str(workdir / f"bn_{run_update_ops}"),
                                    config=tf.estimator.RunConfig(tf_random_seed=7),
                                    params={"run_update_ops": run_update_ops})
        bn.train(train_fn, steps=5)
        moving[run_update_ops] = {
            "moving_mean_all_0": bool(np.all(bn.get_variable_value("batch_normalization/moving_mean") == 0)),
            "moving_variance_all_1": bool(np.all(bn.get_variable_value("batch_normalization/moving_variance") == 1))}

    # A pre-made classifier (V1 head) with batch_norm=True runs the UPDATE_OPS itself.
    (train_x, train_y), _ = load_iris()
    canned = tf.estimator.DNNClassifier(hidden_units=[4], feature_columns=numeric_columns(tf), n_classes=3,
                                        batch_norm=True, model_dir=str(workdir / "canned"),
                                        config=tf.estimator.RunConfig(tf_random_seed=7))
    canned.train(lambda: train_input_fn(tf, train_x, train_y), steps=3)
    canned_means = [name for name in canned.get_variable_names() if name.endswith("moving_mean")]
    canned_moved = bool(canned_means) and all(np.any(canned.get_variable_value(n) != 0) for n in canned_means)

    return {
        "layer_shapes": shapes,
        "max_pool_is_max_of_2x2_windows": bool(np.array_equal(pooled_v, expected_pool)),
        "dropout": dropout,
        "variables": variables,
        "checkpoint_variable_names": sorted(classifier.get_variable_names()),
        "parameters_with_and_without_pooling": [count_parameters(cnn_model_fn_for(tf)),
                                                count_parameters(no_pooling_model_fn)],
        "dropout_ops_by_mode": seen,
        "eval_keys": sorted(eval_result),
        "eval_global_step": int(eval_result["global_step"]),
        "predict_twice_identical": all(np.array_equal(a, b) for a, b in zip(first, second)),
        "batch_norm": batch_norm,
        "custom_estimator_moving_averages": {str(k): v for k, v in moving.items()},
        "canned_batch_norm_moving_means_moved": canned_moved,
    }


def _ancestors(op):
    """Every operation `op` depends on, through inputs and control inputs."""
    op = getattr(op, "op", op)
    seen, stack = set(), [op]
    while stack:
        current = stack.pop()
        for parent in [t.op for t in current.inputs] + list(current.control_inputs):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


if __name__ == "__main__":
    main(facts)
