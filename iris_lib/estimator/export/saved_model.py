"""Writing an Estimator's SavedModel: what the real `Estimator._export_all_saved_models` did.

A fresh graph per exported mode: the receiver fn's placeholders, the model_fn in that mode, the checkpoint
restored into a session, then `tf.compat.v1.saved_model.Builder` writes a TF1 SavedModel (`saved_model.pb`,
`variables/`, `assets/`) into `export_dir_base/temp-<timestamp>`, renamed to `export_dir_base/<timestamp>`
once complete, so a serving system watching the base directory never sees a half-written model. The
signatures come from TensorFlow's own `build_all_signature_defs`, as in the real engine. It lives here,
not in `estimator.py`, to keep the Estimator's file about training, evaluation and prediction.
"""
from __future__ import annotations

import os
from typing import Callable

import tensorflow as tf

from iris_lib.estimator.export import export_lib
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1


def export_all_saved_models(estimator, export_dir_base, input_receiver_fn_map: dict, assets_extra=None,
                            as_text: bool = False, checkpoint_path=None, strip_default_attrs: bool = True,
                            check_checkpoint: Callable | None = None):
    """One SavedModel holding a MetaGraphDef per mode in `input_receiver_fn_map`; returns its path (bytes).

    The variables are saved once, from the first of TRAIN, EVAL, PREDICT that is exported.
    """
    unknown = set(input_receiver_fn_map) - {ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT}
    if unknown:
        raise ValueError(f"Unknown mode(s) {sorted(unknown)} to export: use ModeKeys.PREDICT, EVAL or TRAIN")
    checkpoint_path = checkpoint_path or estimator.latest_checkpoint() or _warm_start_checkpoint(estimator)
    if not checkpoint_path:
        raise ValueError(f"Couldn't find trained model at {estimator.model_dir}. Train it first "
                         "(export writes the weights of a checkpoint), or pass checkpoint_path=.")
    export_dir = export_lib.get_timestamped_export_dir(export_dir_base)
    temp_export_dir = export_lib.get_temp_export_dir(export_dir)
    builder = v1.saved_model.Builder(temp_export_dir)
    save_variables = True
    for mode in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
        if input_receiver_fn_map.get(mode):
            _add_meta_graph_for_mode(estimator, builder, input_receiver_fn_map[mode], checkpoint_path,
                                     save_variables, mode, strip_default_attrs, check_checkpoint)
            save_variables = False
    if save_variables:
        raise ValueError(f"No valid modes for exporting found. Got {list(input_receiver_fn_map)}.")
    builder.save(as_text)
    for destination, source in (assets_extra or {}).items():
        target = os.path.join(tf.compat.as_bytes(temp_export_dir), b"assets.extra", tf.compat.as_bytes(destination))
        tf.io.gfile.makedirs(os.path.dirname(target))
        tf.io.gfile.copy(source, target)
    tf.io.gfile.rename(temp_export_dir, export_dir)
    return export_dir


def _add_meta_graph_for_mode(estimator, builder, input_receiver_fn, checkpoint_path, save_variables: bool,
                             mode: str, strip_default_attrs: bool, check_checkpoint: Callable | None) -> None:
    with tf.Graph().as_default() as graph:
        v1.train.create_global_step(graph)
        v1.random.set_random_seed(estimator.config.tf_random_seed)
        receiver = input_receiver_fn()
        if not hasattr(receiver, "features") or not hasattr(receiver, "receiver_tensors"):
            raise TypeError(
                f"the serving_input_receiver_fn must return a ServingInputReceiver (or TensorServingInputReceiver), "
                f"got {type(receiver).__name__}: see tf.estimator.export.build_raw_serving_input_receiver_fn"
            )
        spec = estimator._call_model_fn(receiver.features, getattr(receiver, "labels", None), mode)
        export_outputs = export_lib.export_outputs_for_mode(
            mode=spec.mode, serving_export_outputs=spec.export_outputs, predictions=spec.predictions,
            loss=spec.loss, metrics=spec.eval_metric_ops)
        signature_def_map = export_lib.build_all_signature_defs(
            receiver.receiver_tensors, export_outputs, getattr(receiver, "receiver_tensors_alternatives", None),
            serving_only=(mode == ModeKeys.PREDICT))
        scaffold = getattr(spec, "scaffold", None)
        local_init_op = getattr(scaffold, "local_init_op", None) or v1.train.Scaffold.default_local_init_op()
        saver = getattr(scaffold, "saver", None) or v1.train.Saver(sharded=True)
        if check_checkpoint is not None:
            check_checkpoint(checkpoint_path, graph, estimator.model_dir, saver)
        with v1.Session(graph=graph) as session:
            try:
                saver.restore(session, checkpoint_path)
            except tf.errors.NotFoundError as error:
                raise ValueError(
                    "Could not load all requested variables from checkpoint. Please make sure your model_fn does "
                    "not expect variables that were not saved in the checkpoint.\n\nEncountered error with mode "
                    f"`{mode}` while restoring checkpoint from: `{checkpoint_path}`. Full Traceback:\n\n{error}"
                ) from error
            builder._add_train_op(spec.train_op)  # noqa: SLF001  (the real Estimator does the same)
            kwargs = dict(tags=export_lib.EXPORT_TAG_MAP[mode], signature_def_map=signature_def_map,
                          assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                          main_op=local_init_op, saver=saver, strip_default_attrs=strip_default_attrs)
            if save_variables:
                builder.add_meta_graph_and_variables(session, **kwargs)
            else:
                builder.add_meta_graph(**kwargs)


def _warm_start_checkpoint(estimator):
    """Without a checkpoint of its own, the real Estimator exports the warm-start checkpoint."""
    settings = getattr(estimator, "_warm_start_settings", None)
    path = getattr(settings, "ckpt_to_initialize_from", None)
    if path and tf.io.gfile.isdir(path):
        path = tf.train.latest_checkpoint(path)
    return path
