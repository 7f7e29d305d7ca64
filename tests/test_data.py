import pandas as pd
import pytest

from iris_lib import data


def test_load_data_returns_the_original_split(iris):
    (train_x, train_y), (test_x, test_y) = iris
    assert train_x.shape == (120, 4) and test_x.shape == (30, 4)
    assert list(train_x.columns) == data.CSV_COLUMN_NAMES[:4]
    assert set(train_y) == {0, 1, 2} and set(test_y) == {0, 1, 2}
    # First rows of TensorFlow's iris_training.csv and iris_test.csv
    assert list(train_x.iloc[0]) == [6.4, 2.8, 5.6, 2.2] and train_y.iloc[0] == 2
    assert list(test_x.iloc[0]) == [5.9, 3.0, 4.2, 1.5] and test_y.iloc[0] == 1


def test_shipped_files_keep_tensorflows_header_row():
    assert data.data_path("iris_training.csv").read_text().splitlines()[0] == "120,4,setosa,versicolor,virginica"
    assert data.data_path("iris_test.csv").read_text().splitlines()[0] == "30,4,setosa,versicolor,virginica"


def test_guide_examples_are_three_test_rows():
    _, (test_x, test_y) = data.load_data()
    rows = {tuple(r) for r in test_x.itertuples(index=False)}
    for i, species in enumerate(data.EXPECTED):
        example = tuple(data.PREDICT_X[k][i] for k in data.FEATURE_NAMES)
        assert example in rows
        assert data.SPECIES[int(test_y[[tuple(r) for r in test_x.itertuples(index=False)].index(example)])] == species


@pytest.mark.parametrize(
    "body, message",
    [
        ("3,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4\n5.0,3.4,1.5,0.2,0\n", "line 3: expected 5 columns"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,x,1.4,0.2,0\n", "line 3, column 2 (SepalWidth): a feature is not a number"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,nan,0.2,0\n", "line 3, column 3 (PetalLength): 'nan' is not a finite"),
        ("2,4,a,b,c\n5.1,inf,1.4,0.2,0\n4.9,3.0,1.4,0.2,0\n", "line 2, column 2 (SepalWidth): 'inf' is not a finite"),
        ("2,4,a,b,c\n5.1,3.5,1.4,-Infinity,0\n4.9,3.0,1.4,0.2,0\n", "line 2, column 4 (PetalWidth): '-Infinity'"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n1e308,3.0,1.4,0.2,0\n", "line 3, column 1 (SepalLength): '1e308' is too large"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1e39,0.2,0\n", "line 3, column 3 (PetalLength): '1e39' is too large"),
        ("0,4,a,b,c\n", "holds a header but no data rows"),
        ("0,4,a,b,c\n\n\n", "holds a header but no data rows"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,3\n", "line 3: the label 3 is outside 0..2"),
        ("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,one\n", "line 3: the label 'one' is not an integer"),
        ("SepalLength,SepalWidth,PetalLength,PetalWidth,Species\n5.1,3.5,1.4,0.2,0\n", "line 1: expected a header"),
        ("3,4,a,b,c\n5.1,3.5,1.4,0.2,0\n", "announces 3 rows but the file holds 1"),
        ("", "line 1: the file is empty"),
    ],
)
def test_malformed_csv_names_file_line_and_problem(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(data.IrisDataError) as error:
        data.read_iris_csv(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeff2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,1\n".encode("utf-8"))
    features, labels = data.read_iris_csv(path)
    assert features.shape == (2, 4) and list(labels) == [0, 1]
    assert features["SepalLength"].tolist() == [5.1, 4.9]


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("2,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,1 \xe9t\xe9\n".encode("latin-1"))
    with pytest.raises(data.IrisDataError) as error:
        data.read_iris_csv(path)
    message = str(error.value)
    assert str(path) in message and "line 3" in message and "not UTF-8" in message and "0xe9" in message


def test_missing_csv_is_named(tmp_path):
    with pytest.raises(data.IrisDataError, match="nope.csv: file not found"):
        data.read_iris_csv(tmp_path / "nope.csv")


def test_train_input_fn_shuffles_repeats_and_batches(iris):
    import tensorflow as tf

    (train_x, train_y), _ = iris
    batches = list(data.train_input_fn(train_x, train_y, 50).take(5))  # 250 > 120 rows: it repeats
    assert all(b[1].shape == (50,) for b in batches)
    assert sorted(batches[0][0]) == sorted(data.FEATURE_NAMES)
    first = batches[0][0]["SepalLength"].numpy()
    assert not (first == train_x["SepalLength"].values[:50]).all()  # shuffled
    assert isinstance(batches[0][1], tf.Tensor)


def test_eval_input_fn_keeps_order_and_ends(iris):
    _, (test_x, test_y) = iris
    batches = list(data.eval_input_fn(test_x, test_y, 20))
    assert [b[1].shape[0] for b in batches] == [20, 10]
    assert list(batches[0][1].numpy()) == list(test_y[:20])
    features_only = list(data.eval_input_fn(data.PREDICT_X, None, 100))
    assert isinstance(features_only[0], dict) and features_only[0]["PetalLength"].shape == (3,)
    with pytest.raises(ValueError, match="batch_size must not be None: pass the number of examples"):
        data.eval_input_fn(test_x, test_y, None)


@pytest.mark.parametrize("batch_size, message", [(None, "must not be None"), (0, "got 0"), (2.5, "got 2.5"),
                                                 (True, "got True")])
def test_input_functions_refuse_a_missing_or_bad_batch_size(iris, batch_size, message):
    (train_x, train_y), _ = iris
    for input_fn in (data.train_input_fn, data.eval_input_fn):
        with pytest.raises(ValueError, match=f"batch_size {message}" if batch_size is None else message):
            input_fn(train_x, train_y, batch_size)


def test_input_functions_accept_numpy_integer_batch_sizes(iris):
    import numpy as np

    (train_x, train_y), _ = iris
    assert next(iter(data.train_input_fn(train_x, train_y, np.int64(30))))[1].shape == (30,)


def _batches_and_next_seed(input_fn, seed, steps):
    """`steps` batches of `input_fn` in a graph laid out as the Estimator's (graph seed, global step first),
    and the value of a random op made after it: equal values mean the later ops got the same seeds."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        if seed is not None:
            v1.set_random_seed(seed)
        v1.train.get_or_create_global_step()
        result = input_fn()
        initializers = []
        if isinstance(result, tf.data.Dataset):  # as the Estimator: an initializable iterator
            iterator = v1.data.make_initializable_iterator(result)
            initializers, result = [iterator.initializer], iterator.get_next()
        after = v1.random_uniform([4])
        with v1.Session(graph=graph) as session:
            session.run(initializers)
            batches = [session.run(result) for _ in range(steps)]
            return batches, session.run(after)


@pytest.mark.parametrize("seed, batch_size", [(7, 100), (0, 32), (42, 100), (1234, 7)])
def test_fast_train_input_fn_gives_the_guides_batches_in_the_same_order(iris, seed, batch_size):
    """The live explorer's input is a speed-up only: the same examples in every batch, the same dtypes and
    keys, and the same seeds for what comes after it (the initial weights), as `train_input_fn`."""
    import numpy as np

    (train_x, train_y), _ = iris
    guide, guide_after = _batches_and_next_seed(lambda: data.train_input_fn(train_x, train_y, batch_size), seed, 150)
    fast, fast_after = _batches_and_next_seed(lambda: data.fast_train_input_fn(train_x, train_y, batch_size), seed, 150)
    for (guide_features, guide_labels), (fast_features, fast_labels) in zip(guide, fast):
        assert list(fast_features) == list(guide_features) == data.FEATURE_NAMES
        for name in data.FEATURE_NAMES:
            assert fast_features[name].dtype == guide_features[name].dtype == np.float64
            np.testing.assert_array_equal(fast_features[name], guide_features[name])
        assert fast_labels.dtype == guide_labels.dtype
        np.testing.assert_array_equal(fast_labels, guide_labels)
    np.testing.assert_array_equal(fast_after, guide_after)
    # ... and it is shuffled: the first batch is not the file's first rows
    assert not np.array_equal(fast[0][0]["SepalLength"][:7], train_x["SepalLength"].to_numpy()[:7])


def test_fast_train_input_fn_without_a_graph_seed_and_with_mixed_dtypes(iris):
    """No graph seed: shuffled anew each time, as the guide's. Columns of different dtypes (one matrix cannot
    hold them) take the guide's pipeline, batches equal."""
    import numpy as np

    (train_x, train_y), _ = iris
    unseeded, _ = _batches_and_next_seed(lambda: data.fast_train_input_fn(train_x, train_y, 120), None, 1)
    assert sorted(unseeded[0][1]) == sorted(train_y)  # one whole epoch, in some order
    mixed = dict(train_x) | {"Count": np.arange(len(train_x), dtype=np.int64)}
    guide, _ = _batches_and_next_seed(lambda: data.train_input_fn(mixed, train_y, 50), 3, 5)
    fast, _ = _batches_and_next_seed(lambda: data.fast_train_input_fn(mixed, train_y, 50), 3, 5)
    for (guide_features, guide_labels), (fast_features, fast_labels) in zip(guide, fast):
        assert fast_features["Count"].dtype == np.int64
        for name in mixed:
            np.testing.assert_array_equal(fast_features[name], guide_features[name])
        np.testing.assert_array_equal(fast_labels, guide_labels)
    with pytest.raises(ValueError, match="batch_size must not be None"):
        data.fast_train_input_fn(train_x, train_y, None)


def test_load_splits_carves_validation_from_the_training_csv_disjoint_and_whole():
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = data.load_splits()
    (full_x, full_y), (guide_test_x, guide_test_y) = data.load_data()
    assert set(train_x.index).isdisjoint(valid_x.index)
    assert sorted([*train_x.index, *valid_x.index]) == list(full_x.index)  # union = the training CSV
    rejoined = pd.concat([train_x.assign(y=train_y), valid_x.assign(y=valid_y)]).sort_index()
    pd.testing.assert_frame_equal(rejoined, full_x.assign(y=full_y))
    pd.testing.assert_frame_equal(test_x, guide_test_x)  # the test set is the guide's, untouched
    pd.testing.assert_series_equal(test_y, guide_test_y)
    assert (len(train_x), len(valid_x)) == (97, 23)


@pytest.mark.parametrize("fraction", [0.2, 0.25, 0.5])
def test_load_splits_is_stratified_each_species_keeps_its_share(fraction):
    (_, train_y), (_, valid_y), _ = data.load_splits(validation_fraction=fraction)
    full = data.load_data()[0][1].value_counts()
    for species, count in full.items():
        assert abs(valid_y.value_counts()[species] - fraction * count) <= 0.5, (species, fraction)
        assert valid_y.value_counts()[species] + train_y.value_counts()[species] == count


def test_load_splits_is_seeded_the_same_rows_every_call_and_another_seed_moves_them():
    first, second = data.load_splits(), data.load_splits()
    assert list(first[1][0].index) == list(second[1][0].index)
    assert list(data.load_splits(seed=1)[1][0].index) != list(first[1][0].index)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, "0.2", True, 0.001])
def test_load_splits_refuses_a_fraction_that_leaves_a_side_empty(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        data.load_splits(validation_fraction=fraction)


def test_load_data_keeps_the_guides_train_test_return():
    (train_x, _), (test_x, _) = data.load_data()
    assert (len(train_x), len(test_x)) == (120, 30)
