"""A TF1 text classifier, as tutorials wrote one for the Estimator: token ids through `tf.nn.embedding_lookup`,
a 2-layer `MultiRNNCell` of `LSTMCell`s in `DropoutWrapper`s (output dropout only in TRAIN) under
`tf.nn.dynamic_rnn`, a `GRUCell` pair under `tf.nn.bidirectional_dynamic_rnn`, both told each sentence's
`sequence_length`, their final states into a dense layer; gradients clipped by global norm, Adam. Fixed initial
weights so that both engines start alike, a graph seed so that both drop the same units.
Usage: python tf1_lstm_text_classifier.py real|ours [ROOT train|restore]. Prints one JSON line; with ROOT, the
model_dir is ROOT/classifier, and `restore` only evaluates and predicts from the checkpoint already there (e.g.
the other engine's).
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_values, print_report  # noqa: E402

v1 = tf.compat.v1
rnn_cell = v1.nn.rnn_cell
VOCABULARY, MAX_LENGTH, CLASSES = 20, 7, 3
_rows = np.random.RandomState(3)
LENGTHS = _rows.randint(2, MAX_LENGTH + 1, 24).astype(np.int32)
TOKENS = np.array([np.pad(_rows.randint(1, VOCABULARY, n), (0, MAX_LENGTH - n)) for n in LENGTHS], np.int32)
LABELS = np.array([np.sum(row[:n] > 12) % CLASSES for row, n in zip(TOKENS, LENGTHS)], np.int32)


def fixed(name):
    return lambda shape, dtype=None, partition_info=None: tf.constant(fixed_values(f"{name}{list(shape)}", shape))


def model_fn(features, labels, mode, params):
    training = mode == tf.estimator.ModeKeys.TRAIN
    embeddings = v1.get_variable("embeddings", [VOCABULARY, params["embedding_size"]], initializer=fixed("embed"))
    embedded = tf.nn.embedding_lookup(embeddings, features["tokens"])
    length = features["length"]

    keep = params["keep_prob"] if training else 1.0
    cells = [rnn_cell.DropoutWrapper(rnn_cell.LSTMCell(8, initializer=fixed(f"lstm{i}")), output_keep_prob=keep,
                                     seed=7 + i)
             for i in range(2)]
    _, lstm_state = v1.nn.dynamic_rnn(rnn_cell.MultiRNNCell(cells), embedded, sequence_length=length,
                                      dtype=tf.float32)
    (_, _), (gru_fw, gru_bw) = v1.nn.bidirectional_dynamic_rnn(
        rnn_cell.GRUCell(5, kernel_initializer=fixed("fw")), rnn_cell.GRUCell(5, kernel_initializer=fixed("bw")),
        embedded, sequence_length=length, dtype=tf.float32)
    encoded = tf.concat([lstm_state[-1].h, gru_fw, gru_bw], axis=1)
    logits = v1.layers.dense(encoded, CLASSES, kernel_initializer=fixed("logits"), name="logits")

    predictions = {"classes": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": v1.metrics.accuracy(labels, predictions["classes"])})
    optimizer = v1.train.AdamOptimizer(params["learning_rate"])
    gradients, variables = zip(*optimizer.compute_gradients(loss))
    gradients, _ = tf.clip_by_global_norm(gradients, 1.0)
    train_op = optimizer.apply_gradients(zip(gradients, variables), global_step=v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn(shuffle=False):
    dataset = tf.data.Dataset.from_tensor_slices(({"tokens": TOKENS, "length": LENGTHS}, LABELS))
    return dataset.shuffle(24, seed=1).repeat().batch(8) if shuffle else dataset.batch(8)


# One thread per session on both engines: Adam turns an embedding gradient that nearly cancels into a full step,
# so the real session's threads, summing in another order now and then, once moved a weight by 3e-5 (CI, stop 33).
ONE_THREAD = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
ROOT, ACTION = sys.argv[2:] or (None, "train")
model_dir = os.path.join(ROOT, "classifier") if ROOT else tempfile.mkdtemp()
estimator = tf.estimator.Estimator(model_fn, model_dir, params={"embedding_size": 6, "keep_prob": 0.75,
                                                                "learning_rate": 0.02},
                                   config=tf.estimator.RunConfig(tf_random_seed=42, session_config=ONE_THREAD))
if ACTION == "train":
    estimator.train(lambda: input_fn(shuffle=True), steps=12)
predictions = list(estimator.predict(lambda: input_fn().map(lambda features, _: features)))
print_report({
    "evaluated": estimator.evaluate(input_fn),
    "shapes": {name: estimator.get_variable_value(name).shape for name in estimator.get_variable_names()},
    "lstm kernel": estimator.get_variable_value("rnn/multi_rnn_cell/cell_1/lstm_cell/kernel")[:3],
    "gru gates bias": estimator.get_variable_value("bidirectional_rnn/bw/gru_cell/gates/bias"),
    "embeddings": estimator.get_variable_value("embeddings")[:4],
    "probabilities": [p["probabilities"] for p in predictions[:6]],
    "classes": [p["classes"] for p in predictions],
})
