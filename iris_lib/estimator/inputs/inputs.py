"""The real `inputs/inputs.py`: both input function builders in one place."""
from iris_lib.estimator.inputs.numpy_io import numpy_input_fn  # noqa: F401
from iris_lib.estimator.inputs.pandas_io import pandas_input_fn  # noqa: F401
