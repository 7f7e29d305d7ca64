"""model_to_estimator's checkpoints on either engine, for tests/test_parity_keras_checkpoints.py.

Usage: python keras_checkpoint_program.py real|ours JOBS_JSON. Each job is {"dir", "setup", "format", "steps",
"weights"}: the setup's compiled model (its weights set to fixed values, or to zeros with "weights": "zeros"),
converted with model_to_estimator into `dir` and trained `steps` more steps (0: converted only). Prints one JSON
line: for each job, every tensor of the newest checkpoint of `dir` (the object graph as its text) and of
`dir/keras`.
"""
import json
import sys

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "programs"))
from common import fixed_values, plain  # noqa: E402

K = tf.keras
OPTIMIZERS = {
    "adam": lambda: K.optimizers.Adam(0.01), "amsgrad": lambda: K.optimizers.Adam(0.01, amsgrad=True),
    "sgd": lambda: K.optimizers.SGD(0.1), "nesterov": lambda: K.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda: K.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: K.optimizers.Adagrad(0.1), "ftrl": lambda: K.optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
    # what TF 2.15 programs compiled with for the Estimator (after the shim, iris_lib's Keras 2 optimizers)
    "legacyadam": lambda: K.optimizers.legacy.Adam(0.01, decay=0.1),
    "legacysgd": lambda: K.optimizers.legacy.SGD(0.1, momentum=0.5),
}
rng = np.random.RandomState(7)
X = rng.uniform(0, 1, (64, 4)).astype(np.float32)
Y = np.argmax(X[:, :3] - 0.3 * X[:, 3:], axis=1).astype(np.int64)


def model_for(setup: str):
    """"sequential" (two Dense, a Dropout at rate 0 between: a layer without weights) or "functional" (an
    Input, Dense, BatchNormalization, Dense)."""
    if setup == "sequential":
        return K.Sequential([K.layers.Dense(8, activation="relu", input_shape=(4,)), K.layers.Dropout(0.0),
                             K.layers.Dense(3)])
    inputs = K.Input((4,), name="x")
    hidden = K.layers.BatchNormalization()(K.layers.Dense(8, activation="relu")(inputs))
    return K.Model(inputs, K.layers.Dense(3)(hidden))


def run(job: dict) -> dict:
    K.backend.clear_session()
    structure, optimizer = job["setup"].split("-")
    model = model_for(structure)
    model.set_weights([np.zeros(w.shape, np.float32) if job.get("weights") == "zeros" else fixed_values(f"w{i}", w.shape)
                       for i, w in enumerate(model.get_weights())])
    model.compile(optimizer=OPTIMIZERS[optimizer](), loss=K.losses.SparseCategoricalCrossentropy(from_logits=True))
    estimator = K.estimator.model_to_estimator(keras_model=model, model_dir=job["dir"],
                                               checkpoint_format=job["format"])
    key = model.input_names[0] if hasattr(model, "input_names") else ("x" if structure == "functional" else "dense_input")
    if job["steps"]:
        estimator.train(lambda: tf.data.Dataset.from_tensor_slices(({key: X}, Y)).batch(64).repeat(),  # every step the whole set: 5 + 5 steps = 10
                        steps=job["steps"])
    return {name: tensors(path) for name, path in (("main", job["dir"]), ("keras", job["dir"] + "/keras"))}


def tensors(directory: str) -> dict:
    path = tf.train.latest_checkpoint(directory)
    if path is None:
        return {}
    reader = tf.train.load_checkpoint(path)
    values = {}
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if name == "_CHECKPOINTABLE_OBJECT_GRAPH":
            graph = trackable_object_graph_pb2.TrackableObjectGraph()
            graph.ParseFromString(value)
            value = str(graph)
        values[name] = value
    return values


print(json.dumps(plain([run(job) for job in json.loads(sys.argv[2])])))
