"""Proximal stochastic dual coordinate ascent (SDCA) for linear models: the solver behind `LinearSDCA`.

Ported from `tensorflow_estimator/.../linear_optimizer/python/utils/sdca_ops.py`; the work is TensorFlow's own
kernel (`gen_sdca_ops.sdca_optimizer_v2`, still in TF 2.21). `minimize()` runs one pass of the kernel over the
batch: it reads each example's dual state from a hash table keyed by the fingerprint of its example id, and
adds its updates to "unshrunk" copies of the weights (`<variable>_unshrunk`, saved in checkpoints as the real
ones); `update_weights()` then copies them into the model's weights, shrunk by the L1 proximal step.

The kernel visits the examples in a random order of its own (no seed reaches it), so two runs agree only
once they have converged: to the optimum of the regularized loss, which is unique.
"""
from __future__ import annotations

import collections

import tensorflow as tf
from tensorflow.python.framework import ops
from tensorflow.python.framework.ops import internal_convert_to_tensor, name_scope
from tensorflow.python.ops import gen_sdca_ops
from tensorflow.python.ops import variables as var_ops
from tensorflow.python.ops.nn import log_poisson_loss, sigmoid_cross_entropy_with_logits

from iris_lib.estimator.canned.linear_optimizer.python.utils.sharded_mutable_dense_hashtable import (
    _ShardedMutableDenseHashTable)

v1 = tf.compat.v1
SUPPORTED_LOSSES = ("logistic_loss", "squared_loss", "hinge_loss", "smooth_hinge_loss", "poisson_loss")


def _is_partitioned(var) -> bool:
    return isinstance(var, (list, var_ops.PartitionedVariable))


class _SparseFeatureColumn:
    """One sparse feature for SDCA: rows of (example index, feature index, value), int64, int64, float32.

    E.g. example 0 with feature 5 and example 1 with features 6 and 10 (value 0.5) are
    `<0, 5, 1>, <1, 6, 1>, <1, 10, 0.5>`. Values may be None: SDCA then takes 1.0 for each."""

    def __init__(self, example_indices, feature_indices, feature_values):
        with name_scope(None, "SparseFeatureColumn", [example_indices, feature_indices]):
            self._example_indices = internal_convert_to_tensor(example_indices, name="example_indices",
                                                               dtype=tf.dtypes.int64)
            self._feature_indices = internal_convert_to_tensor(feature_indices, name="feature_indices",
                                                               dtype=tf.dtypes.int64)
        self._feature_values = None
        if feature_values is not None:
            with name_scope(None, "SparseFeatureColumn", [feature_values]):
                self._feature_values = internal_convert_to_tensor(feature_values, name="feature_values",
                                                                  dtype=tf.dtypes.float32)

    @property
    def example_indices(self):
        return self._example_indices

    @property
    def feature_indices(self):
        return self._feature_indices

    @property
    def feature_values(self):
        return self._feature_values


class _SDCAModel:
    """Stochastic dual coordinate ascent solver for linear models (logistic, squared, hinge, smooth hinge and
    Poisson losses).

    examples: {sparse_features: [_SparseFeatureColumn], dense_features: [float32 tensors],
    example_labels, example_weights: float32 [N], example_ids: string [N]};
    variables: {sparse_features_weights: [...], dense_features_weights: [...]} (variables, partitioned or not);
    options: {symmetric_l1_regularization, symmetric_l2_regularization, loss_type, and optionally
    num_loss_partitions (1), num_table_shards (1), adaptive (True)}.
    Run `minimize()` then `update_weights(that op)` each step."""

    def __init__(self, examples, variables, options):
        if not examples or not variables or not options:
            raise ValueError("examples, variables and options must all be specified.")
        if options["loss_type"] not in SUPPORTED_LOSSES:
            raise ValueError("Unsupported loss_type: ", options["loss_type"])
        self._assert_specified(["example_labels", "example_weights", "example_ids", "sparse_features",
                                "dense_features"], examples)
        self._assert_list(["sparse_features", "dense_features"], examples)
        self._assert_specified(["sparse_features_weights", "dense_features_weights"], variables)
        self._assert_list(["sparse_features_weights", "dense_features_weights"], variables)
        self._assert_specified(["loss_type", "symmetric_l2_regularization", "symmetric_l1_regularization"],
                               options)
        if options["symmetric_l2_regularization"] <= 0.0:
            raise ValueError("symmetric_l2_regularization should be positive.")
        if options["symmetric_l2_regularization"] <= 1.0:
            v1.logging.warn("symmetric_l2_regularization for SDCA should typically be larger than for online "
                            "optimization methods. Recommended value is of the order of the average L2 norm of "
                            "the training examples.")
        if options["symmetric_l1_regularization"] < 0.0:
            raise ValueError("symmetric_l1_regularization should be non-negative.")
        self._examples = examples
        self._variables = variables
        self._options = options
        self._create_slots()
        self._hashtable = _ShardedMutableDenseHashTable(
            key_dtype=tf.dtypes.int64, value_dtype=tf.dtypes.float32, num_shards=self._num_table_shards(),
            default_value=[0.0, 0.0, 0.0, 0.0],
            # SdcaFprint never returns 0 or 1 for the low64 bits: safe empty and deleted keys.
            empty_key=[0, 0], deleted_key=[1, 1])
        v1.summary.scalar("approximate_duality_gap", self.approximate_duality_gap())
        v1.summary.scalar("examples_seen", self._hashtable.size())

    def _symmetric_l1_regularization(self):
        return self._options["symmetric_l1_regularization"]

    def _symmetric_l2_regularization(self):
        return self._options["symmetric_l2_regularization"]

    def _num_loss_partitions(self):
        return self._options.get("num_loss_partitions", 1)

    def _adaptive(self):
        return self._options.get("adaptive", True)

    def _num_table_shards(self):
        num_shards = self._options.get("num_table_shards")
        return 1 if num_shards is None else num_shards

    def _create_slots(self):
        """The unshrunk copies of the weights (before the L1 step), named `<variable op name>_unshrunk` in the
        current name scope; a partitioned variable gets a list, one per part (no PartitionedVariable)."""

        def unshrunk(v):
            initial = tf.cond(v1.is_variable_initialized(v), v.read_value, lambda: v.initial_value)
            return tf.Variable(initial_value=v1.zeros_like(initial, tf.dtypes.float32), name=v.op.name + "_unshrunk")

        self._slots = collections.defaultdict(list)
        for name in ["sparse_features_weights", "dense_features_weights"]:
            for var in self._variables[name]:
                if _is_partitioned(var):
                    var_list = []
                    for v in var:
                        with ops.colocate_with(v):
                            var_list.append(unshrunk(v))
                    self._slots["unshrunk_" + name].append(var_list)
                else:
                    with v1.device(var.device):
                        self._slots["unshrunk_" + name].append(unshrunk(var))

    def _assert_specified(self, items, check_in):
        for x in items:
            if check_in[x] is None:
                raise ValueError(f"{x} must be specified.")

    def _assert_list(self, items, check_in):
        for x in items:
            if not isinstance(check_in[x], list):
                raise ValueError(x + " must be a list.")

    def _var_to_list(self, var):
        return var if _is_partitioned(var) else [var]

    def _weight_sums(self, scope, fn):
        with name_scope(scope):
            sums = []
            for name in ["sparse_features_weights", "dense_features_weights"]:
                for var in self._variables[name]:
                    for v in self._var_to_list(var):
                        weights = internal_convert_to_tensor(v)
                        with v1.device(weights.device):
                            sums.append(tf.math.reduce_sum(fn(tf.cast(weights, tf.dtypes.float64))))
            return tf.math.add_n(sums)

    def _l1_loss(self):
        """l1 * sum(|weights|), not normalized."""
        return self._symmetric_l1_regularization() * self._weight_sums("sdca/l1_loss", tf.math.abs)

    def _l2_loss(self):
        """l2 * sum(weights^2) / 2, not normalized."""
        return self._symmetric_l2_regularization() * self._weight_sums("sdca/l2_loss", tf.math.square) / 2.0

    def _convert_n_to_tensor(self, input_list, as_ref=False):
        """Tensors of the inputs, a partitioned one concatenated along its first axis."""
        output_list = []
        for x in input_list:
            tensor_to_convert = tf.concat(x, axis=0) if _is_partitioned(x) else x
            output_list.append(internal_convert_to_tensor(tensor_to_convert, as_ref=as_ref))
        return output_list

    def _get_first_dimension_size_statically(self, w, num_partitions):
        dim_0_size = w[0].get_shape()[0]
        for p in range(1, num_partitions):
            dim_0_size += w[p].get_shape()[0]
        return dim_0_size

    def _linear_predictions(self, examples):
        """w*x for each example."""
        with name_scope("sdca/prediction"):
            batch_size = v1.shape(examples["example_ids"])[0]
            predictions = tf.zeros([batch_size])
            sparse_variables = self._convert_n_to_tensor(self._variables["sparse_features_weights"])
            for sfc, sv in zip(examples["sparse_features"], sparse_variables):
                unpadded_dot_product = tf.math.segment_sum(
                    tf.math.multiply(v1.gather(sv, sfc.feature_indices), sfc.feature_values), sfc.example_indices)
                predictions += v1.pad(unpadded_dot_product,
                                      [[0, batch_size - v1.shape(unpadded_dot_product)[0]]])
            dense_features = self._convert_n_to_tensor(examples["dense_features"])
            dense_variables = self._convert_n_to_tensor(self._variables["dense_features_weights"])
            for i in range(len(dense_variables)):
                predictions += v1.squeeze(tf.linalg.matmul(dense_features[i],
                                                           v1.expand_dims(dense_variables[i], -1)))
        return predictions

    def predictions(self, examples):
        """Probabilities for logistic loss, exp(w*x) for Poisson loss, else w*x."""
        self._assert_specified(["example_weights", "sparse_features", "dense_features"], examples)
        self._assert_list(["sparse_features", "dense_features"], examples)
        result = self._linear_predictions(examples)
        if self._options["loss_type"] == "logistic_loss":
            with name_scope("sdca/logistic_prediction"):
                result = tf.math.sigmoid(result)
        elif self._options["loss_type"] == "poisson_loss":
            with name_scope("sdca/poisson_prediction"):
                result = tf.math.exp(result)
        return result

    def _get_partitioned_update_ops(self, v_num, num_partitions_by_var, p_assignments_by_var, gather_ids_by_var,
                                    weights, full_update, p_assignments, num_partitions):
        num_partitions = num_partitions_by_var[v_num]
        p_assignments = p_assignments_by_var[v_num]
        gather_ids = gather_ids_by_var[v_num]
        updates = tf.dynamic_partition(full_update, p_assignments, num_partitions)
        update_ops = []
        for p in range(num_partitions):
            with ops.colocate_with(weights[p]):
                update_ops.append(v1.scatter_add(weights[p], gather_ids[p], updates[p]))
        return update_ops

    def minimize(self, global_step=None, name=None):
        """The op of one SDCA pass over the batch: the kernel, then the table and unshrunk weights updated
        (and `global_step` incremented, when given)."""
        with name_scope(name, "sdca/minimize"):
            sparse_example_indices, sparse_feature_indices, sparse_features_values = [], [], []
            for sf in self._examples["sparse_features"]:
                sparse_example_indices.append(sf.example_indices)
                sparse_feature_indices.append(sf.feature_indices)
                if sf.feature_values is not None:  # if missing, sdca assumes 1.0
                    sparse_features_values.append(sf.feature_values)

            example_ids_hashed = v1.train.sdca_fprint(internal_convert_to_tensor(self._examples["example_ids"]))
            example_state_data = self._hashtable.lookup(example_ids_hashed)

            sparse_weights, sparse_indices = [], []
            # For partitioned variables (keyed by their number): what the update after the kernel needs.
            num_partitions_by_var, p_assignments_by_var, gather_ids_by_var = {}, {}, {}
            p_assignments = num_partitions = None
            for v_num, (w, i) in enumerate(zip(self._slots["unshrunk_sparse_features_weights"],
                                               sparse_feature_indices)):
                sparse_idx = tf.cast(tf.unique(tf.cast(i, tf.dtypes.int32))[0], tf.dtypes.int64)
                sparse_indices.append(sparse_idx)
                if _is_partitioned(w):
                    num_partitions = len(w)
                    flat_ids = tf.reshape(sparse_idx, [-1])
                    # Div partitioning: a constant number of ids per partition, the first `extras` one more.
                    dim_0_size = self._get_first_dimension_size_statically(w, num_partitions)
                    if tf.compat.dimension_value(dim_0_size):
                        num_total_ids = tf.constant(tf.compat.dimension_value(dim_0_size), flat_ids.dtype)
                    else:
                        dim_0_sizes = []
                        for p in range(num_partitions):
                            if tf.compat.dimension_value(w[p].shape[0]) is not None:
                                dim_0_sizes.append(tf.compat.dimension_value(w[p].shape[0]))
                            else:
                                with ops.colocate_with(w[p]):
                                    dim_0_sizes.append(v1.shape(w[p])[0])
                        num_total_ids = tf.math.reduce_sum(tf.cast(tf.stack(dim_0_sizes), flat_ids.dtype))
                    ids_per_partition = num_total_ids // num_partitions
                    extras = num_total_ids % num_partitions
                    p_assignments = tf.math.maximum(flat_ids // (ids_per_partition + 1),
                                                    (flat_ids - extras) // ids_per_partition)
                    new_ids = tf.where(p_assignments < extras, flat_ids % (ids_per_partition + 1),
                                       (flat_ids - extras) % ids_per_partition)
                    p_assignments = tf.cast(p_assignments, tf.dtypes.int32)
                    gather_ids = tf.dynamic_partition(new_ids, p_assignments, num_partitions)
                    num_partitions_by_var[v_num] = num_partitions
                    p_assignments_by_var[v_num] = p_assignments
                    gather_ids_by_var[v_num] = gather_ids
                    partition_gathered_weights = []
                    for p in range(num_partitions):
                        with ops.colocate_with(w[p]):
                            partition_gathered_weights.append(v1.gather(w[p], gather_ids[p]))
                    # Stitched back in the order they had before the partition.
                    condition_indices = tf.dynamic_partition(tf.range(v1.shape(new_ids)[0]), p_assignments,
                                                             num_partitions)
                    batch_gathered_weights = tf.dynamic_stitch(condition_indices, partition_gathered_weights)
                else:
                    w_as_tensor = internal_convert_to_tensor(w)
                    with v1.device(w_as_tensor.device):
                        batch_gathered_weights = v1.gather(w_as_tensor, sparse_idx)
                sparse_weights.append(batch_gathered_weights)

            esu, sfw, dfw = gen_sdca_ops.sdca_optimizer_v2(
                sparse_example_indices, sparse_feature_indices, sparse_features_values,
                self._convert_n_to_tensor(self._examples["dense_features"]),
                internal_convert_to_tensor(self._examples["example_weights"]),
                internal_convert_to_tensor(self._examples["example_labels"]),
                sparse_indices, sparse_weights,
                self._convert_n_to_tensor(self._slots["unshrunk_dense_features_weights"]),
                example_state_data,
                loss_type=self._options["loss_type"], l1=self._symmetric_l1_regularization(),
                l2=self._symmetric_l2_regularization(), num_loss_partitions=self._num_loss_partitions(),
                num_inner_iterations=1, adaptive=self._adaptive())

            with tf.control_dependencies([esu]):
                update_ops = [self._hashtable.insert(example_ids_hashed, esu)]
                # The weights before the proximal step.
                for v_num, (w, i, u) in enumerate(zip(self._slots["unshrunk_sparse_features_weights"],
                                                      sparse_indices, sfw)):
                    if _is_partitioned(w):
                        update_ops += self._get_partitioned_update_ops(
                            v_num, num_partitions_by_var, p_assignments_by_var, gather_ids_by_var, w, u,
                            p_assignments, num_partitions)
                    else:
                        update_ops.append(v1.scatter_add(w, i, u))
                for w, u in zip(self._slots["unshrunk_dense_features_weights"], dfw):
                    if _is_partitioned(w):
                        split_updates = tf.split(u, num_or_size_splits=[v.shape.as_list()[0] for v in w])
                        for v, split_update in zip(w, split_updates):
                            update_ops.append(v1.assign_add(v, split_update))
                    else:
                        update_ops.append(v1.assign_add(w, u))
            if global_step is None:
                return tf.group(*update_ops)
            with tf.control_dependencies(update_ops):
                return v1.assign_add(global_step, 1, name=name).op

    def update_weights(self, train_op):
        """The op copying the unshrunk weights into the model's, then shrinking them by l1/l2 (when l1 > 0);
        it runs after `train_op`, the op `minimize` returned."""
        with tf.control_dependencies([train_op]):
            update_ops = []
            for name in ["sparse_features_weights", "dense_features_weights"]:
                for var, slot_var in zip(self._variables[name], self._slots["unshrunk_" + name]):
                    for v, sv in zip(self._var_to_list(var), self._var_to_list(slot_var)):
                        update_ops.append(v.assign(sv))
        if self._symmetric_l1_regularization() > 0:  # the proximal step
            shrinkage = self._symmetric_l1_regularization() / self._symmetric_l2_regularization()
            with tf.control_dependencies(update_ops):
                update_ops = []
                for name in ["sparse_features_weights", "dense_features_weights"]:
                    for var in self._variables[name]:
                        for v in self._var_to_list(var):
                            with v1.device(v.device):
                                v_shrunk = tf.math.sign(v) * tf.math.maximum(0.0, tf.math.abs(v) - shrinkage)
                                update_ops.append(v.assign(v_shrunk))
        return tf.group(*update_ops)

    def approximate_duality_gap(self):
        """(primal loss + dual loss + l1 + 2 * l2) / sum of example weights, over the examples seen so far
        (NaN before any)."""
        with name_scope("sdca/approximate_duality_gap"):
            _, values_list = self._hashtable.export_sharded()
            shard_sums = []
            for values in values_list:
                with v1.device(values.device):
                    # One shard at a time (a large table's float64 copy is big); float64 for accuracy.
                    with tf.control_dependencies(shard_sums):
                        shard_sums.append(tf.math.reduce_sum(tf.cast(values, dtype=tf.dtypes.float64), 0))
            summed_values = tf.math.add_n(shard_sums)
            primal_loss, dual_loss, example_weights = summed_values[1], summed_values[2], summed_values[3]
            return (primal_loss + dual_loss + self._l1_loss() + (2.0 * self._l2_loss())) / example_weights

    def unregularized_loss(self, examples):
        """The mean loss on `examples`, without regularization."""
        self._assert_specified(["example_labels", "example_weights", "sparse_features", "dense_features"], examples)
        self._assert_list(["sparse_features", "dense_features"], examples)
        with name_scope("sdca/unregularized_loss"):
            predictions = tf.cast(self._linear_predictions(examples), tf.dtypes.float64)
            labels = tf.cast(internal_convert_to_tensor(examples["example_labels"]), tf.dtypes.float64)
            weights = tf.cast(internal_convert_to_tensor(examples["example_weights"]), tf.dtypes.float64)
            if self._options["loss_type"] == "logistic_loss":
                return tf.math.reduce_sum(tf.math.multiply(
                    sigmoid_cross_entropy_with_logits(labels=labels, logits=predictions), weights)) / \
                    tf.math.reduce_sum(weights)
            if self._options["loss_type"] == "poisson_loss":
                return tf.math.reduce_sum(tf.math.multiply(
                    log_poisson_loss(targets=labels, log_input=predictions), weights)) / tf.math.reduce_sum(weights)
            if self._options["loss_type"] in ["hinge_loss", "smooth_hinge_loss"]:
                # max{0, 1 - y w*x} with y in {-1, 1}: 0/1 labels turned into -1/1.
                all_ones = v1.ones_like(predictions)
                adjusted_labels = tf.math.subtract(2 * labels, all_ones)
                error = tf.nn.relu(tf.math.subtract(all_ones, tf.math.multiply(adjusted_labels, predictions)))
                return tf.math.reduce_sum(tf.math.multiply(error, weights)) / tf.math.reduce_sum(weights)
            # squared loss: sum(err^2) / (2 * sum(weights))
            err = tf.math.subtract(labels, predictions)
            weighted_squared_err = tf.math.multiply(tf.math.square(err), weights)
            return tf.math.reduce_sum(weighted_squared_err) / (2.0 * tf.math.reduce_sum(weights))

    def regularized_loss(self, examples):
        """The mean loss on `examples` plus (l1 + l2 loss) / sum of example weights."""
        self._assert_specified(["example_labels", "example_weights", "sparse_features", "dense_features"], examples)
        self._assert_list(["sparse_features", "dense_features"], examples)
        with name_scope("sdca/regularized_loss"):
            weights = internal_convert_to_tensor(examples["example_weights"])
            return ((self._l1_loss() + self._l2_loss()) / tf.math.reduce_sum(tf.cast(weights, tf.dtypes.float64))
                    + self.unregularized_loss(examples))
