"""The static explorer's stored grid is complete, compact, and what the book's engine really trains.

A sample of grid points is retrained with `iris_lib.explorer_grid.run_point` (the book's engine and
`my_model_fn`) and compared with book_assets/explorer_grid.js. The comparison allows what differs between
CPUs: measured on 6 points (1-3 layers, Adagrad/Adam/SGD, both rates) with ONEDNN_MAX_CPU_ISA=SSE41, AVX2
and this machine's AVX-512, the largest differences were: training loss 0.085, training accuracy 0.016,
test loss 0.088 (Adam at 0.1, 3 x 50 units, the most chaotic), test accuracy 0 (a flower may still flip:
one is allowed), probabilities 0.008, decision-region cells 90 of 576 (16 %, far from the data, where
nothing pins the border), test predictions 0. The tolerances below are those, with margin.
"""
from __future__ import annotations

import random

import pytest

from iris_lib import data, explorer_grid

LOSS_TOLERANCE = 0.15
TRAIN_ACCURACY_TOLERANCE = 0.04
PROBABILITY_TOLERANCE = 0.05
REGION_CELLS_TOLERANCE = 0.25  # fraction of the grid's cells whose class may differ
SAMPLE = 3


@pytest.fixture(scope="module")
def grid() -> dict:
    return explorer_grid.load_grid()


def test_grid_holds_every_configuration_of_the_explorer(grid):
    keys = [p.key for p in explorer_grid.grid_points()]
    assert len(keys) == 3 * 6 * 3 * 2 * 3 == 324
    assert sorted(grid["runs"]) == sorted(keys)
    assert grid["steps"] == 1000 and grid["species"] == data.SPECIES
    assert grid["layers"] == [1, 2, 3] and grid["units"] == [2, 3, 5, 10, 20, 50]
    assert grid["optimizers"] == ["Adagrad", "Adam", "SGD"] and len(grid["seeds"]) == 3


def test_every_record_is_well_formed(grid):
    size = grid["regions"]["size"]
    for key, run in grid["runs"].items():
        assert run["s"] == list(range(1, 1000, 100)), key  # the train line: a summary every 100 steps
        assert len(run["l"]) == len(run["a"]) == len(run["s"]), key
        assert len(run["r"]) == size * size and set(run["r"]) <= set("012"), key
        assert len(run["t"]) == grid["n_test"] and set(run["t"]) <= set("012"), key
        assert len(run["p"]) == 3 and all(abs(sum(p) - 1) < 0.01 for p in run["p"]), key
        assert 0 <= run["ea"] <= 1 and run["el"] >= 0, key
        # The stored accuracy and the stored test predictions tell the same story.
        correct = sum(a == b for a, b in zip(run["t"], grid["test_species"]))
        assert round(run["ea"] * grid["n_test"]) == correct, key


def test_grid_is_small_enough_for_a_page():
    assert explorer_grid.GRID_FILE.stat().st_size < 1_000_000


def test_grid_shows_real_differences_between_configurations(grid):
    """Not one run copied 324 times: the good configurations learn, the tiny SGD ones do not."""
    runs = grid["runs"]
    assert runs["2-10-Adagrad-0.1-1"]["ea"] >= 0.9
    assert runs["2-2-SGD-0.01-1"]["ea"] < 0.5
    assert len({run["r"] for run in runs.values()}) > 100


@pytest.mark.parametrize("index", range(SAMPLE))
def test_a_retrained_sample_matches_the_stored_grid(grid, index, tmp_path):
    points = random.Random(2026).sample(explorer_grid.grid_points(), SAMPLE)
    point = points[index]
    stored = grid["runs"][point.key]
    fresh = explorer_grid.run_point(point, tmp_path)

    assert fresh["s"] == stored["s"]
    assert abs(fresh["ea"] - stored["ea"]) <= 1 / grid["n_test"] + 1e-4, (point.key, fresh["ea"], stored["ea"])
    assert abs(fresh["el"] - stored["el"]) <= LOSS_TOLERANCE, (point.key, fresh["el"], stored["el"])
    for name, tolerance in (("l", LOSS_TOLERANCE), ("a", TRAIN_ACCURACY_TOLERANCE)):
        worst = max(abs(a - b) for a, b in zip(fresh[name], stored[name]))
        assert worst <= tolerance, (point.key, name, worst)
    worst = max(abs(a - b) for x, y in zip(fresh["p"], stored["p"]) for a, b in zip(x, y))
    assert worst <= PROBABILITY_TOLERANCE, (point.key, worst)
    differing = sum(a != b for a, b in zip(fresh["r"], stored["r"])) / len(stored["r"])
    assert differing <= REGION_CELLS_TOLERANCE, (point.key, differing)
    assert sum(a != b for a, b in zip(fresh["t"], stored["t"])) <= 1, point.key


def test_load_grid_names_the_fix_for_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="make explorer-data"):
        explorer_grid.load_grid(tmp_path / "explorer_grid.js")
    (tmp_path / "other.js").write_text("var x = 1;\n")
    with pytest.raises(ValueError, match="make explorer-data"):
        explorer_grid.load_grid(tmp_path / "other.js")


def test_the_playground_pages_claims_hold_in_the_stored_grid(grid):
    """playground.md states these about the grid; regenerating it must not make the page wrong."""
    def mean_accuracy(optimizer, rate):
        values = [run["ea"] for key, run in grid["runs"].items() if key.split("-")[2:4] == [optimizer, rate]]
        return sum(values) / len(values)

    assert mean_accuracy("Adam", "0.01") - mean_accuracy("Adam", "0.1") > 0.03
    assert mean_accuracy("Adagrad", "0.1") - mean_accuracy("Adagrad", "0.01") > 0.03
    for optimizer, rate, about in (("Adam", "0.01", 0.92), ("Adam", "0.1", 0.77), ("Adagrad", "0.1", 0.92),
                                   ("Adagrad", "0.01", 0.80)):
        assert abs(mean_accuracy(optimizer, rate) - about) < 0.015, (optimizer, rate)
    two_units = [run for key, run in grid["runs"].items() if key.split("-")[1] == "2"]
    two_regions = sum(len(set(run["r"])) < 3 for run in two_units)
    text = (explorer_grid.GRID_FILE.parents[1] / "playground.md").read_text()
    assert f"With 2 units per layer, {two_regions} of the {len(two_units)} runs leave a\n  species" in text
    assert "about 0.92 against 0.77" in text and "about 0.92 at\n  0.1 against 0.80" in text
