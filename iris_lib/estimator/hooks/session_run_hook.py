"""`SessionRunHook` and its arguments: TensorFlow's own classes, as the real `tf.estimator` re-exported them.

TF 2.21 still ships them under `tf.compat.v1.train`, so a hook written for the real Estimator is the very
same class here, and our training loop calls it as `MonitoredSession` did (see `hook_runner.py`).
"""
import tensorflow as tf

_train = tf.compat.v1.train

SessionRunHook = _train.SessionRunHook
SessionRunArgs = _train.SessionRunArgs
SessionRunContext = _train.SessionRunContext
SessionRunValues = _train.SessionRunValues

__all__ = ["SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues"]
