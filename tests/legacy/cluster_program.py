"""One train_and_evaluate program for every task of a cluster (each started with its own TF_CONFIG), on
either engine: the guide's model on Iris, written as a TF1-era user wrote it.

Usage: python cluster_program.py real|ours MAX_STEPS
       python cluster_program.py real|ours resume MODEL_DIR
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.tf1 as tf` (TF 2.21).
The model_dir comes from TF_CONFIG['model_dir'] (iris_lib.cluster sets it). The evaluator prints one JSON line
with its last metrics when it ends; the other tasks print nothing of their own.
`resume` (no TF_CONFIG) evaluates MODEL_DIR's newest checkpoint, written by a cluster of either engine, then
trains 10 more steps on one machine and prints both as JSON: the checkpoints cross between the engines.
"""
import json
import sys
from pathlib import Path

ENGINE = sys.argv[1]
RESUME_DIR = sys.argv[3] if sys.argv[2] == "resume" else None
MAX_STEPS = None if RESUME_DIR else int(sys.argv[2])
if ENGINE == "ours":
    import iris_lib.tf1 as tf
else:
    import tensorflow.compat.v1 as tf
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "iris_lib" / "data"
NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]


def load(name):
    frame = pd.read_csv(DATA / name, names=NAMES, header=0)
    return frame, frame.pop("Species")


(train_x, train_y), (test_x, test_y) = load("iris_training.csv"), load("iris_test.csv")
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


def train_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(train_x), train_y)).shuffle(1000).repeat().batch(32)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(test_x), test_y)).batch(10)


if RESUME_DIR:
    estimator = tf.estimator.Estimator(model_fn, model_dir=RESUME_DIR, params={})
    before = estimator.evaluate(eval_input_fn)
    estimator.train(train_input_fn, steps=10)
    print(json.dumps({"accuracy": float(before["accuracy"]), "loss": float(before["loss"]),
                      "global_step": int(before["global_step"]),
                      "resumed_step": int(estimator.get_variable_value("global_step"))}))
    sys.exit(0)

class WaitForWorkersHook(tf.train.SessionRunHook):
    """A user's hook (iris_lib.train_on_a_cluster has the same): each worker puts a token in a queue on the ps after
    its first step, and the chief takes them all before its own first, so every trainer trains on both engines,
    however fast each process starts (the real workers re-check for the chief's model every 30 s)."""

    def __init__(self, config):
        self.is_chief, self.workers = config.is_chief, config.num_worker_replicas - 1

    def begin(self):
        with tf.device("/job:ps/task:0"):
            queue = tf.FIFOQueue(self.workers, tf.int32, shapes=[], shared_name="workers_have_stepped")
        self.take_all, self.put, self.pending = queue.dequeue_many(self.workers), queue.enqueue(0), not self.is_chief

    def after_create_session(self, session, coord):
        if self.is_chief:
            session.run(self.take_all)

    def after_run(self, run_context, run_values):
        if self.pending:
            run_context.session.run(self.put)
            self.pending = False


tf.logging.set_verbosity(tf.logging.INFO)  # each trainer's "loss = ..., step = N": the launcher follows them
# Every checkpoint is kept: the real evaluator fails when the checkpoint it picked is rotated away before it
# restores it (ours skips to the newer one), a race three fast trainers win often with the default 5.
config = tf.estimator.RunConfig(save_checkpoints_steps=100, keep_checkpoint_max=20,
                                experimental_max_worker_delay_secs=0)
estimator = tf.estimator.Estimator(model_fn, config=config, params={})
result = tf.estimator.train_and_evaluate(
    estimator, tf.estimator.TrainSpec(train_input_fn, max_steps=MAX_STEPS, hooks=[WaitForWorkersHook(config)]),
    tf.estimator.EvalSpec(eval_input_fn, steps=None, start_delay_secs=0, throttle_secs=0))
if config.task_type == "evaluator":
    metrics = tf.train.load_variable(tf.train.latest_checkpoint(estimator.model_dir), "global_step")
    print(json.dumps({"returned": result, "global_step": int(metrics),
                      "accuracy": float(estimator.evaluate(eval_input_fn)["accuracy"])}))
