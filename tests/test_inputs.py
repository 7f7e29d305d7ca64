"""`numpy_input_fn` and `pandas_input_fn`: the real ones' batches, epochs, keys and errors, on tf.data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import iris_lib.tf1
from iris_lib.estimator import inputs
from support import make_estimator

v1 = tf.compat.v1


def drain(input_fn) -> list:
    """Every batch an input_fn yields in a graph, as the Estimator would run it."""
    with tf.Graph().as_default():
        batch = input_fn()
        batches = []
        with v1.Session() as session:
            while True:
                try:
                    batches.append(session.run(batch))
                except tf.errors.OutOfRangeError:
                    return batches


def test_each_of_num_threads_reads_num_epochs_as_the_real_feeding_threads_did():
    x = {"a": np.arange(6.0)}
    numpy_two = inputs.numpy_input_fn(x, batch_size=4, num_epochs=1, shuffle=False, num_threads=2)
    pandas_three = inputs.pandas_input_fn(pd.DataFrame(x), batch_size=4, num_epochs=1, shuffle=True, num_threads=3)
    for input_fn, threads in ((numpy_two, 2), (pandas_three, 3)):
        read = np.concatenate([batch["a"] for batch in drain(input_fn)])
        assert sorted(read.tolist()) == sorted(list(range(6)) * threads)


def test_numpy_batches_epochs_and_the_smaller_last_batch():
    x = {"b": np.arange(5.0), "a": np.arange(5) * 10}
    batches = drain(inputs.numpy_input_fn(x, np.arange(5) * 100, batch_size=2, num_epochs=2, shuffle=False))
    features = [f for f, _ in batches]
    assert [len(f["a"]) for f in features] == [2, 2, 2, 2, 2]  # epochs run into each other, as the queue
    assert np.concatenate([f["a"] for f in features]).tolist() == [0, 10, 20, 30, 40] * 2
    assert np.concatenate([t for _, t in batches]).tolist() == [0, 100, 200, 300, 400] * 2
    assert features[0]["b"].dtype == np.float64 and features[0]["a"].dtype == np.int64  # numpy dtypes kept
    last = drain(inputs.numpy_input_fn(x, None, batch_size=2, shuffle=False))
    assert [len(f["a"]) for f in last] == [2, 2, 1] and isinstance(last[0], dict)  # no y: features only


def test_numpy_shapes_single_array_and_dict_targets():
    with tf.Graph().as_default():
        forever = inputs.numpy_input_fn({"x": np.zeros((6, 3))}, np.zeros(6), batch_size=4, num_epochs=None,
                                        shuffle=True)()
        assert forever[0]["x"].shape.as_list() == [4, 3]  # dequeue_many: a static batch size
        once = inputs.numpy_input_fn({"x": np.zeros((6, 3))}, np.zeros(6), batch_size=4, shuffle=False)()
        assert once[0]["x"].shape.as_list() == [None, 3]  # dequeue_up_to
    single = drain(inputs.numpy_input_fn(np.arange(3.0), {"t1": np.arange(3), "t2": -np.arange(3)},
                                         batch_size=3, shuffle=False))
    (features, targets), = single
    assert features.tolist() == [0.0, 1.0, 2.0]
    assert sorted(targets) == ["t1", "t2"] and targets["t2"].tolist() == [0, -1, -2]


def test_numpy_shuffle_covers_each_epoch_once():
    x = {"i": np.arange(20)}
    batches = drain(inputs.numpy_input_fn(x, None, batch_size=5, num_epochs=1, shuffle=True))
    order = np.concatenate([b["i"] for b in batches]).tolist()
    assert sorted(order) == list(range(20))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"shuffle": None}, ValueError, "shuffle must be provided and explicitly set as boolean"),
    ({"x": {}}, ValueError, "x cannot be an empty dict"),
    ({"x": [1, 2]}, TypeError, "x must be a dict or array; got list"),
    ({"y": np.arange(4)}, ValueError, "Length of tensors in x and y is mismatched"),
    ({"y": {"a": np.arange(3)}}, ValueError, "duplicate keys are found in both x and y"),
    ({"y": {}}, ValueError, "y cannot be empty dict"),
])
def test_numpy_errors_are_the_real_ones(kwargs, error, match):
    arguments = {"x": {"a": np.arange(3)}, "y": None, "shuffle": False, **kwargs}
    with pytest.raises(error, match=match):
        with tf.Graph().as_default():
            inputs.numpy_input_fn(**arguments)()


def test_pandas_columns_targets_and_index_checks():
    x = pd.DataFrame({"size": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]}, index=[7, 8, 9])
    y = pd.Series([0, 1, 0], index=[7, 8, 9])
    (features, target), (more, last) = drain(inputs.pandas_input_fn(x, y, batch_size=2, shuffle=False))
    assert sorted(features) == ["name", "size"] and features["name"].tolist() == [b"a", b"b"]
    assert target.tolist() == [0, 1] and last.tolist() == [0]
    frame = pd.DataFrame({"t1": [1, 2, 3], "t2": [4, 5, 6]}, index=[7, 8, 9])
    ((features, targets),) = drain(inputs.pandas_input_fn(x, frame, batch_size=3, shuffle=False))
    assert sorted(targets) == ["t1", "t2"] and targets["t2"].tolist() == [4, 5, 6] and "t1" not in features
    with pytest.raises(ValueError, match="Index for x and y are mismatched"):
        inputs.pandas_input_fn(x, y.reset_index(drop=True), shuffle=False)
    with pytest.raises(ValueError, match="Cannot use name size for target column"):
        inputs.pandas_input_fn(x, y, shuffle=False, target_column="size")
    with pytest.raises(ValueError, match="shuffle must be provided"):
        inputs.pandas_input_fn(x, y)


def test_an_estimator_trains_evaluates_and_predicts_from_pandas_and_numpy(tmp_path, iris, columns):
    (train_x, train_y), (test_x, test_y) = iris
    estimator = make_estimator(tmp_path, columns)
    estimator.train(inputs.pandas_input_fn(train_x, train_y, batch_size=100, num_epochs=None, shuffle=True), steps=300)
    by_pandas = estimator.evaluate(inputs.pandas_input_fn(test_x, test_y, shuffle=False))
    arrays = {key: test_x[key].to_numpy() for key in test_x}
    by_numpy = estimator.evaluate(inputs.numpy_input_fn(arrays, test_y.to_numpy(), shuffle=False))
    assert by_pandas["accuracy"] == by_numpy["accuracy"] > 0.8
    assert by_pandas["loss"] == pytest.approx(by_numpy["loss"], rel=1e-6)
    predictions = list(estimator.predict(inputs.numpy_input_fn(arrays, shuffle=False)))
    assert len(predictions) == len(test_x)


def test_reachable_where_old_code_looks():
    assert iris_lib.tf1.estimator.inputs.numpy_input_fn is inputs.numpy_input_fn
    assert iris_lib.tf1.estimator.inputs.pandas_input_fn is inputs.pandas_input_fn
