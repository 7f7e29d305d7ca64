"""Everything the Estimator needs to write a SavedModel, in one place, as the real `export_lib.py`.

The signature building (`build_all_signature_defs`), the default `serving_default` output, the tag and
key maps and the timestamped directory names are TensorFlow's own (`saved_model.model_utils`, still in
TF 2.21), the very functions the real Estimator called, so the signatures come out the same.
"""
from tensorflow.python.saved_model.model_utils.export_utils import (  # noqa: F401
    EXPORT_TAG_MAP,
    SIGNATURE_KEY_MAP,
    build_all_signature_defs,
    export_outputs_for_mode,
    get_export_outputs,
    get_temp_export_dir,
    get_timestamped_export_dir,
)

from iris_lib.estimator.export.export import (  # noqa: F401
    ServingInputReceiver,
    SupervisedInputReceiver,
    TensorServingInputReceiver,
    UnsupervisedInputReceiver,
    build_parsing_serving_input_receiver_fn,
    build_raw_serving_input_receiver_fn,
    build_raw_supervised_input_receiver_fn,
    wrap_and_check_input_tensors,
)
from iris_lib.estimator.export.export_output import (  # noqa: F401
    ClassificationOutput,
    EvalOutput,
    ExportOutput,
    PredictOutput,
    RegressionOutput,
    TrainOutput,
)
