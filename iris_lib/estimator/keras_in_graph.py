"""Keras 3 layers and metrics in a model_fn's graph, run as Keras 2 ran them there: the same names in every
graph, a fresh random draw (a Dropout mask) at every step, seeded by the graph's seed, and a metric object
accepted in `eval_metric_ops`.

Names: Keras 2 counted `dense`, `dense_1`, ... per `tf.Graph`; the Estimator builds a fresh graph for every
call, so each call's layers were named alike (`dense/kernel`, `sequential/dense_1/kernel`) and its checkpoint
restored. Keras 3 counts per process: the eval graph's first Dense would be `dense_3`, and nothing in the
checkpoint would fit. `as_keras_2_did(graph)` gives Keras the graph's own counter while the model_fn builds it.
And a layer builds and runs in one name scope, as in Keras 2 (`dense_1/kernel`, not `dense_1_1/kernel`).

Random draws: Keras 3 draws from a stateless op whose seed sits in a variable that `SeedGenerator.next`
advances with an assign that nothing in a TF1 graph runs, so a Dropout drew the same mask at every step; and
its first seed, like an unseeded initializer's, came from Python's `random`, which `tf_random_seed` does not
fix. Here, in a TF1 graph (never eagerly or in a tf.function), the draw waits for the advance, and a default
seed in a graph with a seed comes from the graph's, so `tf_random_seed` fixes Keras layers' initial weights
and masks as it fixes iris_lib's own layers (companion/differences.md).

Metrics: the real EstimatorSpec took a Keras 2 `Metric` in `eval_metric_ops` as `(metric.result(),
metric.updates[0])`, its variables local. A Keras 3 metric keeps no `updates` and puts its variables among the
global ones, which the Saver would write into checkpoints. `metric_ops(metric)` finds its update ops in the
graph (the assigns to its variables) and moves its variables where the real one put them.

Updates and losses: TensorFlow's TF2 guide called a Keras model in a model_fn and ran
`model.get_updates_for(None) + model.get_updates_for(features)` (BatchNormalization's moving-statistics
assigns, which nothing else runs in a TF1 graph) with its train op, and added `model.get_losses_for(...)` (the
regularization losses) to its loss: Keras 2's methods, which Keras 3 dropped. Here they are again, as Keras 2's
base_layer_v1 had them: `None` for what depends on no call's inputs, a tensor for what depends on it. And a
`tf.compat.v1.train` optimizer given `var_list=model.trainable_variables` (Keras 3 `Variable`s) works on the
`tf.Variable`s inside them, as it did on Keras 2's.
"""
from __future__ import annotations

import collections
import contextlib
import itertools
import weakref

import tensorflow as tf
import keras
from keras.src.backend.common import global_state  # TensorFlow 2.21 imports Keras 3 itself
from keras.src.backend import random as keras_random
from keras.src.random import seed_generator
from tensorflow.python.training import optimizer as v1_optimizer

_UIDS = "object_name_uids"  # the counter keras.src.utils.naming.uniquify reads
_uids_of_graph: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_seeds_drawn: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def as_keras_2_did(graph):
    """While the block runs, Keras names its layers from `graph`'s own counter (a fresh one for a new graph);
    the process's counter, which Keras uses everywhere else, is put back after."""
    outer = global_state.get_global_attribute(_UIDS)
    global_state.set_global_attribute(_UIDS, _uids_of_graph.setdefault(graph, collections.defaultdict(int)))
    try:
        yield
    finally:
        global_state.set_global_attribute(_UIDS, outer)


def _in_a_tf1_graph() -> bool:
    return not tf.executing_eagerly() and not tf.inside_function()


_keras_layer_call = keras.layers.Layer.__call__
_inputs_of_layer: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ASSIGNS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")


def _layer_call(self, *args, **kwargs):
    """Keras's `Layer.__call__`; in a TF1 graph inside one name scope, as Keras 2's: Keras 3 opens the layer's
    scope once to build and again to call, and the graph makes the second `dense_1`, so the next layer's
    variables became `dense_1_1/kernel`. Keras's own scopes inside see their layer's scope open and add none."""
    if not _in_a_tf1_graph():
        return _keras_layer_call(self, *args, **kwargs)
    called_on = [t for t in tf.nest.flatten((args, kwargs)) if isinstance(t, tf.Tensor)]
    _inputs_of_layer.setdefault(self, []).extend(called_on)
    with self._open_name_scope():
        return _keras_layer_call(self, *args, **kwargs)


_keras_next = seed_generator.SeedGenerator.next
_keras_default_seed = seed_generator.make_default_seed


def _next_seed(self, ordered=True):
    """Keras's `SeedGenerator.next`; in a TF1 graph the seed returned is read before, and only once, the
    state advances, so every session run draws anew."""
    if not _in_a_tf1_graph():
        return _keras_next(self, ordered)
    state = self.state.value
    seed = tf.identity(state)
    with tf.control_dependencies([seed]):
        advanced = seed + tf.constant([0, 1], seed.dtype) if ordered else (seed + 1) * 5387 % 933199
        advance = state.assign(advanced)
    with tf.control_dependencies([advance]):
        return tf.identity(seed)


def _default_seed():
    """Keras's default seed (Python's `random`), or, in a TF1 graph with a seed, the graph's seed and how many
    default seeds the graph gave before: Keras layers' initial weights and Dropout masks follow
    `tf_random_seed`, as iris_lib's own layers do."""
    graph = tf.compat.v1.get_default_graph()
    if not _in_a_tf1_graph() or graph.seed is None:
        return _keras_default_seed()
    drawn = _seeds_drawn.setdefault(graph, itertools.count())
    return (graph.seed * 1_000_003 + next(drawn)) % 1_000_000_000 + 1


def _ops_reachable_from(tensors) -> set:
    """The ops that depend on `tensors` (through data and control edges), as Keras 2's
    tf_utils.get_reachable_from_inputs found them."""
    seen, pending = set(), [t.op for t in tf.nest.flatten(tensors) if isinstance(t, tf.Tensor)]
    while pending:
        op = pending.pop()
        if op in seen:
            continue
        seen.add(op)
        pending.extend(consumer for output in op.outputs for consumer in output.consumers())
        pending.extend(op._control_outputs)  # pylint: disable=protected-access
    return seen


def _called_on(layer) -> list:
    graph = tf.compat.v1.get_default_graph()
    return [t for sub in layer._flatten_layers(include_self=True)  # pylint: disable=protected-access
            for t in _inputs_of_layer.get(sub, ()) if t.graph is graph]


def _split_by_inputs(layer, items, inputs) -> list:
    """Keras 2's rule: for `inputs=None` the items no call's inputs reach, else the items `inputs` reach.
    Outside a TF1 graph nothing is traced back to inputs: all the items count as `None`'s."""
    if not _in_a_tf1_graph():
        return items if inputs is None else []
    if inputs is None:
        reachable = _ops_reachable_from(_called_on(layer))
        return [item for item in items if _op_of(item) not in reachable]
    reachable = _ops_reachable_from(inputs)
    return [item for item in items if _op_of(item) in reachable]


def _op_of(item):
    return item if isinstance(item, tf.Operation) else item.op


def _updates(layer) -> list:
    """The assigns to `layer`'s non-trainable variables in the current graph (BatchNormalization's moving mean
    and variance, Keras 3's seed advances): what Keras 2 held as the layer's `updates`. None outside a TF1
    graph, where Keras runs its assigns as it goes (Keras 2's eager `get_updates_for` gave none either)."""
    if not _in_a_tf1_graph():
        return []
    graph = tf.compat.v1.get_default_graph()
    updates = []
    for variable in layer.non_trainable_variables:
        handle = getattr(variable.value, "handle", None)
        if handle is None or handle.graph is not graph:
            continue
        updates += [op for op in handle.consumers() if op.type in _ASSIGNS and op is not variable.value.initializer]
    return updates


def get_updates_for(self, inputs):
    """Keras 2's `Layer.get_updates_for`: the update ops that depend on `inputs`, or on no call's inputs for
    `None` (BatchNormalization's depend on its inputs: `model.get_updates_for(features)`)."""
    return _split_by_inputs(self, _updates(self), inputs)


def get_losses_for(self, inputs):
    """Keras 2's `Layer.get_losses_for`: the losses that depend on `inputs` (activity regularization), or on no
    call's inputs for `None` (the weights' regularization losses)."""
    return _split_by_inputs(self, list(self.losses), inputs)


def _as_tf_variable(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable


_v1_compute_gradients = v1_optimizer.Optimizer.compute_gradients
_v1_apply_gradients = v1_optimizer.Optimizer.apply_gradients


def _compute_gradients(self, loss, var_list=None, *args, **kwargs):
    """TF's v1 `Optimizer.compute_gradients` (and so `minimize`), given Keras 3 `Variable`s as Keras 2's were
    given: the `tf.Variable` each holds (`var_list=model.trainable_variables`)."""
    if var_list is not None:
        var_list = [_as_tf_variable(v) for v in tf.nest.flatten(var_list)]
    return _v1_compute_gradients(self, loss, var_list, *args, **kwargs)


def _apply_gradients(self, grads_and_vars, *args, **kwargs):
    return _v1_apply_gradients(self, [(g, _as_tf_variable(v)) for g, v in grads_and_vars], *args, **kwargs)


keras.layers.Layer.__call__ = _layer_call
keras.layers.Layer.get_updates_for = get_updates_for
keras.layers.Layer.get_losses_for = get_losses_for
v1_optimizer.Optimizer.compute_gradients = _compute_gradients
v1_optimizer.Optimizer.apply_gradients = _apply_gradients
seed_generator.SeedGenerator.next = _next_seed
seed_generator.make_default_seed = _default_seed  # SeedGenerator() without a seed (Dropout's)
keras_random.make_default_seed = _default_seed  # initializers without a seed (Dense's glorot_uniform)


def is_a_metric(value) -> bool:
    return isinstance(value, keras.metrics.Metric)


def metric_ops(metric) -> tuple:
    """`(value, update_op)` of a Keras metric whose `update_state` the model_fn called, as the real
    EstimatorSpec made of one; its variables go to LOCAL_VARIABLES and METRIC_VARIABLES, out of checkpoints."""
    graph = tf.compat.v1.get_default_graph()
    variables = [variable.value for variable in metric.variables]
    updates = [op for variable in variables for op in variable.handle.consumers()
               if op.type not in ("ReadVariableOp", "VarIsInitializedOp") and op is not variable.initializer]
    if not updates:
        raise ValueError(f'Please call update_state(...) on the "{metric.name}" metric')
    for variable in variables:
        for name in (tf.compat.v1.GraphKeys.GLOBAL_VARIABLES, tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES):
            collection = graph.get_collection_ref(name)
            collection[:] = [v for v in collection if v is not variable]
        for name in (tf.compat.v1.GraphKeys.LOCAL_VARIABLES, tf.compat.v1.GraphKeys.METRIC_VARIABLES):
            if all(v is not variable for v in graph.get_collection(name)):
                graph.add_to_collection(name, variable)
    with tf.name_scope(metric.name):
        return metric.result(), tf.group(*updates, name="update_op")
