"""`numpy_input_fn` / `pandas_input_fn` against the REAL ones (TensorFlow 2.15, queue runners).

Unshuffled, both must yield the same batches (values, dtypes, the smaller last batch, epochs running into
each other) and the same static shapes; shuffled, the order differs by design (tf.data, not a queue), so
only the multiset of examples per epoch is compared. Opt-in like the other parity tests: `make parity`.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

REPO = Path(__file__).resolve().parents[1]
# name -> (function, keyword arguments); data built the same way on both sides by CASES_SOURCE.
CASES_SOURCE = """
import numpy as np
import pandas as pd
x = {"b": np.arange(5.0), "a": np.arange(5) * 10, "m": np.arange(10, dtype=np.float32).reshape(5, 2)}
frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "count": [1, 2, 3, 4]}, index=[4, 5, 6, 7])
CASES = {
    "numpy_two_epochs": ("numpy", dict(x=x, y=np.arange(5) * 100, batch_size=2, num_epochs=2, shuffle=False)),
    "numpy_features_only": ("numpy", dict(x=x, batch_size=3, shuffle=False)),
    "numpy_single_array_dict_y": ("numpy", dict(x=np.arange(4.0), y={"t1": np.arange(4), "t2": -np.arange(4)},
                                                batch_size=3, shuffle=False)),
    "numpy_forever": ("numpy", dict(x=x, y=np.arange(5), batch_size=4, num_epochs=None, shuffle=False)),
    "pandas_series": ("pandas", dict(x=frame, y=pd.Series([0, 1, 0, 1], index=frame.index), batch_size=3,
                                     shuffle=False)),
    "pandas_frame_y": ("pandas", dict(x=frame, y=pd.DataFrame({"t": [9, 8, 7, 6]}, index=frame.index),
                                      batch_size=4, num_epochs=2, shuffle=False)),
    "numpy_shuffled": ("numpy", dict(x={"i": np.arange(12)}, batch_size=4, num_epochs=1, shuffle=True)),
}
"""
RUN_SOURCE = CASES_SOURCE + """
import json, sys
import tensorflow as tf
v1 = tf.compat.v1

def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return {"dtype": str(value.dtype), "value": value.tolist()}

def shapes(value):
    if isinstance(value, dict):
        return {k: shapes(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [shapes(v) for v in value]
    return value.shape.as_list()

answer = {}
for name, (kind, kwargs) in CASES.items():
    make = FUNCTIONS[kind]
    with tf.Graph().as_default():
        batch = make(**kwargs)()
        out = {"shapes": shapes(batch), "batches": []}
        with v1.Session() as session:
            session.run(v1.local_variables_initializer())
            coordinator = v1.train.Coordinator()
            threads = v1.train.start_queue_runners(session, coord=coordinator)
            for _ in range(6):
                try:
                    out["batches"].append(plain(session.run(batch)))
                except tf.errors.OutOfRangeError:
                    break
            coordinator.request_stop()
            coordinator.join(threads, stop_grace_period_secs=5)
    answer[name] = out
print(json.dumps(answer))
"""
REAL = "import tensorflow as tf\nFUNCTIONS = {'numpy': tf.compat.v1.estimator.inputs.numpy_input_fn, " \
       "'pandas': tf.compat.v1.estimator.inputs.pandas_input_fn}\n"
OURS = "from iris_lib.estimator import inputs\nFUNCTIONS = {'numpy': inputs.numpy_input_fn, " \
       "'pandas': inputs.pandas_input_fn}\n"


def run(python: Path, prelude: str) -> dict:
    result = subprocess.run([str(python), "-c", prelude + RUN_SOURCE], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, cwd=str(REPO))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def both() -> dict:
    python = Path(os.environ.get("IRIS_LEGACY_PYTHON") or REPO / ".venv-legacy" / "bin" / "python")
    if not python.exists():
        pytest.fail(f"IRIS_PARITY=1 but the legacy python {python} does not exist: run `make .venv-legacy/.installed`")
    import sys

    return {"real": run(python, REAL), "ours": run(Path(sys.executable), OURS)}


@pytest.mark.parametrize("case", ["numpy_two_epochs", "numpy_features_only", "numpy_single_array_dict_y",
                                  "numpy_forever", "pandas_series", "pandas_frame_y"])
def test_unshuffled_batches_and_shapes_are_the_real_ones(both, case):
    real, ours = both["real"][case], both["ours"][case]
    assert ours["shapes"] == real["shapes"]
    assert ours["batches"] == real["batches"]
    assert real["batches"], "the real input_fn yielded nothing: the comparison would be empty"


def test_shuffled_epochs_hold_the_same_examples(both):
    def examples(answer):
        return sorted(np.concatenate([batch["i"]["value"] for batch in answer["numpy_shuffled"]["batches"]]).tolist())

    assert examples(both["ours"]) == examples(both["real"]) == list(range(12))
