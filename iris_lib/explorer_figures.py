"""The live explorer's figures: made once, redrawn in place, and two of them drawn in helper processes.

Why helper processes: after a run, the explorer draws three figures, and drawing with matplotlib
holds Python's GIL, so threads cannot draw two figures at once (measured: two threads took as long
as one after the other). Two processes can, on the two cores: the kernel draws the decision regions
while `Painter`'s two helpers draw the training curves and the comparison of runs; during a long run
the curves' helper draws the live plot instead of taking the GIL from the training loop. The helpers
are two processes per kernel, started with `spawn` (never `fork`: TensorFlow's threads do not survive
it) when the first explorer is made, and they import only matplotlib, pandas and `iris_lib.plots`:
they are started with `__main__` hidden, because `spawn` would otherwise import the notebook's or
script's main module in them again (and run a script without an `if __name__ == "__main__"` guard
twice). If one cannot start or dies, the same figures are drawn in the kernel.

Each process keeps its figures between clicks (`render` redraws them in place: new data in the same
lines and labels, see `iris_lib.plots`), so the helpers' figures are the kernel's, pixel for pixel
(tested).
"""
from __future__ import annotations

import base64
import contextlib
import io
import multiprocessing
import signal
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from iris_lib import plots

# Fixed margins (fractions of the figure) in place of constrained layout, which draws a figure twice.
CURVES_MARGINS = {"left": 0.07, "right": 0.98, "bottom": 0.15, "top": 0.91, "wspace": 0.2}
# zlib level 1 instead of 6: about a third less encoding time (~6 ms a figure), PNGs about 6% larger.
PNG_OPTIONS = {"compress_level": 1}
HELPER_TIMEOUT_SECONDS = 60  # a figure the helper has not drawn by then is drawn in the kernel


def figure_output(fig: Figure, alt: str) -> dict:
    """A matplotlib figure as one display_data output (PNG), for `Output.outputs`.

    Setting `outputs` directly (instead of `with out: display(fig)`) works from any thread and
    without a kernel, and the PNG is kept in the saved widget state, so the static book shows it.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs=PNG_OPTIONS)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"output_type": "display_data", "data": {"image/png": png, "text/plain": alt}, "metadata": {}}


def fixed_figure(figsize: tuple[float, float], **margins) -> Figure:
    """A figure with fixed margins (drawn once per save; constrained layout draws twice) on its own Agg
    canvas, whose renderer, and so its cache of text layouts, is kept from one save to the next."""
    fig = Figure(figsize=figsize, layout=None)
    FigureCanvasAgg(fig)
    if margins:
        fig.subplots_adjust(**margins)
    return fig


@dataclass(frozen=True)
class ComparedRun:
    """What the comparison figure shows of one run: its label, training loss curve and test accuracy."""

    label: str
    steps: np.ndarray
    loss: np.ndarray
    accuracy: float


def draw_curves(fig: Figure | None, runs) -> Figure:
    """The loss and accuracy graphs of one run (`read_run`'s dict): orange training line, blue evaluation dot."""
    fig = fig if fig is not None else fixed_figure((8.0, 3.3))
    plots.plot_training_curves(runs, tags=("loss", "accuracy"), fig=fig)
    fig.subplots_adjust(**CURVES_MARGINS)
    return fig


def draw_comparison(fig: Figure | None, runs: list[ComparedRun]) -> Figure:
    """Every run's training loss on one plot, and the test accuracies as bars: the runs side by side.

    Made once; each call empties its two axes and draws every run into them again, the figure
    growing with the number of runs (its axes, ticks and labels are kept: drawing them anew cost
    more than the runs' lines and bars).
    """
    height = 0.9 + 0.5 * max(3, len(runs))
    margins = {"left": 0.07, "right": 0.98, "bottom": 0.55 / height, "top": 1 - 0.15 / height, "wspace": 0.55}
    if fig is None:
        fig = fixed_figure((10.0, height), **margins)
        loss_ax, accuracy_ax = fig.subplots(1, 2)
        loss_ax.set_xlabel("global step")
        loss_ax.set_ylabel("training loss (smoothed)")
        loss_ax.set_yscale("log")
        accuracy_ax.invert_yaxis()
        accuracy_ax.set_xlim(0, 1)
        accuracy_ax.set_xlabel("test accuracy")
        for ax in (loss_ax, accuracy_ax):
            ax.spines[["top", "right"]].set_visible(False)
    else:
        fig.set_size_inches(10.0, height)
        fig.subplots_adjust(**margins)
        loss_ax, accuracy_ax = fig.axes
        for artist in [*loss_ax.lines, *accuracy_ax.texts]:
            artist.remove()
        for bars in list(accuracy_ax.containers):
            bars.remove()
    colors = [plots.TENSORBOARD_COLORS[i % len(plots.TENSORBOARD_COLORS)] for i in range(len(runs))]
    for run, color in zip(runs, colors):
        loss_ax.plot(run.steps, plots.smooth(run.loss, 0.9), color=color, label=run.label)
    loss_ax.legend(fontsize=8, frameon=False)
    positions = np.arange(len(runs))
    accuracies = [run.accuracy for run in runs]
    accuracy_ax.barh(positions, accuracies, color=colors)
    for y, value in zip(positions, accuracies):
        accuracy_ax.text(min(value, 0.98), y, f"{value:.3f}", ha="right", va="center", color="white", fontsize=9)
    accuracy_ax.set_yticks(positions, [run.label for run in runs], fontsize=8)
    for ax in (loss_ax, accuracy_ax):
        ax.relim()
        ax.autoscale_view()
    return fig


_DRAW = {"curves": draw_curves, "comparison": draw_comparison}
_FIGURES: dict[tuple[str, str], Figure] = {}  # (explorer, kind) -> its figure, in the process that draws it


def render(owner: str, kind: str, data, alt: str) -> dict:
    """Draw figure `kind` ('curves' or 'comparison') of explorer `owner` with `data` -> its display_data output."""
    fig = _FIGURES[owner, kind] = _DRAW[kind](_FIGURES.get((owner, kind)), data)
    return figure_output(fig, alt)


def _ready() -> bool:
    return True


def _ignore_interrupts() -> None:
    """The helper leaves Ctrl-C (and Jupyter's interrupt of the kernel's process group) to the kernel, and
    ends when the kernel does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _main_module_hidden():
    """`spawn` makes the new process import `__main__` (by its __spec__ or __file__): hide both meanwhile."""
    main = sys.modules.get("__main__")
    saved = {key: main.__dict__[key] for key in ("__spec__", "__file__") if main is not None and key in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                del main.__spec__


class Drawing:
    """A figure being drawn (in the helper, or already in the kernel); `result()` is its output."""

    def __init__(self, future: Future, request: tuple):
        self._future, self._request = future, request

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> dict:
        try:
            return self._future.result(timeout=HELPER_TIMEOUT_SECONDS)
        except (BrokenProcessPool, TimeoutError, OSError):  # the helper died or hangs: draw it here
            Painter.give_up()
            return render(*self._request)


class Painter:
    """Draws figures in the kernel's helper processes (`render`), or in the kernel when there are none.

    One helper per kind of figure ('curves', 'comparison'), so that the two are drawn at the same time
    as each other and as the kernel's decision regions (measured: after the kernel's figure, the click
    waited 0.07-0.09 s for one helper drawing both, 0.01-0.07 s for two), and each helper keeps its own
    figure to redraw in place.
    """

    _lock = threading.Lock()
    _pools: dict[str, ProcessPoolExecutor] | None = None
    _failed = False

    @classmethod
    def start(cls) -> None:
        """Start the helpers in the background (they take about a second), so the first click finds them ready."""
        with cls._lock:
            if cls._pools is not None or cls._failed:
                return
            pools = {}
            try:
                for kind in _DRAW:
                    pools[kind] = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                      initializer=_ignore_interrupts)
                    with _main_module_hidden():  # the process is spawned by its first submit
                        pools[kind].submit(_ready)
                cls._pools = pools
            except (OSError, RuntimeError, BrokenProcessPool):
                for pool in pools.values():
                    pool.shutdown(wait=False, cancel_futures=True)
                cls._pools, cls._failed = None, True

    @classmethod
    def running(cls) -> bool:
        """True while helper processes draw (False: every figure is drawn in the kernel)."""
        return cls._pools is not None

    @classmethod
    def give_up(cls) -> None:
        """Draw in the kernel from now on (a helper could not start, died or hung)."""
        with cls._lock:
            pools, cls._pools, cls._failed = cls._pools, None, True
        for pool in (pools or {}).values():
            pool.shutdown(wait=False, cancel_futures=True)

    @classmethod
    def submit(cls, owner: str, kind: str, data, alt: str) -> Drawing:
        request = (owner, kind, data, alt)
        pools = cls._pools
        if pools is not None:
            try:
                return Drawing(pools[kind].submit(render, *request), request)
            except (BrokenProcessPool, RuntimeError, OSError):
                cls.give_up()
        future: Future = Future()
        try:
            future.set_result(render(*request))
        except Exception as error:  # noqa: BLE001 - raised again by result(), in the caller's thread
            future.set_exception(error)
        return Drawing(future, request)
