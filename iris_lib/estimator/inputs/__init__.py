"""`tf.compat.v1.estimator.inputs`: input functions fed from numpy arrays and pandas DataFrames.

Built on `tf.data` instead of the real ones' queue runners (see `numpy_io`).
"""
from iris_lib.estimator.inputs.numpy_io import numpy_input_fn
from iris_lib.estimator.inputs.pandas_io import pandas_input_fn

__all__ = ["numpy_input_fn", "pandas_input_fn"]
