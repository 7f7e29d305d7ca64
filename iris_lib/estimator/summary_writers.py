"""Event-file writers, one per directory at a time, closed once no longer in use.

The real Estimator kept one `FileWriter` per directory for the life of the process
(`FileWriterCache`); each holds an open file and a thread, so a notebook that trains 60 models kept
120 of both. Here a directory still has a single writer while anyone uses it (the training loop, an
evaluation), but only the `KEEP_OPEN` most recently used writers are kept open for reuse beyond that:
an older one is closed as soon as nothing references it. Each file name ends in `.<pid>.<counter>`
(as TF2's `tf.summary.create_file_writer` does with its own suffix), so two processes, or two writers
one after the other, never share a file within the same second; TensorBoard reads every file in a
directory, in name order, which the zero-padded counter keeps in creation order.

What goes into the files is the real engine's, record for record (`tests/test_parity_event_files.py`):
a new writer starts with the graph it was opened for (`FileWriterCache` opened `FileWriter(dir,
graph=default graph)`, which wrote a `graph_def` and a `meta_graph_def`); each `train()` then adds the graph
and meta graph again (`CheckpointSaverHook.after_create_session`, with the saver's `saver_def`; when the
engine saves the checkpoints and `checkpoint_save_graph_def`), a SessionLog CHECKPOINT after each save and
a SessionLog START after the first step (`SummarySaverHook`, when summaries are on: TensorBoard drops an
older run's points from the START step on); each `evaluate()` writes its metrics and a `checkpoint_path`
text entry (none when no checkpoint was evaluated). One deliberate difference: the real hooks' summary
steps were now and then one early (companion/differences.md, "Training summaries land on exact steps").
"""
from __future__ import annotations

import collections
import itertools
import os
import threading
import time
import weakref

import numpy as np
import tensorflow as tf
from google.protobuf import message
from tensorflow.python.framework import meta_graph

from iris_lib.quiet import logger

KEEP_OPEN = 4

_LOCK = threading.Lock()
_LIVE: "weakref.WeakValueDictionary[str, tf.compat.v1.summary.FileWriter]" = weakref.WeakValueDictionary()
_RECENT: collections.OrderedDict = collections.OrderedDict()
_COUNTER = itertools.count(1)


def writer_for(logdir: str, graph: "tf.Graph | None" = None, graph_def=None):
    """The open writer of `logdir` (made if needed); a cached one whose file was deleted is replaced.

    A writer made here starts with `graph` (its `graph_def`, if the caller has it already) and its meta
    graph, as the real engine's `FileWriterCache` did with the default graph of the call that opened it.
    """
    logdir = os.path.abspath(logdir)
    with _LOCK:
        writer = _LIVE.get(logdir)
        if writer is not None and not os.path.exists(event_file(writer)):  # model_dir removed and made anew
            writer.close()
            writer = None
        if writer is None:
            with tf.Graph().as_default():  # FileWriter refuses to open under eager execution
                writer = tf.compat.v1.summary.FileWriter(
                    logdir, filename_suffix=f".{os.getpid()}.{next(_COUNTER):06d}")
            if graph is not None:
                graph_def = graph_def if graph_def is not None else graph.as_graph_def(add_shapes=True)
                add_graph(writer, graph_def)
            weakref.finalize(writer, _close, writer.event_writer)
            _LIVE[logdir] = writer
        _RECENT[logdir] = writer
        _RECENT.move_to_end(logdir)
        while len(_RECENT) > KEEP_OPEN:
            _RECENT.popitem(last=False)  # closed now if unused, else when its last user lets go
    return writer


def open_writers() -> int:
    """How many writers are open (each holds a file and a thread)."""
    return sum(1 for writer in list(_LIVE.values()) if not writer.event_writer._closed)


def event_file(writer) -> str:
    name = writer.event_writer._ev_writer.FileName()
    return name.decode() if isinstance(name, bytes) else name


def _close(event_writer) -> None:
    try:
        event_writer.close()
    except Exception:  # a full or vanished disk: the summaries are lost either way, close must not raise here
        pass


def add_graph(writer, graph_def, saver_def=None) -> None:
    """A `graph_def` record, then a `meta_graph_def` record of the same graph (with the saver's `saver_def`).

    Written from a `GraphDef` the caller already made (for `graph.pbtxt`): `FileWriter.add_graph` would
    serialize the graph once more and log a deprecation warning for a `GraphDef`."""
    meta_graph_def = meta_graph.create_meta_graph_def(graph_def=graph_def, saver_def=saver_def)
    now = time.time()
    writer.add_event(tf.compat.v1.Event(wall_time=now, graph_def=graph_def.SerializeToString()))
    writer.add_event(tf.compat.v1.Event(wall_time=now, meta_graph_def=meta_graph_def.SerializeToString()))


def add_checkpoint_log(writer, save_path: str, step: int) -> None:
    """SessionLog CHECKPOINT after a save, with the saver's prefix (`model_dir/model.ckpt`) as the real one."""
    SessionLog = tf.compat.v1.SessionLog
    writer.add_session_log(SessionLog(status=SessionLog.CHECKPOINT, checkpoint_path=save_path), step)


def add_start_log(writer, step: int) -> None:
    """SessionLog START at the first step of a `train()`: TensorBoard drops the points of an earlier run
    beyond this step (a run resumed from an older checkpoint), as it did for the real Estimator."""
    SessionLog = tf.compat.v1.SessionLog
    writer.add_session_log(SessionLog(status=SessionLog.START), step)


def _add_metric(summary, key: str, value) -> None:
    """One metric as the real `_write_dict_to_summary` wrote it: a number as a point, a vector (an np.ndarray)
    as a tensor (TensorBoard's plain scalars page does not show it), a serialized Summary (a metric whose value
    is `tf.summary.merge(...)`'s string) as its values tagged `key/0`, `key/1`...; anything else is skipped."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        summary.value.add(tag=key, simple_value=float(value))
    elif isinstance(value, bytes):
        try:
            parsed = tf.compat.v1.Summary.FromString(value)
        except message.DecodeError:
            logger.warning("Skipping summary for %s, cannot parse string to Summary.", key)
            return
        for i, part in enumerate(parsed.value):
            part.tag = f"{key}/{i}"
        summary.value.extend(parsed.value)
    elif isinstance(value, np.ndarray):
        summary.value.add(tag=key, node_name=key, tensor=tf.make_tensor_proto(value))
    else:
        logger.warning("Skipping summary for %s, must be a float, np.float32, np.int64, np.int32 or int or "
                       "np.ndarray or a serialized string of Summary.", key)


def write_eval_summaries(eval_dir: str, results: dict, checkpoint_path: str | None, graph=None) -> None:
    """One point per metric at the evaluated step (TensorBoard's evaluation dot), then the evaluated
    checkpoint as a `checkpoint_path` text entry, as the real `_write_dict_to_summary` and
    `_write_checkpoint_path_to_summary`; `graph` starts a new file (see `writer_for`).

    A read-only or full model_dir loses only these records, with a warning: the metrics, the work already
    done, are still returned (the real Estimator raised after evaluating).
    """
    step = results["global_step"]
    summary = tf.compat.v1.Summary()
    for key, value in sorted(results.items()):
        if key != "global_step" and value is not None:
            _add_metric(summary, key, value)
    try:
        writer = writer_for(eval_dir, graph)
        writer.add_summary(summary, step)
        if checkpoint_path:
            text = tf.compat.v1.Summary()
            text.value.add(tag="checkpoint_path", tensor=tf.make_tensor_proto(checkpoint_path, dtype=tf.string))
            writer.add_summary(text, step)
        writer.flush()
    except (OSError, tf.errors.OpError) as error:
        logger.warning("evaluate(): the metrics are returned, but their summary for TensorBoard could not be "
                       "written to %s (%s): is the disk full or the directory read-only?", eval_dir,
                       str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
