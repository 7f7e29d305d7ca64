"""Custom Estimators, Hands-On: the custom-Estimator programming model on current TensorFlow.

`tf.estimator` left TensorFlow in 2.16. This package brings its programming model back on top of
`tf.compat.v1` graph mode, faithful to the original in behaviour and on disk, so that the guide
"Creating Custom Estimators" runs today. Import order matters: TensorFlow's C++ start-up lines are
silenced here, and its CPU kernels chosen so that training gives the same bits on every x86-64 CPU
(`same_bits`), before any module imports TensorFlow.
"""
import os

from iris_lib import same_bits

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
same_bits.apply()

__version__ = "0.1.0"
