"""The static explorer in the built book, in a real browser with the network off.

Each control is changed as a reader would (a key press on a range slider, a choice in a select); after each
change, the accuracy shown, the curves' data, the decision regions' data and the predictions must be the
stored run of that configuration (book_assets/explorer_grid.js, read here in Python), the URL hash must
name it. (How fast the page answers is measured by `benchmarks/bench_static_explorer.py`, `make bench`, not
here: a timed test fails on a busy machine.) A link with a hash opens that configuration, and
editing the hash on an open page moves the controls. Nothing may be asked of any host but 127.0.0.1.
"""
from __future__ import annotations

import pytest

from browser_support import LocalOnly, artifact_path, new_context, serve_directory
from iris_lib import explorer_grid
from test_rendered_book import PAGE_TIMEOUT_MS, book_html  # noqa: F401 - the session's built book

PAGES = ["playground", "chapters/06_custom_estimator"]
READY = "() => !!document.querySelector('.iris-static-explorer[data-key]')"
# What the page shows and draws, read back from the DOM and from Plotly's own copy of the chart data.
SHOWN = """() => {
  const box = document.querySelector('.iris-static-explorer');
  const curves = box.querySelector('.iris-se-curves').data;
  const regions = box.querySelector('.iris-se-regions').data;
  const controls = {};
  box.querySelectorAll('[data-control]').forEach(c => { controls[c.dataset.control] = c.value; });
  return {
    key: box.dataset.key, ms: Number(box.dataset.updateMs), hash: location.hash, controls,
    accuracyText: box.querySelector('.iris-se-accuracy').textContent,
    accuracy: Number(box.querySelector('.iris-se-result').dataset.accuracy),
    spread: box.querySelector('.iris-se-spread').textContent,
    trainLoss: curves[0].y, trainSteps: curves[0].x, evalLoss: curves[1].y[0],
    trainAccuracy: curves[2].y, evalAccuracy: curves[3].y[0],
    regionColors: curves[0].line.color + ' ' + curves[1].marker.color,
    regions: regions[0].z.map(row => row.join('')).join(''),
    predicted: [...box.querySelectorAll('.iris-se-predicted')].map(td => td.textContent),
    probabilities: [...box.querySelectorAll('.iris-se-probability')].map(td => td.textContent),
  };
}"""


@pytest.fixture(scope="module")
def grid() -> dict:
    return explorer_grid.load_grid()


@pytest.fixture(scope="module")
def base_url(book_html):  # noqa: F811 - the imported fixture
    with serve_directory(book_html) as url:
        yield url


@pytest.fixture
def tab(browser, base_url):
    context = new_context(browser)
    traffic = LocalOnly()
    traffic.attach(context)
    page = context.new_page()
    traffic.watch(page)
    yield page, traffic
    assert not traffic.blocked, "the static explorer asked for (blocked):\n" + "\n".join(traffic.blocked)
    assert not traffic.failed, "requests that failed:\n" + "\n".join(traffic.failed)
    assert not traffic.page_errors, "script errors:\n" + "\n".join(traffic.page_errors)
    context.close()


def open_page(page, base_url: str, name: str, hash_: str = "") -> dict:
    page.goto(f"{base_url}{name}.html{hash_}", wait_until="networkidle", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(READY, timeout=PAGE_TIMEOUT_MS)
    return page.evaluate(SHOWN)


def expected_key(controls: dict) -> str:
    return "-".join(controls[name] for name in ("layers", "units", "optimizer", "lr", "seed"))


def assert_shows_stored_run(shown: dict, grid: dict, key: str) -> None:
    run = grid["runs"][key]
    assert shown["key"] == key
    assert shown["accuracy"] == run["ea"]
    assert shown["accuracyText"] == f"test accuracy {run['ea']:.3f}"
    assert shown["trainSteps"] == run["s"]
    assert shown["trainLoss"] == run["l"] and shown["trainAccuracy"] == run["a"]
    assert shown["evalLoss"] == run["el"] and shown["evalAccuracy"] == run["ea"]
    assert shown["regions"] == run["r"]
    best = [max(range(3), key=lambda k: probs[k]) for probs in run["p"]]
    assert shown["predicted"] == [grid["species"][k] for k in best]
    assert shown["probabilities"] == [f"{100 * max(p):.1f}%" for p in run["p"]]
    layers, units, optimizer, lr, seed = key.split("-")
    seeds = [grid["runs"][f"{layers}-{units}-{optimizer}-{lr}-{s}"]["ea"] for s in grid["seeds"]]
    assert all(f"seed {s} {a:.3f}" in shown["spread"] for s, a in zip(grid["seeds"], seeds))
    assert shown["hash"] == f"#layers={layers}&units={units}&optimizer={optimizer}&lr={lr}&seed={seed}"


@pytest.mark.parametrize("name", PAGES)
def test_each_control_shows_the_stored_run_of_its_configuration(tab, base_url, grid, name):
    page, _ = tab
    shown = open_page(page, base_url, name)
    assert shown["key"] == "2-10-Adagrad-0.1-1"  # the book's network and optimizer
    assert shown["regionColors"] == "#ff7043 #0077bb"  # plots.TRAIN_COLOR, plots.EVAL_COLOR
    assert_shows_stored_run(shown, grid, shown["key"])
    box = page.locator(".iris-static-explorer")
    changes = [
        ("layers", lambda c: c.press("ArrowRight"), "3"),
        ("units", lambda c: c.select_option("50"), "50"),
        ("optimizer", lambda c: c.select_option("Adam"), "Adam"),
        ("lr", lambda c: c.select_option("0.01"), "0.01"),
        ("seed", lambda c: c.press("ArrowRight"), "2"),
        ("units", lambda c: c.select_option("2"), "2"),
        ("optimizer", lambda c: c.select_option("SGD"), "SGD"),
        ("layers", lambda c: (c.press("ArrowLeft"), c.press("ArrowLeft")), "1"),
    ]
    seen = {shown["key"]}
    for control, change, value in changes:
        change(box.locator(f'[data-control="{control}"]'))
        shown = page.evaluate(SHOWN)
        assert shown["controls"][control] == value, control
        assert shown["key"] == expected_key(shown["controls"])
        assert_shows_stored_run(shown, grid, shown["key"])
        seen.add(shown["key"])
    assert len(seen) == len(changes) + 1
    page.screenshot(path=str(artifact_path("screenshots", f"static_explorer_{name.replace('/', '__')}.png")),
                    full_page=False)


def test_a_link_opens_its_configuration_and_the_hash_round_trips(tab, base_url, grid):
    page, _ = tab
    shown = open_page(page, base_url, "playground", "#layers=3&units=5&optimizer=SGD&lr=0.1&seed=3")
    assert shown["controls"] == {"layers": "3", "units": "5", "optimizer": "SGD", "lr": "0.1", "seed": "3"}
    assert_shows_stored_run(shown, grid, "3-5-SGD-0.1-3")
    # Editing the address on the open page moves the controls and the charts.
    page.evaluate("() => { location.hash = '#layers=1&units=20&optimizer=Adam&lr=0.01&seed=2'; }")
    page.wait_for_function("() => document.querySelector('.iris-static-explorer').dataset.key === '1-20-Adam-0.01-2'")
    assert_shows_stored_run(page.evaluate(SHOWN), grid, "1-20-Adam-0.01-2")
    # What a reader copies from the address bar reopens the same view in a fresh tab.
    link = page.url
    page.locator('[data-control="units"]').select_option("3")
    link = page.url
    again = open_page(page.context.new_page(), base_url, "playground", "#" + link.split("#", 1)[1])
    assert_shows_stored_run(again, grid, "1-3-Adam-0.01-2")


def test_a_bad_link_falls_back_to_the_defaults_without_errors(tab, base_url, grid):
    page, _ = tab
    shown = open_page(page, base_url, "playground", "#layers=9&units=abc&optimizer=Nadam&lr=5")
    assert_shows_stored_run(shown, grid, "2-10-Adagrad-0.1-1")
