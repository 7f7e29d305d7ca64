"""The claims ledger: every sentence of the book about how tf.estimator behaves, checked on the real one and ours.

    .venv/bin/python scripts/claims_ledger.py            # run every claim program on both engines, write the pages
    .venv/bin/python scripts/claims_ledger.py --check    # the same; exit 1 if a page is out of date or a claim fails
    .venv/bin/python scripts/claims_ledger.py ch05_modes # only these claims files (prints, writes nothing)

Each `tests/legacy/claims/<file>.py` lists claims (`CLAIMS`, see `tests/legacy/claims/ledger.py`) and measures
their facts on the engine it is run with. This script runs each file with the legacy python (TF 2.15 +
tensorflow-estimator; IRIS_LEGACY_PYTHON, default `.venv-legacy/bin/python`) and with ours, then:
  - a claim that does not hold on the real Estimator is an error in the book: fix the page (or the claim);
  - a claim that does not hold on ours must say why (`differs`), and the page says so at that place.
It writes the ledger page (`companion/claims.md`) and, between the `claims-differ` markers of
`companion/differences.md`, the list of the claims on which ours differs. `tests/test_parity_claims.py`
(`make parity`) uses the same functions; `tests/test_claims_ledger.py` (`make test`) checks, without the
legacy venv, that every quote is still on its page and that the pages list every claim.
"""
from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMS_DIR = ROOT / "tests" / "legacy" / "claims"
LEDGER_PAGE = ROOT / "companion" / "claims.md"
DIFFERENCES_PAGE = ROOT / "companion" / "differences.md"
START, END = "<!-- claims-differ:start -->", "<!-- claims-differ:end -->"
DIFFERENCES_HEADING = "## Where the book's claims differ on iris_lib"
REGENERATE = ".venv/bin/python scripts/claims_ledger.py"
TIMEOUT_S = 900


# ---- the claims ---------------------------------------------------------------------------------------------

def claim_files() -> list[Path]:
    return sorted(path for path in CLAIMS_DIR.glob("*.py") if path.name != "ledger.py")


def load_claims(path: Path) -> list:
    """A claims file's CLAIMS (importing it imports no TensorFlow)."""
    sys.path.insert(0, str(CLAIMS_DIR))
    try:
        spec = importlib.util.spec_from_file_location(f"claims_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(CLAIMS_DIR))
    return list(module.CLAIMS)


def all_claims() -> dict[str, list]:
    claims = {path.stem: load_claims(path) for path in claim_files()}
    ids = [c.id for group in claims.values() for c in group]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"claim ids must be unique: {duplicates}"
    return claims


# ---- running the programs -----------------------------------------------------------------------------------

def legacy_python() -> Path:
    return Path(os.environ.get("IRIS_LEGACY_PYTHON") or ROOT / ".venv-legacy" / "bin" / "python")


def run_program(python: Path | str, path: Path, engine: str) -> dict:
    """The facts `path` measures on `engine`, as a user's program would run (TensorFlow's own defaults: the
    real one runs without iris_lib's same-bits settings, ours sets its own)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TF_ENABLE_ONEDNN", "ONEDNN_", "TF_DETERMINISTIC", "OMP_", "IRIS_LIB_SAME"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with tempfile.TemporaryDirectory(prefix=f"claims-{engine}-") as workdir:
        # Absolute (not resolved: a venv's python is a symlink), since the program runs in its work folder.
        result = subprocess.run([os.path.abspath(python), str(path), engine, workdir], capture_output=True,
                                text=True, env=env, timeout=TIMEOUT_S, cwd=workdir)
    if result.returncode != 0:
        raise RuntimeError(f"{path.name} {engine} failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(files: list[Path], legacy=None, ours=None, workers: int = 2) -> dict[str, dict]:
    """{file stem: {"real": facts, "ours": facts}} for every file, two programs at a time."""
    jobs = [(path, engine, python) for path in files
            for engine, python in (("real", legacy or legacy_python()), ("ours", ours or sys.executable))]
    results: dict[str, dict] = {path.stem: {} for path in files}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(run_program, python, path, engine): (path.stem, engine)
                   for path, engine, python in jobs}
        for future in concurrent.futures.as_completed(futures):
            stem, engine = futures[future]
            results[stem][engine] = future.result()
    return results


def verdicts(claims: dict[str, list], results: dict[str, dict]) -> list[dict]:
    """One row per claim: whether it holds on each engine, and the facts it shows."""
    rows = []
    for stem, group in claims.items():
        for claim in group:
            row = {"file": stem, "claim": claim}
            for engine in ("real", "ours"):
                facts = results[stem][engine]
                missing = [key for key in claim.shows if key not in facts]
                if missing:
                    raise KeyError(f"{stem}: claim {claim.id} shows facts its program did not print: {missing}")
                try:
                    row[engine] = bool(claim.holds(facts))
                except Exception as error:  # noqa: BLE001  (a claim's test that breaks is a failed claim)
                    row[engine] = False
                    row[f"{engine}_error"] = f"{type(error).__name__}: {error}"
                row[f"{engine}_facts"] = {key: facts[key] for key in claim.shows}
            rows.append(row)
    return rows


def problems(rows: list[dict]) -> list[str]:
    """What makes the ledger fail: a claim false of the real Estimator, or a difference nobody explained
    (or an explained one that is gone)."""
    found = []
    for row in rows:
        claim = row["claim"]
        if not row["real"]:
            found.append(f"{claim.id} ({claim.where}): does NOT hold on the real tf.estimator: fix the page "
                         f"or the claim. Real facts: {row['real_facts']} {row.get('real_error', '')}")
        if row["real"] and not row["ours"] and not claim.differs:
            found.append(f"{claim.id} ({claim.where}): holds on the real one, not on ours, and `differs` does not "
                         f"say why. Ours: {row['ours_facts']} {row.get('ours_error', '')}")
        if row["ours"] and claim.differs:
            found.append(f"{claim.id} ({claim.where}): says ours differs, but it holds on ours: drop `differs`")
    return found


# ---- the pages --------------------------------------------------------------------------------------------------

def page_title(where: str) -> str:
    path = ROOT / where
    if path.suffix == ".ipynb":
        first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
        text = "".join(first)
    else:
        text = path.read_text(encoding="utf-8")
    heading = next((line for line in text.splitlines() if line.startswith("# ")), where)
    return heading[2:].strip()


def _value(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 90 else text[:87] + "…"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _facts_cell(facts: dict) -> str:
    return "<br>".join(f"`{key}` = `{_cell(_value(value))}`" for key, value in facts.items())


def ledger_page(rows: list[dict]) -> str:
    same = sum(row["ours"] for row in rows)
    pages = {}
    for row in rows:
        pages.setdefault(row["claim"].where, []).append(row)
    lines = [
        "# The claims ledger",
        "",
        "Every sentence of this book that says how `tf.estimator` behaves is a claim, and every claim is checked: a "
        "small program in `tests/legacy/claims/` measures the facts it rests on, once on the real Estimator "
        "(TensorFlow 2.15 with `tensorflow-estimator` 2.15) and once on iris_lib (TensorFlow 2.21). A claim that "
        "did not hold on the real one would fail `make parity`; where iris_lib differs on purpose, the page that "
        "makes the claim says so, and [the differences page](differences.md) lists it.",
        "",
        f"**{len(rows)} claims** from {len(pages)} pages: all {len(rows)} hold on the real Estimator; "
        f"{same} hold on iris_lib as well, and {len(rows) - same} differ on purpose.",
        "",
        f"Generated by `{REGENERATE}` from the programs' results; `tests/test_parity_claims.py` (`make parity`) "
        "fails when this page is not what they give.",
        "",
    ]
    for where, group in pages.items():
        lines += [f"## [{page_title(where)}](../{where})", "",
                  "| Claim | The page says | Facts on the real Estimator | Facts on iris_lib | iris_lib |",
                  "|---|---|---|---|---|"]
        for row in group:
            claim = row["claim"]
            verdict = "same" if row["ours"] else "differs: " + claim.differs
            lines.append(f"| `{claim.id}`<br>{_cell(claim.says)} | “{_cell(claim.quote)}” | "
                         f"{_facts_cell(row['real_facts'])} | {_facts_cell(row['ours_facts'])} | {_cell(verdict)} |")
        lines += ["", f"Evidence: `tests/legacy/claims/{group[0]['file']}.py`.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def differences_section(rows: list[dict]) -> str:
    differing = [row for row in rows if not row["ours"]]
    lines = [
        f"**The book's claims, checked on both engines.** Of the book's {len(rows)} claims about how "
        f"`tf.estimator` behaves ([the claims ledger](claims.md)), all hold on the real Estimator and "
        f"{len(differing)} describe behaviour iris_lib does not share, on purpose; each page says so where it "
        f"makes the claim. This list is generated by `{REGENERATE}` from the programs' results.",
        "Checked by `tests/test_parity_claims.py::test_the_pages_are_what_the_claims_give`.",
        "",
    ]
    for row in differing:
        claim = row["claim"]
        lines.append(f"- **[{page_title(claim.where)}](../{claim.where})**, `{claim.id}`: {_cell(claim.says)} "
                     f"Here: {_cell(claim.differs)}")
    return "\n".join(lines)


def differences_page_with(page: str, section: str) -> str:
    block = f"{START}\n{section}\n{END}"
    if START in page and END in page:
        head, rest = page.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return page.rstrip("\n") + f"\n\n{DIFFERENCES_HEADING}\n\n{block}\n"


def current_section(page: str) -> str | None:
    if START not in page or END not in page:
        return None
    return page.split(START, 1)[1].split(END, 1)[0].strip("\n")


def main(argv: list[str]) -> int:
    claims = all_claims()
    chosen = [a for a in argv if not a.startswith("--")]
    files = [path for path in claim_files() if not chosen or path.stem in chosen]
    results = measure(files)
    rows = verdicts({path.stem: claims[path.stem] for path in files}, results)
    for row in rows:
        state = "same" if row["ours"] else ("DIFFERS" if row["real"] else "FALSE ON REAL")
        print(f"{state:14} {row['claim'].id:45} real {row['real_facts']}  ours {row['ours_facts']}")
    found = problems(rows)
    for problem in found:
        print("PROBLEM", problem)
    if chosen:
        return 1 if found else 0
    ledger, differences = ledger_page(rows), differences_page_with(DIFFERENCES_PAGE.read_text(), differences_section(rows))
    if "--check" in argv:
        stale = [page for page, text in ((LEDGER_PAGE, ledger), (DIFFERENCES_PAGE, differences))
                 if not page.exists() or page.read_text() != text]
        for page in stale:
            print(f"{page.relative_to(ROOT)} is out of date: run `{REGENERATE}`")
        return 1 if found or stale else 0
    LEDGER_PAGE.write_text(ledger)
    DIFFERENCES_PAGE.write_text(differences)
    print(f"wrote {LEDGER_PAGE.relative_to(ROOT)} ({len(rows)} claims) and the list in "
          f"{DIFFERENCES_PAGE.relative_to(ROOT)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
