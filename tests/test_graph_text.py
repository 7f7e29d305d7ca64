"""graph.pbtxt is written exactly as `tf.io.write_graph` wrote it, also when its nodes' text is reused."""
import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.core.framework import graph_pb2

from support import make_estimator, train_fn
from iris_lib.estimator import graph_text
from iris_lib.estimator.canned.dnn_linear_combined import DNNLinearCombinedClassifierV2

fc = tf.feature_column


def written_and_canonical(model_dir):
    """The file, and TensorFlow's own text for the GraphDef it holds: any formatting of ours that differs
    (a float, a map's order, an indent) survives the parse and shows up in the comparison."""
    written = (model_dir / "graph.pbtxt").read_text()
    graph_def = text_format.Parse(written, graph_pb2.GraphDef())
    return written, text_format.MessageToString(graph_def)


def test_the_guides_graph_is_written_as_tensorflow_writes_it_the_first_time_and_from_the_cache(tmp_path, iris,
                                                                                                columns):
    graph_text._node_text.clear()
    texts = []
    for run in ("first", "again"):
        make_estimator(tmp_path / run, columns).train(train_fn(iris), steps=1)
        written, canonical = written_and_canonical(tmp_path / run)
        assert written == canonical
        texts.append(written)
        cached = len(graph_text._node_text)
    assert texts[0] == texts[1]
    assert cached == texts[0].splitlines().count("node {")  # each node formatted once, the second run reused them


def test_a_wide_and_deep_graph_with_dataset_functions_is_written_as_tensorflow_writes_it(tmp_path):
    """Float attributes (dropout, l1), hashed, crossed and embedded columns, and tf.data functions in the
    graph's library (the input_fn maps), which come after the nodes."""
    def input_fn():
        features = {"x": np.linspace(0.0, 1.0, 8, dtype=np.float32),
                    "word": np.array(["a", "b", "c", "d"] * 2)}
        return (tf.data.Dataset.from_tensor_slices((features, np.arange(8) % 2))
                .map(lambda f, y: ({**f, "x": f["x"] * 0.5}, y)).repeat().batch(4))

    x = fc.numeric_column("x")
    word = fc.categorical_column_with_hash_bucket("word", 7)
    buckets = fc.bucketized_column(x, [0.1, 0.25])
    estimator = DNNLinearCombinedClassifierV2(
        model_dir=str(tmp_path), linear_feature_columns=[buckets, fc.crossed_column([buckets, "word"], 5)],
        dnn_feature_columns=[x, fc.embedding_column(word, 2)], dnn_hidden_units=[3], dnn_dropout=0.25,
        linear_optimizer="Ftrl")
    estimator.train(input_fn, steps=1)
    written, canonical = written_and_canonical(tmp_path)
    assert "library {" in written and written == canonical


def test_write_graph_gives_the_bytes_of_tf_io_write_graph(tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        tf.constant([1.5, float("nan"), 1e-30], name="floats")
        tf.compat.v1.placeholder(tf.string, [None, 3], name="words")
    graph_def = graph.as_graph_def(add_shapes=True)
    tf.io.write_graph(graph_def, str(tmp_path / "tf"), "graph.pbtxt")
    graph_text.write_graph(graph_def, str(tmp_path / "ours"), "graph.pbtxt")
    assert (tmp_path / "ours" / "graph.pbtxt").read_bytes() == (tmp_path / "tf" / "graph.pbtxt").read_bytes()
