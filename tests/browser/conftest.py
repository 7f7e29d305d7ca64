"""The real-browser tests' browser: one headless Debian chromium per session, driven by Playwright.

These tests build and serve the book and start Voila (about a minute), so they run when asked:
`IRIS_BROWSER=1` (what `make test-browser` and CI set). Then a missing chromium or Playwright is a failure
that names the fix, never a silent skip.
"""
from __future__ import annotations

import os
import shutil

import pytest

from browser_support import CHROMIUM, CHROMIUM_FLAGS, LocalOnly, new_context


REQUESTED = os.environ.get("IRIS_BROWSER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REQUESTED:
        return
    here = os.path.dirname(__file__)
    skip = pytest.mark.skip(reason="real-browser test: run `make test-browser` (or set IRIS_BROWSER=1)")
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)


def _unavailable(reason: str) -> None:
    pytest.fail(reason, pytrace=False)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -r requirements-dev.txt (it pins playwright)")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        _unavailable(f"no chromium at {CHROMIUM}: run `bash scripts/ensure_chromium.sh` "
                     "(Debian: apt-get install chromium), or point IRIS_CHROMIUM at a Chromium or Chrome binary")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which(CHROMIUM) or CHROMIUM,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def local_only_context(browser):
    """A fresh browser context (own cookies and cache) that reaches 127.0.0.1 only: (context, traffic)."""
    context = new_context(browser)
    traffic = LocalOnly()
    traffic.attach(context)
    yield context, traffic
    context.close()
