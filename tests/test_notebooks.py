"""Every chapter keeps the book's shape and its stored outputs are clean (nbval checks they are fresh)."""
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]
CHAPTERS = [ROOT / f"{page}.ipynb" for page in PAGES if page.startswith("chapters/")]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def test_the_toc_lists_the_guides_eight_chapters_then_the_five_beyond_it():
    parts = {part["caption"]: [entry["file"] for entry in part["chapters"]] for part in TOC["parts"]}
    assert parts["Creating custom Estimators"] == [f"chapters/{stem}" for stem in (
        "01_premade_vs_custom", "02_input_function", "03_feature_columns", "04_model_function",
        "05_modes", "06_custom_estimator", "07_tensorboard", "08_summary")]
    assert parts["Beyond the guide"] == [f"chapters/{stem}" for stem in (
        "09_hooks_early_stopping", "10_export_serving", "11_convolutional_estimator",
        "12_train_and_evaluate_warm_start", "13_training_on_a_cluster")]
    assert [p.stem for p in CHAPTERS] == [f.split("/")[1] for f in parts["Creating custom Estimators"] + parts["Beyond the guide"]]
    assert sorted(CHAPTERS) == sorted((ROOT / "chapters").glob("*.ipynb"))


def test_the_toc_has_the_playground_page_right_after_the_chapters():
    assert PAGES[PAGES.index(f"chapters/{CHAPTERS[-1].stem}") + 1] == "playground"
    assert (ROOT / "playground.md").is_file()


# The reader's companions (companion/): the TF1 primer before the chapters, the rest after them.
COMPANIONS = [ROOT / f"{page}.ipynb" for page in PAGES if page.startswith("companion/")
              if (ROOT / f"{page}.ipynb").exists()]


def test_the_toc_opens_with_the_tf1_primer_and_has_the_companions_after_the_chapters():
    assert PAGES[0] == "companion/tf1_primer"
    after = [page for page in PAGES if page.startswith("companion/")][1:]
    assert after == ["companion/troubleshooting", "companion/differences", "companion/claims", "companion/glossary"]
    assert PAGES.index(after[0]) > max(PAGES.index(f"chapters/{path.stem}") for path in CHAPTERS)
    assert sorted(COMPANIONS) == sorted((ROOT / "companion").glob("*.ipynb"))


@pytest.mark.parametrize("path", COMPANIONS, ids=lambda p: p.stem)
def test_companion_notebooks_are_clean_and_install_on_colab(path):
    notebook = nbformat.read(path, as_version=4)
    test_first_code_cell_installs_iris_lib_on_colab_only(notebook)
    test_stored_outputs_are_clean_and_in_order(notebook)
    test_no_machine_path_in_stored_outputs(notebook)


# MyST directives (```{note}) and roles ({doc}) show as raw text in Jupyter and Colab: notebooks write a
# note as a blockquote (`> **Note.** ...`) and a link as a markdown link to the published page (scripts/portable_links.py), which read well everywhere.
MYST_ONLY = re.compile(r"^(```|:::)\{[\w-]+\}|\{(doc|ref|numref|term)\}`", re.M)


@pytest.mark.parametrize("path", CHAPTERS + COMPANIONS, ids=lambda p: p.stem)
def test_notebook_markdown_reads_well_outside_the_book(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            found = MYST_ONLY.search(cell.source)
            assert not found, f"{path.stem}: {found[0]!r} shows as raw text in Jupyter and Colab; use a blockquote or link"


@pytest.fixture(params=CHAPTERS, ids=lambda p: p.stem)
def chapter(request):
    return nbformat.read(request.param, as_version=4)


def test_chapter_has_the_book_shape(chapter):
    markdown = [c.source for c in chapter.cells if c.cell_type == "markdown"]
    assert re.match(r"# \d+\. ", markdown[0])
    assert "## What you'll learn" in markdown[0] or "## What you'll learn" in markdown[1]
    headings = "\n".join(markdown)
    assert "## Key takeaways" in headings and "## Exercises" in headings


def test_exercises_have_hidden_solutions_that_check_themselves(chapter):
    solutions = [c for c in chapter.cells if c.cell_type == "code" and "hide-cell" in c.metadata.get("tags", [])]
    assert 2 <= len(solutions) <= 4
    assert all("assert " in c.source for c in solutions)


def test_first_code_cell_installs_iris_lib_on_colab_only(chapter):
    first = next(c for c in chapter.cells if c.cell_type == "code")
    assert first.source.startswith("# Colab only:")
    assert 'if "google.colab" in sys.modules:' in first.source
    assert f"git+{CONFIG['repository']['url']}" in first.source  # the one repository setting
    assert "remove-cell" in first.metadata.get("tags", []) and first.outputs == []


def test_stored_outputs_are_clean_and_in_order(chapter):
    code = [c for c in chapter.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run `make execute`"
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", cell.source[:80]
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text[:200]
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            assert "tensorflow:" not in text and "WARNING" not in text, text[:200]
        assert "execution" not in cell.metadata  # no run-specific timings stored


# nbval compares every output strictly, except in cells tagged IGNORE: times and widget ids only, since
# training gives the same bits on every CPU (iris_lib.same_bits). Such a cell says why in its
# metadata (REASON, not a comment: the rendered book shows the code) and is followed right away by a
# hidden (`remove-cell`) cell that still asserts its value within a tolerance; nbval runs that check.
IGNORE, REASON, HIDDEN = "nbval-ignore-output", "nbval-ignore-output-reason", "remove-cell"


def tags(cell):
    return cell.metadata.get("tags", [])


def ignored_cells(notebook):
    """[(cell index, reason, the cell right after it)] for every cell whose output nbval ignores."""
    cells = notebook.cells
    return [(i, cell.metadata.get(REASON, ""), cells[i + 1] if i + 1 < len(cells) else None)
            for i, cell in enumerate(cells) if IGNORE in tags(cell)]


def test_ignored_outputs_say_why_and_are_still_checked(chapter):
    for i, reason, check in ignored_cells(chapter):
        assert len(reason.split()) >= 6, f"cell {i}: say in metadata[{REASON!r}] why nbval ignores its output"
        assert not chapter.cells[i].source.lstrip().startswith("# nbval"), "the reason goes in metadata, not code"
        assert check is not None and check.cell_type == "code", f"cell {i}: no check cell right after it"
        assert HIDDEN in tags(check) and IGNORE not in tags(check), f"cell {i}: its check is hidden and compared"
        assert re.search(r"^\s*assert ", check.source, re.M), f"cell {i}: the check asserts the value"
    stale = [i for i, c in enumerate(chapter.cells) if REASON in c.metadata and IGNORE not in tags(c)]
    assert not stale, f"cells {stale} give a reason to ignore their output but are compared"


def test_few_outputs_are_ignored_and_the_totals_are_printed(capsys):
    """No blanket ignores: at most a fifth of a chapter's code cells, each listed with its reason."""
    lines, total = [], 0
    for path in CHAPTERS:
        notebook = nbformat.read(path, as_version=4)
        ignored = ignored_cells(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert len(ignored) <= len(code) // 5, f"{path.stem}: {len(ignored)} of {len(code)} code cells ignored"
        total += len(ignored)
        lines.append(f"  {path.stem:34} {len(ignored)} of {len(code):2} code cells")
        lines += [f"      cell {i}: {reason}" for i, reason, _ in ignored]
    with capsys.disabled():
        print("\nnbval-ignore-output per chapter:", *lines, f"  total: {total}", sep="\n")


def test_no_output_is_ignored_for_a_floating_point_reason():
    """The same bits on every CPU: a number that comes out of training is compared, never ignored."""
    for path in [*CHAPTERS, *sorted((ROOT / "companion").glob("*.ipynb"))]:
        for i, reason, _ in ignored_cells(nbformat.read(path, as_version=4)):
            assert re.search(r"[Tt]iming|widget view", reason), f"{path.stem} cell {i}: {reason}"
            assert not re.search(r"CPU|digit|bits|decimal|loss|accura", reason), f"{path.stem} cell {i}: {reason}"


def output_texts(notebook):
    """Every text a reader or nbval sees in the stored outputs (images excepted)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            yield output.get("text", "")
            for mime, value in output.get("data", {}).items():
                if not mime.startswith("image/"):
                    yield value if isinstance(value, str) else json.dumps(value)


# A real model folder shows the folder's own name after a machine-specific root; the book prints
# `<models>/name` instead (iris_lib.notebook.shown). Also no temp dir, home or checkout path.
MACHINE_PATH = re.compile("|".join([r"[^\s<\"'>]custom-estimators-hands-on(?!/book)", r"/tmp/", r"/var/folders/",
                                    r"/home/", r"/Users/", r"[A-Za-z]:\\\\", re.escape(str(ROOT))]))


def test_no_machine_path_in_stored_outputs(chapter):
    for text in output_texts(chapter):
        found = MACHINE_PATH.search(text)
        assert not found, f"machine path in a stored output: ...{text[max(0, found.start() - 80):found.end() + 80]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_machine_path_in_stored_widget_state(path):
    state = json.dumps(nbformat.read(path, as_version=4).metadata.get("widgets", {}))
    found = MACHINE_PATH.search(state)
    assert not found, f"machine path in the widget state: ...{state[max(0, found.start() - 80):found.end() + 80]}"


def test_the_custom_estimator_chapter_saves_its_widget_state():
    """The explorer renders in the static book only if the notebook carries its widget state."""
    chapter = nbformat.read(ROOT / "chapters" / "06_custom_estimator.ipynb", as_version=4)
    views = {o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in chapter.cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})}
    state = chapter.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert views and views <= set(state)


def test_the_printed_tensorboard_line_finds_the_readers_own_folder(tmp_path):
    """The book prints one line for everyone; a shell turns it into this machine's path, spaces and all."""
    import shlex
    import subprocess
    import sys

    from iris_lib.notebook import MODELS_LABEL, shown, tensorboard_command_for

    odd_tmp = tmp_path / "a temp dir é"
    odd_tmp.mkdir()
    line = tensorboard_command_for("ch07_tensorboard")
    assert line == 'tensorboard --logdir "$(python -m iris_lib.notebook ch07_tensorboard)"'
    # Run it with `tensorboard` replaced by a program that prints its arguments, one per line.
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "TMPDIR": str(odd_tmp), "HOME": str(tmp_path)}
    echo = line.replace("tensorboard --logdir", "printf '%s\\n' --logdir", 1)
    out = subprocess.run(["bash", "-c", echo.replace("python -m", f"{shlex.quote(sys.executable)} -m")],
                         env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["--logdir", str(odd_tmp / "custom-estimators-hands-on" / "ch07_tensorboard")]
    assert tensorboard_command_for() == 'tensorboard --logdir "$(python -m iris_lib.notebook)"'
    with pytest.raises(ValueError, match="plain name"):
        tensorboard_command_for("../etc")
    from iris_lib.notebook import MODELS_ROOT
    assert shown(MODELS_ROOT / "ch06_custom" / "eval") == f"{MODELS_LABEL}/ch06_custom/eval"
    assert shown(tmp_path) == str(tmp_path)  # not a book folder: unchanged


def test_the_cpu_hog_stops_by_itself_and_when_killed():
    import signal
    import subprocess
    import sys

    hog = [sys.executable, str(ROOT / "scripts" / "cpu_hog.py"), "--processes", "2"]
    from support import HANG_GUARD_SECONDS, wait_until

    subprocess.run([*hog, "--seconds", "0.5"], check=True, timeout=HANG_GUARD_SECONDS)  # ends by itself
    running = subprocess.Popen([*hog, "--seconds", "600"])
    children = []

    def both_started():
        children[:] = subprocess.run(["pgrep", "-P", str(running.pid)], capture_output=True, text=True).stdout.split()
        return len(children) == 2

    wait_until(both_started, "the hog's two processes")
    running.send_signal(signal.SIGTERM)
    assert running.wait(timeout=HANG_GUARD_SECONDS) == 0

    def gone(pid):
        return not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]

    wait_until(lambda: all(gone(pid) for pid in children), "the hog's processes ending with it")
