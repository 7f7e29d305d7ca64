"""Parse-example specs, InMemoryEvaluatorHook and EstimatorSpec-as-a-namedtuple behave as the real TF 2.15 ones.

One program (`tests/legacy/parsing_and_hooks_program.py`) runs on the real tf.estimator (legacy venv) and on
ours, and the reports must be equal: the specs `classifier_parse_example_spec` / `regressor_parse_example_spec`
return and their errors, in both namespaces; which global steps an `InMemoryEvaluatorHook` evaluated at, the
tags it wrote, how it called its own hooks, and its constructor's errors; what an `EstimatorSpec` offers as a
namedtuple (`_fields`, unpacking, indexing, `_replace` and its refusals). Opt-in like the other parity tests:
`make parity`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support import run_json

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

PROGRAM = Path(__file__).resolve().parent / "legacy" / "parsing_and_hooks_program.py"


@pytest.fixture(scope="module")
def reports(legacy_python, tmp_path_factory):
    real = run_json(legacy_python, PROGRAM, "real", str(tmp_path_factory.mktemp("real")))
    ours = run_json(sys.executable, PROGRAM, "ours", str(tmp_path_factory.mktemp("ours")))
    return real, ours


def _section(report, word):
    return {key: value for key, value in report.items() if word in key}


def test_parse_example_specs_match_the_real_ones(reports):
    real, ours = reports
    real_specs, our_specs = _section(real, "parse_example"), _section(ours, "parse_example")
    assert len(real_specs) == 2 * (2 * 10 + 1) + 1  # per namespace: 10 cases per function, label_dimension 3
    assert real_specs["tf.estimator.classifier_parse_example_spec: defaults"]["label"] == \
        "FixedLenFeature(shape=(1,), dtype=tf.int64, default_value=None)"
    assert real_specs["tf.estimator.regressor_parse_example_spec: a feature a string"] == \
        "ValueError: All feature_columns must be FeatureColumn instances. Given: e"
    assert our_specs == real_specs


def test_in_memory_evaluator_hook_evaluates_at_the_real_steps_with_the_real_metrics(reports):
    real, ours = reports
    real_hook, our_hook = _section(real, "InMemoryEvaluatorHook"), _section(ours, "InMemoryEvaluatorHook")
    events = real_hook["tf.estimator.InMemoryEvaluatorHook: eval events"]
    assert [step for step, _ in events] == [0, 4, 8, 10]
    assert all(tags == ["loss", "mae"] for _, tags in events)
    assert real_hook["tf.estimator.InMemoryEvaluatorHook: last evaluation equals evaluate()"] is True
    assert our_hook == real_hook


def test_estimator_spec_is_a_namedtuple_as_the_real_one(reports):
    real, ours = reports
    assert real["EstimatorSpec"]["_replace(mode=other)"] == "ValueError: mode of EstimatorSpec cannot be changed."
    assert real["EstimatorSpec"]["len"] == 11
    assert ours["EstimatorSpec"] == real["EstimatorSpec"]


def test_nothing_else_differs(reports):
    real, ours = reports
    assert ours == real
