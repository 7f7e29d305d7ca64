#!/usr/bin/env bash
# Print a working interpreter for NAME (python3, python3.13, or a path). A pyenv shim such as python3.13
# fails unless that version is activated, so fall back to pyenv's own copy of it.
set -u
name=${1:?usage: find_python.sh NAME}
if "$name" -c "import sys" >/dev/null 2>&1; then
  echo "$name"
  exit 0
fi
version=${name##*python}
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for candidate in "$root"/versions/"$version".*/bin/"python$version"; do
  if [ -n "$version" ] && "$candidate" -c "import sys" >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo "find_python.sh: no working $name (install it, or pass PYTHON=/path/to/python)" >&2
exit 1
