"""Read the scalar summaries an Estimator writes, with TensorBoard's own reader.

An Estimator's `model_dir` is a TensorBoard log directory: training writes `events.out.tfevents.*`
files into `model_dir` itself, and every `evaluate()` writes into `model_dir/eval` (or
`model_dir/eval_<name>` for `evaluate(name=...)`). TensorBoard shows each directory as a *run*.
This module reads them the way TensorBoard does (`EventAccumulator`, with its purging of events
orphaned by a restart), so the figures in the book are the figures TensorBoard would draw.
"""
from __future__ import annotations

import logging
import re
import shlex
import warnings
from pathlib import Path
from typing import Mapping

import pandas as pd
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import io_wrapper
from tensorboard.util import tensor_util

# A run is {tag: DataFrame(step, wall_time, value)}; a model's runs are {run name: run}.
Run = dict[str, pd.DataFrame]
Runs = dict[str, Run]

COLUMNS = ["step", "wall_time", "value"]

# Keep every scalar point (0 = no limit); everything else is irrelevant here, so keep almost none.
_SIZE_GUIDANCE = {
    ea.SCALARS: 0,
    ea.TENSORS: 0,
    ea.HISTOGRAMS: 1,
    ea.COMPRESSED_HISTOGRAMS: 1,
    ea.IMAGES: 1,
    ea.AUDIO: 1,
}


class NoEventFilesError(FileNotFoundError):
    """A directory holds no TensorBoard event files; the message says what to do next."""


class DamagedEventFileWarning(UserWarning):
    """An event file holds a corrupted or truncated record: the events after it cannot be read."""


class _DamageCollector(logging.Handler):
    """Collects TensorBoard's 'Truncated record in <file> (<reason>)' notes (it logs them at DEBUG only)."""

    _NOTE = re.compile(r"^Truncated record in (.+?) \((.*)\)$", re.S)

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.found: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = self._NOTE.match(record.getMessage())
        if match:
            self.found.append((match.group(1), match.group(2)))


def _event_files_in(directory: Path) -> list[Path]:
    """The event files directly inside `directory` (TensorBoard does not merge subdirectories)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and io_wrapper.IsSummaryEventsFile(str(p)))


def _run_dirs(model_dir: Path) -> dict[str, Path]:
    """The runs an Estimator writes: 'train' (model_dir itself), 'eval', and 'eval_<name>'."""
    runs = {"train": model_dir}
    if model_dir.is_dir():
        for sub in sorted(model_dir.iterdir()):
            if sub.is_dir() and (sub.name == "eval" or sub.name.startswith("eval_")):
                runs[sub.name] = sub
    return {name: path for name, path in runs.items() if _event_files_in(path)}


def _no_event_files(where: Path) -> NoEventFilesError:
    if not where.exists():
        return NoEventFilesError(
            f"no event files in {where}: the directory does not exist; "
            "train the estimator first, or check the model_dir you passed"
        )
    return NoEventFilesError(
        f"no event files in {where}: train the estimator first (summaries are written every "
        "save_summary_steps), or check the model_dir you passed"
    )


def list_event_files(model_dir: str | Path) -> dict[str, list[Path]]:
    """The event files of every run in `model_dir`: {'train': [...], 'eval': [...], ...}.

    Raises NoEventFilesError when there are none, because an empty result almost always
    means the wrong directory or a model that has not been trained yet.
    """
    model_dir = Path(model_dir)
    runs = {name: _event_files_in(path) for name, path in _run_dirs(model_dir).items()}
    if not runs:
        raise _no_event_files(model_dir)
    return runs


def _frame(points: list[tuple[int, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(points, columns=COLUMNS)
    frame = frame.astype({"step": "int64", "wall_time": "float64", "value": "float64"})
    return frame.sort_values("step", kind="stable").reset_index(drop=True)


def read_scalars(logdir: str | Path) -> Run:
    """Every scalar summary in one TensorBoard run directory, as {tag: DataFrame(step, wall_time, value)}.

    Reads both kinds TensorFlow writes: TF1 `tf.compat.v1.summary.scalar` (`simple_value`) and
    TF2 `tf.summary.scalar` (a scalar tensor tagged for the 'scalars' plugin).
    """
    logdir = Path(logdir)
    if not _event_files_in(logdir):
        raise _no_event_files(logdir)
    acc = ea.EventAccumulator(str(logdir), size_guidance=_SIZE_GUIDANCE)
    # Each train() call writes its graph and meta graph into the event file, as the real Estimator did;
    # TensorBoard's reader warns on stderr about the repeated graph, which would leak into notebook outputs. Its note
    # about a damaged file is only a debug message, though: collected here and turned into a warning.
    reader_logger = logging.getLogger("tensorboard")
    level, propagate = reader_logger.level, reader_logger.propagate
    damage = _DamageCollector()
    reader_logger.setLevel(logging.DEBUG)
    reader_logger.propagate = False
    reader_logger.addHandler(damage)
    try:
        acc.Reload()
    finally:
        reader_logger.removeHandler(damage)
        reader_logger.setLevel(level)
        reader_logger.propagate = propagate
    for path, reason in damage.found:
        warnings.warn(f"{path}: the event file is damaged ({reason}); TensorBoard and this reader skip every "
                      "event after the damage, so its scalars are missing from the result", DamagedEventFileWarning,
                      stacklevel=2)
    tags = acc.Tags()
    run: Run = {}
    for tag in tags[ea.SCALARS]:
        run[tag] = _frame([(e.step, e.wall_time, e.value) for e in acc.Scalars(tag)])
    for tag in tags[ea.TENSORS]:
        metadata = acc.summary_metadata.get(tag)  # none for evaluate()'s `checkpoint_path` text entry
        if metadata is None or metadata.plugin_data.plugin_name != "scalars":
            continue  # histograms, text, ... stored as tensors: not scalars
        points = []
        for e in acc.Tensors(tag):
            array = tensor_util.make_ndarray(e.tensor_proto)
            if array.size != 1:
                break
            points.append((e.step, e.wall_time, float(array.reshape(()))))
        else:
            run[tag] = _frame(points)
    return dict(sorted(run.items()))


def read_run(model_dir: str | Path) -> Runs:
    """All runs of an Estimator's model_dir: {'train': {tag: df}, 'eval': {tag: df}, 'eval_<name>': ...}.

    'train' is model_dir itself; runs without event files are left out. A damaged event file (a
    corrupted or truncated record) gives a `DamagedEventFileWarning` naming the file.
    """
    model_dir = Path(model_dir)
    runs = {name: read_scalars(path) for name, path in _run_dirs(model_dir).items()}
    if not runs:
        raise _no_event_files(model_dir)
    return runs


def summarize(source: str | Path | Mapping[str, Run]) -> pd.DataFrame:
    """One row per (run, tag): number of points, step range and last value; handy to print in a chapter."""
    runs = read_run(source) if isinstance(source, (str, Path)) else source
    rows = []
    for run_name, run in runs.items():
        for tag, frame in run.items():
            rows.append(
                {
                    "run": run_name,
                    "tag": tag,
                    "points": len(frame),
                    "first_step": int(frame["step"].iloc[0]) if len(frame) else None,
                    "last_step": int(frame["step"].iloc[-1]) if len(frame) else None,
                    "last_value": float(frame["value"].iloc[-1]) if len(frame) else None,
                }
            )
    return pd.DataFrame(rows, columns=["run", "tag", "points", "first_step", "last_step", "last_value"])


def tensorboard_command(model_dir: str | Path) -> str:
    """The shell line that opens live TensorBoard on this model_dir (the guide's `tensorboard --logdir=PATH`)."""
    return f"tensorboard --logdir={shlex.quote(str(model_dir))}"
