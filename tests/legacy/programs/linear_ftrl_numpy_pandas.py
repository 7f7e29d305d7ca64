"""Linear models fed from numpy arrays and pandas DataFrames, as the TF 1.x linear-model tutorials did.

`tf.compat.v1.estimator.LinearRegressor` with `optimizer='Ftrl'` and a `weight_column`, fed by
`tf.compat.v1.estimator.inputs.numpy_input_fn`; `tf.compat.v1.estimator.LinearClassifier` with an FTRL
optimizer object (L1 and L2 regularization), a weight column and `pandas_input_fn`. The inputs are not
shuffled (a shuffled epoch is in another order on iris_lib: companion/differences.md).
Usage: python linear_ftrl_numpy_pandas.py real|ours. Prints one JSON line: per model, metrics, predictions
and weights.
"""
import sys
import tempfile

import numpy as np
import pandas as pd

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1 as tf1
else:
    import tensorflow.compat.v1 as tf1
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

rng = np.random.RandomState(8)
N = 50
ROOMS = rng.uniform(1, 6, N).astype(np.float32)
AGE = rng.uniform(0, 50, N).astype(np.float32)
WEIGHT = rng.uniform(0.5, 2.0, N).astype(np.float32)
PRICE = (50 * ROOMS - AGE + rng.normal(0, 5, N)).astype(np.float32)
inputs = tf1.estimator.inputs
columns = [tf.feature_column.numeric_column("rooms"), tf.feature_column.numeric_column("age")]

regressor = tf1.estimator.LinearRegressor(columns, model_dir=tempfile.mkdtemp(), weight_column="weight",
                                          optimizer="Ftrl")
numpy_features = {"rooms": ROOMS, "age": AGE, "weight": WEIGHT}
regressor.train(inputs.numpy_input_fn(numpy_features, PRICE, batch_size=10, num_epochs=None, shuffle=False),
                steps=25)
regression = {
    "metrics": regressor.evaluate(inputs.numpy_input_fn(numpy_features, PRICE, batch_size=10, num_epochs=1,
                                                        shuffle=False)),
    "predictions": [p["predictions"] for p in regressor.predict(
        inputs.numpy_input_fn({"rooms": ROOMS[:3], "age": AGE[:3]}, batch_size=2, shuffle=False))],
}

frame = pd.DataFrame({"rooms": ROOMS, "age": AGE, "weight": WEIGHT})
expensive = pd.Series((PRICE > np.median(PRICE)).astype(np.int64))
classifier = tf1.estimator.LinearClassifier(
    columns, model_dir=tempfile.mkdtemp(), weight_column="weight",
    optimizer=tf1.train.FtrlOptimizer(0.3, l1_regularization_strength=0.01, l2_regularization_strength=0.1))
classifier.train(inputs.pandas_input_fn(frame, expensive, batch_size=10, num_epochs=3, shuffle=False))
classification = {
    "metrics": classifier.evaluate(inputs.pandas_input_fn(frame, expensive, batch_size=10, shuffle=False)),
    "predictions": [p["probabilities"] for p in classifier.predict(
        inputs.pandas_input_fn(frame.head(3), batch_size=2, shuffle=False))],
}
weights = lambda model: {n: model.get_variable_value(n) for n in model.get_variable_names()  # noqa: E731
                         if n.endswith("weights") and "Ftrl" not in n}
print_report({"regressor": {**regression, "weights": weights(regressor)},
              "classifier": {**classification, "weights": weights(classifier)}})
