"""Links to the published book become links inside the built book, so that it navigates offline.

A notebook links to another page of the book by the page's published address
(https://OWNER.github.io/REPO/chapters/05_modes.html): a relative link breaks where the notebook travels
alone (Colab), the address works there, on GitHub and in Jupyter (scripts/portable_links.py writes them).
At build time every link under that address becomes the relative link to the page in this build; a link to a
page the book does not have (not in _toc.yml) is a warning, hence an error under -W.

The address comes from `_config.yml`'s repository URL (GitHub Pages, where .github/workflows/ publishes the
book); set `published_book_url` in `sphinx: config:` to publish elsewhere.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


def published_url(repository_url: str) -> str:
    """GitHub Pages' address of a repository's site: https://github.com/OWNER/REPO -> https://owner.github.io/REPO/."""
    parts = urlsplit(repository_url)
    owner, _, name = parts.path.strip("/").removesuffix(".git").partition("/")
    if parts.netloc != "github.com" or not owner or not name or "/" in name:
        raise ValueError(f"{repository_url!r} is not https://github.com/OWNER/REPO: set published_book_url instead")
    return f"https://{owner.lower()}.github.io/{name}/"


def toc_pages(toc: dict) -> list[str]:
    """Every page of a Jupyter Book `_toc.yml` (already parsed), root first, without suffixes."""
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []) + toc.get("sections", []))
    return [page.removesuffix(".md").removesuffix(".ipynb") for page in pages]


def _base(app) -> str:
    return app.config.published_book_url or published_url(app.config.html_theme_options.get("repository_url", ""))


def _target(app, path: str) -> str | None:
    """The page a path under the published address shows: "chapters/05_modes.html" -> "chapters/05_modes"."""
    if path in ("", "index.html"):
        return app.config.root_doc
    return path.removesuffix(".html") if path.endswith(".html") else None


def _internalise(app, doctree: nodes.document, docname: str) -> None:
    base = _base(app)
    for node in doctree.findall(nodes.reference):
        uri = node.get("refuri", "")
        if not uri.startswith(base):
            continue
        path, _, fragment = uri[len(base):].partition("#")
        target = _target(app, path)
        if target not in app.env.found_docs:
            logger.warning(f"{uri} is no page of this book (the pages are those in _toc.yml): "
                           f"link to one of them, or to the page's source file", location=node)
            continue
        node["refuri"] = app.builder.get_relative_uri(docname, target) + (f"#{fragment}" if fragment else "")
        node["internal"] = True


def setup(app):
    app.add_config_value("published_book_url", "", "env")
    app.connect("doctree-resolved", _internalise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
