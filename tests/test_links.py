"""Links between the book's pages work everywhere: in the built book offline, on GitHub, in Jupyter and in
Colab, where a notebook arrives alone.

The notebooks link to other pages by their published address (scripts/portable_links.py rewrites relative
links into it); the build turns every such address into a link inside the build (book_ext/published_links.py).
Every link between pages names a page of _toc.yml.
"""
from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book_ext"))
try:
    import portable_links
    from published_links import published_url, toc_pages
finally:
    del sys.path[:2]

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BASE = published_url(CONFIG["repository"]["url"])
PAGES = toc_pages(yaml.safe_load((ROOT / "_toc.yml").read_text()))
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^\s()<>]+)")


def _source_of(page: str) -> Path:
    return next(ROOT / f"{page}{s}" for s in (".md", ".ipynb") if (ROOT / f"{page}{s}").exists())


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _page_linked(page: str, target: str) -> str | None:
    """The page a link names, or None when it names no page (an image, another site, an anchor)."""
    if target.startswith(BASE):
        path = target[len(BASE):].partition("#")[0]
        return "intro" if path in ("", "index.html") else path.removesuffix(".html")
    if "://" in target or target.startswith(("#", "mailto:")):
        return None
    path = target.partition("#")[0]
    if not path.endswith((".md", ".ipynb")):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), path)).rsplit(".", 1)[0]


def test_the_published_address_is_the_repositorys_github_pages_site() -> None:
    assert published_url("https://github.com/Custom-Estimators/book") == "https://custom-estimators.github.io/book/"
    assert BASE == f"https://{CONFIG['repository']['url'].split('/')[3].lower()}.github.io/book/"
    with pytest.raises(ValueError, match="published_book_url"):
        published_url("https://gitlab.com/owner/book")


@pytest.mark.parametrize("page", PAGES)
def test_every_link_between_pages_names_a_page_of_the_toc(page: str) -> None:
    text = _markdown(_source_of(page))
    linked = [(t, _page_linked(page, t)) for t in MARKDOWN_LINK.findall(text)]
    linked += [(f"{{doc}}`{name}`", posixpath.normpath(posixpath.join(posixpath.dirname(page), name.split("<")[-1].rstrip(">").strip())))
               for name in re.findall(r"\{doc\}`([^`]+)`", text)]
    wrong = [target for target, linked_page in linked if linked_page is not None and linked_page not in PAGES]
    assert not wrong, f"{page} links to pages that are not in _toc.yml: {wrong}"


def test_intro_links_work_on_github_too() -> None:
    """`{doc}` renders only in the book; a relative link to the page's file works in the book and on GitHub."""
    text = (ROOT / "intro.md").read_text(encoding="utf-8")
    assert "{doc}" not in text
    assert "](companion/differences.md)" in text and "](chapters/01_premade_vs_custom.ipynb)" in text


# ------------------------------------------------------------------------------ the rewrite, on copies
@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The book's notebooks and pages, copied: the rewrite is tried on them, never on the repository's."""
    for folder in ("chapters", "companion"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("images"))
    for name in ("intro.md", "playground.md", "_toc.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _rewriter(root: Path) -> "portable_links.Rewriter":
    return portable_links.Rewriter(root, BASE, PAGES)


def _masked(text: str) -> dict:
    """The notebook with every link target replaced by the same placeholder."""
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        cell["source"] = [portable_links.LINK.sub(r"\g<before>LINK", line) for line in cell["source"]]
    return notebook


def test_the_rewrite_changes_only_link_targets_and_leaves_no_relative_page_link(copy: Path) -> None:
    """Holds before the rewrite is applied to the repository's notebooks, and after (then nothing changes)."""
    rewriter = _rewriter(copy)
    notebooks = sorted(copy.glob("*/*.ipynb"))
    page_links = 0
    for path in notebooks:
        before = path.read_text(encoding="utf-8")
        after = rewriter.notebook(path) or before
        assert _masked(after) == _masked(before), f"{path.name}: the rewrite changed more than link targets"
        assert len(after.splitlines()) == len(before.splitlines())
        page = path.relative_to(copy).with_suffix("").as_posix()
        for target in MARKDOWN_LINK.findall(_markdown_of_text(after)):
            linked = _page_linked(page, target)
            assert linked is None or target.startswith(BASE), f"{path.name}: relative page link {target} left"
            assert linked is None or linked in PAGES, f"{path.name}: {target} is not a page of the book"
            page_links += linked is not None
        path.write_text(after, encoding="utf-8")
    assert rewriter.problems == []
    assert page_links >= 10, "the book's notebooks link to each other: where are the links?"
    again = _rewriter(copy)
    assert [again.notebook(path) for path in notebooks] == [None] * len(notebooks), "a second run changed something"


def _markdown_of_text(text: str) -> str:
    cells = json.loads(text)["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _notebook(path: Path, *markdown: str) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    path.write_text(portable_links.dumps(notebook), encoding="utf-8")


def test_relative_links_to_pages_become_published_addresses_and_nothing_else_changes(copy: Path) -> None:
    path = copy / "chapters" / "99_new.ipynb"
    _notebook(path, "# 99. New\n",
              "[modes](05_modes.ipynb#the-modes), [primer](../companion/tf1_primer.ipynb), [play](../playground.md),\n"
              "![figure](images/x.png), [site](https://example.org/a.ipynb), [here](#top), "
              '<a href="../companion/glossary.md">glossary</a>')
    text = _rewriter(copy).notebook(path)
    assert "".join(json.loads(text)["cells"][1]["source"]).splitlines() == [
        f"[modes]({BASE}chapters/05_modes.html#the-modes), [primer]({BASE}companion/tf1_primer.html), "
        f"[play]({BASE}playground.html),",
        "![figure](images/x.png), [site](https://example.org/a.ipynb), [here](#top), "
        f'<a href="{BASE}companion/glossary.html">glossary</a>',
    ]
    path.write_text(text, encoding="utf-8")
    assert _rewriter(copy).notebook(path) is None, "a second run changed something"


def test_doc_roles_become_links_named_by_the_pages_title(copy: Path) -> None:
    path = copy / "chapters" / "99_new.ipynb"
    _notebook(path, "# 99. New\n", "See {doc}`05_modes` and {doc}`the primer </companion/tf1_primer>`.")
    text = _rewriter(copy).notebook(path)
    assert f"See [5. Training, evaluation and prediction]({BASE}chapters/05_modes.html) and " \
           f"[the primer]({BASE}companion/tf1_primer.html)." in _markdown_of_text(text)


def test_a_link_to_a_page_outside_the_toc_is_reported_and_the_notebook_left_alone(copy: Path) -> None:
    path = copy / "chapters" / "99_new.ipynb"
    _notebook(path, "# 99. New\n", "[modes](05_modes.ipynb), [readme](../README.md), ![figure](images/x.png)")
    before = path.read_text(encoding="utf-8")
    rewriter = _rewriter(copy)
    assert rewriter.notebook(path) is None
    assert rewriter.problems == [f"{path}: `../README.md` is not a page of the book (_toc.yml)"]
    assert path.read_text(encoding="utf-8") == before


def test_doc_roles_in_markdown_pages_become_relative_links_that_work_on_github(copy: Path) -> None:
    path = copy / "companion" / "new.md"
    text = "# New\n\nSee {doc}`/chapters/05_modes`, {doc}`the glossary <glossary>` and {doc}`/playground`.\n"
    path.write_text(text, encoding="utf-8")
    rewriter = _rewriter(copy)
    assert rewriter.markdown_page(path) == ("# New\n\nSee [5. Training, evaluation and prediction]"
                                            "(../chapters/05_modes.ipynb), [the glossary](glossary.md) and "
                                            "[Playground: vary hidden_units without a kernel](../playground.md).\n")
    assert rewriter.problems == []
    for page in ("intro", "playground"):  # the book's own pages: afterwards not a role left, nothing else changed
        source = copy / f"{page}.md"
        new = rewriter.markdown_page(source) or source.read_text(encoding="utf-8")
        assert "{doc}" not in new
        assert re.sub(r"\[[^\]]*\]\([^)]*\)", "", new) == \
            re.sub(r"\[[^\]]*\]\([^)]*\)|\{doc\}`[^`]*`", "", source.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------ the build side
def _build(tmp_path: Path, link: str) -> subprocess.CompletedProcess:
    """A two-page MyST-NB project with book_ext/published_links.py, built with warnings as errors."""
    source = tmp_path / "src"
    (source / "chapters").mkdir(parents=True)
    (source / "conf.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "book_ext")!r})
        extensions = ["myst_nb", "published_links"]
        nb_execution_mode = "off"
        published_book_url = {BASE!r}
        exclude_patterns = ["_build"]
    """))
    (source / "index.md").write_text("# Home\n\n```{toctree}\nchapters/a\nchapters/b\n```\n")
    (source / "chapters" / "b.md").write_text("# B\n\n## Part\n\nText.\n")
    _notebook(source / "chapters" / "a.ipynb", "# A\n", f"See [B, its part]({link}) and [home]({BASE}).")
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(source), str(tmp_path / "out")],
                          capture_output=True, text=True)


def test_the_build_turns_links_to_the_published_book_into_links_inside_the_build(tmp_path: Path) -> None:
    build = _build(tmp_path, f"{BASE}chapters/b.html#part")
    assert build.returncode == 0, build.stderr
    page = (tmp_path / "out" / "chapters" / "a.html").read_text(encoding="utf-8")
    assert 'class="reference internal" href="b.html#part"' in page
    assert 'class="reference internal" href="../index.html"' in page
    assert BASE not in page


def test_the_build_fails_on_a_link_to_a_page_the_book_does_not_have(tmp_path: Path) -> None:
    build = _build(tmp_path, f"{BASE}chapters/missing.html")
    assert build.returncode != 0
    assert f"{BASE}chapters/missing.html is no page of this book" in build.stderr
