"""The Estimator's call flow, drawn by code: what happens between `classifier.train(...)` and the files.

`CALL_FLOW` is the figure's content as data, one row per call: what the model_fn is called with, which
EstimatorSpec fields that mode needs, what the session does, and what lands in `model_dir`.
tests/test_diagrams.py checks each row against the engine (a real train/evaluate/predict in a temporary
model_dir), so the picture cannot drift from what the Estimator does.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


@dataclass(frozen=True)
class Call:
    """One Estimator call, from the input_fn to the files it leaves in model_dir."""

    method: str
    mode: str  # the ModeKeys value the model_fn receives
    input_fn: str
    spec_fields: tuple[str, ...]  # what the EstimatorSpec must carry in this mode
    spec_optional: tuple[str, ...]  # what it may carry, drawn in parentheses
    session: str
    files: tuple[str, ...]  # what the call writes in model_dir (a glob-like name per entry)
    returns: str


CALL_FLOW = (
    Call("train", "train", "features, labels\n(shuffled, repeated)", ("loss", "train_op"), (),
         "restore or initialize,\nrun train_op steps times,\nsave",
         ("checkpoint", "model.ckpt-N.*", "graph.pbtxt", "events.out.tfevents.*"), "the Estimator"),
    Call("evaluate", "eval", "features, labels\n(one pass)", ("loss",), ("eval_metric_ops",),
         "restore the latest\ncheckpoint, run the\nupdate ops over the data",
         ("eval/events.out.tfevents.*",), "dict of metrics"),
    Call("predict", "infer", "features only", ("predictions",), ("export_outputs",),
         "restore the latest\ncheckpoint, run the\npredictions per batch",
         (), "generator of dicts"),
)

_COLORS = {"input_fn": "#e8f1fa", "model_fn": "#fdebd3", "spec": "#fdebd3", "session": "#e9f5e9", "files": "#f1f1f1"}
_COLUMNS = ("input_fn()", "model_fn(features,\nlabels, mode, params)", "EstimatorSpec", "Session", "model_dir")


def _box(ax, x: float, y: float, text: str, color: str, gid: str, width: float = 0.17, height: float = 0.62):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.008",
                                facecolor=color, edgecolor="#555555", linewidth=0.8, gid=gid))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5, gid=gid)


def plot_call_flow(calls: tuple[Call, ...] = CALL_FLOW) -> Figure:
    """Three rows (train, evaluate, predict), five steps each: input_fn -> model_fn(mode) -> EstimatorSpec
    -> session -> files in model_dir. Each box carries a gid ("<method>/<step>") so tests can find it."""
    # Created through pyplot so Jupyter's inline display is set up, then closed at once (as iris_lib.plots).
    fig = plt.figure(figsize=(10, 0.6 + 1.0 * len(calls)))
    plt.close(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-0.19, 1.0)
    ax.set_ylim(-0.4, len(calls) - 0.15)
    ax.axis("off")
    xs = [0.09, 0.3, 0.5, 0.7, 0.9]
    for x, title in zip(xs, _COLUMNS):
        ax.text(x, len(calls) - 0.47, title, ha="center", va="center", fontsize=8.5, fontweight="bold",
                family="monospace")
    for row, call in enumerate(calls):
        y = len(calls) - 1 - row
        ax.text(-0.01, y, f".{call.method}()\n→ {call.returns}", ha="right", va="center", fontsize=8.5,
                family="monospace")
        files = "\n".join(call.files) if call.files else "(nothing written)"
        boxes = [
            ("input_fn", call.input_fn),
            ("model_fn", f"mode = {call.mode!r}\n(ModeKeys.{_mode_key(call.mode)})"),
            ("spec", "\n".join(call.spec_fields + tuple(f"({f})" for f in call.spec_optional))),
            ("session", call.session),
            ("files", files),
        ]
        for x, (step, text) in zip(xs, boxes):
            _box(ax, x, y, text, _COLORS[step], gid=f"{call.method}/{step}")
        for left, right in zip(xs, xs[1:]):
            ax.add_patch(FancyArrowPatch((left + 0.088, y), (right - 0.088, y), arrowstyle="-|>", mutation_scale=9,
                                         color="#555555", linewidth=0.9))
    return fig


def _mode_key(mode: str) -> str:
    return {"train": "TRAIN", "eval": "EVAL", "infer": "PREDICT"}[mode]
