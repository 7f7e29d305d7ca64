"""Train one hidden_units configuration, or a whole grid of them, and tabulate how well each does.

The explorer (`iris_lib.widgets`) trains one configuration per click; the sweep trains a grid of
them (layers x units x seeds) when a chapter runs, so a reader of the static book sees what the
sliders would show. Both go through `train_and_evaluate`: a custom Estimator built from the guide's
`my_model_fn`, trained from scratch in a model_dir of its own (named from the configuration, so a
changed architecture never meets an old checkpoint), then evaluated on the original test split.
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
from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig, model_dir_lock
from iris_lib.model import OPTIMIZERS, check_hidden_units, my_model_fn
from iris_lib.notebook import BOOK_SEED, MODELS_ROOT

v1 = tf.compat.v1

# Called after every training step with (global_step, batch loss, running training accuracy).
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
    """How one configuration did: test accuracy and loss on the original 30-example test split."""

    config: TrainingConfig
    model_dir: str
    accuracy: float
    loss: float
    global_step: int
    train_seconds: float


def _training_accuracy():
    """The running-accuracy tensor that `my_model_fn` logs as the 'accuracy' summary, or None."""
    for summary in v1.get_collection(v1.GraphKeys.SUMMARIES):
        tag = tf.get_static_value(summary.op.inputs[0]) if summary.op.type == "ScalarSummary" else None
        if tag == b"accuracy":
            return summary.op.inputs[1]
    return None


def with_step_callback(model_fn: Callable, on_step: StepCallback | None, every: int = 1) -> Callable:
    """`model_fn` plus a probe that reports every `every`-th training step to `on_step` (a hook, in effect).

    The probe is a `py_func` that runs after the train_op in the same session step (at step 1, every
    `every`-th step and at no other), so one `train()` call can drive a progress bar and a live
    plot without being cut into chunks: each `train()` call rebuilds the graph, which costs more
    than 1000 steps. Reporting every 20th step, a 1000-step run takes as long as without the probe
    (measured). The running accuracy is fetched at every step, which updates it at every step: the
    explorer's training accuracy averages every batch so far, not only the batches of the summary
    steps as a plain `my_model_fn` run does. Losses and weights are the same as without the probe.
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive whole number of steps, got {every!r}")

    def probed_model_fn(features, labels, mode, params):
        spec = model_fn(features, labels, mode, params)
        if mode != ModeKeys.TRAIN or on_step is None:
            return spec
        accuracy = _training_accuracy()
        accuracy = tf.constant(np.nan, tf.float32) if accuracy is None else accuracy
        with tf.control_dependencies([spec.train_op]):
            step = v1.train.get_global_step().read_value()  # read after the update: the step just done

        def report(step_value, loss_value, accuracy_value):
            on_step(int(step_value), float(loss_value), float(accuracy_value))
            return np.int64(0)

        due = tf.logical_or(tf.equal(step, 1), tf.equal(step % every, 0))
        probe = v1.cond(due, lambda: v1.py_func(report, [step, spec.loss, accuracy], tf.int64, stateful=True,
                                                 name="step_probe"),
                        lambda: tf.constant(0, tf.int64))
        return EstimatorSpec(mode, loss=spec.loss, train_op=tf.group(spec.train_op, probe))

    return probed_model_fn


def make_estimator(config: TrainingConfig, model_dir: str | Path, columns: Sequence | None = None,
                   on_step: StepCallback | None = None, save_summary_steps: int = 100,
                   report_every: int = 1) -> Estimator:
    """A custom Estimator for `config`: `my_model_fn`, its params, the config's seed and model_dir."""
    return Estimator(
        model_fn=with_step_callback(my_model_fn, on_step, report_every),
        model_dir=str(model_dir),
        config=RunConfig(tf_random_seed=config.seed, save_summary_steps=save_summary_steps),
        params=config.params(columns if columns is not None else feature_columns()),
    )


def train_and_evaluate(config: TrainingConfig, model_dir: str | Path, iris=None, columns: Sequence | None = None,
                       on_step: StepCallback | None = None, save_summary_steps: int = 100,
                       report_every: int = 1) -> tuple[Estimator, RunResult]:
    """Train `config` from scratch in `model_dir` (emptied first), then evaluate it on the test split.

    Starting fresh makes a run reproducible: the same configuration and seed give the same model,
    so runs compare fairly. Returns the trained Estimator (for predictions) and the result.
    """
    (train_x, train_y), (test_x, test_y) = iris if iris is not None else data.load_data()
    model_dir = Path(model_dir)
    model_dir_lock.raise_if_held(str(model_dir))  # never empty a model_dir under a running trainer
    shutil.rmtree(model_dir, ignore_errors=True)
    estimator = make_estimator(config, model_dir, columns, on_step, save_summary_steps, report_every)
    start = time.perf_counter()
    estimator.train(lambda: data.train_input_fn(train_x, train_y, config.batch_size), steps=config.steps)
    seconds = time.perf_counter() - start
    metrics = estimator.evaluate(lambda: data.eval_input_fn(test_x, test_y, len(test_x)))
    result = RunResult(config=config, model_dir=str(model_dir), accuracy=float(metrics["accuracy"]),
                       loss=float(metrics["loss"]), global_step=int(metrics["global_step"]),
                       train_seconds=seconds)
    return estimator, result


def sweep(layers: Iterable[int] = (1, 2, 3), units: Iterable[int] = (3, 10, 30), seeds: Iterable[int] = (1, 2, 3),
          steps: int = 300, root_dir: str | Path | None = None, optimizer: str = "Adagrad",
          learning_rate: float = 0.1, batch_size: int = 100, workers: int = 2) -> pd.DataFrame:
    """Train every (layers, units, seed) combination and return one row per model.

    Columns: hidden_units (a list such as [10, 10]), layers, units, seed, steps, accuracy (test
    accuracy) and loss (the test loss at the end of training). Every model trains from scratch in
    `root_dir/<configuration name>`; `iris_lib.plots.plot_hidden_units_sweep(df)` draws the table.
    Models train in `workers` threads: TensorFlow runs a step without holding Python's GIL, each
    model has a graph and a session of its own, and the results are the same as one at a time.
    A value repeated in `layers`, `units` or `seeds` (e.g. `units=(4, 4)`) is trained once, with a
    warning: two threads would otherwise empty and train the same model_dir at once.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive whole number, got {workers!r}")
    root = Path(root_dir) if root_dir is not None else MODELS_ROOT / "sweep"
    iris = data.load_data()
    columns = feature_columns(iris[0][0])
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
