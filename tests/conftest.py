"""Shared fixtures: the Iris split, feature columns and a model trained once per session."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import iris_lib.quiet  # noqa: F401,E402
from iris_lib import data  # noqa: E402
from support import eval_fn, make_estimator, train_fn  # noqa: E402

import tensorflow as tf  # noqa: E402


@pytest.fixture(scope="session")
def iris():
    return data.load_data()


@pytest.fixture(scope="session")
def columns(iris):
    (train_x, _), _ = iris
    return [tf.compat.v1.feature_column.numeric_column(key=k) for k in train_x.keys()]


@pytest.fixture(scope="session")
def trained(tmp_path_factory, iris, columns):
    """A custom Estimator trained for the guide's 1000 steps, then evaluated once."""
    estimator = make_estimator(tmp_path_factory.mktemp("trained"), columns)
    estimator.train(train_fn(iris), steps=1000)
    return estimator, estimator.evaluate(eval_fn(iris))


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    """The legacy venv's interpreter (TF 2.15 + tensorflow-estimator), for the parity tests; when they were
    asked for (IRIS_PARITY=1), its absence is a failure, not a skip."""
    python = Path(os.environ.get("IRIS_LEGACY_PYTHON") or Path(__file__).resolve().parents[1] / ".venv-legacy" / "bin" / "python")
    if not python.exists():
        pytest.fail(
            f"IRIS_PARITY=1 but the legacy python {python} does not exist. Create the legacy venv with "
            "`make parity` or `bash scripts/make_legacy_venv.sh`, or point IRIS_LEGACY_PYTHON at a Python "
            "that has tensorflow-cpu==2.15.1 and tensorflow-estimator==2.15.0."
        )
    return python
