"""Chapter 1 (pre-made vs custom Estimators): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch01_premade_vs_custom.py real|ours WORKDIR
"""
import inspect

from ledger import Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, numeric_columns, \
    summary_steps_as_meant, tf2, train_input_fn

PAGE = "chapters/01_premade_vs_custom.ipynb"
DIFFERENCES = "https://custom-estimators-hands-on.github.io/book/companion/differences.html"


def _first_step_ok(f, key, rate):
    """The largest change of any weight in the first Adagrad step is at most `rate` and more than half of it."""
    return f[key]["at_most_rate"] and f[key]["more_than_half_rate"]


CLAIMS = [
    Claim("ch01-premade-is-a-subclass", PAGE,
          quote="a **pre-made** Estimator such as `DNNClassifier` is a **subclass** of `Estimator`",
          says="DNNClassifier (TF1's and TF2's) is a subclass of tf.estimator.Estimator.",
          shows=("dnn_classifier_is_estimator_subclass", "dnn_classifier_v2_is_estimator_subclass"),
          holds=lambda f: f["dnn_classifier_is_estimator_subclass"] and f["dnn_classifier_v2_is_estimator_subclass"]),
    Claim("ch01-custom-is-an-instance", PAGE,
          quote="a **custom** Estimator is not a new class at all: it is an **instance** of `Estimator` itself",
          says="An Estimator built from a model_fn is of class Estimator itself, not of a subclass.",
          shows=("custom_class_is_estimator",),
          holds=lambda f: f["custom_class_is_estimator"]),
    Claim("ch01-constructor-only-stores", PAGE,
          quote="an Estimator only stores its\nconfiguration until you call `train`",
          says="Making an Estimator calls neither its model_fn nor writes anything into model_dir.",
          shows=("model_fn_calls_at_construction", "model_dir_files_at_construction"),
          holds=lambda f: f["model_fn_calls_at_construction"] == 0 and f["model_dir_files_at_construction"] == []),
    Claim("ch01-model-fn-args-by-name", PAGE,
          quote="The Estimator passes each of these by name, and only those your function declares: `features` is the\n"
                "only one it requires (but one without `labels` cannot be given an input function that returns labels",
          says="A model_fn declared (mode, features) gets just those two, by name; one without features is refused "
               "with a ValueError when the Estimator is made; one without labels, trained on labelled input, raises "
               "ValueError.",
          shows=("reordered_model_fn_got", "reordered_model_fn_trained_to", "no_features_model_fn_error",
                 "no_labels_model_fn_on_labelled_input_error"),
          holds=lambda f: f["reordered_model_fn_got"] == ["features", "mode"]
          and f["reordered_model_fn_trained_to"] == 2 and f["no_features_model_fn_error"] == "ValueError"
          and f["no_labels_model_fn_on_labelled_input_error"] == "ValueError"),
    Claim("ch01-config-is-the-run-config", PAGE,
          quote="`config` (a fifth argument `my_model_fn` does not declare): the Estimator's `RunConfig`",
          says="A model_fn that declares config receives the Estimator's RunConfig, with its model_dir and seed.",
          shows=("config_arg",),
          holds=lambda f: f["config_arg"] == {"is_run_config": True, "model_dir_is_estimators": True,
                                              "tf_random_seed": 7}),
    Claim("ch01-params-are-the-dict-given", PAGE,
          quote="`params`: the dictionary of settings you gave the Estimator",
          says="The model_fn's params is the dictionary passed as Estimator(params=...).",
          shows=("params_arg_keys", "custom_params_keys"),
          holds=lambda f: f["params_arg_keys"] == ["feature_columns", "hidden_units", "n_classes"]
          and f["custom_params_keys"] == ["feature_columns", "hidden_units", "n_classes"]),
    Claim("ch01-public-model-fn-signature", PAGE,
          quote="an Estimator's `model_fn` attribute is its model function bound to\nits `params`, and it takes "
                "`(features, labels, mode, config)` whichever kind it is",
          says="estimator.model_fn takes (features, labels, mode, config) for a custom Estimator and for "
               "DNNClassifier (V1 and V2), and calls the model function with the Estimator's params.",
          shows=("public_model_fn_signatures", "public_model_fn_passes_params"),
          holds=lambda f: f["public_model_fn_signatures"] == {k: "(features, labels, mode, config)"
                                                             for k in ("custom", "premade_v1", "premade_v2")}
          and f["public_model_fn_passes_params"]),
    Claim("ch01-premade-has-no-params", PAGE,
          quote="The pre-made one has\nno `params` at all; its settings live inside its model function",
          says="A DNNClassifier's params (V1 and V2) is {}.",
          shows=("premade_params",),
          holds=lambda f: f["premade_params"] == {"v1": {}, "v2": {}}),
    Claim("ch01-premade-params-empty-takeaway", PAGE,
          quote="holds the class's keyword arguments itself (its `params` is empty)",
          says="A DNNClassifier's params (V1 and V2) is {}.",
          shows=("premade_params",),
          holds=lambda f: f["premade_params"] == {"v1": {}, "v2": {}}),
    Claim("ch01-train-steps-and-checkpoint", PAGE,
          quote="`train` ran 1000 steps: 1000 batches of 100 examples, each followed by one small update of the "
                "weights,\nand wrote checkpoints into `model_dir`",
          says="train(steps=N) from scratch ends at global step N and leaves model.ckpt-N as the latest checkpoint.",
          shows=("premade_global_step", "premade_latest_checkpoint"),
          holds=lambda f: f["premade_global_step"] == 250 and f["premade_latest_checkpoint"] == "model.ckpt-250"),
    Claim("ch01-evaluate-returns-metrics", PAGE,
          quote="`evaluate` returns a dictionary of metrics",
          says="DNNClassifier.evaluate returns a dict with accuracy, average_loss, loss and global_step.",
          shows=("premade_eval_keys", "premade_eval_global_step"),
          holds=lambda f: f["premade_eval_keys"] == ["accuracy", "average_loss", "global_step", "loss"]
          and f["premade_eval_global_step"] == 250),
    Claim("ch01-training-average-loss-every-100-steps", PAGE,
          quote="the orange line is the average loss\nof the training batches, logged every 100 steps",
          says="While training, DNNClassifier writes the batch's average_loss summary at steps 1, 101, 201, ...",
          shows=("train_summary_steps",),
          holds=lambda f: f["train_summary_steps"].get("average_loss") == [1, 101, 201]),
    Claim("ch01-evaluate-adds-one-point", PAGE,
          quote="`evaluate` added one point of its own",
          says="evaluate() writes its metrics once, at the checkpoint's step, into model_dir/eval.",
          shows=("eval_summary_steps",),
          holds=lambda f: f["eval_summary_steps"].get("accuracy") == [250]
          and f["eval_summary_steps"].get("average_loss") == [250]),
    Claim("ch01-head-logs-no-accuracy-while-training", PAGE,
          quote="logs no accuracy\nwhile training, so accuracy has only its evaluation dot",
          says="DNNClassifier's training summaries hold no accuracy; only evaluate() writes one.",
          shows=("train_summary_steps", "eval_summary_steps"),
          holds=lambda f: "accuracy" not in f["train_summary_steps"] and "accuracy" in f["eval_summary_steps"]),
    Claim("ch01-predict-yields-dicts", PAGE,
          quote="`predict` yields one dictionary per example. `class_ids` holds the predicted class and "
                "`probabilities` the\nmodel's confidence in each of the three species",
          says="DNNClassifier.predict yields one dict per example, with class_ids (shape [1], the argmax) and "
               "3 probabilities.",
          shows=("predictions",),
          holds=lambda f: f["predictions"] == {"count": 30, "class_ids_shape": [1], "probabilities_len": 3,
                                               "class_id_is_argmax": True, "is_dict": True}),
    Claim("ch01-real-seed-fixes-premade-not-guide-layers", PAGE,
          quote="the seed fixed the pre-made `DNNClassifier`'s initial weights too, but\n> not those of a model "
                "function built with the guide's `tf.layers.dense`",
          says="With the same tf_random_seed, two DNNClassifiers start from the same weights on the real Estimator, "
               "two Estimators of the guide's tf.layers.dense model_fn from different ones.",
          shows=("same_seed_same_initial_weights",),
          holds=lambda f: f["same_seed_same_initial_weights"] == {"premade": True, "guide_model_fn": False},
          differs="iris_lib's tf.layers take their seeds from the graph seed, so tf_random_seed fixes the guide's "
                  "initial weights too; the real Keras 2.15 legacy layers drew theirs from Python's random."),
    Claim("ch01-v1-learning-rate-0.05", PAGE,
          quote="Our `DNNClassifier` uses Adagrad with learning rate 0.05, the default of\n> the TensorFlow 1 class",
          says="TF1's DNNClassifier's first Adagrad step changes no weight by more than 0.05, and some by more "
               "than 0.025 (learning rate 0.05).",
          shows=("first_step_v1",),
          holds=lambda f: _first_step_ok(f, "first_step_v1", 0.05)),
    Claim("ch01-v2-learning-rate-0.001", PAGE,
          quote="The TensorFlow 2 version of the class defaults to\n> 0.001, with which 1000 steps are not enough "
                "for Iris",
          says="TF2's DNNClassifier's first Adagrad step changes no weight by more than 0.001 (learning rate 0.001), "
               "and after 1000 steps its test accuracy is below 0.9.",
          shows=("first_step_v2", "v2_1000_steps_test_accuracy_below_0_9"),
          holds=lambda f: _first_step_ok(f, "first_step_v2", 0.001) and f["v2_1000_steps_test_accuracy_below_0_9"]),
]


def _summary_steps(folder):
    """{tag: [steps]} of the scalar summaries in a folder's event files."""
    import glob
    import os

    import tensorflow
    from tensorflow.core.util import event_pb2
    steps = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents*"))):
        for raw in tensorflow.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(raw.numpy())
            for value in event.summary.value:
                steps.setdefault(value.tag, []).append(int(event.step))
    return steps


def _first_step(tf, cls, columns, train_x, train_y, model_dir, rate):
    """Train one step; compare every dnn/ weight of model.ckpt-1 with model.ckpt-0."""
    import numpy as np
    estimator = cls(hidden_units=[10, 10], feature_columns=columns, n_classes=3, model_dir=str(model_dir),
                    config=tf.estimator.RunConfig(tf_random_seed=7))
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
    before = tf.train.load_checkpoint(str(model_dir / "model.ckpt-0"))
    after = tf.train.load_checkpoint(str(model_dir / "model.ckpt-1"))
    names = [name for name in after.get_variable_to_shape_map()
             if name.startswith("dnn/") and name.rsplit("/", 1)[-1] in ("kernel", "bias")]
    largest = max(float(np.max(np.abs(after.get_tensor(n) - before.get_tensor(n)))) for n in names)
    return estimator, before, names, {"at_most_rate": largest <= rate * (1 + 1e-4),
                                      "more_than_half_rate": largest > rate / 2}


def facts(tf, workdir):
    import os

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    columns = numeric_columns(tf)
    tf2_estimator = tf2().estimator
    config = tf.estimator.RunConfig(tf_random_seed=7)
    model_fn = guide_model_fn(tf)
    calls = []
    params_seen = []

    def recording_model_fn(features, labels, mode, params):
        calls.append(mode)
        params_seen.append(sorted(params))
        return model_fn(features, labels, mode, params)

    custom_dir = workdir / "custom"
    custom = tf.estimator.Estimator(recording_model_fn, model_dir=str(custom_dir), config=config,
                                    params=guide_params(tf))
    calls_at_construction = len(calls)
    files_at_construction = sorted(os.listdir(custom_dir)) if custom_dir.exists() else []

    # The public model_fn: called by hand in a graph, it passes the params along.
    with tf.Graph().as_default():
        tf.train.create_global_step()
        features = {k: tf.constant(v.to_numpy()[:5]) for k, v in train_x.items()}
        custom.model_fn(features, tf.constant(train_y.to_numpy()[:5]), tf.estimator.ModeKeys.EVAL, custom.config)
    public_model_fn_passes_params = params_seen[-1:] == [["feature_columns", "hidden_units", "n_classes"]]

    # A model_fn declaring only (mode, features), trained on an input without labels.
    got = []

    def reordered_model_fn(mode, features):
        got.append(sorted(inspect.signature(reordered_model_fn).parameters))
        weight = tf.get_variable("w", initializer=1.0)
        loss = tf.reduce_mean(weight * tf.cast(features["SepalLength"], tf.float32))
        return tf.estimator.EstimatorSpec(mode, loss=loss,
                                          train_op=tf.assign_add(tf.train.get_global_step(), 1))
    reordered = tf.estimator.Estimator(reordered_model_fn, model_dir=str(workdir / "reordered"), config=config)
    reordered.train(lambda: eval_input_fn(tf, train_x, batch_size=10), steps=2)
    no_labels_error = error_name(lambda: reordered.train(lambda: eval_input_fn(tf, train_x, train_y, 10), steps=1))
    no_features_error = error_name(lambda: tf.estimator.Estimator(lambda labels, mode: None,
                                                                  model_dir=str(workdir / "nofeatures")))

    # A model_fn declaring config.
    config_seen = {}

    def config_model_fn(features, labels, mode, config):
        config_seen.update(is_run_config=isinstance(config, tf.estimator.RunConfig),
                           model_dir=config.model_dir, tf_random_seed=config.tf_random_seed)
        return tf.estimator.EstimatorSpec(mode, loss=tf.constant(0.0),
                                          train_op=tf.assign_add(tf.train.get_global_step(), 1))
    with_config = tf.estimator.Estimator(config_model_fn, model_dir=str(workdir / "config"), config=config)
    with_config.train(lambda: eval_input_fn(tf, train_x, train_y, 10), steps=1)

    # The pre-made DNNClassifier, V1 and V2.
    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                                         model_dir=str(workdir / "premade"), config=config)
    premade_v2 = tf2_estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                                             model_dir=str(workdir / "premade_v2"), config=config)
    premade.train(lambda: train_input_fn(tf, train_x, train_y), steps=250)
    result = premade.evaluate(lambda: eval_input_fn(tf, test_x, test_y))
    predictions = list(premade.predict(lambda: eval_input_fn(tf, test_x)))

    # The learning rates, from the first step's changes; the same seed twice, for the initial weights.
    _, v1_before, names, first_v1 = _first_step(tf, tf.estimator.DNNClassifier, columns, train_x, train_y,
                                                workdir / "first_v1", 0.05)
    _, again_before, _, _ = _first_step(tf, tf.estimator.DNNClassifier, columns, train_x, train_y,
                                        workdir / "first_v1_again", 0.05)
    same_initial = all(np.array_equal(v1_before.get_tensor(n), again_before.get_tensor(n)) for n in names)
    guide_initial = []
    for run in ("guide_a", "guide_b"):
        guide = tf.estimator.Estimator(model_fn, model_dir=str(workdir / run), config=config, params=guide_params(tf))
        guide.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
        guide_initial.append(tf.train.load_checkpoint(str(workdir / run / "model.ckpt-0")))
    kernels = [n for n in guide_initial[0].get_variable_to_shape_map() if n.endswith("kernel")]
    guide_same = bool(kernels) and all(np.array_equal(guide_initial[0].get_tensor(n), guide_initial[1].get_tensor(n))
                                       for n in kernels)
    v2, _, _, first_v2 = _first_step(tf, tf2_estimator.DNNClassifier, columns, train_x, train_y,
                                     workdir / "first_v2", 0.001)
    v2.train(lambda: train_input_fn(tf, train_x, train_y), steps=999)
    v2_accuracy = v2.evaluate(lambda: eval_input_fn(tf, test_x, test_y))["accuracy"]

    return {
        "dnn_classifier_is_estimator_subclass": issubclass(tf.estimator.DNNClassifier, tf.estimator.Estimator),
        "dnn_classifier_v2_is_estimator_subclass": issubclass(tf2_estimator.DNNClassifier, tf2_estimator.Estimator),
        "custom_class_is_estimator": type(custom).__name__ == "Estimator" and isinstance(custom, tf.estimator.Estimator),
        "model_fn_calls_at_construction": calls_at_construction,
        "model_dir_files_at_construction": files_at_construction,
        "reordered_model_fn_got": got[0] if got else None,
        "reordered_model_fn_trained_to": int(reordered.get_variable_value("global_step")),
        "no_features_model_fn_error": no_features_error,
        "no_labels_model_fn_on_labelled_input_error": no_labels_error,
        "config_arg": {"is_run_config": config_seen.get("is_run_config"),
                       "model_dir_is_estimators": config_seen.get("model_dir") == with_config.model_dir,
                       "tf_random_seed": config_seen.get("tf_random_seed")},
        "params_arg_keys": params_seen[0] if params_seen else None,
        "custom_params_keys": sorted(custom.params),
        "public_model_fn_signatures": {name: str(inspect.signature(est.model_fn)) for name, est in
                                       (("custom", custom), ("premade_v1", premade), ("premade_v2", premade_v2))},
        "public_model_fn_passes_params": public_model_fn_passes_params,
        "premade_params": {"v1": dict(premade.params), "v2": dict(premade_v2.params)},
        "premade_global_step": int(premade.get_variable_value("global_step")),
        "premade_latest_checkpoint": os.path.basename(premade.latest_checkpoint()),
        "premade_eval_keys": sorted(result),
        "premade_eval_global_step": int(result["global_step"]),
        "train_summary_steps": {tag: summary_steps_as_meant(steps)
                                for tag, steps in _summary_steps(premade.model_dir).items()
                                if tag in ("average_loss", "loss", "accuracy")},
        "eval_summary_steps": _summary_steps(os.path.join(premade.model_dir, "eval")),
        "predictions": {"count": len(predictions), "is_dict": all(isinstance(p, dict) for p in predictions),
                        "class_ids_shape": list(predictions[0]["class_ids"].shape),
                        "probabilities_len": len(predictions[0]["probabilities"]),
                        "class_id_is_argmax": all(int(p["class_ids"][0]) == int(np.argmax(p["probabilities"]))
                                                  for p in predictions)},
        "same_seed_same_initial_weights": {"premade": same_initial, "guide_model_fn": guide_same},
        "first_step_v1": first_v1,
        "first_step_v2": first_v2,
        "v2_1000_steps_test_accuracy_below_0_9": bool(v2_accuracy < 0.9),
    }


if __name__ == "__main__":
    main(facts)
