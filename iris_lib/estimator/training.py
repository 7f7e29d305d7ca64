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
import signal
import threading
import time

import tensorflow as tf

from iris_lib import quiet
from iris_lib.estimator import checkpoint_state
from iris_lib.estimator.exporter import Exporter
from iris_lib.estimator.hooks.hook_runner import check_hooks
from iris_lib.estimator.run_config import TaskType

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
    if config.cluster_spec or config.task_type == TaskType.EVALUATOR:
        return _run_task(estimator, train_spec, eval_spec)
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

    def evaluate_new_checkpoint(self):
        """(metrics, exports) of the newest checkpoint, or (None, []) when there is none or it was evaluated.

        On a cluster the chief writes while this reads: a first checkpoint whose `checkpoint` file is not
        written yet is "not trained yet"; one rotated away between reading and restoring is skipped for the
        next, newer one; one being saved again in place (a restarted chief saves the step it restored) is
        evaluated once its save is complete. The real evaluator failed on all three."""
        try:
            checkpoint = self._estimator.latest_checkpoint()
        except checkpoint_state.DamagedCheckpointError:
            named = checkpoint_state.named_latest(self._estimator.model_dir)
            if named is None:
                checkpoint = None  # the chief is writing its first checkpoint
            elif checkpoint_state.being_saved(named) or not checkpoint_state.checkpoint_problem(named):
                return self._skip_until_saved_again(named)  # under way, or complete since the look that failed
            else:
                raise
        if not checkpoint:
            logger.warning("Estimator is not trained yet. Will start an evaluation when a checkpoint is ready.")
            return None, []
        if checkpoint == getattr(self, "_previous_checkpoint", None):
            logger.warning("No new checkpoint ready for evaluation. Skip the current evaluation pass as evaluation "
                           "results are expected to be same for the same checkpoint.")
            return None, []
        self._previous_checkpoint = checkpoint
        files = checkpoint_state.files_signature(checkpoint)
        try:
            return self.evaluate_and_export(checkpoint)
        except (checkpoint_state.DamagedCheckpointError, tf.errors.OpError):
            saved_again = checkpoint_state.files_signature(checkpoint) not in (files, None)
            if saved_again or checkpoint_state.being_saved(checkpoint):
                self._previous_checkpoint = None
                return self._skip_until_saved_again(checkpoint)
            if os.path.isfile(checkpoint + ".index"):
                raise
            logger.warning("Checkpoint %s was rotated away before it was evaluated; evaluating a newer one.",
                           checkpoint)
            return None, []

    @staticmethod
    def _skip_until_saved_again(checkpoint):
        logger.warning("Checkpoint %s is being saved again (by a restarted chief); evaluating it once the save is "
                       "complete.", checkpoint)
        return None, []

    def evaluate_and_export(self, checkpoint=None):
        checkpoint = checkpoint or self._estimator.latest_checkpoint()
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


# ----- one task of a cluster (the real _TrainingExecutor.run_<task type>) ----------------------------------

_DELAY_SECS_PER_WORKER = 5  # as the real one: spreads the workers' first updates of a fresh model
_MAX_DELAY_SECS = 60


def _run_task(estimator, train_spec: TrainSpec, eval_spec: EvalSpec):
    config = estimator.config
    if not config.task_type:
        raise ValueError("`estimator.config` must have task_type set. This usually means TF_CONFIG environment is "
                         "not set correctly.")
    if config.task_type == "local":
        raise ValueError("`task.type` in TF_CONFIG cannot be `local`. Leaving `cluster` and `task` properties in "
                         "TF_CONFIG absent triggers train and evaluate `Estimator` locally (non-distributed).")
    if config.task_type == TaskType.EVALUATOR and config.task_id > 0:
        raise ValueError("For distributed training, there can only be one `evaluator` task (with task id 0).  "
                         f"Given task id {config.task_id}")
    run = {TaskType.CHIEF: _run_trainer, TaskType.WORKER: _run_trainer, TaskType.MASTER: _run_master,
           TaskType.PS: _run_ps, TaskType.EVALUATOR: _run_evaluator}.get(config.task_type)
    if run is None:
        raise ValueError(f"Task type {config.task_type} is not supported. Supported task types are "
                         f"{sorted([TaskType.CHIEF, TaskType.WORKER, TaskType.MASTER, TaskType.PS, TaskType.EVALUATOR])}")
    logger.info("Running %s %d of the cluster %s.", config.task_type, config.task_id, config.cluster_spec.as_dict())
    run(estimator, train_spec, eval_spec)
    return None


def _start_std_server(config):
    """This task's gRPC server, as the real `_start_std_server` (none in a cluster of one trainer)."""
    if not config.cluster_spec or not config.task_type or config.task_id is None:
        raise RuntimeError("Could not start server; be sure to specify cluster_spec, task_type, and task in "
                           "RunConfig or set the TF_CONFIG environment variable.")
    if not config.master:
        jobs = config.cluster_spec.jobs
        if len(jobs) == 1 and len(config.cluster_spec.job_tasks(jobs[0])) == 1 and config.task_type in (
                TaskType.CHIEF, TaskType.WORKER, TaskType.MASTER):
            logger.info("Skip starting Tensorflow server as there is only one node in the cluster.")
            return None
        raise RuntimeError("Could not start server; be sure to specify master in RunConfig or set the TF_CONFIG "
                           "environment variable.")
    logger.info("Start Tensorflow server.")
    session_config = v1.ConfigProto(log_device_placement=False)
    if config.session_config is not None:
        session_config.gpu_options.CopyFrom(config.session_config.gpu_options)
    server = tf.distribute.Server(config.cluster_spec, job_name=config.task_type, task_index=config.task_id,
                                  config=session_config, start=False, protocol=config.protocol)
    server.start()
    return server


def _start_distributed_training(estimator, train_spec: TrainSpec, saving_listeners=()):
    config = estimator.config
    _start_std_server(config)  # before the delay: the other tasks' sessions need this server
    delay = 0
    if config.task_type == TaskType.WORKER:
        most = _MAX_DELAY_SECS if config.experimental_max_worker_delay_secs is None else int(
            config.experimental_max_worker_delay_secs)
        delay = min(most, (config.task_id + 1) * _DELAY_SECS_PER_WORKER)
    if delay > 0:
        logger.info("Waiting %d secs before starting training.", delay)
        time.sleep(delay)
    estimator.train(input_fn=train_spec.input_fn, max_steps=train_spec.max_steps, hooks=list(train_spec.hooks),
                    saving_listeners=list(train_spec.saving_listeners) + list(saving_listeners))


def _run_trainer(estimator, train_spec, eval_spec):
    _start_distributed_training(estimator, train_spec)


def _run_master(estimator, train_spec, eval_spec):
    """The legacy chief, called `master`, also evaluates after its checkpoints (as the real run_master)."""
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    _start_distributed_training(estimator, train_spec,
                                [_NewCheckpointListenerForEvaluate(evaluator, eval_spec.throttle_secs)])


def _run_ps(estimator, train_spec, eval_spec):
    """Serve the variables until SIGTERM or Ctrl-C, then return: the real one's `server.join()` ignored
    Ctrl-C and died of SIGTERM without returning."""
    server = _start_std_server(estimator.config)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("Parameter server %d stops.", estimator.config.task_id)
    del server


def _run_evaluator(estimator, train_spec, eval_spec):
    """Evaluate each new checkpoint, at most every throttle_secs, until one has reached max_steps."""
    if eval_spec.start_delay_secs:
        logger.info("Waiting %f secs before starting eval.", eval_spec.start_delay_secs)
        time.sleep(eval_spec.start_delay_secs)
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    while True:
        started = time.time()
        metrics, _ = evaluator.evaluate_new_checkpoint()
        if metrics is not None and train_spec.max_steps and metrics["global_step"] >= train_spec.max_steps:
            logger.info("Exiting evaluation, global_step=%s >= train max_steps=%s", metrics["global_step"],
                        train_spec.max_steps)
            return
        remaining = eval_spec.throttle_secs - (time.time() - started)
        if remaining > 0:
            logger.info("Waiting %f secs before starting next eval run.", remaining)
            time.sleep(remaining)
        elif metrics is None:  # nothing new: do not spin (the real one warned and spun)
            time.sleep(1)
