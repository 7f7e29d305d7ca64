"""Chapter 4 (the model function): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch04_model_function.py real|ours WORKDIR
"""
from ledger import (CSV_COLUMNS, Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main,
                    train_input_fn)

PAGE = "chapters/04_model_function.ipynb"

CLAIMS = [
    Claim("model-fn-args-by-name", PAGE,
          quote="The Estimator looks at the names your function declares and passes only those",
          says="The Estimator passes a model_fn only the arguments it declares: features is required, labels, mode, "
               "params and config are optional.",
          shows=("three_arg_model_fn_trains", "no_features_arg_error", "params_without_params_arg_error",
                 "no_labels_arg_with_labels_error"),
          holds=lambda f: f["three_arg_model_fn_trains"] and f["no_features_arg_error"] == "ValueError"
          and f["params_without_params_arg_error"] == "ValueError"
          and f["no_labels_arg_with_labels_error"] == "ValueError"),
    Claim("model-fn-config-arg", PAGE,
          quote="a fifth one, `config`, receives the Estimator's `RunConfig`",
          says="A model_fn that declares config receives the Estimator's RunConfig (with its tf_random_seed).",
          shows=("config_received",),
          holds=lambda f: f["config_received"] == {"type": "RunConfig", "tf_random_seed": 7}),
    Claim("premade-model-fn-has-config-not-params", PAGE,
          quote="The pre-made `DNNClassifier`'s own model function is declared\n`(features, labels, mode, config)`",
          says="DNNClassifier's model function takes (features, labels, mode, config), and its params is {}.",
          shows=("premade_model_fn_args", "premade_params"),
          holds=lambda f: f["premade_model_fn_args"] == ["features", "labels", "mode", "config"]
          and f["premade_params"] == {}),
    Claim("model-fn-features-dict-labels-ids", PAGE,
          quote="the feature half of one batch from the input function: a dict from feature name to a tensor",
          says="In TRAIN the model_fn gets features as a dict of float64 tensors by feature name and labels as an "
               "int64 tensor of class ids.",
          shows=("train_features", "train_labels"),
          holds=lambda f: f["train_features"] == {k: ["float64", [None]] for k in CSV_COLUMNS[:4]}
          and f["train_labels"] == ["int64", [None]]),
    Claim("model-fn-labels-none-in-predict", PAGE,
          quote="`None` when predicting",
          says="predict() calls the model_fn with labels=None.",
          shows=("predict_labels_is_none",),
          holds=lambda f: f["predict_labels_is_none"]),
    Claim("model-fn-params-copy", PAGE,
          quote="a copy of the configuration dict you gave the `Estimator` constructor",
          says="The model_fn's params is a copy of the constructor's dict: the same keys, not the same object.",
          shows=("params_keys_received", "params_is_the_same_object"),
          holds=lambda f: f["params_keys_received"] == ["feature_columns", "hidden_units", "n_classes"]
          and not f["params_is_the_same_object"]),
    Claim("model-fn-called-once-per-call", PAGE,
          quote="once per `train`, `evaluate` or `predict` call, to *build the\ngraph*; it does not call it once "
                "per batch",
          says="train(), evaluate() and predict() each call the model_fn once, however many batches they run.",
          shows=("model_fn_calls",),
          holds=lambda f: f["model_fn_calls"] == {"train": 1, "evaluate": 1, "predict": 1}),
    Claim("model-fn-symbolic-tensors", PAGE,
          quote="`features` and `labels` are **symbolic tensors**, not numbers",
          says="The features and labels the model_fn receives are graph Tensors, with a batch dimension of None.",
          shows=("features_are_graph_tensors", "train_labels"),
          holds=lambda f: f["features_are_graph_tensors"] and f["train_labels"][1] == [None]),
    Claim("input-layer-sorts-by-name", PAGE,
          quote="It orders the\ncolumns by feature name, not by the order of the dict, so `PetalLength` comes first.",
          says="input_layer concatenates the numeric columns sorted by feature name, whatever the dict's order.",
          shows=("input_layer_first_row_order",),
          holds=lambda f: f["input_layer_first_row_order"] == sorted(CSV_COLUMNS[:4])),
    Claim("dense-variable-names", PAGE,
          quote="named after the layer:\n`dense`, `dense_1`, `dense_2` in the order they were built",
          says="The guide's three tf.layers.dense layers create dense/kernel [in, units] and dense/bias [units], "
               "then dense_1, dense_2.",
          shows=("trainable_variables",),
          holds=lambda f: f["trainable_variables"] == [
              ["dense/kernel", [4, 10]], ["dense/bias", [10]], ["dense_1/kernel", [10, 10]], ["dense_1/bias", [10]],
              ["dense_2/kernel", [10, 3]], ["dense_2/bias", [3]]]),
    Claim("same-layers-share-checkpoints", PAGE,
          quote="two model functions that build the same layers in the same order can read each other's checkpoints",
          says="A checkpoint written by the guide's model_fn restores into another model_fn building the same "
               "layers, and predicts the same probabilities.",
          shows=("checkpoint_has_dense_names", "other_model_fn_same_predictions"),
          holds=lambda f: f["checkpoint_has_dense_names"] and f["other_model_fn_same_predictions"]),
    Claim("model-fn-must-return-spec", PAGE,
          quote="in a `tf.estimator.EstimatorSpec`, the\nobject every model function returns",
          says="A model_fn that returns something other than an EstimatorSpec (a dict) fails with ValueError.",
          shows=("returning_a_dict_error",),
          holds=lambda f: f["returning_a_dict_error"] == "ValueError"),
]


def facts(tf, workdir):
    import inspect

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    config = tf.estimator.RunConfig(tf_random_seed=7)
    calls, seen = {}, {}
    current = ["train"]

    def spying_model_fn(features, labels, mode, params, config):
        calls[current[0]] = calls.get(current[0], 0) + 1
        seen.setdefault(current[0], dict(features=features, labels=labels, params=params, config=config,
                                         global_step=tf.train.get_global_step()))
        return model_fn(features, labels, mode, params)

    given = params
    spy = tf.estimator.Estimator(spying_model_fn, model_dir=str(workdir / "spy"), config=config, params=given)
    spy.train(lambda: train_input_fn(tf, train_x, train_y, batch_size=40), steps=5)
    current[0] = "evaluate"
    spy.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 7))
    current[0] = "predict"
    predictions = [p["probabilities"] for p in spy.predict(lambda: eval_input_fn(tf, test_x, batch_size=7))]
    train_seen = seen["train"]

    # The same layers under another model_fn (prediction only), on the spy's checkpoint.
    def predict_only_model_fn(features, labels, mode, params):
        net = tf.feature_column.input_layer(features, params["feature_columns"])
        for units in params["hidden_units"]:
            net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
        logits = tf.layers.dense(net, params["n_classes"], activation=None)
        return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": tf.nn.softmax(logits)})
    other = tf.estimator.Estimator(predict_only_model_fn, model_dir=str(workdir / "spy"), config=config, params=params)
    other_predictions = [p["probabilities"] for p in other.predict(lambda: eval_input_fn(tf, test_x, batch_size=7))]

    # Which arguments a model_fn may declare.
    def three_arg_model_fn(features, labels, mode):
        return model_fn(features, labels, mode, guide_params(tf))
    three = tf.estimator.Estimator(three_arg_model_fn, model_dir=str(workdir / "three"), config=config)
    three_trains = error_name(lambda: three.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)) is None

    def no_features_model_fn(inputs, labels, mode):
        return None
    no_features = error_name(lambda: tf.estimator.Estimator(no_features_model_fn, model_dir=str(workdir / "nf")))
    params_no_arg = error_name(lambda: tf.estimator.Estimator(three_arg_model_fn, model_dir=str(workdir / "np"),
                                                              params=params))

    def no_labels_model_fn(features, mode):
        return model_fn(features, None, mode, guide_params(tf))
    no_labels = tf.estimator.Estimator(no_labels_model_fn, model_dir=str(workdir / "nl"), config=config)
    no_labels_error = error_name(lambda: no_labels.train(lambda: train_input_fn(tf, train_x, train_y), steps=1))

    def dict_model_fn(features, labels, mode, params):
        return {"loss": model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss}
    returns_dict = tf.estimator.Estimator(dict_model_fn, model_dir=str(workdir / "dict"), config=config, params=params)
    dict_error = error_name(lambda: returns_dict.train(lambda: train_input_fn(tf, train_x, train_y), steps=1))

    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=params["feature_columns"],
                                         n_classes=3, model_dir=str(workdir / "premade"), config=config)

    # input_layer on a dict in the CSV's order: which feature each column of the result holds.
    with tf.Graph().as_default():
        features = {key: tf.constant([float(i + 1)], dtype=tf.float64) for i, key in enumerate(CSV_COLUMNS[:4])}
        net = tf.feature_column.input_layer(features, params["feature_columns"])
        with tf.Session() as sess:
            row = sess.run(net)[0]
    input_order = [CSV_COLUMNS[int(round(value)) - 1] for value in row]

    with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        features = {k: tf.constant(v.to_numpy()[:5]) for k, v in train_x.items()}
        model_fn(features, None, tf.estimator.ModeKeys.PREDICT, params)
        trainable = [[v.op.name, v.shape.as_list()] for v in tf.trainable_variables()]

    return {
        "three_arg_model_fn_trains": three_trains,
        "no_features_arg_error": no_features,
        "params_without_params_arg_error": params_no_arg,
        "config_received": {"type": type(train_seen["config"]).__name__,
                            "tf_random_seed": train_seen["config"].tf_random_seed},
        "premade_model_fn_args": list(inspect.signature(premade._model_fn).parameters),
        "premade_params": premade.params,
        "train_features": {k: [t.dtype.name, t.shape.as_list()] for k, t in train_seen["features"].items()},
        "train_labels": [train_seen["labels"].dtype.name, train_seen["labels"].shape.as_list()],
        "features_are_graph_tensors": all(isinstance(t, tf.Tensor) and hasattr(t, "graph")
                                          for t in train_seen["features"].values()),
        "predict_labels_is_none": seen["predict"]["labels"] is None,
        "params_keys_received": sorted(train_seen["params"]),
        "params_is_the_same_object": train_seen["params"] is given,
        "model_fn_calls": calls,
        "input_layer_first_row_order": input_order,
        "trainable_variables": trainable,
        "checkpoint_has_dense_names": all(f"dense{s}/{w}" in spy.get_variable_names()
                                          for s in ("", "_1", "_2") for w in ("kernel", "bias")),
        "other_model_fn_same_predictions": bool(len(predictions) == len(other_predictions) == 30 and np.allclose(
            predictions, other_predictions, rtol=0, atol=1e-6)),
        "returning_a_dict_error": dict_error,
        "no_labels_arg_with_labels_error": no_labels_error,
    }


if __name__ == "__main__":
    main(facts)
