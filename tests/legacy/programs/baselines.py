"""Baselines first, as production pipelines set them up before any real model.

`tf.compat.v1.estimator.BaselineClassifier` (string label vocabulary, weight column, 'Adagrad' by name) and
TF2's `tf.estimator.BaselineRegressor` ('Ftrl' by name, label_dimension 2, one feature: the real V2
Baseline* fail with several, see companion/differences.md) and `tf.estimator.BaselineClassifier`
(binary). Each learns only the label prior / mean, from zeros, so both engines compute the same numbers.
Usage: python baselines.py real|ours. Prints one JSON line: per model, metrics, predictions, variables.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1 as tf1
else:
    import tensorflow.compat.v1 as tf1
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

rng = np.random.RandomState(4)
N = 36
X = rng.uniform(0, 1, N).astype(np.float32)
WEIGHT = rng.uniform(0.5, 2.0, N).astype(np.float32)
COLORS = np.array(["red", "green", "blue"])[rng.choice(3, N, p=[0.5, 0.3, 0.2])]
TARGETS = np.stack([rng.normal(3.0, 1.0, N), rng.normal(-1.0, 0.5, N)], axis=1).astype(np.float32)
CLICKED = (rng.uniform(0, 1, N) < 0.3).astype(np.int32)


def input_fn(features, labels, train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices((features, labels))
        return dataset.repeat().batch(12) if train else dataset.batch(12)
    return make


models = {
    "v1 classifier": (tf1.estimator.BaselineClassifier(
        model_dir=tempfile.mkdtemp(), n_classes=3, weight_column="weight", label_vocabulary=["red", "green", "blue"],
        optimizer="Adagrad"), {"x": X, "weight": WEIGHT}, COLORS),
    "v2 regressor": (tf.estimator.BaselineRegressor(model_dir=tempfile.mkdtemp(), label_dimension=2,
                                                    optimizer="Ftrl"), {"x": X}, TARGETS),
    "v2 binary classifier": (tf.estimator.BaselineClassifier(model_dir=tempfile.mkdtemp(), optimizer="Adagrad"),
                             {"x": X}, CLICKED),
}
report = {}
for name, (model, features, labels) in models.items():
    model.train(input_fn(features, labels, True), steps=20)
    predictions = list(model.predict(input_fn(features, labels, False)))[:2]
    report[name] = {"metrics": model.evaluate(input_fn(features, labels, False)),
                    "predictions": [{k: p[k] for k in sorted(p)} for p in predictions],
                    "bias": model.get_variable_value("baseline/bias")}
print_report(report)
