"""The same cluster program on the real tf.estimator (TF 2.15) and on ours: TF_CONFIG, ps, chief, workers, evaluator.

`tests/legacy/cluster_program.py` is a TF1-era train_and_evaluate program; `iris_lib.cluster` starts it once per
task (1 ps, the chief, 2 workers, the evaluator) with each task's TF_CONFIG, first with the legacy venv's python
(the real Estimator), then with ours. Both clusters must end (the ps stopped by SIGTERM), train to
max_steps (the other trainers' steps in flight may land past it), have every trainer train, leave the same kinds of
files in model_dir (only the chief and the ps's saver write there), and score alike on the test set.
Opt-in like the other parity tests: `make parity`.
"""
from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from iris_lib.cluster import Cluster

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "cluster_program.py"
MAX_STEPS = 1000


def run_cluster(python, engine: str, model_dir: Path) -> dict:
    env_python = str(python)
    cluster = Cluster([env_python, str(PROGRAM), engine, str(MAX_STEPS)], ps=1, workers=2, model_dir=str(model_dir),
                      out=io.StringIO()).start()
    codes = cluster.wait()
    log = cluster.out.getvalue()
    # The real ps's server.join() dies of the SIGTERM that stops it (-15); ours returns cleanly (0).
    ps_code = -15 if engine == "real" else 0
    assert codes == {"ps 0": ps_code, "chief": 0, "worker 0": 0, "worker 1": 0, "evaluator": 0}, (engine, log[-4000:])
    evaluator = json.loads([line for line in cluster.task("evaluator").lines if line.startswith("{")][-1])
    kinds = sorted({re.sub(r"\d+", "N", name.split(".tfevents")[0]) for name in os.listdir(model_dir)})
    trained = {name: cluster.task(name).last_step is not None for name in ("chief", "worker 0", "worker 1")}
    return {"evaluator": evaluator, "files": kinds, "trained": trained,
            "global_step": int(tf.train.load_variable(tf.train.latest_checkpoint(str(model_dir)), "global_step"))}


def test_a_cluster_program_runs_alike_on_the_real_estimator_and_on_ours(legacy_python, tmp_path):
    real = run_cluster(legacy_python, "real", tmp_path / "real")
    ours = run_cluster(sys.executable, "ours", tmp_path / "ours")
    for result in (real, ours):
        assert MAX_STEPS <= result["global_step"] <= MAX_STEPS + 5, result
        assert result["evaluator"]["returned"] is None and result["evaluator"]["global_step"] >= MAX_STEPS
        assert result["evaluator"]["accuracy"] >= 0.9, result
        assert all(result["trained"].values()), result
    assert ours["files"] == real["files"]
