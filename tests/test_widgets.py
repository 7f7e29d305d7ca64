"""The hidden_units explorer, driven the way a reader drives it: set the controls, press Train."""
import base64
import io
from pathlib import Path

import matplotlib.image
import pytest

from iris_lib import widgets as W
from iris_lib.widgets import ControlError, HiddenUnitsExplorer, parse_controls, parse_hidden_units

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
    explorer.train_button.click()
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
    # The probe saw the whole run.
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

    monkeypatch.setattr(W, "train_and_evaluate", broken)
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
