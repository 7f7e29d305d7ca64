"""The experiment runner behind the explorer and the hidden_units sweep (iris_lib.sweep)."""
import math
import os

import numpy as np
import pytest

from iris_lib import data, plots
from iris_lib.custom_estimator import feature_columns
from iris_lib.sweep import (SWEEP_COLUMNS, TrainingConfig, make_estimator, sweep,
                            train_and_evaluate)
from iris_lib.tensorboard import read_run


def test_training_config_validates_every_field():
    assert TrainingConfig([10, 10]).hidden_units == (10, 10)
    for bad in ([], [0], [10, -1], "10, 10"):
        with pytest.raises(ValueError, match="hidden_units"):
            TrainingConfig(bad)
    with pytest.raises(ValueError, match="optimizer 'Adadelta' is not one of"):
        TrainingConfig((10,), optimizer="Adadelta")
    for rate in (0, -0.1, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="learning_rate must be a positive number"):
            TrainingConfig((10,), learning_rate=rate)
    with pytest.raises(ValueError, match="steps must be a positive whole number"):
        TrainingConfig((10,), steps=0)
    with pytest.raises(ValueError, match="batch_size must be a positive whole number"):
        TrainingConfig((10,), batch_size=2.5)


def test_config_name_spells_out_every_setting_so_configurations_never_share_a_model_dir():
    config = TrainingConfig((10, 10), optimizer="Adam", learning_rate=0.01, steps=500, batch_size=32, seed=3)
    assert config.name == "h10-10_Adam_lr0.01_b32_n500_seed3"
    variants = [config,
                TrainingConfig((10, 10, 10), "Adam", 0.01, 500, 32, 3),
                TrainingConfig((10, 10), "SGD", 0.01, 500, 32, 3),
                TrainingConfig((10, 10), "Adam", 0.1, 500, 32, 3),
                TrainingConfig((10, 10), "Adam", 0.01, 500, 32, 4)]
    assert len({v.name for v in variants}) == len(variants)
    params = config.params(feature_columns())
    assert params["hidden_units"] == [10, 10] and params["n_classes"] == 3
    assert (params["optimizer"], params["learning_rate"]) == ("Adam", 0.01)
    assert [c.key for c in params["feature_columns"]] == ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]


def test_train_and_evaluate_trains_from_scratch_and_reports_test_metrics(tmp_path, iris):
    config = TrainingConfig((10, 10), steps=200, seed=7)
    model_dir = tmp_path / config.name
    _, first = train_and_evaluate(config, model_dir, iris)
    assert first.global_step == 200
    assert 0.0 <= first.accuracy <= 1.0 and first.loss > 0
    assert math.isclose(first.accuracy * 30, round(first.accuracy * 30), abs_tol=1e-4)  # k of 30 test examples
    # A second run of the same configuration starts again from step 0 and gives the same model.
    estimator, second = train_and_evaluate(config, model_dir, iris)
    assert second.global_step == 200
    assert (second.accuracy, second.loss) == (first.accuracy, first.loss)
    assert estimator.latest_checkpoint().endswith("model.ckpt-200")
    assert "eval" in read_run(model_dir)


def test_step_callback_reports_the_event_files_points_and_the_last_step(tmp_path, iris):
    """`on_step` sees, on every summary step (1, 51, ...) and the last, the loss and running accuracy the
    event files hold for that step."""
    reports = []
    config = TrainingConfig((10, 10), steps=200, seed=7)
    _, result = train_and_evaluate(config, tmp_path / "probe", iris, on_step=lambda *r: reports.append(r),
                                   save_summary_steps=50)
    assert [step for step, _, _ in reports] == [1, 51, 101, 151, 200]
    train = read_run(tmp_path / "probe")["train"]
    assert list(train["loss"]["step"]) == [1, 51, 101, 151]
    for tag, column in (("loss", 1), ("accuracy", 2)):
        np.testing.assert_array_equal(np.float32([r[column] for r in reports[:4]]), train[tag]["value"].to_numpy())
    losses = np.array([loss for _, loss, _ in reports])
    accuracies = np.array([accuracy for _, _, accuracy in reports])
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert np.all((accuracies >= 0) & (accuracies <= 1))
    assert result.global_step == 200


def test_the_step_callback_changes_nothing_the_run_leaves(tmp_path, iris):
    """Weights, test metrics and every summary point are those of the same run without it."""
    config = TrainingConfig((10,), steps=100, seed=5)
    plain_estimator, plain = train_and_evaluate(config, tmp_path / "plain", iris, save_summary_steps=7)
    probed_estimator, probed = train_and_evaluate(config, tmp_path / "probed", iris, on_step=lambda *r: None,
                                                  save_summary_steps=7)
    assert (probed.accuracy, probed.loss) == (plain.accuracy, plain.loss)
    for name in plain_estimator.get_variable_names():
        np.testing.assert_array_equal(probed_estimator.get_variable_value(name), plain_estimator.get_variable_value(name))
    plain_run, probed_run = read_run(tmp_path / "plain")["train"], read_run(tmp_path / "probed")["train"]
    for tag in ("loss", "accuracy"):
        np.testing.assert_array_equal(probed_run[tag]["value"], plain_run[tag]["value"])
        assert list(probed_run[tag]["step"]) == list(plain_run[tag]["step"]) == [1, 8, 15, 22, 29, 36, 43, 50, 57, 64,
                                                                                 71, 78, 85, 92, 99]


def test_step_reporter_refuses_a_bad_interval():
    from iris_lib.sweep import StepReporter

    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="every must be a positive whole number"):
            StepReporter(lambda *r: None, bad)


@pytest.mark.parametrize("optimizer, rate", [("Adagrad", 0.1), ("Adam", 0.01), ("SGD", 0.1), ("RMSProp", 0.01)])
def test_every_optimizer_trains_evaluates_and_predicts(tmp_path, iris, optimizer, rate):
    config = TrainingConfig((10,), optimizer=optimizer, learning_rate=rate, steps=50, seed=1)
    estimator, result = train_and_evaluate(config, tmp_path / config.name, iris)
    assert result.global_step == 50 and 0 <= result.accuracy <= 1
    (_, _), (test_x, _) = iris
    predictions = list(estimator.predict(lambda: data.eval_input_fn(test_x, None, 30)))
    assert len(predictions) == 30
    assert np.allclose([p["probabilities"].sum() for p in predictions], 1.0, atol=1e-5)


def test_make_estimator_passes_the_config_to_my_model_fn(tmp_path):
    config = TrainingConfig((7, 5), optimizer="SGD", learning_rate=0.5, seed=11)
    estimator = make_estimator(config, tmp_path / "m")
    assert estimator.params["hidden_units"] == [7, 5]
    assert (estimator.params["optimizer"], estimator.params["learning_rate"]) == ("SGD", 0.5)
    assert estimator.config.tf_random_seed == 11 and estimator.model_dir == str(tmp_path / "m")


def test_sweep_returns_one_row_per_layers_units_and_seed(tmp_path):
    frame = sweep(layers=(1, 2), units=(3, 8), seeds=(1, 2), steps=40, root_dir=tmp_path)
    assert list(frame.columns) == SWEEP_COLUMNS
    assert len(frame) == 8
    assert sorted(set(map(tuple, frame["hidden_units"]))) == [(3,), (3, 3), (8,), (8, 8)]
    assert all(len(h) == n and set(h) == {u} for h, n, u in zip(frame["hidden_units"], frame["layers"], frame["units"]))
    assert frame.groupby(["layers", "units"]).size().tolist() == [2, 2, 2, 2]
    assert frame["accuracy"].between(0, 1).all() and (frame["loss"] > 0).all()
    assert (frame["steps"] == 40).all()
    assert len(os.listdir(tmp_path)) == 8  # every model in a folder of its own
    fig = plots.plot_hidden_units_sweep(frame)
    assert len(fig.axes) == 2


def test_sweep_chooses_on_the_validation_split_never_the_test_set(tmp_path):
    """Each row is the model trained on `load_splits()`'s training rows and scored on its validation rows."""
    frame = sweep(layers=(1,), units=(4,), seeds=(3,), steps=30, root_dir=tmp_path / "s", workers=1)
    train, valid, test = data.load_splits()
    config = TrainingConfig((4,), steps=30, seed=3)
    _, on_valid = train_and_evaluate(config, tmp_path / "valid", (train, valid))
    assert (frame["accuracy"].iloc[0], frame["loss"].iloc[0]) == (on_valid.accuracy, on_valid.loss)
    assert math.isclose(on_valid.accuracy * len(valid[1]), round(on_valid.accuracy * len(valid[1])), abs_tol=1e-4)
    _, on_test = train_and_evaluate(config, tmp_path / "test", (train, test))
    assert on_test.loss != on_valid.loss


def test_sweep_in_threads_gives_the_same_table_as_one_model_at_a_time(tmp_path):
    grid = {"layers": (1, 2), "units": (4,), "seeds": (3, 4), "steps": 30}
    threaded = sweep(root_dir=tmp_path / "threads", workers=2, **grid)
    sequential = sweep(root_dir=tmp_path / "one", workers=1, **grid)
    assert threaded.equals(sequential)
    with pytest.raises(ValueError, match="workers must be a positive whole number"):
        sweep(workers=0)


def test_a_repeated_configuration_is_trained_once_with_a_warning(tmp_path):
    import logging

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        repeated = sweep(layers=(1, 1), units=(4, 4), seeds=(3, 3), steps=30, root_dir=tmp_path / "rep", workers=2)
    finally:
        logger.removeHandler(handler)
    once = sweep(layers=(1,), units=(4,), seeds=(3,), steps=30, root_dir=tmp_path / "once", workers=1)
    assert repeated.equals(once)  # one row, and the model trained as if it were alone
    assert os.listdir(tmp_path / "rep") == os.listdir(tmp_path / "once")
    messages = [r.getMessage() for r in records]
    for name in ("layers", "units", "seeds"):
        assert any(f"sweep(): {name} lists" in m and "more than once" in m for m in messages), messages


def test_train_and_evaluate_never_empties_a_model_dir_that_is_being_trained(tmp_path, iris):
    from iris_lib.estimator import ModelDirBusyError, model_dir_lock

    model_dir = tmp_path / "busy"
    config = TrainingConfig(hidden_units=(4,), steps=5)
    train_and_evaluate(config, model_dir, iris)
    before = sorted(os.listdir(model_dir))
    with model_dir_lock.hold(str(model_dir)):  # as another trainer holds it
        with pytest.raises(ModelDirBusyError, match=f"model_dir {model_dir} is being trained by another thread"):
            train_and_evaluate(config, model_dir, iris)
        assert sorted(os.listdir(model_dir)) == sorted(before + [model_dir_lock.LOCK_FILE])
