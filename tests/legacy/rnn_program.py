"""`tf.estimator.experimental.RNNClassifier` and `RNNEstimator` on either engine, from the same initial weights.

Usage: python rnn_program.py real|ours ROOT train|restore
  real: the real tf.estimator (TF 2.15, legacy venv, `tensorflow.compat.v1`); ours: `iris_lib.tf1` (TF 2.21).
  train: for each configuration, learn the checkpoint's variables (one throwaway step in ROOT/<name>_names),
    write the same initial checkpoint into ROOT/<name> (weights drawn from each variable's name, the optimizer's
    hyperparameters as the engine set them, its slots at their initial values, global_step 0), train from it,
    then report; also export a SavedModel.
  restore: report from the checkpoint already in ROOT/<name> (the other engine's), then train 1 step more.
Prints one JSON line: per configuration, the checkpoint's variables (name -> shape) and values, `evaluate`,
the predictions (every key), the constructor's signature; train adds the initial weights and the export's
signatures, restore the weights and metrics after one more step.
The configurations: sequences of lengths 1 to 4 (so every step of the mask matters) of a numeric column and an
embedded categorical one, with a numeric and an embedded context column; SimpleRNN, stacked LSTM (3 classes),
GRU from an int `units`, Adam, RMSProp, SGD and Ftrl by name, return_sequences (a class per step, label
vocabulary), and RNNEstimator under a RegressionHead.
"""
import inspect
import json
import os
import re
import sys
import zlib
from pathlib import Path

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.tf1 as tf
    from iris_lib.tf1 import compat
    estimator_v2 = compat.v2.estimator
    make_parse_example_spec = compat.v2.feature_column.make_parse_example_spec
else:
    import tensorflow.compat.v1 as tf
    import tensorflow as tf2
    estimator_v2 = tf2.estimator
    make_parse_example_spec = tf2.feature_column.make_parse_example_spec
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

ROOT, ACTION = Path(sys.argv[2]), sys.argv[3]
fc = tf.feature_column
experimental = estimator_v2.experimental

rng = np.random.RandomState(0)
N, T = 12, 4
LENGTHS = np.array([1, 2, 3, 4] * 3)
X = rng.normal(size=(N, T)).astype(np.float32)
TOK = rng.randint(0, 5, size=(N, T))
CTX = rng.normal(size=(N, 1)).astype(np.float32)
CC = rng.randint(0, 4, size=(N, 1))
LABEL_2 = rng.randint(0, 2, size=(N, 1))
LABEL_3 = rng.randint(0, 3, size=(N, 1))
TARGET = rng.normal(size=(N, 1)).astype(np.float32)
STEP_LABELS = np.array([["no", "yes"][v] for v in rng.randint(0, 2, size=N * T)]).reshape(N, T)
INDICES = np.array([[i, t] for i in range(N) for t in range(LENGTHS[i])], np.int64)


def sparse(values):
    return tf.sparse.SparseTensor(indices=INDICES, values=np.array([values[i, t] for i, t in INDICES]),
                                  dense_shape=[N, T])


def features():
    return {"x": sparse(X), "tok": sparse(TOK), "ctx": tf.constant(CTX), "cc": tf.constant(CC)}


def input_fn(label, repeat=False):
    def fn():
        labels = {"2": LABEL_2, "3": LABEL_3, "target": TARGET}.get(label)
        labels = sparse(STEP_LABELS) if label == "steps" else tf.constant(labels)
        dataset = tf.data.Dataset.from_tensors((features(), labels))
        return dataset.repeat() if repeat else dataset
    return fn


def predict_input_fn():
    return tf.data.Dataset.from_tensors(features())


SEQUENCE = [fc.sequence_numeric_column("x"),
            fc.embedding_column(fc.sequence_categorical_column_with_identity("tok", 5), 3)]
CONTEXT = [fc.numeric_column("ctx"), fc.embedding_column(fc.categorical_column_with_identity("cc", 4), 2)]

CONFIGS = {  # name -> (class, constructor arguments, label kind, train steps)
    "simple_rnn": ("RNNClassifier", dict(units=[4], cell_type="simple_rnn"), "2", 3),
    "lstm_stacked_3_classes": ("RNNClassifier", dict(units=[4, 3], cell_type="lstm", n_classes=3), "3", 3),
    "gru_int_units": ("RNNClassifier", dict(units=4, cell_type="gru"), "2", 3),
    "adam": ("RNNClassifier", dict(units=[3], optimizer="Adam"), "2", 3),
    "rmsprop": ("RNNClassifier", dict(units=[3], cell_type="gru", optimizer="RMSProp"), "2", 2),
    "sgd": ("RNNClassifier", dict(units=[3], cell_type="lstm", optimizer="SGD"), "2", 2),
    "ftrl": ("RNNClassifier", dict(units=[3], optimizer="Ftrl"), "2", 2),
    "return_sequences": ("RNNClassifier", dict(units=[3], cell_type="lstm", return_sequences=True,
                                               label_vocabulary=["no", "yes"]), "steps", 3),
    "estimator_regression": ("RNNEstimator", dict(units=[3], cell_type="gru"), "target", 3),
}
EXPORTED = ("simple_rnn", "lstm_stacked_3_classes", "estimator_regression")


def make(name, model_dir=None):
    cls_name, arguments, _, _ = CONFIGS[name]
    model_dir = model_dir or str(ROOT / name)
    context = {} if name == "return_sequences" else {"context_feature_columns": CONTEXT}
    config = tf.estimator.RunConfig(tf_random_seed=1)
    if cls_name == "RNNEstimator":
        return experimental.RNNEstimator(estimator_v2.RegressionHead(), SEQUENCE, model_dir=model_dir,
                                         config=config, **context, **arguments)
    return experimental.RNNClassifier(SEQUENCE, model_dir=model_dir, config=config, **context, **arguments)


def initial_value(name, shape, learned):
    """The same start on both engines: weights from the variable's name, hyperparameters as the engine set them,
    Adagrad's and Ftrl's accumulators at 0.1 and the other slots at 0."""
    parts = name.split("/")
    if name == "global_step":
        return np.int64(0)
    if parts[0] != "training":
        return np.random.RandomState(zlib.crc32(name.encode())).uniform(-0.5, 0.5, shape).astype(np.float32)
    if len(parts) == 3:  # training/<optimizer>/<hyperparameter>
        return learned[name]
    return np.full(shape, 0.1 if parts[-1] == "accumulator" else 0.0, np.float32)


def write_initial_checkpoint(name):
    names_dir = str(ROOT / f"{name}_names")
    _, _, label, _ = CONFIGS[name]
    model = make(name, names_dir)  # one throwaway step elsewhere: the variables (and the hyperparameters)
    model.train(input_fn(label, repeat=True), steps=1)
    learned = {key: tf.train.load_variable(names_dir, key) for key, _ in tf.train.list_variables(names_dir)}
    with tf.Graph().as_default():
        variables = [tf.Variable(initial_value(key, list(np.shape(value)), learned), name=key)
                     for key, value in sorted(learned.items())]
        saver = tf.train.Saver(variables)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            saver.save(session, str(ROOT / name / "model.ckpt"), global_step=0)


def plain(value):
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value] if value.ndim else plain(value.item())
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if hasattr(value, "item") else value


def weights(model_dir):
    return {key: plain(np.asarray(tf.train.load_variable(model_dir, key)))
            for key, _ in tf.train.list_variables(model_dir) if key != "global_step"}


def signatures(export_dir) -> dict:
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString(Path(os.fsdecode(export_dir), "saved_model.pb").read_bytes())
    return {name: {"method_name": sig.method_name, "inputs": sorted(sig.inputs), "outputs": sorted(sig.outputs)}
            for name, sig in saved_model.meta_graphs[0].signature_def.items()}


def run(name):
    _, _, label, steps = CONFIGS[name]
    model_dir = str(ROOT / name)
    start = None
    if ACTION == "train":
        write_initial_checkpoint(name)
        start = weights(model_dir)
    model = make(name)
    if ACTION == "train":
        model.train(input_fn(label, repeat=True), steps=steps)
    report = {
        "variables": {key: list(shape) for key, shape in tf.train.list_variables(model_dir)},
        "weights": weights(model_dir),
        "metrics": {key: plain(value) for key, value in model.evaluate(input_fn(label)).items()},
        "predictions": [{key: plain(value) for key, value in row.items()} for row in model.predict(predict_input_fn)],
        # USE_DEFAULT, the default cell_type, is an object(): its address differs from run to run.
        "signature": re.sub("at 0x[0-9a-f]+", "at 0x...", str(inspect.signature(type(model).__init__))),
    }
    if start is not None:
        report["weights_start"] = start
    if ACTION == "train" and name in EXPORTED:
        spec = make_parse_example_spec(SEQUENCE + CONTEXT)
        receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
        report["export"] = signatures(model.export_saved_model(str(ROOT / f"{name}_export"), receiver))
    if ACTION == "restore":
        model.train(input_fn(label, repeat=True), steps=1)
        report["weights_one_step_more"] = weights(model_dir)
        report["metrics_one_step_more"] = {key: plain(value) for key, value in model.evaluate(input_fn(label)).items()}
    return report


print(json.dumps({name: run(name) for name in CONFIGS}))
