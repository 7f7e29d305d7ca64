"""What the programs in this folder share: printing their one JSON line, and weights both engines agree on.

Not a program itself: each program imports it after choosing its engine (`python PROGRAM real|ours`).
"""
import json
import tempfile
import zlib

import numpy as np
import tensorflow as tf


def plain(value):
    """`value` with numpy arrays and scalars as lists and numbers, bytes as str: what json.dumps takes."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def print_report(report: dict):
    print(json.dumps(plain(report), sort_keys=True))


def fixed_values(name: str, shape) -> np.ndarray:
    """Values that depend on the variable's name only, so both engines give a variable the same ones."""
    return np.random.RandomState(zlib.crc32(name.encode())).uniform(-0.3, 0.3, shape).astype(np.float32)


def fixed_start_checkpoint(make_estimator, input_fn) -> str:
    """A checkpoint holding `fixed_values` for every float variable of the model `make_estimator(model_dir)`
    builds: a canned DNN draws its initial weights at random (the real one from Python's `random`), so both
    engines warm-start from this instead. Found by training one step in a scratch model_dir."""
    scratch = tempfile.mkdtemp()
    make_estimator(scratch).train(input_fn, steps=1)
    dtypes = tf.train.load_checkpoint(scratch).get_variable_to_dtype_map()
    with tf.Graph().as_default():
        variables = [tf.compat.v1.Variable(fixed_values(name, shape), name=name)
                     for name, shape in tf.train.list_variables(scratch) if dtypes[name] == tf.float32]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver(variables).save(session, f"{scratch}/fixed_start")
