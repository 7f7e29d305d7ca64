"""Chapter 10 (export and serve): its claims about tf.estimator's SavedModel export, and their facts.

    python tests/legacy/claims/ch10_export_serving.py real|ours WORKDIR
"""
from ledger import (CSV_COLUMNS, Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, tf2,
                    train_input_fn)

PAGE = "chapters/10_export_serving.ipynb"

PREDICT_X = {"SepalLength": [5.1, 5.9, 6.9], "SepalWidth": [3.3, 3.0, 3.1],
             "PetalLength": [1.7, 4.2, 5.4], "PetalWidth": [0.5, 1.5, 2.1]}
SPECIES = ["Setosa", "Versicolor", "Virginica"]
FEATURES = CSV_COLUMNS[:4]

CLAIMS = [
    Claim("serving-receiver-tensors-and-features", PAGE,
          quote="it returns a `ServingInputReceiver` made of\nthe *receiver tensors* (the placeholders a request fills) "
                "and the *features* (what the model function\nreceives, built from them)",
          says="export_saved_model calls the model function on the receiver's features: the parsing receiver's one "
               "string placeholder 'examples' becomes the four feature tensors the model function receives.",
          shows=("parsing_receiver", "export_calls"),
          holds=lambda f: f["parsing_receiver"]["receiver_tensors"] == {"examples": ["string", [None]]}
          and all(features == sorted(FEATURES) for _, features in f["export_calls"])),
    Claim("parsing-receiver-uses-the-columns-spec", PAGE,
          quote="The classic receiver takes serialized `tf.Example` records, one string per\nflower, and parses them "
                "with the same specification the feature columns imply",
          says="make_parse_example_spec of the four numeric columns is FixedLenFeature((1,), float32) for each, and "
               "build_parsing_serving_input_receiver_fn parses a batch of strings into [batch, 1] float features.",
          shows=("parse_spec", "parsing_receiver"),
          holds=lambda f: f["parse_spec"] == {k: ["FixedLenFeature", [1], "float32", None] for k in FEATURES}
          and f["parsing_receiver"]["features"] == {k: ["float32", [None, 1]] for k in FEATURES}),
    Claim("raw-receiver-is-placeholders-as-features", PAGE,
          quote="this is what `build_raw_serving_input_receiver_fn` does for you",
          says="build_raw_serving_input_receiver_fn makes one placeholder per feature, of any batch size, and uses "
               "the same tensors as receiver tensors and features, as the hand-written raw_receiver_fn does.",
          shows=("raw_builder",),
          holds=lambda f: f["raw_builder"]["features_are_receiver_tensors"]
          and f["raw_builder"]["placeholders"] == {k: ["Placeholder", "float32", [None]] for k in FEATURES}),
    Claim("export-predict-mode-latest-checkpoint", PAGE,
          quote="calls the model function in PREDICT\nmode on the receiver's features, restores the latest checkpoint "
                "into that graph",
          says="export_saved_model calls the model_fn once in PREDICT mode per export and restores the latest "
               "checkpoint (without one it raises ValueError); the export answers as predict() does.",
          shows=("export_calls", "no_checkpoint_export_error", "fresh_process_same_probabilities"),
          holds=lambda f: [mode for mode, _ in f["export_calls"]] == ["infer", "infer"]
          and f["no_checkpoint_export_error"] == "ValueError" and f["fresh_process_same_probabilities"]),
    Claim("export-timestamped-folder", PAGE,
          quote="writes the lot\nto a new folder under `export_dir_base`, named by the time of the export",
          says="export_saved_model writes into a new subfolder of export_dir_base named by the export's Unix time in "
               "seconds, and leaves nothing else there.",
          shows=("export_dir_names_are_export_times", "export_dirs_under_their_base",
                 "export_base_holds_only_the_export"),
          holds=lambda f: f["export_dir_names_are_export_times"]
          and f["export_dirs_under_their_base"] == ["export_parsing", "export_raw"]
          and f["export_base_holds_only_the_export"] == [True]),
    Claim("export-files", PAGE,
          quote="`export_saved_model` writes `saved_model.pb` and `variables/` into a timestamped folder",
          says="The export folder holds saved_model.pb and variables/variables.{index,data-00000-of-00001} "
               "(no assets for a model without vocabulary files).",
          shows=("export_listing", "export_listing_parsing"),
          holds=lambda f: f["export_listing"] == f["export_listing_parsing"] == [
              "saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"]),
    Claim("no-export-outputs-one-serving-default", PAGE,
          quote="Our model function returns no `export_outputs`, so the Estimator makes one signature,\n"
                "`serving_default`, with every entry of `predictions` as an output.",
          says="Without export_outputs, the SavedModel has exactly one signature, serving_default, whose outputs are "
               "the predictions dict's keys.",
          shows=("signatures_raw",),
          holds=lambda f: sorted(f["signatures_raw"][0]["signatures"]) == ["serving_default"]
          and sorted(f["signatures_raw"][0]["signatures"]["serving_default"]["outputs"])
          == ["class_ids", "logits", "probabilities"]),
    Claim("serve-tag-inputs-predict-method", PAGE,
          quote="One *tag set* (`serve`) holds the prediction graph; its `serving_default` signature names the inputs\n"
                "(our four placeholders, a batch of any size: shape `(-1)`)",
          says="The export has one meta graph tagged 'serve'; serving_default's inputs are the four float "
               "placeholders of shape (-1) and its method is tensorflow/serving/predict.",
          shows=("signatures_raw",),
          holds=lambda f: len(f["signatures_raw"]) == 1 and f["signatures_raw"][0]["tags"] == ["serve"]
          and f["signatures_raw"][0]["signatures"]["serving_default"]["inputs"]
          == {k: ["float32", [-1]] for k in FEATURES}
          and f["signatures_raw"][0]["signatures"]["serving_default"]["method"] == "tensorflow/serving/predict"),
    Claim("parsing-export-examples-input", PAGE,
          quote="The parsing export differs\nonly in its input: one string tensor, `examples`, of serialized "
                "`tf.Example`s",
          says="The parsing export's serving_default has one input, 'examples' (string, shape (-1)), the same "
               "outputs and method as the raw export's, and answers the same classes from tf.Example records.",
          shows=("signatures_parsing", "parsing_export_same_classes"),
          holds=lambda f: f["signatures_parsing"][0]["signatures"]["serving_default"]["inputs"]
          == {"examples": ["string", [-1]]}
          and f["signatures_parsing"][0]["signatures"]["serving_default"]["outputs"]
          == f["signatures_raw"][0]["signatures"]["serving_default"]["outputs"]
          and f["parsing_export_same_classes"]),
    Claim("savedmodel-loads-without-the-estimator", PAGE,
          quote="The SavedModel needs neither `iris_lib` nor the model function: the graph is inside.",
          says="A fresh process that imports only TensorFlow (neither iris_lib nor tensorflow_estimator) loads the "
               "export with tf.saved_model.load and its serving_default answers predict()'s classes and "
               "probabilities.",
          shows=("fresh_process_imports", "fresh_process_same_classes", "fresh_process_same_probabilities"),
          holds=lambda f: f["fresh_process_imports"] == {"estimator_imported": False, "iris_lib_imported": False}
          and f["fresh_process_same_classes"] and f["fresh_process_same_probabilities"]),
    Claim("predict-rebuilds-and-restores-every-call", PAGE,
          quote="Every call of `Estimator.predict()` starts from nothing: it calls `input_fn`, builds a new graph with "
                "the\nmodel function, creates a session, restores the checkpoint from disk, runs, and throws it all "
                "away.",
          says="Each predict() call calls input_fn and the model_fn (PREDICT) once, in a new graph, and restores the "
               "latest checkpoint: a checkpoint written between two calls changes the second call's answers.",
          shows=("predict_model_fn_calls_per_predict", "predict_graphs_distinct", "predict_input_fn_calls",
                 "predict_same_twice", "predict_sees_new_checkpoint"),
          holds=lambda f: f["predict_model_fn_calls_per_predict"] == ["infer", "infer"]
          and f["predict_graphs_distinct"] and f["predict_input_fn_calls"] == 3
          and f["predict_same_twice"] and f["predict_sees_new_checkpoint"]),
    Claim("predict-once-over-a-generator", PAGE,
          quote="call `predict` once with an `input_fn` that\nyields all the requests (a generator-backed "
                "`tf.data.Dataset`)",
          says="One predict() call over a generator-backed Dataset of three requests builds the graph once (one "
               "input_fn and one model_fn call) and yields the three answers.",
          shows=("generator_predict",),
          holds=lambda f: f["generator_predict"] == {"model_fn_calls": 1, "input_fn_calls": 1, "predictions": 3,
                                                     "same_classes": True}),
    Claim("export-leaves-out-optimizer-slots", PAGE,
          quote="PREDICT graph, which has no optimizer, so the Adagrad accumulators are left out.",
          says="The export's variables are the checkpoint's minus the Adagrad slots: 7 of 13 (the six weights and "
               "global_step).",
          shows=("exported_vs_checkpointed_counts", "exported_variables_subset_of_checkpoint",
                 "missing_variables_all_adagrad", "exported_include_global_step"),
          holds=lambda f: f["exported_vs_checkpointed_counts"] == [7, 13]
          and f["exported_variables_subset_of_checkpoint"] and f["missing_variables_all_adagrad"]
          and f["exported_include_global_step"]),
    Claim("premade-classify-tiles-class-names", PAGE,
          quote="every row holds the three species names, as the pre-made classifiers export it (they tile the\n"
                "class names over the batch)",
          says="A pre-made DNNClassifier's classify signatures ('classification', and 'serving_default') output "
               "classes of shape [N, n_classes], the class names tiled in every row, the shape of scores "
               "(TensorFlow Serving's Classify pairs classes[i][c] with scores[i][c] and rejects differing widths).",
          shows=("canned_classes", "signatures_canned"),
          holds=lambda f: f["canned_classes"] == {"shape": [3, 3], "rows": [["0", "1", "2"]] * 3}
          and all(f["signatures_canned"][0]["signatures"][key]["outputs"]
                  == {"classes": ["string", [-1, 3]], "scores": ["float32", [-1, 3]]}
                  and f["signatures_canned"][0]["signatures"][key]["method"] == "tensorflow/serving/classify"
                  for key in ("classification", "serving_default"))),
    Claim("export-outputs-make-the-signatures", PAGE,
          quote="assert methods == {'classify': 'tensorflow/serving/classify', 'serving_default': "
                "'tensorflow/serving/predict'}",
          says="With export_outputs {'serving_default': PredictOutput, 'classify': ClassificationOutput} and the "
               "parsing receiver, the SavedModel has exactly those two signatures, with the predict and classify "
               "methods; classify takes 'inputs' and answers scores and classes of shape [3, 3].",
          shows=("signatures_classify", "classify_answer"),
          holds=lambda f: {k: v["method"] for k, v in f["signatures_classify"][0]["signatures"].items()}
          == {"classify": "tensorflow/serving/classify", "serving_default": "tensorflow/serving/predict"}
          and f["signatures_classify"][0]["signatures"]["classify"]["inputs"] == {"inputs": ["string", [-1]]}
          and f["classify_answer"]["scores_shape"] == f["classify_answer"]["classes_shape"] == [3, 3]),
]



# A fresh process that imports only TensorFlow, loads the export and calls serving_default.
LOAD_AND_PREDICT = '''
import json, sys
import tensorflow as tf
serving = tf.saved_model.load(sys.argv[1]).signatures['serving_default']
flowers = json.loads(sys.argv[2])
outputs = serving(**{key: tf.constant(values, tf.float32) for key, values in flowers.items()})
print(json.dumps({"class_ids": outputs["class_ids"].numpy().tolist(),
                  "probabilities": outputs["probabilities"].numpy().tolist(),
                  "iris_lib_imported": any(name.startswith("iris_lib") for name in sys.modules),
                  "estimator_imported": any(name.startswith("tensorflow_estimator") for name in sys.modules)}))
'''


def _signatures(export_dir):
    """The SavedModel's meta graphs: tags, and each signature's method, inputs (dtype, shape) and outputs."""
    from pathlib import Path

    from tensorflow.core.protobuf import saved_model_pb2
    from tensorflow.python.framework import dtypes
    saved_model = saved_model_pb2.SavedModel.FromString((Path(export_dir) / "saved_model.pb").read_bytes())

    def info(tensor_info):
        shape = [d.size for d in tensor_info.tensor_shape.dim] if not tensor_info.tensor_shape.unknown_rank else None
        return [dtypes.as_dtype(tensor_info.dtype).name, shape]
    return [{"tags": sorted(meta_graph.meta_info_def.tags),
             "signatures": {key: {"method": sig.method_name,
                                  "inputs": {k: info(v) for k, v in sorted(sig.inputs.items())},
                                  "outputs": {k: info(v) for k, v in sorted(sig.outputs.items())}}
                            for key, sig in sorted(meta_graph.signature_def.items())}}
            for meta_graph in saved_model.meta_graphs]


def facts(tf, workdir):
    import json
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import numpy as np

    (train_x, train_y), _ = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    calls = []  # (mode, graph) of every model_fn call
    input_fn_calls = []

    def recording_model_fn(features, labels, mode, params):
        calls.append((mode, tf.get_default_graph(), sorted(features)))
        return model_fn(features, labels, mode, params)

    config = tf.estimator.RunConfig(tf_random_seed=7)
    model_dir = workdir / "m"
    classifier = tf.estimator.Estimator(recording_model_fn, model_dir=str(model_dir), config=config, params=params)

    # The raw receiver, written out.
    def raw_receiver_fn():
        features = {key: tf.placeholder(tf.float32, shape=[None], name=key) for key in CSV_COLUMNS[:4]}
        return tf.estimator.export.ServingInputReceiver(features=features, receiver_tensors=features)

    # No checkpoint yet: nothing to export.
    no_checkpoint_error = error_name(lambda: classifier.export_saved_model(str(workdir / "none"), raw_receiver_fn))
    classifier.train(lambda: train_input_fn(tf, train_x, train_y), steps=100)

    # The parsing receiver, and the spec the feature columns imply.
    feature_spec = tf.feature_column.make_parse_example_spec(params["feature_columns"])
    parse_spec = {key: [type(spec).__name__, list(spec.shape), spec.dtype.name, spec.default_value]
                  for key, spec in sorted(feature_spec.items())}
    parsing_receiver_fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(feature_spec)
    with tf.Graph().as_default():
        receiver = parsing_receiver_fn()
        parsing_receiver = {
            "receiver_tensors": {k: [v.dtype.name, v.shape.as_list()] for k, v in receiver.receiver_tensors.items()},
            "features": {k: [v.dtype.name, v.shape.as_list()] for k, v in sorted(receiver.features.items())}}

    # The raw receiver: build_raw_serving_input_receiver_fn's features are its receiver tensors.
    with tf.Graph().as_default():
        examples = {k: tf.constant([1.0, 2.0]) for k in CSV_COLUMNS[:4]}
        built = tf.estimator.export.build_raw_serving_input_receiver_fn(examples)()
        raw_builder = {
            "features_are_receiver_tensors": sorted(built.features) == sorted(built.receiver_tensors) and all(
                built.features[k] is built.receiver_tensors[k] for k in built.features),
            "placeholders": {k: [v.op.type, v.dtype.name, v.shape.as_list()]
                             for k, v in sorted(built.receiver_tensors.items())}}

    # Two exports of the same model into their own base folders.
    del calls[:]
    start = int(time.time())
    parsing_dir = Path(classifier.export_saved_model(str(workdir / "export_parsing"), parsing_receiver_fn).decode())
    raw_dir = Path(classifier.export_saved_model(str(workdir / "export_raw"), raw_receiver_fn).decode())
    end = int(time.time())
    export_calls = [(mode, features) for mode, _, features in calls]

    def listing(directory):
        return sorted(p.relative_to(directory).as_posix() for p in Path(directory).rglob("*") if p.is_file())

    # predict(): every call builds its graph anew and restores the latest checkpoint.
    def predict_input_fn():
        input_fn_calls.append(1)
        return eval_input_fn(tf, PREDICT_X)
    del calls[:]
    first = list(classifier.predict(predict_input_fn))
    second = list(classifier.predict(predict_input_fn))
    predict_calls = [(mode, id(graph)) for mode, graph, _ in calls]
    classifier.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
    third = list(classifier.predict(predict_input_fn))

    # One predict() call over a generator-backed dataset that yields the requests one by one.
    def requests():
        for i in range(3):
            yield {key: [values[i]] for key, values in PREDICT_X.items()}

    def generator_input_fn():
        input_fn_calls.append(1)
        return tf.data.Dataset.from_generator(
            requests, output_types={k: tf.float32 for k in PREDICT_X},
            output_shapes={k: tf.TensorShape([None]) for k in PREDICT_X})
    predict_input_fn_calls = len(input_fn_calls)
    del calls[:], input_fn_calls[:]
    from_generator = list(classifier.predict(generator_input_fn))
    generator_predict = {"model_fn_calls": len(calls), "input_fn_calls": len(input_fn_calls),
                         "predictions": len(from_generator),
                         "same_classes": [int(p["class_ids"][0]) for p in from_generator]
                         == [int(p["class_ids"][0]) for p in third]}

    # A fresh process with nothing but TensorFlow loads the raw export.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, str(raw_dir), json.dumps(PREDICT_X)],
                            capture_output=True, text=True, env=env, cwd=str(workdir))
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])

    # The parsing export answers tf.Example records (in this process, with TensorFlow 2).
    tf_2 = tf2()

    def to_example(i):
        return tf.train.Example(features=tf.train.Features(feature={
            key: tf.train.Feature(float_list=tf.train.FloatList(value=[values[i]]))
            for key, values in PREDICT_X.items()})).SerializeToString()
    serialized = [to_example(i) for i in range(3)]
    parsing_serving = tf_2.saved_model.load(str(parsing_dir)).signatures["serving_default"]
    from_examples = parsing_serving(examples=tf_2.constant(serialized))["class_ids"].numpy()[:, 0].tolist()

    # Exercise 1: the export's variables against the checkpoint's.
    exported = dict(tf.train.list_variables(str(raw_dir / "variables" / "variables")))
    ckpt = dict(tf.train.list_variables(classifier.latest_checkpoint()))

    # Exercise 2: a second signature, ClassificationOutput with classes tiled to [N, 3].
    def classify_model_fn(features, labels, mode, params):
        spec = model_fn(features, labels, mode, params)
        if mode != tf.estimator.ModeKeys.PREDICT:
            return spec
        probabilities = spec.predictions["probabilities"]
        names = tf.tile(tf.constant(SPECIES)[tf.newaxis, :], [tf.shape(probabilities)[0], 1])
        return tf.estimator.EstimatorSpec(mode, predictions=spec.predictions, export_outputs={
            "serving_default": tf.estimator.export.PredictOutput(spec.predictions),
            "classify": tf.estimator.export.ClassificationOutput(scores=probabilities, classes=names)})
    with_classify = tf.estimator.Estimator(classify_model_fn, model_dir=str(model_dir), config=config, params=params)
    classify_dir = with_classify.export_saved_model(str(workdir / "export_classify"), parsing_receiver_fn).decode()
    loaded = tf_2.saved_model.load(classify_dir)
    answer = loaded.signatures["classify"](inputs=tf_2.constant(serialized))
    classify_answer = {"scores_shape": list(answer["scores"].shape), "classes_shape": list(answer["classes"].shape),
                       "classes": answer["classes"].numpy().tolist()}
    # The same ClassificationOutput with the raw (tensor) receiver: Classify needs one string input.
    raw_classify_dir = with_classify.export_saved_model(str(workdir / "export_classify_raw"), raw_receiver_fn).decode()

    # A pre-made classifier's export: its classify signature's classes.
    canned = tf.estimator.DNNClassifier(hidden_units=[4], feature_columns=params["feature_columns"], n_classes=3,
                                        model_dir=str(workdir / "canned"), config=config)
    canned.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
    canned_dir = canned.export_saved_model(str(workdir / "export_canned"), parsing_receiver_fn).decode()
    canned_loaded = tf_2.saved_model.load(canned_dir)
    canned_answer = canned_loaded.signatures["classification"](inputs=tf_2.constant(serialized))

    prob = lambda predictions: np.array([p["probabilities"] for p in predictions])  # noqa: E731
    return {
        "no_checkpoint_export_error": no_checkpoint_error,
        "parse_spec": parse_spec,
        "parsing_receiver": parsing_receiver,
        "raw_builder": raw_builder,
        "export_calls": export_calls,
        "export_dir_names_are_export_times": all(
            d.name.isdigit() and start <= int(d.name) <= end for d in (parsing_dir, raw_dir)),
        "export_dirs_under_their_base": [parsing_dir.parent.name, raw_dir.parent.name],
        "export_base_holds_only_the_export": sorted(p.name == parsing_dir.name
                                                    for p in (workdir / "export_parsing").iterdir()),
        "export_listing": listing(raw_dir),
        "export_listing_parsing": listing(parsing_dir),
        "signatures_raw": _signatures(raw_dir),
        "signatures_parsing": _signatures(parsing_dir),
        "signatures_classify": _signatures(classify_dir),
        "signatures_classify_raw_receiver": sorted(_signatures(raw_classify_dir)[0]["signatures"]),
        "signatures_canned": _signatures(canned_dir),
        "predict_model_fn_calls_per_predict": [mode for mode, _ in predict_calls],
        "predict_graphs_distinct": len({g for _, g in predict_calls}) == len(predict_calls),
        "predict_input_fn_calls": predict_input_fn_calls,
        "generator_predict": generator_predict,
        "predict_same_twice": bool(np.array_equal(prob(first), prob(second))),
        "predict_sees_new_checkpoint": not bool(np.array_equal(prob(second), prob(third))),
        "fresh_process_imports": {k: served[k] for k in ("iris_lib_imported", "estimator_imported")},
        "fresh_process_same_classes": served["class_ids"] == [p["class_ids"].tolist() for p in first],
        "fresh_process_same_probabilities": bool(np.allclose(served["probabilities"], prob(first), atol=1e-6)),
        "parsing_export_same_classes": from_examples == [int(p["class_ids"][0]) for p in first],
        "exported_variables_subset_of_checkpoint": set(exported) < set(ckpt),
        "missing_variables_all_adagrad": all("Adagrad" in n for n in set(ckpt) - set(exported)),
        "exported_vs_checkpointed_counts": [len(exported), len(ckpt)],
        "exported_include_global_step": "global_step" in exported,
        "classify_answer": classify_answer,
        "canned_classes": {"shape": list(canned_answer["classes"].shape),
                           "rows": canned_answer["classes"].numpy().tolist()},
    }


if __name__ == "__main__":
    main(facts)
