"""`evaluate_and_predict`: `Estimator.evaluate` and `Estimator.predict` in one graph and one session.

Why it exists: every Estimator call builds a new graph, opens a session and restores the checkpoint,
and for a small model that costs far more than the computation (the book's 4-10-10-3 network: about
0.1 s per call, of which running the data through the network is about a tenth). An interactive app
that shows the test metrics and some predictions after each training run (the book's live explorer)
would pay it twice; this pays it once. The real tf.estimator has no such call: an addition, not a change.

What it promises: the metrics are those `evaluate(eval_input_fn, name=name)` returns (same ops, same
checkpoint; tested equal), the evaluation's event file is written as `evaluate` writes it (TensorBoard's
evaluation point, then the evaluated checkpoint's path; a new file starts with this call's graph), and
the predictions are those `predict(predict_input_fn, predict_keys)` yields, every batch joined along the
first axis. How: the model_fn is called twice in one graph, in EVAL mode on the
evaluation input and then, with the same variables reused, in PREDICT mode on the prediction input, so
it must create the same variables in both modes (the guide's model_fns do); one that does not gets a
ValueError saying to call evaluate() and predict() separately. Hooks are not taken (no `hooks=`, and a
model_fn returning evaluation_hooks or prediction_hooks is refused), nor `steps` (one full pass): use
the two calls for those. Unlike evaluate(), a model_dir without a checkpoint is refused (as predict()
refuses it). Random ops in PREDICT mode (none in an ordinary classifier) get other op seeds than in a
graph of their own, since the graph-level seed numbers ops in creation order.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from iris_lib.estimator import estimator as _engine
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1


def evaluate_and_predict(estimator: _engine.Estimator, eval_input_fn: Callable, predict_input_fn: Callable,
                         predict_keys: list[str] | None = None, name: str | None = None,
                         checkpoint_path: str | None = None) -> tuple[dict, dict | np.ndarray]:
    """(metrics, predictions) from the latest (or the given) checkpoint, with one graph and one session.

    `metrics` is what `estimator.evaluate(eval_input_fn, name=name)` returns; `predictions` is a dict
    {key: array with one row per example} (or one array when the model_fn's predictions are a single
    tensor), the rows of every batch of `predict_input_fn` in order.
    """
    _engine._check_eval_name(name)
    if checkpoint_path is None and estimator.latest_checkpoint() is None:
        raise ValueError(f"Could not find trained model in model_dir: {estimator.model_dir}. Train it first.")
    graph = tf.Graph()
    with graph.as_default():
        if estimator.config.tf_random_seed is not None:
            v1.set_random_seed(estimator.config.tf_random_seed)
        global_step = v1.train.get_or_create_global_step()
        root = v1.get_variable_scope()
        # Entering the root scope by object and leaving it restores its count of sub-scopes, so the second
        # model_fn call names its layers as the first did (dense, dense_1, ...) and, with reuse=True, gets
        # the same variables instead of new ones (dense_3, ...).
        with v1.variable_scope(root):
            features, labels, eval_initializers = estimator._call_input_fn(eval_input_fn, ModeKeys.EVAL)
            spec = estimator._call_model_fn(features, labels, ModeKeys.EVAL)
        variables = list(v1.global_variables())
        try:
            with v1.variable_scope(root, reuse=True):
                predict_features, _, predict_initializers = estimator._call_input_fn(predict_input_fn,
                                                                                     ModeKeys.PREDICT)
                predict_spec = estimator._call_model_fn(predict_features, None, ModeKeys.PREDICT)
        except ValueError as error:
            if "does not exist" not in str(error) and "Trying to share variable" not in str(error):
                raise
            raise ValueError(_different_variables(str(error).splitlines()[0])) from error
        if list(v1.global_variables()) != variables:
            created = sorted(set(v.op.name for v in v1.global_variables()) - set(v.op.name for v in variables))
            raise ValueError(_different_variables(f"PREDICT mode created {created}"))
        if spec.evaluation_hooks or predict_spec.prediction_hooks:
            raise ValueError("evaluate_and_predict() runs no hooks, and the model_fn returns evaluation_hooks or "
                             "prediction_hooks: call estimator.evaluate() and estimator.predict() instead.")
        predictions = _engine._selected_predictions(predict_spec.predictions, predict_keys)
        values, update = _engine._metric_ops(spec)
    built = _engine._Built(graph=graph, spec=spec, global_step=global_step,
                           input_initializers=eval_initializers + predict_initializers)
    init_op, local_init_op = estimator._finish_graph(built)
    with _engine._session(graph, estimator.config.session_config) as session:
        estimator._restore_or_init(session, built, init_op, checkpoint_path, for_what="predict")
        session.run(local_init_op)
        session.run(built.input_initializers)
        run_update, done = session.make_callable(update), 0
        while True:
            try:
                run_update()
            except tf.errors.OutOfRangeError:
                break
            done += 1
        if done == 0:
            raise ValueError("evaluate_and_predict(): eval_input_fn yielded no data, so there is nothing to measure. "
                             "Check that the features and labels passed to it are not empty.")
        results = session.run(values)
        results["global_step"] = int(session.run(global_step))
        run_predict, batches = session.make_callable(predictions), []
        while True:
            try:
                batches.append(run_predict())
            except tf.errors.OutOfRangeError:
                break
        evaluated = checkpoint_path or estimator.latest_checkpoint()
    return estimator._report_evaluation(results, name, evaluated, graph), _joined(batches, predictions)


def _joined(batches: list, predictions):
    if isinstance(predictions, dict):
        return {key: np.concatenate([batch[key] for batch in batches]) if batches else np.zeros((0,))
                for key in predictions}
    return np.concatenate(batches) if batches else np.zeros((0,))


def _different_variables(detail: str) -> str:
    return (f"evaluate_and_predict() reuses the variables of the EVAL graph for PREDICT, but the model_fn creates "
            f"different variables in the two modes ({detail}): call estimator.evaluate() and estimator.predict() "
            "instead.")
