"""The troubleshooting page: its claims about tf.estimator, and their facts.

    python tests/legacy/claims/troubleshooting.py real|ours WORKDIR
"""
from ledger import Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "companion/troubleshooting.ipynb"

CLAIMS = [
    Claim("real-seed-leaves-initial-weights-random", PAGE,
          quote="on the real `tf.estimator` of\nTensorFlow 2.15 the seed did not fix the initial weights, so such a "
                "run came at random, not from a seed",
          says="Two Estimators with RunConfig(tf_random_seed=42) start from different weights on the real one.",
          shows=("seed_42_twice_same_weights",),
          holds=lambda f: f["seed_42_twice_same_weights"] is False,
          differs="iris_lib's layers take their initial weights from the graph seed, so the same "
                  "tf_random_seed gives the same run."),
    Claim("resumes-from-latest-checkpoint", PAGE,
          quote="An Estimator always resumes from the latest checkpoint in its `model_dir`",
          says="A new Estimator on a model_dir trained 10 steps goes on from step 10: 5 more steps end at 15.",
          shows=("resumed_global_step",),
          holds=lambda f: f["resumed_global_step"] == 15),
    Claim("changed-shapes-restored-silently", PAGE,
          quote="The real `tf.estimator` did not fail here",
          says="Training [20, 20] layers in the model_dir of a [10, 10] model raises nothing on the real one: "
               "the restore gives the variables the checkpoint's shapes and it trains the old [10, 10] model on.",
          shows=("wider_error", "wider_global_step", "wider_checkpoint_dense_kernel_shape"),
          holds=lambda f: f["wider_error"] is None and f["wider_global_step"] == 25
          and f["wider_checkpoint_dense_kernel_shape"] == [4, 10],
          differs="iris_lib compares the checkpoint with the graph before restoring and raises "
                  "CheckpointMismatchError, listing every variable that does not fit; nothing is trained."),
    Claim("missing-variable-not-found", PAGE,
          quote="it failed only when the new model had a variable that the checkpoint lacks",
          says="A deeper model ([10, 10, 10]: a dense_3 the checkpoint lacks) in the same model_dir fails in the "
               "restore with NotFoundError.",
          shows=("deeper_error",),
          holds=lambda f: f["deeper_error"] == "NotFoundError",
          differs="iris_lib raises CheckpointMismatchError, listing every variable that does not fit."),
    Claim("forgotten-global-step-trains-on", PAGE,
          quote="The real Estimator only warned and then trained forever",
          says="A train_op that never increments global_step: the real Estimator keeps running training steps "
               "(here until its 3-batch input ends), global_step stays 0.",
          shows=("forgetful_error", "forgetful_training_runs", "forgetful_global_step"),
          holds=lambda f: f["forgetful_error"] is None and f["forgetful_training_runs"] == 3
          and f["forgetful_global_step"] == 0),
    Claim("params-plain-dict", PAGE,
          quote="`params` is a plain dictionary that the Estimator hands to your model function unchanged",
          says="The model_fn receives params as a dict with the keys and values given to the Estimator (a copy); "
               "a missing key is a plain KeyError naming it.",
          shows=("params_received", "params_received_is_the_given_object", "missing_key_error"),
          holds=lambda f: f["params_received"] == {"type": "dict", "keys": ["feature_columns", "hidden_units",
                                                                            "n_classes"], "n_classes": 3}
          and f["missing_key_error"] == ["KeyError", "'hidden_units'"]),
    Claim("numeric-column-passes-nan", PAGE,
          quote="A `numeric_column` does not catch it: in a pipeline of tensors\nits `default_value` only fills in "
                "values missing from a parsed `tf.Example`, and a NaN is a value.",
          says="input_layer with numeric_column(default_value=0.0) passes a NaN feature value through as NaN.",
          shows=("numeric_column_nan_out",),
          holds=lambda f: f["numeric_column_nan_out"] is True),
    Claim("model-fn-builds-a-graph", PAGE,
          quote="The Estimator calls the model function once, to *build a graph*; the features are symbolic\n"
                "tensors then, with no values",
          says="train() calls the model_fn once; its features have no .numpy() (AttributeError on "
               "'SymbolicTensor').",
          shows=("model_fn_calls_per_train", "numpy_error"),
          holds=lambda f: f["model_fn_calls_per_train"] == 1
          and f["numpy_error"] == ["AttributeError", "'SymbolicTensor' object has no attribute 'numpy'"]),
]


def facts(tf, workdir):
    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    model_fn = guide_model_fn(tf)
    params = guide_params(tf)

    def train_fn():
        return train_input_fn(tf, train_x, train_y, shuffle=False)

    # Section 1: the same tf_random_seed twice, one step on the same (unshuffled) batch.
    seeded = []
    for run in range(2):
        estimator = tf.estimator.Estimator(model_fn, model_dir=str(workdir / f"seed_{run}"), params=params,
                                           config=tf.estimator.RunConfig(tf_random_seed=42))
        estimator.train(train_fn, steps=1)
        seeded.append(estimator.get_variable_value("dense/kernel"))

    # Section 2: resuming, and a model of other shapes in the same model_dir.
    model_dir = str(workdir / "model_dir")
    tf.estimator.Estimator(model_fn, model_dir=model_dir, params=params).train(train_fn, steps=10)
    resumed = tf.estimator.Estimator(model_fn, model_dir=model_dir, params=params)
    resumed.train(train_fn, steps=5)
    latest = resumed.latest_checkpoint()
    wider = tf.estimator.Estimator(model_fn, model_dir=model_dir, params=guide_params(tf, (20, 20)))
    wider_error = error_name(lambda: wider.train(train_fn, steps=10))
    wider_latest = wider.latest_checkpoint()
    wider_step = int(tf.train.load_variable(wider_latest, "global_step"))
    wider_shape = dict(tf.train.list_variables(wider_latest))["dense/kernel"]
    deeper = tf.estimator.Estimator(model_fn, model_dir=model_dir, params=guide_params(tf, (10, 10, 10)))
    deeper_error = error_name(lambda: deeper.train(train_fn, steps=10))

    # Section 3: no global_step in minimize, on an input of 3 batches.
    def forgetful_model_fn(features, labels, mode, params):
        loss = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    runs = []

    class CountRuns(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            runs.append(1)
    forgetful = tf.estimator.Estimator(forgetful_model_fn, model_dir=str(workdir / "forgetful"), params=params)
    forgetful_error = error_name(lambda: forgetful.train(lambda: eval_input_fn(tf, train_x, train_y, 40), steps=10,
                                                         hooks=[CountRuns()]))
    forgetful_step = forgetful.latest_checkpoint() and int(forgetful.get_variable_value("global_step"))

    # Section 4: what the model_fn receives as params, and a missing key.
    received = []

    def peeking_params_model_fn(features, labels, mode, params):
        received.append(params)
        return model_fn(features, labels, mode, params)
    given = dict(params)
    tf.estimator.Estimator(peeking_params_model_fn, model_dir=str(workdir / "params"), params=given).train(
        train_fn, steps=1)
    incomplete = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "incomplete"),
                                        params={"feature_columns": params["feature_columns"], "n_classes": 3})
    try:
        incomplete.train(train_fn, steps=1)
        missing_key_error = None
    except Exception as error:  # noqa: BLE001
        missing_key_error = [type(error).__name__, str(error)]

    # Section 5: a NaN through numeric_column(default_value=0.0) and input_layer.
    with tf.Graph().as_default():
        column = tf.feature_column.numeric_column("SepalLength", default_value=0.0)
        out = tf.feature_column.input_layer({"SepalLength": tf.constant([5.0, float("nan")])}, [column])
        with tf.Session() as session:
            numeric_column_nan_out = bool(np.isnan(session.run(out)).any())

    # Section 6: .numpy() in a model_fn, and how often train() calls the model_fn.
    calls = []

    def counting_model_fn(features, labels, mode, params):
        calls.append(mode)
        return model_fn(features, labels, mode, params)
    tf.estimator.Estimator(counting_model_fn, model_dir=str(workdir / "count"), params=params).train(
        train_fn, steps=20)

    def numpy_model_fn(features, labels, mode, params):
        features["PetalLength"].numpy()
        return model_fn(features, labels, mode, params)
    try:
        tf.estimator.Estimator(numpy_model_fn, model_dir=str(workdir / "numpy"), params=params).train(
            train_fn, steps=1)
        numpy_error = None
    except Exception as error:  # noqa: BLE001
        numpy_error = [type(error).__name__, str(error).splitlines()[0]]

    return {
        "seed_42_twice_same_weights": bool(np.array_equal(seeded[0], seeded[1])),
        "resumed_global_step": int(tf.train.load_variable(latest, "global_step")),
        "wider_error": wider_error,
        "wider_global_step": wider_step,
        "wider_checkpoint_dense_kernel_shape": list(wider_shape),
        "deeper_error": deeper_error,
        "forgetful_error": forgetful_error,
        "forgetful_training_runs": len(runs),
        "forgetful_global_step": forgetful_step,
        "params_received": {"type": type(received[0]).__name__, "keys": sorted(received[0]),
                            "n_classes": received[0]["n_classes"]},
        "params_received_is_the_given_object": received[0] is given,
        "missing_key_error": missing_key_error,
        "numeric_column_nan_out": numeric_column_nan_out,
        "model_fn_calls_per_train": len(calls),
        "numpy_error": numpy_error,
    }


if __name__ == "__main__":
    main(facts)
