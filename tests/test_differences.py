"""companion/differences.md lists where iris_lib deliberately differs from tf.estimator; each entry stays true.

Every entry names the test that checks its behaviour. The tests below check that each named test still
exists, and check the behaviours that no other test file covers.
"""
import ast
import re
from pathlib import Path

import numpy as np
import pytest

import iris_lib.tf1 as tf
from iris_lib import data
from iris_lib.estimator import model_dir_lock
from support import make_estimator, train_fn

ROOT = Path(__file__).parent.parent
PAGE = (ROOT / "companion" / "differences.md").read_text()
CHECKED_BY = re.findall(r"Checked by `(tests/[\w/]+\.py)::(\w+)`", PAGE)


def _test_names(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}


def test_every_entry_names_a_test_that_exists():
    entries = re.findall(r"^\*\*[^*]+\*\*", PAGE, re.M)
    assert len(CHECKED_BY) == len(entries) >= 8, "each bold entry ends with `Checked by tests/...::test_...`"
    for path, name in CHECKED_BY:
        assert (ROOT / path).is_file(), path
        assert name in _test_names(ROOT / path), f"{path} has no {name}: update companion/differences.md"


@pytest.fixture(scope="module")
def iris():
    return data.load_data()


@pytest.fixture(scope="module")
def columns():
    return [tf.feature_column.numeric_column(key=key) for key in data.FEATURE_NAMES]


def test_a_nan_loss_names_the_step_and_saves_nothing(tmp_path, iris, columns):
    (train_x, train_y), test = iris
    broken = train_x.copy()
    broken.iloc[3, 0] = np.nan
    estimator = make_estimator(tmp_path, columns)
    with pytest.raises(tf.train.NanLossDuringTrainingError, match=r"loss = nan in training step 1 .*model\.ckpt-0"):
        estimator.train(train_fn(((broken, train_y), test)), steps=50)
    assert estimator.latest_checkpoint().endswith("model.ckpt-0")  # the diverged state was never saved
    assert np.isfinite(estimator.get_variable_value("dense/kernel")).all()


def test_a_second_trainer_in_the_same_model_dir_is_refused(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    with model_dir_lock.hold(str(tmp_path)):  # another trainer holds the lock
        with pytest.raises(model_dir_lock.ModelDirBusyError, match=re.escape(str(tmp_path))):
            estimator.train(train_fn(iris), steps=5)
    assert estimator.latest_checkpoint() is None  # the refused trainer wrote nothing
    estimator.train(train_fn(iris), steps=5)  # once the holder is gone, training goes ahead
    assert estimator.latest_checkpoint().endswith("model.ckpt-5")


def test_a_name_the_real_estimator_had_says_what_to_use_instead():
    with pytest.raises(AttributeError, match="use tf.estimator.Estimator") as raised:
        tf.estimator.TPUEstimator  # noqa: B018
    assert type(raised.value).__name__ == "MissingFromIrisLib"


def test_the_premade_takes_a_learning_rate(tmp_path, iris, columns):
    """`learning_rate=` scales the default Adagrad's first update (both divide by the same accumulator)."""
    def first_update(rate):  # the logits' biases start at zero
        premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                                             learning_rate=rate, model_dir=str(tmp_path / str(rate)),
                                             config=tf.estimator.RunConfig(tf_random_seed=3))
        premade.train(train_fn(iris), steps=1)
        return premade.get_variable_value("dnn/logits/bias")

    assert np.allclose(first_update(0.1), 2 * first_update(0.05), rtol=1e-5, atol=0)


def test_the_premade_writes_per_layer_zero_fractions(tmp_path, iris, columns):
    from iris_lib.tensorboard import read_run

    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                                         model_dir=str(tmp_path), config=tf.estimator.RunConfig(tf_random_seed=7))
    premade.train(train_fn(iris), steps=5)
    tags = set(read_run(str(tmp_path))["train"])
    assert {f"dnn/dnn/hiddenlayer_{i}/fraction_of_zero_values" for i in (0, 1)} <= tags, sorted(tags)


def test_evaluate_returns_python_numbers(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=2)
    metrics = estimator.evaluate(lambda: data.eval_input_fn(*iris[1], 100))
    assert type(metrics["accuracy"]) is float and type(metrics["loss"]) is float
    assert type(metrics["global_step"]) is int and metrics["global_step"] == 2
