"""Train the static explorer's grid with the book's engine and write book_assets/explorer_grid.js.

    python scripts/build_explorer_grid.py [--workers 2] [--limit N] [--out book_assets/explorer_grid.js]

Run by `make explorer-data` and `make execute`. Every configuration of `iris_lib.explorer_grid.grid_points()`
trains from scratch (1000 steps, like the book) in one of `--workers` processes (TensorFlow keeps a
process busy with Python between steps, so processes scale where threads do not). Each finished run is
appended at once to a cache file (`_build/explorer_grid/runs.jsonl`), so an interrupted build resumes
where it stopped; the cache is keyed by the grid's definition and thrown away when that changes.
When the stored grid already holds every run of the current definition, nothing trains (`--fresh`
retrains all). `--limit N` trains only the first N missing runs (for a quick check) and writes no JSON.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from iris_lib import explorer_grid  # noqa: E402  (silences TensorFlow before it loads)

CACHE = REPO / "_build" / "explorer_grid" / "runs.jsonl"
OUT = REPO / "book_assets" / "explorer_grid.js"

_worker_state: dict = {}


def grid_signature() -> str:
    """Changes when anything that shapes a record changes: then the cache is stale."""
    spec = {"header": explorer_grid.header(), "keys": [p.key for p in explorer_grid.grid_points()],
            "digits": explorer_grid.DIGITS}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _init_worker(work_dir: str) -> None:
    from iris_lib import data
    from iris_lib.custom_estimator import feature_columns

    iris = data.load_data()
    _worker_state.update(work_dir=work_dir, iris=iris, columns=feature_columns(iris[0][0]))


def _run(point: explorer_grid.GridPoint) -> tuple[str, dict, float]:
    start = time.perf_counter()
    record = explorer_grid.run_point(point, _worker_state["work_dir"], _worker_state["iris"],
                                     _worker_state["columns"])
    return point.key, record, time.perf_counter() - start


def load_cache(signature: str, out: Path) -> dict[str, dict]:
    """The runs already done for this grid definition: from the cache (a torn last line, from a kill, is
    dropped), else from the stored grid if it was made from the same definition (so `make execute` on a
    fresh clone trains nothing unless the grid changed; --fresh retrains anyway)."""
    lines = CACHE.read_text().splitlines() if CACHE.exists() else []
    if not lines or lines[0] != json.dumps({"signature": signature}):
        try:
            stored = explorer_grid.load_grid(out)
        except (OSError, ValueError):
            return {}
        return dict(stored["runs"]) if stored.get("signature") == signature else {}
    done = {}
    for line in lines[1:]:
        try:
            key, record = json.loads(line)
        except ValueError:
            continue
        done[key] = record
    return done


def _stop(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # leaves the Pool's `with`, which ends the workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--fresh", action="store_true", help="retrain every configuration, ignoring the caches")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _stop)
    signature = grid_signature()
    points = explorer_grid.grid_points()
    done = {} if args.fresh else load_cache(signature, args.out)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    # Rewrite the cache without torn lines, under the current signature.
    CACHE.write_text("".join(json.dumps(row) + "\n" for row in
                             [{"signature": signature}, *([k, v] for k, v in done.items())]))
    todo = [p for p in points if p.key not in done]
    if args.limit is not None:
        todo = todo[:args.limit]
    print(f"explorer grid: {len(points)} configurations, {len(done)} cached, {len(todo)} to train "
          f"with {args.workers} processes", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="explorer-grid-") as work_dir, open(CACHE, "a") as cache:
        if todo:
            context = multiprocessing.get_context("spawn")
            with context.Pool(args.workers, initializer=_init_worker, initargs=(work_dir,)) as pool:
                for i, (key, record, seconds) in enumerate(pool.imap_unordered(_run, todo), start=1):
                    done[key] = record
                    cache.write(json.dumps([key, record]) + "\n")
                    cache.flush()
                    if i % 25 == 0 or i == len(todo):
                        elapsed = time.perf_counter() - start
                        print(f"  {i}/{len(todo)} trained, {elapsed:.0f} s so far "
                              f"(last run {seconds:.2f} s)", flush=True)
    elapsed = time.perf_counter() - start
    missing = [p.key for p in points if p.key not in done]
    if missing:
        print(f"trained {len(todo)} in {elapsed:.0f} s; {len(missing)} still missing, so no JSON written "
              "(run again to continue)")
        return 0 if args.limit is not None else 1
    document = {**explorer_grid.header(), "signature": signature,
                "runs": {p.key: done[p.key] for p in points}}
    text = explorer_grid.to_script(document)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}: "
          f"{len(points)} runs, {len(text):,} bytes; {len(todo)} trained in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
