"""Every chapter keeps the book's shape and its stored outputs are clean (nbval checks they are fresh)."""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [ROOT / f"{entry['file']}.ipynb" for part in TOC["parts"] for entry in part["chapters"]]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def test_the_toc_lists_the_eight_chapters_in_the_guides_order():
    assert [p.stem for p in CHAPTERS] == [
        "01_premade_vs_custom", "02_input_function", "03_feature_columns", "04_model_function",
        "05_modes", "06_custom_estimator", "07_tensorboard", "08_summary"]
    assert sorted(CHAPTERS) == sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(params=CHAPTERS, ids=lambda p: p.stem)
def chapter(request):
    return nbformat.read(request.param, as_version=4)


def test_chapter_has_the_book_shape(chapter):
    markdown = [c.source for c in chapter.cells if c.cell_type == "markdown"]
    assert re.match(r"# \d\. ", markdown[0])
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


def test_ignored_outputs_say_why(chapter):
    for cell in chapter.cells:
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            assert cell.source.startswith("#"), "an ignored cell says why on its first line"


def test_the_custom_estimator_chapter_saves_its_widget_state():
    """The explorer renders in the static book only if the notebook carries its widget state."""
    chapter = nbformat.read(ROOT / "chapters" / "06_custom_estimator.ipynb", as_version=4)
    views = {o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in chapter.cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})}
    state = chapter.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert views and views <= set(state)
