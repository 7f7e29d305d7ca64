"""The Estimator engine, laid out as `tensorflow_estimator/python/estimator/` was.

| module | what |
| --- | --- |
| `estimator.py` | `Estimator`: train / evaluate / predict on tf.compat.v1 graphs, files as the original |
| `model_fn.py` | `EstimatorSpec` |
| `mode_keys.py` | `ModeKeys` |
| `run_config.py` | `RunConfig` |

Nothing here knows about Iris: the book's model and data live in `iris_lib.model` and `iris_lib.data`.
"""
from iris_lib.estimator.estimator import CheckpointMismatchError, Estimator
from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec
from iris_lib.estimator.run_config import RunConfig

__all__ = ["CheckpointMismatchError", "Estimator", "EstimatorSpec", "ModeKeys", "RunConfig"]
