"""Helpers the tests share: an Estimator on the guide's model, the guide's three input functions, and a
way to run a script with the legacy (TF 2.15) python for the parity tests."""
import concurrent.futures
import json
import os
import shutil
import sys
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import iris_lib.quiet  # noqa: F401  (before TensorFlow)
from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.estimator.hooks import SessionRunHook
from iris_lib.model import my_model_fn

# A bound on waits for events that must come (a subprocess importing TensorFlow on a loaded machine takes
# ~50 s): it only turns a hang into a failure, it never decides a result.
HANG_GUARD_SECONDS = 600


class StepGate(SessionRunHook):
    """Holds training after its `at`-th step until `release()`, so a test controls a run instead of racing it:
    what the test does while the gate is shut happens at that step, however fast or loaded the machine."""

    def __init__(self, at: int):
        self.at, self.reached, self._open, self._steps = at, threading.Event(), threading.Event(), 0

    def after_run(self, run_context, run_values):
        self._steps += 1
        if self._steps == self.at:
            self.reached.set()
            self._open.wait()

    def wait_reached(self):
        assert self.reached.wait(HANG_GUARD_SECONDS), f"training never reached step {self.at}"

    def release(self):
        self._open.set()


def run_program(source: str, tmp_path) -> dict:
    """Run a program in a fresh interpreter (the shim changes the `tensorflow` module for the rest of a process);
    it prints one JSON line last."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True,
                            env=env, timeout=600, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_until(condition, what: str):
    """Poll `condition` (an event a test cannot be told of directly) until it holds; a hang fails."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def make_estimator(model_dir, columns, hidden_units=(10, 10), seed=7, **config):
    return Estimator(
        model_fn=my_model_fn,
        model_dir=str(model_dir),
        config=RunConfig(tf_random_seed=seed, **config),
        params={"feature_columns": columns, "hidden_units": list(hidden_units), "n_classes": 3},
    )


def train_fn(iris, batch_size=100):
    (train_x, train_y), _ = iris
    return lambda: data.train_input_fn(train_x, train_y, batch_size)


def eval_fn(iris, batch_size=100):
    _, (test_x, test_y) = iris
    return lambda: data.eval_input_fn(test_x, test_y, batch_size)


def predict_fn(batch_size=100):
    return lambda: data.eval_input_fn(data.PREDICT_X, None, batch_size)


def run_json(python, script, *args, timeout: int = 600, tensorflow_defaults: bool = False, env: dict | None = None):
    """Run `python script *args` (e.g. a tests/legacy/ script in the TF 2.15 venv) and return the JSON object
    it prints on its last line; a failure fails the test with the end of its stderr.

    The script inherits iris_lib's same-bits settings from this process (oneDNN off, ...) unless
    `tensorflow_defaults`: then it runs as a user's program would, with TensorFlow's own defaults. `env` is added
    last (e.g. TF_ENABLE_ONEDNN_OPTS=1, which TensorFlow's default leaves off on some CPUs)."""
    extra, env = env or {}, {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if tensorflow_defaults:
        from iris_lib import same_bits
        for key in same_bits.IN_FORCE:
            env.pop(key, None)
    env.update(extra)
    result = subprocess.run([str(python), str(script), *args], capture_output=True, text=True, env=env,
                            timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"{Path(script).name} {' '.join(args)} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_json_on_both(legacy_python, script, real_args, our_args, **options) -> tuple:
    """`run_json` with the legacy python (the real Estimator) and with ours, side by side: (real's, ours)."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        real = pool.submit(run_json, legacy_python, script, *real_args, **options)
        ours = pool.submit(run_json, sys.executable, script, *our_args, **options)
        return real.result(), ours.result()


# The same float32 graph on two TensorFlow builds: kernels may round or sum in another order.
PARITY_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def train_both_and_cross_restore(legacy_python, program, names, tmp_path_factory) -> dict:
    """`program ENGINE ROOT train` on each engine (one model_dir per name under ROOT), then `program ENGINE ROOT
    restore` on copies of the other engine's model_dirs: the four JSON answers, keyed by who ran what."""
    real_root, ours_root = tmp_path_factory.mktemp("real"), tmp_path_factory.mktemp("ours")
    real = run_json(legacy_python, program, "real", str(real_root), "train")
    ours = run_json(sys.executable, program, "ours", str(ours_root), "train")
    real_of_ours, ours_of_real = tmp_path_factory.mktemp("real_of_ours"), tmp_path_factory.mktemp("ours_of_real")
    for name in names:
        shutil.copytree(ours_root / name, real_of_ours / name)
        shutil.copytree(real_root / name, ours_of_real / name)
    return {"real": real, "ours": ours,
            "real restores ours": run_json(legacy_python, program, "real", str(real_of_ours), "restore"),
            "ours restores real": run_json(sys.executable, program, "ours", str(ours_of_real), "restore")}


def assert_close(ours, real, where: str, tolerance: dict = PARITY_TOLERANCE):
    """Equal structure and strings; floats within `tolerance` (PARITY_TOLERANCE unless given)."""
    if isinstance(real, dict):
        assert sorted(ours) == sorted(real), where
        for key in real:
            assert_close(ours[key], real[key], f"{where}/{key}", tolerance)
    elif isinstance(real, list):
        assert len(ours) == len(real), where
        for i, (a, b) in enumerate(zip(ours, real)):
            assert_close(a, b, f"{where}[{i}]", tolerance)
    elif isinstance(real, float):
        np.testing.assert_allclose(ours, real, err_msg=where, **tolerance)
    else:
        assert ours == real, where
