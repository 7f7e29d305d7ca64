"""Event-file writers, one per directory at a time, closed once no longer in use.

The real Estimator kept one `FileWriter` per directory for the life of the process
(`FileWriterCache`); each holds an open file and a thread, so a notebook that trains 60 models kept
120 of both. Here a directory still has a single writer while anyone uses it (the training loop, an
evaluation), but only the `KEEP_OPEN` most recently used writers are kept open for reuse beyond that:
an older one is closed as soon as nothing references it. Each file name ends in `.<pid>.<counter>`
(as TF2's `tf.summary.create_file_writer` does with its own suffix), so two processes, or two writers
one after the other, never share a file within the same second; TensorBoard reads every file in a
directory, in name order, which the zero-padded counter keeps in creation order.
"""
from __future__ import annotations

import collections
import itertools
import os
import threading
import weakref

import tensorflow as tf

KEEP_OPEN = 4

_LOCK = threading.Lock()
_LIVE: "weakref.WeakValueDictionary[str, tf.compat.v1.summary.FileWriter]" = weakref.WeakValueDictionary()
_RECENT: collections.OrderedDict = collections.OrderedDict()
_COUNTER = itertools.count(1)


def writer_for(logdir: str):
    """The open writer of `logdir` (made if needed); a cached one whose file was deleted is replaced."""
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
