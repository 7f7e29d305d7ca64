"""Estimator-specific hooks (the real `hooks/hooks.py`), and `StopTrainingHook`, a Stop button's way in.

`StopTrainingHook` stops a running `train()` from another thread as the real engine stops on any hook's
`run_context.request_stop()`: the current step finishes, a checkpoint is saved at that step, every hook's
`end` runs, and `train()` returns normally. Example (a widget's Stop button):

    stop = StopTrainingHook()
    thread = threading.Thread(target=estimator.train, args=(input_fn,), kwargs={"steps": 100_000, "hooks": [stop]})
    thread.start()
    ...
    stop.stop()        # from the button's callback: returns at once
    thread.join()      # train() has returned; estimator.latest_checkpoint() holds the step it stopped at
    stop.stopped_at    # the global step training stopped at (None if it ended on its own)
"""
from __future__ import annotations

import threading

import tensorflow as tf

from iris_lib.estimator.hooks.session_run_hook import SessionRunHook


class StopTrainingHook(SessionRunHook):
    """Requests a stop at the next step once `stop()` was called (from any thread)."""

    def __init__(self, event: threading.Event | None = None):
        self.event = event if event is not None else threading.Event()
        self.stopped_at: int | None = None
        self._global_step = None

    def stop(self) -> None:
        self.event.set()

    def begin(self) -> None:
        self._global_step = tf.compat.v1.train.get_global_step()
        self.stopped_at = None

    def after_run(self, run_context, run_values) -> None:
        if self.event.is_set():
            self.stopped_at = int(run_context.session.run(self._global_step))
            run_context.request_stop()


def make_stop_at_checkpoint_step_hook(estimator, last_step, wait_after_file_check_secs=30):
    """A hook that stops training at global step `last_step` (`tf.estimator.experimental`).

    The real one gave the chief a `StopAtStepHook(last_step)` and other workers a hook that polled the
    chief's checkpoints; iris_lib trains in one process, which is always the chief.
    """
    del estimator, wait_after_file_check_secs  # only used by non-chief workers
    return tf.compat.v1.train.StopAtStepHook(last_step=last_step)
