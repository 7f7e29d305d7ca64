"""Keep TensorFlow's start-up and deprecation noise out of notebooks and terminals.

The book's notebooks are compared output-for-output by nbval, so nothing TensorFlow prints on its
own may reach a cell. Progress messages (`loss = ..., step = ...`) go to the `tensorflow` logger at
INFO, as the real Estimator's did: `tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)`
shows them.
"""
import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tensorflow.python.util import deprecation  # noqa: E402

deprecation._PRINT_DEPRECATION_WARNINGS = False
warnings.filterwarnings("ignore", module=r"(tensorflow|keras|tf_keras)(\.|$)")
warnings.filterwarnings("ignore", message=r".*is deprecated.*", category=UserWarning)

logger: logging.Logger = tf.get_logger()
# In an interactive kernel TensorFlow turns its logger to INFO on stdout; the book wants only warnings
# there (and nbval compares outputs). tf.compat.v1.logging.set_verbosity(INFO) turns progress back on.
logger.setLevel(logging.WARNING)
