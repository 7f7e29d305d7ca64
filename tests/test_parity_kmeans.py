"""`tf.compat.v1.estimator.experimental.KMeans` behaves as the REAL TensorFlow 2.15 one, both ways.

One program (`tests/legacy/kmeans_program.py`) runs on the real `tf.compat.v1.estimator` (legacy venv) and on
ours: for each configuration (full batch, mini-batch synced every step or every 3 steps, cosine distance, dict
features by sorted key and through feature_columns, relative_tolerance), the same points from the same fixed
initial centers (and two from seeded random and k-means++ initializations: TensorFlow's seeded random ops give
the same centers on both builds). Both engines give the same cluster centers, checkpoint variables, predictions,
`predict_cluster_index`, `transform`, `score`, eval metrics, constructor signature and export signatures; and
each engine's checkpoint, read by the other, gives the same centers and predictions again, and one more
training step from it moves the centers the same way on both.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import assert_close, train_both_and_cross_restore

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.compat.v1.estimator.experimental.KMeans is opt-in: IRIS_PARITY=1 "
           "(see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "kmeans_program.py"
CONFIGS = ("full_batch", "mini_batch", "mini_batch_sync_every_3", "cosine", "dict_sorted_keys", "feature_columns",
           "relative_tolerance", "random_init_seeded", "kmeans_plus_plus_seeded")
REPORTED = ("centers", "predictions", "cluster_index", "transform", "score", "metrics")


@pytest.fixture(scope="module")
def runs(legacy_python, tmp_path_factory):
    """Each engine trains its own models, then reads (and trains one step more) the other engine's."""
    return train_both_and_cross_restore(legacy_python, PROGRAM, CONFIGS, tmp_path_factory)


@pytest.mark.parametrize("config", CONFIGS)
def test_kmeans_gives_the_real_centers_predictions_scores_and_variables(runs, config):
    real, ours = runs["real"][config], runs["ours"][config]
    assert real["metrics"]["global_step"] >= 2 and "score" in real["metrics"]
    assert sorted(real["predictions"][0]) == ["all_distances", "cluster_index"]
    assert ours["variables"] == real["variables"]
    assert ours["signature"] == real["signature"]
    assert ours["export"] == real["export"]
    assert ours["cluster_index"] == real["cluster_index"]
    for key in REPORTED:
        assert_close(ours[key], real[key], f"{config} {key}")


def test_relative_tolerance_stops_both_engines_at_the_same_step(runs):
    steps = {engine: runs[engine]["relative_tolerance"]["metrics"]["global_step"] for engine in ("real", "ours")}
    assert steps["ours"] == steps["real"] < 20, steps  # 20 steps asked for


@pytest.mark.parametrize("config", CONFIGS)
def test_a_kmeans_checkpoint_restores_both_ways(runs, config):
    for restorer, trainer in (("real restores ours", "ours"), ("ours restores real", "real")):
        restored, trained = runs[restorer][config], runs[trainer][config]
        assert restored["variables"] == trained["variables"], restorer
        for key in REPORTED:
            assert_close(restored[key], trained[key], f"{config} {key}: {restorer}")
    # One more step from equal checkpoints: the same centers on both engines.
    assert_close(runs["ours restores real"][config]["centers_one_step_more"],
                 runs["real restores ours"][config]["centers_one_step_more"], f"{config}: one step more")
