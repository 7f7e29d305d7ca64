#!/usr/bin/env bash
# Simulate a Binder start as closely as this machine allows, then run every chapter in the result.
#
#   bash scripts/simulate_binder.sh [REF]      REF: the commit to start from (default HEAD)
#
# What Binder (repo2docker) does for this repository, and what this script does instead:
#   1. It fetches the repository at a commit            -> a clean `git clone` of the committed files only
#   2. It picks Python from runtime.txt (python-3.11)    -> `python3.11` from PATH, in a fresh venv
#   3. It runs `pip install -r requirements.txt` from the repository root (after copying the repository in,
#      because requirements.txt has a local reference, `-e .`, which installs iris_lib)   -> the same, and a
#      check that this reader's set brought none of the developer's tools (requirements-dev.txt)
#   4. It runs `postBuild` if there is one                -> the same (this repository needs none)
#   5. A reader opens a chapter and runs it               -> the first and the last chapter (Part I, Part II)
#                                                            executed with nbclient in that venv's python3
#                                                            kernel, from the chapter's folder. Every chapter
#                                                            is run by CI's strict nbval, on a fresh clone and
#                                                            a fresh install of requirements-dev.txt, which
#                                                            includes requirements.txt:
#                                                            BINDER_CHAPTERS=all runs them all here too. nbclient
#                                                            comes with the reader's JupyterLab, as on Binder.
# Not simulated: the Docker image, and the JupyterLab that repo2docker installs on its own side.
# KEEP=1 keeps the temporary folder (its path is printed). Exits non-zero at the first problem.
set -euo pipefail

REF=${1:-HEAD}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/binder-sim.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
  echo "keeping $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
step_start=$SECONDS
step() { echo "[binder] $* (+$((SECONDS - step_start)) s)"; }
fail() { echo "[binder] error: $*" >&2; exit 1; }

# 1. A clean clone: only what is committed, as Binder would fetch it.
git clone --quiet "$REPO" "$WORK/repo"
git -C "$WORK/repo" checkout --quiet "$REF"
cd "$WORK/repo"
step "cloned $(git rev-parse --short HEAD)"
for shadow in binder .binder environment.yml Pipfile Pipfile.lock Dockerfile; do
  [[ ! -e $shadow ]] || fail "$shadow exists: repo2docker would build from it and ignore requirements.txt"
done

# 2. Python from runtime.txt.
[[ -f runtime.txt ]] || fail "runtime.txt is missing: Binder would pick its default Python, not 3.11"
spec=$(tr -d '[:space:]' <runtime.txt)
[[ $spec =~ ^python-([0-9]+\.[0-9]+)$ ]] || fail "runtime.txt must say python-X.Y, it says '$spec'"
PYTHON=python${BASH_REMATCH[1]}
command -v "$PYTHON" >/dev/null || fail "runtime.txt asks for $PYTHON, which is not installed here"
"$PYTHON" -m venv "$WORK/env"
ENV_PY=$WORK/env/bin/python
step "fresh venv with $("$ENV_PY" --version)"

# 3. requirements.txt, from the repository root (its `-e .` is relative to the working directory).
"$ENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt
"$ENV_PY" -c 'import iris_lib, tensorflow, ipywidgets' || fail "requirements.txt did not install iris_lib and its needs"
for tool in pytest nbval playwright voila jupyter_book sphinx myst_nb; do
  if "$ENV_PY" -c "import $tool" 2>/dev/null; then
    fail "requirements.txt installed $tool, a developer's tool: move it to requirements-dev.txt"
  fi
done
step "pip install -r requirements.txt"

# 4. postBuild, run as repo2docker runs it: an executable file in the repository root.
if [[ -e postBuild ]]; then
  [[ -x postBuild ]] || fail "postBuild exists but is not executable: repo2docker would fail"
  PATH="$WORK/env/bin:$PATH" ./postBuild
  step "postBuild"
fi

# 5. The chapters, in the venv's kernel. TMPDIR is private so the chapters' model folders
#    (/tmp/custom-estimators-hands-on/...) never meet those of another run on this machine.
mkdir -p "$WORK/tmp"
all=(chapters/[0-9][0-9]_*.ipynb)
if [[ ${BINDER_CHAPTERS:-ends} == all ]]; then chapters=("${all[@]}"); else chapters=("${all[0]}" "${all[-1]}"); fi
TMPDIR="$WORK/tmp" JUPYTER_DATA_DIR="$WORK/jupyter" JUPYTER_RUNTIME_DIR="$WORK/tmp/runtime" \
  "$ENV_PY" - "$ENV_PY" "${chapters[@]}" <<'PY'
"""Runs each chapter top to bottom in a fresh kernel (two at a time); fails on the first cell error."""
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: str) -> tuple[str, float, str]:
    notebook = nbformat.read(path, as_version=4)
    # First, which Python the kernel runs: it must be the Binder venv's, not another Jupyter's.
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    kernel_python = notebook.cells[0].outputs[0]["text"].strip()
    return path, time.perf_counter() - start, kernel_python


if __name__ == "__main__":
    expected, paths = sys.argv[1], sys.argv[2:]
    if not paths:
        sys.exit("[binder] error: no chapters/NN_*.ipynb in the clone")
    with ProcessPoolExecutor(max_workers=2) as pool:
        for path, seconds, kernel_python in pool.map(execute, paths):
            if os.path.realpath(kernel_python) != os.path.realpath(expected):
                sys.exit(f"[binder] error: {path} ran in {kernel_python}, not in the Binder venv's {expected}")
            print(f"[binder] executed {path} without errors in {seconds:.1f} s", flush=True)
PY
step "${#chapters[@]} of ${#all[@]} chapters executed"
echo "[binder] OK: a Binder start from $(git rev-parse --short HEAD) runs ${chapters[*]} ($((SECONDS - step_start)) s)"
