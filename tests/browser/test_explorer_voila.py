"""The hidden_units explorer, live, in a real browser: Voila serves a notebook that shows only the explorer
(explorer.ipynb, beside this file) on 127.0.0.1, and headless chromium drives it the way a reader would:
type a network into hidden_units, press Train, wait for the run to finish, and look at the plot.

Voila runs the notebook in a kernel when the page is requested, so each page load costs a TensorFlow start
(about 10 s here). Voila's log and the plot screenshots are saved under artifacts/voila/.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from browser_support import HANG_GUARD_MS, artifact_path, free_port

NOTEBOOK = Path(__file__).with_name("explorer.ipynb")
START_TIMEOUT_S = HANG_GUARD_MS // 1000  # Voila imports TensorFlow before it listens
PAGE_TIMEOUT_MS = HANG_GUARD_MS   # Voila executes the notebook before it answers
TRAIN_TIMEOUT_MS = HANG_GUARD_MS  # 1000 steps take a few seconds idle, much longer beside CI's other lanes
# Voila's page template links Font Awesome from a CDN (the icons also ship in its bundle); with the network
# off those two stylesheets are blocked and nothing else may be asked for outside 127.0.0.1.
VOILA_TEMPLATE_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free"
# A run is over (figures drawn) when its result is shown and Stop is disabled again (Train stays enabled
# during a run: a second click is refused with a message).
RUN_FINISHED = """([n]) => {
  const result = document.querySelector('.iris-result'), stop = document.querySelector('.iris-stop');
  return result !== null && result.innerText.includes('Run #' + n) && stop !== null && stop.disabled;
}"""


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Voila exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"Voila did not listen on 127.0.0.1:{port} within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory: pytest.TempPathFactory, browser) -> str:
    """Voila serving explorer.ipynb on 127.0.0.1 (a free port); the explorer trains into a temp folder."""
    pytest.importorskip("voila", reason="Voila is not installed: pip install -r requirements-dev.txt (it pins voila)")
    tmp = tmp_path_factory.mktemp("voila")
    port = free_port()
    log = artifact_path("voila", "voila.log")
    env = {**os.environ, "IRIS_EXPLORER_DIR": str(tmp / "models"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--VoilaConfiguration.show_tracebacks=True"]
    with open(log, "w") as out:
        # Its own process group, so that the kernels Voila starts are stopped with it.
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def explorer_page(voila_url: str, local_only_context):
    """The explorer, loaded in a fresh browser context: (page, traffic)."""
    context, traffic = local_only_context
    page = context.new_page()
    traffic.watch(page)
    page.goto(voila_url, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(".iris-train", timeout=PAGE_TIMEOUT_MS)
    return page, traffic


def assert_only_local_requests(traffic) -> None:
    outside = [url for url in traffic.blocked if not url.startswith(VOILA_TEMPLATE_CDN)]
    assert not outside, "the explorer asked for (blocked, the network is off):\n" + "\n".join(outside)


def train(page, run: int) -> None:
    """Press Train and wait until run number `run` has finished (result shown, Stop disabled again)."""
    page.click(".iris-train")
    page.wait_for_function(RUN_FINISHED, arg=[run], timeout=TRAIN_TIMEOUT_MS)


def plot_screenshot(page, name: str) -> Path:
    plot = page.locator(".iris-plot")
    plot.locator("img").wait_for(timeout=TRAIN_TIMEOUT_MS)
    assert plot.locator("img").evaluate("img => img.complete && img.naturalWidth > 0"), "the plot image is broken"
    path = artifact_path("voila", f"{name}.png")
    plot.screenshot(path=str(path))
    return path


def changed_fraction(before: Path, after: Path) -> float:
    """The share of pixels that differ between two screenshots (1.0 when their sizes differ)."""
    with Image.open(before) as a, Image.open(after) as b:
        if a.size != b.size:
            return 1.0
        diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
        return sum(diff.point(lambda value: 255 if value > 16 else 0).histogram()[255:]) / (a.width * a.height)


def test_changing_hidden_units_and_training_redraws_the_plot(explorer_page) -> None:
    page, traffic = explorer_page
    train(page, run=1)  # the default network, [10, 10]
    assert "hidden_units=[10, 10]" in page.inner_text(".iris-result")
    before = plot_screenshot(page, "plot-run1-h10-10")

    page.fill(".iris-hidden-units input", "3")
    page.wait_for_function("() => document.querySelector('.iris-architecture').innerText.includes('4 → 3 → 3')")
    train(page, run=2)

    result = page.inner_text(".iris-result")
    assert "hidden_units=[3]" in result and "test accuracy" in result, result
    after = plot_screenshot(page, "plot-run2-h3")
    fraction = changed_fraction(before, after)
    assert fraction > 0.01, f"the plot barely changed after retraining with hidden_units=[3] ({fraction:.2%} of pixels)"
    # Both runs are kept side by side in the table of runs.
    assert page.locator(".iris-history tbody tr").count() == 2
    page.locator(".iris-explorer").screenshot(path=str(artifact_path("voila", "explorer-after-two-runs.png")))
    assert not traffic.page_errors, "uncaught script errors:\n" + "\n".join(traffic.page_errors)
    assert_only_local_requests(traffic)


def test_bad_hidden_units_show_a_message_not_a_traceback(explorer_page) -> None:
    page, traffic = explorer_page
    page.fill(".iris-hidden-units input", "10, zero")
    page.click(".iris-train")
    message = page.locator(".iris-message")
    message.filter(has_text="Cannot train yet").wait_for(timeout=TRAIN_TIMEOUT_MS)
    text = message.inner_text()
    assert "'zero' is not a whole number" in text, text
    assert "Traceback" not in page.inner_text("body")
    assert page.locator(".iris-result").inner_text() == "", "nothing may train with a bad hidden_units"
    assert_only_local_requests(traffic)


def test_stop_ends_a_long_run_and_a_second_train_is_refused(explorer_page) -> None:
    """Issue 9, item 8, in the browser: the kernel stays free while a run trains, so Stop is handled."""
    page, traffic = explorer_page
    page.fill(".iris-hidden-units input", "64, 64, 64")
    page.locator(".iris-steps .noUi-handle").focus()
    page.keyboard.press("End")  # the longest run the slider offers
    page.wait_for_function("() => document.querySelector('.iris-steps .widget-readout').innerText.trim() === '5000'")
    page.click(".iris-train")
    page.wait_for_function(
        "() => /^[1-9][0-9]* \\/ 5000 steps/.test(document.querySelector('.iris-progress-label').innerText)",
        timeout=TRAIN_TIMEOUT_MS)
    page.click(".iris-train")  # a second click while the run trains
    message = page.locator(".iris-message")
    message.filter(has_text="Already training [64, 64, 64]").wait_for(timeout=TRAIN_TIMEOUT_MS)
    page.click(".iris-stop")
    message.filter(has_text="Stopped at step").wait_for(timeout=TRAIN_TIMEOUT_MS)
    step = int(re.search(r"Stopped at step (\d+) of 5000", message.inner_text())[1])
    assert 0 < step < 5000
    page.wait_for_function(RUN_FINISHED, arg=[1], timeout=TRAIN_TIMEOUT_MS)
    assert f"{step} steps in" in page.inner_text(".iris-progress-label")
    assert "Traceback" not in page.inner_text("body")
    assert_only_local_requests(traffic)
