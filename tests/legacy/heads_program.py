"""Custom model_fns ending in `head.create_estimator_spec(...)`, one per public head, on either engine.

Usage: python heads_program.py real|ours ROOT train|restore
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
  train: train each head's Estimator 5 steps in ROOT/<head> from the same constant weights, then evaluate,
  predict and export; restore: only evaluate and predict from the checkpoint already in ROOT/<head>.
Prints one JSON line: per head, its properties, the eval metrics, the predictions (a MultiHead's
`(head, key)` keys as "head/key"), the checkpoint's variables, and (train) the export's signatures with
their output keys. The heads cover weights, vocabularies (a MultiLabelHead's as a string SparseTensor),
thresholds, per-class metrics, head names, SUM reduction and regularization losses.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

ROOT, ACTION = Path(sys.argv[2]), sys.argv[3]
STEPS = 5
v1 = tf.compat.v1
rng = np.random.RandomState(0)
N = 24
X = rng.uniform(-1, 1, size=(N, 4)).astype(np.float32)
W = rng.uniform(0.5, 2, size=(N,)).astype(np.float32)
CLASS = rng.randint(0, 3, size=(N, 1)).astype(np.int64)
BINARY = rng.randint(0, 2, size=(N, 1)).astype(np.int64)
LABELS = {
    "int3": CLASS,
    "vocab3": np.array([["abc"[i] for i in row] for row in CLASS]),
    "int2": BINARY,
    "vocab2": np.array([[("no", "yes")[i] for i in row] for row in BINARY]),
    "real2": rng.uniform(-2, 2, size=(N, 2)).astype(np.float32),
    "count": rng.poisson(2.0, size=(N, 1)).astype(np.float32),
    "unit": rng.uniform(0, 1, size=(N, 1)).astype(np.float32),
    "multi_hot": rng.randint(0, 2, size=(N, 3)).astype(np.int64),
}
LABELS["two_heads"] = {"kind": CLASS, "size": LABELS["unit"]}
NAMES = np.array([[name if on else "" for name, on in zip("xyz", row)] for row in LABELS["multi_hot"]])
SUM = tf.losses.Reduction.SUM
HEADS = {  # name -> (make head, labels, regularized)
    "multi_class": (lambda: tf.estimator.MultiClassHead(3, weight_column="w"), "int3", True),
    "multi_class_vocab": (lambda: tf.estimator.MultiClassHead(3, label_vocabulary=["a", "b", "c"], name="mc"),
                          "vocab3", False),
    "binary": (lambda: tf.estimator.BinaryClassHead(weight_column="w", thresholds=[0.3, 0.7]), "int2", True),
    "binary_vocab": (lambda: tf.estimator.BinaryClassHead(label_vocabulary=["no", "yes"], loss_reduction=SUM),
                     "vocab2", False),
    "regression": (lambda: tf.estimator.RegressionHead(label_dimension=2, weight_column="w"), "real2", True),
    "poisson": (lambda: tf.estimator.PoissonRegressionHead(), "count", False),
    "logistic": (lambda: tf.compat.v1.estimator.LogisticRegressionHead(name="lr"), "unit", False),
    "multi_label": (lambda: tf.estimator.MultiLabelHead(3, weight_column="w", thresholds=[0.5],
                                                        classes_for_class_based_metrics=[0, 2]), "multi_hot", True),
    "multi_label_vocab": (lambda: tf.estimator.MultiLabelHead(3, label_vocabulary=["x", "y", "z"],
                                                              classes_for_class_based_metrics=["y"], name="ml"),
                          "sparse_vocab", False),
    "multi_head": (lambda: tf.estimator.MultiHead([tf.estimator.MultiClassHead(3, name="kind"),
                                                   tf.estimator.RegressionHead(name="size")], head_weights=[1., .5]),
                   "two_heads", True),
}


def model_fn(features, labels, mode, params):
    head = params["make_head"]()
    with v1.variable_scope("dense"):  # one dense layer, from constants: both engines start identical
        width = head.logits_dimension
        kernel = v1.get_variable("kernel", initializer=np.linspace(-0.5, 0.5, 4 * width, dtype=np.float32)
                                 .reshape(4, width))
        bias = v1.get_variable("bias", initializer=np.linspace(0.1, 0.2, width, dtype=np.float32))
    logits = tf.matmul(features["x"], kernel) + bias
    regularization = [0.01 * tf.reduce_sum(tf.square(kernel))] if params["regularized"] else None

    def train_op_fn(loss):
        return v1.train.AdagradOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())

    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      train_op_fn=train_op_fn, regularization_losses=regularization)


def input_fn(label_key, repeat):
    def fn():
        if label_key == "sparse_vocab":  # each example's class names, as a string SparseTensor
            dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "w": W}, NAMES)).batch(8).map(
                lambda features, names: (features, tf.sparse.from_dense(names)))
        else:
            dataset = tf.data.Dataset.from_tensor_slices(({"x": X, "w": W}, LABELS[label_key])).batch(8)
        return dataset.repeat() if repeat else dataset
    return fn


def predict_input_fn():
    return tf.data.Dataset.from_tensor_slices({"x": X, "w": W}).batch(8)


def plain(value):
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if hasattr(value, "item") else value


def signatures(export_dir) -> dict:
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString(Path(os.fsdecode(export_dir), "saved_model.pb").read_bytes())
    return {name: {"method_name": sig.method_name, "outputs": sorted(sig.outputs)}
            for name, sig in saved_model.meta_graphs[0].signature_def.items()}


def run(name):
    make_head, label_key, regularized = HEADS[name]
    head = make_head()
    estimator = tf.estimator.Estimator(model_fn, model_dir=str(ROOT / name), config=tf.estimator.RunConfig(
        tf_random_seed=1), params={"make_head": make_head, "regularized": regularized})
    if ACTION == "train":
        estimator.train(input_fn(label_key, repeat=True), steps=STEPS)
    report = {
        "properties": {"name": head.name, "logits_dimension": head.logits_dimension,
                       "loss_reduction": head.loss_reduction},
        "metrics": {key: plain(value) for key, value in estimator.evaluate(input_fn(label_key, repeat=False)).items()},
        "predictions": [{"/".join(key) if isinstance(key, tuple) else key: plain(value) for key, value in row.items()}
                        for row in estimator.predict(predict_input_fn)],
        "variables": dict(tf.train.list_variables(str(ROOT / name))),
    }
    if ACTION == "train":
        receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(
            {"x": tf.io.FixedLenFeature([4], tf.float32), "w": tf.io.FixedLenFeature([], tf.float32)})
        report["signatures"] = signatures(estimator.export_saved_model(str(ROOT / f"{name}_export"), receiver))
    return report


print(json.dumps({name: run(name) for name in HEADS}))
