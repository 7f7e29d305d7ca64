"""Chapter 8 (summary and next steps): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch08_summary.py real|ours WORKDIR
"""
from ledger import Claim, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "chapters/08_summary.ipynb"

VARIABLES = ["dense/bias", "dense/bias/Adagrad", "dense/kernel", "dense/kernel/Adagrad",
             "dense_1/bias", "dense_1/bias/Adagrad", "dense_1/kernel", "dense_1/kernel/Adagrad",
             "dense_2/bias", "dense_2/bias/Adagrad", "dense_2/kernel", "dense_2/kernel/Adagrad", "global_step"]

CLAIMS = [
    Claim("estimator-deprecated-then-removed", PAGE,
          quote="`tf.estimator` was deprecated in TensorFlow 2 and removed in 2.16.",
          says="On TensorFlow 2.15 tf.estimator exists and its Estimator is marked deprecated; TensorFlow 2.16 and "
               "later have no tf.estimator (and no tensorflow_estimator package to install beside them).",
          shows=("tensorflow_minor", "tensorflow_has_estimator", "estimator_marked_deprecated"),
          holds=lambda f: (f["tensorflow_minor"] <= 15 and f["tensorflow_has_estimator"]
                           and f["estimator_marked_deprecated"])
          or (f["tensorflow_minor"] >= 16 and not f["tensorflow_has_estimator"])),
    Claim("same-programming-model-premade", PAGE,
          quote="Same input functions, same feature columns, same `train`, `evaluate` and `predict`,\n"
                "same checkpoints and TensorBoard logs.",
          says="A pre-made DNNClassifier, fed the same input functions and feature columns, leaves the same kinds of "
               "files in model_dir as the custom Estimator and predicts class_ids and probabilities.",
          shows=("premade_file_kinds", "premade_files_same_as_custom", "premade_prediction_keys_include"),
          holds=lambda f: f["premade_files_same_as_custom"] and f["premade_prediction_keys_include"]),
    Claim("adagrad-accumulators-start-at-0.1", PAGE,
          quote="Keras's Adagrad starts its accumulators at 0.1, as TensorFlow 1's `AdagradOptimizer` did",
          says="The Adagrad slot variables of tf.train.AdagradOptimizer hold 0.1 in the step-0 checkpoint.",
          shows=("adagrad_slots_at_step_0_are_0_1",),
          holds=lambda f: f["adagrad_slots_at_step_0_are_0_1"]),
    Claim("input-layer-sorts-columns", PAGE,
          quote="where `input_layer` sorted the columns by\nname.",
          says="input_layer orders its output by feature column name (PetalLength, PetalWidth, SepalLength, "
               "SepalWidth), not in the order the columns are given.",
          shows=("input_layer_row",),
          holds=lambda f: f["input_layer_row"] == [3.0, 4.0, 1.0, 2.0]),
    Claim("global-step-counts-minimize-steps", PAGE,
          quote="the Estimator counts steps in the `global_step` variable\nthat `minimize` increments",
          says="After train(steps=200) the global_step variable is 200.",
          shows=("global_step_after_200",),
          holds=lambda f: f["global_step_after_200"] == 200),
    Claim("variable-names-and-sizes", PAGE,
          quote="(`dense/kernel`, `dense/bias`, ... in\n`classifier.get_variable_names()`, leaving out the optimizer's "
                "`Adagrad` slots and `global_step`)",
          says="get_variable_names() lists dense*/kernel and bias, their Adagrad slots and global_step; the six "
               "trainable ones hold 193 values.",
          shows=("variable_names", "trainable_values"),
          holds=lambda f: f["variable_names"] == VARIABLES and f["trainable_values"] == 193),
    Claim("second-train-resumes", PAGE,
          quote="A second `classifier.train(steps=200)` resumes from the latest checkpoint in\n`model_dir`.",
          says="A second train(steps=200) continues from the newest checkpoint: global_step goes 200 -> 400, and an "
               "Estimator built anew on the model_dir does the same.",
          shows=("global_step_after_second_train", "global_step_new_object"),
          holds=lambda f: f["global_step_after_second_train"] == 400 and f["global_step_new_object"] == 450),
]


def facts(tf, workdir):
    import importlib.util
    import re
    from pathlib import Path

    import numpy as np
    import tensorflow as raw_tf

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    out = {}

    out["tensorflow_minor"] = int(raw_tf.__version__.split(".")[1])
    out["tensorflow_has_estimator"] = hasattr(raw_tf, "estimator") and \
        importlib.util.find_spec("tensorflow_estimator") is not None
    doc = (getattr(tf.estimator.Estimator.__init__, "__doc__", "") or "")
    out["estimator_marked_deprecated"] = "deprecated" in doc.lower()

    def train_fn():
        return train_input_fn(tf, train_x, train_y)

    def kinds(directory):
        return sorted({str(p.relative_to(directory).with_name(re.sub(
            r"^model\.ckpt-\d+\.", "model.ckpt-N.", re.sub(r"^events\.out\.tfevents\..*$", "events", p.name))))
            for p in Path(directory).rglob("*") if p.is_file()})

    config = tf.estimator.RunConfig(tf_random_seed=7)
    custom = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "custom"), config=config, params=params)
    custom.train(train_fn, steps=200)
    custom.evaluate(lambda: eval_input_fn(tf, test_x, test_y))
    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=params["feature_columns"],
                                         n_classes=3, model_dir=str(workdir / "premade"), config=config)
    premade.train(train_fn, steps=20)
    premade.evaluate(lambda: eval_input_fn(tf, test_x, test_y))
    prediction = next(iter(premade.predict(lambda: eval_input_fn(tf, test_x))))
    out["premade_file_kinds"] = kinds(workdir / "premade")
    out["premade_files_same_as_custom"] = out["premade_file_kinds"] == kinds(workdir / "custom")
    out["premade_prediction_keys_include"] = {"class_ids", "probabilities"} <= set(prediction)

    checkpoint_0 = str(workdir / "custom" / "model.ckpt-0")
    slots = [name for name, _ in tf.train.list_variables(checkpoint_0) if name.endswith("/Adagrad")]
    out["adagrad_slots_at_step_0_are_0_1"] = len(slots) == 6 and all(
        np.allclose(tf.train.load_variable(checkpoint_0, name), 0.1) for name in slots)

    with tf.Graph().as_default():
        row = {"SepalLength": [[1.0]], "SepalWidth": [[2.0]], "PetalLength": [[3.0]], "PetalWidth": [[4.0]]}
        layer = tf.feature_column.input_layer({k: tf.constant(v) for k, v in row.items()}, params["feature_columns"])
        with tf.Session() as session:
            out["input_layer_row"] = [float(v) for v in session.run(layer)[0]]

    out["global_step_after_200"] = int(custom.get_variable_value("global_step"))
    names = custom.get_variable_names()
    out["variable_names"] = sorted(names)
    trainable = [n for n in names if n.startswith("dense") and "Adagrad" not in n]
    out["trainable_values"] = int(sum(custom.get_variable_value(n).size for n in trainable))

    custom.train(train_fn, steps=200)
    out["global_step_after_second_train"] = int(custom.get_variable_value("global_step"))
    anew = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "custom"), config=config, params=params)
    anew.train(train_fn, steps=50)
    out["global_step_new_object"] = int(anew.get_variable_value("global_step"))
    return out


if __name__ == "__main__":
    main(facts)
