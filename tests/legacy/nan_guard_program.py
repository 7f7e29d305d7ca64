"""The book's NaN run (chapter 9) on either engine: the guide's model, one NaN PetalLength, 100 steps.

Usage: python nan_guard_program.py real|ours MODEL_DIR default|grappler|no-remapping
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.tf1 as tf` (TF 2.21).
  default: RunConfig's own session; grappler: ConfigProto() (the graph optimizer on, as in the real default);
  no-remapping: the same with Grappler's remapper (which fuses MatMul+BiasAdd+Relu) off.
Prints one JSON line: whether training raised, how many steps ran, the newest checkpoint's step, whether its
first kernel holds a NaN, and the test accuracy of that checkpoint.
"""
import json
import sys
from pathlib import Path

ENGINE, MODEL_DIR, SESSION = sys.argv[1:4]
if ENGINE == "ours":
    import iris_lib.tf1 as tf
else:
    import tensorflow.compat.v1 as tf
import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "iris_lib" / "data"
NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]


def load(name):
    frame = pd.read_csv(DATA / name, names=NAMES, header=0)
    return frame, frame.pop("Species")


(train_x, train_y), (test_x, test_y) = load("iris_training.csv"), load("iris_test.csv")
train_x.loc[train_x.index[17], "PetalLength"] = np.nan
columns = [tf.feature_column.numeric_column(key) for key in NAMES[:4]]


def model_fn(features, labels, mode, params):
    """The guide's my_model_fn: two ReLU layers of 10, Adagrad at 0.1."""
    net = tf.feature_column.input_layer(features, columns)
    for units in [10, 10]:
        net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, 3, activation=None)
    predicted = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_ids": predicted[:, tf.newaxis]})
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})
    train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


session_config = None
if SESSION != "default":
    session_config = tf.ConfigProto()
    if SESSION == "no-remapping":
        session_config.graph_options.rewrite_options.remapping = 2  # RewriterConfig.OFF
config = tf.estimator.RunConfig(tf_random_seed=7, session_config=session_config)
estimator = tf.estimator.Estimator(model_fn, model_dir=MODEL_DIR, config=config, params={})


def train_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(train_x), train_y)).shuffle(1000).repeat().batch(100)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(test_x), test_y)).batch(10)


class StepsRun(tf.train.SessionRunHook):
    """Counts the steps that ran (user hooks' after_run comes before the NaN guard's)."""
    count = 0

    def after_run(self, run_context, run_values):
        StepsRun.count += 1


try:
    estimator.train(train_input_fn, steps=100, hooks=[StepsRun()])
    raised = None
except tf.train.NanLossDuringTrainingError as error:
    raised = type(error).__name__
newest = estimator.latest_checkpoint()
print(json.dumps({
    "raised": raised,
    "steps_run": StepsRun.count,
    "checkpoint_step": int(tf.train.load_variable(newest, "global_step")),
    "kernel_has_nan": bool(np.isnan(tf.train.load_variable(newest, "dense/kernel")).any()),
    "accuracy": round(float(estimator.evaluate(eval_input_fn)["accuracy"]), 3),
}))
