"""The hidden_units explorer: change the network, press Train, watch loss and accuracy, compare runs.

`HiddenUnitsExplorer` is a small ipywidgets app around the book's custom Estimator: the
controls become a `TrainingConfig` (through `parse_controls`, which turns any bad input into one
clear sentence), the guide's `my_model_fn` trains from scratch in a model_dir named from that
configuration, and the results land in output widgets. Everything a browser would do has a Python
equivalent (set a control's `.value`, call `train()`), so the tests need no browser, and every
key widget carries a stable CSS class (`iris-...`) for the tests that do use one.

Design choices, so a reader can predict what happens:
- Every configuration trains in its own folder, `root_dir/<TrainingConfig.name>` (e.g.
  `h10-10_Adagrad_lr0.1_b100_n1000_seed7`): a changed architecture never meets an old checkpoint.
- Pressing Train again with the same configuration starts fresh (the folder is emptied), so the
  same settings always give the same model and runs compare fairly. Past runs stay in the table.
- One click is one `Estimator.train()` call: each call builds a new graph, which costs more than
  1000 steps, so cutting a run into chunks to redraw between them would make it several times
  slower. Instead a hook (`iris_lib.sweep.StepReporter`) reports the step, loss and accuracy on the
  steps the event files record, and the run's thread moves the progress bar and, once a run lasts
  more than a second, redraws the live plot. The training input is `data.fast_train_input_fn`: the
  guide's batches, in the same order, made faster.
- A click never blocks the kernel: the run goes in a background thread, so the Stop button's click
  is handled while it trains. Stop (or a kernel interrupt while code waits in `train()`) ends the
  run after the current step through the engine's `StopTrainingHook`; the model at that step is
  saved, evaluated and drawn. A second Train while a run goes is refused with a message.
- A click is kept short (`make bench` times it and breaks it down, phase by phase). After
  training, the test metrics and the probabilities for the decision-region grid, the test set and
  the guide's examples come from one graph and one session (`evaluate_and_predict`: every Estimator
  call builds a graph and restores the checkpoint, which costs more than the computation). The three
  figures are made once, with fixed margins (constrained layout draws each figure twice), and
  redrawn in place: new data in the same lines, mesh, image and labels, on the same Agg canvas, so
  their axes, ticks and text layouts are not built again. The curves and the comparison of runs are
  drawn in two helper processes while the kernel draws the decision regions (`explorer_figures.py`:
  matplotlib holds the GIL, so only other processes draw at the same time).
"""
from __future__ import annotations

import gc
import html
import re
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from iris_lib import data, plots
from iris_lib.model import OPTIMIZERS, check_hidden_units
from iris_lib.notebook import BOOK_SEED, MODELS_ROOT, shown as shown_path
from iris_lib.custom_estimator import feature_columns
from iris_lib.estimator.evaluate_and_predict import evaluate_and_predict
from iris_lib.explorer_figures import ComparedRun, Drawing, Painter, figure_output
from iris_lib.explorer_figures import fixed_figure as _fixed_figure
from iris_lib.estimator.hooks import StopTrainingHook
from iris_lib.sweep import RunResult, StepReporter, TrainingConfig, make_estimator
from iris_lib.tensorboard import read_run

# Limits that keep a click interactive; larger values are refused with a message, not a long wait.
MAX_LAYERS = 8
MAX_UNITS = 1024
MAX_STEPS = 20_000
MAX_BATCH_SIZE = 1_000
POINTS_PER_CURVE = 50  # summaries written per run (save_summary_steps = steps // 50)
# The live plot is first drawn one second into a run and then at most every REDRAW_SECONDS after
# the last one is shown; the progress bar is updated at every poll. The helper process draws it
# (explorer_figures), so it takes no GIL from the training loop (drawn in the kernel, a draw in the
# middle of a 1000-step run made it 0.4 s slower on the shared 2-core machine). A run that ends within
# a second shows only the progress bar and then its final curves, and no live plot is started when
# the run should end within REDRAW_SECONDS: the final curves come next (on a busy machine, where
# 1000 steps outlast a second, such a last-moment draw added 0.2-0.3 s to the click).
FIRST_DRAW_SECONDS = 1.0
REDRAW_SECONDS = 0.5
POLL_SECONDS = 0.1
MAX_COMPARED = 8  # runs drawn in the comparison figure (the table keeps them all)
REGION_RESOLUTION = 60  # decision regions: a 60 x 60 grid of predictions
# Fixed margins (fractions of the figure) in place of constrained layout, which draws a figure twice.
DIAGNOSTICS_MARGINS = {"left": 0.065, "right": 0.985, "bottom": 0.12, "top": 0.88, "wspace": 0.42}

CSS_CLASSES = {
    "view": "iris-explorer",
    "layers": "iris-layers",
    "units": "iris-units",
    "hidden_units": "iris-hidden-units",
    "architecture": "iris-architecture",
    "optimizer": "iris-optimizer",
    "learning_rate": "iris-learning-rate",
    "steps": "iris-steps",
    "batch_size": "iris-batch-size",
    "seed": "iris-seed",
    "train_button": "iris-train",
    "stop_button": "iris-stop",
    "clear_button": "iris-clear",
    "progress": "iris-progress",
    "progress_label": "iris-progress-label",
    "message": "iris-message",
    "curves": "iris-plot",
    "result": "iris-result",
    "predictions": "iris-predictions",
    "diagnostics": "iris-diagnostics",
    "history_table": "iris-history",
    "comparison": "iris-comparison",
}


def _freeze_long_lived_objects() -> None:
    """Take the objects alive now (TensorFlow's and the kernel's modules, some 400,000) out of the garbage
    collector's full passes. Each click makes and drops thousands of graph objects, which set off a full
    collection about every eighth click, and walking the long-lived objects made that click 0.3 s slower
    (measured). `gc.freeze()` is Python's own remedy: frozen objects are never collected, and these live
    as long as the kernel anyway; the garbage of later clicks is collected as before."""
    gc.freeze()


class ControlError(ValueError):
    """A control holds a value the explorer cannot train with; the message names it and the fix."""


# ---------------------------------------------------------------------------------------------
# Controls -> configuration (pure functions, no widgets)


def parse_hidden_units(value: str | Sequence[int]) -> tuple[int, ...]:
    """'10, 10', '[10, 10]' or '10 10' (or a list of ints) -> (10, 10); a ControlError otherwise."""
    if isinstance(value, str):
        tokens = [t for t in re.split(r"[\s,;]+", value.strip().strip("[]()")) if t]
        if not tokens:
            raise ControlError("hidden_units is empty: give at least one layer size, e.g. 10, 10")
        units = []
        for token in tokens:
            if not re.fullmatch(r"[+-]?\d+", token):
                shown = token if len(token) <= 20 else token[:20] + "…"
                raise ControlError(
                    f"hidden_units: {shown!r} is not a whole number; write layer sizes separated by commas, e.g. 10, 10"
                )
            if len(token.lstrip("+-")) > len(str(MAX_UNITS)):  # Python refuses int() of 4300+ digits
                raise ControlError(
                    f"hidden_units: a layer of {len(token.lstrip('+-'))} digits is more than the explorer's "
                    f"{MAX_UNITS} units (bigger layers only make training slow on Iris)")
            units.append(int(token))
    else:
        units = list(value)
    try:
        units = check_hidden_units(units)
    except ValueError as error:
        raise ControlError(str(error)) from None
    if len(units) > MAX_LAYERS:
        raise ControlError(f"hidden_units has {len(units)} layers; the explorer trains at most {MAX_LAYERS}")
    if max(units) > MAX_UNITS:
        raise ControlError(
            f"hidden_units: {max(units)} units in one layer is more than the explorer's {MAX_UNITS} "
            "(bigger layers only make training slow on Iris)"
        )
    return tuple(units)


def parse_learning_rate(value: str | float) -> float:
    """'0.1' or 1e-3 -> a positive float; a ControlError for text that is not a number or a rate <= 0."""
    if isinstance(value, str):
        try:
            rate = float(value.strip())
        except ValueError:
            raise ControlError(f"learning rate: {value!r} is not a number; try 0.1 (Adagrad) or 0.01 (Adam)") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        rate = float(value)
    else:
        raise ControlError(f"learning rate must be a number such as 0.1, got {value!r}")
    if not np.isfinite(rate) or rate <= 0:
        raise ControlError(f"learning rate must be a positive number such as 0.1, got {rate:g}")
    return rate


def _whole_number(value, name: str, largest: int) -> int:
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise ControlError(f"{name}: {value!r} is not a whole number")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ControlError(f"{name} must be a whole number, got {value!r}")
    if not 1 <= value <= largest:
        raise ControlError(f"{name} must be between 1 and {largest}, got {value}")
    return int(value)


def parse_controls(hidden_units: str | Sequence[int], learning_rate: str | float = 0.1, optimizer: str = "Adagrad",
                   steps: int = 1000, batch_size: int = 100, seed: int = BOOK_SEED) -> TrainingConfig:
    """The explorer's controls -> a validated `TrainingConfig`, or a ControlError naming the bad control."""
    if optimizer not in OPTIMIZERS:
        raise ControlError(f"optimizer {optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**31:
        raise ControlError(f"seed must be a whole number from 0 to {2**31 - 1}, got {seed!r}")
    return TrainingConfig(
        hidden_units=parse_hidden_units(hidden_units),
        optimizer=optimizer,
        learning_rate=parse_learning_rate(learning_rate),
        steps=_whole_number(steps, "training steps", MAX_STEPS),
        batch_size=_whole_number(batch_size, "batch size", MAX_BATCH_SIZE),
        seed=int(seed),
    )


def describe_network(hidden_units: Sequence[int], n_inputs: int = len(data.FEATURE_NAMES),
                     n_classes: int = len(data.SPECIES)) -> str:
    """'4 -> 10 -> 10 -> 3, 193 weights': the layer sizes and the number of trainable values."""
    sizes = [n_inputs, *hidden_units, n_classes]
    weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    return f"{' → '.join(str(s) for s in sizes)}, {weights:,} weights"


# ---------------------------------------------------------------------------------------------
# Small helpers: figures into output widgets, HTML


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="iris-table", escape=True)


def _message_html(text: str, kind: str) -> str:
    colors = {"error": "#b71c1c", "info": "#37474f", "ok": "#1b5e20"}
    return f'<div style="color:{colors[kind]};white-space:pre-wrap">{html.escape(text)}</div>' if text else ""


def example_table(probabilities: np.ndarray) -> pd.DataFrame:
    """The guide's three examples with the expected species, the predicted one and its probability."""
    rows = []
    for i, row in enumerate(np.asarray(probabilities)):
        best = int(np.argmax(row))
        rows.append({
            "example": ", ".join(f"{data.PREDICT_X[k][i]:g}" for k in data.FEATURE_NAMES),
            "expected": data.EXPECTED[i],
            "predicted": data.SPECIES[best],
            "probability": f"{100 * row[best]:.1f}%",
        })
    return pd.DataFrame(rows, columns=["example", "expected", "predicted", "probability"])


@dataclass
class RunRecord:
    """One finished click: the configuration, how it did, and its training curve (from `StepReporter`)."""

    number: int
    result: RunResult
    final_train_loss: float
    curve: pd.DataFrame  # step, loss, accuracy
    stopped_at: int | None = None  # the step the Stop button (or an interrupt) ended the run at

    @property
    def config(self) -> TrainingConfig:
        return self.result.config

    @property
    def label(self) -> str:
        c = self.config
        return f"#{self.number} {list(c.hidden_units)} {c.optimizer} {c.learning_rate:g}"


# ---------------------------------------------------------------------------------------------
# The explorer


class HiddenUnitsExplorer:
    """Vary hidden_units (and the optimizer, learning rate, steps, batch size), train, compare.

    Widgets are attributes (`layers`, `units`, `hidden_units`, `optimizer`, `learning_rate`,
    `steps`, `batch_size`, `seed`, `train_button`, `stop_button`, `progress`, `message`, `curves`,
    `result`, `predictions`, `diagnostics`, `history_table`, `comparison`); `view` is the whole app.
    `train()` is what the Train button calls and `stop()` what Stop calls; neither raises: problems
    go to `message`.
    """

    def __init__(self, root_dir: str | Path | None = None, hidden_units: Sequence[int] = (10, 10),
                 optimizer: str = "Adagrad", learning_rate: float = 0.1, steps: int = 1000,
                 batch_size: int = 100, seed: int = BOOK_SEED, hooks: Sequence = ()):
        self.root_dir = Path(root_dir) if root_dir is not None else MODELS_ROOT / "explorer"
        self.history: list[RunRecord] = []
        self.last_error: Exception | None = None
        self._iris = data.load_data()
        self._columns = feature_columns(self._iris[0][0])
        self._syncing = False
        self._done = threading.Event()  # clear while a run is in progress
        self._done.set()
        self._stop_hook: StopTrainingHook | None = None
        self.hooks = list(hooks)  # more SessionRunHooks for every run's train(): yours, or a test's step gate
        self._running_config: TrainingConfig | None = None
        self._record: RunRecord | None = None
        # Figures are made once and redrawn in place for every run (drawing is most of a click's time);
        # the curves and the comparison by the helper processes, under this explorer's name.
        self._diagnostics_fig: Figure | None = None
        self._figures_name = uuid.uuid4().hex
        Painter.start()
        _freeze_long_lived_objects()
        self._region_grid: dict[str, np.ndarray] | None = None
        self._prediction_rows: dict[str, np.ndarray] | None = None

        wide = {"description_width": "110px"}
        layout = widgets.Layout(width="340px")
        self.layers = widgets.IntSlider(value=len(hidden_units), min=1, max=5, description="hidden layers",
                                        style=wide, layout=layout)
        self.units = widgets.IntSlider(value=hidden_units[0], min=1, max=128, description="units per layer",
                                       style=wide, layout=layout)
        self.hidden_units = widgets.Text(value=", ".join(str(u) for u in hidden_units), description="hidden_units",
                                         placeholder="e.g. 10, 10 or 64, 32", style=wide, layout=layout)
        self.architecture = widgets.HTML()
        self.optimizer = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer, description="optimizer",
                                          style=wide, layout=layout)
        self.learning_rate = widgets.Text(value=f"{learning_rate:g}", description="learning rate",
                                          placeholder="e.g. 0.1", style=wide, layout=layout)
        self.steps = widgets.IntSlider(value=steps, min=100, max=5000, step=100, description="training steps",
                                       style=wide, layout=layout)
        self.batch_size = widgets.IntSlider(value=batch_size, min=1, max=120, description="batch size",
                                            style=wide, layout=layout)
        self.seed = widgets.IntText(value=seed, description="seed", style=wide, layout=layout)
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play",
                                           tooltip="Train this configuration from scratch in its own model_dir")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True,
                                          tooltip="End the run at the step it has reached, keep that model")
        self.clear_button = widgets.Button(description="Clear runs", tooltip="Forget the table of past runs")
        self.progress = widgets.IntProgress(value=0, min=0, max=steps, description="progress", style=wide,
                                            layout=widgets.Layout(width="340px"))
        self.progress_label = widgets.Label(value="not trained yet")
        self.message = widgets.HTML()
        self.curves = widgets.Output()
        self.result = widgets.HTML()
        self.predictions = widgets.HTML()
        self.diagnostics = widgets.Output()
        self.history_table = widgets.HTML()
        self.comparison = widgets.Output()

        for name, css in CSS_CLASSES.items():
            if name != "view":
                getattr(self, name).add_class(css)

        self.layers.observe(self._on_slider, names="value")
        self.units.observe(self._on_slider, names="value")
        self.hidden_units.observe(self._on_text, names="value")
        self.train_button.on_click(self.train)
        self.stop_button.on_click(self.stop)
        self.clear_button.on_click(self.clear_history)
        self._on_text()

        def heading(text: str) -> widgets.HTML:
            return widgets.HTML(f"<b>{html.escape(text)}</b>")

        controls = widgets.HBox([
            widgets.VBox([heading("Network (hidden_units)"), self.layers, self.units, self.hidden_units,
                          self.architecture]),
            widgets.VBox([heading("Training"), self.optimizer, self.learning_rate, self.steps, self.batch_size,
                          self.seed]),
        ])
        self.view = widgets.VBox([
            controls,
            widgets.HBox([self.train_button, self.stop_button, self.clear_button, self.progress,
                          self.progress_label]),
            self.message,
            heading("Loss and accuracy (orange: training, blue: evaluation on the test set)"),
            self.curves,
            self.result,
            self.predictions,
            self.diagnostics,
            heading("Runs so far"),
            self.history_table,
            self.comparison,
        ])
        self.view.add_class(CSS_CLASSES["view"])

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)

    # ----- controls -----------------------------------------------------------------------------

    def _on_slider(self, _change=None) -> None:
        """The two sliders write a uniform architecture into the text box (the text is what trains)."""
        if self._syncing:
            return
        self.hidden_units.value = ", ".join([str(self.units.value)] * self.layers.value)

    def _on_text(self, _change=None) -> None:
        """Check the text at every keystroke: show the network it describes, or what is wrong with it."""
        try:
            units = parse_hidden_units(self.hidden_units.value)
        except Exception as error:  # noqa: BLE001 - an observer must not raise: show what is wrong
            self.architecture.value = _message_html(str(error), "error")
            return
        self.architecture.value = _message_html(describe_network(units), "info")
        self._syncing = True
        try:
            if len(units) <= self.layers.max:
                self.layers.value = len(units)
            if len(set(units)) == 1 and units[0] <= self.units.max:
                self.units.value = units[0]
        finally:
            self._syncing = False

    def config(self) -> TrainingConfig:
        """The configuration the controls describe now (a ControlError if one of them is invalid)."""
        return parse_controls(self.hidden_units.value, self.learning_rate.value, self.optimizer.value,
                              self.steps.value, self.batch_size.value, self.seed.value)

    def model_dir_for(self, config: TrainingConfig) -> Path:
        return self.root_dir / config.name

    # ----- training -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while a run trains, evaluates or draws (in its background thread)."""
        return not self._done.is_set()

    def train(self, _button=None, draw: bool = True, wait: bool | None = None) -> RunRecord | None:
        """Train the configuration in the controls; what the Train button calls. Never raises.

        The run goes in a background thread, so that the kernel stays free to handle the Stop button
        while it trains. A click (`_button` given) returns at once; a call from code waits (`wait`
        defaults to True then) and returns the run's record, or None when the controls are invalid,
        training failed, or another run is still going (each said in red in `message`). While a call
        waits, a kernel interrupt (Ctrl-C, Jupyter's stop button) stops the run at its current step,
        as the Stop button does. `draw=False` skips the figures (the numbers and the table are still
        updated): useful when code trains several configurations and only the last one's figures
        will be looked at.
        """
        try:
            if self.running:
                config = self._running_config
                done = self.progress.value
                self.message.value = _message_html(
                    f"Already training {list(config.hidden_units)} ({done} of {config.steps} steps): press Stop to end "
                    "that run, or wait for it to finish, then press Train again.", "error")
                return None
            self.last_error = None
            try:
                config = self.config()
            except ControlError as error:
                self._fail(error, "Cannot train yet: ")
                return None
            self.message.value = ""
            self._record = None
            self._stop_hook = StopTrainingHook()
            self._running_config = config
            self.stop_button.disabled = False
            self.train_button.description = "Training…"
            self._done.clear()
            try:
                threading.Thread(target=self._run, args=(config, draw), name="iris-explorer-run", daemon=True).start()
            except BaseException:
                self._done.set()
                self.stop_button.disabled, self.train_button.description = True, "Train"
                raise
            return self.wait() if (wait if wait is not None else _button is None) else None
        except (Exception, KeyboardInterrupt) as error:  # a widget must not spill tracebacks: say what failed
            self._fail(error, "Training failed: ")
            return None

    def wait(self) -> RunRecord | None:
        """Wait for the current run to end and return its record; an interrupt meanwhile stops the run."""
        # An Event, not Thread.join: a KeyboardInterrupt inside join() can leave the Thread reporting
        # is_alive() False while it still runs (CPython issue 90882).
        done = self._done
        try:
            while not done.wait(POLL_SECONDS):
                pass
        except KeyboardInterrupt:  # the kernel was interrupted while a cell waited for this run
            self.stop()
            done.wait()
        return self._record

    def stop(self, _button=None) -> None:
        """End the current run at the step it has reached (what the Stop button calls); returns at once.

        The engine's stop hook (`iris_lib.estimator.hooks.StopTrainingHook`) ends `train()` after the
        step in progress and saves a checkpoint there; the run is then evaluated and drawn as usual,
        and the message says at which step it stopped. Training steps are milliseconds, so the run
        ends well within a second.
        """
        if self.running and self._stop_hook is not None:
            self._stop_hook.stop()
            self.progress_label.value = "stopping…"

    def _run(self, config: TrainingConfig, draw: bool) -> None:
        try:
            self._record = self._train(config, draw)
        except Exception as error:  # noqa: BLE001 - reported in the widget, never lost in a thread
            self._fail(error, "Training failed: ")
        finally:
            self.stop_button.disabled = True
            self.train_button.description = "Train"
            self._done.set()

    def _fail(self, error: BaseException, prefix: str) -> None:
        self.last_error = error
        text = str(error) or type(error).__name__
        self.message.value = _message_html(prefix + text, "error")

    def train_each(self, hidden_units: Sequence[str | Sequence[int]]) -> list[RunRecord | None]:
        """Train several architectures in turn, as if each were typed in and Train pressed.

        Only the last run draws its figures (the comparison figure shows them all), which keeps a
        notebook that compares configurations quick to run.
        """
        records = []
        for i, units in enumerate(hidden_units):
            self.hidden_units.value = units if isinstance(units, str) else ", ".join(str(u) for u in units)
            records.append(self.train(draw=i == len(hidden_units) - 1))
        return records

    def _fit(self, config: TrainingConfig, model_dir: Path, on_step, every: int, predict: bool = True):
        """Train from scratch with the Stop hook, then evaluate (and predict): `train_and_evaluate`, stoppable.

        Returns (RunResult, the step it stopped at or None, the probabilities `_split_predictions`
        gives, or None when `predict` is False). The model_dir is emptied first, so the same settings
        always give the same model. The metrics and the probabilities come from one graph and one
        session (`evaluate_and_predict`), with the numbers of separate evaluate() and predict() calls.
        """
        (train_x, train_y), (test_x, test_y) = self._iris
        shutil.rmtree(model_dir, ignore_errors=True)
        estimator = make_estimator(config, model_dir, self._columns, save_summary_steps=every)
        start = time.perf_counter()
        estimator.train(lambda: data.fast_train_input_fn(train_x, train_y, config.batch_size), steps=config.steps,
                        hooks=[self._stop_hook, StepReporter(on_step, every, last=config.steps), *self.hooks])
        seconds = time.perf_counter() - start
        test_input = lambda: data.eval_input_fn(test_x, test_y, len(test_x))  # noqa: E731
        probabilities = None
        if predict:
            rows = self._prediction_features()
            size = len(rows[data.FEATURE_NAMES[0]])
            metrics, predicted = evaluate_and_predict(estimator, test_input,
                                                      lambda: data.eval_input_fn(rows, None, size),
                                                      predict_keys=["probabilities"])
            probabilities = self._split_predictions(predicted["probabilities"])
        else:
            metrics = estimator.evaluate(test_input)
        result = RunResult(config=config, model_dir=str(model_dir), accuracy=float(metrics["accuracy"]),
                           loss=float(metrics["loss"]), global_step=int(metrics["global_step"]),
                           train_seconds=seconds)
        return result, self._stop_hook.stopped_at, probabilities

    def _train(self, config: TrainingConfig, draw: bool = True) -> RunRecord:
        model_dir = self.model_dir_for(config)
        every = max(1, config.steps // POINTS_PER_CURVE)
        records: list[tuple[int, float, float]] = []  # appended by StepReporter, in the training thread
        self.progress.max, self.progress.value = config.steps, 0
        self.progress_label.value = f"0 / {config.steps} steps"
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(self._fit, config, model_dir,
                                 lambda step, loss, accuracy: records.append((step, loss, accuracy)), every, draw)
            next_draw, live = time.perf_counter() + FIRST_DRAW_SECONDS, None
            while True:
                try:
                    result, stopped_at, probabilities = future.result(timeout=POLL_SECONDS)
                    break
                except TimeoutError:
                    pass
                if live is not None and live.done():
                    self.curves.outputs = (live.result(),)
                    live, next_draw = None, time.perf_counter() + REDRAW_SECONDS
                done = records[-1][0] if records else 0
                if self.progress.value != done:
                    self.progress.value = done
                if not self._stop_hook.event.is_set():
                    self.progress_label.value = (f"{done} / {config.steps} steps" if done < config.steps
                                                 else "evaluating on the test set")
                now = time.perf_counter()
                left = (now - start) * (config.steps - done) / max(done, 1)  # seconds, at this run's pace
                if draw and records and live is None and now >= next_draw and left >= REDRAW_SECONDS:
                    live = self._draw_live(records[:])  # in the helper process: training keeps the GIL
            if live is not None:
                live.result()  # the final curves replace it below
        steps_done = result.global_step
        self.progress.value = steps_done
        self.progress_label.value = f"{steps_done} steps in {result.train_seconds:.2f} s"
        if stopped_at is not None:
            self.message.value = _message_html(
                f"Stopped at step {steps_done} of {config.steps}: the model at that step is saved in its model_dir "
                "and shown below.", "info")

        curve = pd.DataFrame(records, columns=["step", "loss", "accuracy"])
        record = RunRecord(number=len(self.history) + 1, result=result,
                           final_train_loss=float(curve["loss"].iloc[-1]) if len(curve) else float("nan"),
                           curve=curve, stopped_at=stopped_at)
        self.history.append(record)
        # Cheapest first: the numbers, then the figures.
        self._show_result(record)
        if draw:
            # The final curves come from the event files, read with TensorBoard's reader: orange line, blue dot.
            # They and the comparison are drawn by the helper process while the kernel draws the diagnostics.
            curves = Painter.submit(self._figures_name, "curves", read_run(model_dir),
                                    f"loss and accuracy of {config.name}")
            comparison = Painter.submit(self._figures_name, "comparison", self._compared_runs(),
                                        "training loss and test accuracy per run")
            self._show_diagnostics(record, *probabilities)
            self._show_history()
            self.curves.outputs = (curves.result(),)
            self.comparison.outputs = (comparison.result(),)
        else:
            self._show_history()
        self.progress_label.value = (f"{steps_done} steps in {result.train_seconds:.2f} s, "
                                     f"{time.perf_counter() - start:.2f} s with the figures")
        return record

    def _show_result(self, record: RunRecord) -> None:
        result, config = record.result, record.config
        n_test = len(self._iris[1][1])
        self.result.value = (
            f"<b>Run #{record.number}</b>: hidden_units={list(config.hidden_units)}, {config.optimizer} "
            f"(learning rate {config.learning_rate:g}), "
            + (f"{config.steps} steps" if record.stopped_at is None
               else f"stopped after {result.global_step} of {config.steps} steps")
            + f" of {config.batch_size}: "
            f"<b>test accuracy {result.accuracy:.3f}</b> ({round(result.accuracy * n_test)} of {n_test}), "
            f"test loss {result.loss:.3f}, final training loss {record.final_train_loss:.3f}; "
            f"model_dir <code>{html.escape(shown_path(result.model_dir))}</code>"
        )

    def _draw_live(self, records: list[tuple[int, float, float]]) -> Drawing:
        frame = pd.DataFrame(records, columns=["step", "loss", "accuracy"])
        run = {tag: pd.DataFrame({"step": frame["step"], "wall_time": 0.0, "value": frame[tag]})
               for tag in ("loss", "accuracy")}
        return Painter.submit(self._figures_name, "curves", {"train": run}, "loss and accuracy so far")

    def _prediction_features(self) -> dict[str, np.ndarray]:
        """The rows every run predicts, as one batch: the decision-region grid, the test set, the guide's examples."""
        if self._prediction_rows is None:
            (train_x, _), (test_x, _) = self._iris
            self._region_grid = plots.decision_region_grid(train_x, resolution=REGION_RESOLUTION)[2]
            self._prediction_rows = {
                key: np.concatenate([np.asarray(self._region_grid[key], dtype=np.float64), test_x[key].to_numpy(),
                                     np.asarray(data.PREDICT_X[key], dtype=np.float64)])
                for key in data.FEATURE_NAMES}
        return self._prediction_rows

    def _split_predictions(self, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities of `_prediction_features`' rows -> (decision-region grid, test set, guide's examples)."""
        n_grid, n_test = len(self._region_grid[data.FEATURE_NAMES[0]]), len(self._iris[1][0])
        return probabilities[:n_grid], probabilities[n_grid:n_grid + n_test], probabilities[n_grid + n_test:]

    def _show_diagnostics(self, record: RunRecord, grid_proba: np.ndarray, test_proba: np.ndarray,
                          example_proba: np.ndarray) -> None:
        """The guide's three examples, then decision regions in the petal plane and the confusion matrix."""
        (train_x, train_y), (_, test_y) = self._iris
        self.predictions.value = "<b>The guide's three examples</b>" + _table_html(example_table(example_proba))
        if self._diagnostics_fig is None:
            self._diagnostics_fig = _fixed_figure((10.0, 4.2), **DIAGNOSTICS_MARGINS)
            self._diagnostics_fig.subplots(1, 2, width_ratios=[1.25, 1])
        fig = self._diagnostics_fig
        regions_ax, matrix_ax = fig.axes  # drawn again in place (plots keeps their axes and labels)
        plots.plot_decision_regions(lambda _grid: grid_proba, train_x, train_y, resolution=REGION_RESOLUTION,
                                    ax=regions_ax,
                                    title=f"Decision regions, hidden_units={list(record.config.hidden_units)}")
        plots.plot_confusion_matrix(test_y.to_numpy(), test_proba.argmax(axis=1), ax=matrix_ax)
        self.diagnostics.outputs = (figure_output(fig, f"decision regions and confusion matrix, run {record.number}"),)

    def _show_history(self) -> None:
        frame = self.history_frame()
        shown = frame.assign(**{column: frame[column].map("{:.3f}".format)
                                for column in ("test_accuracy", "test_loss", "final_train_loss")})
        self.history_table.value = _table_html(shown.drop(columns=["model_dir", "train_seconds"]))

    def _compared_runs(self) -> list[ComparedRun]:
        """What the comparison figure shows (`explorer_figures.draw_comparison`): the last MAX_COMPARED runs."""
        return [ComparedRun(label=r.label, steps=r.curve["step"].to_numpy(), loss=r.curve["loss"].to_numpy(),
                            accuracy=r.result.accuracy) for r in self.history[-MAX_COMPARED:]]

    def history_frame(self) -> pd.DataFrame:
        """The runs so far, one row each: configuration, test accuracy and loss, final training loss."""
        columns = ["run", "hidden_units", "optimizer", "learning_rate", "steps", "batch_size", "seed",
                   "test_accuracy", "test_loss", "final_train_loss", "train_seconds", "model_dir"]
        rows = [{
            "run": r.number, "hidden_units": list(r.config.hidden_units), "optimizer": r.config.optimizer,
            "learning_rate": r.config.learning_rate, "steps": r.config.steps, "batch_size": r.config.batch_size,
            "seed": r.config.seed, "test_accuracy": r.result.accuracy, "test_loss": r.result.loss,
            "final_train_loss": r.final_train_loss, "train_seconds": r.result.train_seconds,
            "model_dir": r.result.model_dir,
        } for r in self.history]
        return pd.DataFrame(rows, columns=columns)

    def clear_history(self, _button=None) -> None:
        """Forget past runs (their model_dirs stay on disk until the same configuration trains again)."""
        self.history.clear()
        self.history_table.value = ""
        self.comparison.outputs = ()
