"""A reader installs only what the chapters need; a developer installs that and the tools.

requirements.txt is the reader's set (Binder installs it; so does a reader's own `pip install -r`);
requirements-dev.txt is the developer's (`make venv`, hence `make test`, `make book` and .ci/run), and it
includes the reader's with `-r`. What each set brings is followed through the installed packages' own
metadata: this venv holds the developer's set, so it holds both.
"""
from __future__ import annotations

import ast
import functools
import json
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "requirements.txt"
DEVELOPER = ROOT / "requirements-dev.txt"
# What only a developer needs: the tests, the browser tests, the book build.
DEVELOPER_TOOLS = {"pytest", "pytest-xdist", "nbval", "playwright", "voila", "jupyter-book", "sphinx", "myst-nb"}
PACKAGE = "iris-lib"  # what `-e .` installs


def _entries(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for entry in _entries(path):
        if entry.startswith(("-r ", "-e ")):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", entry)
        assert match, f"{path.name}: `{entry}` is not pinned (name==version)"
        pins[canonicalize_name(match[1])] = match[2]
    return pins


def _closure(names: set[str]) -> set[str]:
    """The distributions these bring, following each one's installed requirements (extras left out)."""
    seen, todo = set(), [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen


def _reader_set() -> set[str]:
    assert "-e ." in _entries(READER), "requirements.txt must install the book's package (`-e .`)"
    return _closure(set(_pins(READER)) | {PACKAGE})


def _imports(source: str) -> set[str]:
    """Top-level modules a cell or file imports; IPython magics and shell lines are left out, but
    `%load_ext X` and `%tensorboard` load a module too."""
    modules, lines = set(), []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("%", "!")):
            words = stripped.split()
            if words[0] == "%load_ext" and len(words) > 1:
                modules.add(words[1].split(".")[0])
            elif words[0] == "%tensorboard":
                modules.add("tensorboard")
            lines.append("")
        else:
            lines.append(line)
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"iris_lib", "__future__"}


@functools.cache
def _distributions_of() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _providers(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _distributions_of().get(module, [module])}


def _notebook_imports() -> dict[str, set[str]]:
    found = {}
    for path in sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("companion/*.ipynb")]):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                for module in _imports("".join(cell["source"])):
                    found.setdefault(module, set()).add(path.name)
    return found


def test_the_developer_set_includes_the_reader_set_and_pins_nothing_twice() -> None:
    assert "-r requirements.txt" in _entries(DEVELOPER), "requirements-dev.txt must start from `-r requirements.txt`"
    twice = set(_pins(READER)) & set(_pins(DEVELOPER))
    assert not twice, f"{sorted(twice)} pinned in both files: keep each pin in one (the reader's if a reader needs it)"


def test_every_import_in_the_chapters_comes_with_the_reader_set() -> None:
    reader = _reader_set()
    imports = _notebook_imports()
    assert {"tensorflow", "numpy", "matplotlib", "sklearn"} <= set(imports), "the chapters' imports were not found"
    missing = {m: sorted(where) for m, where in imports.items() if not _providers(m) & reader}
    assert not missing, f"imported by the chapters but not brought by requirements.txt: {missing}"


def test_the_reader_set_brings_no_developer_tool() -> None:
    brought = _reader_set() & DEVELOPER_TOOLS
    assert not brought, f"requirements.txt brings {sorted(brought)}: move them to requirements-dev.txt"
    assert DEVELOPER_TOOLS <= set(_pins(DEVELOPER)), "requirements-dev.txt must pin every developer tool"


def test_every_import_in_the_tests_and_scripts_comes_with_the_developer_set() -> None:
    developer = _closure(set(_pins(READER)) | set(_pins(DEVELOPER)) | {PACKAGE})
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("scripts/*.py"), *ROOT.glob("book_ext/*.py")]
    local = {path.stem for path in files}  # the tests' and scripts' own helper modules
    missing = {}
    for path in files:
        if "legacy" in path.parts:  # run by the real tf.estimator, in the TF 2.15 venv
            continue
        for module in _imports(path.read_text(encoding="utf-8")) - local:
            if not _providers(module) & developer:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported but not brought by requirements-dev.txt: {missing}"


def test_this_venv_holds_exactly_the_pinned_versions() -> None:
    """`make venv` installs requirements-dev.txt; what the tests run on is what the files pin."""
    pins = {**_pins(READER), **_pins(DEVELOPER)}
    wrong = {name: (pin, metadata.version(name)) for name, pin in pins.items() if metadata.version(name) != pin}
    assert not wrong, f"pinned vs installed: {wrong} (run `make venv`)"
