"""The rendered book in a real browser, with the network off: every page opens, its figures load, its
math is typeset, its saved widgets render without a kernel, and it asks for nothing outside 127.0.0.1.

The book is built once per session into a copy of the repository (the working tree's _build/ is never
touched), or taken from `IRIS_BOOK_HTML` (e.g. `_build/html` right after `make book`), which must be newer
than every page's source. It is served on 127.0.0.1 and every page is opened in headless chromium; anything
a page requests outside 127.0.0.1 is aborted and recorded. A full-page screenshot of each page is saved
under artifacts/screenshots/ for a person to look at; a page taller than SCREENSHOT_MAX_HEIGHT (the claims
ledger is ~135,000 px) is shot down to that height only, as a whole one would be a 170-megapixel image that
takes chromium minutes to paint.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from PIL import Image

from browser_support import HANG_GUARD_MS, REPO, VIEWPORT, LocalOnly, artifact_path, new_context, serve_directory

BUILD_SCRIPT = "scripts/build_book.sh"
# Not part of the book, or made by the build: never copied into the build's copy of the repository.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "_build", "node_modules", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
    "*.egg-info", "artifacts", "build",
)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PAGE_TIMEOUT_MS = HANG_GUARD_MS
RENDER_TIMEOUT_MS = HANG_GUARD_MS  # MathJax and the widget manager render after the page has loaded
SCREENSHOT_MAX_HEIGHT = 16_384  # chromium's largest texture side; twenty screens of the book
PAGE_HEIGHT = "() => document.documentElement.scrollHeight"


def toc_pages() -> list[str]:
    """The book's pages in reading order, as built paths without .html (intro, chapters/01_..., ...)."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    return [toc["root"]] + [entry["file"] for part in toc.get("parts", []) for entry in part["chapters"]]


# index.html redirects to the root page; genindex and search are Sphinx's own pages.
PAGES = ["index", *toc_pages(), "genindex", "search"]


def source_of(page: str) -> Path | None:
    return next((REPO / f"{page}{suffix}" for suffix in (".ipynb", ".md") if (REPO / f"{page}{suffix}").exists()),
                None)


def notebook_of(page: str) -> dict | None:
    path = REPO / f"{page}.ipynb"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def stored_png_count(notebook: dict) -> int:
    """How many PNG figures a notebook's stored outputs hold (images the page must show)."""
    return sum("image/png" in output.get("data", {})
               for cell in notebook["cells"] if cell["cell_type"] == "code" for output in cell.get("outputs", []))


# ---------------------------------------------------------------------------------------------- the book
def _build_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the book in a copy of the repository; returns its html/ folder."""
    with open(tmp_path_factory.getbasetemp().parent / "book-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers must not run `npm ci` in one folder at once
        deps = subprocess.run(["bash", BUILD_SCRIPT, sys.executable, "--deps-only"], cwd=REPO,
                              capture_output=True, text=True)
    assert deps.returncode == 0, f"npm install failed:\n{deps.stdout[-3000:]}\n{deps.stderr[-3000:]}"
    copy = tmp_path_factory.mktemp("browser-book") / "book"
    shutil.copytree(REPO, copy, ignore=COPY_IGNORE, symlinks=True)
    (copy / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    build = subprocess.run(["bash", BUILD_SCRIPT, sys.executable], cwd=copy, capture_output=True, text=True,
                           timeout=900, env={**os.environ, "NO_COLOR": "1"})
    assert build.returncode == 0, f"the book did not build:\n{(build.stdout + build.stderr)[-4000:]}"
    return copy / "_build" / "html"


def _check_fresh(html: Path) -> None:
    stale = []
    for page in toc_pages():
        source, built = source_of(page), html / f"{page}.html"
        if source is not None and (not built.exists() or built.stat().st_mtime < source.stat().st_mtime):
            stale.append(page)
    assert not stale, f"IRIS_BOOK_HTML={html} is older than the sources of {stale}: rebuild it with `make book`"


@pytest.fixture(scope="session")
def book_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("IRIS_BOOK_HTML")
    if given:
        html = Path(given).resolve()
        assert (html / "index.html").is_file(), f"IRIS_BOOK_HTML={given} holds no built book (no index.html)"
        _check_fresh(html)
        return html
    return _build_copy(tmp_path_factory)


# ---------------------------------------------------------------------------------------------- visits
@dataclass
class Visit:
    """What one page did in the browser, measured once and shared by the tests below."""

    page: str
    traffic: LocalOnly
    images: list[dict]       # every <img>: src, loaded (complete with naturalWidth > 0), inOutput
    math_elements: int       # elements Sphinx marked as math for MathJax
    typeset: int             # mjx-container elements MathJax produced
    math_errors: list[str]   # mjx-merror texts (TeX MathJax could not parse)
    widget_views: int        # saved widget views on the page (script tags the widget manager replaces)
    widgets_rendered: int    # of those, views the widget manager turned into widget DOM
    iris_classes: set[str]   # the explorer's CSS classes (iris-...) among the rendered widgets
    screenshot: Path


# JavaScript run in the page once it has loaded (kept here so the Python reads top to bottom).
VIEWS_RENDERED = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const rendered = views.filter(s => s.parentElement.querySelector('.widget-subarea .jupyter-widgets'));
  return [views.length, rendered.length];
}"""
IRIS_CLASSES = """() => [...new Set([...document.querySelectorAll('.widget-subarea [class*="iris-"]')]
  .flatMap(e => [...e.classList].filter(c => c.startsWith('iris-'))))]"""
FONTS_LOADED = "async () => { await document.fonts.ready; return document.fonts.status; }"
MATH_DONE = "() => document.querySelectorAll('mjx-container').length >= document.querySelectorAll('.math').length"
IMAGES = """async () => {
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';  // an off-screen lazy image loads too, without scrolling
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.map(img => ({src: img.currentSrc.slice(0, 120), loaded: img.complete && img.naturalWidth > 0,
                             inOutput: !!img.closest('.cell_output')}));
}"""


class Visitor:
    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.visits = browser, base_url, {}

    def visit(self, page: str) -> Visit:
        if page not in self.visits:
            self.visits[page] = self._open(page)
        return self.visits[page]

    def _open(self, page: str) -> Visit:
        context = new_context(self.browser)
        traffic = LocalOnly()
        traffic.attach(context)
        try:
            tab = context.new_page()
            traffic.watch(tab)
            tab.goto(f"{self.base_url}{page}.html", wait_until="networkidle", timeout=PAGE_TIMEOUT_MS)
            for done in (MATH_DONE, "() => { const [v, r] = (" + VIEWS_RENDERED + ")(); return v === r; }"):
                try:
                    tab.wait_for_function(done, timeout=RENDER_TIMEOUT_MS)
                except Exception:  # noqa: BLE001 - measured below; the tests say what did not render
                    pass
            images = tab.evaluate(IMAGES)
            # Fonts the rendering asked for: an event, not a second "network idle" (500 ms without requests),
            # which under CI's load once never came on the claims page after its images had all loaded.
            tab.evaluate(FONTS_LOADED)
            views, rendered = tab.evaluate(VIEWS_RENDERED)
            shot = artifact_path("screenshots", page.replace("/", "__") + ".png")
            height = min(tab.evaluate(PAGE_HEIGHT), SCREENSHOT_MAX_HEIGHT)
            tab.screenshot(path=str(shot), full_page=True, timeout=HANG_GUARD_MS,
                           clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
            return Visit(
                page=page, traffic=traffic, images=images,
                math_elements=tab.locator(".math").count(), typeset=tab.locator("mjx-container").count(),
                math_errors=tab.locator("mjx-merror").all_inner_texts(),
                widget_views=views, widgets_rendered=rendered, iris_classes=set(tab.evaluate(IRIS_CLASSES)),
                screenshot=shot,
            )
        finally:
            context.close()


@pytest.fixture(scope="session")
def visitor(browser, book_html: Path):
    with serve_directory(book_html) as base_url:
        yield Visitor(browser, base_url)


# ---------------------------------------------------------------------------------------------- tests
def test_every_built_page_is_opened(book_html: Path) -> None:
    built = {str(p.relative_to(book_html).with_suffix(""))
             for p in book_html.rglob("*.html") if p.relative_to(book_html).parts[0] not in ("_static", "vendor")}
    assert built == set(PAGES), f"pages built but not opened: {sorted(built - set(PAGES))}; " \
                                f"opened but not built: {sorted(set(PAGES) - built)}"


@pytest.mark.parametrize("page", PAGES)
def test_page_requests_nothing_outside_localhost(visitor: Visitor, page: str) -> None:
    visit = visitor.visit(page)
    assert not visit.traffic.blocked, f"{page} asked for (blocked, the network is off):\n" + \
        "\n".join(visit.traffic.blocked)


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_every_file_without_script_errors(visitor: Visitor, page: str) -> None:
    visit = visitor.visit(page)
    assert not visit.traffic.failed, f"{page}: requests that failed:\n" + "\n".join(visit.traffic.failed)
    assert not visit.traffic.page_errors, f"{page}: uncaught script errors:\n" + "\n".join(visit.traffic.page_errors)


@pytest.mark.parametrize("page", PAGES)
def test_page_screenshot_is_saved_and_not_blank(visitor: Visitor, page: str) -> None:
    visit = visitor.visit(page)
    with Image.open(visit.screenshot) as shot:
        assert shot.width == VIEWPORT["width"] and shot.height >= VIEWPORT["height"] // 2
        colors = shot.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colors is None or len(colors) > 10, f"{visit.screenshot} is (nearly) one colour: the page drew nothing"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(visitor: Visitor, page: str) -> None:
    visit = visitor.visit(page)
    broken = [image["src"] for image in visit.images if not image["loaded"]]
    assert not broken, f"{page}: images that did not load:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", [p for p in toc_pages() if notebook_of(p) is not None])
def test_chapter_shows_its_stored_figures(visitor: Visitor, page: str) -> None:
    figures = stored_png_count(notebook_of(page))
    shown = [image for image in visitor.visit(page).images if image["inOutput"] and image["loaded"]]
    assert len(shown) >= figures, f"{page}: the notebook stores {figures} figures, the page shows {len(shown)}"


def test_math_is_typeset_by_mathjax(visitor: Visitor) -> None:
    with_math = [v for v in map(visitor.visit, PAGES) if v.math_elements]
    assert with_math, "no page of the book has math ($...$) for MathJax to typeset: add some (intro or a chapter)"
    for visit in with_math:
        assert visit.typeset >= visit.math_elements, \
            f"{visit.page}: MathJax typeset {visit.typeset} of {visit.math_elements} formulas"
        assert not visit.math_errors, f"{visit.page}: MathJax could not typeset {visit.math_errors}"


@pytest.mark.parametrize("page", [p for p in toc_pages() if notebook_of(p) is not None])
def test_saved_widgets_render_without_a_kernel(visitor: Visitor, page: str) -> None:
    visit = visitor.visit(page)
    saved = notebook_of(page)["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if saved:
        assert visit.widget_views, f"{page}: the notebook saves widget state but the page shows no widget"
    assert visit.widgets_rendered == visit.widget_views, \
        f"{page}: the widget manager rendered {visit.widgets_rendered} of {visit.widget_views} saved widgets"


def test_the_hidden_units_explorer_renders_in_the_static_book(visitor: Visitor) -> None:
    # A notebook that displayed the explorer saves its widgets' state, CSS classes included.
    pages = [p for p in toc_pages() if '"iris-explorer"' in json.dumps((notebook_of(p) or {}).get("metadata", {}))]
    assert pages, "no chapter saves the hidden_units explorer (iris_lib.widgets) with its widget state yet"
    wanted = {"iris-explorer", "iris-hidden-units", "iris-train", "iris-plot"}
    for page in pages:
        shown = visitor.visit(page).iris_classes
        missing = sorted(wanted - shown)
        assert not missing, f"{page}: the explorer's saved widgets did not render ({missing} missing)"
