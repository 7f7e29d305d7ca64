"""One trainer per model_dir: a lock file that names the process holding it.

Two processes training into one model_dir interleave silently with the real Estimator: each restores,
trains and saves over the other's steps, and both write the same summaries. Here `train()` holds
`model_dir/.iris_lib.train.lock` (an OS lock, `fcntl.flock`, plus the holder's pid, host and start
time in the file) for its whole run; a second trainer, in another process or another thread, refuses
at once with an error naming the model_dir and the holder. The OS drops the lock when its process
dies, so the file a killed trainer leaves behind is taken over with a warning. Evaluating and
predicting take no lock: reading a model_dir while it trains stays allowed, as the real evaluator did.
A deliberate difference from the real Estimator, which had no lock.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import socket
import threading
import time
from typing import Iterator

from iris_lib import quiet

LOCK_FILE = ".iris_lib.train.lock"


class ModelDirBusyError(RuntimeError):
    """Another trainer holds model_dir's training lock."""


@contextlib.contextmanager
def hold(model_dir: str) -> Iterator[str]:
    """Hold model_dir's training lock for the body, or raise ModelDirBusyError at once; yields the lock path."""
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, LOCK_FILE)
    fd = _acquire(model_dir, path)
    try:
        yield path
    finally:
        try:
            os.remove(path)  # still ours: checked by inode in _acquire, so no one else's file is removed
        except FileNotFoundError:
            pass
        os.close(fd)  # releases the flock


def raise_if_held(model_dir: str) -> None:
    """Raise ModelDirBusyError if a trainer holds model_dir now: check before emptying a model_dir."""
    path = os.path.join(model_dir, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return  # no lock file (or no model_dir): nobody trains there
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ModelDirBusyError(_busy_message(model_dir, path, _read(fd))) from None
    finally:
        os.close(fd)


def training(method):
    """Decorate `Estimator.train`: the whole call holds the lock of `self.model_dir`."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        if self.config.cluster_spec and not self.config.is_chief:  # a cluster's workers share the chief's model_dir
            return method(self, *args, **kwargs)
        with hold(self.model_dir):
            return method(self, *args, **kwargs)

    return locked


def _acquire(model_dir: str, path: str) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise ModelDirBusyError(_busy_message(model_dir, path, holder)) from None
        try:
            same_file = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:  # the holder released and removed the file between our open and flock: again
            os.close(fd)
            continue
        previous = _read(fd)
        if previous:
            quiet.logger.warning(
                "Taking over the training lock of model_dir %s left by %s, which is no longer running "
                "(killed or crashed); its last checkpoint is kept.", model_dir, _describe(previous))
        record = {"pid": os.getpid(), "host": socket.gethostname(), "thread": threading.current_thread().name,
                  "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return fd


def _read(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "an unknown process"
    where = f"process {holder.get('pid')} on host {holder.get('host')}"
    if holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        where = f"another thread ({holder.get('thread')}) of this process (pid {holder.get('pid')})"
    return f"{where}, training since {holder.get('since')}"


def _busy_message(model_dir: str, path: str, holder: dict) -> str:
    return (f"model_dir {model_dir} is being trained by {_describe(holder)}. Two trainers in one model_dir "
            "would overwrite each other's steps and checkpoints: wait for it to finish (evaluate() and "
            "predict() may run meanwhile), stop it, or train into another model_dir. "
            f"(Lock file: {path}; nothing on disk was changed.)")
