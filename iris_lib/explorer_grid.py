"""The static explorer's data: real runs of a grid of configurations, precomputed for the rendered book.

TensorFlow cannot run in a reader's browser, so the book's playground page shows runs trained ahead
of time with the book's own engine and `my_model_fn` (`iris_lib.sweep.train_and_evaluate`), one per
configuration of `GRID`: the loss and accuracy curves read from the event files (the train line every
100 steps, the eval point), the test accuracy and loss, the guide's three predictions with their
probabilities, and the decision regions in the petal plane as a coarse grid of class ids (the same
plane, extents and held sepal values as `iris_lib.plots.plot_decision_regions`).

`scripts/build_explorer_grid.py` trains the grid (in parallel, resumably) and writes
`book_assets/explorer_grid.js` (JSON behind one assignment, `window.IRIS_EXPLORER_GRID = {...};`, so
the page loads it with a script tag, which also works from file://, where fetch() is refused);
`tests/test_explorer_grid.py` retrains a sample and compares.
Numbers are rounded so the file stays small and so the last bits, which differ between CPUs, are not
stored as if they meant something.
"""
from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
import numpy as np

from iris_lib import data

LAYERS = (1, 2, 3)
UNITS = (2, 3, 5, 10, 20, 50)
OPTIMIZER_NAMES = ("Adagrad", "Adam", "SGD")
LEARNING_RATES = (0.01, 0.1)
SEEDS = (1, 2, 3)
STEPS = 1000  # the guide's
BATCH_SIZE = 100
SUMMARY_STEPS = 100  # one point of the training line every 100 steps
REGION_SIZE = 24  # decision regions: a REGION_SIZE x REGION_SIZE grid of class ids
X_FEATURE, Y_FEATURE = "PetalLength", "PetalWidth"
DIGITS = {"loss": 4, "accuracy": 4, "probability": 3}
FORMAT_VERSION = 2
GRID_FILE = Path(__file__).resolve().parents[1] / "book_assets" / "explorer_grid.js"
_PREFIX, _SUFFIX = "window.IRIS_EXPLORER_GRID = ", ";\n"


@dataclass(frozen=True)
class GridPoint:
    """One configuration of the grid: a uniform network (`layers` x `units`), optimizer, rate, seed."""

    layers: int
    units: int
    optimizer: str
    learning_rate: float
    seed: int

    @property
    def key(self) -> str:
        """The key in the JSON file (and the page's URL state): '2-10-Adam-0.1-1'."""
        return f"{self.layers}-{self.units}-{self.optimizer}-{self.learning_rate:g}-{self.seed}"

    def training_config(self):
        from iris_lib.sweep import TrainingConfig

        return TrainingConfig(hidden_units=(self.units,) * self.layers, optimizer=self.optimizer,
                              learning_rate=self.learning_rate, steps=STEPS, batch_size=BATCH_SIZE, seed=self.seed)


def grid_points() -> list[GridPoint]:
    return [GridPoint(*values) for values in itertools.product(LAYERS, UNITS, OPTIMIZER_NAMES, LEARNING_RATES, SEEDS)]


def region_axes(train_x) -> tuple[np.ndarray, np.ndarray]:
    """The petal-plane grid's x and y values: the extents `plots.plot_decision_regions` uses."""
    xs = np.linspace(train_x[X_FEATURE].min() - 0.5, train_x[X_FEATURE].max() + 0.5, REGION_SIZE)
    ys = np.linspace(train_x[Y_FEATURE].min() - 0.3, train_x[Y_FEATURE].max() + 0.3, REGION_SIZE)
    return xs, ys


def region_features(train_x) -> dict[str, np.ndarray]:
    """Feature columns over the petal grid (row-major, y outer), sepal features at the training mean."""
    xs, ys = region_axes(train_x)
    grid_x, grid_y = np.meshgrid(xs, ys)
    features = {}
    for name in data.FEATURE_NAMES:
        dtype = train_x[name].to_numpy().dtype
        if name == X_FEATURE:
            features[name] = grid_x.ravel().astype(dtype)
        elif name == Y_FEATURE:
            features[name] = grid_y.ravel().astype(dtype)
        else:
            features[name] = np.full(grid_x.size, train_x[name].mean(), dtype=dtype)
    return features


def header(iris=None) -> dict:
    """What every record shares: the grid's axes, the steps, the data to draw under the regions."""
    (train_x, train_y), (_, test_y) = iris if iris is not None else data.load_data()
    xs, ys = region_axes(train_x)
    return {
        "format": FORMAT_VERSION,
        "layers": list(LAYERS), "units": list(UNITS), "optimizers": list(OPTIMIZER_NAMES),
        "learning_rates": list(LEARNING_RATES), "seeds": list(SEEDS),
        "steps": STEPS, "batch_size": BATCH_SIZE, "summary_steps": SUMMARY_STEPS,
        "species": list(data.SPECIES),
        "examples": [[float(data.PREDICT_X[k][i]) for k in data.FEATURE_NAMES] for i in range(len(data.EXPECTED))],
        "expected": list(data.EXPECTED),
        "regions": {"x_feature": X_FEATURE, "y_feature": Y_FEATURE, "size": REGION_SIZE,
                    "x": [round(float(v), 4) for v in xs], "y": [round(float(v), 4) for v in ys],
                    "held": {k: round(float(train_x[k].mean()), 4) for k in data.FEATURE_NAMES
                             if k not in (X_FEATURE, Y_FEATURE)}},
        "test_species": "".join(str(int(v)) for v in test_y),
        "train_points": {"x": train_x[X_FEATURE].round(2).tolist(), "y": train_x[Y_FEATURE].round(2).tolist(),
                         "species": [int(v) for v in train_y]},
        "n_test": len(test_y),
    }


def run_point(point: GridPoint, work_dir: str | Path, iris=None, columns=None) -> dict:
    """Train `point` from scratch with the book's engine, read its event files, predict; one record.

    Record keys: s (training steps of the train line), l / a (training loss / accuracy there),
    el / ea (the eval point: test loss / accuracy after the last step), p (the three examples'
    probabilities), t (the predicted class id of each test example, as digits: the confusion
    matrix), r (the decision regions: REGION_SIZE**2 class-id digits, row by row from the lowest
    petal width).
    """
    from iris_lib.custom_estimator import feature_columns
    from iris_lib.sweep import train_and_evaluate
    from iris_lib.tensorboard import read_run

    iris = iris if iris is not None else data.load_data()
    columns = columns if columns is not None else feature_columns(iris[0][0])
    (train_x, _), (test_x, _) = iris
    model_dir = Path(work_dir) / point.key
    try:
        estimator, result = train_and_evaluate(point.training_config(), model_dir, iris, columns,
                                               save_summary_steps=SUMMARY_STEPS)
        runs = read_run(model_dir)
        grid = region_features(train_x)
        n_grid = REGION_SIZE * REGION_SIZE
        n_test = len(test_x)
        features = {k: np.concatenate([grid[k], test_x[k].to_numpy(), np.asarray(data.PREDICT_X[k], dtype=np.float64)])
                    for k in data.FEATURE_NAMES}
        size = n_grid + n_test + len(data.EXPECTED)
        batches = estimator.predict(lambda: data.eval_input_fn(features, None, size),
                                    predict_keys=["probabilities"], yield_single_examples=False)
        probabilities = np.concatenate([batch["probabilities"] for batch in batches])
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)
    train = runs["train"]
    regions = probabilities[:n_grid].argmax(axis=1)
    return {
        "s": [int(s) for s in train["loss"]["step"]],
        "l": [round(float(v), DIGITS["loss"]) for v in train["loss"]["value"]],
        "a": [round(float(v), DIGITS["accuracy"]) for v in train["accuracy"]["value"]],
        "el": round(result.loss, DIGITS["loss"]),
        "ea": round(result.accuracy, DIGITS["accuracy"]),
        "p": [[round(float(v), DIGITS["probability"]) for v in row] for row in probabilities[n_grid + n_test:]],
        "t": "".join(str(int(c)) for c in probabilities[n_grid:n_grid + n_test].argmax(axis=1)),
        "r": "".join(str(int(c)) for c in regions),
    }


def to_script(document: dict) -> str:
    """The grid as the script the page loads: compact JSON assigned to window.IRIS_EXPLORER_GRID."""
    return _PREFIX + json.dumps(document, separators=(",", ":")) + _SUFFIX


def load_grid(path: str | Path = GRID_FILE) -> dict:
    """The stored grid (book_assets/explorer_grid.js) as a dict; an error naming the file and the fix."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `make explorer-data` to train the grid")
    text = path.read_text(encoding="utf-8")
    if not (text.startswith(_PREFIX) and text.endswith(_SUFFIX)):
        raise ValueError(f"{path} is not the explorer grid script; regenerate it with `make explorer-data`")
    return json.loads(text[len(_PREFIX):-len(_SUFFIX)])
