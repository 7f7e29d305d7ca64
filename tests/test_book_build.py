"""The book builds with warnings as errors and no network, and every page reads offline.

One build per test session: the npm packages are installed first (that step may need the registry), then a
copy of the repository is built inside a network namespace with no network (`unshare -n`), so the user's
_build/ is never touched and anything that reaches for the network fails the build.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import posixpath
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = "scripts/build_book.sh"
# Not part of the book, or rebuilt by the build: never copied into the build sandbox.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "_build", "node_modules", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
    "*.egg-info", "artifacts", "build", ".ci",
)
# myst-nb renders one representation per output, by priority; these outrank image/png in HTML.
MIME_BEFORE_PNG = (
    "application/vnd.jupyter.widget-view+json", "application/javascript", "text/html", "image/svg+xml",
)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------------------------------------- helpers
class _Tags(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags_of(page: Path) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tags


def loaded_urls(tags: list[tuple[str, dict[str, str]]]) -> list[str]:
    """URLs the browser fetches when the page opens (not links the reader may click)."""
    urls = []
    for tag, attrs in tags:
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed", "input") and attrs.get("src"):
            urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            urls.append(attrs["href"])
        if tag == "img" and attrs.get("srcset"):
            urls += [part.split()[0] for part in attrs["srcset"].split(",") if part.strip()]
    return urls


def is_remote(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https") or url.startswith("//")


def local_file(html_dir: Path, page: Path, url: str) -> Path:
    """The file in the build that a page-relative URL points at (query and fragment dropped)."""
    rel = posixpath.normpath(posixpath.join(page.parent.relative_to(html_dir).as_posix(), unquote(urlsplit(url).path)))
    assert not rel.startswith(".."), f"{page.name}: {url} points outside the built book"
    return html_dir / rel


def pages(html_dir: Path) -> list[Path]:
    """The book's HTML pages (not the theme's template fragments or the vendored packages)."""
    return [p for p in html_dir.rglob("*.html") if p.relative_to(html_dir).parts[0] not in ("_static", "vendor")]


def script_srcs(tags: list[tuple[str, dict[str, str]]]) -> list[str]:
    return [attrs["src"] for tag, attrs in tags if tag == "script" and attrs.get("src")]


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def sphinx_config() -> dict:
    return yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"]["config"]


def static_url_to_file(html_dir: Path, configured: str) -> Path:
    """Sphinx serves a configured local script path relative to the built _static/ folder."""
    return html_dir / posixpath.normpath(posixpath.join("_static", configured))


def png_outputs_shown(notebook: dict) -> list[bytes]:
    """The PNG images the rendered page must show: image/png outputs that myst-nb renders as images."""
    images = []
    for cell in notebook["cells"]:
        metadata = cell.get("metadata", {})
        tags = set(metadata.get("tags", []))
        removed = tags & {"remove-cell", "remove_cell", "remove-output", "remove_output"}
        if cell["cell_type"] != "code" or removed or metadata.get("mystnb", {}).get("remove_code_outputs"):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data and not any(mime in data for mime in MIME_BEFORE_PNG):
                png = data["image/png"]
                images.append(base64.b64decode("".join(png) if isinstance(png, list) else png))
    return images


def network_namespace_prefix() -> list[str]:
    """`unshare -n` (root), else `unshare -r -n` (an unprivileged user namespace); skip if neither works."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: cannot build inside a namespace with no network")
    errors = []
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
        if probe.returncode == 0:
            return prefix
        errors.append(f"{' '.join(prefix)}: {probe.stderr.strip()}")
    pytest.skip("cannot create a network namespace here (" + "; ".join(errors) + ")")


# ---------------------------------------------------------------------------------------------- the build
@pytest.fixture(scope="module")
def offline() -> list[str]:
    return network_namespace_prefix()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, offline: list[str]) -> Path:
    """Builds a copy of the book with no network; returns the built html/ folder."""
    missing = [c for c in toc_chapters() if not any((REPO / c).with_suffix(s).exists() for s in (".ipynb", ".md"))]
    assert not missing, f"_toc.yml lists chapters that do not exist yet: {missing}"

    # Step 1, network allowed: npm packages into the repository's node_modules (skipped when up to date).
    # A lock, so that parallel test workers do not run `npm ci` on the same folder at once.
    with open(tmp_path_factory.getbasetemp().parent / "book-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deps = subprocess.run(
            ["bash", BUILD_SCRIPT, sys.executable, "--deps-only"], cwd=REPO, capture_output=True, text=True
        )
    assert deps.returncode == 0, f"npm install failed:\n{deps.stdout[-3000:]}\n{deps.stderr[-3000:]}"

    # Step 2, no network: the whole build, in a copy of the repository.
    copy = tmp_path_factory.mktemp("book") / "book"
    shutil.copytree(REPO, copy, ignore=COPY_IGNORE, symlinks=True)
    (copy / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    build = subprocess.run(
        [*offline, "bash", BUILD_SCRIPT, sys.executable],
        cwd=copy, capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"},
    )
    log = build.stdout + build.stderr
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert build.returncode == 0, "offline build with -W failed:\n" + "\n".join(warnings or log.splitlines()[-40:])
    html = copy / "_build" / "html"
    assert (html / "index.html").is_file()
    return html


def test_build_namespace_has_no_network(offline: list[str]) -> None:
    probe = subprocess.run(
        [*offline, sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)"],
        capture_output=True, text=True,
    )
    assert probe.returncode != 0, "the namespace used for the offline build can reach the network"


def test_book_builds_offline_with_warnings_as_errors(book: Path) -> None:
    assert (book / "intro.html").is_file()
    assert (book / "index.html").is_file()


@pytest.mark.parametrize("chapter", toc_chapters())
def test_every_chapter_page_exists_and_shows_its_figures(book: Path, chapter: str) -> None:
    page = book / f"{chapter}.html"
    assert page.is_file(), f"{chapter} is listed in _toc.yml but {page.name} was not built"
    source = REPO / f"{chapter}.ipynb"
    if not source.exists():
        return  # a Markdown chapter has no stored outputs to show
    images_on_page = []
    for tag, attrs in tags_of(page):
        if tag == "img" and attrs.get("src") and not is_remote(attrs["src"]):
            file = local_file(book, page, attrs["src"])
            assert file.is_file(), f"{page.name}: <img src={attrs['src']!r}> has no file in the build"
            images_on_page.append(file.read_bytes())
    figures = png_outputs_shown(json.loads(source.read_text(encoding="utf-8")))
    for number, png in enumerate(figures, start=1):
        assert png in images_on_page, f"{page.name}: figure {number} of {len(figures)} is not shown as an <img>"


def test_mathjax_is_served_from_the_book(book: Path) -> None:
    configured = sphinx_config().get("mathjax_path")
    assert configured and not is_remote(configured), "_config.yml must point mathjax_path at the book's copy"
    assert static_url_to_file(book, configured).is_file(), f"mathjax_path {configured} is not in the build"
    for page in pages(book):
        text = page.read_text(encoding="utf-8")
        srcs = [s for s in script_srcs(tags_of(page)) if "mathjax" in s.lower()]
        if 'class="math' in text:  # the page has math for MathJax to typeset
            assert srcs, f"{page.name} has math but does not load MathJax"
        for src in srcs:
            assert not is_remote(src), f"{page.name} loads MathJax from {src}"
            assert local_file(book, page, src).is_file(), f"{page.name}: {src} is missing from the build"
    # MathJax fetches its fonts and TeX extensions from beside itself.
    mathjax_dir = static_url_to_file(book, configured).parent
    assert list((mathjax_dir / "output" / "chtml" / "fonts").rglob("*.woff")), "MathJax fonts are missing"
    assert (mathjax_dir / "input" / "tex" / "extensions").is_dir(), "MathJax TeX extensions are missing"


def test_widget_manager_is_served_from_the_book(book: Path) -> None:
    configured = list(sphinx_config().get("nb_ipywidgets_js", {}))
    assert configured, "_config.yml must point nb_ipywidgets_js at the book's require.js and embed-amd.js"
    for url in configured:
        assert not is_remote(url), f"nb_ipywidgets_js loads {url} from the network"
        assert static_url_to_file(book, url).is_file(), f"nb_ipywidgets_js {url} is not in the build"
    for chapter in toc_chapters():
        source = REPO / f"{chapter}.ipynb"
        if not source.exists():
            continue
        notebook = json.loads(source.read_text(encoding="utf-8"))
        if not notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state"):
            continue
        page = book / f"{chapter}.html"
        tags = tags_of(page)
        assert any(t == "script" and a.get("type") == WIDGET_STATE for t, a in tags), f"{page.name}: no widget state"
        assert any(t == "script" and a.get("type") == WIDGET_VIEW for t, a in tags), f"{page.name}: no widget view"
        srcs = [local_file(book, page, s) for s in script_srcs(tags) if not is_remote(s)]
        wanted = [static_url_to_file(book, url) for url in configured]  # require.js first, embed-amd.js last
        positions = [srcs.index(file) for file in wanted if file in srcs]
        assert len(positions) == len(wanted), f"{page.name} does not load {configured} from the book"
        assert positions == sorted(positions), f"{page.name} must load {configured} in this order"


def test_no_page_loads_anything_from_the_network(book: Path) -> None:
    offenders = []
    for page in pages(book):
        tags = tags_of(page)
        offenders += [f"{page.relative_to(book)}: {url}" for url in loaded_urls(tags) if is_remote(url)]
        for url in loaded_urls(tags):
            if not is_remote(url) and not url.startswith(("data:", "#")):
                if not local_file(book, page, url).exists():
                    offenders.append(f"{page.relative_to(book)}: {url} (missing from the build)")
    for css in book.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for marker in ("url(http", "url('http", 'url("http', "url(//", '@import "http', "@import 'http"):
            if marker in text:
                offenders.append(f"{css.relative_to(book)}: {marker}...")
    assert not offenders, "pages would fetch from the network (or miss files):\n" + "\n".join(offenders)


def test_links_to_the_published_book_lead_inside_the_built_book(book: Path) -> None:
    """book_ext/published_links.py: a notebook's link to a page's published address works offline."""
    sys.path.insert(0, str(REPO / "book_ext"))
    try:
        from published_links import published_url
    finally:
        sys.path.pop(0)
    base = published_url(yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"])
    left = [f"{page.relative_to(book)}: {attrs['href']}" for page in pages(book) for tag, attrs in tags_of(page)
            if tag == "a" and attrs.get("href", "").startswith(base)]
    assert not left, "links to the published book were not turned into links inside the build:\n" + "\n".join(left)
    for page in pages(book):
        for tag, attrs in tags_of(page):
            href = attrs.get("href", "")
            if tag == "a" and "internal" in attrs.get("class", "").split() and not href.startswith("#") \
                    and href and not is_remote(href):
                assert local_file(book, page, href).is_file(), f"{page.name}: internal link {href} leads nowhere"
