"""Pre-made ("canned") Estimators, laid out as `tensorflow_estimator/python/estimator/canned/`.

| module | what |
| --- | --- |
| `head.py` | heads: logits -> predictions, loss, metrics, train_op (multi-class, binary, regression) |
| `dnn.py` | `DNNClassifier`, `DNNRegressor` |
| `linear.py` | `LinearClassifier`, `LinearRegressor` |
| `dnn_linear_combined.py` | `DNNLinearCombinedClassifier`, `DNNLinearCombinedRegressor` |
| `optimizers.py` | optimizers by name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD') |
| `metric_keys.py`, `prediction_keys.py` | the names of metrics and predictions |

The plain names are the V1 classes (`tf.compat.v1.estimator.*`, loss summed over the batch, DNN Adagrad
at 0.05). `V1_CLASSES` and `V2_CLASSES` map the public names to our classes: `V2_CLASSES` is what
TF2's `tf.estimator.*` meant (loss averaged over the batch, DNN Adagrad at 0.001).
"""
from iris_lib.estimator.canned.dnn import DNNClassifier, DNNClassifierV2, DNNRegressor, DNNRegressorV2
from iris_lib.estimator.canned.dnn_linear_combined import (DNNLinearCombinedClassifier,
                                                           DNNLinearCombinedClassifierV2,
                                                           DNNLinearCombinedRegressor,
                                                           DNNLinearCombinedRegressorV2)
from iris_lib.estimator.canned.linear import (LinearClassifier, LinearClassifierV2, LinearRegressor,
                                              LinearRegressorV2)
from iris_lib.estimator.canned.metric_keys import MetricKeys
from iris_lib.estimator.canned.prediction_keys import PredictionKeys

V1_CLASSES = {
    "DNNClassifier": DNNClassifier,
    "DNNRegressor": DNNRegressor,
    "LinearClassifier": LinearClassifier,
    "LinearRegressor": LinearRegressor,
    "DNNLinearCombinedClassifier": DNNLinearCombinedClassifier,
    "DNNLinearCombinedRegressor": DNNLinearCombinedRegressor,
}
V2_CLASSES = {
    "DNNClassifier": DNNClassifierV2,
    "DNNRegressor": DNNRegressorV2,
    "LinearClassifier": LinearClassifierV2,
    "LinearRegressor": LinearRegressorV2,
    "DNNLinearCombinedClassifier": DNNLinearCombinedClassifierV2,
    "DNNLinearCombinedRegressor": DNNLinearCombinedRegressorV2,
}

__all__ = sorted([*V1_CLASSES, *(cls.__name__ for cls in V2_CLASSES.values()), "MetricKeys", "PredictionKeys",
                  "V1_CLASSES", "V2_CLASSES"])
