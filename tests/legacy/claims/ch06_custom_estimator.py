"""Chapter 6 (the custom Estimator): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch06_custom_estimator.py real|ours WORKDIR
"""
from ledger import (Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, numeric_columns,
                    train_input_fn)

PAGE = "chapters/06_custom_estimator.ipynb"

CUSTOM_VARIABLES = ["dense/bias", "dense/bias/Adagrad", "dense/kernel", "dense/kernel/Adagrad",
                    "dense_1/bias", "dense_1/bias/Adagrad", "dense_1/kernel", "dense_1/kernel/Adagrad",
                    "dense_2/bias", "dense_2/bias/Adagrad", "dense_2/kernel", "dense_2/kernel/Adagrad", "global_step"]

CLAIMS = [
    Claim("premade-is-a-subclass", PAGE,
          quote="A pre-made Estimator is a subclass with the model function built in. A custom Estimator is the base\n"
                "class itself, handed our model function.",
          says="DNNClassifier is a subclass of Estimator; the custom Estimator is an instance of Estimator itself.",
          shows=("premade_is_estimator_subclass", "custom_class"),
          holds=lambda f: f["premade_is_estimator_subclass"] and f["custom_class"] == "Estimator"),
    Claim("constructor-computes-nothing", PAGE,
          quote="Nothing has been computed yet: the constructor only stores the model function, the configuration and\n"
                "the parameters.",
          says="Constructing an Estimator calls no model_fn and writes no checkpoint.",
          shows=("model_fn_calls_at_construction", "checkpoint_at_construction"),
          holds=lambda f: f["model_fn_calls_at_construction"] == 0 and not f["checkpoint_at_construction"]),
    Claim("params-to-every-call", PAGE,
          quote="it takes a single dictionary and hands it, unchanged, to every call of the model function",
          says="train(), evaluate() and predict() each pass the model_fn the constructor's params: the same keys "
               "and values.",
          shows=("params_seen_per_call",),
          holds=lambda f: f["params_seen_per_call"] == {
              call: [["feature_columns", "hidden_units", "n_classes"], [10, 10], 3]
              for call in ("train", "evaluate", "predict")}),
    Claim("premade-keyword-arguments", PAGE,
          quote="its constructor can name every setting: `hidden_units=`,\n`feature_columns=`, `n_classes=`, "
                "`optimizer=`",
          says="DNNClassifier's constructor takes hidden_units, feature_columns, n_classes and optimizer.",
          shows=("premade_has_keyword_arguments",),
          holds=lambda f: f["premade_has_keyword_arguments"]),
    Claim("premade-params-empty", PAGE,
          quote="the pre-made Estimator keeps its keyword arguments inside its own model\nfunction, so its `params` is "
                "empty, while ours is the dictionary we gave it",
          says="A DNNClassifier's params is {}; a custom Estimator's params holds the keys it was given.",
          shows=("premade_params", "custom_params_keys"),
          holds=lambda f: f["premade_params"] == {}
          and f["custom_params_keys"] == ["feature_columns", "hidden_units", "n_classes"]),
    Claim("model-fn-config-is-the-runconfig", PAGE,
          quote="A model function can also\ndeclare a `config` argument and receive the Estimator's `RunConfig`",
          says="A model_fn declaring config receives a RunConfig with the Estimator's model_dir and seed.",
          shows=("config_received",),
          holds=lambda f: f["config_received"] == ["RunConfig", True, 7]),
    Claim("params-keys-unchecked", PAGE,
          quote="Nothing checks its keys when the Estimator is built: a\nmisspelt key is only noticed when the model "
                "function looks it up, at the first `train` call.",
          says="An Estimator built with a misspelt params key ('hiden_units') constructs fine; train() then fails "
               "with the model_fn's KeyError.",
          shows=("typo_constructor_error", "typo_train_error"),
          holds=lambda f: f["typo_constructor_error"] is None and f["typo_train_error"] == "KeyError"),
    Claim("calls-build-fresh-graphs", PAGE,
          quote="Each of the three calls below\nbuilds a fresh graph from the input function and the model function "
                "(called with its mode)",
          says="train(), evaluate() and predict() each call the model_fn in a new graph, with their mode.",
          shows=("distinct_graphs", "modes_per_call"),
          holds=lambda f: f["distinct_graphs"] == 3
          and f["modes_per_call"] == {"train": "train", "evaluate": "eval", "predict": "infer"}),
    Claim("train-and-evaluate-leave-traces", PAGE,
          quote="`train` and `evaluate` leave their traces in `model_dir`; `predict` only reads it",
          says="train() writes checkpoints and event files into model_dir, evaluate() adds model_dir/eval, "
               "predict() writes nothing.",
          shows=("train_wrote", "evaluate_wrote", "predict_wrote"),
          holds=lambda f: f["train_wrote"] and f["evaluate_wrote"] == ["eval"] and f["predict_wrote"] == []),
    Claim("evaluate-returns-metrics-loss-step", PAGE,
          quote="returns the metrics\nit defined (`accuracy`), plus the mean `loss` and the `global_step` it evaluated",
          says="evaluate() returns accuracy, loss and the global_step of the checkpoint it evaluated.",
          shows=("evaluate_keys", "evaluate_global_step"),
          holds=lambda f: f["evaluate_keys"] == ["accuracy", "global_step", "loss"] and f["evaluate_global_step"] == 20),
    Claim("predict-needs-no-labels", PAGE,
          quote="Prediction needs no labels.",
          says="predict() runs on an input function that gives features only, and yields one dict per example.",
          shows=("predictions_without_labels",),
          holds=lambda f: f["predictions_without_labels"] == 30),
    Claim("premade-loss-is-a-sum", PAGE,
          quote="`DNNClassifier` reports `loss` as the *sum* over a batch and the mean as `average_loss`, while\n"
                "`my_model_fn` reports the mean as `loss`",
          says="On one batch of 30, DNNClassifier's evaluate() loss is 30 times its average_loss; the guide's "
               "model_fn reports no average_loss.",
          shows=("premade_loss_over_average_loss", "premade_evaluate_keys", "evaluate_keys"),
          holds=lambda f: f["premade_loss_over_average_loss"] == 30 and "average_loss" in f["premade_evaluate_keys"]
          and "average_loss" not in f["evaluate_keys"]),
    Claim("premade-adagrad-0.05", PAGE,
          quote="whereas `DNNClassifier` has its own (Adagrad at 0.05)",
          says="DNNClassifier's default optimizer is Adagrad with learning rate 0.05 (measured from its first step).",
          shows=("premade_learning_rate", "premade_has_adagrad_slots"),
          holds=lambda f: f["premade_learning_rate"] == 0.05 and f["premade_has_adagrad_slots"]),
    Claim("gap-learning-rate", PAGE,
          quote="**the learning rate**: 0.05 for the pre-made class, 0.1 in the guide's model function",
          says="Measured from the first step's update, DNNClassifier's Adagrad has learning rate 0.05, the guide's "
               "model_fn's 0.1.",
          shows=("premade_learning_rate", "custom_learning_rate"),
          holds=lambda f: f["premade_learning_rate"] == 0.05 and f["custom_learning_rate"] == 0.1),
    Claim("gap-summed-loss-and-accumulator", PAGE,
          quote="the pre-made [head](https://custom-estimators-hands-on.github.io/book/companion/glossary.html#head) "
                "*sums* its loss over the batch where ours averages it",
          says="DNNClassifier's loss is the sum over the batch (30 times the mean on 30 flowers); both Adagrads "
               "start their accumulators at 0.1.",
          shows=("premade_loss_over_average_loss", "adagrad_initial_accumulators"),
          holds=lambda f: f["premade_loss_over_average_loss"] == 30
          and f["adagrad_initial_accumulators"] == {"premade": 0.1, "custom": 0.1}),
    Claim("premade-variable-names", PAGE,
          quote="(`dnn/hiddenlayer_0/kernel` against `dense/kernel`)",
          says="DNNClassifier names its layers dnn/hiddenlayer_N and dnn/logits; the guide's model_fn names them "
               "dense, dense_1, dense_2.",
          shows=("premade_layer_variables",),
          holds=lambda f: f["premade_layer_variables"] == [
              "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_1/bias",
              "dnn/hiddenlayer_1/kernel", "dnn/logits/bias", "dnn/logits/kernel"]),
    Claim("real-seed-does-not-fix-initial-weights", PAGE,
          quote="on the real `tf.estimator` of TensorFlow 2.15 the seed fixed only the pre-made model's initial weights, "
                "not those of the guide's `tf.layers.dense`",
          says="Two Estimators with the same model_fn and tf_random_seed=7 start from different dense/kernel "
               "weights on the real engine.",
          shows=("same_seed_same_initial_kernel",),
          holds=lambda f: not f["same_seed_same_initial_kernel"],
          differs="iris_lib's layers take their seeds from the graph seed, so the same tf_random_seed gives the same "
                  "initial weights (TensorFlow 2.15's Keras legacy layers drew theirs from Python's random)."),
    Claim("every-call-restores-model-dir", PAGE,
          quote="every `train`, `evaluate` or `predict` starts by restoring the latest checkpoint there",
          says="A new Estimator on a trained model_dir evaluates and predicts that checkpoint, and trains on from it.",
          shows=("new_estimator_evaluates_step", "new_estimator_same_predictions", "new_estimator_trains_on_to"),
          holds=lambda f: f["new_estimator_evaluates_step"] == 20 and f["new_estimator_same_predictions"]
          and f["new_estimator_trains_on_to"] == 25),
    Claim("real-restores-other-shapes-silently", PAGE,
          quote="The real `tf.estimator` of\nTensorFlow 2.15 did not fail here: its restore silently gave each\n"
                "variable the checkpoint's shape",
          says="On the real Estimator, train() of [20, 20] in a [10, 10] model's model_dir raises nothing and leaves "
               "a checkpoint whose dense/kernel is still 4x10; one more layer ([10, 10, 10]) fails with NotFoundError.",
          shows=("wider_model_error", "kernel_in_checkpoint_after_wider", "deeper_model_error"),
          holds=lambda f: f["wider_model_error"] is None and f["kernel_in_checkpoint_after_wider"] == [4, 10]
          and f["deeper_model_error"] == "NotFoundError",
          differs="iris_lib compares the checkpoint with the model first and raises CheckpointMismatchError, naming "
                  "each variable that does not fit, before anything on disk changes."),
    Claim("event-files-and-eval-point", PAGE,
          quote="Like every Estimator, ours wrote TensorBoard event files into its `model_dir` while it trained, and\n"
                "`evaluate` added one more point in `model_dir/eval`",
          says="train() writes event files with a loss summary into model_dir; one evaluate() writes one accuracy "
               "point into model_dir/eval.",
          shows=("train_loss_points", "eval_accuracy_points"),
          holds=lambda f: f["train_loss_points"] >= 1 and f["eval_accuracy_points"] == 1),
    Claim("checkpoint-holds-adagrad-slots", PAGE,
          quote="skip `global_step` and the optimizer's\n`.../Adagrad` slots",
          says="The guide's checkpoint holds the six layer variables, one .../Adagrad slot for each, and global_step.",
          shows=("custom_checkpoint_variables",),
          holds=lambda f: f["custom_checkpoint_variables"] == CUSTOM_VARIABLES),
    Claim("sgd-keeps-no-slots", PAGE,
          quote="# Adagrad keeps one accumulator slot per variable; plain gradient descent keeps none.",
          says="Trained with GradientDescentOptimizer, the checkpoint holds no slot variables; with Adagrad, six.",
          shows=("slots_by_optimizer",),
          holds=lambda f: f["slots_by_optimizer"] == {"Adagrad": 6, "SGD": 0}),
]


def learning_rate_of_first_step(tf, model_dir, variable):
    """The learning rate of an Adagrad step, from checkpoints 0 and 1: w1 - w0 = -lr * g / sqrt(a1), a1 = a0 + g**2.

    Returns (learning rate, initial accumulator), each rounded to 3 decimals."""
    import numpy as np
    first, second = f"{model_dir}/model.ckpt-0", f"{model_dir}/model.ckpt-1"
    slot = [name for name, _ in tf.train.list_variables(second)
            if name.startswith(variable + "/") and name.endswith("Adagrad")][0]
    w0, w1 = (np.asarray(tf.train.load_variable(path, variable), np.float64) for path in (first, second))
    a0, a1 = (np.asarray(tf.train.load_variable(path, slot), np.float64) for path in (first, second))
    moved = (a1 - a0) > 1e-6
    rates = np.abs(w1 - w0)[moved] * np.sqrt(a1[moved]) / np.sqrt((a1 - a0)[moved])
    return round(float(np.median(rates)), 3), round(float(np.median(a0)), 3)


def facts(tf, workdir):
    import inspect

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    config = tf.estimator.RunConfig(tf_random_seed=7)
    calls, params_seen, graphs, modes, configs = [], {}, {}, {}, []
    current = [None]

    def spying_model_fn(features, labels, mode, params, config):
        calls.append(current[0])
        params_seen[current[0]] = [sorted(params), params["hidden_units"], params["n_classes"]]
        graphs[current[0]] = tf.get_default_graph()
        modes[current[0]] = mode
        configs.append(config)
        return model_fn(features, labels, mode, params)

    def files(model_dir):
        return {str(p.relative_to(model_dir)) for p in model_dir.rglob("*")} if model_dir.exists() else set()

    def scalar_points(directory, tag):
        return sum(1 for path in directory.glob("events.out.tfevents.*")
                   for event in tf.train.summary_iterator(str(path))
                   for value in event.summary.value if value.tag == tag)

    model_dir = workdir / "custom"
    custom = tf.estimator.Estimator(model_fn=spying_model_fn, params=params, config=config, model_dir=str(model_dir))
    calls_at_construction = len(calls)
    checkpoint_at_construction = custom.latest_checkpoint() is not None
    before = files(model_dir)
    current[0] = "train"
    custom.train(lambda: train_input_fn(tf, train_x, train_y), steps=20)
    after_train = files(model_dir)
    current[0] = "evaluate"
    result = custom.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 30))
    after_evaluate = files(model_dir)
    train_loss_points = scalar_points(model_dir, "loss")
    eval_accuracy_points = scalar_points(model_dir / "eval", "accuracy")
    current[0] = "predict"
    predictions = [p["probabilities"] for p in custom.predict(lambda: eval_input_fn(tf, test_x, batch_size=30))]
    after_predict = files(model_dir)
    current[0] = None

    # A second Estimator object on the same model_dir: it restores the checkpoint in each call.
    again = tf.estimator.Estimator(model_fn=model_fn, params=params, config=config, model_dir=str(model_dir))
    again_result = again.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 30))
    again_predictions = [p["probabilities"] for p in again.predict(lambda: eval_input_fn(tf, test_x, batch_size=30))]
    again.train(lambda: train_input_fn(tf, train_x, train_y), steps=5)
    again_step = int(again.get_variable_value("global_step"))

    # A wider network in the same model_dir.
    wider = tf.estimator.Estimator(model_fn=model_fn, params=guide_params(tf, (20, 20)), config=config,
                                   model_dir=str(model_dir))
    wider_error = error_name(lambda: wider.train(lambda: train_input_fn(tf, train_x, train_y), steps=5))
    kernel_after_wider = list(again.get_variable_value("dense/kernel").shape)
    deeper = tf.estimator.Estimator(model_fn=model_fn, params=guide_params(tf, (10, 10, 10)), config=config,
                                    model_dir=str(model_dir))
    deeper_error = error_name(lambda: deeper.train(lambda: train_input_fn(tf, train_x, train_y), steps=5))

    # A misspelt params key.
    typo_params = {"feature_columns": numeric_columns(tf), "hiden_units": [10, 10], "n_classes": 3}
    built = []
    typo_constructor_error = error_name(lambda: built.append(tf.estimator.Estimator(
        model_fn=model_fn, params=typo_params, config=config, model_dir=str(workdir / "typo"))))
    typo_train = error_name(lambda: built[0].train(lambda: train_input_fn(tf, train_x, train_y), steps=1))

    # The pre-made DNNClassifier: params, keyword arguments, variables, loss, and its first Adagrad step.
    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=params["feature_columns"],
                                         n_classes=3, config=config, model_dir=str(workdir / "premade"))
    premade.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
    premade_result = premade.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 30))
    premade_rate, premade_accumulator = learning_rate_of_first_step(tf, workdir / "premade", "dnn/logits/bias")
    premade_arguments = set(inspect.signature(tf.estimator.DNNClassifier.__init__).parameters)

    first = tf.estimator.Estimator(model_fn=model_fn, params=params, config=config, model_dir=str(workdir / "first"))
    first.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)
    custom_rate, custom_accumulator = learning_rate_of_first_step(tf, workdir / "first", "dense_2/bias")
    same_start = np.array_equal(tf.train.load_variable(str(workdir / "first" / "model.ckpt-0"), "dense/kernel"),
                                tf.train.load_variable(str(model_dir / "model.ckpt-0"), "dense/kernel"))

    # The same model_fn with plain gradient descent: no slots in its checkpoint.
    def sgd_model_fn(features, labels, mode, params):
        loss = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    sgd = tf.estimator.Estimator(model_fn=sgd_model_fn, params=params, config=config, model_dir=str(workdir / "sgd"))
    sgd.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)

    def slots(estimator):
        return sum(name.endswith("Adagrad") for name in estimator.get_variable_names())

    return {
        "premade_is_estimator_subclass": issubclass(tf.estimator.DNNClassifier, tf.estimator.Estimator),
        "custom_class": type(custom).__name__,
        "model_fn_calls_at_construction": calls_at_construction,
        "checkpoint_at_construction": checkpoint_at_construction,
        "params_seen_per_call": params_seen,
        "premade_has_keyword_arguments": {"hidden_units", "feature_columns", "n_classes", "optimizer"}
        <= premade_arguments,
        "premade_params": premade.params,
        "custom_params_keys": sorted(custom.params),
        "config_received": [type(configs[0]).__name__, configs[0].model_dir == custom.model_dir,
                            configs[0].tf_random_seed],
        "typo_constructor_error": typo_constructor_error,
        "typo_train_error": typo_train,
        "distinct_graphs": len({id(graph) for graph in graphs.values()}),
        "modes_per_call": modes,
        "train_wrote": any(name.startswith("model.ckpt-20") for name in after_train - before)
        and any(name.startswith("events.out.tfevents") for name in after_train - before),
        "evaluate_wrote": sorted({name.split("/")[0] for name in after_evaluate - after_train}),
        "predict_wrote": sorted(after_predict - after_evaluate),
        "evaluate_keys": sorted(result),
        "evaluate_global_step": int(result["global_step"]),
        "predictions_without_labels": len(predictions),
        "premade_loss_over_average_loss": int(round(float(premade_result["loss"] / premade_result["average_loss"]))),
        "premade_evaluate_keys": sorted(premade_result),
        "premade_learning_rate": premade_rate,
        "custom_learning_rate": custom_rate,
        "adagrad_initial_accumulators": {"premade": premade_accumulator, "custom": custom_accumulator},
        "premade_has_adagrad_slots": slots(premade) > 0,
        "premade_layer_variables": sorted(name for name in premade.get_variable_names()
                                          if name.startswith("dnn/") and name.rsplit("/", 1)[-1] in ("kernel", "bias")),
        "same_seed_same_initial_kernel": bool(same_start),
        "new_estimator_evaluates_step": int(again_result["global_step"]),
        "new_estimator_same_predictions": bool(np.allclose(predictions, again_predictions, rtol=0, atol=1e-6)),
        "new_estimator_trains_on_to": again_step,
        "wider_model_error": wider_error,
        "kernel_in_checkpoint_after_wider": kernel_after_wider,
        "deeper_model_error": deeper_error,
        "train_loss_points": train_loss_points,
        "eval_accuracy_points": eval_accuracy_points,
        "custom_checkpoint_variables": sorted(first.get_variable_names()),
        "slots_by_optimizer": {"Adagrad": slots(first), "SGD": slots(sgd)},
    }


if __name__ == "__main__":
    main(facts)
