"""How fast the static explorer (playground page, no kernel) answers a control change, in headless chromium.

The page records, on its container, how long its last update took (`data-update-ms`: the lookup in the
stored grid plus the redraw of every chart). This script opens the built book's playground page, changes
each control in turn (20 changes), and prints the median and the worst of those times. It needs the built
book (`make book`) and Debian's chromium (`bash scripts/ensure_chromium.sh`); without them it says so and
exits 0, so `make bench` still reports the engine.

    python benchmarks/bench_static_explorer.py [--html _build/html]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from browser_support import CHROMIUM, CHROMIUM_FLAGS, VIEWPORT, serve_directory  # noqa: E402

READY = "() => !!document.querySelector('.iris-static-explorer[data-key]')"
LAST_MS = "() => Number(document.querySelector('.iris-static-explorer').dataset.updateMs)"
CHANGES = [("units", "50"), ("optimizer", "Adam"), ("lr", "0.01"), ("units", "2"), ("optimizer", "SGD"),
           ("units", "20"), ("lr", "0.1"), ("optimizer", "Adagrad"), ("units", "5"), ("units", "10")]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html")
    args = parser.parse_args(argv)
    if not (args.html / "playground.html").is_file():
        print(f"static explorer: no built book in {args.html} (run `make book`); not measured")
        return 0
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        print(f"static explorer: no chromium at {CHROMIUM} (bash scripts/ensure_chromium.sh); not measured")
        return 0
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright, serve_directory(args.html) as url:
        browser = playwright.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}playground.html", wait_until="networkidle")
        page.wait_for_function(READY)
        box = page.locator(".iris-static-explorer")
        for _ in range(2):
            for control, value in CHANGES:
                box.locator(f'[data-control="{control}"]').select_option(value)
                times.append(page.evaluate(LAST_MS))
        browser.close()
    print(f"static explorer (playground page, headless chromium): {len(times)} control changes, "
          f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms to look up and redraw")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
