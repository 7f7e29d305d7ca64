"""`pandas_input_fn`: an input_fn that feeds a DataFrame's columns in batches, as the real one's API.

The same `tf.data` pipeline as `numpy_input_fn` (see there for the deliberate difference from the real
queue runners: same batches, epochs, dtypes and shapes, another shuffled order; `num_epochs` per thread).
"""
from __future__ import annotations

import numpy as np

from iris_lib.estimator.inputs.numpy_io import _check_shuffle, batches, next_batch

try:
    import pandas as pd
except ImportError:  # pragma: no cover - pandas is in requirements.txt
    pd = None


def pandas_input_fn(x, y=None, batch_size: int = 128, num_epochs: int | None = 1, shuffle: bool | None = None,
                    queue_capacity: int | None = 1000, num_threads: int = 1, target_column: str = "target"):
    """An input_fn yielding `(features, target)` batches: a dict of `x`'s columns, and `y`'s values.

    `y` may be a Series (the target is a tensor) or a DataFrame (a dict of its columns); its index must
    equal `x`'s. Without `y` the input_fn returns the features only.
    """
    if pd is None:
        raise TypeError("pandas_input_fn should not be called without pandas installed")
    _check_shuffle(shuffle)
    if not isinstance(target_column, str):
        raise TypeError("target_column must be a string type")
    if not isinstance(x, pd.DataFrame):
        raise TypeError(f"x must be a pandas DataFrame, got {type(x).__name__}; for numpy arrays use numpy_input_fn")
    x = x.copy()
    y_columns = None
    if y is not None:
        if target_column in x:
            raise ValueError(f"Cannot use name {target_column} for target column: DataFrame already has a column "
                             f"with that name: {x.columns}")
        if not np.array_equal(x.index, y.index):
            raise ValueError(f"Index for x and y are mismatched.\nIndex for x: {x.index}\nIndex for y: {y.index}\n")
        if isinstance(y, pd.DataFrame):
            y_columns = [(column, _unique_target_key(x, column)) for column in list(y)]
            for column, key in y_columns:
                x[key] = y[column].to_numpy()
        else:
            x[target_column] = y.to_numpy()
    if queue_capacity is None:
        queue_capacity = 4 * len(x) if shuffle else len(x)

    def input_fn():
        columns = {str(column): x[column].to_numpy() for column in x.columns}
        dataset = batches(columns, batch_size, num_epochs, shuffle, queue_capacity, num_threads)

        def structure(batch):
            features = dict(batch)
            if y is None:
                return features
            if y_columns is not None:
                return features, {column: features.pop(key) for column, key in y_columns}
            return features, features.pop(target_column)

        return next_batch(dataset.map(structure))

    return input_fn


def _unique_target_key(x, target):
    while target in x:
        target += "_n"
    return target
