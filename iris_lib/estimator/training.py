"""`train_and_evaluate(estimator, train_spec, eval_spec)` in local mode, as the real `training.py`.

As the real `_TrainingExecutor.run_local` (TF 2.15): ONE `train()` call to `train_spec.max_steps`, with a
saving listener that evaluates after each new checkpoint (not the first one, which is the starting point)
once `throttle_secs` have passed since the last evaluation, and always at the end of training; every
evaluation is followed by the exporters. So how often it evaluates follows the RunConfig's
`save_checkpoints_steps`/`save_checkpoints_secs` (default 600 s) and `throttle_secs` (default 600 s).
A hook in `train_spec.hooks` that requests a stop (an early-stopping hook) ends training; the final
evaluation and exports still run. `start_delay_secs` is only used by distributed evaluators, as in the
real one. Returns `(metrics of the last evaluation, export results of the last evaluation)`.
"""
from __future__ import annotations

import collections
import os

import tensorflow as tf

from iris_lib import quiet
from iris_lib.estimator.exporter import Exporter
from iris_lib.estimator.hooks.hook_runner import check_hooks

logger = quiet.logger
v1 = tf.compat.v1


def _validate_input_fn(input_fn):
    if not callable(input_fn):
        raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
    return input_fn


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks", "saving_listeners"])):
    """How to train: `input_fn`, up to `max_steps` (None: until the input runs out), with `hooks`."""

    def __new__(cls, input_fn, max_steps=None, hooks=None, saving_listeners=None):
        _validate_input_fn(input_fn)
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        hooks = tuple(check_hooks(hooks))
        saving_listeners = tuple(saving_listeners or ())
        for listener in saving_listeners:
            if not isinstance(listener, v1.train.CheckpointSaverListener):
                raise TypeError(f"All saving_listeners must be `CheckpointSaverListener` instances, given: {listener!r}")
        return super().__new__(cls, input_fn, max_steps, hooks, saving_listeners)


class EvalSpec(collections.namedtuple("EvalSpec", ["input_fn", "steps", "name", "hooks", "exporters",
                                                   "start_delay_secs", "throttle_secs"])):
    """How to evaluate: `steps` batches of `input_fn` (None: all), at most every `throttle_secs`, then `exporters`."""

    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None, start_delay_secs=120,
                throttle_secs=600):
        _validate_input_fn(input_fn)
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: {start_delay_secs}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        hooks = tuple(check_hooks(hooks))
        exporters = _validate_exporters(exporters)
        return super().__new__(cls, input_fn, steps, name, hooks, exporters, start_delay_secs, throttle_secs)


def _validate_exporters(exporters) -> tuple:
    if exporters is None:
        return ()
    if isinstance(exporters, Exporter):
        exporters = [exporters]
    names = set()
    for exporter in exporters:
        if not isinstance(exporter, Exporter):
            raise TypeError(f"`exporters` must be an Exporter, an iterable of Exporter, or `None`, found {exporter}.")
        if not exporter.name or not exporter.name.strip():
            raise ValueError(f"An Exporter cannot have a name that is `None` or empty. Given: {exporter.name}")
        if not isinstance(exporter.name, str):
            raise ValueError(f"An Exporter must have a string name. Given: {type(exporter.name)}")
        if exporter.name in names:
            raise ValueError(f"`exporters` must have unique names. Such a name cannot be `None`. "
                             f"{exporter.name} already exists.")
        names.add(exporter.name)
    return tuple(exporters)


def train_and_evaluate(estimator, train_spec: TrainSpec, eval_spec: EvalSpec):
    """Train `estimator` by `train_spec`, evaluating (and exporting) by `eval_spec` along the way and at the end."""
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(f"`train_spec` must have type `tf.estimator.TrainSpec`. Got: {type(train_spec)}")
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(f"`eval_spec` must have type `tf.estimator.EvalSpec`. Got: {type(eval_spec)}")
    config = estimator.config
    logger.info("Start train and evaluate loop. The evaluate will happen after every checkpoint. Checkpoint "
                "frequency is determined based on RunConfig arguments: save_checkpoints_steps %s or "
                "save_checkpoints_secs %s.", config.save_checkpoints_steps, config.save_checkpoints_secs)
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    listener = _NewCheckpointListenerForEvaluate(evaluator, eval_spec.throttle_secs)
    estimator.train(input_fn=train_spec.input_fn, max_steps=train_spec.max_steps, hooks=list(train_spec.hooks),
                    saving_listeners=list(train_spec.saving_listeners) + [listener])
    return listener.eval_result, listener.export_results


class _NewCheckpointListenerForEvaluate(v1.train.CheckpointSaverListener):
    """Evaluates after each checkpoint but the first, at most every `throttle_secs`, and at the end."""

    def __init__(self, evaluator: "_Evaluator", throttle_secs: float):
        self._evaluator = evaluator
        self._throttle_secs = throttle_secs
        self.eval_result, self.export_results = None, None

    def begin(self):
        self._timer = v1.train.SecondOrStepTimer(every_secs=self._throttle_secs)
        self._is_first_run = True

    def after_save(self, session, global_step_value):
        if self._is_first_run:  # the checkpoint training started from
            self._is_first_run = False
            return
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            logger.info("Skip the current checkpoint eval due to throttle secs (%s secs).", self._throttle_secs)

    def end(self, session, global_step_value):
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value):
        self._timer.update_last_triggered_step(global_step_value)
        self.eval_result, self.export_results = self._evaluator.evaluate_and_export()


class _Evaluator:
    """Evaluates the newest checkpoint by the EvalSpec, then runs its exporters."""

    def __init__(self, estimator, eval_spec: EvalSpec, max_training_steps):
        self._estimator = estimator
        self._eval_spec = eval_spec
        self._max_training_steps = max_training_steps

    def evaluate_and_export(self):
        checkpoint = self._estimator.latest_checkpoint()
        metrics = self._estimator.evaluate(input_fn=self._eval_spec.input_fn, steps=self._eval_spec.steps,
                                           name=self._eval_spec.name, checkpoint_path=checkpoint,
                                           hooks=list(self._eval_spec.hooks))
        is_the_final_export = bool(self._max_training_steps) and metrics["global_step"] >= self._max_training_steps
        export_dir_base = os.path.join(self._estimator.model_dir, "export")
        export_results = [
            exporter.export(estimator=self._estimator, export_path=os.path.join(export_dir_base, exporter.name),
                            checkpoint_path=checkpoint, eval_result=metrics, is_the_final_export=is_the_final_export)
            for exporter in self._eval_spec.exporters]
        return metrics, export_results
