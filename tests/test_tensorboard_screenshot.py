"""Chapter 7's TensorBoard screenshot is a real picture of the chapter's model, taken after its last change.

The PNG carries no step counts a test could read, so scripts/tensorboard_screenshot.py writes a record next
to it; these tests hold that record to chapter 7's code and to the library's current model function.
"""
import json
import re
import struct
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import tensorboard_screenshot as screenshot  # noqa: E402  (imports TensorFlow and playwright)

sys.path.pop(0)

RECORD = json.loads(screenshot.RECORD.read_text())
CHAPTER = nbformat.read(ROOT / "chapters" / "07_tensorboard.ipynb", as_version=4)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_screenshot_is_a_png_of_the_recorded_page_size():
    assert _png_size(screenshot.IMAGE) == (RECORD["viewport"]["width"], RECORD["viewport"]["height"])
    assert 20_000 < screenshot.IMAGE.stat().st_size < 2_000_000  # a real page, not a blank one


def test_the_screenshot_was_taken_after_the_model_functions_last_change():
    assert RECORD["model_fn_sha256"] == screenshot.model_fn_hash(), "run scripts/tensorboard_screenshot.py"


def test_the_screenshot_shows_the_model_chapter_7_trains():
    training = next(c.source for c in CHAPTER.cells if c.cell_type == "code" and "classifier.train(" in c.source)
    assert f"steps={RECORD['steps']})" in training
    assert f"batch_size={RECORD['batch_size']}" in training
    assert f"'hidden_units': {RECORD['hidden_units']}" in training
    assert "tf_random_seed=BOOK_SEED" in training and RECORD["seed"] == screenshot.BOOK_SEED
    assert (RECORD["steps"], RECORD["hidden_units"], RECORD["batch_size"]) == (
        screenshot.STEPS, screenshot.HIDDEN_UNITS, screenshot.BATCH_SIZE)


def test_the_screenshot_shows_both_runs_and_every_tag():
    assert RECORD["runs"] == {"eval": ["accuracy", "loss"], "train": sorted(screenshot.TAGS)}
    assert RECORD["eval_step"] == RECORD["steps"]  # the blue dot sits at the end of training
    assert RECORD["last_train_step"] == RECORD["steps"] - 99  # summaries at 1, 101, ..., 901


def test_chapter_7_carries_the_screenshot_as_an_attachment_so_it_shows_in_colab_too():
    """A path to a file beside the notebook breaks where the notebook travels alone (Colab); an attachment
    does not. The book shows the file (book_ext/cell_attachments.py): both hold the same bytes."""
    import base64

    cells = [c for c in CHAPTER.cells if c.cell_type == "markdown"
             and re.search(r"!\[[^\]]+\]\(attachment:tensorboard_scalars\.png\)", c.source)]
    assert len(cells) == 1
    attached = base64.b64decode(cells[0]["attachments"]["tensorboard_scalars.png"]["image/png"])
    assert attached == screenshot.IMAGE.read_bytes(), "run scripts/tensorboard_screenshot.py"
    assert "images/tensorboard_scalars.png" not in "\n".join(c.source for c in CHAPTER.cells)
