"""A training process killed mid-run leaves a model_dir that training resumes from."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import tensorflow as tf

from support import eval_fn, make_estimator, train_fn

TRAIN_FOREVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from support import make_estimator, train_fn
    from iris_lib import data
    import iris_lib.quiet
    import tensorflow as tf
    columns = [tf.compat.v1.feature_column.numeric_column(key=k) for k in data.FEATURE_NAMES]
    estimator = make_estimator({model_dir!r}, columns, save_checkpoints_steps=100)
    estimator.train(train_fn(data.load_data(), batch_size=10), steps=10_000_000)
""")


def test_sigkill_mid_training_leaves_a_resumable_model_dir(tmp_path, iris, columns):
    model_dir = tmp_path / "model"
    script = TRAIN_FOREVER.format(tests=os.path.dirname(__file__), model_dir=str(model_dir))
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            latest = tf.train.latest_checkpoint(str(model_dir))
            if latest and int(latest.rsplit("-", 1)[1]) >= 500:
                break
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        else:
            raise AssertionError("training never reached a checkpoint at step 500")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL

    resumed = make_estimator(model_dir, columns, save_checkpoints_steps=100)
    start = int(resumed.get_variable_value("global_step"))
    assert start >= 500 and start % 100 == 0
    resumed.train(train_fn(iris), steps=50)
    assert resumed.get_variable_value("global_step") == start + 50
    assert resumed.evaluate(eval_fn(iris))["global_step"] == start + 50
