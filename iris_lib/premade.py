"""The pre-made Estimators the book uses, from `iris_lib.estimator.canned` (where the engine keeps them).

`DNNClassifier` follows the TensorFlow 1 one (variable names `dnn/hiddenlayer_N/...`, `dnn/logits/...`,
the loss summed over the batch, prediction keys and metrics as the real one). Its default learning
rate is the V1 one, 0.05: the V2 class defaulted to 0.001, with which 1000 Adagrad steps leave Iris
at 0.33-0.67 test accuracy (measured on TF 2.15), a poor baseline for the book.
"""
from iris_lib.estimator.canned import (DNNClassifier, DNNLinearCombinedClassifier, DNNLinearCombinedRegressor,
                                       DNNRegressor, LinearClassifier, LinearRegressor)
from iris_lib.estimator.canned.dnn import LEARNING_RATE as DEFAULT_LEARNING_RATE

__all__ = ["DEFAULT_LEARNING_RATE", "DNNClassifier", "DNNLinearCombinedClassifier", "DNNLinearCombinedRegressor",
           "DNNRegressor", "LinearClassifier", "LinearRegressor"]
