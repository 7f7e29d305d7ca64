"""SavedModel parity with the REAL tf.estimator (TensorFlow 2.15), both ways, from one checkpoint.

Our engine trains the guide's model; then ours and the real `Estimator.export_saved_model` each export that
checkpoint with the same serving_input_receiver_fn (a parsing one fed serialized tf.Examples, and a raw one
fed the four features). The two SavedModels must be alike where a serving client looks: meta graph tags,
signature names, method names, input and output keys, dtypes, shapes and tensor names, the saved
variables and the files; and each must serve the guide's three flowers with the same outputs in TF 2.21
(`tf.saved_model.load(...).signatures['serving_default']`) and in TF 2.15.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 with IRIS_LEGACY_PYTHON set.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "tests" / "legacy"
REAL_EXPORT = LEGACY / "real_export.py"
STEPS = 300
RECEIVERS = ["parsing", "raw"]
# The same float32 weights and kernels; two TensorFlow builds may sum in another order.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def run_real(legacy_python: Path, *args: str):
    return run_json(legacy_python, REAL_EXPORT, *args)


@pytest.fixture(scope="module")
def real_export_module():
    """tests/legacy/real_export.py in this process (TF 2.21, tf.estimator from iris_lib's shim)."""
    import iris_lib.estimator_shim  # noqa: F401  (the script writes tf.estimator.export...)

    sys.path.insert(0, str(LEGACY))
    try:
        import real_export
    finally:
        sys.path.remove(str(LEGACY))
    return real_export


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """The guide's model trained by our engine: the one checkpoint both engines export."""
    import tensorflow as tf

    from iris_lib import data
    from iris_lib.estimator import Estimator, RunConfig
    from iris_lib.model import my_model_fn

    (train_x, train_y), _ = data.load_data()
    columns = [tf.compat.v1.feature_column.numeric_column(key=key) for key in train_x.keys()]
    path = tmp_path_factory.mktemp("export_parity") / "model"
    estimator = Estimator(my_model_fn, model_dir=str(path), config=RunConfig(tf_random_seed=1),
                          params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    estimator.train(lambda: data.train_input_fn(train_x, train_y, 100), steps=STEPS)
    return path


@pytest.fixture(scope="module")
def exports(model_dir, legacy_python, real_export_module, tmp_path_factory) -> dict:
    """Ours exported here; the real one exported, and both described and served, in TF 2.15 (one start-up)."""
    import tensorflow as tf

    from iris_lib import data
    from iris_lib.estimator import Estimator
    from iris_lib.model import my_model_fn

    columns = [tf.compat.v1.feature_column.numeric_column(key=key) for key in data.FEATURE_NAMES]
    ours = Estimator(my_model_fn, model_dir=str(model_dir),
                     params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    base = tmp_path_factory.mktemp("exports")
    real_model_dir = base / "real_model"  # a copy: the real engine never touches our model_dir
    shutil.copytree(model_dir, real_model_dir)
    our_dirs = {}
    for receiver in RECEIVERS:
        path = ours.export_saved_model(str(base / f"ours_{receiver}"), real_export_module.receiver_fn(receiver))
        assert isinstance(path, bytes)  # as the real one returns it
        our_dirs[receiver] = path.decode()
    in_tf215 = run_real(legacy_python, "parity", str(real_model_dir), str(base),
                        "--ours", *(f"{receiver}={path}" for receiver, path in our_dirs.items()))
    return {"tf2.15": in_tf215, "predicted": our_predictions(ours)}


def our_predictions(estimator) -> dict:
    from iris_lib import data

    predictions = list(estimator.predict(lambda: data.eval_input_fn(data.PREDICT_X, None, 100)))
    return {key: np.stack([p[key] for p in predictions]) for key in predictions[0]}


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_signatures_variables_and_files_are_the_real_ones(exports, receiver):
    answer = exports["tf2.15"][receiver]
    assert answer["real_export"]["type"] == "bytes"
    ours, real = answer["ours"]["describe"], answer["real"]["describe"]
    assert ours == real
    (graph,) = ours["meta_graphs"]
    assert graph["tags"] == ["serve"]
    assert sorted(graph["signatures"]) == ["serving_default"]
    assert graph["signatures"]["serving_default"]["method_name"] == "tensorflow/serving/predict"
    inputs = graph["signatures"]["serving_default"]["inputs"]
    wanted = ["examples"] if receiver == "parsing" else ["PetalLength", "PetalWidth", "SepalLength", "SepalWidth"]
    assert sorted(inputs) == wanted
    assert sorted(graph["signatures"]["serving_default"]["outputs"]) == ["class_ids", "logits", "probabilities"]
    assert ours["files"] == ["saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"]


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_both_savedmodels_serve_the_same_outputs_in_both_tensorflows(exports, real_export_module, receiver):
    answer, predicted = exports["tf2.15"][receiver], exports["predicted"]
    served = {}
    for engine in ("ours", "real"):
        served[engine, "tf2.21"] = real_export_module.serve(answer[engine]["export_dir"], receiver)["serving_default"]
        served[engine, "tf2.15"] = answer[engine]["serve"]["serving_default"]
    for where, outputs in served.items():
        assert sorted(outputs) == ["class_ids", "logits", "probabilities"], where
        np.testing.assert_array_equal(np.asarray(outputs["class_ids"]), predicted["class_ids"], err_msg=str(where))
        np.testing.assert_allclose(np.asarray(outputs["probabilities"]), predicted["probabilities"], **TOLERANCE,
                                   err_msg=str(where))
        np.testing.assert_allclose(np.asarray(outputs["logits"]), predicted["logits"], **TOLERANCE,
                                   err_msg=str(where))
    assert [row[0] for row in served["real", "tf2.15"]["class_ids"]] == [0, 1, 2]  # Setosa, Versicolor, Virginica


# A canned Estimator per head kind: (our class, the real class's path, constructor arguments, the labels from
# the Iris species, the signatures the real head writes). The real one is built and exported in TF 2.15 by
# REAL_CANNED below, with tests/legacy/real_export.py's receiver, describe and serve.
CANNED = {
    "multi_class_v1": ("DNNClassifier", "compat.v1.estimator.DNNClassifier", {"n_classes": 3}, "species",
                       ["classification", "predict", "serving_default"]),
    "binary_v1": ("DNNClassifier", "compat.v1.estimator.DNNClassifier", {"n_classes": 2}, "is_virginica",
                  ["classification", "predict", "regression", "serving_default"]),
    "regressor_v2": ("DNNRegressorV2", "estimator.DNNRegressor", {}, "as_float",
                     ["predict", "regression", "serving_default"]),
}
REAL_CANNED = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import real_export
import tensorflow as tf
model_dir, export_base, path, kwargs, our_dir = sys.argv[2:7]
kwargs = json.loads(kwargs)
make = tf
for part in path.split("."):
    make = getattr(make, part)
columns = [tf.feature_column.numeric_column(key) for key in real_export.FEATURES]
estimator = make(hidden_units=[10, 10], feature_columns=columns, model_dir=model_dir, **kwargs)
real_dir = estimator.export_saved_model(os.path.join(export_base, "real"), real_export.receiver_fn("parsing")).decode()
print(json.dumps({engine: {"describe": real_export.describe(d), "serve": real_export.serve(d, "parsing")}
                  for engine, d in (("ours", our_dir), ("real", real_dir))}))
"""


def canned_labels(kind: str, species):
    if kind == "is_virginica":
        return (species == 2).astype("int64")
    if kind == "as_float":
        return species.astype("float32")
    return species


@pytest.mark.parametrize("case", sorted(CANNED))
def test_the_canned_estimators_export_the_real_signatures(case, legacy_python, real_export_module, tmp_path):
    """Each head kind's canned Estimator, exported by both engines from one checkpoint: the real head's
    signatures (a classifier's `serving_default` and `classification` classify with string classes, a binary
    one's `regression` gives the logistic, a regressor's `serving_default` and `regression` regress, `predict`
    has every prediction key), the same keys, dtypes and shapes, and the same outputs served in both
    TensorFlows."""
    import tensorflow as tf

    from iris_lib import data
    from iris_lib.estimator import canned

    ours_name, real_path, kwargs, labels, wanted = CANNED[case]
    (train_x, train_y), _ = data.load_data()
    columns = [tf.feature_column.numeric_column(key) for key in data.FEATURE_NAMES]
    ours = getattr(canned, ours_name)(hidden_units=[10, 10], feature_columns=columns,
                                      model_dir=str(tmp_path / "model"), **kwargs)
    ours.train(lambda: data.train_input_fn(train_x, canned_labels(labels, train_y), 100), steps=50)
    real_model_dir = tmp_path / "real_model"
    shutil.copytree(tmp_path / "model", real_model_dir)
    our_dir = ours.export_saved_model(str(tmp_path / "ours"), real_export_module.receiver_fn("parsing")).decode()
    result = subprocess.run([str(legacy_python), "-c", REAL_CANNED, str(LEGACY), str(real_model_dir),
                             str(tmp_path), real_path, json.dumps(kwargs), our_dir], capture_output=True,
                            text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"the real {real_path} export failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    answer = json.loads(result.stdout.strip().splitlines()[-1])

    def shapes_and_keys(description):
        (graph,) = description["meta_graphs"]
        return {name: {"method_name": sig["method_name"],
                       **{side: {key: (t["dtype"], t["shape"]) for key, t in sig[side].items()}
                          for side in ("inputs", "outputs")}}
                for name, sig in graph["signatures"].items()}

    real = shapes_and_keys(answer["real"]["describe"])
    assert sorted(real) == wanted
    assert shapes_and_keys(answer["ours"]["describe"]) == real
    assert answer["ours"]["describe"]["variables"] == answer["real"]["describe"]["variables"]
    served_here = real_export_module.serve(our_dir, "parsing")
    assert sorted(served_here) == wanted
    for name, outputs in answer["real"]["serve"].items():
        assert sorted(answer["ours"]["serve"][name]) == sorted(outputs) == sorted(served_here[name]), name
        for key, value in outputs.items():
            for where in (answer["ours"]["serve"][name][key], served_here[name][key]):
                if isinstance(value[0][0], str):
                    assert where == value, (name, key)
                else:
                    np.testing.assert_allclose(np.asarray(where), np.asarray(value), **TOLERANCE,
                                               err_msg=f"{name}/{key}")
