"""The Iris data set, shipped with the package in TensorFlow's original file format.

The files are the original TF split (120 training rows, 30 test rows). Each begins with the header
row TF used (`120,4,setosa,versicolor,virginica`): row count, feature count, class names. Nothing is
ever downloaded: the book must work offline.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

CSV_COLUMN_NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]
FEATURE_NAMES = CSV_COLUMN_NAMES[:-1]
SPECIES = ["Setosa", "Versicolor", "Virginica"]

# The guide's three unlabeled examples and the species a good model predicts for them.
PREDICT_X = {
    "SepalLength": [5.1, 5.9, 6.9],
    "SepalWidth": [3.3, 3.0, 3.1],
    "PetalLength": [1.7, 4.2, 5.4],
    "PetalWidth": [0.5, 1.5, 2.1],
}
EXPECTED = ["Setosa", "Versicolor", "Virginica"]


class IrisDataError(ValueError):
    """A data file is missing or malformed; the message names the file, the line and the problem."""


def data_path(name: str) -> Path:
    """Path of a data file shipped inside the package (`iris_training.csv`, `iris_test.csv`)."""
    return Path(resources.files("iris_lib") / "data" / name)


def read_iris_csv(path: str | Path) -> tuple[pd.DataFrame, pd.Series]:
    """Read one file in TF's Iris format and check every line, so bad data fails loudly and early."""
    path = Path(path)
    if not path.is_file():
        raise IrisDataError(f"{path}: file not found (expected an Iris CSV in TensorFlow's format)")
    lines = path.read_text().splitlines()
    if not lines:
        raise IrisDataError(f"{path}: line 1: the file is empty")
    header = [h.strip() for h in lines[0].split(",")]
    if len(header) != 5 or not header[0].isdigit() or header[1] != "4":
        raise IrisDataError(
            f"{path}: line 1: expected a header like '120,4,setosa,versicolor,virginica', got {lines[0]!r}"
        )
    rows, labels = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != 5:
            raise IrisDataError(
                f"{path}: line {number}: expected 5 columns ({', '.join(CSV_COLUMN_NAMES)}), "
                f"got {len(cells)}: {line!r}"
            )
        try:
            values = [float(c) for c in cells[:4]]
        except ValueError:
            raise IrisDataError(f"{path}: line {number}: a feature is not a number: {line!r}") from None
        try:
            label = int(cells[4])
        except ValueError:
            raise IrisDataError(f"{path}: line {number}: the label {cells[4]!r} is not an integer") from None
        if not 0 <= label < len(SPECIES):
            raise IrisDataError(
                f"{path}: line {number}: the label {label} is outside 0..{len(SPECIES) - 1} "
                f"({', '.join(f'{i}={s}' for i, s in enumerate(SPECIES))})"
            )
        rows.append(values)
        labels.append(label)
    if len(rows) != int(header[0]):
        raise IrisDataError(f"{path}: the header announces {header[0]} rows but the file holds {len(rows)}")
    features = pd.DataFrame(rows, columns=FEATURE_NAMES)
    return features, pd.Series(labels, name="Species", dtype="int64")


def load_data(y_name: str = "Species"):
    """Return the original split as `(train_x, train_y), (test_x, test_y)`, as the guide's `iris_data` does."""
    if y_name != "Species":
        raise ValueError(f"y_name must be 'Species' (the label column), got {y_name!r}")
    return read_iris_csv(data_path("iris_training.csv")), read_iris_csv(data_path("iris_test.csv"))


def train_input_fn(features, labels, batch_size: int):
    """Training input: shuffle (buffer 1000), repeat forever, batch. The Estimator decides when to stop."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    return dataset.shuffle(1000).repeat().batch(batch_size)


def eval_input_fn(features, labels, batch_size: int):
    """Evaluation or prediction input: one pass, in order, batched. `labels=None` for prediction."""
    import tensorflow as tf

    if batch_size is None:
        raise ValueError("batch_size must not be None")
    inputs = dict(features) if labels is None else (dict(features), labels)
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)
