"""How an Estimator holds and calls its model_fn, on either engine; prints one JSON line.

Usage: python model_fn_program.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
Reports the canned Estimators' `params` and `model_fn` signature, a custom Estimator's, and the errors for a
model_fn with the wrong arguments (function addresses masked).
"""
import inspect
import json
import re
import sys

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

columns = [tf.feature_column.numeric_column(key) for key in "abcd"]
canned = {
    "v1 DNNClassifier": lambda: tf.compat.v1.estimator.DNNClassifier([4], columns, n_classes=3),
    "DNNClassifier": lambda: tf.estimator.DNNClassifier([4], columns, n_classes=3),
    "DNNRegressor": lambda: tf.estimator.DNNRegressor([4], columns),
    "LinearClassifier": lambda: tf.estimator.LinearClassifier(columns, n_classes=3),
    "v1 LinearRegressor": lambda: tf.compat.v1.estimator.LinearRegressor(columns),
    "DNNLinearCombinedClassifier": lambda: tf.estimator.DNNLinearCombinedClassifier(
        dnn_feature_columns=columns, dnn_hidden_units=[4]),
}


def my_model_fn(features, labels, mode, params):
    return None


def described(estimator):
    return {"params": sorted(estimator.params), "model_fn": str(inspect.signature(estimator.model_fn))}


report = {name: described(make()) for name, make in canned.items()}
report["custom"] = described(tf.estimator.Estimator(my_model_fn, params={"hidden_units": [4]}))
wrong = {
    "no features": dict(model_fn=lambda inputs, labels, mode: None),
    "params not taken": dict(model_fn=lambda features, labels, mode: None, params={"a": 1}),
    "unexpected argument": dict(model_fn=lambda features, labels, mode, extra: None),
}
for name, kwargs in wrong.items():
    try:
        tf.estimator.Estimator(**kwargs)
        report[name] = "accepted"
    except Exception as error:
        report[name] = type(error).__name__ + ": " + re.sub(r"<function .*? at 0x[0-9a-f]+>", "FN", str(error))
print(json.dumps(report))
