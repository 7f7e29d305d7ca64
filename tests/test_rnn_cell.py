"""`tf.nn.rnn_cell` (`iris_lib.layers.rnn_cell`): TF1's RNN cells under TF 2.21's own `dynamic_rnn`,
`bidirectional_dynamic_rnn` and `static_rnn`: the real variable names and shapes, one step of each cell worked
out in numpy from known weights, state tuples and sizes, the wrappers, the routes a program reaches them by
(`iris_lib.tf1`, the shim), and the errors.

Against the real TF 2.15 cells (same variables, training, metrics and predictions, checkpoints both ways):
tests/legacy/programs/tf1_lstm_text_classifier.py, run by tests/test_parity_programs.py.
"""
import numpy as np
import pytest
import tensorflow as tf

import iris_lib.tf1 as tf1
from iris_lib.layers import rnn_cell
from support import run_program

v1 = tf.compat.v1
X = np.random.RandomState(0).uniform(-1, 1, (2, 3, 5)).astype(np.float32)  # [batch, time, depth]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def known(shape, seed):
    return np.random.RandomState(seed).uniform(-0.5, 0.5, shape).astype(np.float32)


def run(fetches):
    with v1.Session() as session:
        session.run(v1.global_variables_initializer())
        return session.run(fetches)


def variables():
    return [(v.op.name, v.shape.as_list()) for v in v1.global_variables()]


def test_the_tf1_routes_hand_out_these_cells_and_tensorflows_own_rnn_functions():
    for name in rnn_cell.__all__:
        assert getattr(tf1.nn.rnn_cell, name) is getattr(rnn_cell, name)
    assert tf1.nn.dynamic_rnn is v1.nn.dynamic_rnn and tf1.nn.embedding_lookup is v1.nn.embedding_lookup
    assert tf1.compat.v1.nn.rnn_cell.LSTMCell is rnn_cell.LSTMCell
    assert "rnn_cell" in dir(tf1.nn) and "nn" in dir(tf1)
    with pytest.raises(AttributeError):
        tf1.nn.rnn_cell.NoSuchCell


@pytest.mark.parametrize("build, expected", [
    (lambda x: v1.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(4), x, dtype=tf.float32),
     [("rnn/basic_lstm_cell/kernel", [9, 16]), ("rnn/basic_lstm_cell/bias", [16])]),
    (lambda x: v1.nn.dynamic_rnn(rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=3), x, dtype=tf.float32),
     [("rnn/lstm_cell/kernel", [8, 16]), ("rnn/lstm_cell/bias", [16]), ("rnn/lstm_cell/w_f_diag", [4]),
      ("rnn/lstm_cell/w_i_diag", [4]), ("rnn/lstm_cell/w_o_diag", [4]), ("rnn/lstm_cell/projection/kernel", [4, 3])]),
    (lambda x: v1.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32, sequence_length=[3, 1]),
     [("rnn/gru_cell/gates/kernel", [9, 8]), ("rnn/gru_cell/gates/bias", [8]),
      ("rnn/gru_cell/candidate/kernel", [9, 4]), ("rnn/gru_cell/candidate/bias", [4])]),
    (lambda x: v1.nn.dynamic_rnn(rnn_cell.MultiRNNCell(
        [rnn_cell.DropoutWrapper(rnn_cell.LSTMCell(4), output_keep_prob=0.5) for _ in range(2)]), x, dtype=tf.float32),
     [("rnn/multi_rnn_cell/cell_0/lstm_cell/kernel", [9, 16]), ("rnn/multi_rnn_cell/cell_0/lstm_cell/bias", [16]),
      ("rnn/multi_rnn_cell/cell_1/lstm_cell/kernel", [8, 16]), ("rnn/multi_rnn_cell/cell_1/lstm_cell/bias", [16])]),
    (lambda x: v1.nn.bidirectional_dynamic_rnn(rnn_cell.GRUCell(2), rnn_cell.BasicRNNCell(3), x, dtype=tf.float32,
                                               sequence_length=[3, 2]),
     [("bidirectional_rnn/fw/gru_cell/gates/kernel", [7, 4]), ("bidirectional_rnn/fw/gru_cell/gates/bias", [4]),
      ("bidirectional_rnn/fw/gru_cell/candidate/kernel", [7, 2]), ("bidirectional_rnn/fw/gru_cell/candidate/bias", [2]),
      ("bidirectional_rnn/bw/basic_rnn_cell/kernel", [8, 3]), ("bidirectional_rnn/bw/basic_rnn_cell/bias", [3])]),
    (lambda x: v1.nn.static_rnn(rnn_cell.BasicLSTMCell(4), tf.unstack(x, axis=1), dtype=tf.float32),
     [("rnn/basic_lstm_cell/kernel", [9, 16]), ("rnn/basic_lstm_cell/bias", [16])]),  # one set for every step
])
def test_cells_under_tensorflows_rnn_functions_make_tf1s_variables(build, expected):
    with tf.Graph().as_default():
        outputs, _ = build(tf.constant(X))
        assert variables() == expected
        assert all(np.isfinite(a).all() for a in tf.nest.flatten(run(outputs)))


def test_cells_called_by_hand_count_their_default_names_and_reuse_their_variables_on_later_steps():
    with tf.Graph().as_default():
        first, second = rnn_cell.LSTMCell(3), rnn_cell.LSTMCell(3)
        state = first.zero_state(2, tf.float32)
        for t in range(3):
            output, state = first(X[:, t], state)
        second(X[:, 0], second.zero_state(2, tf.float32))
        assert [name for name, _ in variables()] == ["lstm_cell/kernel", "lstm_cell/bias", "lstm_cell_1/kernel",
                                                     "lstm_cell_1/bias"]
        assert [w.op.name for w in first.weights] == ["lstm_cell/kernel", "lstm_cell/bias"]
        with v1.variable_scope("rnn"):
            rnn_cell.GRUCell(2, name="encoder")(X[:, 0], tf.zeros([2, 2]))
        with v1.variable_scope("rnn", reuse=True):  # a TF1 decoder sharing the encoder's weights
            shared = rnn_cell.GRUCell(2, name="encoder", reuse=True)
            shared(X[:, 1], tf.zeros([2, 2]))
        assert [w.op.name for w in shared.weights][0] == "rnn/encoder/gates/kernel"
        assert len(v1.global_variables()) == 8


def test_a_basic_lstm_step_is_the_numpy_one_with_forget_bias_one():
    kernel, bias = known([5 + 4, 16], 1), known([16], 2)
    c, h = known([2, 4], 3), known([2, 4], 4)
    with tf.Graph().as_default():
        cell = rnn_cell.BasicLSTMCell(4)
        with v1.variable_scope("s", initializer=None):
            output, state = cell(X[:, 0], rnn_cell.LSTMStateTuple(c, h))
        run_assign = [cell._kernel.assign(kernel), cell._bias.assign(bias)]
        with v1.Session() as session:
            session.run(run_assign)
            output, state = session.run([output, state])
    i, j, f, o = np.split(np.concatenate([X[:, 0], h], 1) @ kernel + bias, 4, axis=1)
    new_c = c * sigmoid(f + 1.0) + sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * sigmoid(o)
    assert isinstance(state, rnn_cell.LSTMStateTuple)
    np.testing.assert_allclose(state.c, new_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.h, new_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output, new_h, rtol=1e-5, atol=1e-6)


def test_a_gru_step_is_the_numpy_one_with_gate_biases_starting_at_one():
    h = known([2, 3], 5)
    with tf.Graph().as_default():
        cell = rnn_cell.GRUCell(3)
        output, state = cell(X[:, 1], h)
        gates_bias, candidate_bias = cell._gate_bias, cell._candidate_bias
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            gates_kernel, candidate_kernel, gates_b, candidate_b = session.run(
                [cell._gate_kernel, cell._candidate_kernel, gates_bias, candidate_bias])
            output, state = session.run([output, state])
    np.testing.assert_array_equal(gates_b, np.ones(6))
    np.testing.assert_array_equal(candidate_b, np.zeros(3))
    r, u = np.split(sigmoid(np.concatenate([X[:, 1], h], 1) @ gates_kernel + gates_b), 2, axis=1)
    candidate = np.tanh(np.concatenate([X[:, 1], r * h], 1) @ candidate_kernel + candidate_b)
    np.testing.assert_allclose(output, u * h + (1 - u) * candidate, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(output, state)


def test_an_lstm_cell_with_peepholes_clipping_and_a_projection_is_the_numpy_one():
    c, m = known([2, 4], 6), known([2, 3], 7)
    with tf.Graph().as_default():
        cell = rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.3, num_proj=3, proj_clip=0.2, forget_bias=0.5)
        assert cell.state_size == (4, 3) and cell.output_size == 3
        output, state = cell(X[:, 2], (c, m))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            kernel, bias, wf, wi, wo, projection = session.run(cell.weights)
            output, state = session.run([output, state])
    i, j, f, o = np.split(np.concatenate([X[:, 2], m], 1) @ kernel + bias, 4, axis=1)
    new_c = np.clip(sigmoid(f + 0.5 + wf * c) * c + sigmoid(i + wi * c) * np.tanh(j), -0.3, 0.3)
    new_m = np.clip((sigmoid(o + wo * new_c) * np.tanh(new_c)) @ projection, -0.2, 0.2)
    np.testing.assert_allclose(state.c, new_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output, new_m, rtol=1e-5, atol=1e-6)


def test_state_sizes_zero_states_and_concatenated_states():
    with tf.Graph().as_default():
        lstm, gru = rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(2)
        stack = rnn_cell.MultiRNNCell([lstm, gru])
        assert lstm.state_size == rnn_cell.LSTMStateTuple(4, 4) and stack.state_size == ((4, 4), 2)
        assert stack.output_size == 2
        zeros = stack.zero_state(3, tf.float32)
        assert isinstance(zeros[0], rnn_cell.LSTMStateTuple) and zeros[0].dtype == tf.float32
        assert [z.shape.as_list() for z in tf.nest.flatten(zeros)] == [[3, 4], [3, 4], [3, 2]]
        flat = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4, state_is_tuple=False), rnn_cell.GRUCell(2)],
                                     state_is_tuple=False)
        assert flat.state_size == 10
        _, state = v1.nn.dynamic_rnn(flat, tf.constant(X), dtype=tf.float32, scope="flat")
        assert state.shape.as_list() == [2, 10]
        with pytest.raises(ValueError, match="state_is_tuple is not set"):
            rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4)], state_is_tuple=False)


def test_dynamic_rnn_keeps_each_sequences_last_state_past_its_length():
    with tf.Graph().as_default():
        outputs, state = v1.nn.dynamic_rnn(rnn_cell.LSTMCell(3), tf.constant(X), sequence_length=[3, 1],
                                           dtype=tf.float32)
        outputs, state = run([outputs, state])
    np.testing.assert_array_equal(outputs[1, 1:], 0.0)
    np.testing.assert_array_equal(state.h, [outputs[0, 2], outputs[1, 0]])


def test_the_dropout_wrapper_drops_outputs_never_the_lstm_memory_and_adds_no_scope():
    with tf.Graph().as_default():
        ones = tf.ones([4, 6])
        kept = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(6), output_keep_prob=1.0)
        dropped = rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(6), output_keep_prob=0.5, state_keep_prob=0.5,
                                          seed=3)
        assert kept.state_size == 6 and dropped.state_size == (6, 6)
        plain_output, _ = kept.cell(ones, tf.zeros([4, 6]), scope="plain")
        kept_output, _ = kept(ones, tf.zeros([4, 6]), scope="plain")  # the same variables: no scope of its own
        output, state = dropped(ones, dropped.zero_state(4, tf.float32))
        assert [v.op.name for v in v1.global_variables()][-2:] == ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]
        assert dropped.weights == [] and [w.op.name for w in dropped.cell.weights][0] == "basic_lstm_cell/kernel"
        inner_output, inner_state = dropped.cell(ones, dropped.zero_state(4, tf.float32))
        plain_output, kept_output, output, state, inner_output, inner_state = run(
            [plain_output, kept_output, output, state, inner_output, inner_state])
    np.testing.assert_array_equal(kept_output, plain_output)
    assert 0 < np.mean(output == 0) < 1
    np.testing.assert_allclose(output[output != 0], 2 * inner_output[output != 0], rtol=1e-6)
    np.testing.assert_array_equal(state.c, inner_state.c)  # the memory is never dropped
    assert 0 < np.mean(state.h == 0) < 1
    with pytest.raises(ValueError, match="output_keep_prob must be between 0 and 1"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), output_keep_prob=1.5)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        rnn_cell.DropoutWrapper(object())


def test_the_residual_and_device_wrappers():
    with tf.Graph().as_default():
        inputs = tf.constant(X[:, 0])
        residual = rnn_cell.ResidualWrapper(rnn_cell.GRUCell(5))
        output, state = residual(inputs, tf.zeros([2, 5]))
        on_cpu = rnn_cell.DeviceWrapper(rnn_cell.BasicRNNCell(2), "/cpu:0")
        device_output, _ = on_cpu(inputs, on_cpu.zero_state(2, tf.float32))
        assert "CPU:0" in device_output.device.upper()
        output, state = run([output, state])
    np.testing.assert_allclose(output, X[:, 0] + state, rtol=1e-6)


def test_a_custom_tf1_cell_making_variables_in_call_is_tracked():
    class MinimalCell(rnn_cell.RNNCell):
        state_size = output_size = property(lambda self: 3)

        def call(self, inputs, state):
            kernel = v1.get_variable("kernel", [inputs.shape[-1] + 3, 3])
            output = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), kernel))
            return output, output

    with tf.Graph().as_default():
        cell = MinimalCell()
        v1.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
        assert [w.op.name for w in cell.trainable_weights] == ["rnn/minimal_cell/kernel"]


def test_mistakes_are_explained():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="expected ndim=2.*dynamic_rnn"):
            rnn_cell.LSTMCell(3)(tf.constant(X), (tf.zeros([2, 3]), tf.zeros([2, 3])))
        with pytest.raises(ValueError, match="floating point"):
            rnn_cell.GRUCell(3)(tf.ones([2, 4], tf.int32), tf.zeros([2, 3]))
        with pytest.raises(ValueError, match="partitioner"):
            rnn_cell.LSTMCell(3, num_unit_shards=2)
        with pytest.raises(ValueError, match="at least one cell"):
            rnn_cell.MultiRNNCell([])


def test_the_shim_gives_tf2_era_programs_the_cells_for_an_estimator(tmp_path):
    # TF 2.21's own tf.compat.v1.nn.rnn_cell raises under Keras 3 ("not available with Keras 3").
    answer = run_program("""
        import json
        import numpy as np
        import tensorflow as tf
        import iris_lib.estimator_shim
        import tensorflow.compat.v1.nn.rnn_cell as rnn_cell_module

        def model_fn(features, labels, mode):
            cell = tf.compat.v1.nn.rnn_cell.MultiRNNCell([tf.compat.v1.nn.rnn_cell.GRUCell(4) for _ in range(2)])
            _, state = tf.compat.v1.nn.dynamic_rnn(cell, features, dtype=tf.float32)
            logits = tf.compat.v1.layers.dense(state[-1], 2)
            loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
            train_op = tf.compat.v1.train.AdamOptimizer(0.01).minimize(
                loss, global_step=tf.compat.v1.train.get_global_step())
            return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

        def input_fn():
            x = np.random.RandomState(0).uniform(-1, 1, (8, 5, 3)).astype(np.float32)
            return tf.data.Dataset.from_tensor_slices((x, (x[:, 0, 0] > 0).astype(np.int32))).batch(4)

        estimator = tf.estimator.Estimator(model_fn)
        estimator.train(input_fn, steps=2)
        print(json.dumps({"names": [n for n in estimator.get_variable_names() if "Adam" not in n],
                          "module": rnn_cell_module.LSTMCell.__module__,
                          "loss": bool(np.isfinite(estimator.evaluate(input_fn)["loss"]))}))
    """, tmp_path)
    assert answer["module"] == "iris_lib.layers.rnn_cell" and answer["loss"]
    assert "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel" in answer["names"]
