"""The Baseline* and *Estimator canned Estimators on Iris, V1 and V2, on either engine.

Usage: python canned_estimators_program.py real|ours ROOT train|restore
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
  train: train each model 20 steps in ROOT/<name>, then evaluate and predict; restore: only evaluate and
  predict from the checkpoint already in ROOT/<name> (written by either engine).
A model_fn of one's own (`v1_logit_fn_builders`) builds its logits with the experimental logit_fn builders.
Prints one JSON line: per model, the checkpoint's variables (name -> shape), the eval metrics, the first
predictions, `params` and the model_fn's argument names. The V1 `*Estimator`s get a canned V1 head (the real
one's private `canned/head.py` builders, ours `iris_lib.estimator.canned.head`); the V2 ones a public head.
"""
import inspect
import json
import sys
from pathlib import Path

import numpy as np

ENGINE, ROOT, ACTION = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if ENGINE == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    from iris_lib.estimator.canned import head as canned_head

    V1_HEADS = {"multi_class": lambda: canned_head.MultiClassHead(3), "binary": canned_head.BinaryClassHead,
                "regression": canned_head.RegressionHead}
else:
    from tensorflow_estimator.python.estimator.canned import head as canned_head

    V1_HEADS = {"multi_class": lambda: canned_head._multi_class_head_with_softmax_cross_entropy_loss(3),
                "binary": canned_head._binary_logistic_head_with_sigmoid_cross_entropy_loss,
                "regression": canned_head._regression_head}
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
STEPS = 20
DATA = Path(__file__).resolve().parents[2] / "iris_lib" / "data"
NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]


def load(name):
    frame = pd.read_csv(DATA / name, names=NAMES, header=0)
    return frame, frame.pop("Species")


(TRAIN_X, TRAIN_Y), (TEST_X, TEST_Y) = load("iris_training.csv"), load("iris_test.csv")
COLUMNS = [tf.feature_column.numeric_column(key) for key in NAMES[:4]]
X3 = NAMES[:3]  # regression: the first three measurements predict PetalWidth
COLUMNS3 = COLUMNS[:3]


def labels_of(task, x, y):
    """(features, labels) for a task: 'class' the species, 'binary' setosa or not, 'regression' PetalWidth.

    A task ending in '1' gives one feature only: the real V2 Baseline* create their bias under the batch-size
    checks of several features, so its initializer reads the input before the iterator is initialized and
    fails (a bug of TF 2.15's; ours does not have it, see companion/differences.md)."""
    if task.endswith("1"):
        features, labels = labels_of(task[:-1], x, y)
        return {"SepalLength": features["SepalLength"]}, labels
    if task == "class":
        return dict(x), y.values
    if task == "binary":
        return dict(x), (y.values == 0).astype(np.int64)
    return dict(x[X3]), x["PetalWidth"].values.astype(np.float32)


def input_fn(task, train):
    features, labels = labels_of(task, *((TRAIN_X, TRAIN_Y) if train else (TEST_X, TEST_Y)))

    def fn():
        dataset = tf.data.Dataset.from_tensor_slices((features, labels))
        return dataset.repeat().batch(32) if train else dataset.batch(10)
    return fn


E1, E2 = v1.estimator, tf.estimator
MODELS = {  # name -> (task, make(model_dir, config))
    "v1_baseline_classifier": ("class", lambda d, c: E1.BaselineClassifier(d, n_classes=3, config=c)),
    "v2_baseline_classifier": ("class1", lambda d, c: E2.BaselineClassifier(d, n_classes=3, config=c)),
    "v1_baseline_binary": ("binary", lambda d, c: E1.BaselineClassifier(d, config=c)),
    "v1_baseline_regressor": ("regression", lambda d, c: E1.BaselineRegressor(d, config=c)),
    "v2_baseline_regressor": ("regression1", lambda d, c: E2.BaselineRegressor(d, config=c)),
    # TF2's names for the reduction: "sum" sums the loss over the batch (the default averages it).
    "v2_baseline_regressor_sum": ("regression1", lambda d, c: E2.BaselineRegressor(d, config=c, loss_reduction="sum")),
    "v1_baseline_estimator": ("binary", lambda d, c: E1.BaselineEstimator(V1_HEADS["binary"](), d, config=c)),
    "v2_baseline_estimator": ("class1", lambda d, c: E2.BaselineEstimator(E2.MultiClassHead(3), d, config=c)),
    "v1_dnn_estimator": ("class", lambda d, c: E1.DNNEstimator(V1_HEADS["multi_class"](), [8, 4], COLUMNS, d,
                                                               config=c)),
    "v2_dnn_estimator": ("class", lambda d, c: E2.DNNEstimator(E2.MultiClassHead(3), [8, 4], COLUMNS, d, config=c)),
    "v1_linear_estimator": ("regression", lambda d, c: E1.LinearEstimator(V1_HEADS["regression"](), COLUMNS3, d,
                                                                          config=c)),
    "v2_linear_estimator": ("regression", lambda d, c: E2.LinearEstimator(E2.RegressionHead(), COLUMNS3, d,
                                                                          config=c)),
    "v1_combined_estimator": ("class", lambda d, c: E1.DNNLinearCombinedEstimator(
        V1_HEADS["multi_class"](), d, linear_feature_columns=COLUMNS[:2], dnn_feature_columns=COLUMNS[2:],
        dnn_hidden_units=[4], config=c)),
    "v2_combined_estimator": ("class", lambda d, c: E2.DNNLinearCombinedEstimator(
        E2.MultiClassHead(3), d, linear_feature_columns=COLUMNS[:2], dnn_feature_columns=COLUMNS[2:],
        dnn_hidden_units=[4], config=c)),
}


def logit_fns_model_fn(features, labels, mode, params, config):
    """A model_fn of one's own from the experimental logit_fn builders (tf.compat.v1 only) and call_logit_fn
    (both namespaces): a DNN at the root scope (batch norm) plus a linear model in a scope of its own."""
    deep = E1.experimental.dnn_logit_fn_builder(3, [8, 4], COLUMNS, tf.nn.relu, None, None, True)
    logits = E1.experimental.call_logit_fn(deep, features, mode, params, config)
    with v1.variable_scope("wide"):
        wide = E1.experimental.linear_logit_fn_builder(3, [tf.feature_column.bucketized_column(
            COLUMNS[2], [2.0, 4.0]), COLUMNS[3]], sparse_combiner="mean")
        logits += E2.experimental.call_logit_fn(wide, features, mode, params, config)
    predictions = {"class_ids": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return E1.EstimatorSpec(mode, predictions=predictions)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.group(v1.train.AdagradOptimizer(0.1).minimize(loss, v1.train.get_global_step()),
                        *v1.get_collection(v1.GraphKeys.UPDATE_OPS))
    return E1.EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op, eval_metric_ops={
        "accuracy": v1.metrics.accuracy(labels, predictions["class_ids"])})


MODELS["v1_logit_fn_builders"] = ("class", lambda d, c: E1.Estimator(logit_fns_model_fn, d, config=c))


def plain(value):
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else v for v in value.ravel().tolist()]
    return value.tolist()


def report(name):
    task, make = MODELS[name]
    model_dir = str(ROOT / name)
    estimator = make(model_dir, E1.RunConfig(tf_random_seed=11) if name.startswith("v1") else
                     E2.RunConfig(tf_random_seed=11))
    if ACTION == "train":
        estimator.train(input_fn(task, True), steps=STEPS)
    metrics = estimator.evaluate(input_fn(task, False))
    predictions = [{key: plain(value) for key, value in p.items()}
                   for _, p in zip(range(4), estimator.predict(input_fn(task, False)))]
    return {"variables": {n: list(s) for n, s in tf.train.list_variables(model_dir)},
            "metrics": {key: float(value) for key, value in metrics.items()},
            "predictions": predictions,
            "params": estimator.params,
            "model_fn_args": list(inspect.signature(estimator.model_fn).parameters)}


print(json.dumps({name: report(name) for name in MODELS}))
