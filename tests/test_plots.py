"""iris_lib.plots draws what it is given: checked through the artists of each returned Figure."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, QuadMesh  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from iris_lib import plots  # noqa: E402
from iris_lib.data import FEATURE_NAMES, SPECIES, load_data  # noqa: E402
from iris_lib.tensorboard import read_run  # noqa: E402
from test_tensorboard import EVAL_STEP, EVAL_VALUES, TRAIN_STEPS, as_float32, make_model_dir, train_values  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_dir(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def iris():
    return load_data()


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.lines}


# --------------------------------------------------------------------------------------------
# TensorBoard's graphs


def test_training_curves_draw_the_training_line_and_the_evaluation_dot(model_dir):
    fig = plots.plot_training_curves(model_dir)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["global_step/sec", "loss", "accuracy"]
    assert all(ax.get_xlabel() == "global step" for ax in fig.axes)

    speed, loss, accuracy = (lines_by_label(ax) for ax in fig.axes)
    assert set(speed) == {"train"}  # evaluation writes no global_step/sec
    for tag, lines in (("loss", loss), ("accuracy", accuracy)):
        train, evaluation = lines["train"], lines["eval"]
        assert list(train.get_xdata()) == TRAIN_STEPS
        np.testing.assert_array_equal(train.get_ydata(), [as_float32(train_values(s)[tag]) for s in TRAIN_STEPS])
        assert train.get_color() == plots.TRAIN_COLOR and train.get_linestyle() == "-"
        assert list(evaluation.get_xdata()) == [EVAL_STEP]
        assert list(evaluation.get_ydata()) == [as_float32(EVAL_VALUES[tag])]
        assert evaluation.get_color() == plots.EVAL_COLOR
        assert evaluation.get_marker() == "o" and evaluation.get_linestyle() == "None"


def test_training_curves_accept_a_run_dict_and_chosen_tags(model_dir):
    fig = plots.plot_training_curves(read_run(model_dir), tags=["loss"])
    (ax,) = fig.axes
    assert ax.get_title() == "loss"
    assert set(lines_by_label(ax)) == {"train", "eval"}


def test_training_curves_name_the_available_tags_when_one_is_missing(model_dir):
    with pytest.raises(ValueError, match=r"my_accuracy.*accuracy.*global_step/sec.*loss"):
        plots.plot_training_curves(model_dir, tags=["my_accuracy"])


def test_smoothing_is_tensorboards_debiased_moving_average():
    # weight 0.5: ema 0.5 -> 0.5/(1-0.5) = 1; ema 0.25 -> 0.25/(1-0.25) = 1/3; ema 0.625 -> 0.625/0.875
    np.testing.assert_allclose(plots.smooth([1.0, 0.0, 1.0], 0.5), [1.0, 1 / 3, 0.625 / 0.875])
    np.testing.assert_array_equal(plots.smooth([3.0, 1.0], 0.0), [3.0, 1.0])
    with pytest.raises(ValueError, match="smoothing"):
        plots.smooth([1.0], 1.0)


def test_smoothed_curves_keep_the_raw_line_faint_underneath(model_dir):
    fig = plots.plot_training_curves(model_dir, tags=["loss"], smoothing=0.6)
    ax = fig.axes[0]
    raw = [line for line in ax.lines if line.get_alpha() == 0.25]
    assert len(raw) == 1
    raw_values = [as_float32(train_values(s)["loss"]) for s in TRAIN_STEPS]
    np.testing.assert_array_equal(raw[0].get_ydata(), raw_values)
    np.testing.assert_allclose(lines_by_label(ax)["train"].get_ydata(), plots.smooth(raw_values, 0.6))


def test_a_live_plot_redraws_in_the_same_figure(model_dir):
    fig = plots.plot_training_curves(model_dir)
    again = plots.plot_training_curves(model_dir, tags=["loss", "accuracy"], fig=fig)
    assert again is fig
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]


def test_no_figure_stays_open_in_pyplot_and_rcparams_are_untouched(model_dir, iris):
    (train_x, train_y), _ = iris
    before_figs, before_rc = plt.get_fignums(), dict(matplotlib.rcParams)
    plots.plot_training_curves(model_dir)
    plots.plot_estimator_family()
    plots.plot_network([10, 10])
    plots.plot_iris(train_x, train_y)
    plots.plot_confusion_matrix([0, 1, 2], [0, 1, 1])
    assert plt.get_fignums() == before_figs
    assert dict(matplotlib.rcParams) == before_rc


# --------------------------------------------------------------------------------------------
# Diagrams


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_estimator_family_shows_premade_subclasses_and_a_custom_instance():
    fig = plots.plot_estimator_family()
    flat = [t.replace("\n", "") for t in texts(fig)]
    assert any(t.startswith("tf.estimator.Estimator") for t in flat)
    for name in plots.PREMADE_ESTIMATORS:
        assert name in flat
    assert any("model_fn=my_model_fn" in t for t in flat)
    arrows = {a.get_gid(): a.arrow_patch for a in fig.axes[0].texts if getattr(a, "arrow_patch", None)}
    subclass = [gid for gid in arrows if gid.startswith("subclass:")]
    assert sorted(subclass) == sorted(f"subclass:{n}" for n in plots.PREMADE_ESTIMATORS)
    assert all(arrows[gid].get_linestyle() == "solid" for gid in subclass)
    assert arrows["instance:custom"].get_linestyle() == "dashed"
    assert arrows["passed:model_fn"].get_linestyle() == "solid"


def arrow_look(patch):
    """What tells one arrow kind from another on the page: line style, width and head."""
    style = patch.get_arrowstyle()
    return patch.get_linestyle(), patch.get_linewidth(), type(style).__name__, style.fillbegin, style.fillend


def test_estimator_family_legend_names_every_kind_of_arrow_as_drawn():
    ax = plots.plot_estimator_family().axes[0]
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["solid, hollow head: is a subclass of", "dashed, hollow head: is an instance of",
                      "thin, open head: is passed to (an argument)"]
    drawn = {a.get_gid(): a.arrow_patch for a in ax.texts if getattr(a, "arrow_patch", None)}
    keys = [handle.get_gid() for handle in legend.legend_handles]
    assert keys == ["subclass", "instance", "passed"]
    assert {gid.split(":")[0] for gid in drawn} == set(keys)  # no arrow of a kind the legend does not name
    for handle in legend.legend_handles:  # each legend sample looks exactly like the arrows it names
        of_this_kind = {arrow_look(patch) for gid, patch in drawn.items() if gid.startswith(handle.get_gid() + ":")}
        assert of_this_kind == {arrow_look(handle)}, handle.get_gid()
    looks = [arrow_look(handle) for handle in legend.legend_handles]
    assert len(set(looks)) == 3  # three kinds a reader can tell apart


def layer_nodes(fig):
    """Drawn node count per layer, left to right (each layer is one scatter)."""
    ax = fig.axes[0]
    return [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]


@pytest.mark.parametrize(
    "hidden_units, drawn, ellipses",
    [([10, 10], [4, 10, 10, 3], 0), ([3], [4, 3, 3], 0), ([64, 64, 64], [4, 10, 10, 10, 3], 3), ([20, 5], [4, 10, 5, 3], 1)],
)
def test_network_diagram_follows_hidden_units(hidden_units, drawn, ellipses):
    fig = plots.plot_network(hidden_units)
    assert layer_nodes(fig) == drawn
    assert texts(fig).count("⋮") == ellipses
    for i, units in enumerate(hidden_units, start=1):
        assert f"Hidden layer {i}\n{units} units, ReLU" in texts(fig)
    edges = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert [len(e.get_segments()) for e in edges] == [a * b for a, b in zip(drawn, drawn[1:])]  # fully connected
    assert str(list(hidden_units)) in fig.axes[0].get_title()


def test_network_diagram_lists_the_features_in_input_layers_real_order():
    """The default labels, top to bottom, are the columns of the tensor input_layer really builds."""
    import tensorflow as tf

    v1 = tf.compat.v1
    features = {name: [float(i)] for i, name in enumerate(FEATURE_NAMES)}  # each column holds its own index
    with tf.Graph().as_default():
        columns = [v1.feature_column.numeric_column(name) for name in FEATURE_NAMES]  # the guide's (Sepal-first) order
        net = v1.feature_column.input_layer(features, columns)
        with v1.Session() as sess:
            row = sess.run(net)[0]
    input_order = [FEATURE_NAMES[int(i)] for i in row]
    assert input_order[0].startswith("Petal")
    ax = plots.plot_network([10, 10]).axes[0]
    labels = [t for t in ax.texts if t.get_text() in FEATURE_NAMES]
    top_to_bottom = [t.get_text() for t in sorted(labels, key=lambda t: -t.get_position()[1])]
    assert top_to_bottom == input_order


def test_network_diagram_labels_the_features_and_the_logits():
    fig = plots.plot_network([10, 10])
    assert all(name in texts(fig) for name in FEATURE_NAMES)
    assert all(f"logit({name})" in texts(fig) for name in SPECIES)
    fig = plots.plot_network([5], n_features=2, n_classes=2, feature_names=["a", "b"], class_names=["no", "yes"])
    assert layer_nodes(fig) == [2, 5, 2]
    assert "logit(yes)" in texts(fig)


@pytest.mark.parametrize("bad", [[0], [10, -1], ["10"], [2.5], [True], "10,10", 10])
def test_network_diagram_rejects_bad_hidden_units(bad):
    with pytest.raises(ValueError, match="hidden_units must be a list of positive integers"):
        plots.plot_network(bad)


# --------------------------------------------------------------------------------------------
# The data and what a model learned


def test_iris_plot_has_one_series_per_species_with_its_data(iris):
    (train_x, train_y), _ = iris
    fig = plots.plot_iris(train_x, train_y)
    petals, sepals = fig.axes
    assert petals.get_xlabel() == "PetalLength (cm)" and sepals.get_ylabel() == "SepalWidth (cm)"
    for ax, (x, y) in ((petals, ("PetalLength", "PetalWidth")), (sepals, ("SepalLength", "SepalWidth"))):
        assert [t.get_text() for t in ax.get_legend().get_texts()] == SPECIES
        for k, (series, name) in enumerate(zip(ax.collections, SPECIES)):
            mask = (train_y == k).to_numpy()
            np.testing.assert_array_equal(series.get_offsets(), train_x.loc[mask, [x, y]].to_numpy())
            assert matplotlib.colors.to_hex(series.get_facecolor()[0]) == plots.SPECIES_COLORS[name]


def petal_rule(features):
    """A hand-made classifier: the species follows from petal length alone (thresholds 2.5 and 4.9 cm)."""
    length = np.asarray(features["PetalLength"])
    klass = np.digitize(length, [2.5, 4.9])
    return np.eye(3)[klass] * 0.8 + 0.2 / 3


def test_decision_regions_ask_the_model_about_a_grid_and_colour_its_argmax(iris):
    (train_x, train_y), _ = iris
    calls = []

    def proba(features):
        calls.append(features)
        return petal_rule(features)

    fig = plots.plot_decision_regions(proba, train_x, train_y, resolution=30)
    (features,) = calls
    assert set(features) == set(FEATURE_NAMES)
    assert all(len(v) == 30 * 30 for v in features.values())
    assert len(np.unique(features["PetalLength"])) == 30 and len(np.unique(features["PetalWidth"])) == 30
    for held in ("SepalLength", "SepalWidth"):
        np.testing.assert_allclose(features[held], train_x[held].mean())

    ax = fig.axes[0]
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    np.testing.assert_array_equal(
        np.asarray(mesh.get_array()).ravel(), petal_rule(features).argmax(axis=1)
    )
    assert set(np.asarray(mesh.get_array()).ravel()) == {0, 1, 2}
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(p.get_offsets()) for p in points) == len(train_x)
    assert ax.get_xlabel() == "PetalLength (cm)" and ax.get_ylabel() == "PetalWidth (cm)"


def test_decision_regions_reject_a_predictor_with_the_wrong_shape(iris):
    (train_x, train_y), _ = iris
    with pytest.raises(ValueError, match=r"one row of 3 probabilities per grid point.*got shape \(400, 2\)"):
        plots.plot_decision_regions(lambda f: np.zeros((len(f["PetalLength"]), 2)), train_x, train_y, resolution=20)


def test_single_panel_plots_draw_into_the_callers_axes(iris):
    (train_x, train_y), _ = iris
    fig = plots._new_figure((8, 4))
    left, right = fig.subplots(1, 2)
    assert plots.plot_decision_regions(petal_rule, train_x, train_y, resolution=10, ax=left) is fig
    assert plots.plot_confusion_matrix([0, 1], [0, 1], ax=right) is fig
    assert len(fig.axes) == 2 and right.images


def test_confusion_matrix_counts_each_true_and_predicted_pair():
    labels = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    predictions = [0, 0, 1, 2, 1, 2, 2, 1, 2]
    fig = plots.plot_confusion_matrix(labels, predictions, SPECIES)
    ax = fig.axes[0]
    expected = np.array([[2, 0, 0], [0, 2, 1], [0, 1, 3]])
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert [t.get_text() for t in ax.texts] == [str(c) for c in expected.ravel()]
    assert "accuracy 77.8% on 9 examples" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == SPECIES


def test_confusion_matrix_rejects_ids_outside_the_classes():
    with pytest.raises(ValueError, match=r"predictions must be class ids 0..2"):
        plots.plot_confusion_matrix([0, 1], [0, 3])


# --------------------------------------------------------------------------------------------
# The hidden_units sweep


def sweep_results():
    rows = []
    for layers in (1, 2):
        for units in (3, 10, 64):
            for seed in range(3):
                rows.append({"layers": layers, "units": units, "seed": seed,
                             "accuracy": 0.8 + 0.01 * units / 10 + 0.02 * seed + 0.03 * layers,
                             "loss": 1.0 / (units * layers) + 0.01 * seed})
    return pd.DataFrame(rows)


def test_sweep_shows_mean_and_min_max_over_seeds_per_configuration():
    results = sweep_results()
    fig = plots.plot_hidden_units_sweep(results)
    assert [ax.get_ylabel() for ax in fig.axes] == ["test accuracy", "final loss"]
    for ax, metric in zip(fig.axes, ["accuracy", "loss"]):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "10", "64"]
        assert "3 seeds" in ax.get_title()
        assert len(ax.containers) == 2  # one error-bar series per layer count
        for container, layers in zip(ax.containers, (1, 2)):
            stats = results[results["layers"] == layers].groupby("units")[metric].agg(["mean", "min", "max"])
            line, _, (bars,) = container
            np.testing.assert_allclose(line.get_ydata(), stats["mean"])
            spans = np.array([sorted((seg[0][1], seg[1][1])) for seg in bars.get_segments()])
            np.testing.assert_allclose(spans, stats[["min", "max"]].to_numpy())
        seeds = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert sum(len(c.get_offsets()) for c in seeds) == len(results)


def test_sweep_accepts_hidden_units_lists():
    results = sweep_results()
    results["hidden_units"] = [[u] * n for n, u in zip(results["layers"], results["units"])]
    fig = plots.plot_hidden_units_sweep(results.drop(columns=["layers", "units"]))
    assert [c.get_label() for c in fig.axes[0].containers] == ["1 hidden layer", "2 hidden layers"]
    with pytest.raises(ValueError, match="no column"):
        plots.plot_hidden_units_sweep(results, metrics={"f1": "F1"})
