"""The claims ledger against the real tf.estimator: every claim the book makes about it holds on TF 2.15 +
tensorflow-estimator 2.15, every place iris_lib differs is explained, and the ledger page and the differences
page's list are what the programs give (`scripts/claims_ledger.py` regenerates them).

Opt-in like the other parity tests: `make parity`, or IRIS_PARITY=1.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("IRIS_PARITY") != "1",
    reason="parity with the real tf.estimator is opt-in: IRIS_PARITY=1 (see `make parity`)",
)

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("claims_ledger", ROOT / "scripts" / "claims_ledger.py")
claims_ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(claims_ledger)


@pytest.fixture(scope="module")
def rows(legacy_python):
    claims = claims_ledger.all_claims()
    results = claims_ledger.measure(claims_ledger.claim_files(), legacy_python, sys.executable)
    return claims_ledger.verdicts(claims, results)


def test_every_claim_of_the_book_holds_on_the_real_estimator(rows):
    false = [f"{row['claim'].id} ({row['claim'].where}): {row['real_facts']} {row.get('real_error', '')}"
             for row in rows if not row["real"]]
    assert not false, "the book says something the real tf.estimator does not do:\n" + "\n".join(false)


def test_where_iris_lib_differs_the_claim_says_why(rows):
    assert not [p for p in claims_ledger.problems(rows) if "does NOT hold on the real" not in p]


def test_the_pages_are_what_the_claims_give(rows):
    ledger = claims_ledger.ledger_page(rows)
    differences = claims_ledger.differences_page_with(claims_ledger.DIFFERENCES_PAGE.read_text(),
                                                      claims_ledger.differences_section(rows))
    assert claims_ledger.LEDGER_PAGE.read_text() == ledger, f"run `{claims_ledger.REGENERATE}`"
    assert claims_ledger.DIFFERENCES_PAGE.read_text() == differences, f"run `{claims_ledger.REGENERATE}`"
