"""The same cluster program on the real tf.estimator (TF 2.15) and on ours: TF_CONFIG, ps, chief, workers, evaluator.

`tests/legacy/cluster_program.py` is a TF1-era train_and_evaluate program; `iris_lib.cluster` starts it once per
task (1 ps, the chief, 2 workers, the evaluator) with each task's TF_CONFIG, first with the legacy venv's python
(the real Estimator), then with ours. Both clusters must end (the ps stopped by SIGTERM), train to
max_steps (the other trainers' steps in flight may land past it), have every trainer train, leave the same kinds of
files in model_dir (only the chief and the ps's saver write there), and score alike on the test set. Then each
engine restores the other's cluster checkpoint, scores it as its writer does, and trains on from it.
Opt-in like the other parity tests: `make parity`.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from iris_lib.cluster import Cluster
from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "cluster_program.py"
MAX_STEPS = 2000  # async updates land in any order: 2000 steps leave a margin above 0.9 (1000 scored 0.933-1.0)


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


@pytest.fixture(scope="module")
def clusters(legacy_python, tmp_path_factory) -> dict:
    """One cluster run per engine (about a minute each), shared by the tests below."""
    root = tmp_path_factory.mktemp("clusters")
    return {"root": root, "real": run_cluster(legacy_python, "real", root / "real"),
            "ours": run_cluster(sys.executable, "ours", root / "ours")}


def test_a_cluster_program_runs_alike_on_the_real_estimator_and_on_ours(clusters):
    real, ours = clusters["real"], clusters["ours"]
    for result in (real, ours):
        assert MAX_STEPS <= result["global_step"] <= MAX_STEPS + 5, result
        assert result["evaluator"]["returned"] is None and result["evaluator"]["global_step"] >= MAX_STEPS
        assert result["evaluator"]["accuracy"] >= 0.9, result
        assert all(result["trained"].values()), result
    assert ours["files"] == real["files"]


def resumed_by(python, engine: str, model_dir: Path, copy: Path) -> dict:
    """`engine` evaluates a copy of a cluster's model_dir and trains 10 steps on from it."""
    shutil.copytree(model_dir, copy)
    return run_json(python, PROGRAM, engine, "resume", str(copy))


def test_a_cluster_checkpoint_restores_in_the_other_engine_both_ways(clusters, legacy_python, tmp_path):
    for writer in ("real", "ours"):
        by_writer = resumed_by(legacy_python if writer == "real" else sys.executable, writer, clusters["root"] / writer,
                               tmp_path / f"{writer}_by_{writer}")
        other = "ours" if writer == "real" else "real"
        by_other = resumed_by(legacy_python if other == "real" else sys.executable, other, clusters["root"] / writer,
                              tmp_path / f"{writer}_by_{other}")
        assert by_other["global_step"] == by_writer["global_step"] >= MAX_STEPS
        assert by_other["accuracy"] == by_writer["accuracy"] >= 0.9, (writer, by_writer, by_other)
        assert by_other["loss"] == pytest.approx(by_writer["loss"], rel=1e-5)
        assert by_other["resumed_step"] == by_writer["resumed_step"] == by_writer["global_step"] + 10
