"""TensorFlow's tutorial "Create an Estimator from a Keras model": a compiled Sequential model becomes an
Estimator with `tf.keras.estimator.model_to_estimator`, trains on features keyed `dense_input`, evaluates,
predicts and exports. The weights are set before the conversion (the Estimator starts from them), so both
engines start alike; the tutorial's Dropout is left out, as the two Kerases draw different masks.
Usage: python keras_model_to_estimator.py real|ours. Prints one JSON line.
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(4)
X = rng.uniform(0, 1, (90, 4)).astype(np.float32)
Y = np.argmax(X[:, :3] - 0.3 * X[:, 3:], axis=1).astype(np.int64)

model = tf.keras.models.Sequential([
    tf.keras.layers.Dense(16, activation="relu", input_shape=(4,), name="dense"),
    tf.keras.layers.Dense(3, name="dense_1"),
])
model.set_weights([fixed_values(f"weight{i}", weight.shape) for i, weight in enumerate(model.get_weights())])
model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam",
              metrics=["accuracy"])


def input_fn():
    return tf.data.Dataset.from_tensor_slices(({"dense_input": X}, Y)).batch(30).repeat()


model_dir = tempfile.mkdtemp()
estimator = tf.keras.estimator.model_to_estimator(keras_model=model, model_dir=model_dir)
estimator.train(input_fn=input_fn, steps=300)
evaluated = estimator.evaluate(input_fn=input_fn, steps=3)
predicted = [p["dense_1"] for p in estimator.predict(
    lambda: tf.data.Dataset.from_tensor_slices({"dense_input": X[:3]}).batch(3))]
receiver = tf.estimator.export.build_raw_serving_input_receiver_fn({"dense_input": tf.zeros([1, 4])})
export_dir = estimator.export_saved_model(tempfile.mkdtemp(), receiver).decode()
loaded = tf.saved_model.load(export_dir)
served = loaded.signatures["serving_default"](tf.constant(X[:2]))
print_report({
    "evaluated": evaluated,
    "predicted": predicted,
    "keras folder": "keras_model.ckpt.index" in os.listdir(os.path.join(model_dir, "keras")),
    "signatures": sorted(loaded.signatures.keys()),
    "served": {key: value.numpy() for key, value in served.items()},
})
