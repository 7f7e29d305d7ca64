"""Point the notebooks' links to other pages of the book at the published book.

A relative link (`../companion/differences.md`, `05_modes.ipynb`) works in the built book and in Jupyter, but
not in Colab, where the notebook arrives alone. The published page's address works in Colab, on GitHub and in
Jupyter; the book's build turns every such address back into a link inside the build
(book_ext/published_links.py), so the built book still navigates offline. `{doc}` roles, which only the
book renders, become the same links, named by the page's title. In the Markdown pages (intro.md, ...), which
never travel alone, `{doc}` roles become relative links to the page's file: they work in the book and on GitHub.

  .venv/bin/python scripts/portable_links.py [--check] [FILE...]
      default: chapters/*.ipynb, companion/*.ipynb and the Markdown pages of _toc.yml

In a notebook only link targets in Markdown cells change, nothing else in the file (a notebook that would be
re-serialised differently is refused). Idempotent. A link to a page that is not in _toc.yml is reported and
its file left alone. --check changes nothing and exits 1 if a file would change.
"""
from __future__ import annotations

import argparse
import json
import posixpath
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book_ext"))
from published_links import published_url, toc_pages  # noqa: E402

# `](target` of an inline link or image, `href="target"` of an HTML link.
LINK = re.compile(r"(?P<before>\]\(\s*<?|href=\")(?P<target>[^\s()<>\"]+)")
DOC_ROLE = re.compile(r"\{doc\}`(?:(?P<text>[^`<]*?)\s*<(?P<explicit>[^`>]+)>|(?P<bare>[^`]+))`")
PAGE_SUFFIXES = (".ipynb", ".md")


def dumps(notebook: dict) -> str:
    """The notebooks' own format (json.dump with indent=1, ensure_ascii=False, then a newline)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def page_title(root: Path, page: str) -> str:
    """The first heading of a page, as `{doc}` shows it."""
    for suffix in PAGE_SUFFIXES:
        path = root / f"{page}{suffix}"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if suffix == ".ipynb":
                text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
            for line in text.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError(f"{page} has no '# ' title")


class Rewriter:
    def __init__(self, root: Path, base: str, pages: list[str]):
        self.root, self.base, self.pages = root, base, set(pages)
        self.problems: list[str] = []

    def _page(self, notebook: Path, target: str) -> str | None:
        """The book page a relative target names ("05_modes.ipynb" from chapters/ -> "chapters/05_modes")."""
        if "://" in target or target.startswith(("#", "/", "mailto:")):
            return None
        path = target.partition("#")[0]
        if not path.endswith(PAGE_SUFFIXES):
            return None  # an image or another file, not a page
        here = notebook.parent.relative_to(self.root).as_posix()
        page = posixpath.normpath(posixpath.join(here, path)).rsplit(".", 1)[0]
        if page not in self.pages:
            self.problems.append(f"{notebook}: `{target}` is not a page of the book (_toc.yml)")
            return None
        return page

    def _url(self, page: str, fragment: str = "") -> str:
        return f"{self.base}{page}.html" + (f"#{fragment}" if fragment else "")

    def _link(self, notebook: Path, match: re.Match) -> str:
        target = match["target"]
        page = self._page(notebook, target)
        if page is None:
            return match[0]
        return match["before"] + self._url(page, target.partition("#")[2])

    def _doc_role(self, path: Path, match: re.Match) -> str:
        name = (match["explicit"] or match["bare"]).strip()
        here = path.parent.relative_to(self.root).as_posix()
        page = name.lstrip("/") if name.startswith("/") else posixpath.normpath(posixpath.join(here, name))
        if page not in self.pages:
            self.problems.append(f"{path}: {{doc}}`{name}` is not a page of the book (_toc.yml)")
            return match[0]
        text = (match["text"] or "").strip() or page_title(self.root, page)
        if path.suffix == ".ipynb":
            return f"[{text}]({self._url(page)})"
        source = next(f"{page}{s}" for s in PAGE_SUFFIXES if (self.root / f"{page}{s}").exists())
        return f"[{text}]({posixpath.relpath(source, here)})"

    def markdown_page(self, path: Path) -> str | None:
        """A Markdown page's new text with its `{doc}` roles as relative links, or None when nothing changes."""
        text = path.read_text(encoding="utf-8")
        before = len(self.problems)
        new = DOC_ROLE.sub(lambda m: self._doc_role(path, m), text)
        return new if new != text and len(self.problems) == before else None

    def line(self, notebook: Path, line: str) -> str:
        line = DOC_ROLE.sub(lambda m: self._doc_role(notebook, m), line)
        return LINK.sub(lambda m: self._link(notebook, m), line)

    def notebook(self, path: Path) -> str | None:
        """The notebook's new text, or None when nothing changes or it cannot be rewritten safely."""
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        if dumps(notebook) != text:
            self.problems.append(f"{path}: not in the notebooks' JSON format; save it with json.dump(indent=1) first")
            return None
        before = len(self.problems)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                source = cell["source"]
                if isinstance(source, str):
                    cell["source"] = self.line(path, source)
                else:
                    cell["source"] = [self.line(path, line) for line in source]
        new = dumps(notebook)
        return new if new != text and len(self.problems) == before else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    base = config.get("sphinx", {}).get("config", {}).get("published_book_url") or published_url(config["repository"]["url"])
    rewriter = Rewriter(ROOT, base, toc_pages(yaml.safe_load((ROOT / "_toc.yml").read_text())))
    pages = [ROOT / f"{page}.md" for page in rewriter.pages if (ROOT / f"{page}.md").exists()]
    paths = [p.resolve() for p in args.files] or sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("companion/*.ipynb"), *pages])
    changed = []
    for path in paths:
        new = rewriter.notebook(path) if path.suffix == ".ipynb" else rewriter.markdown_page(path)
        if new is not None:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(f"{path.relative_to(ROOT)}: {'would change' if args.check else 'links rewritten'}")
    for problem in rewriter.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if rewriter.problems or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
