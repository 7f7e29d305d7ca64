"""The public surface of `tf.estimator` and `tf.compat.v1.estimator` is the REAL TensorFlow 2.15 one, name by name.

One program (`tests/legacy/surface_program.py`) walks both namespaces with their `export`, `experimental` and
`inputs` namespaces (`tpu` left aside) on the real tf.estimator (legacy venv) and on ours, reached as a user
reaches it (`iris_lib.tf1.estimator`; `tf.estimator` after `import iris_lib.estimator_shim`): every name,
its kind, its parameters (kinds, defaults), a class's public methods with theirs, its properties and plain
attributes. Every difference must be listed, with its reason, in `tests/legacy/surface_differences.py`, and
the table on companion/differences.md must be the one `scripts/surface_table.py` generates from that list
and the comparison. A real name we lack must raise MissingFromIrisLib saying what to use instead.

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1 (IRIS_LEGACY_PYTHON picks the legacy
interpreter, default `.venv-legacy/bin/python`).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator surface is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("surface_table", ROOT / "scripts" / "surface_table.py")
surface_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(surface_table)
HOW = (f"classify it in tests/legacy/surface_differences.py (`{surface_table.REGENERATE} --draft` prints the "
       f"unexplained ones as entries), then regenerate the table with `{surface_table.REGENERATE}`")


@pytest.fixture(scope="module")
def comparison(legacy_python):
    real, ours = surface_table.surfaces(legacy_python, sys.executable)
    differences = surface_table.compare(real, ours)
    explained = surface_table.load_explained()
    unexplained, stale = surface_table.match(differences, explained)
    return {"real": real, "ours": ours, "differences": differences, "explained": explained,
            "unexplained": unexplained, "stale": stale}


def test_the_real_surface_is_walked(comparison):
    real = comparison["real"]
    assert real["tf.estimator.Estimator"]["kind"] == "class"
    assert "train" in real["tf.estimator.Estimator"]["methods"]
    assert real["tf.compat.v1.estimator.inputs.numpy_input_fn"]["kind"] == "function"
    assert real["tf.estimator.export.ServingInputReceiver"]["kind"] == "class"
    assert real["tf.estimator.experimental.stop_if_no_decrease_hook"]["kind"] == "function"
    assert real["tf.compat.v1.estimator.tpu"]["kind"] == "module"
    assert not any(name.startswith("tf.compat.v1.estimator.tpu.") for name in real)
    assert len(real) > 150


def test_every_difference_from_the_real_surface_is_explained(comparison):
    unexplained = comparison["unexplained"]
    assert not unexplained, (
        f"{len(unexplained)} difference(s) from the real tf.estimator surface are not explained; {HOW}:\n"
        + "\n".join(f"  {d['name']} [{d['aspect']}] {d['difference']}" for d in unexplained))


def test_no_explained_difference_is_stale(comparison):
    stale = comparison["stale"]
    assert not stale, (
        f"{len(stale)} explained difference(s) no longer differ (fixed, or now differ otherwise): remove or "
        f"update them in tests/legacy/surface_differences.py, then run `{surface_table.REGENERATE}`:\n"
        + "\n".join(f"  {e['name']} [{e['aspect']}] {e['difference']}" for e in stale))


def test_a_real_name_we_lack_raises_missing_from_iris_lib_saying_what_to_use(comparison):
    real, ours = comparison["real"], comparison["ours"]
    lacking = {name: ours.get(name, {"kind": "absent", "message": "not looked up"}) for name in real
               if ours.get(name, {}).get("kind") in (None, "missing", "absent")}
    plain = {name: record["message"] for name, record in lacking.items() if record["kind"] != "missing"}
    assert not plain, f"real names that fail with a plain AttributeError, not MissingFromIrisLib: {plain}"
    for name, record in lacking.items():
        assert "(the real one had it): " in record["message"] and len(record["message"].split(": ", 1)[1]) > 20, \
            f"{name}: MissingFromIrisLib should say what to use instead: {record['message']!r}"


def test_the_differences_page_table_is_up_to_date(comparison):
    page = surface_table.PAGE.read_text()
    assert surface_table.current_section(page) is not None, (
        f"companion/differences.md has no {surface_table.START} ... {surface_table.END} section: "
        f"run `{surface_table.REGENERATE}`")
    numbers = surface_table.counts(comparison["real"], comparison["ours"], comparison["differences"])
    expected = surface_table.table(comparison["explained"], comparison["differences"], numbers)
    assert surface_table.current_section(page) == expected, (
        f"companion/differences.md's surface table is out of date: run `{surface_table.REGENERATE}`")
