"""`tf.estimator.experimental.RNNClassifier` and `RNNEstimator` (`iris_lib.estimator.canned.rnn`): the logits of
a tiny SimpleRNN and LSTM worked out by hand from known weights (steps past a sequence's length ignored), the
real variable names, training, evaluation, prediction, export, and the errors.

Against the real TF 2.15 classes (same variables, metrics and predictions from the same weights, checkpoints
both ways): tests/test_parity_rnn.py.
"""
import inspect
import re

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1
from iris_lib.estimator import api
from iris_lib.estimator.canned import rnn
from iris_lib.estimator.canned.rnn import GRUCell, LSTMCell, RNNClassifier, RNNEstimator, SimpleRNNCell
from iris_lib.estimator.head import MultiClassHead, RegressionHead
from iris_lib.estimator.head.sequential_head import SequentialHeadWrapper

v1 = tf.compat.v1
fc = tf.feature_column

# Three sequences of one number per step, of lengths 3, 1 and 2 (a SparseTensor, as sequence columns take).
STEPS = [[0.5, -1.0, 2.0], [1.5], [-0.5, 0.25]]
SEQUENCE = [fc.sequence_numeric_column("x")]


def sequences(steps=STEPS):
    indices = [[i, t] for i, row in enumerate(steps) for t in range(len(row))]
    values = [value for row in steps for value in row]
    return tf.sparse.SparseTensor(indices, np.array(values, np.float32), [len(steps), max(map(len, steps))])


def input_fn(labels=(1, 0, 1), repeat=False, steps=STEPS):
    def fn():
        dataset = tf.data.Dataset.from_tensors(({"x": sequences(steps)}, tf.constant(np.array(labels)[:, None])))
        return dataset.repeat() if repeat else dataset
    return fn


def predict_fn(steps=STEPS):
    return lambda: tf.data.Dataset.from_tensors({"x": sequences(steps)})


def write_checkpoint(model_dir, values: dict):
    """A checkpoint at step 0 holding exactly `values` (name -> array), for the Estimator to start from."""
    with tf.Graph().as_default():
        variables = [v1.Variable(value, name=name) for name, value in values.items()]
        variables.append(v1.Variable(np.int64(0), name="global_step"))
        saver = v1.train.Saver(variables)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            saver.save(session, f"{model_dir}/model.ckpt", global_step=0)


def variables(model_dir):
    return dict(tf.train.list_variables(str(model_dir)))


def simple_rnn_by_hand(steps, w, u, b, kernel, bias):
    """h_t = tanh(x_t W + b + h_{t-1} U) over each sequence's own steps; logits = h_last K + c."""
    logits = []
    for row in steps:
        h = np.zeros(u.shape[0])
        for x in row:
            h = np.tanh(x * w[0] + b + h @ u)
        logits.append(h @ kernel + bias)
    return np.array(logits)


def test_simple_rnn_logits_are_the_last_valid_steps_state_through_the_logits_layer(tmp_path):
    r = np.random.RandomState(0)
    w, u, b = r.normal(size=(1, 2)), r.normal(size=(2, 2)) * 0.5, r.normal(size=2)
    kernel, bias = r.normal(size=(2, 1)), r.normal(size=1)
    write_checkpoint(tmp_path, {"rnn_model/rnn/simple_rnn_cell/kernel": w.astype(np.float32),
                                "rnn_model/rnn/simple_rnn_cell/recurrent_kernel": u.astype(np.float32),
                                "rnn_model/rnn/simple_rnn_cell/bias": b.astype(np.float32),
                                "rnn_model/logits/kernel": kernel.astype(np.float32),
                                "rnn_model/logits/bias": bias.astype(np.float32)})
    model = RNNClassifier(SEQUENCE, units=[2], cell_type="simple_rnn", model_dir=str(tmp_path))
    rows = list(model.predict(predict_fn()))
    expected = simple_rnn_by_hand(STEPS, w, u, b, kernel, bias)
    np.testing.assert_allclose([row["logits"] for row in rows], expected, rtol=1e-5)
    np.testing.assert_allclose([row["logistic"] for row in rows], 1 / (1 + np.exp(-expected)), rtol=1e-5)
    assert sorted(rows[0]) == ["all_class_ids", "all_classes", "class_ids", "classes", "logistic", "logits",
                               "probabilities"]
    # The binary head's loss: mean sigmoid cross entropy over the batch (loss_reduction SUM_OVER_BATCH_SIZE).
    labels = np.array([[1], [0], [1]])
    p = 1 / (1 + np.exp(-expected))
    cross_entropy = -(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    metrics = model.evaluate(input_fn())
    assert metrics["loss"] == pytest.approx(cross_entropy.mean(), rel=1e-5)
    assert sorted(metrics) == ["accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss",
                               "global_step", "label/mean", "loss", "precision", "prediction/mean", "recall"]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_an_lstm_computes_keras_gates_in_the_order_i_f_c_o(tmp_path):
    r = np.random.RandomState(1)
    n = 2
    w, u, b = r.normal(size=(1, 4 * n)), r.normal(size=(n, 4 * n)) * 0.5, r.normal(size=4 * n)
    kernel, bias = r.normal(size=(n, 3)), r.normal(size=3)
    write_checkpoint(tmp_path, {"rnn_model/lstm/lstm_cell/kernel": w.astype(np.float32),
                                "rnn_model/lstm/lstm_cell/recurrent_kernel": u.astype(np.float32),
                                "rnn_model/lstm/lstm_cell/bias": b.astype(np.float32),
                                "rnn_model/logits/kernel": kernel.astype(np.float32),
                                "rnn_model/logits/bias": bias.astype(np.float32)})
    # units an int: the LSTM layer itself (variables in rnn_model/lstm/), as the real one.
    model = RNNClassifier(SEQUENCE, units=n, cell_type="lstm", n_classes=3, model_dir=str(tmp_path))
    expected = []
    for row in STEPS:
        h, c = np.zeros(n), np.zeros(n)
        for x in row:
            z = x * w[0] + h @ u + b
            i, f, g, o = sigmoid(z[:n]), sigmoid(z[n:2 * n]), np.tanh(z[2 * n:3 * n]), sigmoid(z[3 * n:])
            c = f * c + i * g
            h = o * np.tanh(c)
        expected.append(h @ kernel + bias)
    rows = list(model.predict(predict_fn()))
    np.testing.assert_allclose([row["logits"] for row in rows], expected, rtol=1e-5)
    assert [row["class_ids"][0] for row in rows] == list(np.argmax(expected, axis=1))


@pytest.mark.parametrize("units, cell_type, names", [
    ([3], "simple_rnn", ["rnn/simple_rnn_cell/bias", "rnn/simple_rnn_cell/kernel",
                         "rnn/simple_rnn_cell/recurrent_kernel"]),
    (3, "gru", ["gru/gru_cell/bias", "gru/gru_cell/kernel", "gru/gru_cell/recurrent_kernel"]),
    ([3, 2], "lstm", [f"rnn/stacked_rnn_cells/{cell}/{v}" for cell in ("lstm_cell", "lstm_cell_1")
                      for v in ("bias", "kernel", "recurrent_kernel")]),
])
def test_the_variables_have_the_real_names(tmp_path, units, cell_type, names):
    model = RNNClassifier(SEQUENCE, units=units, cell_type=cell_type, model_dir=str(tmp_path))
    model.train(input_fn(repeat=True), steps=1)
    found = variables(tmp_path)
    model_variables = sorted(name[len("rnn_model/"):] for name in found if name.startswith("rnn_model/"))
    assert model_variables == sorted(names + ["logits/bias", "logits/kernel"])
    # Keras's legacy Adagrad at 0.05: its hyperparameters, and an accumulator per weight, under training/Adagrad/.
    assert found["training/Adagrad/learning_rate"] == [] and found["training/Adagrad/decay"] == []
    assert model.get_variable_value("training/Adagrad/learning_rate") == pytest.approx(0.05)
    assert {f"training/Adagrad/rnn_model/{name}/accumulator" for name in names} <= set(found)


def test_gru_and_lstm_shapes_are_keras_ones(tmp_path):
    RNNClassifier(SEQUENCE, units=[4], cell_type="gru", model_dir=str(tmp_path / "gru")).train(
        input_fn(repeat=True), steps=1)
    assert variables(tmp_path / "gru")["rnn_model/rnn/gru_cell/bias"] == [2, 12]  # reset_after: 2 biases
    model = RNNClassifier(SEQUENCE, units=[4], cell_type="lstm", model_dir=str(tmp_path / "lstm"))
    model.train(input_fn(repeat=True), steps=1)
    assert variables(tmp_path / "lstm")["rnn_model/rnn/lstm_cell/kernel"] == [1, 16]


def test_the_lstm_forget_gate_bias_starts_at_one(tmp_path):
    model = RNNClassifier(SEQUENCE, units=[2], cell_type="lstm", model_dir=str(tmp_path),
                          optimizer=v1.train.GradientDescentOptimizer(0.0))
    model.train(input_fn(repeat=True), steps=1)
    np.testing.assert_array_equal(model.get_variable_value("rnn_model/rnn/lstm_cell/bias"), [0, 0, 1, 1, 0, 0, 0, 0])


def learnable(n=40, seed=0):
    """Label 1 when a sequence's sum is positive: something an RNN learns in a few dozen steps."""
    r = np.random.RandomState(seed)
    steps = [list(r.normal(size=r.randint(1, 5))) for _ in range(n)]
    return steps, [int(sum(row) > 0) for row in steps]


def test_training_lowers_the_loss_and_the_embedding_trains_too(tmp_path):
    steps, labels = learnable()
    tokens = fc.embedding_column(fc.sequence_categorical_column_with_identity("tok", 3), 2)

    def fn():
        features = {"x": sequences(steps),
                    "tok": tf.sparse.SparseTensor(sequences(steps).indices,
                                                  tf.cast(tf.abs(sequences(steps).values) > 1, tf.int64),
                                                  sequences(steps).dense_shape)}
        return tf.data.Dataset.from_tensors((features, tf.constant(np.array(labels)[:, None]))).repeat()

    model = RNNClassifier(SEQUENCE + [tokens], units=[8], cell_type="gru", model_dir=str(tmp_path),
                          optimizer="Adam", config=iris_lib.tf1.estimator.RunConfig(tf_random_seed=3))
    model.train(fn, steps=1)
    before = model.evaluate(fn, steps=1)
    embedding = model.get_variable_value("sequence_features/tok_embedding/embedding_weights")
    model.train(fn, steps=60)
    after = model.evaluate(fn, steps=1)
    assert after["loss"] < before["loss"] * 0.8, (before, after)
    assert after["global_step"] == 61
    assert not np.allclose(model.get_variable_value("sequence_features/tok_embedding/embedding_weights"), embedding)


def test_context_features_join_every_step(tmp_path):
    context = [fc.numeric_column("c"), fc.embedding_column(fc.categorical_column_with_identity("k", 4), 2)]

    def fn():
        features = {"x": sequences(), "c": tf.constant([[1.0], [2.0], [3.0]]), "k": tf.constant([[0], [3], [1]])}
        return tf.data.Dataset.from_tensors((features, tf.constant([[1], [0], [1]]))).repeat()

    model = RNNClassifier(SEQUENCE, context_feature_columns=context, units=[3], model_dir=str(tmp_path))
    model.train(fn, steps=2)
    found = variables(tmp_path)
    assert found["dense_features/k_embedding/embedding_weights"] == [4, 2]
    assert found["rnn_model/rnn/simple_rnn_cell/kernel"] == [1 + 1 + 2, 3]  # x, then c and k's embedding


def test_return_sequences_predicts_a_class_per_step_and_masks_the_padding(tmp_path):
    step_labels = [[1, 0, 1], [0, 0, 0], [1, 1, 0]]

    def fn():
        labels = tf.sparse.SparseTensor([[i, t] for i, row in enumerate(STEPS) for t in range(len(row))],
                                        [step_labels[i][t] for i, row in enumerate(STEPS) for t in range(len(row))],
                                        [3, 3])
        return tf.data.Dataset.from_tensors(({"x": sequences()}, labels)).repeat()

    model = RNNClassifier(SEQUENCE, units=[3], return_sequences=True, model_dir=str(tmp_path))
    model.train(fn, steps=2)
    rows = list(model.predict(predict_fn()))
    assert "sequence_mask" in rows[0]
    assert [list(row["sequence_mask"]) for row in rows] == [[True] * 3, [True, False, False], [True, True, False]]
    assert np.shape(rows[0]["logits"]) == (3, 1)
    # A padded step repeats the last valid output (Keras's masked RNN), so its logits too.
    np.testing.assert_array_equal(rows[1]["logits"][1], rows[1]["logits"][0])
    metrics = model.evaluate(fn, steps=1)
    assert metrics["label/mean"] == pytest.approx(4 / 6)  # the 6 valid steps' labels only


def test_rnn_estimator_takes_any_head(tmp_path):
    model = RNNEstimator(RegressionHead(), SEQUENCE, units=[3], cell_type="lstm", model_dir=str(tmp_path))

    def fn():
        return tf.data.Dataset.from_tensors(({"x": sequences()}, tf.constant([[1.0], [-1.0], [0.5]]))).repeat()

    model.train(fn, steps=3)
    assert sorted(model.evaluate(fn, steps=1)) == ["average_loss", "global_step", "label/mean", "loss",
                                                   "prediction/mean"]
    assert sorted(next(model.predict(predict_fn()))) == ["predictions"]


def test_rnn_cell_fn_and_cell_classes(tmp_path):
    model = RNNClassifier(SEQUENCE, rnn_cell_fn=lambda: [GRUCell(3), SimpleRNNCell(2)], model_dir=str(tmp_path))
    model.train(input_fn(repeat=True), steps=1)
    assert {"rnn_model/rnn/stacked_rnn_cells/gru_cell/kernel", "rnn_model/rnn/stacked_rnn_cells/simple_rnn_cell/kernel"
            } <= set(variables(tmp_path))
    # Keras's cell classes name a cell type (mapped to ours); ours do too, and so does a function of `units`.
    assert rnn._cell_class(tf.keras.layers.LSTMCell) is LSTMCell and rnn._cell_class(GRUCell) is GRUCell
    model = RNNClassifier(SEQUENCE, units=[2], cell_type=lambda units: LSTMCell(units), model_dir=str(tmp_path / "f"))
    model.train(input_fn(repeat=True), steps=1)
    assert variables(tmp_path / "f")["rnn_model/rnn/lstm_cell/kernel"] == [1, 8]


def test_the_export_has_the_classification_signatures(tmp_path):
    model = RNNClassifier(SEQUENCE, units=[3], model_dir=str(tmp_path / "model"))
    model.train(input_fn(repeat=True), steps=1)
    receiver = iris_lib.tf1.estimator.export.build_parsing_serving_input_receiver_fn(
        fc.make_parse_example_spec(SEQUENCE))
    path = model.export_saved_model(str(tmp_path / "export"), receiver)
    loaded = tf.saved_model.load(path.decode())
    assert sorted(loaded.signatures) == ["classification", "predict", "regression", "serving_default"]
    example = tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=STEPS[0]))}))
    out = loaded.signatures["predict"](examples=tf.constant([example.SerializeToString()]))
    expected = next(model.predict(predict_fn([STEPS[0]])))
    np.testing.assert_allclose(out["logits"].numpy()[0], expected["logits"], rtol=1e-5)


def test_a_checkpoint_resumes_training(tmp_path):
    model = RNNClassifier(SEQUENCE, units=[3], cell_type="lstm", model_dir=str(tmp_path))
    model.train(input_fn(repeat=True), steps=2)
    again = RNNClassifier(SEQUENCE, units=[3], cell_type="lstm", model_dir=str(tmp_path))
    np.testing.assert_array_equal(again.get_variable_value("rnn_model/logits/kernel"),
                                  model.get_variable_value("rnn_model/logits/kernel"))
    again.train(input_fn(repeat=True), steps=1)
    assert again.get_variable_value("global_step") == 3


def test_bad_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="units and cell_type must not be specified when using rnn_cell_fn"):
        RNNClassifier(SEQUENCE, units=[3], rnn_cell_fn=lambda: LSTMCell(3))
    with pytest.raises(ValueError, match="Supported strings are"):
        RNNClassifier(SEQUENCE, units=[3], cell_type="transformer")
    with pytest.raises(ValueError, match="Unsupported optimizer name: Lion"):
        RNNClassifier(SEQUENCE, units=[3], optimizer="Lion")
    with pytest.raises(ValueError, match="must be a `_SequentialHead` object when `return_sequences`"):
        RNNEstimator(MultiClassHead(3), SEQUENCE, units=[3], return_sequences=True)
    RNNEstimator(SequentialHeadWrapper(MultiClassHead(3)), SEQUENCE, units=[3], return_sequences=True)


def test_keras_3_cells_and_optimizers_are_refused_naming_what_works(tmp_path):
    model = RNNClassifier(SEQUENCE, rnn_cell_fn=lambda: tf.keras.layers.LSTMCell(3), model_dir=str(tmp_path / "a"))
    with pytest.raises(ValueError, match="a Keras 3 cell cannot.*LSTMCell\\(n\\)"):
        model.train(input_fn(repeat=True), steps=1)
    model = RNNClassifier(SEQUENCE, units=[3], optimizer=tf.keras.optimizers.Adam(), model_dir=str(tmp_path / "b"))
    with pytest.raises(ValueError, match="Keras 3's cannot run in a tf.compat.v1 graph: pass a name"):
        model.train(input_fn(repeat=True), steps=1)


def test_the_constructors_are_the_real_ones():
    def signature(cls):
        return re.sub("at 0x[0-9a-f]+", "at 0x...", str(inspect.signature(cls.__init__)))

    assert signature(RNNClassifier) == (
        "(self, sequence_feature_columns, context_feature_columns=None, units=None, "
        "cell_type=<object object at 0x...>, rnn_cell_fn=None, return_sequences=False, model_dir=None, n_classes=2, "
        "weight_column=None, label_vocabulary=None, optimizer='Adagrad', loss_reduction='sum_over_batch_size', "
        "sequence_mask='sequence_mask', config=None)")
    assert signature(RNNEstimator) == (
        "(self, head, sequence_feature_columns, context_feature_columns=None, units=None, "
        "cell_type=<object object at 0x...>, rnn_cell_fn=None, return_sequences=False, model_dir=None, "
        "optimizer='Adagrad', config=None)")


def test_the_rnn_estimators_are_in_the_v2_experimental_namespace_only():
    assert api.ESTIMATOR_V2.experimental.RNNClassifier is RNNClassifier
    assert api.ESTIMATOR_V2.experimental.RNNEstimator is RNNEstimator
    assert iris_lib.tf1.compat.v2.estimator.experimental.RNNClassifier is RNNClassifier
    with pytest.raises(AttributeError, match="nor had the real tf.estimator") as caught:
        iris_lib.tf1.estimator.experimental.RNNClassifier  # tf.compat.v1.estimator.experimental never had it
    assert not isinstance(caught.value, api.MissingFromIrisLib)
