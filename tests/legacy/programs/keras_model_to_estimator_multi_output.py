"""A functional Keras model with two heads turned Estimator: `class` (softmax over three classes) and `score`
(a regression), compiled with a loss and a weight per output and metrics for one of them, labels given as a
dict keyed by output name. Three optimizers as TF2-era programs compiled them: Keras's `Nadam` (which TF 2.15's
model_to_estimator turned into the legacy one), `tf.keras.optimizers.legacy.Nadam`, and Keras's `Adam` with an
`ExponentialDecay` schedule. The weights are set before each conversion, so both engines start alike.
Usage: python keras_model_to_estimator_multi_output.py real|ours [ROOT train|restore]. Prints one JSON line; with
ROOT, the model_dirs are ROOT/<optimizer>, and `restore` converts the same compiled model onto the checkpoint
already there (e.g. the other engine's) and only evaluates and predicts.
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(6)
X = rng.uniform(0, 1, (60, 4)).astype(np.float32)
CLASS = np.argmax(X[:, :3], axis=1).astype(np.int64)
SCORE = (X[:, :1] - 2 * X[:, 3:]).astype(np.float32)

OPTIMIZERS = {
    "nadam": lambda: tf.keras.optimizers.Nadam(0.01),
    "legacy nadam": lambda: tf.keras.optimizers.legacy.Nadam(0.01),
    "adam schedule": lambda: tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.ExponentialDecay(
        0.02, decay_steps=5, decay_rate=0.5)),
}


def compiled(optimizer):
    inputs = tf.keras.Input((4,), name="features")
    hidden = tf.keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    model = tf.keras.Model(inputs, {"class": tf.keras.layers.Dense(3, activation="softmax", name="class")(hidden),
                                    "score": tf.keras.layers.Dense(1, name="score")(hidden)})
    model.set_weights([fixed_values(f"multi{i}", weight.shape) for i, weight in enumerate(model.get_weights())])
    model.compile(optimizer=optimizer, loss={"class": "sparse_categorical_crossentropy", "score": "mse"},
                  loss_weights={"class": 1.0, "score": 0.5}, metrics={"class": ["accuracy"]})
    return model


def input_fn(repeat):
    dataset = tf.data.Dataset.from_tensor_slices(({"features": X}, {"class": CLASS, "score": SCORE})).batch(20)
    return dataset.repeat() if repeat else dataset


ROOT, ACTION = sys.argv[2:] or (None, "train")


def run(name, make_optimizer):
    model_dir = os.path.join(ROOT, name) if ROOT else tempfile.mkdtemp()
    estimator = tf.keras.estimator.model_to_estimator(keras_model=compiled(make_optimizer()), model_dir=model_dir)
    if ACTION == "train":
        estimator.train(lambda: input_fn(True), steps=12)
    names = estimator.get_variable_names()
    return {
        "evaluated": estimator.evaluate(lambda: input_fn(False)),
        "predicted": [{key: p[key] for key in sorted(p)} for p in estimator.predict(
            lambda: tf.data.Dataset.from_tensor_slices({"features": X[:4]}).batch(4))],
        "variables": sorted(names),
        "weights": {name: estimator.get_variable_value(name) for name in names
                    if name.startswith("layer_with_weights") or name.startswith("optimizer/")},
    }


print_report({name: run(name, make) for name, make in OPTIMIZERS.items()})
