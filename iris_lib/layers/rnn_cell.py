"""`tf.nn.rnn_cell` as TensorFlow 1 had it: LSTM, GRU and basic RNN cells, stacks and wrappers for graph mode.

TF 2.21 still has `tf.compat.v1.nn.dynamic_rnn`, `bidirectional_dynamic_rnn` and `static_rnn`, but its
`tf.compat.v1.nn.rnn_cell` lived in Keras 2 and refuses to load under Keras 3, so TF1-era text classifiers
lost their cells. These are ported from Keras 2.15's `layers/rnn/legacy_cells.py` and
`legacy_cell_wrappers.py` (what the real TF 2.15 exported) onto iris_lib's layer base: the same variables
(`rnn/lstm_cell/kernel`, `rnn/gru_cell/gates/bias`, `rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel`,
wrappers add no scope), initializers (the scope's or Glorot-uniform kernels, zero biases, GRU gate biases of
1) and arithmetic, so checkpoints cross with the real TF 2.15 both ways and the numbers agree.
"""
from __future__ import annotations

import collections
import hashlib
import numbers

import tensorflow as tf

from iris_lib.layers.base import Layer, activation_function, to_snake_case

v1 = tf.compat.v1

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"


def _check_supported_dtypes(dtype) -> None:
    if dtype is None:
        return
    dtype = tf.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(f"RNN cell only supports floating point inputs, but received dtype: {dtype.name}; "
                         "cast them first, e.g. tf.cast(inputs, tf.float32)")


def _concat(prefix, suffix, static: bool = False):
    """`prefix` (the batch size) followed by `suffix` (a state size): a shape tensor, or a list if `static`."""
    def parts(value, what):
        if isinstance(value, tf.Tensor):
            known = tf.get_static_value(value)
            if value.shape.ndims == 0:
                value = tf.expand_dims(value, 0)
            elif value.shape.ndims != 1:
                raise ValueError(f"{what} tensor must be either a scalar or vector, but received tensor: {value}")
            return value, known
        shape = tf.TensorShape(value)
        known = shape.as_list() if shape.ndims is not None else None
        return (tf.constant(shape.as_list(), dtype=tf.int32) if shape.is_fully_defined() else None), known

    (p, p_static), (s, s_static) = parts(prefix, "Prefix"), parts(suffix, "suffix")
    if static:
        shape = tf.TensorShape(p_static).concatenate(s_static)
        return shape.as_list() if shape.ndims is not None else None
    if p is None or s is None:
        raise ValueError(f"Prefix or suffix can't be None. Received prefix = {prefix} and suffix = {suffix}")
    return tf.concat((p, s), 0)


def _zero_state_tensors(state_size, batch_size, dtype):
    def zeros(size):
        value = tf.zeros(_concat(batch_size, size), dtype=dtype)
        if not tf.executing_eagerly():
            value.set_shape(_concat(batch_size, size, static=True))
        return value

    return tf.nest.map_structure(zeros, state_size)


class RNNCell(Layer):
    """Abstract RNN cell: `(output, new_state) = cell(inputs, state)`, with `state_size` and `output_size`.

    A subclass may create its variables in `call` with `tf.get_variable` (TF1's custom cells did); they are
    tracked in the cell's weights as the real one's custom getter did."""

    _base_name = property(lambda self: to_snake_case(type(self).__name__))

    def __init__(self, trainable: bool = True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._is_tf_rnn_cell = True

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        with v1.variable_scope(v1.get_variable_scope(), custom_getter=self._rnn_get_variable,
                               auxiliary_name_scope=False):
            return Layer.__call__(self, inputs, state, *args, scope=self._first_scope(scope), **kwargs)

    def _first_scope(self, scope):
        """A cell made with `reuse=True` opens its plain name (`lstm_cell`, not `lstm_cell_1`), as TF1's did."""
        if scope is None and self._reuse and self._scope is None:
            return self._given_name or self._base_name
        return scope

    def _rnn_get_variable(self, getter, *args, **kwargs):
        variable = getter(*args, **kwargs)
        trainable = any(variable is v for v in v1.trainable_variables())
        weights = self._trainable_weights if trainable else self._non_trainable_weights
        if all(variable is not v for v in weights):
            weights.append(variable)
        return variable

    def _prepare(self, inputs):
        if tf.nest.is_nested(inputs):
            for value in tf.nest.flatten(inputs):
                _check_supported_dtypes(getattr(value, "dtype", None))
            return inputs
        inputs = tf.convert_to_tensor(inputs)
        _check_supported_dtypes(inputs.dtype)
        return super()._prepare(inputs)

    def _finish(self, outputs):
        return outputs

    @property
    def state_size(self):
        """Size(s) of the state: an int, a TensorShape, or a (nested) tuple of them."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        raise NotImplementedError("Abstract method")

    def build(self, _):
        pass

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            if batch_size is not None:
                static = tf.get_static_value(batch_size, partial=True) if tf.is_tensor(batch_size) else batch_size
                if inputs.shape[0] != static:
                    raise ValueError("batch size from input tensor is different from the input param. Input tensor "
                                     f"batch: {inputs.shape[0]}, batch_size: {batch_size}")
            if dtype is not None and inputs.dtype != dtype:
                raise ValueError("dtype from input tensor is different from the input param. Input tensor dtype: "
                                 f"{inputs.dtype}, dtype: {dtype}")
            batch_size = inputs.shape[0] or tf.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError("batch_size and dtype cannot be None while constructing initial state: "
                             f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zeros of shape `[batch_size, s]` for each `s` in `state_size` (a tuple of them for a tuple)."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}


class LayerRNNCell(RNNCell):
    """An RNN cell that creates its variables in `build`, as a layer does (every cell below but the stack)."""

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        return Layer.__call__(self, inputs, state, *args, scope=self._first_scope(scope), **kwargs)

    def _prepare(self, inputs):
        inputs = super()._prepare(inputs)
        rank = getattr(getattr(inputs, "shape", None), "rank", None)
        if rank is not None and rank != 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: expected ndim=2, found "
                             f"ndim={rank}. Full shape received: {inputs.shape} (a cell takes one time step "
                             "[batch, depth]; run it over time with tf.nn.dynamic_rnn)")
        return inputs

    def _input_depth(self, inputs_shape) -> int:
        depth = inputs_shape[-1]
        if depth is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {inputs_shape}")
        return depth


def _activation(activation, cell: str):
    return activation_function(activation, cell) if activation else tf.tanh


class BasicRNNCell(LayerRNNCell):
    """The most basic RNN cell: `output = new_state = activation([inputs, state] @ kernel + bias)`."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(dtype)
        self._num_units = num_units
        self._activation = _activation(activation, "BasicRNNCell")

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME,
                                       [self._input_depth(inputs_shape) + self._num_units, self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, [self._num_units],
                                     initializer=v1.zeros_initializer(dtype=self._dtype))

    def call(self, inputs, state):
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self._kernel), self._bias)
        output = self._activation(gate_inputs)
        return output, output


class GRUCell(LayerRNNCell):
    """Gated recurrent unit (Cho et al., 2014): variables `gates/{kernel,bias}` (reset and update gates, bias
    initialized to 1) and `candidate/{kernel,bias}`."""

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(dtype)
        self._num_units = num_units
        self._activation = _activation(activation, "GRUCell")
        self._kernel_initializer, self._bias_initializer = kernel_initializer, bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        depth, n = self._input_depth(inputs_shape), self._num_units
        bias = self._bias_initializer
        self._gate_kernel = self.add_weight(f"gates/{_WEIGHTS_VARIABLE_NAME}", [depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight(
            f"gates/{_BIAS_VARIABLE_NAME}", [2 * n],
            initializer=bias if bias is not None else v1.constant_initializer(1.0, dtype=self._dtype))
        self._candidate_kernel = self.add_weight(f"candidate/{_WEIGHTS_VARIABLE_NAME}", [depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight(
            f"candidate/{_BIAS_VARIABLE_NAME}", [n],
            initializer=bias if bias is not None else v1.zeros_initializer(dtype=self._dtype))

    def call(self, inputs, state):
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel), self._gate_bias)
        r, u = tf.split(value=tf.sigmoid(gate_inputs), num_or_size_splits=2, axis=1)
        candidate = tf.matmul(tf.concat([inputs, r * state], 1), self._candidate_kernel)
        c = self._activation(tf.nn.bias_add(candidate, self._candidate_bias))
        new_h = u * state + (1 - u) * c
        return new_h, new_h


_LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTuple):
    """An LSTM's state `(c, h)`: the memory cell, then the output (`state_is_tuple=True`, the default)."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class BasicLSTMCell(LayerRNNCell):
    """The baseline LSTM: one `kernel` for the gates i, j, f, o (in that order), `forget_bias` (1.0) added to
    the forget gate, no clipping, projection or peepholes."""

    def __init__(self, num_units, forget_bias: float = 1.0, state_is_tuple: bool = True, activation=None,
                 reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(dtype)
        self._num_units, self._forget_bias, self._state_is_tuple = num_units, forget_bias, state_is_tuple
        self._activation = _activation(activation, "BasicLSTMCell")

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        n = self._num_units
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, [self._input_depth(inputs_shape) + n, 4 * n])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, [4 * n], initializer=v1.zeros_initializer(dtype=self._dtype))

    def call(self, inputs, state):
        one = tf.constant(1, dtype=tf.int32)
        c, h = state if self._state_is_tuple else tf.split(value=state, num_or_size_splits=2, axis=one)
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = tf.split(value=gate_inputs, num_or_size_splits=4, axis=one)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, forget_bias))),
                       tf.multiply(tf.sigmoid(i), self._activation(j)))
        new_h = tf.multiply(self._activation(new_c), tf.sigmoid(o))
        return new_h, (LSTMStateTuple(new_c, new_h) if self._state_is_tuple else tf.concat([new_c, new_h], 1))


class LSTMCell(LayerRNNCell):
    """The full LSTM: optional peepholes (`w_f_diag`, `w_i_diag`, `w_o_diag`), cell clipping, and a projection
    of the output to `num_proj` (`projection/kernel`, optionally clipped)."""

    def __init__(self, num_units, use_peepholes: bool = False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias: float = 1.0,
                 state_is_tuple: bool = True, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(dtype)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError("LSTMCell: num_unit_shards and num_proj_shards are not supported by iris_lib (TF1 had "
                             "deprecated them): use a tf.compat.v1.variable_scope(..., partitioner=...) instead")
        self._num_units, self._use_peepholes, self._cell_clip = num_units, use_peepholes, cell_clip
        self._initializer, self._num_proj, self._proj_clip = initializer, num_proj, proj_clip
        self._forget_bias, self._state_is_tuple = forget_bias, state_is_tuple
        self._activation = _activation(activation, "LSTMCell")
        h = num_proj or num_units
        self._state_size = LSTMStateTuple(num_units, h) if state_is_tuple else num_units + h
        self._output_size = h

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    def build(self, inputs_shape):
        n = self._num_units
        h_depth = n if self._num_proj is None else self._num_proj
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, [self._input_depth(inputs_shape) + h_depth, 4 * n],
                                       initializer=self._initializer)
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, [4 * n], initializer=v1.zeros_initializer(dtype=self._dtype))
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", [n], initializer=self._initializer)
            self._w_i_diag = self.add_weight("w_i_diag", [n], initializer=self._initializer)
            self._w_o_diag = self.add_weight("w_o_diag", [n], initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight(f"projection/{_WEIGHTS_VARIABLE_NAME}", [n, self._num_proj],
                                                initializer=self._initializer)

    def call(self, inputs, state):
        num_proj = self._num_units if self._num_proj is None else self._num_proj
        sigmoid = tf.sigmoid
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, self._num_units])
            m_prev = tf.slice(state, [0, self._num_units], [-1, num_proj])
        lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)  # input, new input, forget, output
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = tf.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, (LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1))


class MultiRNNCell(RNNCell):
    """Cells stacked in order, each in its own scope `cell_0`, `cell_1`, ... under `multi_rnn_cell`; the state
    is the tuple of theirs."""

    def __init__(self, cells, state_is_tuple: bool = True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not tf.nest.is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        self._cells, self._state_is_tuple = cells, state_is_tuple
        if not state_is_tuple and any(tf.nest.is_nested(c.state_size) for c in cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple is not set. State "
                             f"sizes are: {[c.state_size for c in cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    output_size = property(lambda self: self._cells[-1].output_size)

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for cell in self._cells if isinstance(cell, Layer) for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for cell in self._cells if isinstance(cell, Layer) for w in cell.non_trainable_weights]
        if not self.trainable:
            return [w for cell in self._cells if isinstance(cell, Layer) for w in cell.trainable_weights] + weights
        return weights

    weights = property(lambda self: self.trainable_weights + self.non_trainable_weights)
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def call(self, inputs, state):
        position, current, new_states = 0, inputs, []
        for i, cell in enumerate(self._cells):
            with v1.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not tf.nest.is_nested(state):
                        raise ValueError(f"Expected state to be a tuple of length {len(self.state_size)}, but "
                                         f"received: {state}")
                    cell_state = state[i]
                else:
                    cell_state = tf.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        return current, (tuple(new_states) if self._state_is_tuple else tf.concat(new_states, 1))


# ----- wrappers: they call the wrapped cell directly, so they add no variable scope of their own -------------

def assert_like_rnncell(cell_name: str, cell) -> None:
    """A TypeError naming what `cell` lacks to be an RNN cell (TF's own check, for our wrappers)."""
    checks = [(hasattr(cell, "output_size"), "'output_size' property is missing"),
              (hasattr(cell, "state_size"), "'state_size' property is missing"),
              (hasattr(cell, "get_initial_state") or hasattr(cell, "zero_state"),
               "either 'zero_state' or 'get_initial_state' method is required"),
              (callable(cell), "is not callable")]
    errors = [error for ok, error in checks if not ok]
    if errors:
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: {', '.join(errors)}.")


def _enumerated_map_structure_up_to(shallow_structure, map_fn, *args):
    index = [0]

    def enumerated(*inner):
        result = map_fn(index[0], *inner)
        index[0] += 1
        return result

    return tf.__internal__.nest.map_structure_up_to(shallow_structure, enumerated, *args)


class _RNNCellWrapperV1(RNNCell):
    """A cell around `cell`: same state and output sizes, same variables (no scope of its own). As the real
    one, its `weights` list none of the wrapped cell's (a MultiRNNCell of DropoutWrappers lists none either):
    read them from `wrapper.cell`."""

    def __init__(self, cell, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        raise NotImplementedError

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, cell_call_fn=self.cell.__call__, scope=scope)

    state_size = property(lambda self: self.cell.state_size)
    output_size = property(lambda self: self.cell.output_size)

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # an LSTM's memory is never dropped
    if isinstance(substate, tf.TensorArray):
        return False
    return True


class DropoutWrapper(_RNNCellWrapperV1):
    """Dropout on the inputs, outputs and/or states of `cell` (keep probabilities, 1.0 = none), a new mask each
    step unless `variational_recurrent`. It drops whenever a keep probability is below 1: a TF1 program passes
    e.g. `output_keep_prob=0.5 if mode == TRAIN else 1.0`."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent: bool = False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super().__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError(f"dropout_state_filter_visitor must be callable. Received: {dropout_state_filter_visitor}")
        self._dropout_state_filter = dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        with tf.name_scope("DropoutWrapperInit"):
            for prob, attr in ((input_keep_prob, "input_keep_prob"), (state_keep_prob, "state_keep_prob"),
                               (output_keep_prob, "output_keep_prob")):
                tensor = tf.convert_to_tensor(prob)
                constant = tf.get_static_value(tensor)
                if constant is not None:
                    if constant < 0 or constant > 1:
                        raise ValueError(f"Parameter {attr} must be between 0 and 1. Received {constant}")
                    setattr(self, f"_{attr}", float(constant))
                else:
                    setattr(self, f"_{attr}", tensor)
        self._variational_recurrent, self._input_size, self._seed = variational_recurrent, input_size, seed
        self._recurrent_input_noise = self._recurrent_state_noise = self._recurrent_output_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def batch_noise(size, inner_seed):
                shape = tf.concat(([1], tf.TensorShape(size).as_list()), 0)
                return tf.random.uniform(shape, seed=inner_seed, dtype=dtype)

            if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, "
                                     "input_size must be provided")
                self._recurrent_input_noise = _enumerated_map_structure_up_to(
                    input_size, lambda i, s: batch_noise(s, self._gen_seed("input", i)), input_size)
            self._recurrent_state_noise = _enumerated_map_structure_up_to(
                cell.state_size, lambda i, s: batch_noise(s, self._gen_seed("state", i)), cell.state_size)
            self._recurrent_output_noise = _enumerated_map_structure_up_to(
                cell.output_size, lambda i, s: batch_noise(s, self._gen_seed("output", i)), cell.output_size)

    def _gen_seed(self, salt_prefix: str, index: int):
        if self._seed is None:
            return None
        string = (str(self._seed) + f"{salt_prefix}_{index}").encode("utf-8")
        return int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF

    wrapped_cell = property(lambda self: self.cell)

    def build(self, inputs_shape):
        self.cell.build(inputs_shape)
        self.built = True

    def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob, shallow_filtered_substructure=None):
        if shallow_filtered_substructure is None:
            shallow_filtered_substructure = values
        if not self._variational_recurrent:
            def dropout(i, do_dropout, v):
                if not isinstance(do_dropout, bool) or do_dropout:
                    return tf.nn.dropout(v, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, i))
                return v

            return _enumerated_map_structure_up_to(shallow_filtered_substructure, dropout,
                                                   shallow_filtered_substructure, values)

        def variational(i, do_dropout, v, noise):
            if not isinstance(do_dropout, bool) or do_dropout:
                result = tf.divide(v, keep_prob) * tf.floor(keep_prob + noise)
                result.set_shape(v.get_shape())
                return result
            return v

        return _enumerated_map_structure_up_to(shallow_filtered_substructure, variational,
                                               shallow_filtered_substructure, values, recurrent_noise)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        def should_dropout(p):
            return not isinstance(p, float) or p < 1

        if should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise, self._input_keep_prob)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if should_dropout(self._state_keep_prob):
            shallow = tf.__internal__.nest.get_traverse_shallow_structure(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise, self._state_keep_prob,
                                      shallow)
        if should_dropout(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise, self._output_keep_prob)
        return output, new_state


class ResidualWrapper(_RNNCellWrapperV1):
    """Adds the cell's inputs to its outputs (or applies `residual_fn(inputs, outputs)`)."""

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def default_residual_fn(inputs, outputs):
            tf.nest.assert_same_structure(inputs, outputs)
            tf.nest.map_structure(lambda i, o: i.get_shape().assert_is_compatible_with(o.get_shape()),
                                  inputs, outputs)
            return tf.nest.map_structure(lambda i, o: i + o, inputs, outputs)

        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapperV1):
    """Runs `cell` (and builds its zero state) on `device`."""

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"), v1.device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with v1.device(self._device):
            return cell_call_fn(inputs, state, **kwargs)


__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell", "LSTMCell",
           "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper"]
