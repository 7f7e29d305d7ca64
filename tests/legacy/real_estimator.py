"""The guide's custom Estimator on the REAL tf.estimator (TensorFlow 2.15 + tensorflow-estimator 2.15).

This is the reference iris_lib is measured against: the parity tests and the benchmark run it with the
legacy venv's python (`scripts/make_legacy_venv.sh`), never with the project's. The model function and
input functions are the guide's, from tests/guide/, run under `import tensorflow.compat.v1 as tf`, so
`tf.layers`, `tf.losses`, `tf.metrics`, `tf.train.AdagradOptimizer` and `tf.estimator` are TensorFlow's own.

Every subcommand prints one JSON object on stdout (TensorFlow logs go to stderr):

    python real_estimator.py train MODEL_DIR --steps 1000 --seed 1
    python real_estimator.py evaluate MODEL_DIR
    python real_estimator.py predict MODEL_DIR
    python real_estimator.py restore MODEL_DIR        # evaluate + predict + variables, no training
    python real_estimator.py guide MODEL_DIR --steps 1000 --seed 1   # the guide's main: all of the above
    python real_estimator.py bench --steps 1000 --repeats 3          # timings, measured in this process
    python real_estimator.py initial-weights --seed 1   # does tf_random_seed fix the initial weights?

`--seed` is the RunConfig's `tf_random_seed` and also seeds Python's `random` (see `seed_python_random`).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow.compat.v1 as tf  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from iris_lib.data import PREDICT_X, SPECIES, load_data  # noqa: E402  (pandas only, no TensorFlow)

GUIDE = REPO / "tests" / "guide"
OUR_IMPORT, REAL_IMPORT = "import iris_lib.tf1 as tf\n", "import tensorflow.compat.v1 as tf\n"


# ----- the guide's iris_data.py and model function: the very text our engine runs, on the real tf ----

def load_guide_module(name: str) -> types.ModuleType:
    """Run tests/guide/<name>.py with TensorFlow's own tf.compat.v1 in place of iris_lib.tf1.

    Both engines then run one copy of the guide's code, differing only in that import line.
    """
    path = GUIDE / f"{name}.py"
    source = path.read_text()
    if OUR_IMPORT not in source:
        raise SystemExit(f"{path} no longer has the line {OUR_IMPORT.strip()!r} to swap for the real TensorFlow")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # custom_estimator.py does `import iris_data`
    exec(compile(source.replace(OUR_IMPORT, REAL_IMPORT), str(path), "exec"), module.__dict__)
    return module


iris_data = load_guide_module("iris_data")
train_input_fn, eval_input_fn = iris_data.train_input_fn, iris_data.eval_input_fn
my_model_fn = load_guide_module("custom_estimator").my_model


# ----- the guide's main, split into the calls the tests and the benchmark need ---------------------

def seed_python_random(seed: int | None) -> None:
    """Make the real run reproducible: seed what Keras 2.15 draws the layers' initializer seeds from.

    On TensorFlow 2.15, `tf.compat.v1.layers.dense` is Keras 2.15's legacy layer, whose default Glorot
    initializer ignores the graph-level seed that `RunConfig(tf_random_seed=...)` sets and takes its seed
    from Python's `random.randint` (keras/src/backend.py, `RandomGenerator._create_seed`). So the guide's
    main started from new random weights in every process, whatever `tf_random_seed` said (tested by
    `test_parity_real_estimator.py`), and about one run in 140 ended with dead ReLUs at 0.267 test accuracy.
    Seeding Python's `random` as `tf.keras.utils.set_random_seed` does gives the same weights every time.
    """
    if seed is not None:
        random.seed(seed)


def make_classifier(model_dir: str, seed: int | None, train_x) -> tf.estimator.Estimator:
    # Feature columns describe how to use the input.
    my_feature_columns = []
    for key in train_x.keys():
        my_feature_columns.append(tf.feature_column.numeric_column(key=key))
    return tf.estimator.Estimator(
        model_fn=my_model_fn,
        model_dir=model_dir,
        config=tf.estimator.RunConfig(tf_random_seed=seed),
        params={
            'feature_columns': my_feature_columns,
            # Two hidden layers of 10 nodes each.
            'hidden_units': [10, 10],
            # The model must choose between 3 classes.
            'n_classes': 3,
        })


def do_train(classifier, data, steps: int, batch_size: int) -> dict:
    (train_x, train_y), _ = data
    classifier.train(input_fn=lambda: train_input_fn(train_x, train_y, batch_size), steps=steps)
    return {"global_step": int(classifier.get_variable_value("global_step"))}


def do_evaluate(classifier, data, batch_size: int) -> dict:
    _, (test_x, test_y) = data
    result = classifier.evaluate(input_fn=lambda: eval_input_fn(test_x, test_y, batch_size))
    return {key: value.item() for key, value in result.items()}


def do_predict(classifier, batch_size: int) -> list[dict]:
    predictions = classifier.predict(input_fn=lambda: eval_input_fn(PREDICT_X, labels=None, batch_size=batch_size))
    return [{key: value.tolist() for key, value in p.items()} for p in predictions]


def variables(model_dir: str) -> dict:
    """Name -> shape of every variable in the latest checkpoint, as TensorFlow 2.15 reads it."""
    return {name: list(shape) for name, shape in tf.train.list_variables(tf.train.latest_checkpoint(model_dir))}


def bench(steps: int, batch_size: int, repeats: int, seed: int | None) -> dict:
    """Time train(), evaluate() and predict() of the guide's main, each in a fresh model_dir.

    The first repeat is the first call in this process (cold); the median over repeats is what a
    warm process (a notebook retraining) sees. Graph building is inside each call, as it always was.
    """
    data = load_data()
    seed_python_random(seed)
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as model_dir:
            classifier = make_classifier(model_dir, seed, data[0][0])
            t0, c0 = time.perf_counter(), time.process_time()
            do_train(classifier, data, steps, batch_size)
            t1, c1 = time.perf_counter(), time.process_time()
            result = do_evaluate(classifier, data, batch_size)
            t2 = time.perf_counter()
            predictions = do_predict(classifier, batch_size)
            t3 = time.perf_counter()
        with tempfile.TemporaryDirectory() as model_dir:  # the fixed cost: a 1-step train in a fresh model_dir
            classifier = make_classifier(model_dir, seed, data[0][0])
            t4 = time.perf_counter()
            do_train(classifier, data, 1, batch_size)
            one_step_s = time.perf_counter() - t4
        runs.append({
            "train_s": t1 - t0,
            "train_cpu_s": c1 - c0,
            "steps_per_s": steps / (t1 - t0),
            "evaluate_s": t2 - t1,
            "predict_s": t3 - t2,
            "accuracy": result["accuracy"],
            "predicted": [SPECIES[p["class_ids"][0]] for p in predictions],
            "one_step_s": one_step_s,
        })
    return {"engine": "tf.estimator (TF %s, estimator %s)" % (tf.__version__, _estimator_version()),
            "steps": steps, "batch_size": batch_size, "runs": runs,
            "input_pipeline_ms": input_pipeline_ms(data, steps, batch_size)}


def input_pipeline_ms(data, steps: int, batch_size: int) -> float:
    """The guide's train_input_fn alone: milliseconds per batch its iterator takes in a session (best of 3
    passes of `steps` batches), the floor under every training step of any engine that runs it."""
    (train_x, train_y), _ = data
    graph = tf.Graph()
    with graph.as_default():
        batch = tf.compat.v1.data.make_one_shot_iterator(train_input_fn(train_x, train_y, batch_size)).get_next()
    with tf.compat.v1.Session(graph=graph) as session:
        next_batch = session.make_callable(batch)
        passes = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(steps):
                next_batch()
            passes.append((time.perf_counter() - start) / steps * 1000)
    return min(passes)


def initial_weights(seed: int) -> dict:
    """Digests of the first layer's initial kernel: two builds with random unseeded, two after seeding it.

    Each build is a fresh Estimator with `tf_random_seed=seed` that trains one step; its model.ckpt-0
    holds the initial weights.
    """
    data = load_data()

    def one_build() -> str:
        with tempfile.TemporaryDirectory() as model_dir:
            do_train(make_classifier(model_dir, seed, data[0][0]), data, 1, 100)
            kernel = tf.train.load_variable(os.path.join(model_dir, "model.ckpt-0"), "dense/kernel")
            return hashlib.sha256(kernel.tobytes()).hexdigest()

    unseeded = [one_build(), one_build()]
    seeded = []
    for _ in range(2):
        seed_python_random(seed)
        seeded.append(one_build())
    return {"python_random_unseeded": unseeded, "python_random_seeded": seeded}


def _estimator_version() -> str:
    from importlib.metadata import version

    return version("tensorflow-estimator")


def main(argv: list[str]) -> dict | list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("train", "evaluate", "predict", "restore", "guide"):
        command = commands.add_parser(name)
        command.add_argument("model_dir")
        command.add_argument("--steps", type=int, default=1000)
        command.add_argument("--seed", type=int, default=None)
        command.add_argument("--batch_size", type=int, default=100)
    command = commands.add_parser("bench")
    command.add_argument("--steps", type=int, default=1000)
    command.add_argument("--seed", type=int, default=None)
    command.add_argument("--batch_size", type=int, default=100)
    command.add_argument("--repeats", type=int, default=3)
    command = commands.add_parser("initial-weights")
    command.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    if args.command == "bench":
        return bench(args.steps, args.batch_size, args.repeats, args.seed)
    if args.command == "initial-weights":
        return initial_weights(args.seed)
    data = load_data()
    seed_python_random(args.seed)
    classifier = make_classifier(args.model_dir, args.seed, data[0][0])
    if args.command == "train":
        return do_train(classifier, data, args.steps, args.batch_size)
    if args.command == "evaluate":
        return do_evaluate(classifier, data, args.batch_size)
    if args.command == "predict":
        return do_predict(classifier, args.batch_size)
    out = {}
    if args.command == "guide":
        out["train"] = do_train(classifier, data, args.steps, args.batch_size)
    out["evaluate"] = do_evaluate(classifier, data, args.batch_size)
    out["predict"] = do_predict(classifier, args.batch_size)
    out["variables"] = variables(args.model_dir)
    out["versions"] = {"tensorflow": tf.__version__, "tensorflow-estimator": _estimator_version()}
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
