"""Calls `SessionRunHook`s around session runs exactly as `tf.compat.v1.train.MonitoredSession` did.

The real Estimator ran every train / evaluate / predict inside a `MonitoredSession`, which
  * calls `begin()` of every hook while the graph can still grow (before it is finalized),
  * `after_create_session(session, coord)` once the variables are restored or initialized,
  * around each `run`: every hook's `before_run(run_context)` (its `SessionRunArgs` fetches, feeds and
    `RunOptions` are merged into the same `Session.run`), then every hook's `after_run(run_context,
    run_values)`; any hook may `run_context.request_stop()`,
  * `end(session)` after the last step, with the session still open, but only when the loop ended
    normally (a stop request, or the input running out): after any other exception, no hook's `end`.
If a run raises, no `after_run` is called for it (so the input running out leaves one `before_run`
without its `after_run`, as in the real engine).

The engine keeps its own duties (checkpoints, summaries, the loss log, the NaN guard) in its loop and
places them among the hooks' calls where the real engine's own hooks sat; see `Estimator._train_loop`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import tensorflow as tf

from iris_lib.estimator.hooks.hooks import StopTrainingHook
from iris_lib.estimator.hooks.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues

v1 = tf.compat.v1


def check_hooks(hooks, what: str = "hooks") -> list:
    """A list of SessionRunHooks, or a TypeError naming the one that is not (as the real `_check_hooks_type`)."""
    hooks = list(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(
                f"All {what} must be SessionRunHook instances (subclass tf.compat.v1.train.SessionRunHook), "
                f"given: {hook!r}"
            )
    return hooks


@dataclass
class Step:
    """One `Session.run` made through the hooks: what the caller fetched, and what each hook asked for."""

    context: Any
    outputs: dict
    options: Any
    run_metadata: Any

    @property
    def results(self):
        return self.outputs["caller"]


class HookRunner:
    """The hooks of one train / evaluate / predict call, in the order the real engine called them."""

    def __init__(self, hooks: Sequence):
        self.hooks = list(hooks)

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def begin(self) -> None:
        for hook in self.hooks:
            hook.begin()

    def after_create_session(self, session, coord=None) -> None:
        coord = coord if coord is not None else v1.train.Coordinator()
        for hook in self.hooks:
            hook.after_create_session(session, coord)

    def run(self, session, fetches, feed_dict=None, fast=None) -> Step:
        """`before_run` of every hook, then one `Session.run` of `fetches` plus what the hooks asked for.

        `fast`, the caller's `session.make_callable(fetches)`, is used instead when no hook asks for
        anything this step (and nothing is fed): the same run without `Session.run`'s per-call work of
        joining fetch structures and options (measured: about 60 µs a step, 458 against 516 µs for the
        guide's network), so a hook that asks for tensors every 100th step costs nothing on the other 99.
        The hooks see the same calls.
        """
        context = SessionRunContext(original_args=SessionRunArgs(fetches, feed_dict), session=session)
        requests = [(hook, hook.before_run(context)) for hook in self.hooks]
        if fast is not None and not feed_dict and all(
                request is None or (request.fetches is None and not request.feed_dict and not request.options)
                for _, request in requests):
            return Step(context, {"caller": fast()}, v1.RunOptions(), v1.RunMetadata())
        actual_fetches = {"caller": fetches}
        options = v1.RunOptions()
        hook_feeds: dict = {}
        for hook, request in requests:
            if request is None:
                continue
            if request.fetches is not None:
                actual_fetches[hook] = request.fetches
            if request.feed_dict:
                _refuse_shared_feeds(hook_feeds, request.feed_dict, "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options:
                _merge_run_options(options, request.options)
        if hook_feeds and feed_dict:
            _refuse_shared_feeds(feed_dict, hook_feeds, "Same tensor is fed by a SessionRunHook and user.")
        feeds = {**hook_feeds, **(feed_dict or {})} or None
        run_metadata = v1.RunMetadata()
        outputs = session.run(actual_fetches, feed_dict=feeds, options=options, run_metadata=run_metadata)
        return Step(context, outputs, options, run_metadata)

    def after_run(self, step: Step, hooks: Sequence | None = None) -> None:
        """`after_run` of `hooks` (default: all), each with the values it asked for in `before_run`."""
        for hook in self.hooks if hooks is None else hooks:
            hook.after_run(step.context, SessionRunValues(
                results=step.outputs.get(hook), options=step.options, run_metadata=step.run_metadata))

    def end(self, session) -> None:
        for hook in self.hooks:
            hook.end(session)


def _refuse_shared_feeds(feeds1: dict, feeds2: dict, message: str) -> None:
    shared = set(feeds1) & set(feeds2)
    if shared:
        raise RuntimeError(f"{message} Conflict(s): {list(shared)}")


def _merge_run_options(options, incoming) -> None:
    """As MonitoredSession: numbers take the larger value, flags are OR-ed, debug watches are appended."""
    options.trace_level = max(options.trace_level, incoming.trace_level)
    options.timeout_in_ms = max(options.timeout_in_ms, incoming.timeout_in_ms)
    options.inter_op_thread_pool = max(options.inter_op_thread_pool, incoming.inter_op_thread_pool)
    options.output_partition_graphs = max(options.output_partition_graphs, incoming.output_partition_graphs)
    options.debug_options.debug_tensor_watch_opts.extend(incoming.debug_options.debug_tensor_watch_opts)
    options.debug_options.reset_disk_byte_usage = (
        options.debug_options.reset_disk_byte_usage or incoming.debug_options.reset_disk_byte_usage)
    options.report_tensor_allocations_upon_oom = (
        options.report_tensor_allocations_upon_oom or incoming.report_tensor_allocations_upon_oom)


class TrainHooks(HookRunner):
    """The hooks of one `train()`, in the real engine's order, and its saving listeners.

    The real engine's list was [its CheckpointSaverHook, spec.training_chief_hooks, StepCounterHook,
    SummarySaverHook, train(hooks=), StopAtStepHook, NanTensorHook, LoggingTensorHook, spec.training_hooks];
    the engine's own duties are done by its loop at those places (see `Estimator._train_loop`). As in the
    real engine, a CheckpointSaverHook among the hooks replaces the engine's checkpointing, and the saving
    listeners are attached to it.
    """

    def __init__(self, chief: Sequence, user: Sequence, late: Sequence, listeners: Sequence = (),
                 saves_checkpoints: bool = True):
        self.chief = check_hooks(chief, "training_chief_hooks")
        user = check_hooks(user)
        # A StopTrainingHook only watches an Event: the loop checks it between steps itself, so a Stop
        # button does not move training off its fast path (one make_callable run per step).
        self.stoppers = [hook for hook in user if type(hook) is StopTrainingHook]
        self.user = [hook for hook in user if type(hook) is not StopTrainingHook]
        self.late = check_hooks(late, "training_hooks")
        super().__init__(self.chief + self.user + self.late)
        self.listeners = list(listeners)
        for listener in self.listeners:
            if not isinstance(listener, v1.train.CheckpointSaverListener):
                raise TypeError(f"saving_listeners must be CheckpointSaverListener instances, given: {listener!r}")
        savers = [hook for hook in self.hooks if isinstance(hook, v1.train.CheckpointSaverHook)]
        # RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=None): no checkpoints, as the real engine
        self.own_checkpoints = not savers and saves_checkpoints
        if self.listeners and not savers and not saves_checkpoints:
            raise ValueError("There should be a CheckpointSaverHook to use saving_listeners. Please set one of the "
                             "RunConfig.save_checkpoints_steps or RunConfig.save_checkpoints_secs.")
        if savers:
            for listener in self.listeners:
                if listener not in savers[0]._listeners:  # noqa: SLF001 (as the real engine did)
                    savers[0]._listeners.append(listener)  # noqa: SLF001
            self.listeners = []

    def __bool__(self) -> bool:
        return bool(self.hooks or self.listeners)

    def begin(self) -> None:
        for listener in self.listeners:  # the engine's CheckpointSaverHook came first and began its listeners
            listener.begin()
        super().begin()
        for hook in self.stoppers:
            hook.begin()

    def stop_requested(self, step: int) -> bool:
        """True once any StopTrainingHook's `stop()` was called; each records the step it stopped at."""
        if not any(hook.event.is_set() for hook in self.stoppers):
            return False
        for hook in self.stoppers:
            hook.stopped_at = step
        return True
