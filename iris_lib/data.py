"""The Iris data set, shipped with the package in TensorFlow's original file format.

The files are the original TF split (120 training rows, 30 test rows). Each begins with the header
row TF used (`120,4,setosa,versicolor,virginica`): row count, feature count, class names. Nothing is
ever downloaded: the book must work offline. `load_splits` carves a validation set out of the training
rows, for choosing between models without looking at the test set.
"""
from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

CSV_COLUMN_NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]
FEATURE_NAMES = CSV_COLUMN_NAMES[:-1]
SPECIES = ["Setosa", "Versicolor", "Virginica"]

# Features become float32 tensors: a larger value (1e39, 1e308) would become inf there.
_FLOAT32_MAX = float(np.finfo(np.float32).max)

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
    """Read one file in TF's Iris format and check every line, so bad data fails loudly and early.

    A non-finite cell (`nan`, `inf`) or one beyond float32's range (`1e308`, inf once a tensor) is
    refused: one such value makes the loss NaN and trains a useless model. A UTF-8 byte-order mark
    (as Excel writes) is accepted.
    """
    path = Path(path)
    if not path.is_file():
        raise IrisDataError(f"{path}: file not found (expected an Iris CSV in TensorFlow's format)")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise IrisDataError(
            f"{path}: line {line}: the file is not UTF-8 text (byte {error.object[error.start]:#04x} at "
            f"offset {error.start}); save it as UTF-8 CSV"
        ) from None
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
        values = [_feature(path, number, column, cell) for column, cell in enumerate(cells[:4], start=1)]
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
    if not rows:
        raise IrisDataError(f"{path}: the file holds a header but no data rows: nothing to train or evaluate on")
    if len(rows) != int(header[0]):
        raise IrisDataError(f"{path}: the header announces {header[0]} rows but the file holds {len(rows)}")
    features = pd.DataFrame(rows, columns=FEATURE_NAMES)
    return features, pd.Series(labels, name="Species", dtype="int64")


def _feature(path: Path, line: int, column: int, cell: str) -> float:
    """One feature cell as a float that stays finite as float32, or an error naming file, line and column."""
    where = f"{path}: line {line}, column {column} ({FEATURE_NAMES[column - 1]})"
    try:
        value = float(cell)
    except ValueError:
        raise IrisDataError(f"{where}: a feature is not a number: {cell!r}") from None
    if not math.isfinite(value):
        raise IrisDataError(f"{where}: {cell.strip()!r} is not a finite number; a measurement must be a real value")
    if abs(value) > _FLOAT32_MAX:
        raise IrisDataError(
            f"{where}: {cell.strip()!r} is too large for float32 (max {_FLOAT32_MAX:.3g}) and would become inf"
        )
    return value


def load_data(y_name: str = "Species"):
    """Return the original split as `(train_x, train_y), (test_x, test_y)`, as the guide's `iris_data` does."""
    if y_name != "Species":
        raise ValueError(f"y_name must be 'Species' (the label column), got {y_name!r}")
    return read_iris_csv(data_path("iris_training.csv")), read_iris_csv(data_path("iris_test.csv"))


VALIDATION_FRACTION = 0.2
VALIDATION_SEED = 0


def load_splits(validation_fraction: float = VALIDATION_FRACTION, seed: int = VALIDATION_SEED):
    """Return `(train_x, train_y), (valid_x, valid_y), (test_x, test_y)`: the guide's split, with a
    validation set carved out of the 120 training rows.

    Why: choosing a model (an architecture, a step to stop at, a checkpoint to serve) by its test score
    makes that score optimistic; choose on the validation set and report the test set once, at the end.
    The split is stratified (each species gives `validation_fraction` of its rows, rounded, so the
    classes keep their shares) and seeded (the same rows every call). Rows keep their order and their
    index in the training CSV, so `train_x.index` says which rows were kept for training.
    """
    fraction = validation_fraction
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f"validation_fraction must be a number between 0 and 1 such as 0.2, got {fraction!r}")
    (train_x, train_y), test = load_data()
    rng = np.random.default_rng(seed)
    chosen = []
    for species in sorted(train_y.unique()):
        rows = train_y.index[train_y == species].to_numpy()
        count = int(len(rows) * fraction + 0.5)  # rounded half up (Python's round() would round 10.5 to 10)
        if not 0 < count < len(rows):
            raise ValueError(f"validation_fraction={fraction} leaves {count} of the {len(rows)} {SPECIES[species]} "
                             "rows for validation; choose a fraction that keeps some rows on each side")
        chosen.extend(rng.choice(rows, size=count, replace=False))
    is_valid = train_y.index.isin(chosen)
    return (train_x[~is_valid], train_y[~is_valid]), (train_x[is_valid], train_y[is_valid]), test


def train_input_fn(features, labels, batch_size: int):
    """Training input: shuffle (buffer 1000), repeat forever, batch. The Estimator decides when to stop."""
    from iris_lib import quiet  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    _check_batch_size(batch_size)
    dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    return dataset.shuffle(1000).repeat().batch(batch_size)


def fast_train_input_fn(features, labels, batch_size: int):
    """The batches of `train_input_fn`, in the same order, made faster: for the live explorer, whose click
    waits for every step. Returns (features, labels) tensors, so call it inside an input_fn.

    Why: tf.data copies an example's components one by one when it shuffles and batches, and the guide's
    pipeline has five (four features and the label), so at batch 100 the input was slower than the
    network it fed (measured: 0.34 ms to make a batch; 1000 steps 0.52 s, and 0.35 s this way). Here the
    features travel as one matrix (two components) and are split back into the guide's dict in the graph
    (a tf.data `map` doing the split cost as much as it saved). The shuffle takes the seeds the guide's
    shuffle would draw (`tf.compat.v1.get_seed`, which numbers a graph's seeded ops), so with a graph-level
    seed the batches are the same, element for element, and every later random op (the initial weights)
    gets the same seed: the same model. Autotuning is off and one batch is prefetched, which keeps the
    speed without the 0.2-0.3 s that tf.data's autotuning thread made about one session close in three
    wait. Columns of different dtypes (which one matrix cannot hold) use the guide's pipeline.
    """
    from iris_lib import quiet  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    from iris_lib.estimator.inputs.numpy_io import next_batch  # (an iterator that draws no seed, as the guide's)

    _check_batch_size(batch_size)
    options = tf.data.Options()
    options.autotune.enabled = False
    names = list(features)
    columns = [np.asarray(features[name]) for name in names]
    if len({column.dtype for column in columns}) != 1 or any(column.ndim != 1 for column in columns):
        dataset = train_input_fn(features, labels, batch_size).prefetch(1).with_options(options)
        return next_batch(dataset)
    _, seed = tf.compat.v1.get_seed(None)  # what train_input_fn's shuffle(1000) would draw
    dataset = tf.data.Dataset.from_tensor_slices((np.stack(columns, axis=1), np.asarray(labels)))
    dataset = dataset.shuffle(1000, seed=seed).repeat().batch(batch_size).prefetch(1).with_options(options)
    matrix, batch_labels = next_batch(dataset)
    return dict(zip(names, tf.unstack(matrix, num=len(names), axis=1))), batch_labels


def eval_input_fn(features, labels, batch_size: int):
    """Evaluation or prediction input: one pass, in order, batched. `labels=None` for prediction."""
    from iris_lib import quiet  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    _check_batch_size(batch_size)
    inputs = dict(features) if labels is None else (dict(features), labels)
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)


def _check_batch_size(batch_size) -> None:
    """Refuse a batch size tf.data would reject with an obscure error deep inside the Estimator's graph."""
    if batch_size is None:
        raise ValueError("batch_size must not be None: pass the number of examples per batch, e.g. 100")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive whole number such as 100, got {batch_size!r}")
