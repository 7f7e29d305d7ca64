"""Time the guide's main on our engine, on Keras 3 `fit`, and on the real tf.estimator, in one run.

The guide's main is: train 1000 steps at batch 100 (shuffle 1000, repeat, batch), evaluate on the test
split, predict the three examples. Each engine runs in its own fresh process (the real one with the legacy
venv's python, `tests/legacy/real_estimator.py bench`) and times its own calls, so interpreter start-up and
`import tensorflow` are outside the numbers while graph building stays inside each call, as it always was
for the Estimator. Each process does one cold run (its first call: lazy initialisation included) and then
N warm runs, each in a fresh model_dir; the table shows the median of the warm runs. A warm run is what a
reader's notebook sees when it retrains a new configuration (issue 4 asks for at most 1 s).

    python benchmarks/bench_engine.py [--repeats 3] [--json results.json] [--engines ours,keras,real]

The real tf.estimator runs if `IRIS_LEGACY_PYTHON` or `.venv-legacy/bin/python` exists
(`bash scripts/make_legacy_venv.sh` creates it); otherwise it is left out, with a note.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL_ESTIMATOR = REPO / "tests" / "legacy" / "real_estimator.py"
ENGINES = ("ours", "keras", "real")
LABELS = {"ours": "iris_lib Estimator (TF 2.21)", "keras": "Keras 3 model.fit (TF 2.21)",
          "real": "real tf.estimator (TF 2.15)"}


# ----- the workers: each runs in its own process and prints one JSON object -------------------------

def bench_ours(steps: int, batch_size: int, runs: int, seed: int | None) -> dict:
    """The guide's main on iris_lib.estimator with iris_lib.model.my_model_fn."""
    from iris_lib import data  # first: silences TensorFlow before it is imported
    from iris_lib.custom_estimator import feature_columns
    from iris_lib.estimator import Estimator, RunConfig
    from iris_lib.model import my_model_fn

    import tensorflow as tf

    (train_x, train_y), (test_x, test_y) = data.load_data()
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as model_dir:
            classifier = Estimator(model_fn=my_model_fn, model_dir=model_dir, config=RunConfig(tf_random_seed=seed),
                                   params={"feature_columns": feature_columns(train_x),
                                           "hidden_units": [10, 10], "n_classes": 3})
            t0, c0 = time.perf_counter(), time.process_time()
            classifier.train(input_fn=lambda: data.train_input_fn(train_x, train_y, batch_size), steps=steps)
            t1, c1 = time.perf_counter(), time.process_time()
            result = classifier.evaluate(input_fn=lambda: data.eval_input_fn(test_x, test_y, batch_size))
            t2 = time.perf_counter()
            predictions = list(classifier.predict(
                input_fn=lambda: data.eval_input_fn(data.PREDICT_X, None, batch_size)))
            t3 = time.perf_counter()
        with tempfile.TemporaryDirectory() as model_dir:  # the fixed cost: a 1-step train in a fresh model_dir
            classifier = Estimator(model_fn=my_model_fn, model_dir=model_dir, config=RunConfig(tf_random_seed=seed),
                                   params={"feature_columns": feature_columns(train_x),
                                           "hidden_units": [10, 10], "n_classes": 3})
            t4 = time.perf_counter()
            classifier.train(input_fn=lambda: data.train_input_fn(train_x, train_y, batch_size), steps=1)
            one_step_s = time.perf_counter() - t4
        results.append({**_run(steps, t0, t1, t2, t3, c1 - c0, result["accuracy"],
                               [data.SPECIES[p["class_ids"][0]] for p in predictions]), "one_step_s": one_step_s})
    return {"engine": f"iris_lib (TF {tf.__version__})", "runs": results,
            "input_pipeline_ms": input_pipeline_ms(steps, batch_size),
            "explorer": bench_explorer_click(steps, batch_size, runs, seed),
            "nan_guard": bench_nan_guard(steps, batch_size, max(runs, 5), seed)}


def input_pipeline_ms(steps: int, batch_size: int) -> float:
    """The guide's train_input_fn alone: milliseconds per batch its iterator takes in the engine's session
    (best of 3 passes of `steps` batches), the floor under every training step that reads it."""
    from iris_lib import data
    from iris_lib.estimator import estimator as engine

    import tensorflow as tf

    (train_x, train_y), _ = data.load_data()
    graph = tf.Graph()
    with graph.as_default():
        batch = tf.compat.v1.data.make_one_shot_iterator(data.train_input_fn(train_x, train_y, batch_size)).get_next()
    with engine._session(graph) as session:
        next_batch = session.make_callable(batch)
        passes = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(steps):
                next_batch()
            passes.append((time.perf_counter() - start) / steps * 1000)
    return min(passes)


def bench_nan_guard(steps: int, batch_size: int, runs: int, seed: int | None) -> dict:
    """The NaN guard's cost: `steps` training steps as the engine ran them before the guard (the train_op
    alone) and as it runs them now (train_op and loss, then a finiteness check), alternating on one graph
    and session so only the guard differs. CPU time of the process; the best run of each (least disturbed)."""
    import math

    from iris_lib import data
    from iris_lib.custom_estimator import feature_columns
    from iris_lib.estimator import Estimator, ModeKeys, RunConfig
    from iris_lib.estimator import estimator as engine
    from iris_lib.model import my_model_fn

    (train_x, train_y), _ = data.load_data()
    with tempfile.TemporaryDirectory() as model_dir:
        estimator = Estimator(model_fn=my_model_fn, model_dir=model_dir, config=RunConfig(tf_random_seed=seed),
                              params={"feature_columns": feature_columns(train_x), "hidden_units": [10, 10],
                                      "n_classes": 3})
        built = estimator._build(lambda: data.train_input_fn(train_x, train_y, batch_size), ModeKeys.TRAIN)
        init_op, local_init_op = estimator._finish_graph(built)
        times: dict = {"without_s": [], "with_s": []}
        with engine._session(built.graph) as session:
            session.run([init_op, local_init_op])
            run_step = session.make_callable(built.spec.train_op)
            run_guarded = session.make_callable([built.spec.train_op, built.spec.loss])
            for _ in range(runs):
                t0 = time.process_time()
                for _ in range(steps):
                    run_step()
                t1 = time.process_time()
                for _ in range(steps):
                    _, loss = run_guarded()
                    if not math.isfinite(float(loss)):
                        raise RuntimeError("the loss diverged during the benchmark")
                t2 = time.process_time()
                times["without_s"].append(t1 - t0)
                times["with_s"].append(t2 - t1)
    best = {key: min(values) for key, values in times.items()}
    return {**best, "cost_us_per_step": (best["with_s"] - best["without_s"]) / steps * 1e6,
            "cost_percent": 100 * (best["with_s"] / best["without_s"] - 1), "runs": times}


def bench_explorer_click(steps: int, batch_size: int, runs: int, seed: int | None) -> dict:
    """What a reader waits for after pressing Train in the explorer: train + evaluate (draw=False), and the whole
    click with predictions and figures (draw=True).

    Besides the two click times, `phases_s` breaks the click with figures down (median wall seconds,
    timed by wrapping the functions the click calls): training, evaluation with the predictions, the
    decision regions drawn in the kernel, the wait for the curves and the comparison drawn meanwhile
    by the helper process (`iris_lib.explorer_figures`), and the rest (event files, tables, threads).
    """
    import matplotlib

    matplotlib.use("Agg")
    from iris_lib import explorer_figures, widgets
    from iris_lib.estimator import Estimator
    from iris_lib.widgets import HiddenUnitsExplorer

    spent: dict = {}

    def timed(owner, name: str, phase: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - start

        setattr(owner, name, wrapper)
        return original

    patched = [(owner, name, timed(owner, name, phase)) for owner, name, phase in [
        (Estimator, "train", "train"), (Estimator, "evaluate", "evaluate_and_predict"),
        (widgets, "evaluate_and_predict", "evaluate_and_predict"),
        (HiddenUnitsExplorer, "_show_diagnostics", "decision_regions_here"),
        (explorer_figures.Drawing, "result", "wait_for_helper_figures")]]
    try:
        with tempfile.TemporaryDirectory() as root:
            explorer = HiddenUnitsExplorer(root_dir=root, steps=steps, batch_size=batch_size, seed=seed or 7)
            clicks, phases = {}, []
            for draw in (False, True):
                times = []
                for _ in range(runs):
                    spent.clear()
                    t0 = time.perf_counter()
                    explorer.train(draw=draw)
                    times.append(time.perf_counter() - t0)
                    if draw:
                        phases.append({**spent, "rest": times[-1] - sum(spent.values())})
                assert explorer.last_error is None, explorer.last_error
                clicks["with_figures_s" if draw else "training_s"] = statistics.median(times[1:] or times)
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    warm = phases[1:] or phases
    clicks["phases_s"] = {key: statistics.median(p.get(key, 0.0) for p in warm) for key in
                          ("train", "evaluate_and_predict", "decision_regions_here", "wait_for_helper_figures",
                           "rest")}
    clicks["helper_process"] = explorer_figures.Painter.running()
    return clicks


def bench_keras(steps: int, batch_size: int, runs: int, seed: int | None) -> dict:
    """The same network (4-10-10-3 ReLU, Adagrad 0.1) and input pipeline, trained with Keras 3 `fit`.

    Its train time includes building and compiling the model, the counterpart of the Estimator building
    its graph inside train().
    """
    from iris_lib import data

    import keras
    import tensorflow as tf

    (train_x, train_y), (test_x, test_y) = data.load_data()
    results = []
    for _ in range(runs):
        if seed is not None:
            keras.utils.set_random_seed(seed)
        t0, c0 = time.perf_counter(), time.process_time()
        inputs = {key: keras.Input(shape=(), name=key, dtype="float64") for key in data.FEATURE_NAMES}
        # The counterpart of input_layer over numeric columns: float32 features side by side.
        net = keras.ops.stack([keras.ops.cast(inputs[key], "float32") for key in data.FEATURE_NAMES], axis=-1)
        for units in (10, 10):
            net = keras.layers.Dense(units, activation="relu")(net)
        logits = keras.layers.Dense(3)(net)
        model = keras.Model(inputs, logits)
        model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        model.fit(data.train_input_fn(train_x, train_y, batch_size), epochs=1, steps_per_epoch=steps, verbose=0)
        t1, c1 = time.perf_counter(), time.process_time()
        result = model.evaluate(data.eval_input_fn(test_x, test_y, batch_size), verbose=0, return_dict=True)
        t2 = time.perf_counter()
        logits_out = model.predict(data.eval_input_fn(data.PREDICT_X, None, batch_size), verbose=0)
        t3 = time.perf_counter()
        results.append(_run(steps, t0, t1, t2, t3, c1 - c0, float(result["accuracy"]),
                            [data.SPECIES[i] for i in logits_out.argmax(axis=1)]))
    return {"engine": f"Keras {keras.__version__} (TF {tf.__version__})", "runs": results}


def _run(steps: int, t0: float, t1: float, t2: float, t3: float, train_cpu_s: float, accuracy: float,
         predicted: list) -> dict:
    """One run's figures; CPU time (all threads) beside wall time shows how much a busy machine inflated it."""
    return {"train_s": t1 - t0, "train_cpu_s": train_cpu_s, "steps_per_s": steps / (t1 - t0),
            "evaluate_s": t2 - t1, "predict_s": t3 - t2, "accuracy": accuracy, "predicted": predicted}


WORKERS = {"ours": bench_ours, "keras": bench_keras}


# ----- the driver ------------------------------------------------------------------------------------

def legacy_python() -> Path:
    return Path(os.environ.get("IRIS_LEGACY_PYTHON") or REPO / ".venv-legacy" / "bin" / "python")


def measure(engine: str, args) -> dict | None:
    """Run one engine's worker in a fresh process; None (with a note) if the real one is not installed."""
    common = ["--steps", str(args.steps), "--batch_size", str(args.batch_size)]
    if args.seed is not None:
        common += ["--seed", str(args.seed)]
    runs = str(args.repeats + 1)  # one cold run, then the repeats
    if engine == "real":
        python = legacy_python()
        if not python.exists():
            print(f"note: no legacy venv at {python}; the real tf.estimator is left out "
                  "(bash scripts/make_legacy_venv.sh, or set IRIS_LEGACY_PYTHON)", file=sys.stderr)
            return None
        command = [str(python), str(REAL_ESTIMATOR), "bench", *common, "--repeats", runs]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, *common, "--repeats", runs]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"{engine}: the benchmark process failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarize(answer: dict) -> dict:
    """Cold = the first run in the process; every other figure is the median over the warm runs."""
    cold, warm = answer["runs"][0], answer["runs"][1:] or answer["runs"][:1]
    median = {key: statistics.median(run[key] for run in warm)
              for key in ("train_s", "train_cpu_s", "steps_per_s", "evaluate_s", "predict_s", "accuracy",
                          "one_step_s") if key in cold}
    return {
        "engine": answer["engine"],
        **median,
        "retrain_s": median["train_s"],
        "cold_train_s": cold["train_s"],
        "all_predictions_right": all(run["predicted"] == ["Setosa", "Versicolor", "Virginica"]
                                     for run in answer["runs"]),
        "runs": answer["runs"],
        **({"input_pipeline_ms": answer["input_pipeline_ms"]} if "input_pipeline_ms" in answer else {}),
        **({"explorer": answer["explorer"]} if "explorer" in answer else {}),
        **({"nan_guard": answer["nan_guard"]} if "nan_guard" in answer else {}),
    }


def table(summaries: dict[str, dict]) -> str:
    header = ("engine", "train (s)", "train CPU (s)", "steps/s", "evaluate (s)", "predict (s)", "cold train (s)",
              "1-step train (s)", "input alone (ms/batch)", "test acc.", "3/3 right")
    rows = [header]
    for engine, s in summaries.items():
        rows.append((LABELS[engine], f"{s['train_s']:.3f}", f"{s['train_cpu_s']:.3f}", f"{s['steps_per_s']:.0f}",
                     f"{s['evaluate_s']:.3f}", f"{s['predict_s']:.3f}", f"{s['cold_train_s']:.3f}",
                     f"{s['one_step_s']:.3f}" if "one_step_s" in s else "-",
                     f"{s['input_pipeline_ms']:.3f}" if "input_pipeline_ms" in s else "-", f"{s['accuracy']:.3f}",
                     "yes" if s["all_predictions_right"] else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def verdict(summaries: dict[str, dict]) -> list[str]:
    lines = []
    if "ours" in summaries:
        lines.append(f"retrain 1000 steps in a fresh model_dir (warm process; issue 4 wants <= 1 s): "
                     f"{summaries['ours']['retrain_s']:.3f} s")
        clicks = summaries["ours"].get("explorer")
        if clicks:
            lines.append(f"explorer Train click, {clicks['training_s']:.3f} s to train and evaluate (no figures, no predictions); "
                         f"{clicks['with_figures_s']:.3f} s with its figures redrawn")
            phases = clicks.get("phases_s")
            if phases:
                lines.append("  where the click with figures goes (median s): " + ", ".join(
                    f"{name.replace('_', ' ')} {seconds:.3f}" for name, seconds in phases.items())
                    + ("" if clicks.get("helper_process") else " (no helper process: every figure drawn here)"))
        guard = summaries["ours"].get("nan_guard")
        if guard:
            lines.append(f"NaN guard (loss fetched and checked every step): {guard['cost_us_per_step']:.1f} us per "
                         f"step, {guard['cost_percent']:+.1f}% of the training steps' CPU time")
    for engine in ("ours", "real"):
        if engine in summaries and "input_pipeline_ms" in summaries[engine]:
            s = summaries[engine]
            step_ms = 1000 / s["steps_per_s"]
            lines.append(f"{LABELS[engine]}: train() takes {step_ms:.3f} ms a step (its graph build included); the "
                         f"guide's input pipeline alone {s['input_pipeline_ms']:.3f} ms a batch; a 1-step train "
                         f"{s['one_step_s']:.3f} s")
    for other in ("real", "keras"):
        if "ours" in summaries and other in summaries:
            for key, what in (("train_s", "train"), ("evaluate_s", "evaluate"), ("predict_s", "predict"),
                              ("one_step_s", "1-step train")):
                if key not in summaries[other]:
                    continue
                ratio = summaries[other][key] / summaries["ours"][key]
                lines.append(f"{what}: ours is {ratio:.1f}x as fast as {LABELS[other]}")
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per engine (the median is reported)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1, help="tf_random_seed / Keras seed")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of ours,keras,real")
    parser.add_argument("--json", type=Path, default=None, help="also write the full results here")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.worker:  # inside a worker process: time, print JSON, done
        answer = WORKERS[args.worker](args.steps, args.batch_size, args.repeats, args.seed)
        print(json.dumps(answer))
        return answer

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    summaries = {}
    for engine in engines:
        print(f"measuring {LABELS[engine]} ...", file=sys.stderr, flush=True)
        answer = measure(engine, args)
        if answer is not None:
            summaries[engine] = summarize(answer)
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"steps": args.steps, "batch_size": args.batch_size, "repeats": args.repeats, "seed": args.seed},
        "engines": summaries,
    }
    print(f"\n{args.steps} steps at batch {args.batch_size}; median of {args.repeats} warm runs per engine, "
          f"each engine in its own process; cold = its first run. Load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs.\n")
    print(table(summaries))
    print()
    for line in verdict(summaries):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return report


if __name__ == "__main__":
    main()
