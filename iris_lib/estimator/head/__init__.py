"""The public heads (`tf.estimator.MultiClassHead`...), laid out as `tensorflow_estimator/python/estimator/head/`.

| module | what |
| --- | --- |
| `base_head.py` | the `Head` interface and the checks, losses, train_op and summaries every head shares |
| `head_metrics.py` | the metrics `head.metrics()` returns (tf_keras's, built in the tf.compat.v1 graph) |
| `multi_class_head.py` | `MultiClassHead` (softmax) |
| `binary_class_head.py` | `BinaryClassHead` (sigmoid) |
| `regression_head.py` | `RegressionHead`, `PoissonRegressionHead`, `LogisticRegressionHead` |
| `multi_label_head.py` | `MultiLabelHead` (a sigmoid per class) |
| `multi_head.py` | `MultiHead` (several named heads, one summed loss) |
| `sequential_head.py` | `SequentialHeadWrapper` (a head per time step, under a sequence mask: the RNN Estimators') |

The canned Estimators' own heads are the V1-style ones in `canned/head.py`.
"""
from iris_lib.estimator.head.base_head import Head
from iris_lib.estimator.head.binary_class_head import BinaryClassHead
from iris_lib.estimator.head.multi_class_head import MultiClassHead
from iris_lib.estimator.head.multi_head import MultiHead
from iris_lib.estimator.head.multi_label_head import MultiLabelHead
from iris_lib.estimator.head.regression_head import LogisticRegressionHead, PoissonRegressionHead, RegressionHead

__all__ = ["Head", "BinaryClassHead", "MultiClassHead", "RegressionHead", "LogisticRegressionHead",
           "PoissonRegressionHead", "MultiLabelHead", "MultiHead"]
