"""`model_to_estimator`: a compiled Keras model as an Estimator (the real `.../estimator/keras_lib.py`).

As the real one, the model_fn rebuilds the model in each graph the Estimator makes (from its config, so
Sequential and functional models only), maps `features` onto the model's inputs and `labels` onto its
outputs (a dict keyed by output name for several), uses the compiled losses (each output's times its weight,
summed, plus the layers' own losses), optimizer and metrics (named `<output>_<metric>` for several outputs, as
Keras 2 named them), predicts `{output layer name: output}` with a `serving_default` PredictOutput, and starts
from the Keras model's current weights (saved to `model_dir/keras/keras_model.ckpt`, then warm-started from).
Keras 3 optimizers cannot run in a TF1 graph, so the compiled optimizer becomes a v1 optimizer doing Keras 2's
arithmetic, as the real one turned it into a Keras 2 legacy optimizer, reading its hyperparameters from
variables as Keras 2's did; one that needs what only the legacy ones have (Nadam, a learning-rate schedule,
clipping) becomes that legacy optimizer (`keras_legacy_optimizers`), as the real one converted it. The compiled
metrics become `tf.compat.v1.metrics`. Checkpoints hold the real one's keys
(`keras_checkpoint.py`), so they cross with TF 2.15's both ways.
"""
from __future__ import annotations

import inspect
import os
import tempfile

import tensorflow as tf
from keras.src.losses.losses import LossFunctionWrapper  # what Keras 3's compile wraps a loss function in

from iris_lib import quiet
from iris_lib.estimator import keras_checkpoint, keras_in_graph, keras_legacy_optimizers
from iris_lib.estimator.canned.optimizers import (HYPERPARAMETERS, AdagradV2Optimizer, AdamV2Optimizer,
                                                  FtrlV2Optimizer, MomentumV2Optimizer, RMSPropV2Optimizer,
                                                  SGDV2Optimizer)
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.export.export_output import PredictOutput
from iris_lib.estimator.mode_keys import ModeKeys
from iris_lib.estimator.model_fn import EstimatorSpec
from iris_lib.estimator.run_config import RunConfig

v1 = tf.compat.v1
keras = tf.keras
logger = quiet.logger
_SERVING_KEY = "serving_default"


def model_to_estimator(keras_model=None, keras_model_path=None, custom_objects=None, model_dir=None, config=None,
                       checkpoint_format="checkpoint", metric_names_map=None, export_outputs=None) -> Estimator:
    """An Estimator that trains, evaluates, predicts and exports `keras_model` (compiled), as the real one."""
    if not (keras_model or keras_model_path):
        raise ValueError("Either `keras_model` or `keras_model_path` needs to be provided.")
    if keras_model and keras_model_path:
        raise ValueError("Please specity either `keras_model` or `keras_model_path`, but not both.")
    if checkpoint_format not in (None, "checkpoint", "saver"):
        raise ValueError(f'Checkpoint format must be one of "checkpoint" or "saver". Got {checkpoint_format}')
    if keras_model is None:
        logger.info("Loading models from %s", keras_model_path)
        keras_model = keras.models.load_model(keras_model_path, custom_objects=custom_objects)
    if not isinstance(keras_model, keras.Sequential) and type(keras_model).__name__ != "Functional":
        raise ValueError(f"model_to_estimator rebuilds the model from its config in each graph, which a subclassed "
                         f"model ({type(keras_model).__name__}) cannot do: make it a Sequential or functional model, "
                         "or call its layers in a model_fn of your own (Keras layers in a model_fn work)")
    if not keras_model.built:
        raise ValueError("model_to_estimator maps features onto the model's inputs, and this model has none yet: "
                         "start it with keras.Input(shape) (or give its first layer input_shape=), or call "
                         "model.build(input_shape) first")
    if not getattr(keras_model, "optimizer", None):
        raise ValueError("The given keras model has not been compiled yet. Please compile the model with "
                         "`model.compile()` before calling `model_to_estimator()`.")
    compiled = keras_model._compile_config.config  # what compile() was given
    kind, settings, make_optimizer = _v1_optimizer(keras_model.optimizer)
    output_names = _output_names(keras_model)
    by_name = _by_output_name(keras_model, output_names)
    losses = _losses(by_name(compiled["loss"]), by_name(compiled.get("loss_weights")), output_names)
    metric_makers = _v1_metrics(by_name(compiled["metrics"]) or [], metric_names_map, output_names)
    config = config if config is not None else RunConfig()
    model_dir = model_dir or config.model_dir
    if model_dir is None:
        model_dir = tempfile.mkdtemp()
        logger.warning("Using temporary folder as model directory: %s", model_dir)
    checkpoints = dict(checkpoint_format=checkpoint_format, kind=kind, settings=settings)
    warm_start_from = _save_first_checkpoint(keras_model, custom_objects, os.fspath(model_dir), config,
                                             make_optimizer, checkpoints)

    def model_fn(features, labels, mode):
        model = _rebuild(keras_model, custom_objects)
        ops_before = len(v1.get_default_graph().get_operations())
        outputs = tf.nest.flatten(model(_model_inputs(keras_model, features), training=mode == ModeKeys.TRAIN))
        predictions = dict(zip(output_names, outputs))  # keyed as Keras 2's `model.output_names`
        exports = {_SERVING_KEY: PredictOutput(predictions)}
        for key, output_class in (export_outputs or {}).items():
            if key not in predictions:
                raise KeyError(f"export_outputs names {key!r}, not an output of the model ({sorted(predictions)})")
            exports[key] = output_class(predictions[key])
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions, export_outputs=exports,
                             scaffold=_scaffold(model, None, None, **checkpoints))
        targets = _targets(labels, output_names)
        loss = None
        for (loss_fn, weight), target, output in zip(losses, targets, outputs):  # as Keras 2's total_loss
            term = loss_fn(target, output) if weight is None else weight * loss_fn(target, output)
            loss = term if loss is None else loss + term
        if model.losses:
            loss += tf.add_n(model.losses)
        metrics = {name: make(targets[index], outputs[index]) for name, (index, make) in metric_makers.items()}
        train_op = optimizer = hyperparameters = None
        if mode == ModeKeys.TRAIN:
            # The layers' state updates (a BatchNormalization's moving statistics), which Keras 2 ran with the
            # train function: Keras 3 makes them as assigns that nothing in a TF1 graph would run.
            updates = [op for op in v1.get_default_graph().get_operations()[ops_before:]
                       if op.type in ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")]
            optimizer = make_optimizer()
            minimize = optimizer.minimize(loss, global_step=v1.train.get_global_step(),
                                          var_list=[v.value for v in model.trainable_variables])
            hyperparameters = optimizer._keras_variables
            train_op = tf.group(minimize, *updates)
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op,
                             eval_metric_ops=metrics, export_outputs=exports,
                             scaffold=_scaffold(model, optimizer, hyperparameters, **checkpoints))

    return Estimator(model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


def _scaffold(model, optimizer, hyperparameters, checkpoint_format, kind, settings, by_save_weights=False):
    """A Scaffold whose Saver writes and reads the real model_fn's keys; the default one (the graph's names) for a
    model whose weights `keras_checkpoint` cannot map."""
    if not keras_checkpoint.mappable(model):
        logger.warning("model_to_estimator: this model has weights inside its layers' own layers (%s): its "
                       "checkpoints hold the graph's names and do not cross with the real Estimator's",
                       [w.path for w in model.weights if len(w.path.split("/")) != 2][:3])
        return None
    return v1.train.Scaffold(saver=keras_checkpoint.saver(model, v1.train.get_global_step(), checkpoint_format,
                                                          optimizer, kind, settings, hyperparameters,
                                                          by_save_weights))


def _rebuild(keras_model, custom_objects):
    """The model anew, in the current graph, from its config (its weights are made when it is first called)."""
    with keras.utils.custom_object_scope(custom_objects or {}):
        return type(keras_model).from_config(keras_model.get_config())


def _model_inputs(keras_model, features):
    """`features` as the model takes them: a dict keyed as its inputs, a list in their order, or one tensor."""
    if not isinstance(features, dict):
        return features
    names = [tensor._keras_history.operation.name for tensor in keras_model.inputs]
    if len(names) == 1 and len(features) == 1:  # any key: Keras 2 named a Sequential's input `<layer>_input`
        return next(iter(features.values()))
    missing = set(names) - set(features)
    if missing:
        raise KeyError(f"The dictionary passed into features does not cover requested inputs keys defined in the "
                       f"keras model.\n\tExpected keys: {set(names)}\n\tfeatures keys: {set(features)}\n\t"
                       f"Missed keys: {missing}")
    if isinstance(getattr(keras_model, "_inputs_struct", None), dict):
        return {name: features[name] for name in names}
    return [features[name] for name in names]


def _output_names(keras_model) -> list[str]:
    """The outputs' names as Keras 2's `model.output_names`: their layers' names, in the order of the flattened
    outputs (a dict's by key), which also key the predictions, the labels and the metric names."""
    return [tensor._keras_history.operation.name for tensor in keras_model.outputs]


def _by_output_name(keras_model, output_names: list[str]):
    """A function giving a compile argument keyed by the keys of the model's dict of outputs (Keras 3's way) keyed
    by output name (the layers' names, Keras 2's way); usually the two are the same."""
    struct = getattr(keras_model, "_outputs_struct", None)
    aliases = dict(zip(sorted(struct), output_names)) if isinstance(struct, dict) else {}
    return lambda given: ({aliases.get(key, key): value for key, value in given.items()}
                          if isinstance(given, dict) else given)


def _targets(labels, output_names: list[str]) -> list:
    """`labels` as one target per output, as the real one matched them: a dict by output name (it may hold
    more keys), a list or tuple in the outputs' order, or one tensor for a model with one output."""
    if isinstance(labels, dict):
        missing = set(output_names) - set(labels)
        if missing:
            raise KeyError(f"The dictionary passed into labels does not cover requested outputs keys defined in the "
                           f"keras model.\n\tExpected keys: {set(output_names)}\n\tlabels keys: {set(labels)}\n\t"
                           f"Missed keys: {missing}")
        return [labels[name] for name in output_names]
    targets = list(labels) if isinstance(labels, (list, tuple)) else [labels]
    if len(targets) != len(output_names):
        raise ValueError(f"The model has {len(output_names)} outputs ({output_names}) and the input_fn gave "
                         f"{len(targets)} labels: give the labels as a dict keyed by output name")
    return targets


def _per_output(given, output_names: list[str], what: str) -> list:
    """A compile argument given per output (a dict by output name or a list in the outputs' order) as a list in
    the outputs' order; one value for every output otherwise."""
    if isinstance(given, dict):
        unknown = set(given) - set(output_names)
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {sorted(unknown)}. Only expected following "
                             f"keys: {output_names}")
        return [given.get(name) for name in output_names]
    if isinstance(given, (list, tuple)) and len(output_names) > 1:
        if len(given) != len(output_names):
            raise ValueError(f"When passing a list as {what}, it should have one entry per model output. The model "
                             f"has {len(output_names)} outputs, but you passed {what}={given}")
        return list(given)
    return [given] * len(output_names)


def _losses(loss, loss_weights, output_names: list[str]) -> list:
    """[(the loss function averaged over the batch, its weight or None)] in the outputs' order."""
    made = []
    for given, weight in zip(_per_output(loss, output_names, "loss"),
                             _per_output(loss_weights, output_names, "loss_weights")):
        if given is None:
            raise ValueError("model_to_estimator needs a loss for every output of the model (compile(loss={output "
                             f"name: loss}})): the outputs are {output_names}")
        loss_fn = keras.losses.get(given)
        if not isinstance(loss_fn, keras.losses.Loss):  # "mse" is a per-example function: Keras 2 averaged it
            loss_fn = LossFunctionWrapper(loss_fn, name=getattr(loss_fn, "__name__", None))
        made.append((loss_fn, None if weight is None else float(weight)))
    return made


def _save_first_checkpoint(keras_model, custom_objects, model_dir: str, config: RunConfig, make_optimizer,
                           checkpoints: dict) -> str | None:
    """The Keras model's current weights as a checkpoint of the rebuilt model (the Estimator warm-starts from
    it), written once, as the real one, into model_dir/keras, with the global step, the optimizer's fresh slots
    and its hyperparameters as the real one's train function had them; None for a model without weights."""
    if not keras_model.weights:
        return None
    keras_dir = os.path.join(model_dir, "keras")
    path = os.path.join(keras_dir, "keras_model.ckpt")
    if tf.train.latest_checkpoint(keras_dir):
        return path
    os.makedirs(keras_dir, exist_ok=True)
    weights = keras_model.get_weights()  # eagerly, before the graph
    with tf.Graph().as_default() as graph, keras_in_graph.as_keras_2_did(graph):
        if config.tf_random_seed is not None:
            v1.set_random_seed(config.tf_random_seed)
        v1.train.create_global_step()
        model = _rebuild(keras_model, custom_objects)
        model([v1.placeholder(tensor.dtype, tensor.shape) for tensor in keras_model.inputs]
              if len(keras_model.inputs) > 1 else v1.placeholder(keras_model.inputs[0].dtype,
                                                                  keras_model.inputs[0].shape))
        optimizer = make_optimizer()
        with tf.name_scope(optimizer.get_name()):  # the slots and hyperparameter variables a first step makes
            optimizer._create_slots([weight.value for weight in model.trainable_weights])
            optimizer._make_keras_variables()
        hyperparameters = optimizer._keras_variables
        scaffold = _scaffold(model, optimizer, hyperparameters, **checkpoints, by_save_weights=True)
        saver = scaffold.saver if scaffold else v1.train.Saver([weight.value for weight in model.weights])
        assigns = [weight.value.assign(value) for weight, value in zip(model.weights, weights)]
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            session.run(assigns)
            saver.save(session, path)
    return path


def _v1_optimizer(optimizer):
    """(Keras 2's name for it, its settings, a function making the v1 optimizer that does what the real one's
    Keras 2 optimizer did)."""
    keras_2 = getattr(optimizer, "keras_2_optimizer", None)  # compiled with a tf.keras.optimizers.legacy one
    if keras_2 is None and _needs_keras_2(optimizer):
        keras_2 = _as_keras_2(optimizer)
    if keras_2 is not None:  # a fresh one per graph, as the real one recompiled the optimizer from its config
        return type(keras_2).__name__, keras_2.get_config(), lambda: type(keras_2).from_config(
            keras_2.get_config()).as_v1()
    settings = optimizer.get_config()
    name = type(optimizer).__name__
    unsupported = ["weight_decay"] if settings.get("weight_decay") else []  # clipping went to _as_keras_2
    if unsupported or not isinstance(settings["learning_rate"], float):
        raise ValueError(f"model_to_estimator runs the optimizer as a tf.compat.v1.train one, which has no "
                         f"{unsupported or 'learning-rate schedule'}: compile with a plain {name}")
    if name not in HYPERPARAMETERS:
        raise _no_v1_optimizer(name)
    s = settings

    def make():  # the hyperparameters as numbers: the optimizer makes Keras 2's variables of them
        if name == "SGD":
            if not s["momentum"]:
                return SGDV2Optimizer(s["learning_rate"])
            return MomentumV2Optimizer(s["learning_rate"], s["momentum"], nesterov=s["nesterov"])
        if name == "Adam":
            return AdamV2Optimizer(v1.train.get_global_step, s["learning_rate"], s["beta_1"], s["beta_2"],
                                   s["epsilon"], amsgrad=s["amsgrad"])
        if name == "Adagrad":
            return AdagradV2Optimizer(s["learning_rate"], s["initial_accumulator_value"], s["epsilon"])
        if name == "RMSprop":
            return RMSPropV2Optimizer(s["learning_rate"], s["rho"], s["momentum"], s["epsilon"], centered=s["centered"])
        return FtrlV2Optimizer(s["learning_rate"], s["learning_rate_power"], s["initial_accumulator_value"],
                               s["l1_regularization_strength"], s["l2_regularization_strength"],
                               s["l2_shrinkage_regularization_strength"], s["beta"])
    return name, settings, make


def _no_v1_optimizer(name: str) -> ValueError:
    return ValueError(f"model_to_estimator runs the optimizer as a tf.compat.v1.train one, and has none for {name}: "
                      "compile with SGD, Adam, Adagrad, RMSprop, Ftrl or Nadam")


def _needs_keras_2(optimizer) -> bool:
    """Whether the Keras 3 optimizer needs what only the Keras 2 (legacy) one does: Nadam, a learning-rate
    schedule, or clipping."""
    settings = optimizer.get_config()
    return (type(optimizer).__name__ == "Nadam" or isinstance(settings["learning_rate"], dict)
            or any(settings.get(key) for key in ("clipnorm", "clipvalue", "global_clipnorm")))


def _as_keras_2(optimizer):
    """The Keras 2 (legacy) optimizer of the same class and settings, a schedule as itself, as the real one
    converted a Keras optimizer (`convert_to_legacy_optimizer`)."""
    name = type(optimizer).__name__
    legacy = getattr(keras_legacy_optimizers, name, None)
    if name not in HYPERPARAMETERS or legacy is None:
        raise _no_v1_optimizer(name)
    settings = optimizer.get_config()
    unsupported = [key for key in ("weight_decay", "use_ema", "loss_scale_factor", "gradient_accumulation_steps")
                   if settings.get(key)]
    if unsupported:
        raise ValueError(f"model_to_estimator runs the optimizer as Keras 2's {name}, which has no {unsupported}: "
                         f"compile with a {name} without them")
    accepted = set(inspect.signature(legacy.__init__).parameters) | {"clipnorm", "clipvalue", "global_clipnorm"}
    config = {key: value for key, value in settings.items() if key in accepted and key != "name"}
    schedule = getattr(optimizer, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        config["learning_rate"] = schedule
    return legacy(**config)


def _accuracy(kind: str):
    def metric(labels, outputs):
        if kind == "binary" or (kind == "auto" and outputs.shape[-1] == 1):
            predicted = tf.cast(outputs > 0.5, tf.float32)
            return v1.metrics.accuracy(tf.reshape(tf.cast(labels, tf.float32), tf.shape(predicted)), predicted)
        if kind == "categorical" or (kind == "auto" and labels.shape.rank == outputs.shape.rank
                                     and labels.shape[-1] == outputs.shape[-1]):
            return v1.metrics.accuracy(tf.argmax(labels, -1), tf.argmax(outputs, -1))
        return v1.metrics.accuracy(tf.reshape(tf.cast(labels, tf.int64), [-1]), tf.argmax(outputs, -1))
    return metric


_METRICS = {
    "accuracy": _accuracy("auto"), "acc": _accuracy("auto"),
    "sparse_categorical_accuracy": _accuracy("sparse"), "categorical_accuracy": _accuracy("categorical"),
    "binary_accuracy": _accuracy("binary"),
    "mse": v1.metrics.mean_squared_error, "mean_squared_error": v1.metrics.mean_squared_error,
    "mae": v1.metrics.mean_absolute_error, "mean_absolute_error": v1.metrics.mean_absolute_error,
    "auc": lambda labels, outputs: v1.metrics.auc(labels, outputs),
}


def _keras_metric(metric, name: str):
    """A function(labels, outputs) -> (value, update) running a fresh copy of the Keras metric `metric` (an
    object, a name or a function) in the current graph; a metric Keras cannot make is refused now."""
    def fresh():
        if isinstance(metric, keras.metrics.Metric):
            return type(metric).from_config(metric.get_config())
        made = keras.metrics.get(metric)
        return made if isinstance(made, keras.metrics.Metric) else keras.metrics.MeanMetricWrapper(made, name=name)

    try:
        fresh()
    except (ValueError, TypeError) as error:
        raise ValueError(f"model_to_estimator cannot make the metric {name!r} ({error}): compile with Keras metrics "
                         f"(objects or names), such as {sorted(_METRICS)}") from error

    def run(labels, outputs):
        made = fresh()
        made.update_state(labels, outputs)
        return keras_in_graph.metric_ops(made)
    return run


def _v1_metrics(compiled, metric_names_map, output_names: list[str]) -> dict:
    """{name: (output index, function(labels, outputs) -> (value, update))} for the compiled metrics, keyed as
    Keras 2 named them (`accuracy`; with several outputs `<output>_accuracy`): the common ones as their
    `tf.compat.v1.metrics`, any other as a Keras metric object made anew in the graph (a Keras metric runs there:
    `keras_in_graph.metric_ops`), as the real one ran Keras 2's. A flat list applies to every output, a dict or
    a list of lists per output."""
    if isinstance(compiled, dict) or (len(output_names) > 1 and compiled
                                      and all(isinstance(m, (list, tuple, type(None))) for m in compiled)):
        per_output = _per_output(compiled, output_names, "metrics")
    elif any(isinstance(metric, (list, tuple, dict)) for metric in compiled):
        raise ValueError("model_to_estimator takes compiled metrics as a list, a dict by output name, or a list "
                         "of lists (one per output)")
    else:
        per_output = [compiled] * len(output_names)
    makers = {}
    for index, (output, metrics) in enumerate(zip(output_names, per_output)):
        for metric in [] if metrics is None else metrics if isinstance(metrics, (list, tuple)) else [metrics]:
            name = metric if isinstance(metric, str) else getattr(metric, "name", getattr(metric, "__name__", ""))
            key = f"{output}_{name}" if len(output_names) > 1 else name
            makers[key] = (index, _METRICS.get(name) or _keras_metric(metric, name))
    if metric_names_map:
        if set(metric_names_map) != set(makers):
            raise ValueError(f"Invalid `metric_names_map`. Expected keys: {sorted(makers)}, "
                             f"Received: {sorted(metric_names_map)}")
        makers = {metric_names_map[name]: make for name, make in makers.items()}
    return makers

