"""Chapter 2 (the input function): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch02_input_function.py real|ours WORKDIR
"""
from ledger import Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main

PAGE = "chapters/02_input_function.ipynb"


def _ordered_pass(f):
    return f["eval_examples_and_batches"] == [30, 4] and f["eval_global_step_unchanged"]


CLAIMS = [
    Claim("ch02-called-per-method-one-batch-per-step", PAGE,
          quote="The Estimator calls it each time it trains, evaluates or predicts, and pulls one batch per step.",
          says="train(), evaluate() and predict() each call the input_fn once, and train(steps=N) runs N steps on "
               "the first N batches.",
          shows=("input_fn_calls", "last_batch_trained_on"),
          holds=lambda f: f["input_fn_calls"] == {"train": 1, "evaluate": 1, "predict": 1}
          and f["last_batch_trained_on"] == 29),
    Claim("ch02-steps-pull-exactly-that-many-batches", PAGE,
          quote="`train(..., steps=1000)` pulls exactly 1000 batches",
          says="train(steps=30) on an endless dataset of numbered batches trains on batches 0 to 29, then stops.",
          shows=("last_batch_trained_on", "step_after_train"),
          holds=lambda f: f["last_batch_trained_on"] == 29 and f["step_after_train"] == 30),
    Claim("ch02-training-stops-after-steps-takeaway", PAGE,
          quote="Training stops after `steps` batches, not at the end of\n  the data.",
          says="train(steps=30) on an endless dataset stops after 30 batches.",
          shows=("last_batch_trained_on", "step_after_train"),
          holds=lambda f: f["last_batch_trained_on"] == 29 and f["step_after_train"] == 30),
    Claim("ch02-input-fn-runs-in-a-graph", PAGE,
          quote="Inside an Estimator these functions run in a TensorFlow 1 graph.",
          says="The Estimator calls the input_fn while building a graph: not eagerly.",
          shows=("input_fn_executing_eagerly",),
          holds=lambda f: f["input_fn_executing_eagerly"] is False),
    Claim("ch02-run-config-seeds-the-graph", PAGE,
          quote="(Inside an Estimator, `RunConfig(tf_random_seed=...)` does the seeding.)",
          says="The graph in which the Estimator calls the input_fn has RunConfig's tf_random_seed as its seed.",
          shows=("input_fn_graph_seed",),
          holds=lambda f: f["input_fn_graph_seed"] == 7),
    Claim("ch02-input-fn-gets-only-declared-args", PAGE,
          quote="It passes no arguments, except those the function declares among `mode`, `params`\n"
                "and `config` (and `input_context`, under a distribution strategy).",
          says="An input_fn declaring (mode, params, config) gets those three by name; one with another required "
               "argument gets nothing for it (TypeError).",
          shows=("declared_args_received", "undeclared_required_arg_error"),
          holds=lambda f: f["declared_args_received"] == {"mode": ["train", "eval", "infer"],
                                                          "params_keys": ["batch_size"], "config_is_run_config": True}
          and f["undeclared_required_arg_error"] == "TypeError"),
    Claim("ch02-input-context-under-a-strategy", PAGE,
          quote="(and `input_context`, under a distribution strategy)",
          says="Training with RunConfig(train_distribute=OneDeviceStrategy), an input_fn that declares "
               "input_context receives a tf.distribute.InputContext; without a strategy it gets none.",
          shows=("input_context_received",),
          holds=lambda f: f["input_context_received"] == {"with_strategy": "InputContext", "without": None}),
    Claim("ch02-mode-strings-to-input-fn", PAGE,
          quote="gets the mode of the call, `'train'`, `'eval'` or `'infer'`, and the\nEstimator's `params`",
          says="An input_fn declaring mode and params gets 'train', 'eval' or 'infer' and the Estimator's params.",
          shows=("declared_args_received",),
          holds=lambda f: f["declared_args_received"]["mode"] == ["train", "eval", "infer"]
          and f["declared_args_received"]["params_keys"] == ["batch_size"]),
    Claim("ch02-no-args-but-declared-takeaway", PAGE,
          quote="The Estimator calls the input function inside its graph, with no arguments but the `mode`, "
                "`params`\n  and `config` it declares",
          says="The input_fn is called while building the graph, with only the mode, params and config it declares.",
          shows=("input_fn_executing_eagerly", "declared_args_received"),
          holds=lambda f: f["input_fn_executing_eagerly"] is False
          and f["declared_args_received"]["config_is_run_config"]),
    Claim("ch02-model-fn-gets-symbolic-batches", PAGE,
          quote="Their batch dimension is unknown (`None`), because a batch may\nbe smaller than `batch_size`. This "
                "is what the model function will receive as `features` and `labels`",
          says="The model_fn receives graph tensors of shape (None,): float64 features (as pandas gave them) and "
               "int64 labels.",
          shows=("model_fn_inputs",),
          holds=lambda f: f["model_fn_inputs"] == {"features_are_dict": True, "feature_shape": [None],
                                                   "feature_dtype": "float64", "label_shape": [None],
                                                   "label_dtype": "int64", "are_graph_tensors": True}),
    Claim("ch02-evaluation-ends-with-the-data", PAGE,
          quote="the dataset ends after the last batch, which ends the evaluation",
          says="evaluate() without steps runs over the whole finite dataset once (30 flowers in 4 batches of 8), "
               "then stops, training nothing.",
          shows=("eval_examples_and_batches", "eval_global_step_unchanged"),
          holds=_ordered_pass),
    Claim("ch02-evaluation-ends-takeaway", PAGE,
          quote="`eval_input_fn` makes one ordered pass; evaluation ends when the data run out.",
          says="evaluate() without steps runs once over the finite dataset and stops at its end.",
          shows=("eval_examples_and_batches", "eval_global_step_unchanged"),
          holds=_ordered_pass),
    Claim("ch02-features-alone-for-prediction", PAGE,
          quote="With `labels=None` each\n  element is the features alone: that is the input for prediction.",
          says="predict() takes a dataset of feature dictionaries alone and calls the model_fn with labels=None.",
          shows=("predict_labels_none", "predict_count"),
          holds=lambda f: f["predict_labels_none"] and f["predict_count"] == 30),
]


def facts(tf, workdir):
    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    config = tf.estimator.RunConfig(tf_random_seed=7)
    seen = {}

    def recording_model_fn(features, labels, mode, params):
        if mode == tf.estimator.ModeKeys.TRAIN and "train" not in seen:
            tensor = features["SepalLength"]
            seen["train"] = {"features_are_dict": isinstance(features, dict),
                             "feature_shape": tensor.shape.as_list(), "feature_dtype": tensor.dtype.name,
                             "label_shape": labels.shape.as_list(), "label_dtype": labels.dtype.name,
                             "are_graph_tensors": hasattr(tensor, "graph") and hasattr(labels, "graph")}
        if mode == tf.estimator.ModeKeys.PREDICT:
            seen["predict_labels"] = labels
        return model_fn(features, labels, mode, params)

    calls = {}
    current = ["train"]

    def counted_input_fn(labels_too=True, shuffle=False):
        calls[current[0]] = calls.get(current[0], 0) + 1
        seen.setdefault("eager", tf.executing_eagerly())
        seen.setdefault("seed", tf.get_default_graph().seed)
        if current[0] == "predict":
            return eval_input_fn(tf, test_x, batch_size=8)
        if current[0] == "evaluate":
            return eval_input_fn(tf, test_x, test_y, 8)
        return tf.data.Dataset.from_tensor_slices((dict(train_x), train_y)).repeat().batch(10)

    estimator = tf.estimator.Estimator(recording_model_fn, model_dir=str(workdir / "m"), config=config, params=params)
    estimator.train(counted_input_fn, steps=5)
    current[0] = "evaluate"
    estimator.evaluate(counted_input_fn)
    current[0] = "predict"
    predict_count = len(list(estimator.predict(counted_input_fn)))

    # Numbered batches: which one did the last step train on?
    def numbered_model_fn(features, labels, mode):
        last = tf.get_variable("last", initializer=-1.0, trainable=False)
        train_op = tf.group(tf.assign(last, tf.cast(features["i"][0], tf.float32)),
                            tf.assign_add(tf.train.get_global_step(), 1))
        return tf.estimator.EstimatorSpec(mode, loss=tf.constant(0.0), train_op=train_op)
    numbered = tf.estimator.Estimator(numbered_model_fn, model_dir=str(workdir / "numbered"), config=config)
    numbered.train(lambda: tf.data.Dataset.range(1000).map(lambda i: ({"i": i}, i)).repeat().batch(1), steps=30)

    # Counting evaluation: examples and batches through a metric of our own.
    def counting_model_fn(features, labels, mode):
        examples = tf.get_local_variable("examples", initializer=0.0)
        batches = tf.get_local_variable("batches", initializer=0.0)
        update = tf.group(tf.assign_add(examples, tf.cast(tf.size(labels), tf.float32)), tf.assign_add(batches, tf.cast(tf.minimum(tf.size(labels), 1), tf.float32)))
        weight = tf.get_variable("w", initializer=0.0)
        return tf.estimator.EstimatorSpec(
            mode, loss=weight * 0.0, train_op=tf.assign_add(tf.train.get_global_step(), 1),
            eval_metric_ops={"examples": (tf.identity(examples), update), "batches": (tf.identity(batches), tf.no_op())})
    counting = tf.estimator.Estimator(counting_model_fn, model_dir=str(workdir / "counting"), config=config)
    counting.train(lambda: eval_input_fn(tf, train_x, train_y, 10), steps=3)
    counted = counting.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 8))

    # Arguments: an input_fn declaring mode, params and config; one with an argument the Estimator does not pass.
    received = {"mode": [], "params_keys": None, "config_is_run_config": None}

    def declaring_input_fn(mode, params, config):
        received["mode"].append(mode)
        received["params_keys"] = sorted(params)
        received["config_is_run_config"] = isinstance(config, tf.estimator.RunConfig)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.data.Dataset.from_tensor_slices({"x": [1.0, 2.0]}).batch(params["batch_size"])
        return tf.data.Dataset.from_tensor_slices(({"x": [1.0, 2.0]}, [1.0, 2.0])).batch(params["batch_size"])

    def tiny_model_fn(features, labels, mode, params):
        weight = tf.get_variable("w", initializer=0.0)
        loss = tf.reduce_mean(features["x"]) * 0.0 + weight * 0.0  # reads the batch: evaluate() ends with the data
        return tf.estimator.EstimatorSpec(mode, loss=loss, predictions={"x": features["x"]},
                                          train_op=tf.assign_add(tf.train.get_global_step(), 1))
    declaring = tf.estimator.Estimator(tiny_model_fn, model_dir=str(workdir / "declaring"), config=config,
                                       params={"batch_size": 2})
    declaring.train(declaring_input_fn, steps=1)
    declaring.evaluate(declaring_input_fn)
    list(declaring.predict(declaring_input_fn))
    undeclared_error = error_name(lambda: declaring.train(
        lambda batch_size: tf.data.Dataset.from_tensor_slices(({"x": [1.0]}, [1.0])).batch(batch_size), steps=1))

    # input_context: under a one-device strategy, and without one.
    contexts = {}

    def context_input_fn(input_context=None):
        contexts[current[0]] = None if input_context is None else type(input_context).__name__
        return tf.data.Dataset.from_tensor_slices(({"x": [1.0, 2.0]}, [1.0, 2.0])).repeat().batch(2)

    def strategy_model_fn(features, labels, mode):
        weight = tf.get_variable("w", initializer=1.0)
        loss = tf.reduce_mean(tf.square(weight * features["x"] - labels))
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    import tensorflow
    current[0] = "with_strategy"
    try:
        strategy = tensorflow.distribute.OneDeviceStrategy("/cpu:0")
        with_strategy = tf.estimator.Estimator(
            strategy_model_fn, model_dir=str(workdir / "strategy"),
            config=tf.estimator.RunConfig(tf_random_seed=7, train_distribute=strategy))
        with_strategy.train(context_input_fn, steps=1)
    except Exception as error:  # noqa: BLE001  (recorded)
        contexts["with_strategy"] = "raised " + type(error).__name__
    current[0] = "without"
    tf.estimator.Estimator(strategy_model_fn, model_dir=str(workdir / "no_strategy"), config=config).train(
        context_input_fn, steps=1)

    return {
        "input_fn_calls": calls,
        "input_fn_executing_eagerly": bool(seen["eager"]),
        "input_fn_graph_seed": seen["seed"],
        "model_fn_inputs": seen["train"],
        "predict_labels_none": seen["predict_labels"] is None,
        "predict_count": predict_count,
        "last_batch_trained_on": int(numbered.get_variable_value("last")),
        "step_after_train": int(numbered.get_variable_value("global_step")),
        "eval_examples_and_batches": [int(counted["examples"]), int(counted["batches"])],
        "eval_global_step_unchanged": int(counted["global_step"]) == 3,
        "declared_args_received": received,
        "undeclared_required_arg_error": undeclared_error,
        "input_context_received": contexts,
    }


if __name__ == "__main__":
    main(facts)
