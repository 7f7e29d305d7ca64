"""`KMeansClustering` (`tf.compat.v1.estimator.experimental.KMeans`): k-means as an Estimator.

Mirrors `tensorflow_estimator/python/estimator/canned/kmeans.py` on TensorFlow's own
`tensorflow.python.ops.clustering_ops` (still in TF 2.21, unchanged since 2.15), so the graph, the variables in
the checkpoint (`clusters`, `initialized`, and for mini-batch training `Variable` (the per-cluster counts),
`clusters_updated`, `update_in_steps`), the prediction keys (`all_distances`, `cluster_index`) and the eval
metric (`score`) are the real ones: a checkpoint restores on either engine. Each `train` step is one Lloyd
iteration (or one mini-batch of one); a training hook picks the initial centers once the session exists, and
another may stop training when the loss stops changing. The input_fn returns features only (no labels): one
`[n, d]` Tensor, or a dict of `[n, 1]` columns (sorted by key) or filtered by `feature_columns`.
Only in the V1 namespace, as the real one.
"""
from __future__ import annotations

import time

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops
from tensorflow.python.ops import clustering_ops, control_flow_ops

from iris_lib.estimator import model_fn as model_fn_lib
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.export import export_output
from iris_lib.estimator.hooks.session_run_hook import SessionRunArgs, SessionRunHook

v1 = tf.compat.v1


class _LossRelativeChangeHook(SessionRunHook):
    """Stops training when the loss changes by less than `tolerance` (relative) from one step to the next."""

    def __init__(self, loss_tensor, tolerance: float):
        self._loss_tensor = loss_tensor
        self._tolerance = tolerance
        self._prev_loss = None

    def before_run(self, run_context):
        del run_context  # unused
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        loss = run_values.results
        assert loss is not None
        if self._prev_loss:  # as the real one: a previous loss of exactly 0 never stops
            relative_change = abs(loss - self._prev_loss) / (1 + abs(self._prev_loss))
            if relative_change < self._tolerance:
                run_context.request_stop()
        self._prev_loss = loss


class _InitializeClustersHook(SessionRunHook):
    """Chooses the initial centers once the session exists: the chief runs `init_op` until all are chosen
    (a callable `initial_clusters` may give fewer than k per batch), the other workers wait for it."""

    def __init__(self, init_op, is_initialized_var, is_chief: bool):
        self._init_op = init_op
        self._is_initialized_var = is_initialized_var
        self._is_chief = is_chief

    def after_create_session(self, session, coord):
        del coord  # unused
        assert self._init_op.graph is v1.get_default_graph()
        assert self._is_initialized_var.graph is self._init_op.graph
        while True:
            try:
                if session.run(self._is_initialized_var):
                    break
                elif self._is_chief:
                    session.run(self._init_op)
                else:
                    time.sleep(1)
            except RuntimeError as e:
                v1.logging.info(e)


def _parse_features_if_necessary(features, feature_columns):
    """The input points as one `[n, k]` Tensor: a dict's columns through `feature_columns` if given, else
    concatenated in sorted key order; anything else (a Tensor) unchanged."""
    if not isinstance(features, dict):
        return features
    if feature_columns:
        return v1.feature_column.input_layer(features, feature_columns)
    keys = sorted(features.keys())
    with ops.colocate_with(features[keys[0]]):
        return tf.concat([features[k] for k in keys], axis=1)


class _ModelFn:
    """The model_fn(features, mode, config): no labels, as the real one; its settings live on the object."""

    def __init__(self, num_clusters, initial_clusters, distance_metric, seed, use_mini_batch,
                 mini_batch_steps_per_iteration, kmeans_plus_plus_num_retries, relative_tolerance,
                 feature_columns):
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._seed = seed
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = mini_batch_steps_per_iteration
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._relative_tolerance = relative_tolerance
        self._feature_columns = feature_columns

    def model_fn(self, features, mode, config):
        """One Lloyd iteration (or mini-batch) per train step; loss = the sum of each point's distance to its
        nearest center; eval metric `score` = the mean of that loss over the batches; predictions
        `all_distances` [n, k] and `cluster_index` [n]."""
        input_points = _parse_features_if_necessary(features, self._feature_columns)
        # One input Tensor, so clustering_ops' sharding is unused: each list below holds one item.
        (all_distances, model_predictions, losses, is_initialized, init_op,
         training_op) = clustering_ops.KMeans(
             inputs=input_points,
             num_clusters=self._num_clusters,
             initial_clusters=self._initial_clusters,
             distance_metric=self._distance_metric,
             use_mini_batch=self._use_mini_batch,
             mini_batch_steps_per_iteration=self._mini_batch_steps_per_iteration,
             random_seed=self._seed,
             kmeans_plus_plus_num_retries=self._kmeans_plus_plus_num_retries).training_graph()

        loss = tf.math.reduce_sum(losses)
        v1.summary.scalar("loss/raw", loss)

        incr_step = v1.assign_add(v1.train.get_global_step(), 1)
        training_op = control_flow_ops.with_dependencies([training_op, incr_step], loss)

        training_hooks = [_InitializeClustersHook(init_op, is_initialized, config.is_chief)]
        if self._relative_tolerance is not None:
            training_hooks.append(_LossRelativeChangeHook(loss, self._relative_tolerance))

        export_outputs = {
            KMeansClustering.ALL_DISTANCES: export_output.PredictOutput(all_distances[0]),
            KMeansClustering.CLUSTER_INDEX: export_output.PredictOutput(model_predictions[0]),
            tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY: export_output.PredictOutput(model_predictions[0]),
        }
        return model_fn_lib.EstimatorSpec(
            mode=mode,
            predictions={
                KMeansClustering.ALL_DISTANCES: all_distances[0],
                KMeansClustering.CLUSTER_INDEX: model_predictions[0],
            },
            loss=loss,
            train_op=training_op,
            eval_metric_ops={KMeansClustering.SCORE: v1.metrics.mean(loss)},
            training_hooks=training_hooks,
            export_outputs=export_outputs)


class KMeansClustering(Estimator):
    """k-means clustering (`tf.compat.v1.estimator.experimental.KMeans`).

    `use_mini_batch=False` runs full-batch k-means: each `train` step is one Lloyd iteration over what the
    input_fn returns, so it must return the whole data set. `use_mini_batch=True` (the default) accumulates
    `mini_batch_steps_per_iteration` mini-batches before the centers move. The centers are in the checkpoint:
    `cluster_centers()` is `tf.train.load_variable(model_dir, 'clusters')`; an exported SavedModel has no
    signature returning them.
    """

    # Valid values for the distance_metric constructor argument.
    SQUARED_EUCLIDEAN_DISTANCE = clustering_ops.SQUARED_EUCLIDEAN_DISTANCE
    COSINE_DISTANCE = clustering_ops.COSINE_DISTANCE

    # Values for the initial_clusters constructor argument.
    RANDOM_INIT = clustering_ops.RANDOM_INIT
    KMEANS_PLUS_PLUS_INIT = clustering_ops.KMEANS_PLUS_PLUS_INIT

    # The metric evaluate() returns: the sum of the squared distances from each point to its nearest center.
    SCORE = "score"

    # Keys of predict(): each point's distance to every center, and the index of the nearest center.
    CLUSTER_INDEX = "cluster_index"
    ALL_DISTANCES = "all_distances"

    # The variable cluster_centers() reads.
    CLUSTER_CENTERS_VAR_NAME = clustering_ops.CLUSTERS_VAR_NAME

    def __init__(self,
                 num_clusters,
                 model_dir=None,
                 initial_clusters=RANDOM_INIT,
                 distance_metric=SQUARED_EUCLIDEAN_DISTANCE,
                 seed=None,
                 use_mini_batch=True,
                 mini_batch_steps_per_iteration=1,
                 kmeans_plus_plus_num_retries=2,
                 relative_tolerance=None,
                 config=None,
                 feature_columns=None):
        """`initial_clusters`: an array or Tensor of the centers (then `num_clusters` is ignored), a callable
        `f(inputs, k)` returning up to k centers from a batch, `RANDOM_INIT` (points of the batch) or
        `KMEANS_PLUS_PLUS_INIT` (k-means++ on the first batch, which needs at least k points).
        `distance_metric`: `SQUARED_EUCLIDEAN_DISTANCE` or `COSINE_DISTANCE`. `relative_tolerance` stops
        training once the loss changes less than that between steps (unreliable with mini-batches)."""
        if isinstance(initial_clusters, str) and initial_clusters not in [
                KMeansClustering.RANDOM_INIT, KMeansClustering.KMEANS_PLUS_PLUS_INIT]:
            raise ValueError(f"Unsupported initialization algorithm '{initial_clusters}'")
        if distance_metric not in [KMeansClustering.SQUARED_EUCLIDEAN_DISTANCE, KMeansClustering.COSINE_DISTANCE]:
            raise ValueError(f"Unsupported distance metric '{distance_metric}'")
        self._distance_metric = distance_metric
        super().__init__(
            model_fn=_ModelFn(num_clusters, initial_clusters, distance_metric, seed, use_mini_batch,
                              mini_batch_steps_per_iteration, kmeans_plus_plus_num_retries, relative_tolerance,
                              feature_columns).model_fn,
            model_dir=model_dir,
            config=config)

    def _predict_one_key(self, input_fn, predict_key):
        for result in self.predict(input_fn=input_fn, predict_keys=[predict_key]):
            yield result[predict_key]

    def predict_cluster_index(self, input_fn):
        """Yields the index of the nearest cluster center for each input point."""
        for index in self._predict_one_key(input_fn, KMeansClustering.CLUSTER_INDEX):
            yield index

    def score(self, input_fn):
        """The sum of the squared distances from each point of the FIRST batch to its nearest center.

        Positive, unlike sklearn's `score` (its negative); only one batch is read (`evaluate(steps=1)`).
        """
        return self.evaluate(input_fn=input_fn, steps=1)[KMeansClustering.SCORE]

    def transform(self, input_fn):
        """Yields each point's distances to all centers: Euclidean (the square root of the model's squared
        distances, as sklearn's `transform`) or cosine, as `distance_metric`."""
        for distances in self._predict_one_key(input_fn, KMeansClustering.ALL_DISTANCES):
            if self._distance_metric == KMeansClustering.SQUARED_EUCLIDEAN_DISTANCE:
                yield np.sqrt(distances)
            else:
                yield distances

    def cluster_centers(self):
        """The cluster centers, `[num_clusters, dimension]`, from the latest checkpoint."""
        return self.get_variable_value(KMeansClustering.CLUSTER_CENTERS_VAR_NAME)
