"""Warm starts (issue 12 item 8): `Estimator(warm_start_from=...)`, `WarmStartSettings`, `vars_to_warm_start`.

Including the honest answer to "I changed hidden_units and my model_dir refuses it": a new model_dir,
warm-started from the old one in the layers that still fit.
"""
import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import CheckpointMismatchError, Estimator, RunConfig
from iris_lib.estimator.warm_starting_util import WarmStartSettings, settings_from
from iris_lib.model import my_model_fn
from support import eval_fn, make_estimator, train_fn


def estimator(model_dir, columns, hidden_units, warm_start_from=None, seed=8):
    return Estimator(model_fn=my_model_fn, model_dir=str(model_dir), config=RunConfig(tf_random_seed=seed),
                     params={"feature_columns": columns, "hidden_units": list(hidden_units), "n_classes": 3},
                     warm_start_from=warm_start_from)


def value(model_dir, name, step=None):
    path = str(model_dir) if step is None else f"{model_dir}/model.ckpt-{step}"
    return tf.train.load_variable(path, name)


@pytest.fixture(scope="module")
def old(tmp_path_factory, iris, columns):
    """The old model: hidden_units [10, 10], trained 200 steps."""
    model_dir = tmp_path_factory.mktemp("old")
    make_estimator(model_dir, columns).train(train_fn(iris), steps=200)
    return model_dir


def test_changed_hidden_units_warm_start_the_layers_that_still_fit_into_a_new_model_dir(old, tmp_path, iris, columns):
    with pytest.raises(CheckpointMismatchError, match=r"warm_start_from=WarmStartSettings"):  # refused, with the way out
        estimator(old, columns, [10, 20]).train(train_fn(iris), steps=1)
    new = tmp_path / "new"
    settings = WarmStartSettings(str(old), vars_to_warm_start="dense/.*")  # the first layer: (4, 10) still fits
    model = estimator(new, columns, [10, 20], warm_start_from=settings)
    model.train(train_fn(iris), steps=50)
    # the checkpoint at the start of training holds the warm-started first layer and a fresh rest
    for name in ("dense/kernel", "dense/bias"):
        np.testing.assert_array_equal(value(new, name, step=0), value(old, name))
    assert value(new, "dense_1/kernel", step=0).shape == (10, 20)
    assert value(new, "global_step", step=0) == 0  # a new model: its own step count
    assert value(new, "dense/kernel/Adagrad", step=0).max() == pytest.approx(0.1)  # optimizer state starts fresh
    assert model.evaluate(eval_fn(iris))["global_step"] == 50


def test_warm_starting_a_layer_that_does_not_fit_names_the_ones_that_do(old, tmp_path, iris, columns):
    model = estimator(tmp_path / "new", columns, [10, 20], warm_start_from=str(old))  # ".*": every trainable one
    with pytest.raises(ValueError) as raised:
        model.train(train_fn(iris), steps=1)
    message = str(raised.value)
    assert "doesn't match" in message and "vars_to_warm_start=[...]" in message
    assert "'dense/kernel'" in message and "'dense/bias'" in message and "'dense_1/kernel'" not in message
    assert model.latest_checkpoint() is None  # nothing was written


def test_a_list_of_names_a_path_and_a_model_dir_all_work(old, tmp_path, iris, columns):
    listed = WarmStartSettings(str(old), vars_to_warm_start=["dense/kernel", "dense_2/bias"])
    estimator(tmp_path / "a", columns, [10, 20], warm_start_from=listed).train(train_fn(iris), steps=1)
    np.testing.assert_array_equal(value(tmp_path / "a", "dense/kernel", 0), value(old, "dense/kernel"))
    np.testing.assert_array_equal(value(tmp_path / "a", "dense_2/bias", 0), value(old, "dense_2/bias"))
    assert not np.array_equal(value(tmp_path / "a", "dense/bias", 0), value(old, "dense/bias"))

    checkpoint = tf.train.latest_checkpoint(str(old))  # same architecture, from a checkpoint path: every layer
    estimator(tmp_path / "b", columns, [10, 10], warm_start_from=checkpoint).train(train_fn(iris), steps=1)
    for name in ("dense/kernel", "dense_1/kernel", "dense_2/kernel"):
        np.testing.assert_array_equal(value(tmp_path / "b", name, 0), value(old, name))


def test_the_warm_start_is_used_only_while_model_dir_has_no_checkpoint(old, tmp_path, iris, columns):
    model = estimator(tmp_path / "new", columns, [10, 10], warm_start_from=str(old))
    model.train(train_fn(iris), steps=10)
    after_first = value(tmp_path / "new", "dense/kernel")
    model.train(train_fn(iris), steps=10)  # resumes from its own step 10, not from the old model again
    np.testing.assert_array_equal(value(tmp_path / "new", "dense/kernel", step=10), after_first)
    assert value(tmp_path / "new", "global_step") == 20


def test_settings_from_accepts_what_the_real_one_accepts(tmp_path):
    assert settings_from(None) is None
    assert settings_from("some/ckpt") == WarmStartSettings("some/ckpt", ".*")
    assert settings_from(tmp_path).ckpt_to_initialize_from == str(tmp_path)
    saved_model = tmp_path / "export" / "123"
    (saved_model / "variables").mkdir(parents=True)
    (saved_model / "variables" / "variables.index").write_bytes(b"")
    assert settings_from(str(saved_model)).ckpt_to_initialize_from == str(saved_model / "variables" / "variables")
    with pytest.raises(ValueError, match="must be a string or a WarmStartSettings"):
        settings_from(42)
