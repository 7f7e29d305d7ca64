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



def _import_tensorflow_without_startup_lines():
    """Import TensorFlow with the process's stderr (fd 2) pointed at /dev/null.

    On CPUs where oneDNN is on by default, TensorFlow's C++ libraries print absl's
    "All log messages before absl::InitializeLog()" and "oneDNN custom operations are on" while they
    load, whatever TF_CPP_MIN_LOG_LEVEL says. In Jupyter they land, or not, depending on a race with
    the kernel's output capture, so a chapter's stored output would depend on the machine and on luck.
    Python errors still propagate: only the C++ libraries' own lines during the import are dropped.
    """
    import sys

    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (some embedded interpreters)
        import tensorflow  # noqa: F401
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_without_startup_lines()

import tensorflow as tf  # noqa: E402
from tensorflow.python.util import deprecation  # noqa: E402

deprecation._PRINT_DEPRECATION_WARNINGS = False
warnings.filterwarnings("ignore", module=r"(tensorflow|keras|tf_keras)(\.|$)")
warnings.filterwarnings("ignore", message=r".*is deprecated.*", category=UserWarning)

logger: logging.Logger = tf.get_logger()
# In an interactive kernel TensorFlow turns its logger to INFO on stdout; the book wants only warnings
# there (and nbval compares outputs). tf.compat.v1.logging.set_verbosity(INFO) turns progress back on.
logger.setLevel(logging.WARNING)
