"""model_to_estimator's checkpoints under the real one's keys, so that they cross with TF 2.15 both ways.

The real model_fn trained a Keras 2 model with a Keras 2 optimizer. With `checkpoint_format="checkpoint"` (the
default) its Saver wrote Keras 2's object paths (`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`, a
slot under `.../.OPTIMIZER_SLOT/optimizer/m/...`, each hyperparameter as a variable under `optimizer/`, the
global step as `estimator_global_step`) and the object graph beside them (`_CHECKPOINTABLE_OBJECT_GRAPH`,
which warm starts and `model.load_weights` read); with `"saver"`, the Keras 2 graph's names (`dense/kernel`,
`training/Adam/dense/kernel/m`, `training/Adam/learning_rate`). Here the model is Keras 3's and the optimizer
a v1 one doing Keras 2's arithmetic, so `saver()` maps those keys onto our variables.

Keras 2 tracked a model's layers as `layer-<i>` and, for the layers with weights, `layer_with_weights-<j>`;
a normalization layer's `axis` list came first among its children. A layer with weights of its own layers
(an RNN's cell) is not mapped: such a model keeps the graph's names, and the differences page says so.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2
from tensorflow.python.trackable.base import NoRestoreSaveable

from iris_lib.estimator.canned.optimizers import HYPERPARAMETERS

v1 = tf.compat.v1
OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE = ".ATTRIBUTES/VARIABLE_VALUE"
_NORMALIZATIONS = ("BatchNormalization", "LayerNormalization")  # Keras 2 tracked their `axis` list first

def slot_names(kind: str, settings: dict) -> tuple[str, ...]:
    """Keras 2's slots for the optimizer, in the order it made them."""
    if kind == "SGD":
        return ("momentum",) if settings["momentum"] else ()
    if kind == "Adam":
        return ("m", "v", "vhat") if settings["amsgrad"] else ("m", "v")
    if kind == "Nadam":
        return ("m", "v")
    if kind == "RMSprop":
        return ("rms",) + (("momentum",) if settings["momentum"] else ()) + (("mg",) if settings["centered"] else ())
    return {"Adagrad": ("accumulator",), "Ftrl": ("accumulator", "linear")}[kind]


_V1_SLOT = {("Ftrl", "accumulator"): "accum"}  # tf.compat.v1's FtrlOptimizer names its accumulator slot "accum"


def mappable(model) -> bool:
    """Whether every weight belongs to its layer itself (`dense/kernel`), as the mapping needs."""
    return all(len(weight.path.split("/")) == 2 for layer in model.layers for weight in layer.weights)


def saver(model, global_step, checkpoint_format, optimizer=None, kind=None, settings=None, hyperparameters=None,
          by_save_weights=False):
    """A sharded Saver writing the real model_fn's keys for `model` (rebuilt, in this graph), the global step and,
    in training, the optimizer's slots and hyperparameters. `by_save_weights`: the first checkpoint, which the
    real one wrote with Keras 2's `model.save_weights` (its object graph names the model `root` once more)."""
    keys = _object_keys if checkpoint_format in (None, "checkpoint") else _graph_keys
    var_list = keys(model, global_step, optimizer, kind, settings or {}, hyperparameters or {})
    if checkpoint_format in (None, "checkpoint") and optimizer is not None:
        graph = object_graph(model, optimizer, kind, settings, by_save_weights).SerializeToString()
        var_list[OBJECT_GRAPH] = NoRestoreSaveable(tf.constant(graph), OBJECT_GRAPH)
    return v1.train.Saver(var_list=var_list, sharded=True)


def _weights(model):
    """(layer_with_weights index, weight) for every weight, in Keras 2's order."""
    with_weights = [layer for layer in model.layers if layer.weights]
    return [(index, weight) for index, layer in enumerate(with_weights) for weight in layer.weights]


def _slots(model, optimizer, kind, settings):
    """(Keras slot name, layer_with_weights index, weight, slot variable) in the object graph's order: by slot,
    then by weight."""
    if optimizer is None:
        return []
    trainable = [(index, weight) for index, weight in _weights(model) if weight.trainable]
    return [(slot, index, weight, optimizer.get_slot(weight.value, _V1_SLOT.get((kind, slot), slot)))
            for slot in slot_names(kind, settings) for index, weight in trainable]


def _object_keys(model, global_step, optimizer, kind, settings, hyperparameters) -> dict:
    keys = {f"estimator_global_step/{_VALUE}": global_step}
    for index, weight in _weights(model):
        keys[f"layer_with_weights-{index}/{weight.name}/{_VALUE}"] = weight.value
    for slot, index, weight, variable in _slots(model, optimizer, kind, settings):
        keys[f"layer_with_weights-{index}/{weight.name}/.OPTIMIZER_SLOT/optimizer/{slot}/{_VALUE}"] = variable
    for name, variable in hyperparameters.items():
        keys[f"optimizer/{name}/{_VALUE}"] = variable
    return keys


def _graph_keys(model, global_step, optimizer, kind, settings, hyperparameters) -> dict:
    keys = {"global_step": global_step}
    for _, weight in _weights(model):
        keys[weight.value.op.name] = weight.value
    for slot, _, weight, variable in _slots(model, optimizer, kind, settings):
        keys[f"training/{kind}/{weight.value.op.name}/{slot}"] = variable
    for name, variable in hyperparameters.items():
        keys[f"training/{kind}/{name}"] = variable
    return keys


def object_graph(model, optimizer, kind, settings, by_save_weights=False):
    """The object graph the real model_fn's Saver wrote (Keras 2's model, its optimizer, the global step): the
    nodes numbered breadth first, the slot variables last."""
    proto = trackable_object_graph_pb2.TrackableObjectGraph()

    def add(key=None, full_name=None) -> int:
        entry = proto.nodes.add()
        if key is not None:
            entry.attributes.add(name="VARIABLE_VALUE", full_name=full_name, checkpoint_key=f"{key}/{_VALUE}")
        return len(proto.nodes) - 1

    def link(parent: int, local_name: str, child: int):
        proto.nodes[parent].children.add(node_id=child, local_name=local_name)

    root = add()
    layers, with_weights = [], 0
    for position, layer in enumerate(model.layers):  # the root's children: a layer under one or two names
        layer_id = add()
        path = None
        if layer.weights:
            path = f"layer_with_weights-{with_weights}"
            link(root, path, layer_id)
            with_weights += 1
        link(root, f"layer-{position}", layer_id)
        layers.append((layer_id, layer, path))
    optimizer_id = add()
    link(root, "optimizer", optimizer_id)
    link(root, "estimator_global_step", add("estimator_global_step", "global_step"))
    if by_save_weights:
        link(root, "root", root)
    variable_ids = {}
    for layer_id, layer, path in layers:  # then their children
        if type(layer).__name__ in _NORMALIZATIONS:
            link(layer_id, "axis", add())
        for weight in layer.weights:
            variable_ids[id(weight)] = add(f"{path}/{weight.name}", weight.value.op.name)
            link(layer_id, weight.name, variable_ids[id(weight)])
    made = getattr(optimizer, "_keras_variables", None)  # a rate given as a schedule is no variable
    for name in HYPERPARAMETERS[kind]:
        if made is None or name in made:
            link(optimizer_id, name, add(f"optimizer/{name}", f"training/{kind}/{name}"))
    for slot, index, weight, _ in _slots(model, optimizer, kind, settings):
        slot_id = add(f"layer_with_weights-{index}/{weight.name}/.OPTIMIZER_SLOT/optimizer/{slot}",
                      f"training/{kind}/{weight.value.op.name}/{slot}")
        proto.nodes[optimizer_id].slot_variables.add(original_variable_node_id=variable_ids[id(weight)],
                                                     slot_name=slot, slot_variable_node_id=slot_id)
    for entry in proto.nodes:
        entry.has_checkpoint_values.value = bool(entry.attributes or entry.children or entry.slot_variables)
    return proto
