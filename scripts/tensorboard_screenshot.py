"""A real TensorBoard screenshot for chapter 7: the Scalars page of the chapter's model, in headless chromium.

Trains the model of chapter 7 with the chapter's code (the guide's `my_model_fn`, `hidden_units=[10, 10]`,
the book's seed, 1000 steps of 100, one evaluation) in its own model_dir, starts the real
`tensorboard --logdir` on it at 127.0.0.1, opens the Scalars page in Debian's chromium through Playwright,
and saves `chapters/images/tensorboard_scalars.png`, which it also attaches to chapter 7's cell that shows it
(an attachment travels with the notebook to Colab; the book shows the file). Next to it, `tensorboard_scalars.json` records what was
drawn (steps, runs, tags, the model_fn's source hash); tests/test_tensorboard_screenshot.py checks that
record against chapter 7 and the library, so a changed model means a stale screenshot and a failing test.

Run by `make execute` (or alone: `.venv/bin/python scripts/tensorboard_screenshot.py`). Needs chromium
(`bash scripts/ensure_chromium.sh`); nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_support import CHROMIUM, CHROMIUM_FLAGS, LocalOnly, free_port  # noqa: E402

import iris_lib.quiet  # noqa: E402,F401  (before TensorFlow)
import iris_lib.tf1 as tf  # noqa: E402
from iris_lib import data  # noqa: E402
from iris_lib.model import my_model_fn  # noqa: E402
from iris_lib.notebook import BOOK_SEED, fresh_model_dir  # noqa: E402
from iris_lib.tensorboard import read_run  # noqa: E402

IMAGE = ROOT / "chapters" / "images" / "tensorboard_scalars.png"
CHAPTER = ROOT / "chapters" / "07_tensorboard.ipynb"
RECORD = IMAGE.with_suffix(".json")
STEPS, BATCH_SIZE, HIDDEN_UNITS = 1000, 100, [10, 10]
TAGS = ["accuracy", "global_step/sec", "loss"]
VIEWPORT = {"width": 1400, "height": 1250}


def model_fn_hash() -> str:
    """What the screenshot depends on: the model function's source."""
    return hashlib.sha256(inspect.getsource(my_model_fn).encode()).hexdigest()


def train_chapter_model() -> str:
    """Chapter 7's two calls: train 1000 steps, evaluate once."""
    (train_x, train_y), (test_x, test_y) = data.load_data()
    columns = [tf.feature_column.numeric_column(key=key) for key in train_x.keys()]
    classifier = tf.estimator.Estimator(
        model_fn=my_model_fn, model_dir=fresh_model_dir("tensorboard_screenshot"),
        config=tf.estimator.RunConfig(tf_random_seed=BOOK_SEED),
        params={"feature_columns": columns, "hidden_units": HIDDEN_UNITS, "n_classes": 3})
    classifier.train(input_fn=lambda: data.train_input_fn(train_x, train_y, batch_size=BATCH_SIZE), steps=STEPS)
    classifier.evaluate(input_fn=lambda: data.eval_input_fn(test_x, test_y, batch_size=BATCH_SIZE))
    return classifier.model_dir


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tensorboard exited with code {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"tensorboard did not answer at {url} within {seconds} s")


def capture(model_dir: str, image: Path) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    tensorboard = Path(sys.executable).with_name("tensorboard")
    # Started from MODELS_ROOT with a relative --logdir, so the page shows no machine path.
    process = subprocess.Popen(
        [str(tensorboard), "--logdir", Path(model_dir).name, "--host", "127.0.0.1", "--port", str(port)],
        cwd=Path(model_dir).parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url + "data/logdir", process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
            local = LocalOnly()
            local.attach(context)
            page = context.new_page()
            page.goto(url + "#scalars", wait_until="networkidle")
            # Scale the charts to every point, so the evaluation's single dot is in view.
            page.get_by_text("Ignore outliers in chart scaling").click()
            for tag in TAGS:  # open every tag's pane (TensorBoard folds some) and wait for its chart
                card = page.get_by_text(f"tag: {tag}", exact=True)
                if not card.count():
                    page.locator(".name", has_text=tag.split("/")[0]).first.click()
                card.first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # the charts' last animation frame
            image.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(image))
            browser.close()
        if local.blocked:
            raise RuntimeError(f"TensorBoard asked for something outside 127.0.0.1: {local.blocked[:3]}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def attach(image: Path, chapter: Path) -> None:
    """Put the image into the chapter's cell that shows it (`![...](attachment:NAME)`), as Jupyter does."""
    import base64

    import nbformat

    notebook = nbformat.read(chapter, as_version=4)
    cell = next(c for c in notebook.cells if f"(attachment:{image.name})" in c.source)
    cell["attachments"] = {image.name: {"image/png": base64.b64encode(image.read_bytes()).decode()}}
    nbformat.write(notebook, chapter)


def main() -> int:
    model_dir = train_chapter_model()
    runs = read_run(model_dir)
    capture(model_dir, IMAGE)
    attach(IMAGE, CHAPTER)
    from tensorboard import version

    record = {
        "what": "TensorBoard's Scalars page for chapter 7's model, from scripts/tensorboard_screenshot.py",
        "model_fn_sha256": model_fn_hash(),
        "hidden_units": HIDDEN_UNITS, "seed": BOOK_SEED, "steps": STEPS, "batch_size": BATCH_SIZE,
        "runs": {run: sorted(tags) for run, tags in sorted(runs.items())},
        "last_train_step": int(runs["train"]["loss"]["step"].max()),
        "eval_step": int(runs["eval"]["loss"]["step"].max()),
        "tensorboard": version.VERSION,
        "viewport": VIEWPORT,
    }
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{IMAGE.relative_to(ROOT)}: TensorBoard {version.VERSION}, runs {sorted(runs)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
