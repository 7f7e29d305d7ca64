"""SavedModels and the REAL tf.estimator (TensorFlow 2.15): export, describe, and serve the three flowers.

Run with the legacy venv's python by tests/test_parity_export.py; `describe` and `serve` work on any
SavedModel (ours or the real one's), so both are read by the same code in each TensorFlow version. Each
subcommand prints one JSON object on stdout:

    python real_export.py export MODEL_DIR EXPORT_BASE --receiver parsing|raw   # the real export_saved_model
    python real_export.py describe EXPORT_DIR     # tags, signatures: method, inputs/outputs dtype+shape+name
    python real_export.py serve EXPORT_DIR --receiver parsing|raw   # every signature on the guide's 3 flowers
    python real_export.py parity MODEL_DIR EXPORT_BASE --ours parsing=DIR raw=DIR   # all of it, one start-up
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from iris_lib.data import CSV_COLUMN_NAMES, PREDICT_X  # noqa: E402  (pandas only, no TensorFlow)

FEATURES = [name for name in CSV_COLUMN_NAMES if name != "Species"]


def receiver_fn(kind: str):
    """The serving_input_receiver_fn of the parity test, built with the running TensorFlow's tf.estimator."""
    export = tf.estimator.export
    if kind == "parsing":
        columns = [tf.feature_column.numeric_column(key) for key in FEATURES]
        return export.build_parsing_serving_input_receiver_fn(tf.feature_column.make_parse_example_spec(columns))
    return export.build_raw_serving_input_receiver_fn({key: tf.constant([[0.0]]) for key in FEATURES})


def export_real(model_dir: str, export_base: str, kind: str, model: str = "custom") -> dict:
    """The real export_saved_model of the guide's custom Estimator, or of the canned V1 DNNClassifier."""
    if model == "canned":
        columns = [tf.feature_column.numeric_column(key) for key in FEATURES]
        classifier = tf.compat.v1.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns,
                                                          n_classes=3, model_dir=model_dir)
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        import real_estimator  # the guide's model_fn on the real tf.estimator

        classifier = real_estimator.make_classifier(model_dir, None, {key: None for key in FEATURES})
    path = classifier.export_saved_model(export_base, receiver_fn(kind))
    return {"export_dir": path.decode(), "type": type(path).__name__}


def describe(export_dir: str) -> dict:
    """Everything a serving client depends on, read from saved_model.pb (or .pbtxt)."""
    from tensorflow.core.protobuf import saved_model_pb2
    from google.protobuf import text_format

    saved_model = saved_model_pb2.SavedModel()
    pb = Path(export_dir, "saved_model.pb")
    if pb.exists():
        saved_model.ParseFromString(pb.read_bytes())
    else:
        text_format.Parse(Path(export_dir, "saved_model.pbtxt").read_text(), saved_model)

    def tensors(infos) -> dict:
        return {key: {"dtype": tf.dtypes.as_dtype(info.dtype).name, "name": info.name,
                      "shape": None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]}
                for key, info in infos.items()}

    graphs = []
    for meta_graph in saved_model.meta_graphs:
        graphs.append({
            "tags": sorted(meta_graph.meta_info_def.tags),
            "signatures": {name: {"method_name": sig.method_name, "inputs": tensors(sig.inputs),
                                  "outputs": tensors(sig.outputs)}
                           for name, sig in meta_graph.signature_def.items()},
            "collections": sorted(meta_graph.collection_def),
        })
    files = sorted(str(p.relative_to(export_dir)) for p in Path(export_dir).rglob("*") if p.is_file())
    variables = sorted(name for name, _ in tf.train.list_variables(os.path.join(export_dir, "variables", "variables")))
    return {"meta_graphs": graphs, "files": files, "variables": variables}


def serving_inputs(kind: str) -> dict:
    """The guide's three flowers, as the serving_default signature of each receiver wants them."""
    if kind == "parsing":
        examples = []
        for i in range(len(PREDICT_X[FEATURES[0]])):
            feature = {key: tf.train.Feature(float_list=tf.train.FloatList(value=[PREDICT_X[key][i]]))
                       for key in FEATURES}
            examples.append(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
        return {"examples": tf.constant(examples)}
    return {key: tf.constant([[v] for v in PREDICT_X[key]], dtype=tf.float32) for key in FEATURES}


def serve(export_dir: str, kind: str) -> dict:
    """Load with the running TensorFlow (tf.saved_model.load); {signature: outputs} for the 3 flowers."""
    signatures = tf.saved_model.load(export_dir).signatures
    served = {}
    for name in sorted(signatures):
        wanted = signatures[name].structured_input_signature[1]
        feeds = serving_inputs(kind)
        if list(wanted) == ["inputs"]:  # classify/regress signatures take the tf.Examples as `inputs`
            feeds = {"inputs": feeds["examples"]}
        outputs = signatures[name](**feeds)
        served[name] = {key: _jsonable(value.numpy().tolist()) for key, value in outputs.items()}
    return served


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.decode() if isinstance(value, bytes) else value


def parity(model_dir: str, export_base: str, ours: list[str], model: str = "custom") -> dict:
    """Export with the real engine for each receiver, then describe and serve both engines' SavedModels."""
    answer = {}
    for item in ours:
        kind, our_dir = item.split("=", 1)
        real = export_real(model_dir, os.path.join(export_base, f"real_{model}_{kind}"), kind, model)
        answer[kind] = {"real_export": real}
        for engine, export_dir in (("ours", our_dir), ("real", real["export_dir"])):
            answer[kind][engine] = {"export_dir": export_dir, "describe": describe(export_dir),
                                    "serve": serve(export_dir, kind)}
    return answer


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("export")
    command.add_argument("model_dir")
    command.add_argument("export_base")
    command.add_argument("--receiver", choices=["parsing", "raw"], required=True)
    command = commands.add_parser("describe")
    command.add_argument("export_dir")
    command = commands.add_parser("serve")
    command.add_argument("export_dir")
    command.add_argument("--receiver", choices=["parsing", "raw"], required=True)
    command = commands.add_parser("parity")
    command.add_argument("model_dir")
    command.add_argument("export_base")
    command.add_argument("--ours", nargs="+", required=True, metavar="RECEIVER=EXPORT_DIR")
    command.add_argument("--model", choices=["custom", "canned"], default="custom")
    args = parser.parse_args(argv)
    if args.command == "parity":
        return parity(args.model_dir, args.export_base, args.ours, args.model)
    if args.command == "export":
        return export_real(args.model_dir, args.export_base, args.receiver)
    if args.command == "describe":
        return describe(args.export_dir)
    return serve(args.export_dir, args.receiver)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
