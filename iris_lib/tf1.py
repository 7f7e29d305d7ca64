"""`import iris_lib.tf1 as tf`: TensorFlow 1 as the guide knew it, on current TensorFlow.

Everything is `tf.compat.v1` except the two pieces TensorFlow no longer has: `tf.estimator` (our
engine) and `tf.layers.dense` (ours, with TF1's variable names). With this import the guide's code
runs unchanged.
"""
from types import SimpleNamespace

from iris_lib import quiet  # noqa: F401  (silences TensorFlow before it is imported)

import tensorflow as _tf

from iris_lib import estimator as _estimator
from iris_lib import layers as _layers
from iris_lib import premade as _premade

_v1 = _tf.compat.v1

estimator = SimpleNamespace(
    Estimator=_estimator.Estimator,
    EstimatorSpec=_estimator.EstimatorSpec,
    ModeKeys=_estimator.ModeKeys,
    RunConfig=_estimator.RunConfig,
    DNNClassifier=_premade.DNNClassifier,
)
layers = SimpleNamespace(dense=_layers.dense)


def __getattr__(name):
    return getattr(_v1, name)


def __dir__():
    return sorted(set(dir(_v1)) | {"estimator", "layers"})
