#!/usr/bin/env bash
# Make sure a Chromium for the browser tests is installed (Debian's chromium, /usr/bin/chromium).
#
#   bash scripts/ensure_chromium.sh
#
# Playwright drives this system browser; its own browser download (`playwright install`) is not used.
# IRIS_CHROMIUM points the tests at another Chromium or Chrome binary (e.g. /usr/bin/google-chrome on a
# GitHub runner); when it is set and runnable, nothing is installed.
# As root with apt-get, a missing chromium is installed; otherwise the script says what to install and fails.
set -euo pipefail

CHROMIUM=${IRIS_CHROMIUM:-/usr/bin/chromium}

report() { echo "browser for the tests: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"; }

if [[ -x $CHROMIUM ]] || command -v "$CHROMIUM" >/dev/null 2>&1; then
  report
  exit 0
fi
if [[ -n ${IRIS_CHROMIUM:-} ]]; then
  echo "error: IRIS_CHROMIUM=$IRIS_CHROMIUM is not an executable Chromium or Chrome." >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium (apt-get install chromium)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  report
  exit 0
fi
cat >&2 <<MSG
error: no Chromium at $CHROMIUM, needed by the browser tests (tests/browser/).
       Debian/Ubuntu: sudo apt-get install chromium     (then run this script again)
       Or point IRIS_CHROMIUM at an installed Chromium or Google Chrome binary.
MSG
exit 1
