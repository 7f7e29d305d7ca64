"""Warm starts: begin a new model from the weights of another checkpoint (`Estimator(warm_start_from=...)`).

As in the real Estimator, `warm_start_from` is a checkpoint path, a model_dir, a SavedModel directory, or a
`WarmStartSettings`; it is applied only when model_dir holds no checkpoint yet (afterwards training resumes
from model_dir as usual), through TensorFlow's own `tf.compat.v1.train.warm_start`. It is the honest answer
to "I changed hidden_units and my model_dir refuses the checkpoint": start a NEW model_dir, warm-started
from the old one with `vars_to_warm_start` naming the layers that still fit, e.g.

    settings = WarmStartSettings(old_model_dir, vars_to_warm_start="dense/.*")   # a regex, or a list of names
    Estimator(model_fn, model_dir=new_model_dir, params=new_params, warm_start_from=settings)

When a variable does not fit, the error lists the variables that would (a deliberate addition).
"""
from __future__ import annotations

import collections
import os

import tensorflow as tf

from iris_lib import quiet

v1 = tf.compat.v1
logger = quiet.logger


class WarmStartSettings(collections.namedtuple("WarmStartSettings", [
        "ckpt_to_initialize_from", "vars_to_warm_start", "var_name_to_vocab_info", "var_name_to_prev_var_name"])):
    """The real `tf.estimator.WarmStartSettings`: where to warm-start from and which variables.

    `vars_to_warm_start`: a regex (default ".*": every trainable variable), a list of variable names or
    regexes (then any variable, trainable or not, can be named), or None (embeddings only, as the real one).
    """

    def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
                var_name_to_prev_var_name=None):
        if not ckpt_to_initialize_from:
            raise ValueError("WarmStartSettings: ckpt_to_initialize_from must be a checkpoint path or a model_dir")
        return super().__new__(cls, os.fspath(ckpt_to_initialize_from), vars_to_warm_start,
                               var_name_to_vocab_info or {}, var_name_to_prev_var_name or {})


def settings_from(warm_start_from) -> WarmStartSettings | None:
    """`Estimator(warm_start_from=...)` as the real `_get_default_warm_start_settings`."""
    if warm_start_from is None:
        return None
    if isinstance(warm_start_from, WarmStartSettings):
        return warm_start_from
    if isinstance(warm_start_from, (str, bytes, os.PathLike)):
        path = os.fsdecode(warm_start_from)
        saved_model_variables = os.path.join(path, "variables", "variables")
        if os.path.exists(saved_model_variables + ".index"):
            logger.info("Warm-starting from a SavedModel")
            return WarmStartSettings(saved_model_variables)
        return WarmStartSettings(path)
    raise ValueError(f"warm_start_from must be a string or a WarmStartSettings, instead got {type(warm_start_from)}")


def warm_start(settings: WarmStartSettings) -> None:
    """Make the variables of the default graph start from the checkpoint (before their initializer runs)."""
    logger.info("Warm-starting with WarmStartSettings: %s", settings)
    checkpoint = settings.ckpt_to_initialize_from
    if os.path.isdir(checkpoint) and tf.train.latest_checkpoint(checkpoint) is None:
        raise ValueError(f"warm_start_from={checkpoint!r} is a directory without a checkpoint: train that model "
                         "first, or name a checkpoint file prefix such as .../model.ckpt-1000")
    try:
        v1.train.warm_start(*settings)
    except ValueError as error:
        if "doesn't match with shape" not in str(error):
            raise
        raise ValueError(f"{error}\nVariables of this model that do fit the checkpoint: "
                         f"{fitting_variables(checkpoint)}. Pass those as "
                         "WarmStartSettings(..., vars_to_warm_start=[...]) to warm-start only them.") from error


def fitting_variables(checkpoint: str) -> list[str]:
    """Trainable variables of the default graph whose name and shape are also in `checkpoint`."""
    stored = dict(tf.train.list_variables(checkpoint))
    return [v.op.name for v in v1.trainable_variables()
            if v.op.name in stored and list(stored[v.op.name]) == v.shape.as_list()]


VocabInfo = v1.train.VocabInfo  # TensorFlow's own: how to remap an embedding's rows to a new vocabulary
