"""The canned Estimators' checkpoints on either engine, for tests/test_parity_canned_checkpoints.py.

Usage: python canned_checkpoint_program.py real|ours JOBS_JSON. Each job is {"dir", "setup", "steps"}: the
setup's `tf.estimator` (V2) or `tf.compat.v1.estimator` (V1) class (a new model_dir starts from the same fixed weights on both engines), trained
`steps` more steps in `dir`. Prints one JSON line: for each job, every tensor of the newest checkpoint of `dir`.
"""
import json
import os
import sys

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "programs"))
from common import fixed_start_checkpoint, plain  # noqa: E402

rng = np.random.RandomState(3)
X = rng.uniform(0, 1, (48, 3)).astype(np.float32)
Y = np.argmax(X - 0.4, axis=1).astype(np.int64) % 2
COLUMNS = [tf.feature_column.numeric_column("x", shape=(3,))]
V1 = tf.compat.v1.estimator
SETUPS = {  # the optimizers V2 programs used: by name (the classes' defaults too) and tf.keras.optimizers.legacy
    "dnn-default": lambda d, w: tf.estimator.DNNClassifier([4], COLUMNS, model_dir=d, warm_start_from=w),
    "dnn-adam": lambda d, w: tf.estimator.DNNClassifier([4], COLUMNS, model_dir=d, warm_start_from=w,
                                                        optimizer="Adam"),
    "dnn-rmsprop": lambda d, w: tf.estimator.DNNClassifier([4], COLUMNS, model_dir=d, warm_start_from=w,
                                                           optimizer="RMSProp"),
    "dnn-legacy-momentum": lambda d, w: tf.estimator.DNNClassifier(
        [4], COLUMNS, model_dir=d, warm_start_from=w,
        optimizer=lambda: tf.keras.optimizers.legacy.SGD(0.05, momentum=0.9, nesterov=True)),
    "dnn-legacy-sgd": lambda d, w: tf.estimator.DNNClassifier(
        [4], COLUMNS, model_dir=d, warm_start_from=w, optimizer=tf.keras.optimizers.legacy.SGD(0.05)),
    "dnn-legacy-adam-decay": lambda d, w: tf.estimator.DNNClassifier(
        [4], COLUMNS, model_dir=d, warm_start_from=w,
        optimizer=lambda: tf.keras.optimizers.legacy.Adam(0.01, decay=0.1, amsgrad=True)),
    "linear-default": lambda d, w: tf.estimator.LinearClassifier(COLUMNS, model_dir=d, warm_start_from=w),
    "linear-sgd": lambda d, w: tf.estimator.LinearClassifier(COLUMNS, model_dir=d, warm_start_from=w,
                                                             optimizer="SGD"),
    # V1 programs: tf.compat.v1.train optimizers, by name, as objects and as functions that make one
    "v1-dnn-default": lambda d, w: V1.DNNClassifier([4], COLUMNS, model_dir=d, warm_start_from=w),
    "v1-dnn-adam": lambda d, w: V1.DNNClassifier([4], COLUMNS, model_dir=d, warm_start_from=w, optimizer="Adam"),
    "v1-dnn-batch-norm": lambda d, w: V1.DNNClassifier([4, 3], COLUMNS, model_dir=d, warm_start_from=w,
                                                       batch_norm=True),
    "v1-dnn-momentum": lambda d, w: V1.DNNRegressor(
        [4], COLUMNS, model_dir=d, warm_start_from=w,
        optimizer=lambda: tf.compat.v1.train.MomentumOptimizer(0.01, momentum=0.9, use_nesterov=True)),
    "v1-linear-default": lambda d, w: V1.LinearClassifier(COLUMNS, model_dir=d, warm_start_from=w, n_classes=3),
    "v1-linear-adam": lambda d, w: V1.LinearRegressor(COLUMNS, model_dir=d, warm_start_from=w,
                                                      optimizer=tf.compat.v1.train.AdamOptimizer(0.05)),
}


def input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(48).repeat()  # the whole set every step


def run(job: dict) -> dict:
    make = SETUPS[job["setup"]]
    warm = None if tf.train.latest_checkpoint(job["dir"]) else fixed_start_checkpoint(lambda d: make(d, None),
                                                                                          input_fn)
    make(job["dir"], warm).train(input_fn, steps=job["steps"])
    reader = tf.train.load_checkpoint(job["dir"])
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


print(json.dumps(plain([run(job) for job in json.loads(sys.argv[2])])))
