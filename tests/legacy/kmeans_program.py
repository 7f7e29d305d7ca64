"""`tf.compat.v1.estimator.experimental.KMeans` on either engine, from the same fixed initial centers.

Usage: python kmeans_program.py real|ours ROOT train|restore
  real: the real tf.estimator (TF 2.15, legacy venv, `tensorflow.compat.v1`); ours: `iris_lib.tf1` (TF 2.21).
  train: for each configuration, train in ROOT/<name>, then report; also export a SavedModel.
  restore: report from the checkpoint already in ROOT/<name> (the other engine's), then train 1 step more.
Prints one JSON line: per configuration, the cluster centers, the checkpoint's variables (name -> shape),
the predictions (both keys), `transform`, `score`, `evaluate`, the constructor's signature; train adds the
export's signatures, restore the centers after one more step.
The configurations: full-batch Lloyd, mini-batch (synced every step and every 3 steps), cosine distance,
dict features (sorted keys, and through feature_columns), relative_tolerance stopping early; and, instead of
the fixed centers, seeded random and k-means++ initializations.
"""
import inspect
import json
import os
import sys
from pathlib import Path

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.tf1 as tf
else:
    import tensorflow.compat.v1 as tf
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

ROOT, ACTION = Path(sys.argv[2]), sys.argv[3]
rng = np.random.RandomState(0)
BLOBS = np.array([[0., 0.], [6., 1.], [2., 7.]], np.float32)
POINTS = np.concatenate([blob + rng.normal(0, 0.8, size=(10, 2)) for blob in BLOBS]).astype(np.float32)
POINTS = POINTS[rng.permutation(len(POINTS))]  # blobs mixed, so every mini-batch sees each
INITIAL = np.array([[1., 1.], [4., 0.], [1., 5.]], np.float32)  # near, not at, the blobs
KMeans = tf.estimator.experimental.KMeans

CONFIGS = {  # name -> (constructor arguments, features, train batch size (None: all), train steps)
    "full_batch": (dict(use_mini_batch=False), "tensor", None, 3),
    "mini_batch": (dict(use_mini_batch=True), "tensor", 10, 6),
    "mini_batch_sync_every_3": (dict(use_mini_batch=True, mini_batch_steps_per_iteration=3), "tensor", 10, 6),
    "cosine": (dict(use_mini_batch=False, distance_metric=KMeans.COSINE_DISTANCE), "tensor", None, 2),
    "dict_sorted_keys": (dict(use_mini_batch=False), "dict", None, 2),
    "feature_columns": (dict(use_mini_batch=False, feature_columns=[
        tf.feature_column.numeric_column("b"), tf.feature_column.numeric_column("a")]), "dict", None, 2),
    "relative_tolerance": (dict(use_mini_batch=False, relative_tolerance=1e-4), "tensor", None, 20),
    # Centers chosen by TensorFlow's seeded random ops (the op seed, and the graph seed of the RunConfig).
    "random_init_seeded": (dict(use_mini_batch=False, initial_clusters=KMeans.RANDOM_INIT, seed=7), "tensor", None,
                           2),
    "kmeans_plus_plus_seeded": (dict(use_mini_batch=True, initial_clusters=KMeans.KMEANS_PLUS_PLUS_INIT, seed=7),
                                "tensor", 10, 3),
}


def features(kind, points):
    if kind == "tensor":
        return points
    return {"b": points[:, 1:], "a": points[:, :1]}  # sorted: a, b; so the same points as "tensor"


def input_fn(kind, batch_size=None, repeat=False):
    def fn():
        dataset = tf.data.Dataset.from_tensor_slices(features(kind, POINTS)).batch(batch_size or len(POINTS))
        return dataset.repeat() if repeat else dataset
    return fn


def serving_input_receiver_fn(kind):
    def fn():
        if kind == "tensor":
            points = tf.placeholder(tf.float32, [None, 2], name="points")
            return tf.estimator.export.ServingInputReceiver(points, {"points": points})
        columns = {key: tf.placeholder(tf.float32, [None, 1], name=key) for key in ("a", "b")}
        return tf.estimator.export.ServingInputReceiver(columns, columns)
    return fn


def plain(value):
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def signatures(export_dir) -> dict:
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString(Path(os.fsdecode(export_dir), "saved_model.pb").read_bytes())
    return {name: {"method_name": sig.method_name, "outputs": sorted(sig.outputs)}
            for name, sig in saved_model.meta_graphs[0].signature_def.items()}


def run(name):
    arguments, kind, batch_size, steps = CONFIGS[name]
    model_dir = str(ROOT / name)
    arguments = {"initial_clusters": INITIAL, **arguments}
    # One thread on both engines: clustering_ops' mini-batch step gathers the counts and adds to them with no
    # order between the two ops, so with several threads either could run first (the result would vary).
    one_thread = tf.ConfigProto(inter_op_parallelism_threads=1, intra_op_parallelism_threads=1)
    kmeans = KMeans(num_clusters=3, model_dir=model_dir,
                    config=tf.estimator.RunConfig(tf_random_seed=1, session_config=one_thread), **arguments)
    if ACTION == "train":
        kmeans.train(input_fn(kind, batch_size, repeat=True), steps=steps)
    report = {
        "centers": plain(kmeans.cluster_centers()),
        "variables": {key: list(shape) for key, shape in tf.train.list_variables(model_dir)},
        "predictions": [{key: plain(value) for key, value in row.items()}
                        for row in kmeans.predict(input_fn(kind))],
        "cluster_index": [plain(i) for i in kmeans.predict_cluster_index(input_fn(kind))],
        "transform": [plain(row) for row in kmeans.transform(input_fn(kind))],
        "score": plain(kmeans.score(input_fn(kind))),
        "metrics": {key: plain(value) for key, value in kmeans.evaluate(input_fn(kind, batch_size=10)).items()},
        "signature": str(inspect.signature(type(kmeans).__init__)),
    }
    if ACTION == "train":
        report["export"] = signatures(kmeans.export_saved_model(str(ROOT / f"{name}_export"),
                                                                 serving_input_receiver_fn(kind)))
    else:
        kmeans.train(input_fn(kind, batch_size, repeat=True), steps=1)
        report["centers_one_step_more"] = plain(kmeans.cluster_centers())
    return report


print(json.dumps({name: run(name) for name in CONFIGS}))
