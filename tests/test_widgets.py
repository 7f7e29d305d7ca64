"""The hidden_units explorer, driven the way a reader drives it: set the controls, press Train."""
import base64
import io
import os
import signal
import threading
from pathlib import Path

import numpy as np

import matplotlib.image
import pytest
import tensorflow as tf

from iris_lib import explorer_figures as F
from iris_lib import widgets as W
from iris_lib.tensorboard import read_run
from iris_lib.widgets import ControlError, HiddenUnitsExplorer, parse_controls, parse_hidden_units
from support import StepGate, wait_until

FAST = {"steps": 200, "seed": 7}


def png_of(output_widget):
    """The picture in an Output widget (exactly one PNG), decoded, so a blank output fails the test."""
    (output,) = output_widget.outputs
    png = base64.b64decode(output["data"]["image/png"])
    return matplotlib.image.imread(io.BytesIO(png))


@pytest.fixture
def explorer(tmp_path):
    ex = HiddenUnitsExplorer(root_dir=tmp_path / "runs", **FAST)
    return ex


@pytest.mark.parametrize("text, units", [("10, 10", (10, 10)), ("[10,10]", (10, 10)), ("64 32", (64, 32)),
                                         (" 3 ", (3,)), ("(5, 4, 3)", (5, 4, 3)), ([8, 8], (8, 8))])
def test_hidden_units_accepts_free_text(text, units):
    assert parse_hidden_units(text) == units


@pytest.mark.parametrize("text, says", [
    ("", "hidden_units is empty"),
    ("  ,  ", "hidden_units is empty"),
    ("0", r"hidden_units\[0\] = 0: every layer needs a positive whole number"),
    ("10, 0", r"hidden_units\[1\] = 0"),
    ("10, x", "'x' is not a whole number"),
    ("10.5", "'10.5' is not a whole number"),
    ("-3", r"hidden_units\[0\] = -3"),
    ("1, 1, 1, 1, 1, 1, 1, 1, 1", "9 layers; the explorer trains at most 8"),
    ("100000", "more than the explorer's 1024"),
])
def test_bad_hidden_units_are_explained(text, says):
    with pytest.raises(ControlError, match=says):
        parse_hidden_units(text)


@pytest.mark.parametrize("rate, says", [("abc", "'abc' is not a number"), ("", "'' is not a number"),
                                        ("-0.1", "must be a positive number.*got -0.1"), ("0", "got 0"),
                                        ("nan", "got nan"), (True, "must be a number")])
def test_bad_learning_rate_is_explained(rate, says):
    with pytest.raises(ControlError, match=says):
        parse_controls("10, 10", learning_rate=rate)


def test_parse_controls_builds_the_training_config():
    config = parse_controls("64, 32", learning_rate="1e-2", optimizer="Adam", steps=300, batch_size=16, seed=3)
    assert (config.hidden_units, config.optimizer, config.learning_rate) == ((64, 32), "Adam", 0.01)
    assert (config.steps, config.batch_size, config.seed) == (300, 16, 3)
    with pytest.raises(ControlError, match="optimizer 'Momentum' is not one of Adagrad, Adam, SGD"):
        parse_controls("10", optimizer="Momentum")
    with pytest.raises(ControlError, match="training steps must be between 1 and 20000, got 0"):
        parse_controls("10", steps=0)
    with pytest.raises(ControlError, match="batch size: 'ten' is not a whole number"):
        parse_controls("10", batch_size="ten")
    with pytest.raises(ControlError, match="seed must be a whole number from 0"):
        parse_controls("10", seed=-1)


def test_describe_network_counts_the_weights():
    # 4 inputs -> 10 -> 10 -> 3 logits: (4+1)*10 + (10+1)*10 + (10+1)*3 = 193
    assert W.describe_network([10, 10]) == "4 → 10 → 10 → 3, 193 weights"


def test_sliders_write_the_hidden_units_text_and_the_text_moves_the_sliders(explorer):
    explorer.layers.value = 3
    explorer.units.value = 64
    assert explorer.hidden_units.value == "64, 64, 64"
    assert "4 → 64 → 64 → 64 → 3" in explorer.architecture.value
    explorer.hidden_units.value = "5, 7"
    assert explorer.layers.value == 2 and explorer.hidden_units.value == "5, 7"  # the text is not overwritten
    explorer.hidden_units.value = "[20, 20]"
    assert (explorer.layers.value, explorer.units.value) == (2, 20)
    explorer.hidden_units.value = "20, zero"
    assert "is not a whole number" in explorer.architecture.value


def test_train_button_trains_and_fills_every_output(explorer):
    explorer.hidden_units.value = "10, 10"
    explorer.train_button.click()  # a click starts the run in the background and returns at once
    explorer.wait()
    assert explorer.last_error is None, explorer.message.value
    (record,) = explorer.history
    assert record.result.global_step == 200 and 0 <= record.result.accuracy <= 1
    assert f"test accuracy {record.result.accuracy:.3f}" in explorer.result.value
    assert explorer.progress.value == explorer.progress.max == 200
    assert explorer.message.value == ""
    for output in (explorer.curves, explorer.diagnostics, explorer.comparison):
        picture = png_of(output)
        assert picture.shape[0] > 200 and picture.shape[1] > 400
        assert picture[..., :3].std() > 0.05  # something was drawn
    assert explorer.predictions.value.count("</tr>") == 4  # a header and the guide's three examples
    for species in ("Setosa", "Versicolor", "Virginica"):
        assert species in explorer.predictions.value
    assert "<td>[10, 10]</td>" in explorer.history_table.value
    # StepReporter saw the whole run.
    assert record.curve["step"].iloc[0] == 1 and record.curve["step"].iloc[-1] == 200


def test_each_configuration_trains_in_its_own_model_dir_and_runs_accumulate(explorer, tmp_path):
    for text in ("3", "10, 10", "3"):
        explorer.hidden_units.value = text
        assert explorer.train() is not None, explorer.message.value
    frame = explorer.history_frame()
    assert frame["run"].tolist() == [1, 2, 3]
    assert frame["hidden_units"].tolist() == [[3], [10, 10], [3]]
    dirs = [Path(d) for d in frame["model_dir"]]
    assert dirs[0] == dirs[2] != dirs[1]
    assert {d.name for d in dirs} == {"h3_Adagrad_lr0.1_b100_n200_seed7", "h10-10_Adagrad_lr0.1_b100_n200_seed7"}
    assert all(d.parent == tmp_path / "runs" and (d / "checkpoint").is_file() for d in dirs)
    # Training the same configuration again started fresh: the same step count and the same result.
    assert frame["test_accuracy"][0] == frame["test_accuracy"][2]
    assert frame["test_loss"][0] == frame["test_loss"][2]
    assert sorted(p.name for p in dirs[0].glob("model.ckpt-*.index")) == ["model.ckpt-0.index", "model.ckpt-200.index"]
    assert explorer.history_table.value.count("</tr>") == 4
    explorer.clear_history()
    assert explorer.history == [] and explorer.history_table.value == "" and explorer.comparison.outputs == ()


@pytest.mark.parametrize("control, value, says", [
    ("hidden_units", "", "hidden_units is empty"),
    ("hidden_units", "10, 0", "every layer needs a positive whole number"),
    ("hidden_units", "ten", "'ten' is not a whole number"),
    ("learning_rate", "-0.5", "learning rate must be a positive number"),
    ("learning_rate", "fast", "'fast' is not a number"),
])
def test_bad_input_shows_a_message_and_trains_nothing(explorer, control, value, says):
    getattr(explorer, control).value = value
    assert explorer.train() is None  # no exception escapes
    assert says in explorer.message.value.replace("&#x27;", "'")
    assert "Cannot train yet" in explorer.message.value and "Traceback" not in explorer.message.value
    assert explorer.history == [] and not explorer.root_dir.exists()
    assert not explorer.train_button.disabled


def test_a_failure_during_training_is_reported_not_raised(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(W, "make_estimator", broken)
    assert explorer.train() is None
    assert "Training failed: the disk is full" in explorer.message.value
    assert isinstance(explorer.last_error, RuntimeError) and not explorer.train_button.disabled


def test_adam_runs_and_a_later_run_clears_the_message(explorer):
    explorer.learning_rate.value = "oops"
    explorer.train()
    assert explorer.message.value
    explorer.optimizer.value, explorer.learning_rate.value, explorer.hidden_units.value = "Adam", "0.01", "8"
    record = explorer.train()
    assert record is not None, explorer.message.value
    assert record.config.optimizer == "Adam" and explorer.message.value == ""


def test_key_widgets_carry_stable_css_classes_and_descriptions(explorer):
    for name, css in W.CSS_CLASSES.items():
        widget = explorer.view if name == "view" else getattr(explorer, name)
        assert css in widget._dom_classes, name
    assert explorer.train_button.description == "Train"
    assert explorer.hidden_units.description == "hidden_units"
    assert explorer.optimizer.options == ("Adagrad", "Adam", "SGD", "RMSProp")
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_train_each_compares_architectures_and_draws_only_the_last(explorer):
    assert explorer.train(draw=False) is not None
    assert explorer.curves.outputs == explorer.diagnostics.outputs == explorer.comparison.outputs == ()
    assert "test accuracy" in explorer.result.value
    explorer.clear_history()
    records = explorer.train_each(["3", [8, 8]])
    assert [r.config.hidden_units for r in records] == [(3,), (8, 8)]
    assert explorer.hidden_units.value == "8, 8"
    assert explorer.history_frame()["hidden_units"].tolist() == [[3], [8, 8]]
    assert "hidden_units=[8, 8]" in explorer.result.value
    png_of(explorer.curves), png_of(explorer.comparison), png_of(explorer.diagnostics)


# ----- issue 9 item 8: a run can be stopped, a second Train is refused, train() never raises -----------

def test_a_huge_number_in_hidden_units_is_a_message_not_an_exception(explorer):
    explorer.hidden_units.value = "9" * 5000  # int() refuses 4300+ digits: this raised out of the observer
    assert "more than the explorer&#x27;s 1024 units" in explorer.architecture.value
    assert explorer.train() is None
    assert "Cannot train yet" in explorer.message.value and explorer.history == []
    explorer.hidden_units.value = "x" * 5000
    assert "is not a whole number" in explorer.architecture.value and len(explorer.architecture.value) < 300


def test_stop_ends_the_run_at_the_step_it_reached_and_keeps_the_model_at_that_step(explorer):
    gate = StepGate(at=100)  # the run waits at step 100 while Stop is clicked: no race with the machine's speed
    explorer.hooks.append(gate)
    explorer.steps.value = 5000
    explorer.hidden_units.value = "10, 10"
    explorer.train_button.click()  # returns at once: the kernel is free for the Stop click
    assert explorer.running and not explorer.stop_button.disabled
    gate.wait_reached()
    explorer.stop_button.click()
    gate.release()
    record = explorer.wait()
    assert record is not None and not explorer.running and explorer.stop_button.disabled
    step = record.result.global_step
    assert record.stopped_at == step == 100  # the step it was held at when Stop was clicked, and not one more
    model_dir = Path(record.result.model_dir)
    assert (model_dir / f"model.ckpt-{step}.index").is_file()  # the model at that step is kept
    assert f"Stopped at step {step} of 5000" in explorer.message.value
    assert f"stopped after {step} of 5000 steps" in explorer.result.value
    assert f"{step} steps in" in explorer.progress_label.value
    assert explorer.history_frame()["steps"].tolist() == [5000]
    png_of(explorer.curves), png_of(explorer.diagnostics)  # it is evaluated and drawn like any run


def test_a_long_run_shows_a_live_plot_then_its_final_curves(explorer):
    gate = StepGate(at=100)  # held at step 100 until the live plot is on screen, however slow the helper
    explorer.hooks.append(gate)
    explorer.steps.value = 20000
    explorer.train_button.click()

    def shown():
        return explorer.curves.outputs[0]["data"]["text/plain"] if explorer.curves.outputs else ""

    gate.wait_reached()
    wait_until(lambda: shown() == "loss and accuracy so far", "the live plot of a held run")
    assert explorer.running and png_of(explorer.curves)[..., :3].std() > 0.05
    explorer.stop()
    gate.release()
    record = explorer.wait()
    assert record is not None and record.stopped_at == 100, explorer.message.value
    assert shown() == f"loss and accuracy of {record.config.name}"


def test_a_second_train_while_one_runs_is_refused_with_a_message(explorer):
    gate = StepGate(at=1)  # the first run is surely still going while the second is asked for
    explorer.hooks.append(gate)
    explorer.steps.value = 2000
    explorer.train_button.click()
    assert explorer.running
    explorer.hidden_units.value = "3"
    assert explorer.train() is None  # from code, and from the button
    explorer.train_button.click()
    assert "Already training [10, 10]" in explorer.message.value and "press Stop" in explorer.message.value
    gate.release()
    first = explorer.wait()
    assert first is not None and first.config.hidden_units == (10, 10) and first.stopped_at is None
    assert len(explorer.history) == 1
    assert explorer.train() is not None and len(explorer.history) == 2  # once it is done, Train works again


def test_a_kernel_interrupt_while_train_waits_stops_the_run_and_returns_it(explorer):
    gate = StepGate(at=100)
    explorer.hooks.append(gate)
    explorer.steps.value = 5000

    def interrupt_at_the_gate():
        gate.wait_reached()
        os.kill(os.getpid(), signal.SIGINT)  # what Jupyter's interrupt does to the kernel
        wait_until(lambda: explorer._stop_hook.event.is_set(), "the interrupt reaching the run")
        gate.release()

    # Ctrl-C raises KeyboardInterrupt, as in a kernel (a background job, `make test &`, starts with it ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupter = threading.Thread(target=interrupt_at_the_gate, daemon=True)
        interrupter.start()
        record = explorer.train()  # waits; the KeyboardInterrupt arrives here
        interrupter.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert record is not None, (explorer.message.value, repr(explorer.last_error))
    assert record.stopped_at == record.result.global_step == 100
    assert "Stopped at step" in explorer.message.value and explorer.last_error is None


def test_stop_when_nothing_runs_does_nothing(explorer):
    explorer.stop()
    explorer.stop_button.click()
    assert explorer.message.value == "" and explorer.history == []


def test_the_explorers_numbers_equal_separate_evaluate_and_predict_calls(explorer, monkeypatch):
    """The metrics and the grid, test and example probabilities, from one graph and one session, are the
    numbers separate Estimator.evaluate and Estimator.predict calls give."""
    shown = []
    draw = explorer._show_diagnostics
    monkeypatch.setattr(explorer, "_show_diagnostics", lambda record, *probabilities: (
        shown.append(probabilities), draw(record, *probabilities)))
    record = explorer.train()
    (grid, test, examples), = shown
    estimator = W.make_estimator(record.config, record.result.model_dir, explorer._columns)
    (_, _), (test_x, test_y) = explorer._iris
    metrics = estimator.evaluate(lambda: W.data.eval_input_fn(test_x, test_y, len(test_x)))
    assert (record.result.accuracy, record.result.loss) == (metrics["accuracy"], metrics["loss"])

    def predict(features):
        n = len(next(iter(features.values())))
        batches = estimator.predict(lambda: W.data.eval_input_fn(features, None, n), predict_keys=["probabilities"],
                                    yield_single_examples=False)
        return np.concatenate([b["probabilities"] for b in batches])

    np.testing.assert_allclose(predict(explorer._region_grid), grid, rtol=0, atol=1e-6)
    np.testing.assert_allclose(predict({k: test_x[k].to_numpy() for k in W.data.FEATURE_NAMES}), test,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(predict(W.data.PREDICT_X), examples, rtol=0, atol=1e-6)
    assert (test.argmax(axis=1) == test_y.to_numpy()).mean() == pytest.approx(record.result.accuracy)
    assert grid.shape == (W.REGION_RESOLUTION ** 2, 3) and examples.shape == (3, 3)


def test_the_explorer_trains_the_model_the_rest_of_the_book_trains(explorer, tmp_path):
    """Its faster input (`data.fast_train_input_fn`) gives the same batches and seeds, so a configuration
    trained in the explorer is the one `sweep.train_and_evaluate` (the static explorer's grid, chapter 6's
    tables) trains: every weight equal, and the same test metrics."""
    from iris_lib.sweep import train_and_evaluate

    explorer.hidden_units.value, explorer.optimizer.value = "5, 3", "Adam"
    record = explorer.train(draw=False)
    estimator, result = train_and_evaluate(record.config, tmp_path / "book", explorer._iris, explorer._columns)
    live = W.make_estimator(record.config, record.result.model_dir, explorer._columns)
    names = estimator.get_variable_names()
    assert live.get_variable_names() == names and "dense_1/kernel/Adam" in names, names
    for name in names:
        np.testing.assert_array_equal(live.get_variable_value(name), estimator.get_variable_value(name), err_msg=name)
    assert (record.result.accuracy, record.result.loss) == (result.accuracy, result.loss)


def test_figures_redrawn_in_place_are_the_figures_drawn_afresh(explorer, tmp_path):
    """A second explorer that trains only the last configuration draws the same curves and diagnostics
    pixel for pixel; the curves and the comparison, grown run by run in the helper process, equal the
    figures drawn at once in this process."""
    for text in ("3", "10, 10"):
        explorer.hidden_units.value = text
        assert explorer.train() is not None, explorer.message.value
    fresh = HiddenUnitsExplorer(root_dir=tmp_path / "fresh", hidden_units=(10, 10), **FAST)
    assert fresh.train() is not None, fresh.message.value
    for name in ("curves", "diagnostics"):
        np.testing.assert_array_equal(png_of(getattr(explorer, name)), png_of(getattr(fresh, name)), err_msg=name)
    here = {"curves": F.draw_curves(None, read_run(explorer.history[-1].result.model_dir)),
            "comparison": F.draw_comparison(None, explorer._compared_runs())}
    for name, figure in here.items():
        drawn_here = W.widgets.Output(outputs=(W.figure_output(figure, name),))
        np.testing.assert_array_equal(png_of(getattr(explorer, name)), png_of(drawn_here), err_msg=name)


def test_without_the_helper_process_the_kernel_draws_every_figure(explorer, monkeypatch):
    """A helper that cannot take work (here: shut down) is given up, and the same figures are drawn here."""
    dead = F.ProcessPoolExecutor(max_workers=1)
    dead.shutdown()
    monkeypatch.setattr(F.Painter, "_pools", {"curves": dead, "comparison": dead})
    monkeypatch.setattr(F.Painter, "_failed", False)
    record = explorer.train()
    assert record is not None and explorer.last_error is None, explorer.message.value
    assert not F.Painter.running() and F.Painter._failed  # given up: the kernel draws from now on
    for output in (explorer.curves, explorer.diagnostics, explorer.comparison):
        assert png_of(output)[..., :3].std() > 0.05
    assert (explorer._figures_name, "curves") in F._FIGURES  # drawn in this process


def test_a_diverging_learning_rate_is_the_nan_guards_red_message_and_saves_nothing(explorer):
    explorer.optimizer.value, explorer.learning_rate.value = "SGD", "1e38"
    assert explorer.train() is None
    assert isinstance(explorer.last_error, tf.compat.v1.train.NanLossDuringTrainingError), explorer.message.value
    assert "Training failed:" in explorer.message.value and "learning rate" in explorer.message.value
    (model_dir,) = [p for p in explorer.root_dir.iterdir() if p.is_dir()]
    checkpoints = sorted(p.name for p in model_dir.glob("model.ckpt-*.index"))
    assert checkpoints == ["model.ckpt-0.index"]  # only the initial state: no diverged weights saved
    assert not explorer.train_button.disabled
