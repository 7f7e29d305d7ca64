"""The names iris_lib's `tf.estimator` namespaces answer for are the real TensorFlow 2.15 ones.

`iris_lib.estimator.api` lists the real public names (to tell "iris_lib lacks it, use X instead" from "no
such name"); this checks the lists against `dir()` of the real `tf.estimator`, `tf.compat.v1.estimator`
and their `experimental` modules, and that TF2's `tf.estimator` held the V2 canned classes. Opt-in like the
other parity tests: `make parity`.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from iris_lib.estimator import api

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

REPO = Path(__file__).resolve().parents[1]
PROGRAM = """
import json
import tensorflow as tf
public = lambda module: sorted(n for n in dir(module) if not n.startswith("_"))
v1, v2 = tf.compat.v1.estimator, tf.estimator
print(json.dumps({"v1": public(v1), "v2": public(v2), "experimental_v1": public(v1.experimental),
                  "experimental_v2": public(v2.experimental),
                  "v2_classes": {n: getattr(v2, n).__name__ for n in public(v2) if isinstance(getattr(v2, n), type)}}))
"""


@pytest.fixture(scope="module")
def real_names() -> dict:
    python = Path(os.environ.get("IRIS_LEGACY_PYTHON") or REPO / ".venv-legacy" / "bin" / "python")
    if not python.exists():
        pytest.fail(f"IRIS_PARITY=1 but the legacy python {python} does not exist: run `make .venv-legacy/.installed`")
    result = subprocess.run([str(python), "-c", PROGRAM], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_listed_real_names_are_the_real_ones(real_names):
    assert sorted(api.REAL_V1) == real_names["v1"]
    assert sorted(api.REAL_V2) == real_names["v2"]
    assert sorted(api.REAL_EXPERIMENTAL_V1) == real_names["experimental_v1"]
    assert sorted(api.REAL_EXPERIMENTAL_V2) == real_names["experimental_v2"]


def test_tf_estimator_held_the_v2_canned_classes_as_ours_does(real_names):
    for name in api.CANNED:
        assert real_names["v2_classes"][name] == f"{name}V2"
        provided = getattr(api.ESTIMATOR_V2, name, None)
        if provided is not None:
            assert provided.__name__ == f"{name}V2"
