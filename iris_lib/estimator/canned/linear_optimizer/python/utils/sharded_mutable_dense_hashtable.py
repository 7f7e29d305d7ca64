"""The table where SDCA keeps each example's dual state, split in `num_shards` dense hash tables.

Ported from `tensorflow_estimator/.../linear_optimizer/python/utils/sharded_mutable_dense_hashtable.py` (a
copy of tf.contrib.lookup's MutableDenseHashTable, which TensorFlow no longer ships in that form). Each shard
is saved in checkpoints as `<name>-keys` and `<name>-values` (`ShardedMutableHashTable-1-of-1-keys`...), the
names the real one wrote, so a run resumes with the dual state it had, on either engine.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.checkpoint import saveable_compat
from tensorflow.python.framework import ops
from tensorflow.python.ops import gen_lookup_ops
from tensorflow.python.ops import lookup_ops
from tensorflow.python.training.saver import BaseSaverBuilder


@saveable_compat.legacy_saveable_name("table")
class _MutableDenseHashTable(lookup_ops.LookupInterface):
    """A mutable hash table on dense keys (tf.contrib.lookup.MutableDenseHashTable), saved under its name."""

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key, initial_num_buckets=None,
                 shared_name=None, name="MutableDenseHashTable", checkpoint=True):
        self._default_value = ops.convert_to_tensor(default_value, dtype=value_dtype, name="default_value")
        self._key_dtype = key_dtype
        self._value_dtype = value_dtype
        self._initial_num_buckets = initial_num_buckets
        self._value_shape = self._default_value.get_shape()
        self._checkpoint = checkpoint
        self._name = name
        self._empty_key = ops.convert_to_tensor(empty_key, dtype=key_dtype, name="empty_key")
        self._deleted_key = ops.convert_to_tensor(deleted_key, dtype=key_dtype, name="deleted_key")
        if tf.executing_eagerly() and shared_name is None:
            shared_name = "table_%d" % (ops.uid(),)
        self._shared_name = shared_name
        super().__init__(key_dtype, value_dtype)
        self._resource_handle = self._create_resource()
        if checkpoint:
            saveable = _MutableDenseHashTable._Saveable(self, name)
            if not tf.executing_eagerly():  # the graph Saver finds it here, as the real one's did
                tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS, saveable)

    def _create_resource(self):
        use_node_name_sharing = self._checkpoint and self._shared_name is None
        table_ref = gen_lookup_ops.mutable_dense_hash_table_v2(
            empty_key=self._empty_key, deleted_key=self._deleted_key, shared_name=self._shared_name,
            use_node_name_sharing=use_node_name_sharing, value_dtype=self._value_dtype,
            value_shape=self._value_shape, initial_num_buckets=self._initial_num_buckets, name=self._name)
        self._table_name = None if tf.executing_eagerly() else table_ref.op.name.split("/")[-1]
        return table_ref

    @property
    def name(self):
        return self._table_name

    def size(self, name=None):
        """The number of keys in the table (a scalar tensor)."""
        with ops.name_scope(name, "%s_Size" % self.name, [self.resource_handle]) as name:
            with ops.colocate_with(self.resource_handle):
                return gen_lookup_ops.lookup_table_size_v2(self.resource_handle, name=name)

    def lookup(self, keys, name=None):
        """The values of `keys`, the default value for keys not in the table."""
        with ops.name_scope(name, "%s_lookup_table_find" % self.name, [self.resource_handle, keys]) as name:
            keys = ops.convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            with ops.colocate_with(self.resource_handle):
                return gen_lookup_ops.lookup_table_find_v2(self.resource_handle, keys, self._default_value,
                                                           name=name)

    def insert(self, keys, values, name=None):
        """An op associating `keys` with `values`."""
        with ops.name_scope(name, "%s_lookup_table_insert" % self.name,
                            [self.resource_handle, keys, values]) as name:
            keys = ops.convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            values = ops.convert_to_tensor(values, dtype=self._value_dtype, name="values")
            with ops.colocate_with(self.resource_handle):
                return gen_lookup_ops.lookup_table_insert_v2(self.resource_handle, keys, values, name=name)

    def export(self, name=None):
        """(keys, values): every bucket of the table, as the checkpoint stores it."""
        with ops.name_scope(name, "%s_lookup_table_export_values" % self.name, [self.resource_handle]) as name:
            with ops.colocate_with(self.resource_handle):
                return gen_lookup_ops.lookup_table_export_v2(self.resource_handle, self._key_dtype,
                                                             self._value_dtype, name=name)

    def _serialize_to_tensors(self):
        keys, values = self.export()
        return {"-keys": keys, "-values": values}

    def _restore_from_tensors(self, restored_tensors):
        with ops.colocate_with(self.resource_handle):
            return gen_lookup_ops.lookup_table_import_v2(self.resource_handle, restored_tensors["-keys"],
                                                         restored_tensors["-values"])

    class _Saveable(BaseSaverBuilder.SaveableObject):
        """What the graph Saver saves and restores: `<name>-keys` and `<name>-values`."""

        def __init__(self, table, name):
            keys, values = table.export()
            specs = [BaseSaverBuilder.SaveSpec(keys, "", name + "-keys"),
                     BaseSaverBuilder.SaveSpec(values, "", name + "-values")]
            super().__init__(table, specs, name)

        def restore(self, restored_tensors, restored_shapes):
            del restored_shapes  # unused
            with ops.colocate_with(self.op.resource_handle):
                return gen_lookup_ops.lookup_table_import_v2(self.op.resource_handle, restored_tensors[0],
                                                             restored_tensors[1])


class _ShardedMutableDenseHashTable:
    """`num_shards` `_MutableDenseHashTable`s, a key's shard its |key| modulo num_shards; `export_sharded`
    replaces `export` (one (keys, values) pair per shard)."""

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key, num_shards=1,
                 checkpoint=True, name="ShardedMutableHashTable"):
        self._key_dtype = key_dtype
        self._value_dtype = value_dtype
        with ops.name_scope(name, "sharded_mutable_hash_table") as scope:
            self._table_name = scope
            self._table_shards = [
                _MutableDenseHashTable(key_dtype=key_dtype, value_dtype=value_dtype, default_value=default_value,
                                       empty_key=empty_key, deleted_key=deleted_key, checkpoint=checkpoint,
                                       name="%s-%d-of-%d" % (name, i + 1, num_shards))
                for i in range(num_shards)]
            self._value_shape = self._table_shards[0]._value_shape

    @property
    def name(self):
        return self._table_name

    @property
    def _num_shards(self):
        return len(self._table_shards)

    @property
    def table_shards(self):
        return self._table_shards

    def size(self, name=None):
        with ops.name_scope(name, "sharded_mutable_hash_table_size"):
            return tf.math.add_n([shard.size() for shard in self._table_shards])

    def _shard_indices(self, keys):
        if keys.get_shape().ndims > 1:  # a matrix of keys: its first column picks the shard
            keys = tf.reshape(tf.slice(keys, [0, 0], [-1, 1]), [-1])
        return tf.cast(tf.math.floormod(tf.math.abs(keys), self._num_shards), tf.dtypes.int32)

    def _check_keys(self, keys):
        if keys.get_shape().ndims not in (1, 2):
            raise ValueError("Expected a vector or matrix for keys, got %s." % keys.get_shape())

    def lookup(self, keys, name=None):
        """The values of `keys`, each looked up in its shard."""
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError("Signature mismatch. Keys must be dtype %s, got %s." % (self._key_dtype, keys.dtype))
        self._check_keys(keys)
        num_shards = self._num_shards
        if num_shards == 1:
            return self._table_shards[0].lookup(keys, name=name)
        shard_indices = self._shard_indices(keys)
        key_shards = tf.dynamic_partition(keys, shard_indices, num_shards)
        value_shards = [self._table_shards[i].lookup(key_shards[i], name=name) for i in range(num_shards)]
        original_indices = tf.range(tf.compat.v1.shape(keys)[0])
        partitioned_indices = tf.dynamic_partition(original_indices, shard_indices, num_shards)
        return tf.dynamic_stitch(partitioned_indices, value_shards)

    def insert(self, keys, values, name=None):
        """An op inserting each key (and its value) in its shard."""
        self._check_keys(keys)
        num_shards = self._num_shards
        if num_shards == 1:
            return self._table_shards[0].insert(keys, values, name=name)
        shard_indices = self._shard_indices(keys)
        key_shards = tf.dynamic_partition(keys, shard_indices, num_shards)
        value_shards = tf.dynamic_partition(values, shard_indices, num_shards)
        return tf.group(*[self._table_shards[i].insert(key_shards[i], value_shards[i], name=name)
                          for i in range(num_shards)])

    def export_sharded(self, name=None):
        """([keys of each shard], [values of each shard])."""
        keys_list, values_list = [], []
        for table_shard in self._table_shards:
            exported_keys, exported_values = table_shard.export(name=name)
            keys_list.append(exported_keys)
            values_list.append(exported_values)
        return keys_list, values_list
