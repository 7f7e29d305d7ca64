"""Train one hidden_units configuration, or a whole grid of them, and tabulate how well each does.

The explorer (`iris_lib.widgets`) trains one configuration per click; the sweep trains a grid of
them (layers x units x seeds) when a chapter runs, so a reader of the static book sees what the
sliders would show. Both go through `train_and_evaluate`: a custom Estimator built from the guide's
`my_model_fn`, trained from scratch in a model_dir of its own (named from the configuration, so a
changed architecture never meets an old checkpoint), then evaluated. A sweep exists to choose between
configurations, so it trains on the training rows `data.load_splits()` keeps and scores on its validation
rows: the test set stays out of the choice and can be reported once, for the model chosen.
"""
from __future__ import annotations

import itertools
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf

from iris_lib import data, quiet
from iris_lib.custom_estimator import feature_columns
from iris_lib.estimator import Estimator, RunConfig, model_dir_lock
from iris_lib.estimator.hooks import SessionRunArgs, SessionRunHook
from iris_lib.model import OPTIMIZERS, check_hidden_units, my_model_fn
from iris_lib.notebook import BOOK_SEED, MODELS_ROOT

v1 = tf.compat.v1

# Called on reported training steps with (global_step, batch loss, running training accuracy).
StepCallback = Callable[[int, float, float], None]

SWEEP_COLUMNS = ["hidden_units", "layers", "units", "seed", "steps", "accuracy", "loss"]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines one training run; validated on creation, so a bad value fails early."""

    hidden_units: tuple[int, ...]
    optimizer: str = "Adagrad"
    learning_rate: float = 0.1
    steps: int = 1000
    batch_size: int = 100
    seed: int = BOOK_SEED

    def __post_init__(self):
        object.__setattr__(self, "hidden_units", tuple(check_hidden_units(self.hidden_units)))
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} is not one of {list(OPTIMIZERS)}")
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not np.isfinite(rate) or rate <= 0:
            raise ValueError(f"learning_rate must be a positive number such as 0.1, got {rate!r}")
        for name in ("steps", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")

    @property
    def name(self) -> str:
        """A folder name that spells out the configuration, e.g. 'h10-10_Adagrad_lr0.1_b100_n1000_seed7'.

        Every setting is in it, so `tensorboard --logdir=<root>` shows each configuration as a run.
        """
        units = "-".join(str(u) for u in self.hidden_units)
        return (f"h{units}_{self.optimizer}_lr{self.learning_rate:g}_b{self.batch_size}"
                f"_n{self.steps}_seed{self.seed}")

    def params(self, feature_columns: Sequence) -> dict:
        """The `params` dict `my_model_fn` reads: the guide's three keys plus optimizer and learning rate."""
        return {
            "feature_columns": list(feature_columns),
            "hidden_units": list(self.hidden_units),
            "n_classes": len(data.SPECIES),
            "optimizer": self.optimizer,
            "learning_rate": float(self.learning_rate),
        }


@dataclass(frozen=True)
class RunResult:
    """How one configuration did: accuracy and loss on the set it was evaluated on (see `train_and_evaluate`)."""

    config: TrainingConfig
    model_dir: str
    accuracy: float
    loss: float
    global_step: int
    train_seconds: float


def _summarized(tag: str):
    """The tensor a training graph writes as scalar summary `tag` ('loss', or `my_model_fn`'s 'accuracy'), or None."""
    for summary in v1.get_collection(v1.GraphKeys.SUMMARIES):
        if summary.op.type == "ScalarSummary" and tf.get_static_value(summary.op.inputs[0]) == tag.encode():
            return summary.op.inputs[1]
    return None


class StepReporter(SessionRunHook):
    """Reports (global step, batch loss, running training accuracy) to `on_step` on the steps whose summaries
    the run writes (its first step and every `every`-th after it: pass the RunConfig's save_summary_steps)
    and on step `last`; a hook, so a progress bar and a live plot can follow one `train()` call.

    On those steps it fetches the tensors the 'loss' and 'accuracy' summaries write, so each report equals
    that step's point in the event files (the accuracy's update op runs there anyway: fetched in the same
    run, it runs once), and the model, its summaries and its checkpoints are those of a run without it
    (tested). On the other steps it asks for nothing, so the engine runs them on its fast path and only
    the reporting steps cost more. (It replaced a probe inside the training step, a py_func under a
    tf.cond, which cost about a fifth of each step and updated the accuracy at every step.)
    """

    def __init__(self, on_step: StepCallback, every: int, last: int | None = None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive whole number of steps, got {every!r}")
        self.on_step, self.every, self.last = on_step, every, last

    def begin(self) -> None:
        self._global_step = v1.train.get_global_step()
        loss, accuracy = _summarized("loss"), _summarized("accuracy")
        self._fetches = {"loss": loss, "accuracy": accuracy if accuracy is not None else tf.constant(np.nan)}

    def after_create_session(self, session, coord) -> None:
        self._step = int(session.run(self._global_step))
        self._next = self._step + 1  # as the engine's summaries: the first step, then every `every` steps

    def before_run(self, run_context):
        self._step += 1  # the step this run makes
        self._due = self._step == self._next or self._step == self.last
        return SessionRunArgs(self._fetches) if self._due else None

    def after_run(self, run_context, run_values) -> None:
        if not self._due:
            return
        if self._step == self._next:
            self._next += self.every
        results = run_values.results
        self.on_step(self._step, float(results["loss"]), float(results["accuracy"]))


def make_estimator(config: TrainingConfig, model_dir: str | Path, columns: Sequence | None = None,
                   save_summary_steps: int = 100) -> Estimator:
    """A custom Estimator for `config`: `my_model_fn`, its params, the config's seed and model_dir."""
    return Estimator(
        model_fn=my_model_fn,
        model_dir=str(model_dir),
        config=RunConfig(tf_random_seed=config.seed, save_summary_steps=save_summary_steps),
        params=config.params(columns if columns is not None else feature_columns()),
    )


def train_and_evaluate(config: TrainingConfig, model_dir: str | Path, iris=None, columns: Sequence | None = None,
                       on_step: StepCallback | None = None, save_summary_steps: int = 100
                       ) -> tuple[Estimator, RunResult]:
    """Train `config` from scratch in `model_dir` (emptied first), then evaluate it.

    `iris` is `((train_x, train_y), (eval_x, eval_y))`: it trains on the first pair and evaluates on the
    second (by default `data.load_data()`, the guide's train and test sets; `sweep` passes the validation
    split). Starting fresh makes a run reproducible: the same configuration and seed give the same model,
    so runs compare fairly. `on_step`, if given, is called on the summary steps and the last step
    (`StepReporter`). Returns the trained Estimator (for predictions) and the result.
    """
    (train_x, train_y), (eval_x, eval_y) = iris if iris is not None else data.load_data()
    model_dir = Path(model_dir)
    model_dir_lock.raise_if_held(str(model_dir))  # never empty a model_dir under a running trainer
    shutil.rmtree(model_dir, ignore_errors=True)
    estimator = make_estimator(config, model_dir, columns, save_summary_steps)
    hooks = [StepReporter(on_step, save_summary_steps or config.steps, last=config.steps)] if on_step else []
    start = time.perf_counter()
    estimator.train(lambda: data.train_input_fn(train_x, train_y, config.batch_size), hooks=hooks,
                    steps=config.steps)
    seconds = time.perf_counter() - start
    metrics = estimator.evaluate(lambda: data.eval_input_fn(eval_x, eval_y, len(eval_x)))
    result = RunResult(config=config, model_dir=str(model_dir), accuracy=float(metrics["accuracy"]),
                       loss=float(metrics["loss"]), global_step=int(metrics["global_step"]),
                       train_seconds=seconds)
    return estimator, result


def sweep(layers: Iterable[int] = (1, 2, 3), units: Iterable[int] = (3, 10, 30), seeds: Iterable[int] = (1, 2, 3),
          steps: int = 300, root_dir: str | Path | None = None, optimizer: str = "Adagrad",
          learning_rate: float = 0.1, batch_size: int = 100, workers: int = 2) -> pd.DataFrame:
    """Train every (layers, units, seed) combination and return one row per model.

    Columns: hidden_units (a list such as [10, 10]), layers, units, seed, steps, accuracy and loss
    (on the validation split of `data.load_splits()`, at the end of training; each model trains on
    that function's training rows). Every model trains from scratch in
    `root_dir/<configuration name>`; `iris_lib.plots.plot_hidden_units_sweep(df)` draws the table.
    Models train in `workers` threads: TensorFlow runs a step without holding Python's GIL, each
    model has a graph and a session of its own, and the results are the same as one at a time.
    A value repeated in `layers`, `units` or `seeds` (e.g. `units=(4, 4)`) is trained once, with a
    warning: two threads would otherwise empty and train the same model_dir at once.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive whole number, got {workers!r}")
    root = Path(root_dir) if root_dir is not None else MODELS_ROOT / "sweep"
    train, valid, _ = data.load_splits()  # never the test set: a sweep is for choosing
    iris = (train, valid)
    columns = feature_columns(train[0])
    layers, units, seeds = _once("layers", layers), _once("units", units), _once("seeds", seeds)
    configs = [TrainingConfig(hidden_units=(width,) * n_layers, optimizer=optimizer, learning_rate=learning_rate,
                              steps=steps, batch_size=batch_size, seed=seed)
               for n_layers, width, seed in itertools.product(layers, units, seeds)]

    def run(config: TrainingConfig) -> dict:
        _, result = train_and_evaluate(config, root / config.name, iris, columns, save_summary_steps=0)
        return {"hidden_units": list(config.hidden_units), "layers": len(config.hidden_units),
                "units": config.hidden_units[0], "seed": config.seed, "steps": steps,
                "accuracy": result.accuracy, "loss": result.loss}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(run, configs))
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


def _once(name: str, values: Iterable) -> list:
    """`values` without repeats, in their order; a repeat is named in a warning."""
    values = list(values)
    unique = list(dict.fromkeys(values))
    if len(unique) < len(values):
        repeated = sorted({v for v in values if values.count(v) > 1})
        quiet.logger.warning("sweep(): %s lists %s more than once; each configuration is trained once.",
                             name, ", ".join(map(str, repeated)))
    return unique
