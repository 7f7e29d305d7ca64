#!/usr/bin/env bash
# `make test-portable`: the strict nbval run of every chapter, against the same stored outputs, under what
# changes from one machine to the next. iris_lib keeps oneDNN out of TensorFlow's arithmetic and pins what
# remains of it to AVX (iris_lib/same_bits.py; tests/test_same_bits.py shows each setting is needed), so
# every level here must give the bits of the native run in `make test-notebooks`.
# Usage: bash scripts/test_portable.sh <the nbval command...>
#   sse41-one-core  oneDNN capped to SSE4.1, on one core (taskset), a temp dir with a space and a non-ASCII letter
#   avx-busy        oneDNN capped to AVX, both cores busy (scripts/cpu_hog.py, bounded, killed when this ends)
#   avx2            oneDNN capped to AVX2, the odd temp dir
#   avx512          oneDNN capped to AVX512_CORE (this machine's own level when it has AVX-512)
# Each condition that does not touch the instruction set (temp dir, cores, load) rides along with one level;
# all must pass. PORTABLE_VARIANTS="avx2 avx512" runs a subset.
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
  if env "$@"; then verdict=passed; else verdict=FAILED; failed+=("$name"); fi
  printf '=== %s: %s in %d s\n' "$name" "$verdict" $(( $(date +%s) - start ))
}
nbval=("$@")
total=$(date +%s)
variants=${PORTABLE_VARIANTS:-"sse41-one-core avx-busy avx2 avx512"}
for name in $variants; do
  case $name in
    sse41-one-core)
      # one core: xdist's two workers would only take turns on it, so one worker
      variant "oneDNN capped to SSE4.1, one core, TMPDIR='$odd_tmp'" ONEDNN_MAX_CPU_ISA=SSE41 TMPDIR="$odd_tmp" \
        taskset -c 0 "${nbval[@]}" -n 1 ;;
    avx-busy)
      "$python" scripts/cpu_hog.py --processes 2 --seconds 900 &
      hog=$!
      variant "oneDNN capped to AVX, both cores busy" ONEDNN_MAX_CPU_ISA=AVX "${nbval[@]}"
      kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true; hog= ;;
    avx2)
      variant "oneDNN capped to AVX2, TMPDIR='$odd_tmp'" ONEDNN_MAX_CPU_ISA=AVX2 TMPDIR="$odd_tmp" "${nbval[@]}" ;;
    avx512)
      variant "oneDNN capped to AVX512_CORE" ONEDNN_MAX_CPU_ISA=AVX512_CORE "${nbval[@]}" ;;
    *) echo "unknown variant $name (sse41-one-core avx-busy avx2 avx512)" >&2; exit 2 ;;
  esac
done
if [ ${#failed[@]} -gt 0 ]; then
  printf '\n=== FAILED after %d s: %s\n' $(( $(date +%s) - total )) "${failed[*]}"
  exit 1
fi
printf '\n=== every variant passed in %d s\n' $(( $(date +%s) - total ))
