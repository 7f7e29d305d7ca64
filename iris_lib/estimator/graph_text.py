"""`graph.pbtxt`, byte for byte as `tf.io.write_graph` writes it, without formatting the same node twice.

Every `train()` writes its graph as text, as the real CheckpointSaverHook did, and Python's protobuf text
format takes most of a short train's fixed cost on it (about 55 ms for the guide's 366-node graph on this
machine kind; the engine's whole 1-step train is about 0.25 s). A notebook, the explorer and the tests
rebuild the same graphs again and again in one process, so each node's text is kept, keyed by the node's
deterministic serialization: an identical node is formatted once per process. What is written is exactly
`text_format.MessageToString(graph_def)` (tests/test_graph_text.py compares them on the engine's graphs).
"""
from __future__ import annotations

import os

from google.protobuf import text_format
from tensorflow.core.framework import graph_pb2
from tensorflow.python.lib.io import file_io

# Enough for dozens of graphs; past it the cache starts again. A node holding data (a dataset's constant
# tensors) is formatted each time, not kept: its text would be several times its bytes.
_MAX_NODES = 20_000
_MAX_NODE_BYTES = 16 * 1024
_node_text: dict[bytes, str] = {}


def graph_def_text(graph_def: graph_pb2.GraphDef) -> str:
    """`text_format.MessageToString(graph_def)`. `node` is GraphDef's first field, so the nodes come first,
    each as the text format nests a message (`node {`, its fields two spaces in, `}`), then the rest."""
    if len(_node_text) > _MAX_NODES:
        _node_text.clear()
    parts = []
    for node in graph_def.node:
        key = node.SerializeToString(deterministic=True)
        text = _node_text.get(key)
        if text is None:
            text = "node {\n" + text_format.MessageToString(node, indent=2) + "}\n"
            if len(key) <= _MAX_NODE_BYTES:
                _node_text[key] = text
        parts.append(text)
    rest = graph_pb2.GraphDef()
    rest.CopyFrom(graph_def)
    del rest.node[:]
    parts.append(text_format.MessageToString(rest))
    return "".join(parts)


def write_graph(graph_def: graph_pb2.GraphDef, directory: str, name: str) -> str:
    """`tf.io.write_graph(graph_def, directory, name)` (as text, little-endian x86-64 as TensorFlow's)."""
    file_io.recursive_create_dir(directory)
    path = os.path.join(directory, name)
    file_io.atomic_write_string_to_file(path, graph_def_text(graph_def))
    return path
