"""Early-stopping hooks (`tf.estimator.experimental.stop_if_*`), as the real `early_stopping.py`.

Each hook reads the evaluation results that `evaluate()` wrote as event files into `estimator.eval_dir()`
(every `run_every_secs`, default 60 s, or every `run_every_steps`) and requests a stop when the rule
holds; used in `TrainSpec.hooks` of `train_and_evaluate`, training stops at that step (with a checkpoint),
then the final evaluation runs. As the real one, the hook sets a variable `signal_early_stopping/STOP` in
the graph, which is then part of the checkpoints (the real one used it to tell other workers).
"""
from __future__ import annotations

import collections
import glob
import operator
import os

import tensorflow as tf

from iris_lib import quiet
from iris_lib.estimator.hooks.session_run_hook import SessionRunArgs, SessionRunHook

logger = quiet.logger
v1 = tf.compat.v1
_EVENT_FILE_GLOB_PATTERN = "events.out.tfevents.*"


def make_early_stopping_hook(estimator, should_stop_fn, run_every_secs=60, run_every_steps=None):
    """A hook that stops training when `should_stop_fn()` returns True (checked every secs or steps)."""
    from iris_lib.estimator.estimator import Estimator

    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: {type(estimator)}")
    if run_every_secs is not None and run_every_steps is not None:
        raise ValueError("Only one of `run_every_secs` and `run_every_steps` must be set.")
    return _StopOnPredicateHook(should_stop_fn, run_every_secs, run_every_steps)


def stop_if_higher_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                        run_every_steps=None):
    """Stop once an evaluation's `metric_name` is above `threshold`."""
    return _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, True, eval_dir, min_steps,
                                           run_every_secs, run_every_steps)


def stop_if_lower_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                       run_every_steps=None):
    """Stop once an evaluation's `metric_name` is below `threshold`."""
    return _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, False, eval_dir, min_steps,
                                           run_every_secs, run_every_steps)


def stop_if_no_increase_hook(estimator, metric_name, max_steps_without_increase, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """Stop when `metric_name` has not increased for `max_steps_without_increase` training steps."""
    return _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_increase, True, eval_dir,
                                               min_steps, run_every_secs, run_every_steps)


def stop_if_no_decrease_hook(estimator, metric_name, max_steps_without_decrease, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """Stop when `metric_name` has not decreased for `max_steps_without_decrease` training steps."""
    return _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_decrease, False, eval_dir,
                                               min_steps, run_every_secs, run_every_steps)


def read_eval_metrics(eval_dir: str) -> "collections.OrderedDict[int, dict]":
    """{global_step: {metric: value}} from the event files in `eval_dir`, by step."""
    metrics_by_step = collections.defaultdict(dict)
    for event in _summaries(eval_dir):
        if not event.HasField("summary"):
            continue
        metrics = {value.tag: value.simple_value for value in event.summary.value if value.HasField("simple_value")}
        if metrics:
            metrics_by_step[event.step].update(metrics)
    return collections.OrderedDict(sorted(metrics_by_step.items()))


def _summaries(eval_dir: str):
    if not os.path.isdir(eval_dir):
        return
    for event_file in sorted(glob.glob(os.path.join(glob.escape(eval_dir), _EVENT_FILE_GLOB_PATTERN))):
        try:
            yield from v1.train.summary_iterator(event_file)
        except tf.errors.DataLossError as error:
            logger.warning("Skipping rest of the file due to encountering data corruption error; file path: %s; "
                           "original error raised by `tf.train.summary_iterator`: %s", event_file, error)


def _metric(metrics: dict, metric_name: str, step: int, eval_dir: str):
    if metric_name not in metrics:  # the real one raised a bare KeyError
        raise KeyError(f"Early stopping watches the metric {metric_name!r}, but the evaluation at step {step} in "
                       f"{eval_dir} has only {sorted(metrics)}: use one of those names")
    return metrics[metric_name]


def _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, higher_is_better, eval_dir, min_steps,
                                    run_every_secs, run_every_steps):
    eval_dir = eval_dir if eval_dir is not None else estimator.eval_dir()
    is_lhs_better = operator.gt if higher_is_better else operator.lt
    greater_or_lesser = "greater than" if higher_is_better else "less than"

    def stop_if_threshold_crossed_fn():
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = _metric(metrics, metric_name, step, eval_dir)
            if is_lhs_better(value, threshold):
                logger.info('At step %s, metric "%s" has value %s which is %s the configured threshold (%s) for '
                            "early stopping.", step, metric_name, value, greater_or_lesser, threshold)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_threshold_crossed_fn, run_every_secs, run_every_steps)


def _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_improvement, higher_is_better,
                                        eval_dir, min_steps, run_every_secs, run_every_steps):
    eval_dir = eval_dir if eval_dir is not None else estimator.eval_dir()
    is_lhs_better = operator.gt if higher_is_better else operator.lt
    increase_or_decrease = "increase" if higher_is_better else "decrease"

    def stop_if_no_metric_improvement_fn():
        best_value = best_step = None
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = _metric(metrics, metric_name, step, eval_dir)
            if best_value is None or is_lhs_better(value, best_value):
                best_value, best_step = value, step
            if step - best_step >= max_steps_without_improvement:
                logger.info('No %s in metric "%s" for %s steps, which is greater than or equal to max steps (%s) '
                            "configured for early stopping.", increase_or_decrease, metric_name, step - best_step,
                            max_steps_without_improvement)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_no_metric_improvement_fn, run_every_secs, run_every_steps)


def _get_or_create_stop_var():
    with v1.variable_scope(name_or_scope="signal_early_stopping", values=[], reuse=v1.AUTO_REUSE):
        return v1.get_variable(name="STOP", shape=[], dtype=tf.bool, initializer=v1.initializers.constant(False),
                               collections=[v1.GraphKeys.GLOBAL_VARIABLES], trainable=False)


class _StopOnPredicateHook(SessionRunHook):
    """Requests a stop when `should_stop_fn` returns True (the real one's chief hook)."""

    def __init__(self, should_stop_fn, run_every_secs=60, run_every_steps=None):
        if not callable(should_stop_fn):
            raise TypeError("`should_stop_fn` must be callable.")
        self._should_stop_fn = should_stop_fn
        self._timer = v1.train.SecondOrStepTimer(every_secs=run_every_secs, every_steps=run_every_steps)
        self._global_step_tensor = self._stop_var = self._stop_op = None

    def begin(self):
        self._global_step_tensor = v1.train.get_global_step()
        self._stop_var = _get_or_create_stop_var()
        self._stop_op = v1.assign(self._stop_var, True)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        global_step = run_values.results
        if self._timer.should_trigger_for_step(global_step):
            self._timer.update_last_triggered_step(global_step)
            if self._should_stop_fn():
                logger.info("Requesting early stopping at global step %d", global_step)
                run_context.session.run(self._stop_op)
                run_context.request_stop()
