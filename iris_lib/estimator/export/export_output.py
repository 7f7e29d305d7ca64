"""What a SavedModel signature returns: `PredictOutput`, `ClassificationOutput`, `RegressionOutput`.

These are TensorFlow's own classes (`tensorflow.python.saved_model.model_utils.export_output`, still in
TF 2.21), exactly what the real `tf.estimator.export` re-exported, so signatures are built by the same code.
"""
from tensorflow.python.saved_model.model_utils.export_output import (  # noqa: F401
    ClassificationOutput,
    EvalOutput,
    ExportOutput,
    PredictOutput,
    RegressionOutput,
    TrainOutput,
)

__all__ = ["ClassificationOutput", "EvalOutput", "ExportOutput", "PredictOutput", "RegressionOutput",
           "TrainOutput"]
