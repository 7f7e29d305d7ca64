"""Same bits on every x86-64 CPU (iris_lib.same_bits). oneDNN picks its kernels by the processor, so with
TensorFlow's defaults a seeded run ends differently at each instruction-set level; with iris_lib's settings
the bits are the same at every level, and each setting is shown to be needed. `make test-portable` then
runs every chapter against the same stored outputs with oneDNN capped at each level. Eigen blocks long sums
by the CPU's cache sizes: iris_lib pins them, and a test plays CPUs with other caches."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from iris_lib import same_bits
from support import HANG_GUARD_SECONDS

# Chapter 6's SGD model (its test loss differed in the 3rd digit between AVX and AVX2), then the gradient of a
# convolution with respect to its input (chapter 11), the one kernel found calling oneDNN with both flags off.
SGD_AND_CONV = textwrap.dedent("""
    import hashlib, json, tempfile
    import numpy as np
    import iris_lib.tf1 as tf
    from iris_lib import data
    from iris_lib.model import my_model_fn
    (train_x, train_y), (test_x, test_y) = data.load_data()
    columns = [tf.feature_column.numeric_column(k) for k in train_x.keys()]
    sgd = tf.estimator.Estimator(model_fn=my_model_fn, model_dir=tempfile.mkdtemp(),
        params={'feature_columns': columns, 'hidden_units': [10, 10], 'n_classes': 3, 'optimizer': 'SGD',
                'learning_rate': 0.1}, config=tf.estimator.RunConfig(tf_random_seed=7))
    sgd.train(input_fn=lambda: data.train_input_fn(train_x, train_y, 100), steps=1000)
    weights = b''.join(sgd.get_variable_value(n).tobytes() for n in sgd.get_variable_names())
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        x = tf.constant(rng.rand(64, 8, 8, 32).astype(np.float32))
        w = tf.constant(rng.rand(3, 3, 32, 64).astype(np.float32) - 0.5)
        y = tf.nn.conv2d(x, w, strides=1, padding='SAME')
        with tf.Session() as session:
            grad = session.run(tf.gradients(tf.reduce_sum(y * y), x)[0])
    print(json.dumps({'sgd': hashlib.sha256(weights).hexdigest(),
                      'conv_grad': hashlib.sha256(grad.tobytes()).hexdigest()}))
""")


def run_at(isa: str, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in same_bits.SETTINGS}
    env.update(ONEDNN_MAX_CPU_ISA=isa, **settings)
    out = subprocess.run([sys.executable, "-c", SGD_AND_CONV], env=env, capture_output=True, text=True,
                         timeout=HANG_GUARD_SECONDS)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


def cpu_has(flag: str) -> bool:
    with open("/proc/cpuinfo") as cpuinfo:
        return any(line.startswith("flags") and flag in line.split() for line in cpuinfo)


@pytest.mark.skipif(not cpu_has("avx2"), reason="needs a CPU with AVX2 to compare two oneDNN levels")
def test_one_seeded_run_gives_the_same_bits_at_every_onednn_level_and_each_setting_is_needed():
    levels = ("SSE41", "AVX2")  # oneDNN playing an old CPU and a newer one
    same = [run_at(isa) for isa in levels]
    assert same[0] == same[1], same
    off = [run_at(isa, **{same_bits.SWITCH: "0"}) for isa in levels]  # TensorFlow's defaults
    assert off[0]["sgd"] != off[1]["sgd"], "the products no longer depend on the CPU: is same_bits still needed?"
    flags_only = [run_at(isa, **{same_bits.SWITCH: "0"}, **same_bits.SETTINGS) for isa in levels]  # no pin
    assert flags_only[0]["sgd"] == flags_only[1]["sgd"] == same[0]["sgd"]
    assert flags_only[0]["conv_grad"] != flags_only[1]["conv_grad"], "is the oneDNN pin still needed?"


def test_the_settings_are_in_force_in_the_tests_and_leave_explicit_ones_alone(monkeypatch):
    assert same_bits.in_force() and same_bits.wanted()
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "4")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # stands for the machine: pinned all the same
    in_force = same_bits.apply()
    assert in_force["TF_NUM_INTRAOP_THREADS"] == "4" and in_force["ONEDNN_MAX_CPU_ISA"] == "AVX"
    assert not same_bits.in_force()
    monkeypatch.setenv(same_bits.SWITCH, "0")
    assert not same_bits.wanted() and same_bits.apply() == {}


def test_iris_lib_imported_after_tensorflow_warns_that_the_digits_may_differ():
    env = {k: v for k, v in os.environ.items() if k not in same_bits.SETTINGS}
    out = subprocess.run([sys.executable, "-W", "always", "-c", "import tensorflow, iris_lib"], env=env,
                         capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    assert out.returncode == 0 and "TensorFlow was imported before iris_lib" in out.stderr, out.stderr[-2000:]


# A product long enough for Eigen to split its sums by the L1 cache (k = 4096), on the one thread the eager
# ops get, once for each cache layout: iris_lib's pinned sizes, a Zen 5's (48 KiB L1), an old Atom's (24 KiB),
# then pinned again.
CACHE_PLAY = textwrap.dedent("""
    import hashlib, json
    import numpy as np
    import iris_lib.tf1  # noqa: F401  (pins Eigen's cache sizes once TensorFlow has loaded)
    import tensorflow as tf
    from iris_lib import same_bits
    rng = np.random.RandomState(0)
    a, b = (tf.constant(rng.rand(*shape).astype(np.float32) - 0.5) for shape in ((64, 4096), (4096, 64)))
    def product_bits():
        return hashlib.sha256(tf.matmul(a, b).numpy().tobytes()).hexdigest()
    seen = {'after import': same_bits.eigen_cache_sizes(), 'pinned': product_bits()}
    for name, sizes in (('zen5', (48 << 10, 1 << 20, 32 << 20)), ('atom', (24 << 10, 512 << 10, 0)),
                        ('pinned again', same_bits.EIGEN_CACHE_SIZES)):
        seen[name + ' libraries'] = same_bits.pin_eigen_cache_sizes(sizes)
        seen[name] = product_bits()
    print(json.dumps(seen))
""")


def test_eigen_splits_long_sums_by_the_pinned_cache_sizes_whatever_the_cpu_has():
    out = subprocess.run([sys.executable, "-c", CACHE_PLAY], capture_output=True, text=True,
                         timeout=HANG_GUARD_SECONDS)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.splitlines()[-1])
    # Right after the import every TensorFlow library holding Eigen's sizes has iris_lib's, before any product.
    assert seen["after import"] and all(tuple(sizes) == same_bits.EIGEN_CACHE_SIZES
                                        for sizes in seen["after import"].values()), seen
    assert "libtensorflow_cc.so.2" in seen["after import"]
    # Other caches, other sums: the pin is what keeps the bits.
    assert seen["zen5"] != seen["pinned"] and seen["atom"] != seen["pinned"], seen
    assert seen["pinned again"] == seen["pinned"], seen


# TensorFlow ops that start from the CPU's approximate RSQRTPS/RCPPS (plus a Newton step): their last bits
# depend on who made the processor, not on the instruction set, so no oneDNN cap can play them.
MAKER_DEPENDENT_OPS = {"Rsqrt", "RsqrtGrad", "Reciprocal", "ReciprocalGrad", "Inv", "InvGrad", "SqrtGrad",
                       "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "FusedBatchNormGrad",
                       "FusedBatchNormGradV2", "FusedBatchNormGradV3"}


def test_tensorflows_rsqrt_is_an_estimate_so_batch_norm_takes_one_over_sqrt_from_exact_operations():
    # Chapter 11's batch-norm exercise ended at moving mean 0.019 on an AMD Zen 5 and 0.0203 on an Intel Xeon
    # (same settings, same oneDNN level): FusedBatchNorm's 1/sqrt. iris_lib's batch norm uses only correctly
    # rounded operations (sqrt, division, products), whose bits IEEE 754 fixes on every CPU.
    import numpy as np
    import tensorflow as tf

    from iris_lib.layers import normalization

    v1 = tf.compat.v1
    rng = np.random.RandomState(0)
    x = rng.uniform(0.01, 100, 100_000).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        value, upstream = tf.constant(x), tf.constant(dy)
        theirs = tf.math.rsqrt(value)
        ours = normalization._reciprocal_sqrt(value)
        ours_gradient, = tf.gradients(ours, value, grad_ys=upstream)
        their_sqrt_gradient, = tf.gradients(tf.sqrt(value), value, grad_ys=upstream)
    with v1.Session(graph=graph) as session:
        theirs, ours, ours_gradient, their_sqrt_gradient = session.run(
            [theirs, ours, ours_gradient, their_sqrt_gradient])
    exact = np.float32(1) / np.sqrt(x)  # numpy: correctly rounded float32 sqrt, then division
    assert (theirs != exact).mean() > 0.05  # TensorFlow's: an estimate refined, not IEEE's
    assert (their_sqrt_gradient != np.float32(0.5) * (dy / np.sqrt(x))).mean() > 0.05
    np.testing.assert_array_equal(ours, exact)
    np.testing.assert_array_equal(ours_gradient, dy * (np.float32(-0.5) * exact) / x)

    for shape in ([16, 4, 4, 3], [16, 3]):  # the fused case (images) and the plain one
        with tf.Graph().as_default() as graph:
            inputs = tf.constant(rng.normal(size=shape).astype(np.float32))
            outputs = normalization.batch_normalization(inputs, training=True)
            v1.train.AdamOptimizer(0.01).minimize(tf.reduce_sum(outputs ** 3), var_list=v1.trainable_variables())
            tf.gradients(outputs, inputs)
            used = {op.type for op in graph.get_operations()}
        assert not used & MAKER_DEPENDENT_OPS, used & MAKER_DEPENDENT_OPS
