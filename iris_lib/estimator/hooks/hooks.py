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

`InMemoryEvaluatorHook` (`tf.estimator.experimental`) evaluates during `train()`, in the training process,
every `every_n_iter` steps, with the training variables' current values (no checkpoint), as the real one.
"""
from __future__ import annotations

import os
import threading

import tensorflow as tf

from iris_lib.estimator.hooks.session_run_hook import SessionRunHook
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1


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


class InMemoryEvaluatorHook(SessionRunHook):
    """Hook to run evaluation in training without a checkpoint (`tf.estimator.experimental`).

    Example:

        evaluator = tf.estimator.experimental.InMemoryEvaluatorHook(estimator, eval_input_fn, every_n_iter=100)
        estimator.train(train_input_fn, hooks=[evaluator])

    As the real one: the evaluation graph (the estimator's `input_fn` and `model_fn` in EVAL mode) is built
    once, in `begin`; the model is evaluated when the training session is created (before the first step),
    every `every_n_iter` training steps, and at the end, each time with the training variables' current
    values copied into a new evaluation session. Each evaluation's metrics (and `global_step`, the training
    step) are logged and written to `estimator.eval_dir(name)`'s event file, as `evaluate()` writes them,
    without a `checkpoint_path` entry (no checkpoint was read).

    Its limits are the real one's: a single machine only, global variables only (no other saveable
    objects), and no custom saver or `init_fn` in the model_fn's Scaffold.
    """

    def __init__(self, estimator, input_fn, steps=None, hooks=None, name=None, every_n_iter=100):
        """Args: `estimator` (the `Estimator` whose model_fn evaluates), `input_fn`, `steps`, `hooks` and
        `name` as for `estimator.evaluate`, and `every_n_iter`, the training steps between evaluations.

        Raises:
          ValueError: if `every_n_iter` is non-positive, if training is not on a single machine, or if
            `steps` is non-positive. TypeError: if a hook is not a SessionRunHook.
        """
        if every_n_iter is None or every_n_iter <= 0:
            raise ValueError("invalid every_n_iter=%s." % every_n_iter)
        if estimator.config.num_ps_replicas > 0 or estimator.config.num_worker_replicas > 1:
            raise ValueError("InMemoryEvaluator supports only single machine (aka Local) setting.")
        self._estimator = estimator
        self._input_fn = input_fn
        self._steps = steps
        self._name = name
        self._every_n_iter = every_n_iter
        self._eval_dir = os.path.join(self._estimator.model_dir, "eval" if not name else "eval_" + name)

        self._graph = None
        self._hooks = list(hooks or [])
        for hook in self._hooks:  # the real `_check_hooks_type`, with its message
            if not isinstance(hook, SessionRunHook):
                raise TypeError("Hooks must be a SessionRunHook, given: {}".format(hook))
        if steps is not None and steps <= 0:  # the real `_convert_eval_steps_to_hooks`
            raise ValueError("Must specify steps > 0, given: {}".format(steps))
        self._timer = v1.train.SecondOrStepTimer(every_steps=every_n_iter)

    def begin(self):
        """Build the eval graph, and the placeholders the training variables' values are fed through."""
        from iris_lib.estimator import estimator as engine  # (the engine imports the hooks)

        self._timer.reset()
        self._iter_count = 0
        built = self._estimator._build(self._input_fn, ModeKeys.EVAL)  # noqa: SLF001 (a new graph)
        self._graph = built.graph
        self._input_initializers = built.input_initializers  # run in each evaluation's session, as its input hook
        with self._graph.as_default():
            scaffold = built.spec.scaffold
            if scaffold is not None and scaffold.saver is not None:
                raise ValueError("InMemoryEvaluator does not support custom saver")
            if scaffold is not None and scaffold.init_fn is not None:
                raise ValueError("InMemoryEvaluator does not support custom init_fn")
            self._eval_dict, self._update_op = engine._metric_ops(built.spec)  # noqa: SLF001
            self._eval_dict[v1.GraphKeys.GLOBAL_STEP] = built.global_step
            self._all_hooks = self._hooks + list(built.spec.evaluation_hooks)
            global_variables = v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
            self._var_name_to_eval_var = {v.name: v for v in global_variables}
            self._var_name_to_placeholder = {v.name: v1.placeholder(v.dtype) for v in global_variables}
        self._init_ops = None

    def after_create_session(self, session, coord):  # pylint: disable=unused-argument
        """Does first run which shows the eval metrics before training."""
        if v1.get_collection(v1.GraphKeys.SAVEABLE_OBJECTS):
            raise ValueError("InMemoryEvaluator does not support saveables other than global variables.")
        train_vars = {v.name: v for v in v1.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
        names = set(self._var_name_to_placeholder) & set(train_vars)  # the variables both graphs have
        self._var_name_to_train_var = {name: train_vars[name] for name in names}
        self._var_name_to_eval_var = {name: self._var_name_to_eval_var[name] for name in names}
        with self._graph.as_default():
            self._var_feed_op = tf.group([v1.assign(self._var_name_to_eval_var[name],
                                                    self._var_name_to_placeholder[name]) for name in names])
        self._evaluate(session)

    def _evaluate(self, train_session):
        from iris_lib.estimator import estimator as engine
        from iris_lib.estimator.hooks.hook_runner import HookRunner  # (it imports this module)

        var_name_to_value = train_session.run(self._var_name_to_train_var)
        placeholder_to_value = {self._var_name_to_placeholder[name]: value
                                for name, value in var_name_to_value.items()}
        with self._graph.as_default():
            hooked = HookRunner(self._all_hooks)
            hooked.begin()  # each evaluation, as the real one's MonitoredSession
            if self._init_ops is None:  # the Scaffold's, made once; then the graph is finalized
                self._init_ops = (v1.global_variables_initializer(),
                                  v1.group(v1.local_variables_initializer(), v1.tables_initializer()))
                self._graph.finalize()
            init_op, local_init_op = self._init_ops
            with engine._session(self._graph, self._estimator.config.session_config) as session:  # noqa: SLF001
                session.run(init_op)
                session.run(local_init_op)
                session.run(self._var_feed_op, feed_dict=placeholder_to_value)  # the real init_fn
                session.run(self._input_initializers)
                hooked.after_create_session(session)
                done = 0
                while self._steps is None or done < self._steps:
                    try:
                        ran = hooked.run(session, self._update_op)
                    except tf.errors.OutOfRangeError:
                        break
                    done += 1
                    hooked.after_run(ran)
                    if ran.context.stop_requested:
                        break
                if done == 0:
                    raise ValueError(
                        "InMemoryEvaluatorHook: input_fn yielded no data, so there is nothing to measure (the real "
                        "one reported loss 0.0 and accuracy 0.0). Check that the features and labels passed to "
                        "input_fn are not empty.")
                hooked.end(session)
                results = session.run(self._eval_dict)
            results["global_step"] = int(results.pop(v1.GraphKeys.GLOBAL_STEP))
            self._estimator._report_evaluation(results, self._name, None, self._graph)  # noqa: SLF001
        self._timer.update_last_triggered_step(self._iter_count)

    def after_run(self, run_context, run_values):  # pylint: disable=unused-argument
        """Runs evaluator."""
        self._iter_count += 1
        if self._timer.should_trigger_for_step(self._iter_count):
            self._evaluate(run_context.session)

    def end(self, session):  # pylint: disable=unused-argument
        """Runs evaluator for final model."""
        self._evaluate(session)
