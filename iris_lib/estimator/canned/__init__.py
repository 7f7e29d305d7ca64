"""Pre-made ("canned") Estimators, laid out as `tensorflow_estimator/python/estimator/canned/`.

| module | what |
| --- | --- |
| `baseline.py` | `BaselineClassifier`, `BaselineRegressor`, `BaselineEstimator` (a bias only) |
| `head.py` | heads: logits -> predictions, loss, metrics, train_op (multi-class, binary, regression) |
| `dnn.py` | `DNNClassifier`, `DNNRegressor`, `DNNEstimator` |
| `linear.py` | `LinearClassifier`, `LinearRegressor`, `LinearEstimator`; `LinearSDCA` (`*.experimental`) |
| `linear_optimizer/` | the SDCA solver behind `LinearSDCA` (`python/utils/sdca_ops.py`, its hash table) |
| `dnn_linear_combined.py` | `DNNLinearCombinedClassifier`, `...Regressor`, `...Estimator` |
| `kmeans.py` | `KMeansClustering` (`tf.compat.v1.estimator.experimental.KMeans`): k-means clustering |
| `rnn.py` | `RNNClassifier`, `RNNEstimator` (`tf.estimator.experimental.*`): RNNs over sequence feature columns |
| `optimizers.py` | optimizers by name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD') |
| `metric_keys.py`, `prediction_keys.py` | the names of metrics and predictions |

The plain names are the V1 classes (`tf.compat.v1.estimator.*`, loss summed over the batch, DNN Adagrad
at 0.05). `V1_CLASSES` and `V2_CLASSES` map the public names to our classes: `V2_CLASSES` is what
TF2's `tf.estimator.*` meant (loss averaged over the batch, DNN Adagrad at 0.001). The `*Estimator` classes
take a head: V1 a canned one (`head.py`) or a public one (`iris_lib.estimator.head`), V2 a public one.

For a model_fn of one's own, `tf.compat.v1.estimator.experimental` has the builders of the canned logits
(`dnn.dnn_logit_fn_builder`, `linear.linear_logit_fn_builder`) and both namespaces `call_logit_fn` (here).
"""
import inspect

import tensorflow as tf

from iris_lib.estimator.canned.baseline import (BaselineClassifier, BaselineClassifierV2, BaselineEstimator,
                                                BaselineEstimatorV2, BaselineRegressor, BaselineRegressorV2)
from iris_lib.estimator.canned.dnn import (DNNClassifier, DNNClassifierV2, DNNEstimator, DNNEstimatorV2, DNNRegressor,
                                           DNNRegressorV2)
from iris_lib.estimator.canned.dnn_linear_combined import (DNNLinearCombinedClassifier,
                                                           DNNLinearCombinedClassifierV2,
                                                           DNNLinearCombinedEstimator,
                                                           DNNLinearCombinedEstimatorV2,
                                                           DNNLinearCombinedRegressor,
                                                           DNNLinearCombinedRegressorV2)
from iris_lib.estimator.canned.linear import (LinearClassifier, LinearClassifierV2, LinearEstimator,
                                              LinearEstimatorV2, LinearRegressor, LinearRegressorV2)
from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys



def call_logit_fn(logit_fn, features, mode, params, config):
    """`tf.estimator.experimental.call_logit_fn`: calls `logit_fn(features=..., [mode=], [params=], [config=])`
    with those of the arguments it names, as the real one (tensorflow_estimator's model_fn.py); the result
    must be a Tensor or a dict of string -> Tensor."""
    arguments = _fn_args(logit_fn)
    kwargs = {name: value for name, value in (("mode", mode), ("params", params), ("config", config))
              if name in arguments}
    results = logit_fn(features=features, **kwargs)
    valid_dict = isinstance(results, dict) and all(isinstance(k, str) and isinstance(v, tf.Tensor)
                                                   for k, v in results.items())
    if not (valid_dict or isinstance(results, tf.Tensor)):
        raise ValueError("logit_fn should return a Tensor or a dictionary mapping strings to Tensors.  "
                         f"logit_fn returned: {results}")
    return results


def _fn_args(fn) -> tuple:
    """The argument names of a function, a functools.partial or a callable object (not `self`), as TF's
    function_utils.fn_args gives them."""
    parameters = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


V1_CLASSES = {
    "DNNClassifier": DNNClassifier,
    "DNNRegressor": DNNRegressor,
    "LinearClassifier": LinearClassifier,
    "LinearRegressor": LinearRegressor,
    "DNNLinearCombinedClassifier": DNNLinearCombinedClassifier,
    "DNNLinearCombinedRegressor": DNNLinearCombinedRegressor,
    "BaselineClassifier": BaselineClassifier,
    "BaselineRegressor": BaselineRegressor,
    "BaselineEstimator": BaselineEstimator,
    "DNNEstimator": DNNEstimator,
    "LinearEstimator": LinearEstimator,
    "DNNLinearCombinedEstimator": DNNLinearCombinedEstimator,
}
V2_CLASSES = {
    "DNNClassifier": DNNClassifierV2,
    "DNNRegressor": DNNRegressorV2,
    "LinearClassifier": LinearClassifierV2,
    "LinearRegressor": LinearRegressorV2,
    "DNNLinearCombinedClassifier": DNNLinearCombinedClassifierV2,
    "DNNLinearCombinedRegressor": DNNLinearCombinedRegressorV2,
    "BaselineClassifier": BaselineClassifierV2,
    "BaselineRegressor": BaselineRegressorV2,
    "BaselineEstimator": BaselineEstimatorV2,
    "DNNEstimator": DNNEstimatorV2,
    "LinearEstimator": LinearEstimatorV2,
    "DNNLinearCombinedEstimator": DNNLinearCombinedEstimatorV2,
}

__all__ = sorted([*V1_CLASSES, *(cls.__name__ for cls in V2_CLASSES.values()), "MetricKeys", "PredictionKeys",
                  "V1_CLASSES", "V2_CLASSES"])
