"""Keras layer names numbered per graph, as Keras 2 numbered them, so a model_fn's Keras layers keep their
variable names from the train graph to the eval, predict and export graphs.

Keras 2 counted `dense`, `dense_1`, ... per `tf.Graph`; the Estimator builds a fresh graph for every call, so
each call's layers were named alike (`dense/kernel`, `sequential/dense_1/kernel`) and its checkpoint restored.
Keras 3 counts per process: the eval graph's first Dense is `dense_3`, and nothing in the checkpoint fits.
`names_counted_per_graph(graph)` gives Keras 3 the graph's own counter while the model_fn builds it.
"""
from __future__ import annotations

import collections
import contextlib
import weakref

from keras.src.backend.common import global_state  # TensorFlow 2.21 imports Keras 3 itself

_UIDS = "object_name_uids"  # the counter keras.src.utils.naming.uniquify reads
_uids_of_graph: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def names_counted_per_graph(graph):
    """While the block runs, Keras names its layers from `graph`'s own counter (a fresh one for a new graph);
    the process's counter, which Keras uses everywhere else, is put back after."""
    outer = global_state.get_global_attribute(_UIDS)
    global_state.set_global_attribute(_UIDS, _uids_of_graph.setdefault(graph, collections.defaultdict(int)))
    try:
        yield
    finally:
        global_state.set_global_attribute(_UIDS, outer)
