"""The public `tf.estimator` namespaces, as the real `tensorflow_estimator/python/estimator/api/_v1` and `_v2`.

`ESTIMATOR_V1` is `tf.compat.v1.estimator` (and `iris_lib.tf1.estimator`); `ESTIMATOR_V2` is TF2's
`tf.estimator`, where the canned Estimators are the V2 classes (`tf.estimator.DNNClassifier` was
`DNNClassifierV2`: Keras optimizers with their default learning rate 0.001, the loss averaged over the batch
instead of summed). Each is a module object whose names resolve on first use from the table
below, so a piece still being written elsewhere costs one line here once it exists. A name the real
tf.estimator had and iris_lib does not provide raises `MissingFromIrisLib` (an AttributeError) saying what
to use instead; a name the real one never had raises a plain AttributeError.
"""
from __future__ import annotations

import importlib
import types

# The real names, from TensorFlow 2.15's `dir(tf.compat.v1.estimator)` and `dir(tf.estimator)`.
REAL_V1 = (
    "BaselineClassifier BaselineEstimator BaselineRegressor BestExporter BinaryClassHead CheckpointSaverHook "
    "CheckpointSaverListener DNNClassifier DNNEstimator DNNLinearCombinedClassifier DNNLinearCombinedEstimator "
    "DNNLinearCombinedRegressor DNNRegressor Estimator EstimatorSpec EvalSpec Exporter FeedFnHook FinalExporter "
    "FinalOpsHook GlobalStepWaiterHook Head LatestExporter LinearClassifier LinearEstimator LinearRegressor "
    "LoggingTensorHook LogisticRegressionHead ModeKeys MultiClassHead MultiHead MultiLabelHead "
    "NanLossDuringTrainingError NanTensorHook PoissonRegressionHead ProfilerHook RegressionHead RunConfig "
    "SecondOrStepTimer SessionRunArgs SessionRunContext SessionRunHook SessionRunValues StepCounterHook "
    "StopAtStepHook SummarySaverHook TrainSpec VocabInfo WarmStartSettings add_metrics "
    "classifier_parse_example_spec experimental export inputs regressor_parse_example_spec tpu train_and_evaluate"
).split()
REAL_V2 = [name for name in REAL_V1 if name not in ("inputs", "tpu")]
REAL_EXPERIMENTAL_V1 = (
    "InMemoryEvaluatorHook KMeans LinearSDCA build_raw_supervised_input_receiver_fn call_logit_fn "
    "dnn_logit_fn_builder linear_logit_fn_builder make_early_stopping_hook make_stop_at_checkpoint_step_hook "
    "stop_if_higher_hook stop_if_lower_hook stop_if_no_decrease_hook stop_if_no_increase_hook"
).split()
REAL_EXPERIMENTAL_V2 = (
    "InMemoryEvaluatorHook LinearSDCA RNNClassifier RNNEstimator build_raw_supervised_input_receiver_fn "
    "call_logit_fn make_early_stopping_hook make_stop_at_checkpoint_step_hook stop_if_higher_hook "
    "stop_if_lower_hook stop_if_no_decrease_hook stop_if_no_increase_hook"
).split()

_E = "iris_lib.estimator"
_HOOKS = f"{_E}.hooks"
_CANNED = f"{_E}.canned"

# name -> where it lives here, in order of preference ("module" or "module:attribute").
WHERE = {
    "Estimator": [f"{_E}.estimator"],
    "EstimatorSpec": [f"{_E}.model_fn"],
    "ModeKeys": [f"{_E}.mode_keys"],
    "RunConfig": [f"{_E}.run_config"],
    "export": [f"{_E}.export:"],
    "inputs": [f"{_E}.inputs:"],
    "TrainSpec": [f"{_E}.training"],
    "EvalSpec": [f"{_E}.training"],
    "train_and_evaluate": [f"{_E}.training"],
    "Exporter": [f"{_E}.exporter"],
    "LatestExporter": [f"{_E}.exporter"],
    "BestExporter": [f"{_E}.exporter"],
    "FinalExporter": [f"{_E}.exporter"],
    "WarmStartSettings": [f"{_E}.warm_starting_util", f"{_E}.estimator"],
    "VocabInfo": [f"{_E}.warm_starting_util"],
    "add_metrics": [f"{_E}.extenders"],
    "classifier_parse_example_spec": [f"{_CANNED}.parsing_utils", _CANNED],
    "regressor_parse_example_spec": [f"{_CANNED}.parsing_utils", _CANNED],
    **{name: [_HOOKS] for name in (
        "CheckpointSaverHook", "CheckpointSaverListener", "FeedFnHook", "FinalOpsHook", "GlobalStepWaiterHook",
        "LoggingTensorHook", "NanLossDuringTrainingError", "NanTensorHook", "ProfilerHook", "SecondOrStepTimer",
        "SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues", "StepCounterHook",
        "StopAtStepHook", "SummarySaverHook")},
}
# Where TF2's tf.estimator has its own function under the same name (the real `_v2` exports).
WHERE_V2 = {
    "classifier_parse_example_spec": [f"{_CANNED}.parsing_utils:classifier_parse_example_spec_v2"],
    "regressor_parse_example_spec": [f"{_CANNED}.parsing_utils:regressor_parse_example_spec_v2"],
}
# The public Head API (TF2's heads: averaged losses, `Head` base class), in head/; the canned Estimators'
# internal heads (canned/head.py) are V1-style and stay private.
HEADS = ["Head", "BinaryClassHead", "MultiClassHead", "MultiHead", "MultiLabelHead", "RegressionHead",
         "LogisticRegressionHead", "PoissonRegressionHead"]
WHERE.update({name: [f"{_E}.head"] for name in HEADS})
CANNED = [
    "BaselineClassifier", "BaselineEstimator", "BaselineRegressor", "DNNClassifier", "DNNEstimator",
    "DNNLinearCombinedClassifier", "DNNLinearCombinedEstimator", "DNNLinearCombinedRegressor", "DNNRegressor",
    "LinearClassifier", "LinearEstimator", "LinearRegressor",
]
EXPERIMENTAL = {
    "build_raw_supervised_input_receiver_fn": [f"{_E}.export.export"],
    "InMemoryEvaluatorHook": [f"{_HOOKS}.hooks", _HOOKS],
    "make_stop_at_checkpoint_step_hook": [f"{_HOOKS}.hooks", _HOOKS],
    **{name: [f"{_E}.early_stopping"] for name in (
        "make_early_stopping_hook", "stop_if_higher_hook", "stop_if_lower_hook", "stop_if_no_decrease_hook",
        "stop_if_no_increase_hook")},
    "call_logit_fn": [f"{_CANNED}:call_logit_fn", f"{_E}.model_fn"],
    "dnn_logit_fn_builder": [f"{_CANNED}.dnn"],
    "linear_logit_fn_builder": [f"{_CANNED}.linear"],
    "LinearSDCA": [f"{_CANNED}.linear"],
    "KMeans": [f"{_CANNED}.kmeans:KMeansClustering"],
    "RNNClassifier": [f"{_CANNED}.rnn"],
    "RNNEstimator": [f"{_CANNED}.rnn"],
}

ADVICE = {
    "tpu": "TPUEstimator is out of scope (TensorFlow's TPU support for Estimators needs the TF1 TPU runtime); "
           "run the same model_fn with tf.estimator.Estimator and EstimatorSpec on CPU or GPU",
    "TPUEstimator": "TPUEstimator is out of scope; use tf.estimator.Estimator with the same model_fn",
    "model_to_estimator": "it is tf.keras.estimator.model_to_estimator, as in the real TensorFlow (after "
                          "`import iris_lib.estimator_shim`), or iris_lib.estimator.keras_lib.model_to_estimator",
}


class MissingFromIrisLib(AttributeError):
    """A name the real tf.estimator had that iris_lib does not provide; the message says what to use."""


class Namespace(types.ModuleType):
    """A module of names resolved on first use from `where` (name -> candidate locations)."""

    def __init__(self, name: str, where: dict, real_names, doc: str):
        super().__init__(name, doc)
        self._where = where
        self._real_names = set(real_names)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for location in self._where.get(name, ()):
            value = _resolve(location, name)
            if value is not _MISSING:
                setattr(self, name, value)  # cached: the next access is a plain attribute
                return value
        if name in self._real_names or name in ADVICE:
            had = " (the real one had it)" if name in self._real_names else ""
            advice = ADVICE.get(name, "it is not implemented yet; the names iris_lib provides are "
                                      f"dir({self.__name__})")
            raise MissingFromIrisLib(f"iris_lib's {self.__name__} has no {name!r}{had}: {advice}.")
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}, nor had the real tf.estimator")

    def __dir__(self):
        provided = {name for name in self._where if hasattr(self, name)}
        return sorted(provided | {name for name in vars(self) if not name.startswith("_")})


_MISSING = object()


def _resolve(location: str, name: str):
    """The object at "module[:attribute]" (attribute defaults to `name`; empty means the module itself).

    Only a missing module or attribute counts as absent; an import that fails inside an existing module
    is a bug and propagates.
    """
    module_name, _, attribute = location.partition(":")
    if ":" not in location:
        attribute = name
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            return _MISSING
        raise
    if not attribute:
        return module
    return getattr(module, attribute, _MISSING)


def _namespace(name: str, v2: bool) -> Namespace:
    where = dict(WHERE)
    for canned in CANNED:  # TF2's tf.estimator.DNNClassifier was DNNClassifierV2, tf.compat.v1's the V1 class
        where[canned] = [f"{_CANNED}:{canned}V2"] if v2 else [f"{_CANNED}:{canned}"]
    if v2:  # TF2's tf.estimator has no `inputs` (a plain AttributeError there): tf.compat.v1.estimator.inputs
        del where["inputs"]
        where.update(WHERE_V2)
    # TF2's experimental namespace had no logit_fn builders and no KMeans (tf.compat.v1's only); tf.compat.v1's
    # had no RNN Estimators (TF2's only).
    real_experimental = REAL_EXPERIMENTAL_V2 if v2 else REAL_EXPERIMENTAL_V1
    experimental = Namespace(f"{name}.experimental",
                             {k: v for k, v in EXPERIMENTAL.items() if k in real_experimental},
                             real_experimental,
                             "Early stopping hooks and other experimental Estimator pieces.")
    namespace = Namespace(name, where, REAL_V2 if v2 else REAL_V1,
                          f"iris_lib's {name}: the Estimator API as TensorFlow 2.15 had it (iris_lib.estimator.api).")
    namespace.experimental = experimental
    return namespace


ESTIMATOR_V1 = _namespace("tf.compat.v1.estimator", v2=False)
ESTIMATOR_V2 = _namespace("tf.estimator", v2=True)
