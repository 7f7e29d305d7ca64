"""The layers/canned parity programs (`layers_canned_programs.py`) on the REAL TensorFlow 2.15.

Run with the legacy venv's python only. Every subcommand prints one JSON object on stdout:

    python real_layers_canned.py cnn-train MODEL_DIR --steps 20 [--dropout 0.25]   # then as cnn-report
    python real_layers_canned.py cnn-report MODEL_DIR            # evaluate, predict, variables
    python real_layers_canned.py canned-train NAME MODEL_DIR --steps 20             # then as canned-report
    python real_layers_canned.py canned-report NAME MODEL_DIR
    python real_layers_canned.py canned-train NAME MODEL_DIR --v2   # TF2's tf.estimator (V2 classes)
    python real_layers_canned.py values MODEL_DIR NAME...        # variable values from the checkpoint
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow.compat.v1 as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import layers_canned_programs as programs  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["cnn-train", "cnn-report", "canned-train", "canned-report", "values"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--v2", action="store_true", help="TF2's tf.estimator (the V2 canned classes)")
    args = parser.parse_args(argv)
    if args.command == "values":
        return programs.values(tf, args.args[0], args.args[1:])
    if args.command.startswith("cnn"):
        est = programs.cnn_estimator(tf, tf.estimator, args.args[0], dropout=args.dropout)
        if args.command == "cnn-train":
            est.train(programs.cnn_input_fn(tf), steps=args.steps)
        return programs.report(tf, est, programs.cnn_input_fn(tf, repeat=False),
                               programs.cnn_input_fn(tf, repeat=False))
    name, model_dir = args.args
    if args.v2:
        import tensorflow as tf2

        namespace = tf2.estimator  # TF2's tf.estimator.DNNClassifier is DNNClassifierV2
    else:
        namespace = tf.estimator
    est = programs.canned_estimator(tf, namespace, name, model_dir)
    if args.command == "canned-train":
        est.train(programs.canned_input_fn(tf, name), steps=args.steps)
    return programs.report(tf, est, programs.canned_input_fn(tf, name, repeat=False),
                           programs.canned_input_fn(tf, name, repeat=False, labels=False))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
