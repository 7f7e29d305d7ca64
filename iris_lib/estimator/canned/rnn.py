"""`RNNClassifier` and `RNNEstimator` (`tf.estimator.experimental.*`): recurrent networks over sequence columns.

Mirrors `tensorflow_estimator/python/estimator/canned/rnn.py` (TF2's namespace only, as the real one). The real
one was a Keras 2 model (`RNNModel`: `SequenceFeatures`, an RNN layer, a `Dense` logits layer) trained by a
Keras 2 optimizer inside the Estimator's graph; Keras 3 cannot run in a tf.compat.v1 graph, so the same model is
written here with tf.compat.v1 variables and ops, under the real variable names, so that checkpoints restore on
either engine:

  sequence_features/<column>/embedding_weights      a sequence column's embedding (`dense_features/...` a context's)
  rnn_model/rnn/simple_rnn_cell/{kernel,recurrent_kernel,bias}      units=[n] (a list): a `tf.keras.layers.RNN`
  rnn_model/rnn/stacked_rnn_cells/lstm_cell_1/...                   units=[n, m]: stacked cells
  rnn_model/gru/gru_cell/...                                        units=n (an int): the `GRU` layer itself
  rnn_model/logits/{kernel,bias}
  training/Adagrad/{learning_rate,decay}, training/Adagrad/<variable>/accumulator     the optimizer's state

The cells compute what Keras 2's do (tanh, sigmoid gates; LSTM's forget-gate bias starts at 1; GRU with
`reset_after=True`, its bias `[2, 3 * units]`), from the same initializers (Glorot uniform, orthogonal, zeros).
Steps past an example's sequence length keep its state and repeat its last output, as Keras's masked RNN.
An optimizer given by name is Keras 2's legacy one (Adagrad at 0.05 by default, each gradient clipped to norm 5,
the global step as its `iterations`); an optimizer object is a `tf.compat.v1.train` one or, after the shim, a
`tf.keras.optimizers.legacy` one (`estimator/keras_legacy_optimizers.py`).

`rnn_cell_fn` and a `cell_type` class take this module's `SimpleRNNCell`, `LSTMCell` and `GRUCell` (Keras 3's
classes of those names are accepted as `cell_type` and mapped to them); a Keras cell *instance* cannot run in
the Estimator's graph and is refused with the fix.
"""
from __future__ import annotations


import numpy as np
import tensorflow as tf
from tensorflow.python.feature_column import feature_column_v2 as fc_v2
from tensorflow.python.feature_column import feature_column_v2_types as fc_types
from tensorflow.python.feature_column import sequence_feature_column as sfc

from iris_lib.estimator.canned import optimizers
from iris_lib.estimator.estimator import Estimator
from iris_lib.estimator.head.binary_class_head import BinaryClassHead
from iris_lib.estimator.head.multi_class_head import MultiClassHead
from iris_lib.estimator.head.sequential_head import SequentialHeadWrapper, _SequentialHead
from iris_lib.estimator.mode_keys import ModeKeys

v1 = tf.compat.v1

# The defaults are historical artifacts of the initial implementation (the real comment).
_DEFAULT_LEARNING_RATE = 0.05
_DEFAULT_CLIP_NORM = 5.0

_SIMPLE_RNN_KEY = "simple_rnn"
_LSTM_KEY = "lstm"
_GRU_KEY = "gru"

# Indicates no value was provided by the user to a kwarg.
USE_DEFAULT = object()


# --- The cells: Keras 2's arithmetic on tf.compat.v1 variables ------------------------------------------------

class _Cell:
    """A recurrent cell: `build(input_dim)` creates its variables in the current variable scope (named
    `<name>/kernel`, ...), `call(inputs, states)` returns `(output, new_states)` for one step."""

    _base_name = "cell"
    _gates = 1

    def __init__(self, units, name=None):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"units must be a positive int, got {units!r}")
        self.units = int(units)
        self.name = name

    @property
    def state_size(self):
        return [self.units]

    @property
    def output_size(self):
        return self.units

    def _kernels(self, input_dim):
        self.kernel = v1.get_variable("kernel", [input_dim, self._gates * self.units],
                                      initializer=v1.glorot_uniform_initializer())
        self.recurrent_kernel = v1.get_variable("recurrent_kernel", [self.units, self._gates * self.units],
                                                initializer=v1.orthogonal_initializer())

    def build(self, input_dim):
        self._kernels(input_dim)
        self.bias = v1.get_variable("bias", [self._gates * self.units], initializer=v1.zeros_initializer())


class SimpleRNNCell(_Cell):
    """`tf.keras.layers.SimpleRNNCell(units)`: `h = tanh(x W + b + h U)`."""

    _base_name = "simple_rnn_cell"

    def call(self, inputs, states):
        h = tf.nn.bias_add(tf.matmul(inputs, self.kernel), self.bias)
        output = tf.tanh(h + tf.matmul(states[0], self.recurrent_kernel))
        return output, [output]


class LSTMCell(_Cell):
    """`tf.keras.layers.LSTMCell(units)`: gates i, f, c, o in that order; the forget gate's bias starts at 1."""

    _base_name = "lstm_cell"
    _gates = 4

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_dim):
        self._kernels(input_dim)
        units = self.units

        def unit_forget_bias(shape, dtype=tf.float32, partition_info=None):
            del shape, partition_info
            return tf.concat([tf.zeros([units], dtype), tf.ones([units], dtype), tf.zeros([2 * units], dtype)], 0)

        self.bias = v1.get_variable("bias", [4 * units], initializer=unit_forget_bias)

    def call(self, inputs, states):
        h_tm1, c_tm1 = states
        z = tf.matmul(inputs, self.kernel)
        z += tf.matmul(h_tm1, self.recurrent_kernel)
        z = tf.nn.bias_add(z, self.bias)
        z0, z1, z2, z3 = tf.split(z, 4, axis=1)
        i, f, o = tf.sigmoid(z0), tf.sigmoid(z1), tf.sigmoid(z3)
        c = f * c_tm1 + i * tf.tanh(z2)
        h = o * tf.tanh(c)
        return h, [h, c]


class GRUCell(_Cell):
    """`tf.keras.layers.GRUCell(units)` (`reset_after=True`): gates z, r, h; input and recurrent biases
    (`bias` is `[2, 3 * units]`)."""

    _base_name = "gru_cell"
    _gates = 3

    def build(self, input_dim):
        self._kernels(input_dim)
        self.bias = v1.get_variable("bias", [2, 3 * self.units], initializer=v1.zeros_initializer())

    def call(self, inputs, states):
        h_tm1 = states[0]
        input_bias, recurrent_bias = tf.unstack(self.bias)
        matrix_x = tf.nn.bias_add(tf.matmul(inputs, self.kernel), input_bias)
        x_z, x_r, x_h = tf.split(matrix_x, 3, axis=-1)
        matrix_inner = tf.nn.bias_add(tf.matmul(h_tm1, self.recurrent_kernel), recurrent_bias)
        recurrent_z, recurrent_r, recurrent_h = tf.split(matrix_inner, [self.units, self.units, -1], axis=-1)
        z = tf.sigmoid(x_z + recurrent_z)
        r = tf.sigmoid(x_r + recurrent_r)
        hh = tf.tanh(x_h + r * recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]


_CELL_TYPES = {_SIMPLE_RNN_KEY: SimpleRNNCell, _LSTM_KEY: LSTMCell, _GRU_KEY: GRUCell}
# The layer Keras 2 built for an int `units` (its variables in `rnn_model/<layer>/<cell>/`).
_CELL_TYPE_TO_LAYER_NAME = {_SIMPLE_RNN_KEY: "simple_rnn", _LSTM_KEY: "lstm", _GRU_KEY: "gru"}
_KERAS_CELL_NAMES = {cls.__name__: cls for cls in _CELL_TYPES.values()}

_CELL_FIX = ("use cell_type='simple_rnn', 'lstm' or 'gru' with units=[...], or return cells of "
             "iris_lib.estimator.canned.rnn (SimpleRNNCell(n), LSTMCell(n), GRUCell(n), or a list of them to stack) "
             "from rnn_cell_fn")


def _cell_class(cell_type):
    """Our cell class for a cell_type: a name, one of our classes, or Keras's class of the same name."""
    if isinstance(cell_type, str):
        if cell_type in _CELL_TYPES:
            return _CELL_TYPES[cell_type]
    elif isinstance(cell_type, type):
        if issubclass(cell_type, _Cell):
            return cell_type
        if cell_type.__name__ in _KERAS_CELL_NAMES and cell_type.__module__.startswith(("keras", "tf_keras")):
            return _KERAS_CELL_NAMES[cell_type.__name__]
        raise ValueError(f"cell_type {cell_type.__module__}.{cell_type.__name__} is not supported: Keras cells "
                         f"cannot run in the Estimator's tf.compat.v1 graph; {_CELL_FIX}.")
    elif callable(cell_type):  # a function making a cell from `units=`: what it returns is checked when built
        return cell_type
    raise ValueError("`cell_type` should be a class producing a RNN cell, or a string specifying the cell type. "
                     f"Supported strings are: {[_SIMPLE_RNN_KEY, _LSTM_KEY, _GRU_KEY]}.")


def _single_rnn_cell(units, cell_type):
    cell = _cell_class(cell_type)(units=units)
    if not isinstance(cell, _Cell):
        raise ValueError(f"cell_type made {cell!r}: only iris_lib's cells can run in the Estimator's tf.compat.v1 "
                         f"graph; {_CELL_FIX}.")
    return cell


def _make_rnn_cell_fn(units, cell_type=_SIMPLE_RNN_KEY):
    """A function returning a cell per entry of `units` (the cell itself if there is one)."""

    def rnn_cell_fn():
        cells = [_single_rnn_cell(n, cell_type) for n in units]
        if len(cells) == 1:
            return cells[0]
        return cells

    return rnn_cell_fn


def _verify_rnn_cell_input(rnn_cell_fn, units, cell_type):
    if rnn_cell_fn and (units or cell_type != USE_DEFAULT):
        raise ValueError("units and cell_type must not be specified when using rnn_cell_fn")


class _RNNLayer:
    """`tf.keras.layers.RNN(cell)` (or `SimpleRNN`/`LSTM`/`GRU(units)`): runs the cell (or a stack of cells)
    over time under a mask; its variables live in `<layer name>/[stacked_rnn_cells/]<cell name>/`."""

    def __init__(self, cells, name, return_sequences):
        self.cells, self.name, self.return_sequences = cells, name, return_sequences

    def __call__(self, inputs, mask):
        stacked = len(self.cells) > 1
        with v1.variable_scope(self.name):
            scope = v1.variable_scope("stacked_rnn_cells") if stacked else _NoScope()
            with scope:
                input_dim, seen = inputs.shape[-1], {}
                for cell in self.cells:
                    if cell.name is None:  # Keras names cells per graph: lstm_cell, lstm_cell_1, ...
                        count = seen.get(cell._base_name, 0)
                        seen[cell._base_name] = count + 1
                        cell.name = cell._base_name if count == 0 else f"{cell._base_name}_{count}"
                    with v1.variable_scope(cell.name):
                        cell.build(input_dim)
                    input_dim = cell.output_size
            return self._run(inputs, mask)

    def _step(self, inputs, states):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            inputs, cell_new_states = cell.call(inputs, cell_states)
            new_states.append(cell_new_states)
        return inputs, new_states

    def _run(self, inputs, mask):
        """Keras's masked loop: where a step is masked, the states and the output stay what they were (the
        output starts at zeros)."""
        batch = tf.shape(inputs)[0]
        states = [[tf.zeros([batch, size], inputs.dtype) for size in cell.state_size] for cell in self.cells]
        output = tf.zeros([batch, self.cells[-1].output_size], inputs.dtype)
        time_major_inputs = tf.transpose(inputs, [1, 0, 2])
        time_major_mask = tf.transpose(mask, [1, 0])

        def step(previous, elements):
            previous_output, previous_states = previous
            x_t, mask_t = elements
            new_output, new_states = self._step(x_t, previous_states)
            keep = mask_t[:, None]
            new_output = tf.where(keep, new_output, previous_output)
            new_states = tf.nest.map_structure(lambda new, old: tf.where(keep, new, old), new_states,
                                               previous_states)
            for new, old in zip(tf.nest.flatten((new_output, new_states)),
                                tf.nest.flatten((previous_output, previous_states))):
                new.set_shape(old.shape)  # the batch may be known statically at the start only
            return new_output, new_states

        outputs, _ = tf.scan(step, (time_major_inputs, time_major_mask), initializer=(output, states))
        if self.return_sequences:
            return tf.transpose(outputs, [1, 0, 2])
        return outputs[-1]


class _NoScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _make_rnn_layer(rnn_cell_fn, units, cell_type, return_sequences):
    """The RNN layer the real `_make_rnn_layer` built: `SimpleRNN`/`LSTM`/`GRU` for an int `units` and a cell
    name, else `RNN` over the cell(s) of `rnn_cell_fn` (or of `units` and `cell_type`)."""
    _verify_rnn_cell_input(rnn_cell_fn, units, cell_type)
    if isinstance(cell_type, str) and cell_type in _CELL_TYPE_TO_LAYER_NAME and isinstance(units, int):
        return _RNNLayer([_CELL_TYPES[cell_type](units)], _CELL_TYPE_TO_LAYER_NAME[cell_type], return_sequences)
    if not rnn_cell_fn:
        if cell_type == USE_DEFAULT:
            cell_type = _SIMPLE_RNN_KEY
        rnn_cell_fn = _make_rnn_cell_fn(units, cell_type)
    cells = rnn_cell_fn()
    cells = list(cells) if isinstance(cells, (list, tuple)) else [cells]
    for cell in cells:
        if not isinstance(cell, _Cell):
            raise ValueError(f"rnn_cell_fn returned {cell!r}: only iris_lib's cells can run in the Estimator's "
                             f"tf.compat.v1 graph (a Keras 3 cell cannot); {_CELL_FIX}.")
    if not cells:
        raise ValueError(f"rnn_cell_fn returned no cell; {_CELL_FIX}.")
    return _RNNLayer(cells, "rnn", return_sequences)


# --- The feature layers: Keras 2's SequenceFeatures and DenseFeatures, without Keras -----------------------------

class _StateManager(fc_v2.StateManager):
    """Creates a column's variables with tf.compat.v1.get_variable in the current variable scope, as Keras 2's
    feature layers did (`<layer>/<column>/embedding_weights`)."""

    def __init__(self, trainable=True):
        self._trainable = trainable
        self._variables, self._resources = {}, {}

    def create_variable(self, feature_column, name, shape, dtype=None, trainable=True, use_resource=True,
                        initializer=None):
        variable = v1.get_variable(name, shape=shape, dtype=dtype or tf.float32, initializer=initializer,
                                   trainable=self._trainable and trainable, use_resource=use_resource)
        self._variables[(feature_column, name)] = variable
        return variable

    def get_variable(self, feature_column, name):
        if (feature_column, name) in self._variables:
            return self._variables[(feature_column, name)]
        raise ValueError("Variable does not exist.")

    def add_resource(self, feature_column, resource_name, resource):
        self._resources[(feature_column, resource_name)] = resource

    def has_resource(self, feature_column, resource_name):
        return (feature_column, resource_name) in self._resources

    def get_resource(self, feature_column, resource_name):
        if (feature_column, resource_name) in self._resources:
            return self._resources[(feature_column, resource_name)]
        raise ValueError("Resource does not exist.")


def _normalize_feature_columns(feature_columns):
    """The columns as a list sorted by name (Keras's feature layers' order), refusing duplicates."""
    if isinstance(feature_columns, fc_types.FeatureColumn):
        feature_columns = [feature_columns]
    feature_columns = list(feature_columns or [])
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    names = {}
    for column in feature_columns:
        if not isinstance(column, fc_types.FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a FeatureColumn (tf.feature_column.*). Given: "
                             f"{column!r}")
        if column.name in names:
            raise ValueError(f"Duplicate feature column name found for columns: {column} and {names[column.name]}.")
        names[column.name] = column
    return sorted(feature_columns, key=lambda column: column.name)


class _FeatureLayer:
    """The columns' variables (built once, at the root variable scope `<name>/<column>/`) and dense tensors."""

    def __init__(self, feature_columns, name, expected_type, what):
        self.columns = _normalize_feature_columns(feature_columns)
        for column in self.columns:
            if not isinstance(column, expected_type):
                raise ValueError(f"Items of feature_columns must be a {what}. You can wrap a categorical column "
                                 f"with an embedding_column or indicator_column. Given: {column}")
        self.name = name
        self.state_manager = _StateManager()

    def build(self):
        with v1.variable_scope(self.name):
            for column in self.columns:
                with v1.variable_scope(fc_v2._sanitize_column_name_for_variable_scope(column.name)):
                    column.create_state(self.state_manager)


def _sequence_features(layer, features):
    """Keras 2's `SequenceFeatures(columns)(features)`: `[batch, T, D]` (the columns' dense sequences
    concatenated in name order) and the sequence length `[batch]` (all columns' must agree)."""
    cache = fc_v2.FeatureTransformationCache(features)
    outputs, lengths = [], []
    for column in layer.columns:
        with v1.name_scope(column.name):
            dense, length = column.get_sequence_dense_tensor(cache, layer.state_manager)
            num_elements = column.variable_shape.num_elements()
            shape = tf.shape(dense)
            outputs.append(tf.reshape(dense, [shape[0], shape[1], num_elements]))
            lengths.append(length)
    return tf.concat(outputs, -1), _assert_all_equal_and_return(lengths)


def _assert_all_equal_and_return(tensors):
    with v1.name_scope("assert_all_equal"):
        if len(tensors) == 1:
            return tensors[0]
        checks = [v1.assert_equal(tensors[0], t) for t in tensors[1:]]
        with tf.control_dependencies(checks):
            return tf.identity(tensors[0])


def _dense_features(layer, features):
    """Keras 2's `DenseFeatures(columns)(features)`: `[batch, D]`."""
    cache = fc_v2.FeatureTransformationCache(features)
    outputs = []
    for column in layer.columns:
        with v1.name_scope(column.name):
            dense = column.get_dense_tensor(cache, layer.state_manager)
            outputs.append(tf.reshape(dense, [tf.shape(dense)[0], column.variable_shape.num_elements()]))
    return tf.concat(outputs, -1)


def _dense(inputs, units, name):
    """`tf.keras.layers.Dense(units, name=name)` in the current variable scope (rank 2 or 3 inputs)."""
    with v1.variable_scope(name):
        kernel = v1.get_variable("kernel", [inputs.shape[-1], units], initializer=v1.glorot_uniform_initializer())
        bias = v1.get_variable("bias", [units], initializer=v1.zeros_initializer())
    if inputs.shape.rank == 2:
        return tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
    return tf.nn.bias_add(tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]]), bias)


def rnn_logits(features, units, rnn_layer, sequence_feature_columns, context_feature_columns=None):
    """The real `RNNModel(rnn_layer, units, ...)(features)`: the logits (`[batch, units]`, or `[batch, T, units]`
    with return_sequences) and the sequence mask `[batch, max length]`."""
    if not isinstance(features, dict):
        raise ValueError(f"inputs should be a dictionary of `Tensor`s. Given type: {type(features)}")
    sequence_layer = _FeatureLayer(sequence_feature_columns, "sequence_features", fc_v2.SequenceDenseColumn,
                                   "SequenceDenseColumn (a sequence_numeric_column, or an embedding_column or "
                                   "indicator_column of a sequence_categorical_column_with_*)")
    context_layer = None
    if context_feature_columns:
        context_layer = _FeatureLayer(context_feature_columns, "dense_features", fc_v2.DenseColumn,
                                      "DenseColumn (e.g. numeric_column)")
    sequence_layer.build()
    if context_layer is not None:
        context_layer.build()
    with v1.variable_scope("rnn_model"):
        with v1.name_scope("sequence_input_layer"):
            sequence_input, sequence_length = _sequence_features(sequence_layer, features)
            v1.summary.histogram("sequence_length", sequence_length)
            if context_layer is not None:
                context_input = _dense_features(context_layer, features)
                sequence_input = sfc.concatenate_context_input(context_input, sequence_input=sequence_input)
        sequence_length_mask = tf.sequence_mask(sequence_length)
        loop_mask = tf.sequence_mask(sequence_length, maxlen=tf.shape(sequence_input)[1])
        rnn_outputs = rnn_layer(sequence_input, loop_mask)
        logits = _dense(rnn_outputs, units, "logits")
    return logits, sequence_length_mask


# --- The optimizer: Keras 2's legacy optimizers, by name, in the graph ------------------------------------------

class _KerasLegacyOptimizer:
    """Keras 2's legacy `Adagrad`, `Adam`, `RMSprop`, `SGD` or `Ftrl` as the real head ran it (`get_updates`
    with the global step as `iterations`): hyperparameters as variables `training/<Name>/<hyper>`, slots as
    `training/<Name>/<variable>/<slot>`, each gradient clipped to `clipnorm` first."""

    HYPERS = {
        "Adagrad": dict(learning_rate=0.001, decay=0.0),
        "Adam": dict(learning_rate=0.001, decay=0.0, beta_1=0.9, beta_2=0.999),
        "RMSProp": dict(learning_rate=0.001, decay=0.0, rho=0.9, momentum=0.0),
        "SGD": dict(learning_rate=0.01, decay=0.0, momentum=0.0),
        "Ftrl": dict(learning_rate=0.001, decay=0.0, learning_rate_power=-0.5, l1_regularization_strength=0.0,
                     l2_regularization_strength=0.0, beta=0.0),
    }
    L2_SHRINKAGE = 0.0  # Ftrl's, a Python number (not a variable) in Keras's
    EPSILON = 1e-7

    def __init__(self, name, learning_rate=None, clipnorm=None):
        if name not in self.HYPERS:
            raise ValueError(f"Unsupported optimizer name: {name}. Supported names are: {tuple(sorted(self.HYPERS))}")
        self.name = name
        self.keras_name = "RMSprop" if name == "RMSProp" else name
        self.hypers = dict(self.HYPERS[name])
        if learning_rate is not None:
            self.hypers["learning_rate"] = learning_rate
        self.clipnorm = clipnorm

    def train_op(self, loss, var_list):
        global_step = v1.train.get_global_step()
        grads = v1.gradients(loss, var_list)
        for grad, var in zip(grads, var_list):
            if grad is None:
                raise ValueError(f"Variable {var} has `None` for gradient.")
        with v1.name_scope(self.keras_name):
            with tf.init_scope():
                hyper = {key: v1.Variable(value, name=key, dtype=tf.float32, trainable=False,
                                          use_resource=True) for key, value in self.hypers.items()}
                slots = {var: self._create_slots(var) for var in var_list}
            if self.clipnorm is not None:
                grads = [tf.clip_by_norm(g, self.clipnorm) for g in grads]
            lr = tf.identity(hyper["learning_rate"])
            if self.hypers["decay"] > 0:  # Keras's time-based decay, when asked for
                lr = lr / (1.0 + hyper["decay"] * tf.cast(global_step, tf.float32))
            updates = [self._apply(grad, var, slots[var], hyper, lr, global_step)
                       for grad, var in zip(grads, var_list)]
            with tf.control_dependencies(updates):
                return v1.assign_add(global_step, 1)

    def _slot(self, var, name, initial):
        return v1.Variable(initial(var), name=f"{var._shared_name}/{name}", trainable=False, use_resource=True,
                           dtype=var.dtype.base_dtype)

    def _create_slots(self, var):
        zeros = lambda v: tf.zeros(v.shape, v.dtype.base_dtype)  # noqa: E731
        const = lambda value: (lambda v: tf.fill(v.shape, tf.constant(value, v.dtype.base_dtype)))  # noqa: E731
        if self.name == "Adagrad":
            return {"accumulator": self._slot(var, "accumulator", const(0.1))}
        if self.name == "Adam":
            return {"m": self._slot(var, "m", zeros), "v": self._slot(var, "v", zeros)}
        if self.name == "RMSProp":
            slots = {"rms": self._slot(var, "rms", zeros)}
            if self.hypers["momentum"] > 0:
                slots["momentum"] = self._slot(var, "momentum", zeros)
            return slots
        if self.name == "SGD":
            return {"momentum": self._slot(var, "momentum", zeros)} if self.hypers["momentum"] > 0 else {}
        return {"accumulator": self._slot(var, "accumulator", const(0.1)), "linear": self._slot(var, "linear", zeros)}

    def _apply(self, grad, var, slots, hyper, lr, global_step):
        eps = tf.constant(self.EPSILON, tf.float32)
        if self.name == "Ftrl":
            return self._apply_ftrl(grad, var, slots, hyper, lr)
        if isinstance(grad, tf.IndexedSlices):  # rows without a gradient move exactly as with a zero one
            grad = tf.convert_to_tensor(grad)
        if self.name == "Adagrad":
            return tf.raw_ops.ResourceApplyAdagradV2(var=var.handle, accum=slots["accumulator"].handle, lr=lr,
                                                     epsilon=eps, grad=grad)
        if self.name == "Adam":
            local_step = tf.cast(global_step + 1, tf.float32)
            beta_1, beta_2 = tf.identity(hyper["beta_1"]), tf.identity(hyper["beta_2"])
            return tf.raw_ops.ResourceApplyAdam(var=var.handle, m=slots["m"].handle, v=slots["v"].handle,
                                                beta1_power=tf.pow(beta_1, local_step),
                                                beta2_power=tf.pow(beta_2, local_step), lr=lr, beta1=beta_1,
                                                beta2=beta_2, epsilon=eps, grad=grad)
        if self.name == "RMSProp":
            rho = tf.identity(hyper["rho"])
            if self.hypers["momentum"] > 0:
                return tf.raw_ops.ResourceApplyRMSProp(var=var.handle, ms=slots["rms"].handle,
                                                       mom=slots["momentum"].handle, lr=lr, rho=rho,
                                                       momentum=tf.identity(hyper["momentum"]), epsilon=eps,
                                                       grad=grad)
            rms_t = slots["rms"].assign(rho * slots["rms"] + (1.0 - rho) * tf.square(grad))
            return var.assign(var - lr * grad / (tf.sqrt(rms_t) + eps))
        if self.hypers["momentum"] > 0:  # SGD
            return tf.raw_ops.ResourceApplyKerasMomentum(var=var.handle, accum=slots["momentum"].handle, lr=lr,
                                                         grad=grad, momentum=tf.identity(hyper["momentum"]),
                                                         use_nesterov=False)
        return tf.raw_ops.ResourceApplyGradientDescent(var=var.handle, alpha=lr, delta=grad)

    def _apply_ftrl(self, grad, var, slots, hyper, lr):
        l2 = hyper["l2_regularization_strength"] + hyper["beta"] / (2.0 * lr)
        common = dict(var=var.handle, accum=slots["accumulator"].handle, linear=slots["linear"].handle, lr=lr,
                      l1=tf.identity(hyper["l1_regularization_strength"]), l2=l2,
                      lr_power=tf.identity(hyper["learning_rate_power"]))
        if isinstance(grad, tf.IndexedSlices):
            values, indices = _deduplicate(grad)
            return tf.raw_ops.ResourceSparseApplyFtrl(grad=values, indices=indices, **common)
        return tf.raw_ops.ResourceApplyFtrl(grad=grad, **common)


def _deduplicate(grad):
    unique_indices, new_positions = tf.unique(grad.indices)
    values = tf.math.unsorted_segment_sum(grad.values, new_positions, tf.shape(unique_indices)[0])
    return values, unique_indices


def _train_op_fn_or_optimizer(optimizer):
    """The real `_get_rnn_estimator_spec`'s optimizer: a name gives Keras's legacy optimizer at 0.05, clipped
    to norm 5 (a train_op_fn here); an object or a function returning one must be a tf.compat.v1 optimizer."""
    if isinstance(optimizer, str):
        return _KerasLegacyOptimizer(optimizer, _DEFAULT_LEARNING_RATE, _DEFAULT_CLIP_NORM), None
    try:
        return None, optimizers.get_optimizer_instance_v2(optimizer)
    except ValueError as error:
        raise ValueError(f"{error} (The real RNN Estimators took a tf.keras.optimizers.legacy optimizer; Keras 3's "
                         "cannot run in a tf.compat.v1 graph: pass a name such as 'Adagrad' or 'Adam', or "
                         "tf.compat.v1.train.AdagradOptimizer(0.05).)") from None


# --- The Estimators ------------------------------------------------------------------------------------------------

def _check_head_and_columns(head, sequence_feature_columns, return_sequences):
    if return_sequences and not isinstance(head, _SequentialHead):
        raise ValueError("Provided head must be a `_SequentialHead` object when `return_sequences` is set to True.")
    if not sequence_feature_columns:
        raise ValueError("sequence_feature_columns must not be empty: pass e.g. "
                         "[tf.feature_column.sequence_numeric_column('x')].")


class RNNEstimator(Estimator):
    """An Estimator for RNN models with a head you choose (`tf.estimator.experimental.RNNEstimator`).

    The features: a SparseTensor per sequence column (`[batch, time]`, its values the steps), a Tensor per
    dense context column (repeated at every step). `units=[32, 16], cell_type='lstm'` stacks two LSTM cells;
    `units=32` (an int) with a cell name builds the one-layer `LSTM` layer (other variable names, as the real).
    """

    def __init__(self,
                 head,
                 sequence_feature_columns,
                 context_feature_columns=None,
                 units=None,
                 cell_type=USE_DEFAULT,
                 rnn_cell_fn=None,
                 return_sequences=False,
                 model_dir=None,
                 optimizer="Adagrad",
                 config=None):
        _check_head_and_columns(head, sequence_feature_columns, return_sequences)
        _verify_rnn_cell_input(rnn_cell_fn, units, cell_type)
        if rnn_cell_fn is None:  # a bad cell_type or units fails now, not at the first train()
            if cell_type != USE_DEFAULT:
                _cell_class(cell_type)
            if units is None:
                raise ValueError("units must be given (e.g. units=[32] with cell_type='lstm'), or an rnn_cell_fn.")
        if isinstance(optimizer, str):
            _KerasLegacyOptimizer(optimizer)

        def _model_fn(features, labels, mode, config):
            """RNNEstimator model function."""
            del config  # Unused.
            rnn_layer = _make_rnn_layer(rnn_cell_fn=rnn_cell_fn, units=units, cell_type=cell_type,
                                        return_sequences=return_sequences)
            return _get_rnn_estimator_spec(features, labels, mode, head=head, rnn_layer=rnn_layer,
                                           sequence_feature_columns=sequence_feature_columns,
                                           context_feature_columns=context_feature_columns, optimizer=optimizer,
                                           return_sequences=return_sequences)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


def _get_rnn_estimator_spec(features, labels, mode, head, rnn_layer, sequence_feature_columns,
                            context_feature_columns, optimizer, return_sequences):
    """The real `_get_rnn_estimator_spec`: logits from the model, the mask into the features when the head
    needs one, and the head's EstimatorSpec (the optimizer only in TRAIN)."""
    keras_optimizer, v1_optimizer = (None, None)
    if mode == ModeKeys.TRAIN:
        keras_optimizer, v1_optimizer = _train_op_fn_or_optimizer(optimizer)
    logits, sequence_length_mask = rnn_logits(features, head.logits_dimension, rnn_layer, sequence_feature_columns,
                                              context_feature_columns)
    if return_sequences and head.input_sequence_mask_key not in features:
        features[head.input_sequence_mask_key] = sequence_length_mask
    trainable_variables = v1.trainable_variables()
    kwargs = {}
    if mode == ModeKeys.TRAIN:
        if keras_optimizer is not None:
            kwargs["train_op_fn"] = lambda loss: keras_optimizer.train_op(loss, trainable_variables)
        else:
            kwargs.update(optimizer=v1_optimizer, trainable_variables=trainable_variables)
    return head.create_estimator_spec(features=features, mode=mode, labels=labels, logits=logits, update_ops=[],
                                      **kwargs)


class RNNClassifier(RNNEstimator):
    """A classifier for RNN models (`tf.estimator.experimental.RNNClassifier`): softmax (or, for 2 classes,
    sigmoid) cross entropy, averaged over the batch; with `return_sequences=True` a class per step, the loss
    and metrics over the steps within each sequence (`sequence_mask` names the mask among the features)."""

    def __init__(self,
                 sequence_feature_columns,
                 context_feature_columns=None,
                 units=None,
                 cell_type=USE_DEFAULT,
                 rnn_cell_fn=None,
                 return_sequences=False,
                 model_dir=None,
                 n_classes=2,
                 weight_column=None,
                 label_vocabulary=None,
                 optimizer="Adagrad",
                 loss_reduction="sum_over_batch_size",
                 sequence_mask="sequence_mask",
                 config=None):
        if n_classes == 2:
            head = BinaryClassHead(weight_column=weight_column, label_vocabulary=label_vocabulary,
                                   loss_reduction=loss_reduction)
        else:
            head = MultiClassHead(n_classes=n_classes, weight_column=weight_column,
                                  label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)
        if return_sequences:
            v1.logging.info("Converting head to sequential head with `SequentialHeadWrapper` to allow sequential "
                            "predictions.")
            head = SequentialHeadWrapper(head, sequence_length_mask=sequence_mask, feature_columns=weight_column)
        super().__init__(head=head, sequence_feature_columns=sequence_feature_columns,
                         context_feature_columns=context_feature_columns, units=units, cell_type=cell_type,
                         rnn_cell_fn=rnn_cell_fn, return_sequences=return_sequences, model_dir=model_dir,
                         optimizer=optimizer, config=config)
