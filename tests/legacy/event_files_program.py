"""What the event files of a trained, resumed and evaluated custom Estimator hold, on either engine.

    python event_files_program.py real MODEL_DIR    # with the legacy venv's python (TF 2.15 + tf.estimator)
    python event_files_program.py ours MODEL_DIR    # with the project's python (iris_lib)

One program text for both engines: only the import differs (`tensorflow.compat.v1` vs `iris_lib.tf1`).
The guide's custom model_fn (4-10-10-3 on Iris, read from iris_lib/data with pandas) trains 30 steps, then
30 more (a resume from the checkpoint at step 30), checkpoints every 20 steps and summaries every 10; then
it is evaluated. Every event file in MODEL_DIR and MODEL_DIR/eval is read with `summary_iterator`, in name
order, and printed as one JSON object: per directory, per file, the sequence of records, each as
[kind, step, detail] (`file_version`, `graph_def`, `meta_graph_def`, `session_log` with its status and
the checkpoint_path's basename, `summary` with its tags and, for a text entry, its text's basename).
tests/test_parity_event_files.py compares the two engines' answers.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ENGINE, MODEL_DIR = sys.argv[1:3]
ROOT = Path(__file__).resolve().parents[2]
if ENGINE == "real":
    import tensorflow.compat.v1 as tf  # noqa: E402
else:
    sys.path.insert(0, str(ROOT))
    import iris_lib.tf1 as tf  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as real_tf  # noqa: E402  (the reader, the same on both engines)

COLUMNS = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]
train = pd.read_csv(ROOT / "iris_lib" / "data" / "iris_training.csv", names=COLUMNS, header=0)
test = pd.read_csv(ROOT / "iris_lib" / "data" / "iris_test.csv", names=COLUMNS, header=0)
train_x, train_y = train, train.pop("Species")
test_x, test_y = test, test.pop("Species")


def train_input_fn():
    dataset = tf.data.Dataset.from_tensor_slices((dict(train_x), train_y))
    return dataset.shuffle(1000, seed=1).repeat().batch(32)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(test_x), test_y)).batch(32)


def model_fn(features, labels, mode, params):
    net = tf.feature_column.input_layer(features, params["feature_columns"])
    for units in params["hidden_units"]:
        net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, params["n_classes"], activation=None)
    predicted_classes = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_ids": predicted_classes[:, tf.newaxis]})
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted_classes, name="acc_op")
    tf.summary.scalar("accuracy", accuracy[1])
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})
    optimizer = tf.train.AdagradOptimizer(learning_rate=0.1)
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def records(path: str) -> list:
    """Each record of one event file as [kind, step, detail]."""
    out = []
    for event in real_tf.compat.v1.train.summary_iterator(path):
        kind = event.WhichOneof("what")
        if kind == "file_version":
            out.append([kind, event.step, event.file_version])
        elif kind in ("graph_def", "meta_graph_def"):
            out.append([kind, event.step, None])
        elif kind == "session_log":
            status = real_tf.compat.v1.SessionLog.SessionStatus.Name(event.session_log.status)
            out.append([kind, event.step, [status, os.path.basename(event.session_log.checkpoint_path)]])
        elif kind == "summary":
            tags = []
            for value in event.summary.value:
                if value.HasField("tensor") and value.tensor.dtype == real_tf.string.as_datatype_enum:
                    text = value.tensor.string_val[0].decode()
                    tags.append([value.tag, os.path.basename(text)])
                else:
                    tags.append([value.tag, value.WhichOneof("value")])
            out.append([kind, event.step, tags])
        else:
            out.append([kind, event.step, None])
    return out


def directory(path: str) -> list:
    names = sorted(name for name in os.listdir(path) if name.startswith("events.out.tfevents"))
    return [records(os.path.join(path, name)) for name in names]


feature_columns = [tf.feature_column.numeric_column(key=key) for key in train_x.keys()]
config = tf.estimator.RunConfig(tf_random_seed=42, save_checkpoints_steps=20, save_summary_steps=10,
                                log_step_count_steps=25)
params = {"feature_columns": feature_columns, "hidden_units": [10, 10], "n_classes": 3}
for _ in range(2):  # the second train() resumes from the checkpoint of the first
    estimator = tf.estimator.Estimator(model_fn=model_fn, model_dir=MODEL_DIR, params=params, config=config)
    estimator.train(train_input_fn, steps=30)
metrics = estimator.evaluate(eval_input_fn)
print(json.dumps({"train": directory(MODEL_DIR), "eval": directory(os.path.join(MODEL_DIR, "eval")),
                  "global_step": int(metrics["global_step"])}))
