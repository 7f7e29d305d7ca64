"""The claims ledger's parts: what a claim is, and what every claim program shares.

A claim is one sentence of the book (or its companions) about how `tf.estimator` behaves. Each file
`tests/legacy/claims/<page>.py` lists the claims of one page in `CLAIMS` and defines `facts(tf, workdir)`,
which measures, on whichever engine runs it, the facts those claims rest on:

    python tests/legacy/claims/ch05_modes.py real WORKDIR   # TF 2.15 + tensorflow-estimator (legacy venv)
    python tests/legacy/claims/ch05_modes.py ours WORKDIR   # iris_lib on TF 2.21

Each run prints one JSON line of facts. `scripts/claims_ledger.py` runs every program on both engines, checks
that each claim holds on the real Estimator (else the book is wrong), records whether it holds on ours, and
writes the ledger page (`companion/claims.md`) and the differences page's list from those results.

Facts must not depend on the CPU or the clock (the real engine's floats are not the same bits everywhere):
booleans, integers, strings, lists of them, or floats rounded to what the claim needs.
Importing this module (or a claims file) imports no TensorFlow: the ledger reads `CLAIMS` without it.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

DATA = Path(__file__).resolve().parents[3] / "iris_lib" / "data"
CSV_COLUMNS = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]
ENGINE = None  # "real" or "ours" while a program runs


@dataclass(frozen=True)
class Claim:
    """One sentence of the book about tf.estimator, and how to check it.

    id: short and stable (it names the claim in the ledger and in failures).
    where: the page, relative to the repository root (`chapters/05_modes.ipynb`).
    quote: words of that page, verbatim (whitespace aside), that make the claim: tests/test_claims_ledger.py
        fails when the page no longer says them, so the ledger follows the book.
    says: the claim in one plain sentence.
    shows: the fact keys the ledger prints as evidence, real beside ours.
    holds: facts -> bool, True when the claim is true of the engine that produced the facts.
    differs: why ours differs, when it does on purpose ("" when it should not differ); the page must then say
        so at `quote`'s place (a link to the differences page in the same cell).
    """
    id: str
    where: str
    quote: str
    says: str
    shows: tuple
    holds: Callable[[dict], bool]
    differs: str = ""
    extra: dict = field(default_factory=dict)


def tf2():
    """TensorFlow with `tf.estimator` as a TF2 program reaches it on this engine."""
    if ENGINE == "ours":
        import iris_lib.estimator_shim  # noqa: F401
    import tensorflow
    return tensorflow


def load_iris():
    """((train_x, train_y), (test_x, test_y)) as pandas, the guide's `iris_data.load_data()`."""
    import pandas as pd

    def load(name):
        frame = pd.read_csv(DATA / name, names=CSV_COLUMNS, header=0)
        return frame, frame.pop("Species")
    return load("iris_training.csv"), load("iris_test.csv")


def numeric_columns(tf):
    return [tf.feature_column.numeric_column(key) for key in CSV_COLUMNS[:4]]


def train_input_fn(tf, features, labels, batch_size=100, shuffle=True):
    """The guide's train_input_fn (seeded shuffle, so both engines see the same batches)."""
    dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    if shuffle:
        dataset = dataset.shuffle(1000, seed=1)
    return dataset.repeat().batch(batch_size)


def eval_input_fn(tf, features, labels=None, batch_size=100):
    inputs = dict(features) if labels is None else (dict(features), labels)
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)


def guide_model_fn(tf):
    """The guide's my_model_fn (input_layer, dense layers of params['hidden_units'], Adagrad 0.1)."""
    def my_model_fn(features, labels, mode, params):
        net = tf.feature_column.input_layer(features, params["feature_columns"])
        for units in params["hidden_units"]:
            net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
        logits = tf.layers.dense(net, params["n_classes"], activation=None)
        predicted = tf.argmax(logits, 1)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={
                "class_ids": predicted[:, tf.newaxis], "probabilities": tf.nn.softmax(logits), "logits": logits})
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted, name="acc_op")
        tf.summary.scalar("accuracy", accuracy[1])
        if mode == tf.estimator.ModeKeys.EVAL:
            return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"accuracy": accuracy})
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    return my_model_fn


def guide_params(tf, hidden_units=(10, 10)):
    return {"feature_columns": numeric_columns(tf), "hidden_units": list(hidden_units), "n_classes": 3}


def error_name(call) -> str | None:
    """The class name of what `call()` raises, None when it returns."""
    try:
        call()
    except Exception as error:  # noqa: BLE001  (the ledger records which)
        return type(error).__name__
    return None


def summary_steps_as_meant(steps: list[int]) -> list[int]:
    """Training summary steps with the real engine's early ones put where they belong: its SummarySaverHook now
    and then wrote step 101's summary at step 100 (differences page, "Training summaries land on exact steps"),
    so the raw steps changed the ledger's evidence from one run to the next."""
    return [step + 1 if step % 100 == 0 else step for step in steps]


def plain(value: Any):
    """numpy values and tuples as JSON's lists and numbers, bytes as text."""
    import numpy as np
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in (sorted(value) if isinstance(value, set) else value)]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(facts: Callable) -> None:
    """`python <claims file> real|ours WORKDIR`: import the engine, measure, print one JSON line."""
    global ENGINE
    ENGINE, workdir = sys.argv[1], Path(sys.argv[2])
    if ENGINE == "ours":
        import iris_lib.tf1 as tf
    elif ENGINE == "real":
        import tensorflow.compat.v1 as tf
    else:
        raise SystemExit(f"usage: {sys.argv[0]} real|ours WORKDIR")
    tf.logging.set_verbosity(tf.logging.ERROR)
    workdir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(plain(facts(tf, workdir)), sort_keys=True))
