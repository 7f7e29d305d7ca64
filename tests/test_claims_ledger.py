"""The claims ledger follows the book (no legacy venv needed): every claim's words are still on its page, a
claim on which iris_lib differs is flagged where the page makes it, and the ledger page lists exactly the
claims of `tests/legacy/claims/`. Whether the claims hold is `make parity`'s job (tests/test_parity_claims.py).
"""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("claims_ledger", ROOT / "scripts" / "claims_ledger.py")
claims_ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(claims_ledger)

CLAIMS = [claim for group in claims_ledger.all_claims().values() for claim in group]
# The pages that describe how tf.estimator behaves: each has its claims in the ledger.
PAGES_WITH_CLAIMS = sorted({*(p.relative_to(ROOT).as_posix() for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")),
                            "companion/tf1_primer.ipynb", "companion/troubleshooting.ipynb"})


def _normal(text: str) -> str:
    return " ".join(text.split())


def _blocks(where: str) -> list[str]:
    """A notebook's cells, or a markdown page's paragraphs: the places a claim is made."""
    path = ROOT / where
    if path.suffix == ".ipynb":
        return ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    return re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda claim: claim.id)
def test_the_page_still_says_what_the_claim_quotes(claim):
    assert any(_normal(claim.quote) in _normal(block) for block in _blocks(claim.where)), (
        f"{claim.where} no longer says {claim.quote!r}: update claim {claim.id} in tests/legacy/claims/ "
        f"(and rerun `{claims_ledger.REGENERATE}`)")


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.differs and c.where != "companion/differences.md"],
                         ids=lambda claim: claim.id)
def test_where_iris_lib_differs_the_page_says_so_at_that_place(claim):
    blocks = [block for block in _blocks(claim.where) if _normal(claim.quote) in _normal(block)]
    assert any(re.search(r"differences(\.md|\.html)", block) for block in blocks), (
        f"{claim.where}: the place that says {claim.quote!r} should link to the differences page, which says "
        f"how iris_lib differs ({claim.differs})")


def test_the_ledger_page_lists_exactly_the_claims_and_is_in_the_book():
    page = claims_ledger.LEDGER_PAGE.read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)`<br>", page, flags=re.M)
    assert sorted(listed) == sorted(c.id for c in CLAIMS), f"run `{claims_ledger.REGENERATE}`"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    assert "companion/claims" in files


def test_every_page_about_tf_estimator_has_its_claims_in_the_ledger():
    covered = {c.where for c in CLAIMS}
    assert not [page for page in PAGES_WITH_CLAIMS if page not in covered]


def test_the_readme_counts_the_claims():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{len(CLAIMS)} claims" in readme, f"the README should say the ledger holds {len(CLAIMS)} claims"
