#!/usr/bin/env bash
# Create the legacy venv holding the REAL tf.estimator (TensorFlow 2.15), which the parity tests
# (tests/test_parity_real_estimator.py) and the benchmark (benchmarks/bench_engine.py) run as a reference.
# The book itself never uses it.
#
#   bash scripts/make_legacy_venv.sh                 # -> .venv-legacy in the repository root
#   LEGACY_VENV=/tmp/legacy bash scripts/make_legacy_venv.sh
#   LEGACY_PYTHON_BIN=python3.10 bash scripts/make_legacy_venv.sh   # TF 2.15 needs Python 3.9-3.11
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LEGACY_VENV:-$root/.venv-legacy}"
python="${LEGACY_PYTHON_BIN:-python3.11}"
requirements="$root/tests/legacy/requirements-legacy.txt"

if ! command -v "$python" >/dev/null; then
    echo "make_legacy_venv: $python not found; TensorFlow 2.15 needs Python 3.9-3.11." >&2
    echo "Install one (e.g. apt-get install python3.11-venv) or set LEGACY_PYTHON_BIN." >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(not (3, 9) <= sys.version_info[:2] <= (3, 11))'; then
    echo "make_legacy_venv: $python is Python $("$python" -c 'import platform; print(platform.python_version())');" \
         "TensorFlow 2.15 has wheels for 3.9-3.11 only. Set LEGACY_PYTHON_BIN." >&2
    exit 1
fi

test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$requirements"
"$venv/bin/python" - <<'PY'
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow.compat.v1 as tf
from importlib.metadata import version
assert hasattr(tf, "estimator") and hasattr(tf.estimator, "Estimator"), "tf.estimator is missing"
print(f"legacy venv ready: TensorFlow {tf.__version__}, tensorflow-estimator {version('tensorflow-estimator')}")
PY
echo "$venv/bin/python"
