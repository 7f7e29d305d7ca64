"""A binary Keras classifier turned Estimator the TF 2.15 way: compiled with a loss by name
("binary_crossentropy"), a `tf.keras.optimizers.legacy` optimizer (what TF 2.15's Estimators wanted), and the
metrics a binary tutorial reported (`tf.keras.metrics.Precision()`, `Recall()`, `"AUC"`, `RootMeanSquaredError()`,
`"binary_accuracy"`). The weights are set before the conversion, so both engines start alike.
Usage: python keras_model_to_estimator_binary.py real|ours. Prints one JSON line.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(5)
X = rng.uniform(-1, 1, (80, 3)).astype(np.float32)
Y = (X[:, :1] + 0.5 * X[:, 1:2] > 0.1).astype(np.float32)

inputs = tf.keras.Input((3,), name="features")
hidden = tf.keras.layers.Dense(6, activation="relu", name="hidden")(inputs)
model = tf.keras.Model(inputs, tf.keras.layers.Dense(1, activation="sigmoid", name="score")(hidden))
model.set_weights([fixed_values(f"binary{i}", weight.shape) for i, weight in enumerate(model.get_weights())])
model.compile(optimizer=tf.keras.optimizers.legacy.SGD(0.5, momentum=0.5, decay=0.01), loss="binary_crossentropy",
              metrics=[tf.keras.metrics.Precision(), tf.keras.metrics.Recall(), "AUC",
                       tf.keras.metrics.RootMeanSquaredError(), "binary_accuracy"])


def input_fn(repeat):
    dataset = tf.data.Dataset.from_tensor_slices(({"features": X}, Y)).batch(20)
    return dataset.repeat() if repeat else dataset


estimator = tf.keras.estimator.model_to_estimator(keras_model=model, model_dir=tempfile.mkdtemp())
estimator.train(lambda: input_fn(True), steps=12)
print_report({
    "evaluated": estimator.evaluate(lambda: input_fn(False)),
    "predicted": [p["score"] for p in estimator.predict(lambda: tf.data.Dataset.from_tensor_slices(
        {"features": X[:4]}).batch(4))],
})
