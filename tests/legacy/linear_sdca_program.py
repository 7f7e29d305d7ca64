"""LinearClassifier and LinearRegressor (V1 and V2) trained by `tf.estimator.experimental.LinearSDCA`, on
either engine.

Usage: python linear_sdca_program.py real|ours ROOT train|restore
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
  train: train each model STEPS full-batch steps in ROOT/<name>, then evaluate and predict; restore: evaluate
  and predict from the checkpoint already in ROOT/<name> (written by either engine), then train RESUME steps
  more from it (which needs the per-example dual state and the unshrunk weights restored too).
Prints one JSON line: per model, the checkpoint's variables (name -> shape), the model's weights, the eval
metrics and the predictions (and, for restore, the weights after resuming).

SDCA's kernel visits the examples in a random order of its own, so the engines (or two runs of one) agree
once converged: the data are small and STEPS passes reach the unique optimum of the regularized loss.
"""
import json
import sys
from pathlib import Path

import numpy as np

ENGINE, ROOT, ACTION = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if ENGINE == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
v1.logging.set_verbosity(v1.logging.ERROR)
STEPS, RESUME = 100, 3
rng = np.random.RandomState(0)
N = 16
X = rng.uniform(-1, 1, size=(N, 2)).astype(np.float32)
COLOR = rng.choice(["red", "green", "blue", "violet"], size=N)  # violet: out of vocabulary (id -1, pruned)
WORDS = np.array([[a, b] for a, b in zip(rng.choice(list("abcdef"), N), rng.choice(list("abcdef"), N))])
WEIGHT = rng.uniform(0.5, 2.0, size=(N, 1)).astype(np.float32)
IDS = np.array([f"example-{i}" for i in range(N)])
SCORE = X @ np.array([1.5, -2.0], np.float32) + (COLOR == "red") - 0.5 * (COLOR == "blue")
LABELS = {"binary": (SCORE + 0.3 * rng.randn(N) > 0).astype(np.int64).reshape(N, 1),
          "real": (SCORE + 0.1 * rng.randn(N)).astype(np.float32).reshape(N, 1)}
fc = tf.feature_column
COLUMNS = [fc.numeric_column("x", shape=(2,)),
           fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"]),
           fc.categorical_column_with_hash_bucket("words", 5)]  # two words per example, some repeated


def sdca(**settings):
    return tf.estimator.experimental.LinearSDCA(example_id_column="example_id", **settings)


MODELS = {  # name -> (make the Estimator in model_dir, labels)
    "classifier_v1": (lambda d: v1.estimator.LinearClassifier(
        COLUMNS, model_dir=d, weight_column="w", optimizer=sdca(symmetric_l2_regularization=0.5)), "binary"),
    "classifier_v2": (lambda d: tf.estimator.LinearClassifier(
        COLUMNS, model_dir=d, optimizer=sdca(symmetric_l1_regularization=0.05, symmetric_l2_regularization=1.0)),
        "binary"),
    "regressor_v1": (lambda d: v1.estimator.LinearRegressor(
        COLUMNS, model_dir=d, optimizer=sdca(symmetric_l2_regularization=1.0)), "real"),
    "regressor_v2": (lambda d: tf.estimator.LinearRegressor(
        COLUMNS, model_dir=d, weight_column="w", optimizer=sdca(symmetric_l2_regularization=1.0)), "real"),
}


def input_fn(labels, repeat=True):
    def fn():
        features = {"x": X, "color": COLOR, "words": WORDS, "w": WEIGHT, "example_id": IDS}
        data = tf.data.Dataset.from_tensor_slices((features, labels)).batch(N)
        return data.repeat() if repeat else data
    return fn


def weights_of(estimator):
    return {name: estimator.get_variable_value(name).ravel().tolist() for name in estimator.get_variable_names()
            if name.startswith("linear/linear_model/") and not name.endswith("_unshrunk")}


def plain(value):
    return value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value


def report(name):
    make, task = MODELS[name]
    estimator = make(str(ROOT / name))
    labels = LABELS[task]
    if ACTION == "train":
        estimator.train(input_fn(labels), steps=STEPS)
    out = {"variables": {n: list(s) for n, s in tf.train.list_variables(estimator.model_dir)},
           "weights": weights_of(estimator),
           "metrics": {k: plain(v) for k, v in estimator.evaluate(input_fn(labels, repeat=False)).items()},
           "predictions": [{k: plain(v) for k, v in p.items() if k != "all_classes" and k != "classes"}
                           for p in estimator.predict(input_fn(labels, repeat=False))]}
    if ACTION == "restore":
        estimator.train(input_fn(labels), steps=RESUME)
        out["resumed_step"] = int(estimator.get_variable_value("global_step"))
        out["resumed_weights"] = weights_of(estimator)
    return out


print(json.dumps({name: report(name) for name in MODELS}))
