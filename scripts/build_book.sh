#!/usr/bin/env bash
# Build the book so that it reads with the network off.
#
#   bash scripts/build_book.sh PYTHON            install the JavaScript, copy it, build the book (-W)
#   bash scripts/build_book.sh PYTHON --deps-only   only install the JavaScript (the step that may need the network)
#
# PYTHON is an interpreter with jupyter-book installed (make book passes .venv/bin/python).
# The pages would load require.js, the Jupyter widgets HTML manager and MathJax from CDNs (and the static
# explorer needs Plotly). Instead, the pinned
# npm packages (package.json, package-lock.json) are installed into node_modules/ and the files the pages use
# are copied into _build/offline_assets/vendor/, which _config.yml serves via html_extra_path.
# npm reaches the registry only when node_modules/ is missing or older than package-lock.json.
set -euo pipefail

usage() { echo "usage: bash scripts/build_book.sh PYTHON [--deps-only]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
PYTHON=$1
DEPS_ONLY=false
if [[ $# -eq 2 ]]; then
  [[ $2 == --deps-only ]] || usage
  DEPS_ONLY=true
fi

cd "$(dirname "$0")/.."
BOOK_DIR=$(pwd)
ASSETS_DIR=_build/offline_assets   # must match html_extra_path in _config.yml
VENDOR_DIR=$ASSETS_DIR/vendor      # the pages reference ../vendor/... (see _config.yml)
STAMP=node_modules/.package-lock.sha256

install_js() {
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
    echo "JavaScript packages are up to date (node_modules matches package-lock.json)."
    return
  fi
  if ! command -v npm >/dev/null; then
    echo "error: npm not found. The book serves its own copies of require.js, the widgets manager and MathJax," >&2
    echo "       installed with npm. Install Node.js >= 18 with npm (Debian: apt-get install npm) and retry." >&2
    exit 1
  fi
  # --ignore-scripts: we only copy files out of these packages, nothing needs to run.
  # --prefer-offline: take packages from the npm cache when it has them, so a rebuild works offline.
  npm ci --ignore-scripts --prefer-offline --no-audit --no-fund
  echo "$want" >"$STAMP"
}

copy_assets() {
  local nm=node_modules mj=node_modules/mathjax/es5 hm=node_modules/@jupyter-widgets/html-manager
  rm -rf "$VENDOR_DIR"
  mkdir -p "$VENDOR_DIR/requirejs" "$VENDOR_DIR/html-manager" "$VENDOR_DIR/mathjax/output"
  cp "$nm/requirejs/require.js" "$nm/requirejs/package.json" "$VENDOR_DIR/requirejs/"
  # embed-amd.js loads its Font Awesome fonts from beside itself.
  cp "$hm/dist/embed-amd.js" "$hm/package.json" "$hm"/dist/*.{woff,woff2,ttf,eot,svg} "$VENDOR_DIR/html-manager/"
  # tex-mml-chtml.js loads fonts, TeX extensions and the accessibility/menu components on demand,
  # relative to its own location.
  cp "$mj/tex-mml-chtml.js" "$mj/../LICENSE" "$mj/../package.json" "$VENDOR_DIR/mathjax/"
  cp -r "$mj/input" "$mj/ui" "$mj/a11y" "$mj/sre" "$VENDOR_DIR/mathjax/"
  cp -r "$mj/output/chtml" "$VENDOR_DIR/mathjax/output/"
  # The static explorer's charts (book_assets/static_explorer.js loads it from ../vendor/plotly/).
  mkdir -p "$VENDOR_DIR/plotly"
  cp "$nm/plotly.js-cartesian-dist-min/plotly-cartesian.min.js" "$nm/plotly.js-cartesian-dist-min/LICENSE" \
    "$nm/plotly.js-cartesian-dist-min/package.json" "$VENDOR_DIR/plotly/"
}

install_js
if $DEPS_ONLY; then
  exit 0
fi
copy_assets

start=$SECONDS
# --all: a full build, so that -W sees the warnings of every page, not only of the changed ones.
"$PYTHON" -c 'import sys; from jupyter_book.cli.main import main; sys.argv[0] = "jupyter-book"; main()' \
  build . --all -W --keep-going
echo "Built in $((SECONDS - start)) s: $BOOK_DIR/_build/html/index.html"
