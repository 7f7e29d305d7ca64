"""The book's introduction (intro.md): what it says about tf.estimator itself, and its facts.

    python tests/legacy/claims/intro.py real|ours WORKDIR
"""
from ledger import Claim, eval_input_fn, guide_model_fn, guide_params, load_iris, main, numeric_columns, train_input_fn

PAGE = "intro.md"

CLAIMS = [
    Claim("intro-estimator-removed-in-2-16", PAGE,
          quote="`tf.estimator` was removed in TensorFlow 2.16.",
          says="A plain `import tensorflow` has tf.estimator up to TensorFlow 2.15 and none from 2.16 on (here: "
               "2.15 has it, the engine's newer TensorFlow does not).",
          shows=("plain_tensorflow",),
          holds=lambda f: f["plain_tensorflow"]["has_estimator"] == (
              tuple(int(p) for p in f["plain_tensorflow"]["version"].split(".")) < (2, 16))),
    Claim("intro-writes-the-same-files", PAGE,
          quote="It behaves as the original did and writes the same files",
          says="train(), evaluate() and export_saved_model() leave the same kinds of file in model_dir: the "
               "checkpoint files and `checkpoint`, graph.pbtxt, event files, eval/ events, and a SavedModel "
               "(saved_model.pb, variables/) in a timestamped folder.",
          shows=("model_dir_files",),
          holds=lambda f: f["model_dir_files"] == [
              "checkpoint", "eval/events.out.tfevents.*", "events.out.tfevents.*", "export/<timestamp>/saved_model.pb",
              "export/<timestamp>/variables/variables.data-00000-of-00001",
              "export/<timestamp>/variables/variables.index", "graph.pbtxt", "model.ckpt-0.data-00000-of-00001",
              "model.ckpt-0.index", "model.ckpt-0.meta", "model.ckpt-20.data-00000-of-00001", "model.ckpt-20.index",
              "model.ckpt-20.meta"]),
]


def facts(tf, workdir):
    import os
    import re
    import subprocess
    import sys

    probe = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; print(tf.__version__); print(hasattr(tf, 'estimator'))"],
        capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), check=True)
    version, has_estimator = probe.stdout.split()[-2:]

    (train_x, train_y), (test_x, test_y) = load_iris()
    model_dir = workdir / "m"
    estimator = tf.estimator.Estimator(guide_model_fn(tf), model_dir=str(model_dir),
                                       config=tf.estimator.RunConfig(tf_random_seed=7), params=guide_params(tf))
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=20)
    estimator.evaluate(lambda: eval_input_fn(tf, test_x, test_y))
    spec = tf.feature_column.make_parse_example_spec(numeric_columns(tf))
    estimator.export_saved_model(str(model_dir / "export"),
                                 tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))
    files = []
    for folder, _, names in os.walk(model_dir):
        for name in names:
            path = os.path.relpath(os.path.join(folder, name), model_dir)
            path = re.sub(r"events\.out\.tfevents\..*", "events.out.tfevents.*", path)
            path = re.sub(r"^export/\d+/", "export/<timestamp>/", path)
            files.append(path)
    return {
        "plain_tensorflow": {"version": ".".join(version.split(".")[:2]), "has_estimator": has_estimator == "True"},
        "model_dir_files": sorted(set(files)),
    }


if __name__ == "__main__":
    main(facts)
