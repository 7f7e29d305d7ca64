"""`numpy_input_fn`: an input_fn that feeds a dict of numpy arrays in batches, as the real one's API.

Deliberate difference: the real one fed a queue from Python threads (queue runners, `num_threads`); this
one is a `tf.data` pipeline, which needs no threads to start or stop. Batches, epochs, dtypes and shapes
are the same (`num_epochs=None` repeats forever with a static batch size; otherwise the last batch may be
smaller), but the shuffled order is not the queue's: with `shuffle=True` each epoch is a fresh
permutation drawn through a buffer of `queue_capacity` examples. As with the real threads, each of `num_threads`
reads `num_epochs` (with the real one's warning): the data is read `num_epochs * num_threads` times.
The arrays become constants of the input graph (the real one fed them from Python), so a data set must stay
well under GraphDef's 2 GB limit; for bigger data write an input_fn with `tf.data` from files.
"""
from __future__ import annotations

import collections
import logging

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
logger = logging.getLogger("iris_lib.estimator")

_TARGET_KEY = "__target_key__"


def numpy_input_fn(x, y=None, batch_size: int = 128, num_epochs: int | None = 1, shuffle: bool | None = None,
                   queue_capacity: int = 1000, num_threads: int = 1):
    """An input_fn yielding `(features, targets)` batches of `x` (dict of arrays, or one array) and `y`.

    `features` has the keys of `x` (or is a tensor when `x` is one array); `targets` is a tensor, or a dict
    with the keys of `y`, or absent when `y` is None (then the input_fn returns the features only).
    """
    _check_shuffle(shuffle)

    def input_fn():
        data = _validate_and_convert_features(x)
        feature_keys = list(data)
        if y is None:
            target_keys = None
        elif isinstance(y, dict):
            if not y:
                raise ValueError("y cannot be empty dict, use None instead.")
            target_keys = sorted(y)
            duplicates = set(feature_keys) & set(target_keys)
            if duplicates:
                raise ValueError(f"{len(duplicates)} duplicate keys are found in both x and y: {duplicates}")
            data.update((key, y[key]) for key in target_keys)
        else:
            target_keys = _unique_target_key(data)
            data[target_keys] = y
        if len({np.shape(value)[0] for value in data.values()}) != 1:
            shapes_x = {key: np.shape(data[key]) for key in feature_keys}
            shapes_y = (None if target_keys is None else np.shape(y) if isinstance(target_keys, str)
                        else {key: np.shape(data[key]) for key in target_keys})
            raise ValueError("Length of tensors in x and y is mismatched. All elements in x and y must have the "
                             f"same length.\nShapes in x: {shapes_x}\nShapes in y: {shapes_y}\n")
        single = isinstance(x, np.ndarray)

        def structure(batch):
            features = batch["__direct_np_input__"] if single else {k: batch[k] for k in feature_keys}
            if target_keys is None:
                return features
            if isinstance(target_keys, str):
                return features, batch[target_keys]
            return features, {key: batch[key] for key in target_keys}

        return next_batch(batches(data, batch_size, num_epochs, shuffle, queue_capacity, num_threads).map(structure))

    return input_fn


def batches(columns: dict, batch_size: int, num_epochs: int | None, shuffle: bool, queue_capacity: int,
            num_threads: int = 1):
    """A dataset of dicts of batches of `columns` (name -> array), as the real feeding queue dequeued them."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
    if num_threads > 1 and num_epochs is not None:
        logger.warning("enqueue_data was called with num_epochs and num_threads > 1. num_epochs is applied per "
                       "thread, so this will produce more epochs than you probably intend. If you want to limit "
                       "epochs, use one thread.")
        num_epochs *= num_threads
    dataset = tf.data.Dataset.from_tensor_slices({key: _as_array(value) for key, value in columns.items()})
    if shuffle:
        dataset = dataset.shuffle(max(int(queue_capacity or 1), 1), reshuffle_each_iteration=True)
    # num_epochs=None: dequeue_many, a static batch size; otherwise dequeue_up_to, a smaller last batch.
    return dataset.repeat(num_epochs).batch(batch_size, drop_remainder=num_epochs is None)


def next_batch(dataset):
    """The next batch's tensors in the graph being built (the Estimator's); the dataset itself when eager.

    The iterator draws no op seed: the real input_fns' queues drew one only to shuffle (as `batches`'s
    shuffle does), so the ops made after the input (a seeded model's initial weights) get the real seeds.
    """
    if tf.executing_eagerly():
        return dataset
    graph = v1.get_default_graph()
    graph_seed, graph.seed = graph.seed, None  # a one-shot iterator numbers itself among a seeded graph's ops
    try:
        iterator = v1.data.make_one_shot_iterator(dataset)
    finally:
        graph.seed = graph_seed
    return iterator.get_next()


def _as_array(value):
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind == "U":
        return array.astype(str).astype(object)  # text columns, as tf.string
    return array


def _check_shuffle(shuffle) -> None:
    if not isinstance(shuffle, bool):
        raise ValueError("shuffle must be provided and explicitly set as boolean "
                         f"(it is recommended to set it as True for training); got {shuffle}")


def _unique_target_key(features) -> str:
    key = _TARGET_KEY
    while key in features:
        key += "_n"
    return key


def _validate_and_convert_features(x) -> collections.OrderedDict:
    if isinstance(x, dict):
        if not x:
            raise ValueError("x cannot be an empty dict")
        return collections.OrderedDict(sorted(x.items(), key=lambda item: item[0]))
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("x cannot be an empty array")
        return collections.OrderedDict({"__direct_np_input__": x})
    raise TypeError(f"x must be a dict or array; got {type(x).__name__}")
