"""The event files hold what the REAL TensorFlow 2.15 Estimator writes, record kind by record kind.

One program (`tests/legacy/event_files_program.py`) runs on the real `tf.estimator` (legacy venv) and on ours:
the guide's custom model_fn on Iris trains 30 steps, resumes for 30 more (checkpoints every 20 steps, summaries
every 10), then is evaluated; it prints every record of every event file of model_dir and model_dir/eval.

Both engines write, in the same order and at the same steps: the file version; the graph and its meta graph
when the writer opens and again at each train() (the real CheckpointSaverHook); a SessionLog CHECKPOINT after
each save, with the saver's prefix; a SessionLog START at the first step of each train() (the real
SummarySaverHook), which TensorBoard uses to drop the points of an older run beyond a resumed checkpoint; the
scalar summaries; and in the eval file the eval graph and meta graph, the metrics and a `checkpoint_path`
text entry. The real engine's summary steps after the first one of a train() are racy (its SummarySaverHook
reads the global step in the same `Session.run` as the train_op, so once in a while it records step 50 for
51): those are compared by tags and by the run they fall in, not by their exact step.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator's event files is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "event_files_program.py"
SUMMARY_STEPS = 10  # the program's save_summary_steps


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    return {"real": run_json(legacy_python, PROGRAM, "real", str(tmp_path_factory.mktemp("real") / "model")),
            "ours": run_json(sys.executable, PROGRAM, "ours", str(tmp_path_factory.mktemp("ours") / "model"))}


def skeleton(records: list) -> list:
    """The records without the scalar summaries after the first one of each train() (at its START step)."""
    starts = {step for kind, step, detail in records if kind == "session_log" and detail[0] == "START"}
    return [record for record in records if record[0] != "summary" or record[1] in starts]


def segments(records: list) -> list:
    """Per train() (from its START on): (START step, last CHECKPOINT step, [(summary step, tags)])."""
    out = []
    for kind, step, detail in records:
        if kind == "session_log" and detail[0] == "START":
            out.append([step, None, []])
        elif out and kind == "session_log" and detail[0] == "CHECKPOINT":
            out[-1][1] = step
        elif out and kind == "summary":
            out[-1][2].append((step, tuple(tag for tag, _ in detail)))
    return out


def test_one_training_file_and_one_eval_file(runs):
    for engine in ("real", "ours"):
        assert len(runs[engine]["train"]) == 1, engine
        assert len(runs[engine]["eval"]) == 1, engine
    assert runs["ours"]["global_step"] == runs["real"]["global_step"]


def test_training_file_has_the_real_records_in_the_real_order(runs):
    real, ours = runs["real"]["train"][0], runs["ours"]["train"][0]
    assert skeleton(ours) == skeleton(real)
    kinds = {record[0] for record in real}
    assert {"file_version", "graph_def", "meta_graph_def", "session_log", "summary"} <= kinds


def test_training_summaries_fall_in_the_same_runs_with_the_same_tags(runs):
    real, ours = segments(runs["real"]["train"][0]), segments(runs["ours"]["train"][0])
    assert [(start, end) for start, end, _ in ours] == [(start, end) for start, end, _ in real]
    for (start, end, real_points), (_, _, our_points) in zip(real, ours):
        # TensorBoard keeps a resumed run's points only from its START on: every point lies in its own run.
        for points in (real_points, our_points):
            assert all(start <= step <= end for step, _ in points), points
        assert {tags for _, tags in our_points} == {tags for _, tags in real_points}
    # Ours at exactly every save_summary_steps from each START (the real one's usual steps, without its race).
    for start, end, points in ours:
        scalar_steps = [step for step, tags in points if "loss" in tags]
        assert scalar_steps == list(range(start, end + 1, SUMMARY_STEPS))


def test_eval_file_has_the_graph_the_metrics_and_the_checkpoint_path(runs):
    assert runs["ours"]["eval"] == runs["real"]["eval"]
    assert runs["real"]["eval"][0][-1] == ["summary", runs["real"]["global_step"],
                                           [["checkpoint_path", f"model.ckpt-{runs['real']['global_step']}"]]]
