"""`tf.compat.v1.estimator.experimental.KMeans` (`iris_lib.estimator.canned.kmeans`) on tiny inputs whose
centers, assignments, distances and scores are worked out by hand below.

Against the real TF 2.15 class (same centers, predictions, checkpoints both ways): tests/test_parity_kmeans.py.
"""
import inspect

import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1
from iris_lib.estimator import api
from iris_lib.estimator.canned.kmeans import KMeansClustering

# Two well-separated blobs of three points; the initial centers are one point of each.
POINTS = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], np.float32)
INITIAL = np.array([[0, 0], [10, 10]], np.float32)
# One Lloyd step moves each center to the mean of its blob.
MEANS = np.array([[1 / 3, 1 / 3], [31 / 3, 31 / 3]], np.float32)
# Each blob's squared distances to its mean: 2/9 + 5/9 + 5/9 = 4/3; both blobs: 8/3.
SCORE_AT_MEANS = 8 / 3


def input_fn(points=POINTS, repeat=False, batch_size=None):
    def fn():
        dataset = tf.data.Dataset.from_tensor_slices(points).batch(batch_size or len(POINTS))
        return dataset.repeat() if repeat else dataset
    return fn


def kmeans(tmp_path, **kwargs):
    kwargs.setdefault("initial_clusters", INITIAL)
    kwargs.setdefault("use_mini_batch", False)
    return KMeansClustering(num_clusters=2, model_dir=str(tmp_path), **kwargs)


def test_a_full_batch_step_moves_each_center_to_the_mean_of_its_points(tmp_path):
    model = kmeans(tmp_path)
    model.train(input_fn(repeat=True), steps=1)
    np.testing.assert_allclose(model.cluster_centers(), MEANS, rtol=1e-6)
    assert list(model.predict_cluster_index(input_fn())) == [0, 0, 0, 1, 1, 1]
    # The real variable names: cluster_centers() reads `clusters`, as tf.train.load_variable would.
    assert model.get_variable_names() == ["clusters", "global_step", "initialized"]
    np.testing.assert_array_equal(model.cluster_centers(), tf.train.load_variable(str(tmp_path), "clusters"))
    assert model.get_variable_value("initialized") and model.get_variable_value("global_step") == 1


def test_score_is_the_sum_of_squared_distances_to_the_nearest_centers(tmp_path):
    model = kmeans(tmp_path)
    model.train(input_fn(repeat=True), steps=1)
    assert model.score(input_fn()) == pytest.approx(SCORE_AT_MEANS, rel=1e-5)
    # evaluate(): `score` averages each batch's sum, as the loss; by batches of 3, the blobs give 4/3 each.
    metrics = model.evaluate(input_fn(batch_size=3))
    assert sorted(metrics) == ["global_step", "loss", "score"]
    assert metrics["score"] == pytest.approx(SCORE_AT_MEANS / 2, rel=1e-5)
    assert metrics["loss"] == pytest.approx(SCORE_AT_MEANS / 2, rel=1e-5)


def test_score_reads_only_the_first_batch(tmp_path):
    model = kmeans(tmp_path)
    model.train(input_fn(repeat=True), steps=1)
    assert model.score(input_fn(batch_size=3)) == pytest.approx(4 / 3, rel=1e-5)  # the first blob only


def test_transform_gives_the_euclidean_distance_to_every_center(tmp_path):
    model = kmeans(tmp_path)
    model.train(input_fn(repeat=True), steps=1)
    expected = np.linalg.norm(POINTS[:, None, :] - MEANS[None, :, :], axis=2)
    np.testing.assert_allclose(np.array(list(model.transform(input_fn()))), expected, rtol=1e-4)
    # predict() has the model's own squared distances under `all_distances`, and `cluster_index`.
    rows = list(model.predict(input_fn()))
    assert sorted(rows[0]) == ["all_distances", "cluster_index"]
    np.testing.assert_allclose([row["all_distances"] for row in rows], expected ** 2, rtol=1e-4, atol=1e-5)


def mini_batch_update(center, batch, count):
    """clustering_ops' mini-batch rule, center += (sum(batch) - k * center) / (count + k) for the k points of
    the batch, where `count` is read after the k are added to it (its gather and its scatter_add have no
    dependency between them; both engines read it after), so each point weighs 1 / (count_before + 2k)."""
    k = len(batch)
    return center + (np.sum(batch, axis=0) - k * center) / (count + k + k), count + k


def test_a_mini_batch_step_moves_the_centers_towards_their_points(tmp_path):
    model = kmeans(tmp_path, use_mini_batch=True)  # mini_batch_steps_per_iteration=1: the counts start at 1
    model.train(input_fn(repeat=True), steps=1)
    (a, count_a), (b, count_b) = mini_batch_update(INITIAL[0], POINTS[:3], 1), mini_batch_update(INITIAL[1],
                                                                                                 POINTS[3:], 1)
    np.testing.assert_allclose(a, [1 / 7, 1 / 7])
    np.testing.assert_allclose(model.cluster_centers(), [a, b], rtol=1e-6)
    assert model.get_variable_names() == ["Variable", "clusters", "global_step", "initialized"]
    np.testing.assert_array_equal(model.get_variable_value("Variable"), [count_a, count_b])  # [4, 4]


def test_mini_batches_reach_the_centers_only_after_mini_batch_steps_per_iteration(tmp_path):
    # With mini_batch_steps_per_iteration=2 the steps update `clusters_updated` (counts from 0), while the
    # points are still assigned with `clusters`; the step after 2 such steps first copies one into the other
    # and zeroes the counts.
    model = kmeans(tmp_path, use_mini_batch=True, mini_batch_steps_per_iteration=2)
    first_blob = input_fn(repeat=True, batch_size=3)  # each train() starts again at the first blob
    center, count = INITIAL[0], 0
    for step, in_steps in ((1, 1), (2, 0)):
        model.train(first_blob, steps=1)
        center, count = mini_batch_update(center, POINTS[:3], count)
        np.testing.assert_allclose(model.cluster_centers(), INITIAL, err_msg=f"step {step}")
        np.testing.assert_allclose(model.get_variable_value("clusters_updated"), [center, INITIAL[1]], rtol=1e-6)
        np.testing.assert_array_equal(model.get_variable_value("Variable"), [count, 0])
        assert model.get_variable_value("update_in_steps") == in_steps
    model.train(first_blob, steps=1)  # synced first (counts back to 0), then the same blob once more
    np.testing.assert_allclose(model.cluster_centers(), [center, INITIAL[1]], rtol=1e-6)
    center, count = mini_batch_update(center, POINTS[:3], 0)
    np.testing.assert_allclose(model.get_variable_value("clusters_updated"), [center, INITIAL[1]], rtol=1e-6)
    np.testing.assert_array_equal(model.get_variable_value("Variable"), [count, 0])
    assert model.get_variable_value("update_in_steps") == 1


def test_cosine_distance_clusters_by_direction(tmp_path):
    points = np.array([[2, 0], [3, 0.3], [0, 5], [0.2, 1]], np.float32)
    model = kmeans(tmp_path, distance_metric=KMeansClustering.COSINE_DISTANCE,
                   initial_clusters=np.array([[1, 0], [0, 1]], np.float32))
    model.train(input_fn(points, repeat=True), steps=1)
    assert list(model.predict_cluster_index(input_fn(points))) == [0, 0, 1, 1]
    centers = model.cluster_centers()
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    expected = np.stack([unit[:2].sum(0), unit[2:].sum(0)])  # the normalized mean of the unit vectors
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(centers, expected, rtol=1e-5)
    # transform() gives cosine distances as they are: 1 - cos(point, center).
    np.testing.assert_allclose(np.array(list(model.transform(input_fn(points)))), 1 - unit @ expected.T,
                               rtol=1e-4, atol=1e-5)


def test_dict_features_are_points_with_their_keys_in_sorted_order(tmp_path):
    columns = {"y": POINTS[:, 1:], "x": POINTS[:, :1]}  # sorted: x, y: the same points
    model = kmeans(tmp_path)
    model.train(input_fn(columns, repeat=True), steps=1)
    np.testing.assert_allclose(model.cluster_centers(), MEANS, rtol=1e-6)


def test_feature_columns_choose_the_features(tmp_path):
    columns = {"x": POINTS[:, :1], "noise": np.full((6, 1), 100, np.float32)}
    model = kmeans(tmp_path, feature_columns=[tf.compat.v1.feature_column.numeric_column("x")],
                   initial_clusters=np.array([[0], [10]], np.float32))
    model.train(input_fn(columns, repeat=True), steps=1)
    np.testing.assert_allclose(model.cluster_centers(), [[1 / 3], [31 / 3]], rtol=1e-6)


def test_relative_tolerance_stops_once_the_loss_settles(tmp_path):
    # Losses: 4 at the initial centers (points at distance 1: 2 per blob), then 8/3 at the means, then 8/3
    # again: a relative change of 0 < tolerance stops training at step 3 of 50.
    model = kmeans(tmp_path, relative_tolerance=1e-3)
    model.train(input_fn(repeat=True), steps=50)
    assert model.get_variable_value("global_step") == 3


def test_kmeans_plus_plus_finds_the_two_blobs(tmp_path):
    model = KMeansClustering(num_clusters=2, model_dir=str(tmp_path), use_mini_batch=False, seed=3,
                             initial_clusters=KMeansClustering.KMEANS_PLUS_PLUS_INIT)
    model.train(input_fn(repeat=True), steps=3)
    centers = model.cluster_centers()
    np.testing.assert_allclose(centers[np.argsort(centers[:, 0])], MEANS, rtol=1e-5)


def test_unknown_initialization_or_distance_is_refused():
    with pytest.raises(ValueError, match="Unsupported initialization algorithm 'kmeans'"):
        KMeansClustering(2, initial_clusters="kmeans")
    with pytest.raises(ValueError, match="Unsupported distance metric 'l1'"):
        KMeansClustering(2, distance_metric="l1")


def test_the_constructor_and_constants_are_the_real_ones():
    assert str(inspect.signature(KMeansClustering.__init__)) == (
        "(self, num_clusters, model_dir=None, initial_clusters='random', distance_metric='squared_euclidean', "
        "seed=None, use_mini_batch=True, mini_batch_steps_per_iteration=1, kmeans_plus_plus_num_retries=2, "
        "relative_tolerance=None, config=None, feature_columns=None)")
    assert (KMeansClustering.SCORE, KMeansClustering.CLUSTER_INDEX, KMeansClustering.ALL_DISTANCES,
            KMeansClustering.CLUSTER_CENTERS_VAR_NAME) == ("score", "cluster_index", "all_distances", "clusters")
    assert (KMeansClustering.RANDOM_INIT, KMeansClustering.KMEANS_PLUS_PLUS_INIT,
            KMeansClustering.COSINE_DISTANCE) == ("random", "kmeans_plus_plus", "cosine")


def test_kmeans_is_in_the_v1_experimental_namespace_only():
    assert iris_lib.tf1.estimator.experimental.KMeans is KMeansClustering
    assert api.ESTIMATOR_V1.experimental.KMeans is KMeansClustering
    with pytest.raises(AttributeError, match="nor had the real tf.estimator") as caught:
        api.ESTIMATOR_V2.experimental.KMeans  # TF2's tf.estimator.experimental never had it
    assert not isinstance(caught.value, api.MissingFromIrisLib)


def test_the_export_has_the_real_signatures(tmp_path):
    model = kmeans(tmp_path / "model")
    model.train(input_fn(repeat=True), steps=1)

    def serving_input_receiver_fn():
        points = tf.compat.v1.placeholder(tf.float32, [None, 2], name="points")
        return iris_lib.tf1.estimator.export.ServingInputReceiver(points, {"points": points})

    path = model.export_saved_model(str(tmp_path / "export"), serving_input_receiver_fn)
    loaded = tf.saved_model.load(path.decode())
    assert sorted(loaded.signatures) == ["all_distances", "cluster_index", "serving_default"]
    out = loaded.signatures["serving_default"](points=tf.constant(POINTS))
    assert out["output"].numpy().tolist() == [0, 0, 0, 1, 1, 1]
