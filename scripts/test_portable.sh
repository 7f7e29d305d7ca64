#!/usr/bin/env bash
# `make test-portable`: the strict nbval run of every chapter, against the same stored outputs, under
# what changes from one machine to the next. Usage: bash scripts/test_portable.sh <the nbval command...>
#   1. oneDNN capped to AVX2, and a temp dir whose path has a space and a non-ASCII letter;
#   2. oneDNN capped to SSE4.1 (another summation order again), the same temp dir, both cores busy
#      (scripts/cpu_hog.py, bounded: it stops by itself and is killed when this script ends).
# The native instruction set (AVX-512 here) is `make test-notebooks`. Two runs instead of four keep it
# to a few minutes: the temp dir and the load do not interact with the instruction set, so each
# condition is still met in a run of its own kind. All must pass.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 <nbval command...>" >&2; exit 2; }
python=$1

parent=$(mktemp -d)
odd_tmp="$parent/book tmp é"  # a space and a non-ASCII letter, as on many Windows and macOS machines
mkdir -p "$odd_tmp"
hog=
cleanup() {
  if [ -n "$hog" ]; then kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true; fi
  rm -rf "$parent"
}
trap cleanup EXIT

failed=()
variant() {  # every variant runs, even after a failure, so one run shows them all
  local name=$1 start; shift
  start=$(date +%s)
  printf '\n=== %s\n' "$name"
  if env "$@" "${nbval[@]}"; then verdict=passed; else verdict=FAILED; failed+=("$name"); fi
  printf '=== %s: %s in %d s\n' "$name" "$verdict" $(( $(date +%s) - start ))
}
nbval=("$@")
total=$(date +%s)
variants=${PORTABLE_VARIANTS:-"avx2 sse41-busy"}  # e.g. PORTABLE_VARIANTS=sse41-busy to run one
if [[ " $variants " == *" avx2 "* ]]; then
  variant "oneDNN capped to AVX2, TMPDIR='$odd_tmp'" ONEDNN_MAX_CPU_ISA=AVX2 TMPDIR="$odd_tmp"
fi
if [[ " $variants " == *" sse41-busy "* ]]; then
  "$python" scripts/cpu_hog.py --processes 2 --seconds 600 &
  hog=$!
  variant "oneDNN capped to SSE4.1, TMPDIR='$odd_tmp', both cores busy" ONEDNN_MAX_CPU_ISA=SSE41 TMPDIR="$odd_tmp"
fi
if [ ${#failed[@]} -gt 0 ]; then
  printf '\n=== FAILED after %d s: %s\n' $(( $(date +%s) - total )) "${failed[*]}"
  exit 1
fi
printf '\n=== every variant passed in %d s\n' $(( $(date +%s) - total ))
