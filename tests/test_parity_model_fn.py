"""How an Estimator holds and calls its model_fn is the real TensorFlow 2.15 one's (what chapters 1 and 6 say).

One program runs on the real `tf.estimator` (legacy venv) and on ours (`import iris_lib.estimator_shim` first):
the canned Estimators' `params` (empty: their settings live in their model_fn) and the signature of
`Estimator.model_fn` (bound to params, taking config), a custom Estimator's, and the errors for a model_fn
with the wrong arguments. Opt-in like the other parity tests: `make parity`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

REPO = Path(__file__).resolve().parents[1]
PROGRAM = r"""
import inspect, json, re
import tensorflow as tf

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
"""


def run(python: str, preamble: str = "") -> dict:
    result = subprocess.run([python, "-c", preamble + PROGRAM], capture_output=True, text=True, timeout=600,
                            cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_model_fn_holding_and_argument_checks_match_the_real_estimator(tmp_path):
    legacy = Path(os.environ.get("IRIS_LEGACY_PYTHON") or REPO / ".venv-legacy" / "bin" / "python")
    if not legacy.exists():
        pytest.fail(f"IRIS_PARITY=1 but the legacy python {legacy} does not exist: run `make .venv-legacy/.installed`")
    real = run(str(legacy))
    ours = run(sys.executable, "import iris_lib.estimator_shim\n")
    assert real["DNNClassifier"] == {"params": [], "model_fn": "(features, labels, mode, config)"}
    assert real["custom"] == {"params": ["hidden_units"], "model_fn": "(features, labels, mode, config)"}
    assert ours == real
