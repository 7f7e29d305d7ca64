"""The book's figures, drawn by code: training curves, diagrams, the data, and what a model learned.

Every function returns a matplotlib `Figure` and leaves no global state behind: the figure is
closed in pyplot's registry at once (so Jupyter shows it exactly once, when it is the last value of
a cell or passed to `display`), the house style is applied through `rc_context` only while
drawing, and nothing is random. Functions that draw a single panel also accept `ax=` so the
explorer can place them in its own layout; multi-panel ones accept `fig=` (cleared first) so a live
plot can be redrawn in place. Drawn again on the same `fig` / `ax` with data of the same shape (the
same runs and tags, the same grid and points, the same classes), the training curves, decision regions
and confusion matrix only replace their data and keep their axes, ticks and legends: the live
explorer redraws after every run, and building the axes anew was a third of a figure's time.
"""
from __future__ import annotations

import functools
import weakref
from pathlib import Path
from typing import Callable, Mapping, Sequence

import matplotlib
import matplotlib.text
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.patches import FancyArrowPatch

from iris_lib.data import FEATURE_NAMES, SPECIES
from iris_lib.tensorboard import Run, read_run

# TensorBoard 1.x's run palette: runs sorted by name, '.' (training, model_dir itself) first in
# orange, 'eval' second in blue -- the colours of the guide's TensorBoard screenshot.
TENSORBOARD_COLORS = ["#ff7043", "#0077bb", "#cc3311", "#33bbee", "#ee3377", "#009988", "#bbbbbb"]
TRAIN_COLOR, EVAL_COLOR = TENSORBOARD_COLORS[0], TENSORBOARD_COLORS[1]

# One colour per species, shared by every figure (ColorBrewer Dark2: distinct, colour-blind safe).
SPECIES_COLORS = {"Setosa": "#1b9e77", "Versicolor": "#d95f02", "Virginica": "#7570b3"}

DEFAULT_TAGS = ("global_step/sec", "loss", "accuracy")
PREMADE_ESTIMATORS = ("DNNClassifier", "LinearClassifier", "DNNLinearCombinedClassifier", "BoostedTreesClassifier")

_STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}
_INK = "#263238"

# What the redrawable functions drew on a figure or axes they were given: {fig or ax: (layout, artists)}.
_DRAWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _drawn_artists(where, layout) -> dict | None:
    """The artists drawn on `where` for `layout` if they are all still there (not cleared), else None."""
    drawn = _DRAWN.get(where)
    if drawn is None or drawn[0] != layout:
        return None
    for artist in drawn[1].values():
        for one in artist if isinstance(artist, list) else [artist]:
            ax = one.axes
            if ax is None or one not in ax.get_children() or ax not in ax.figure.axes:
                return None
    return drawn[1]


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Apply the house style while `draw` runs, without touching the caller's rcParams."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return wrapper


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # Created through pyplot so Jupyter's inline display is set up, then closed at once so pyplot
    # neither shows it a second time at the end of the cell nor keeps it alive.
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    return fig


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(figsize)
    return fig, fig.subplots()


def _species_color(name: str, index: int) -> str:
    return SPECIES_COLORS.get(name, TENSORBOARD_COLORS[index % len(TENSORBOARD_COLORS)])


def _class_ids(values, n_classes: int, what: str) -> np.ndarray:
    ids = np.asarray(values).reshape(-1)
    if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= n_classes):
        raise ValueError(
            f"{what} must be class ids 0..{n_classes - 1} (one per class name), got values {np.unique(ids)[:10]}"
        )
    return ids.astype(int)


# --------------------------------------------------------------------------------------------
# TensorBoard's three graphs


def smooth(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard's smoothing slider: a debiased exponential moving average (weight 0 = raw)."""
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    out, last = [], 0.0
    for i, value in enumerate(values, start=1):
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**i))
    return np.asarray(out, dtype=float)


def _run_order(runs: Mapping[str, Run]) -> list[str]:
    return sorted(runs, key=lambda name: (name != "train", name != "eval", name))


@_styled
def plot_training_curves(
    source: str | Path | Mapping[str, Run],
    tags: Sequence[str] = DEFAULT_TAGS,
    smoothing: float = 0.0,
    fig: Figure | None = None,
) -> Figure:
    """TensorBoard's scalar graphs side by side: training as an orange line, each evaluation as a blue dot.

    `source` is a model_dir (read with TensorBoard's reader) or the dict `read_run` returns.
    x is the global step, as in TensorBoard; with `smoothing` > 0 the raw training line is drawn
    faint under the smoothed one, like TensorBoard's smoothing slider.
    """
    runs = read_run(source) if isinstance(source, (str, Path)) else dict(source)
    tags = list(tags)
    available = sorted({tag for run in runs.values() for tag in run})
    missing = [tag for tag in tags if not any(tag in run for run in runs.values())]
    if not tags or missing:
        raise ValueError(f"no scalar summaries for tags {missing or tags}; the event files hold: {available}")
    order = _run_order(runs)
    shown = [(tag, name) for tag in tags for name in order
             if runs[name].get(tag) is not None and not runs[name][tag].empty]
    layout = (tuple(tags), tuple(order), tuple(shown), smoothing)
    if fig is None:
        fig = _new_figure((4.0 * len(tags), 3.3))
    else:
        lines = _drawn_artists(fig, layout)
        if lines is not None:  # the same graphs: new data in the same lines, axes rescaled
            for (tag, name), (*faint, line) in lines.items():
                steps, values = runs[name][tag]["step"].to_numpy(), runs[name][tag]["value"].to_numpy()
                for raw in faint:
                    raw.set_data(steps, values)
                line.set_data(steps, smooth(values, smoothing) if faint else values)
            for ax in fig.axes:
                ax.relim()
                ax.autoscale_view()
            return fig
        fig.clear()
    axes = fig.subplots(1, len(tags), squeeze=False)[0]
    colors = {name: TENSORBOARD_COLORS[i % len(TENSORBOARD_COLORS)] for i, name in enumerate(order)}
    lines = {}
    for ax, tag in zip(axes, tags):
        for name in order:
            if (tag, name) not in shown:
                continue
            frame = runs[name][tag]
            steps, values = frame["step"].to_numpy(), frame["value"].to_numpy()
            if name == "train":
                faint = []
                if smoothing:
                    faint = ax.plot(steps, values, color=colors[name], alpha=0.25, linewidth=1)
                    values = smooth(values, smoothing)
                lines[tag, name] = faint + ax.plot(steps, values, color=colors[name], linewidth=1.8, label=name)
            else:
                lines[tag, name] = ax.plot(steps, values, linestyle="none", marker="o", markersize=7,
                                           color=colors[name], label=name)
        ax.set_title(tag)
        ax.set_xlabel("global step")
        ax.legend(loc="best")
    _DRAWN[fig] = (layout, lines)
    return fig


# --------------------------------------------------------------------------------------------
# Diagrams


def _box(ax: Axes, xy: tuple[float, float], text: str, color: str, **kwargs) -> matplotlib.text.Text:
    return ax.text(
        *xy, text, ha="center", va="center", color=_INK, fontsize=kwargs.pop("fontsize", 10),
        bbox={"boxstyle": "round,pad=0.5", "facecolor": color, "edgecolor": _INK, "linewidth": 1.2}, **kwargs,
    )


# The three kinds of arrow in the family figure: gid prefix -> (legend text, arrow style).
# UML draws "subclass of" solid and "instance of" dashed, both with a hollow head; a plain open
# head is an ordinary "is passed to" (an argument, not a relation between classes).
_UML_HEAD = "-|>,head_length=0.8,head_width=0.5"
_UML_HOLLOW = {"arrowstyle": _UML_HEAD, "facecolor": "white", "edgecolor": _INK, "linewidth": 1.3}
FAMILY_ARROWS = {
    "subclass": ("solid, hollow head: is a subclass of", {**_UML_HOLLOW, "linestyle": "solid"}),
    "instance": ("dashed, hollow head: is an instance of", {**_UML_HOLLOW, "linestyle": "dashed"}),
    "passed": ("thin, open head: is passed to (an argument)",
               {"arrowstyle": "->", "color": _INK, "linestyle": "solid", "linewidth": 1.2}),
}


def _arrow(ax: Axes, child: matplotlib.text.Text, parent: matplotlib.text.Text, kind: str, gid: str) -> None:
    """An arrow of one of FAMILY_ARROWS' kinds from box `child` to box `parent`, clipped at both boxes' edges."""
    ax.annotate(
        "", xy=parent.get_position(), xytext=child.get_position(), gid=f"{kind}:{gid}",
        arrowprops={**FAMILY_ARROWS[kind][1], "shrinkA": 2, "shrinkB": 2,
                    "patchA": child.get_bbox_patch(), "patchB": parent.get_bbox_patch()},
    )


class _ArrowLegendHandler(HandlerBase):
    """Draws a legend entry as the very arrow it names (a legend line cannot show an arrow head)."""

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        y = height / 2 - ydescent
        arrow = FancyArrowPatch((-xdescent, y), (width - xdescent, y), mutation_scale=fontsize,
                                transform=trans, gid=orig_handle.get_gid(), shrinkA=0, shrinkB=0,
                                **FAMILY_ARROWS[orig_handle.get_gid()][1])
        return [arrow]


@_styled
def plot_estimator_family(premade: Sequence[str] = PREMADE_ESTIMATORS) -> Figure:
    """The Estimator family: pre-made Estimators are *subclasses* of Estimator, a custom one an *instance*.

    Three kinds of arrow, named in the legend (FAMILY_ARROWS): solid with a hollow head, "is a subclass
    of" (UML generalisation); dashed with a hollow head, "is an instance of"; thin with an open head,
    "is passed to" (the model_fn handed to the Estimator constructor, which is no relation between classes).
    Each arrow's gid is "<kind>:<what>", e.g. "subclass:DNNClassifier".
    """
    fig = _new_figure((11.0, 5.0))
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    base = _box(ax, (0.5, 0.86), "tf.estimator.Estimator\nbase class: train() / evaluate() / predict()", "#eceff1",
                fontsize=11)
    row, left, right = 0.5, 0.08, 0.60
    xs = np.linspace(left, right, len(premade)) if len(premade) > 1 else [(left + right) / 2]
    for name, x in zip(premade, xs):
        child = _box(ax, (x, row), _wrap_class_name(name), "#ffe0b2")
        _arrow(ax, child, base, "subclass", gid=name)
    ax.text((left + right) / 2, 0.30, "Pre-made Estimators: subclasses of Estimator\n"
            "class DNNClassifier(Estimator): the model_fn is written for you", ha="center", va="center",
            color=_INK)

    custom = _box(ax, (0.86, row), "Estimator(\n  model_fn=my_model_fn,\n  params={...})", "#bbdefb",
                  family="monospace", fontsize=9, multialignment="left")
    _arrow(ax, custom, base, "instance", gid="custom")
    model_fn = _box(ax, (0.86, 0.22), "def my_model_fn(\n  features, labels,\n  mode, params): ...", "#e8f5e9",
                    family="monospace", fontsize=9, multialignment="left")
    _arrow(ax, model_fn, custom, "passed", gid="model_fn")
    ax.text(0.86, 0.04, "Custom Estimator: an instance of\nEstimator; you write the model_fn", ha="center",
            va="center", color=_INK)
    handles = [FancyArrowPatch((0, 0), (1, 0), gid=kind) for kind in FAMILY_ARROWS]
    ax.legend(handles, [text for text, _ in FAMILY_ARROWS.values()], handler_map={FancyArrowPatch: _ArrowLegendHandler()},
              loc="upper center", bbox_to_anchor=(0.5, 1.04), ncol=3, handlelength=3.5, fontsize=9,
              labelcolor="#546e7a", columnspacing=2.5)
    return fig


def _wrap_class_name(name: str) -> str:
    """Break a long CamelCase class name in two so a row of boxes fits (DNNLinear / CombinedClassifier)."""
    if len(name) <= 16:
        return name
    cut = max(i for i, c in enumerate(name) if c.isupper() and i <= len(name) // 2 + 3)
    return name[:cut] + "\n" + name[cut:]


def _validate_hidden_units(hidden_units: Sequence[int]) -> list[int]:
    if isinstance(hidden_units, (str, bytes)) or not isinstance(hidden_units, Sequence):
        raise ValueError(f"hidden_units must be a list of positive integers like [10, 10], got {hidden_units!r}")
    units = list(hidden_units)
    for u in units:
        if isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 1:
            raise ValueError(
                f"hidden_units must be a list of positive integers like [10, 10], got {hidden_units!r} "
                f"(bad entry {u!r})"
            )
    return [int(u) for u in units]


def _drawn_positions(n: int, max_nodes: int) -> tuple[np.ndarray, float | None]:
    """y of the nodes drawn for a layer of n units (centred), and y of the ellipsis if some are elided."""
    if n <= max_nodes:
        return np.arange(n, dtype=float)[::-1] - (n - 1) / 2, None
    top = max_nodes // 2
    bottom = max_nodes - top
    slots = np.arange(max_nodes + 1, dtype=float)[::-1] - max_nodes / 2  # one slot for the ellipsis
    return np.concatenate([slots[:top], slots[top + 1:]]), float(slots[top])


@_styled
def plot_network(
    hidden_units: Sequence[int],
    n_features: int = 4,
    n_classes: int = 3,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    max_nodes: int = 10,
) -> Figure:
    """The network `my_model_fn` builds from `params['hidden_units']`: input, dense ReLU layers, logits.

    A layer wider than `max_nodes` is drawn with its first and last units and an ellipsis, and
    labelled with its true size, so [64, 64, 64] stays readable.
    """
    units = _validate_hidden_units(hidden_units)
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    if feature_names is None:  # input_layer's order: the columns sorted by name (Petal before Sepal)
        feature_names = sorted(FEATURE_NAMES) if n_features == len(FEATURE_NAMES) else [f"x{i}" for i in range(n_features)]
    if class_names is None:
        class_names = SPECIES if n_classes == len(SPECIES) else [f"class {i}" for i in range(n_classes)]
    if len(feature_names) != n_features or len(class_names) != n_classes:
        raise ValueError(
            f"got {len(feature_names)} feature names for n_features={n_features} and "
            f"{len(class_names)} class names for n_classes={n_classes}"
        )
    sizes = [n_features, *units, n_classes]
    titles = (
        ["Input layer\n" + f"{n_features} features"]
        + [f"Hidden layer {i}\n{u} units, ReLU" for i, u in enumerate(units, start=1)]
        + [f"Output layer\n{n_classes} logits"]
    )
    colors = ["#90a4ae"] + ["#64b5f6"] * len(units) + ["#ffb74d"]
    fig = _new_figure((max(6.0, 2.1 * len(sizes) + 1.5), 4.8))
    ax = fig.subplots()
    ax.set_axis_off()
    layers = [_drawn_positions(n, max_nodes) for n in sizes]
    for x in range(len(sizes) - 1):
        (ys_a, _), (ys_b, _) = layers[x], layers[x + 1]
        segments = [[(x, ya), (x + 1, yb)] for ya in ys_a for yb in ys_b]
        ax.add_collection(LineCollection(segments, colors="#b0bec5", linewidths=0.6, zorder=1))
    half = max(max_nodes, max(sizes[:1] + sizes[-1:])) / 2
    for x, ((ys, ellipsis), n, title, color) in enumerate(zip(layers, sizes, titles, colors)):
        ax.scatter(np.full(len(ys), x), ys, s=320, color=color, edgecolors=_INK, linewidths=1, zorder=3,
                   label=title.replace("\n", ": "))
        if ellipsis is not None:
            ax.text(x, ellipsis, "⋮", ha="center", va="center", fontsize=18, color=_INK, zorder=3)
        ax.text(x, -half - 0.9, title, ha="center", va="top", color=_INK)
    for name, y in zip(feature_names, layers[0][0]):
        ax.text(-0.2, y, name, ha="right", va="center", color=_INK)
    for name, y in zip(class_names, layers[-1][0]):
        ax.text(len(sizes) - 1 + 0.2, y, f"logit({name})", ha="left", va="center", color=_INK)
    ax.set_xlim(-1.3, len(sizes) - 1 + 1.3)
    ax.set_ylim(-half - 2.2, half + 0.8)
    ax.set_title(f"hidden_units={units}: softmax of the logits gives the class probabilities")
    return fig


# --------------------------------------------------------------------------------------------
# The data and what a model learned


@_styled
def plot_iris(
    train_x: pd.DataFrame, train_y: Sequence[int], class_names: Sequence[str] = SPECIES
) -> Figure:
    """The Iris measurements, petals and sepals, one colour per species: why petals separate the classes."""
    labels = _class_ids(train_y, len(class_names), "train_y")
    fig = _new_figure((9.0, 3.8))
    panels = [("PetalLength", "PetalWidth", "Petals"), ("SepalLength", "SepalWidth", "Sepals")]
    for ax, (x_name, y_name, title) in zip(fig.subplots(1, 2), panels):
        for k, name in enumerate(class_names):
            mask = labels == k
            ax.scatter(train_x[x_name].to_numpy()[mask], train_x[y_name].to_numpy()[mask], s=28,
                       color=_species_color(name, k), edgecolors="white", linewidths=0.5, label=name)
        ax.set_title(f"{title} ({len(labels)} examples)")
        ax.set_xlabel(f"{x_name} (cm)")
        ax.set_ylabel(f"{y_name} (cm)")
        ax.legend(title="species")
    return fig


def decision_region_grid(train_x: pd.DataFrame, x_feature: str = "PetalLength", y_feature: str = "PetalWidth",
                         resolution: int = 100) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The grid `plot_decision_regions` asks a model about: (grid_x, grid_y, {feature: values}).

    A margin around the training data in the (x_feature, y_feature) plane, every other feature at
    its training mean. Public so a caller can ask the model about the grid ahead of the drawing
    (the explorer predicts it in the same call as the test set).
    """
    for name in (x_feature, y_feature):
        if name not in train_x.columns:
            raise ValueError(f"feature {name!r} not in train_x; columns are {list(train_x.columns)}")
    xs = np.linspace(train_x[x_feature].min() - 0.5, train_x[x_feature].max() + 0.5, resolution)
    ys = np.linspace(train_x[y_feature].min() - 0.3, train_x[y_feature].max() + 0.3, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    features = {}
    for name in train_x.columns:
        dtype = train_x[name].to_numpy().dtype
        if name == x_feature:
            features[name] = grid_x.ravel().astype(dtype)
        elif name == y_feature:
            features[name] = grid_y.ravel().astype(dtype)
        else:
            features[name] = np.full(grid_x.size, train_x[name].mean(), dtype=dtype)
    return grid_x, grid_y, features


@_styled
def plot_decision_regions(
    predict_proba_fn: Callable[[dict[str, np.ndarray]], np.ndarray],
    train_x: pd.DataFrame,
    train_y: Sequence[int],
    class_names: Sequence[str] = SPECIES,
    x_feature: str = "PetalLength",
    y_feature: str = "PetalWidth",
    resolution: int = 100,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Where a model predicts each species in the petal plane, with the training points on top.

    `predict_proba_fn(features)` gets a dict {feature name: array} over a grid (the two other
    features held at their training mean) and returns an (n, n_classes) array of probabilities,
    so any model fits: a custom Estimator, the pre-made DNNClassifier, or Keras.
    """
    labels = _class_ids(train_y, len(class_names), "train_y")
    grid_x, grid_y, features = decision_region_grid(train_x, x_feature, y_feature, resolution)
    proba = np.asarray(predict_proba_fn(features))
    if proba.shape != (grid_x.size, len(class_names)):
        raise ValueError(
            f"predict_proba_fn must return one row of {len(class_names)} probabilities per grid point, "
            f"shape ({grid_x.size}, {len(class_names)}); got shape {proba.shape}"
        )
    regions = proba.argmax(axis=1).reshape(grid_x.shape)
    points = np.column_stack([train_x[x_feature].to_numpy(), train_x[y_feature].to_numpy(), labels])
    layout = (tuple(class_names), x_feature, y_feature, resolution, tuple(train_x.columns), points.tobytes())
    drawn = _drawn_artists(ax, layout) if ax is not None else None
    if drawn is not None:  # the same grid and points: new colours in the same mesh, a new title
        drawn["mesh"].set_array(regions)
        ax.set_title(title or "Decision regions")
        return ax.figure

    fig, ax = _figure_and_axes(ax, (5.6, 4.4))
    colors = [_species_color(name, k) for k, name in enumerate(class_names)]
    mesh = ax.pcolormesh(grid_x, grid_y, regions, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(colors) - 0.5,
                         alpha=0.28, shading="auto", rasterized=True)
    for k, name in enumerate(class_names):
        mask = labels == k
        ax.scatter(train_x[x_feature].to_numpy()[mask], train_x[y_feature].to_numpy()[mask], s=26,
                   color=colors[k], edgecolors=_INK, linewidths=0.5, label=name)
    held = [name for name in train_x.columns if name not in (x_feature, y_feature)]
    ax.set_title(title or "Decision regions")
    ax.set_xlabel(f"{x_feature} (cm)")
    ax.set_ylabel(f"{y_feature} (cm)")
    ax.grid(False)
    ax.legend(title="species", loc="upper left", frameon=True, framealpha=0.85)
    if held:
        ax.text(0.99, 0.01, f"{', '.join(held)} held at the training mean", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=8, color="#546e7a")
    _DRAWN[ax] = (layout, {"mesh": mesh})
    return fig


@_styled
def plot_confusion_matrix(
    labels: Sequence[int],
    predictions: Sequence[int],
    class_names: Sequence[str] = SPECIES,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Counts of (true species, predicted species): the diagonal is right, everything else is a mistake."""
    n = len(class_names)
    truth = _class_ids(labels, n, "labels")
    guess = _class_ids(predictions, n, "predictions")
    if truth.shape != guess.shape:
        raise ValueError(f"labels and predictions differ in length: {truth.size} vs {guess.size}")
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (truth, guess), 1)
    accuracy = float(np.trace(matrix)) / max(1, truth.size)
    title = title or f"Confusion matrix\naccuracy {accuracy:.1%} on {truth.size} examples"
    drawn = _drawn_artists(ax, tuple(class_names)) if ax is not None else None
    if drawn is not None:  # the same classes: new counts in the same image and labels, a new title
        drawn["image"].set_data(matrix)
        drawn["image"].set_clim(0, max(1, matrix.max()))
        for (i, j), count in np.ndenumerate(matrix):
            drawn["counts"][i * n + j].set(text=str(count), color="white" if count > matrix.max() / 2 else _INK)
        ax.set_title(title)
        return ax.figure
    fig, ax = _figure_and_axes(ax, (4.8, 4.2))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, matrix.max()))
    counts = []
    for (i, j), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        counts.append(ax.text(j, i, str(count), ha="center", va="center", fontsize=12,
                              color="white" if dark else _INK))
    ax.set_xticks(range(n), class_names)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted species")
    ax.set_ylabel("true species")
    ax.grid(False)
    ax.spines[:].set_visible(False)
    ax.set_title(title)
    _DRAWN[ax] = (tuple(class_names), {"image": image, "counts": counts})
    return fig


# --------------------------------------------------------------------------------------------
# The hidden_units sweep


def _sweep_frame(results: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    frame = results.copy()
    if not {"layers", "units"} <= set(frame.columns):
        if "hidden_units" not in frame.columns:
            raise ValueError(
                "the sweep needs columns 'layers' and 'units' (or 'hidden_units' lists like [10, 10]); "
                f"got {list(frame.columns)}"
            )
        shapes = [list(h) for h in frame["hidden_units"]]
        if any(len(h) == 0 or len(set(h)) != 1 for h in shapes):
            raise ValueError("'hidden_units' must hold non-empty lists of equal widths, like [10, 10], to derive "
                             "layers and units; pass 'layers' and 'units' columns instead")
        frame["layers"] = [len(h) for h in shapes]
        frame["units"] = [h[0] for h in shapes]
    missing = [m for m in metrics if m not in frame.columns]
    if missing:
        raise ValueError(f"the sweep has no column(s) {missing}; got {list(frame.columns)}")
    return frame


@_styled
def plot_hidden_units_sweep(
    results: pd.DataFrame,
    metrics: Mapping[str, str] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Test accuracy and final loss for each hidden_units configuration (layers x units), over seeds.

    `results` has one row per trained model: columns 'layers', 'units' (or 'hidden_units'),
    optionally 'seed', and one column per metric (default 'accuracy' and 'loss'). Each panel shows
    the mean over seeds as a line per layer count, min-max as error bars, and every seed as a dot.
    """
    metrics = dict(metrics or {"accuracy": "test accuracy", "loss": "final loss"})
    frame = _sweep_frame(results, list(metrics))
    units = sorted(frame["units"].unique())
    layer_counts = sorted(frame["layers"].unique())
    position = {u: i for i, u in enumerate(units)}
    width = 0.25 / max(1, len(layer_counts) - 1) if len(layer_counts) > 1 else 0.0
    palette = ["#0077bb", "#ff7043", "#009988", "#ee3377", "#33bbee", "#cc3311"]
    seeds = frame["seed"].nunique() if "seed" in frame.columns else frame.groupby(["layers", "units"]).size().max()
    if fig is None:
        fig = _new_figure((4.6 * len(metrics), 3.8))
    else:
        fig.clear()
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (column, label) in zip(axes, metrics.items()):
        for i, layers in enumerate(layer_counts):
            color = palette[i % len(palette)]
            offset = (i - (len(layer_counts) - 1) / 2) * width
            group = frame[frame["layers"] == layers].groupby("units")[column]
            stats = group.agg(["mean", "min", "max"]).sort_index()
            x = np.array([position[u] for u in stats.index], dtype=float) + offset
            mean, low, high = (stats[k].to_numpy(dtype=float) for k in ("mean", "min", "max"))
            ax.errorbar(x, mean, yerr=[mean - low, high - mean],
                        color=color, marker="o", capsize=3, linewidth=1.5,
                        label=f"{layers} hidden layer{'s' if layers != 1 else ''}")
            points = frame[frame["layers"] == layers]
            ax.scatter(np.array([position[u] for u in points["units"]], dtype=float) + offset,
                       points[column].to_numpy(dtype=float),
                       s=12, color=color, alpha=0.35, linewidths=0, zorder=1)
        ax.set_xticks(range(len(units)), [str(u) for u in units])
        ax.set_xlabel("units per hidden layer")
        ax.set_ylabel(label)
        ax.set_title(f"{label} (mean and min-max over {seeds} seed{'s' if seeds != 1 else ''})")
        ax.legend(loc="best")
    return fig
