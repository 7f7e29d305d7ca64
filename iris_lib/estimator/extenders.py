"""`add_metrics(estimator, metric_fn)`: an Estimator whose evaluation also reports `metric_fn`'s metrics.

As the real `extenders.py`: `metric_fn` takes any of `features`, `labels`, `predictions`, `config` (by
name) and returns a dict of (value_op, update_op) pairs, like `tf.compat.v1.metrics.*`; they are added to
the model_fn's `eval_metric_ops` in EVAL mode, and a metric of the same name replaces the model's.
The new Estimator shares model_dir, config, params and warm start with the original.
"""
from __future__ import annotations

import inspect

from iris_lib.estimator.mode_keys import ModeKeys

_VALID_METRIC_FN_ARGS = {"features", "labels", "predictions", "config"}


def add_metrics(estimator, metric_fn):
    """A new Estimator: `estimator`'s model_fn, with `metric_fn`'s metrics added to its evaluation."""
    from iris_lib.estimator.estimator import Estimator

    args = set(inspect.signature(metric_fn).parameters)
    invalid = sorted(args - _VALID_METRIC_FN_ARGS)
    if invalid:
        raise ValueError(f"metric_fn ({metric_fn}) has following not expected args: {invalid}; it may take "
                         f"{sorted(_VALID_METRIC_FN_ARGS)}")

    def new_model_fn(features, labels, mode, config):
        spec = estimator._call_model_fn(features, labels, mode)  # noqa: SLF001 (passes params/config as needed)
        if mode != ModeKeys.EVAL:
            return spec
        available = {"features": features, "labels": labels, "predictions": spec.predictions, "config": config}
        new_metrics = metric_fn(**{name: available[name] for name in args})
        all_metrics = {**(spec.eval_metric_ops or {}), **new_metrics}
        return spec._replace(eval_metric_ops=all_metrics)

    return Estimator(model_fn=new_model_fn, model_dir=estimator.model_dir, config=estimator.config,
                     warm_start_from=estimator._warm_start_settings)  # noqa: SLF001
