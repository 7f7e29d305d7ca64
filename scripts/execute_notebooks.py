"""Regenerate the stored outputs of the book's notebooks (`make execute`).

Executes each chapter top to bottom in a fresh kernel and saves it with its outputs and widget
state, so the rendered book shows widgets without a kernel and nbval has fresh outputs to compare.
Usage: python scripts/execute_notebooks.py [chapters/01_*.ipynb ...]
"""
from __future__ import annotations

import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
# TensorFlow's C++ start-up lines, printed on some CPUs (where oneDNN is on by default) before
# TF_CPP_MIN_LOG_LEVEL is read; they depend on the machine, so they are not part of a chapter.
TF_STARTUP_LINE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|I0000 |E0000 |W0000 ).*\n?",
                             re.MULTILINE)


def drop_tf_startup_lines(notebook) -> None:
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.text = TF_STARTUP_LINE.sub("", output.text)
                if not output.text:
                    continue
            kept.append(output)
        cell.outputs = kept


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=True, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    drop_tf_startup_lines(notebook)
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
