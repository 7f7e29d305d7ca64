"""Regenerate the stored outputs of the book's notebooks (`make execute`).

Executes each chapter top to bottom in a fresh kernel and saves it with its outputs and widget
state, so the rendered book shows widgets without a kernel and nbval has fresh outputs to compare.
Usage: python scripts/execute_notebooks.py [chapters/01_*.ipynb ...]
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=True, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        for path, seconds in zip(paths, pool.map(execute, paths)):
            print(f"{seconds:6.1f} s  {path.relative_to(ROOT) if path.is_absolute() else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
