"""The Estimator engine, laid out as `tensorflow_estimator/python/estimator/` was.

| module | what |
| --- | --- |
| `estimator.py` | `Estimator`: train / evaluate / predict on tf.compat.v1 graphs, files as the original |
| `model_fn.py` | `EstimatorSpec` |
| `mode_keys.py` | `ModeKeys` |
| `run_config.py` | `RunConfig` |
| `checkpoint_state.py` | the newest checkpoint, checked file by file (`DamagedCheckpointError`, never a silent restart) |
| `model_dir_lock.py` | one trainer per model_dir (`ModelDirBusyError`) |
| `summary_writers.py` | event-file writers, one per directory while in use, closed when unused |
| `export/` | `export_saved_model`'s receivers and outputs (`ServingInputReceiver`, `PredictOutput`, ...) |
| `inputs/` | `numpy_input_fn`, `pandas_input_fn` (on tf.data) |
| `api.py` | the public `tf.estimator` / `tf.compat.v1.estimator` namespaces (V2 / V1 canned classes) |
| `hooks/` | `SessionRunHook` & co. (TensorFlow's own), `StopTrainingHook` (a Stop button), the hook runner |
| `nan_guard.py` | a NaN/inf loss raises `NanLossDuringTrainingError` and is never saved |
| `training.py` | `train_and_evaluate`, `TrainSpec`, `EvalSpec` |
| `evaluate_and_predict.py` | `evaluate_and_predict`: evaluate() and predict() in one graph and one session (an addition) |
| `exporter.py` | `LatestExporter`, `BestExporter`, `FinalExporter` |
| `early_stopping.py` | `stop_if_no_decrease_hook` & co. (`tf.estimator.experimental`) |
| `extenders.py` | `add_metrics` |
| `warm_starting_util.py` | `WarmStartSettings`: `Estimator(warm_start_from=...)` |

Nothing here knows about Iris: the book's model and data live in `iris_lib.model` and `iris_lib.data`.
"""
from iris_lib import quiet  # noqa: F401  (silences TensorFlow's start-up lines before it is imported)
from iris_lib.estimator import export, inputs
from iris_lib.estimator.checkpoint_state import DamagedCheckpointError
from iris_lib.estimator.estimator import CheckpointMismatchError, Estimator
from iris_lib.estimator.model_dir_lock import ModelDirBusyError
from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec
from iris_lib.estimator.run_config import RunConfig

__all__ = ["CheckpointMismatchError", "DamagedCheckpointError", "ModelDirBusyError", "Estimator", "EstimatorSpec", "ModeKeys", "RunConfig", "export", "inputs"]
