"""Chapter 5 (training, evaluation and prediction): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch05_modes.py real|ours WORKDIR
"""
from ledger import Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, \
    summary_steps_as_meant, train_input_fn

PAGE = "chapters/05_modes.ipynb"

CLAIMS = [
    Claim("mode-strings", PAGE,
          quote="Note the odd one out: prediction is `'infer'`, not `'predict'`.",
          says="ModeKeys.TRAIN, EVAL and PREDICT are the strings 'train', 'eval' and 'infer'.",
          shows=("mode_keys",),
          holds=lambda f: f["mode_keys"] == ["train", "eval", "infer"]),
    Claim("modes-per-method", PAGE,
          quote="`train()` → `ModeKeys.TRAIN` (`'train'`)",
          says="train(), evaluate() and predict() call the model_fn in TRAIN, EVAL and PREDICT mode.",
          shows=("modes_seen",),
          holds=lambda f: f["modes_seen"] == {"train": ["train"], "evaluate": ["eval"], "predict": ["infer"]}),
    Claim("spec-dicts-default-empty", PAGE,
          quote="which `EstimatorSpec` turns into `{}`, as the real one does",
          says="EstimatorSpec turns predictions=None and eval_metric_ops=None into {}.",
          shows=("predict_spec_eval_metric_ops", "train_spec_predictions"),
          holds=lambda f: f["predict_spec_eval_metric_ops"] == {} and f["train_spec_predictions"] == {}),
    Claim("spec-missing-field-is-value-error", PAGE,
          quote="A missing field is a\n  `ValueError` at once.",
          says="An EstimatorSpec without its mode's required field raises ValueError when it is built.",
          shows=("missing_field_errors",),
          holds=lambda f: f["missing_field_errors"] == ["ValueError", "ValueError", "ValueError"]),
    Claim("eval-accuracy-whatever-the-batch", PAGE,
          quote="the batch size does not change the accuracy\nthat `evaluate()` reports",
          says="evaluate()'s accuracy is the same for batches of 30 and of 7.",
          shows=("accuracy_batch_30_equals_7",),
          holds=lambda f: f["accuracy_batch_30_equals_7"]),
    Claim("eval-loss-is-a-mean-of-batch-means", PAGE,
          quote="So the reported loss is a mean of batch means, and it does change with the batch size",
          says="evaluate()'s loss is the mean of the batch losses: another number for batches of 7 than of 30.",
          shows=("loss_batch_30_equals_7", "loss_batch_7_is_mean_of_batch_means"),
          holds=lambda f: not f["loss_batch_30_equals_7"] and f["loss_batch_7_is_mean_of_batch_means"]),
    Claim("max-steps-reached-does-nothing", PAGE,
          quote="`train(max_steps=M)` until it\n  reaches M, and does nothing if it already has",
          says="train(max_steps=M) on a model at step M runs no step; train(steps=N) adds N steps.",
          shows=("step_after_max_steps_again", "step_after_steps_50"),
          holds=lambda f: f["step_after_max_steps_again"] == 200 and f["step_after_steps_50"] == 250),
    Claim("forgotten-global-step-only-warns", PAGE,
          quote="The\noriginal `tf.estimator` only logged a warning",
          says="A train_op that never increments global_step: the real Estimator warns and keeps training "
               "(here until its finite input ends).",
          shows=("forgetful_raised",),
          holds=lambda f: f["forgetful_raised"] is None),
    Claim("spec-error-messages", PAGE,
          quote="The messages are the real `tf.estimator`'s, word for word (iris_lib raises the same ones)",
          says="EstimatorSpec's ValueErrors for a missing field read 'Missing train_op.', 'Missing loss.' and "
               "'Missing predictions.', naming the field, not the mode.",
          shows=("missing_field_messages",),
          holds=lambda f: f["missing_field_messages"] == ["Missing train_op.", "Missing loss.", "Missing predictions."]),
    Claim("spec-unset-fields-none", PAGE,
          quote="a field left out is `None`, shown as `-`",
          says="An EstimatorSpec's loss and train_op are None when the model_fn does not set them.",
          shows=("unset_fields",),
          holds=lambda f: f["unset_fields"] == {"predict_loss": None, "predict_train_op": None,
                                                "eval_train_op": None}),
    Claim("global-step-before-model-fn", PAGE,
          quote="The Estimator creates the `global_step` variable\nbefore it calls the model function",
          says="In every mode, tf.train.get_global_step() already returns the global_step variable inside the "
               "model_fn.",
          shows=("global_step_in_model_fn",),
          holds=lambda f: f["global_step_in_model_fn"] == {"eval": "global_step", "infer": "global_step",
                                                           "train": "global_step"}),
    Claim("predict-one-dict-per-example", PAGE,
          quote="runs them batch by batch and yields one dict per example",
          says="predict() over 30 flowers in batches of 7 yields 30 dicts, each with the predictions' keys.",
          shows=("predictions_count", "prediction_keys"),
          holds=lambda f: f["predictions_count"] == 30
          and f["prediction_keys"] == ["class_ids", "logits", "probabilities"]),
    Claim("train-op-once-per-step", PAGE,
          quote="runs `train_op` once per step, until the requested number of steps",
          says="train(steps=200) on a new model stops at global_step 200.",
          shows=("step_after_train_200",),
          holds=lambda f: f["step_after_train_200"] == 200),
    Claim("loss-is-batch-mean-of-minus-log-p", PAGE,
          quote="takes\nminus the logarithm of the probability given to the *correct* class",
          says="tf.losses.sparse_softmax_cross_entropy gives each example -ln(softmax of its correct class) and, by "
               "default, the batch's mean of those.",
          shows=("per_example_loss_is_minus_log_p", "batch_loss_is_mean"),
          holds=lambda f: f["per_example_loss_is_minus_log_p"] and f["batch_loss_is_mean"]),
    Claim("accuracy-metric-local-total-count", PAGE,
          quote="backed by two hidden *local* variables, `total` (correct predictions counted so far) and `count`",
          says="tf.metrics.accuracy returns (value, update_op) over local variables total and count; update_op "
               "returns the running accuracy, 0.3 then 0.55 then 0.7 for batches of 10 with 3, 8, 10 right.",
          shows=("accuracy_local_variables", "accuracy_update_values"),
          holds=lambda f: f["accuracy_local_variables"] == ["acc_op/count", "acc_op/total"]
          and f["accuracy_update_values"] == [0.3, 0.55, 0.7]),
    Claim("evaluate-initializes-local-variables", PAGE,
          quote="`evaluate()` initializes the local variables, runs `update_op` on\nevery batch of the evaluation "
                "input and reads `value` once at the end",
          says="Two evaluate() calls of the same checkpoint report the same accuracy and loss: each starts its "
               "metrics from zero.",
          shows=("evaluate_twice_same",),
          holds=lambda f: f["evaluate_twice_same"]),
    Claim("evaluate-adds-loss", PAGE,
          quote="The Estimator adds it to the metrics itself",
          says="evaluate() returns the model_fn's metrics plus loss and global_step, which the model_fn did not "
               "define as metrics.",
          shows=("evaluate_keys",),
          holds=lambda f: f["evaluate_keys"] == ["accuracy", "global_step", "loss"]),
    Claim("premade-default-optimizer-adagrad", PAGE,
          quote="`tf.train.AdagradOptimizer` is\nthe optimizer the pre-made `DNNClassifier` uses by default",
          says="A DNNClassifier built without an optimizer trains with Adagrad (its checkpoint holds Adagrad slots).",
          shows=("premade_has_adagrad_slots",),
          holds=lambda f: f["premade_has_adagrad_slots"]),
    Claim("default-checkpoints-start-and-end", PAGE,
          quote="by default\nthe Estimator saves one when training starts, one when it stops and one every 10 minutes",
          says="RunConfig's defaults save a checkpoint every 600 s and none by steps; train(steps=200) leaves "
               "model.ckpt-0 and model.ckpt-200.",
          shows=("default_checkpoint_settings", "checkpoints_after_train_200"),
          holds=lambda f: f["default_checkpoint_settings"] == [600, None]
          and f["checkpoints_after_train_200"] == [0, 200]),
    Claim("checkpoints-every-n-steps-and-resume", PAGE,
          quote="they are saved every `save_checkpoints_steps` steps and named after the step\n  "
                "(`model.ckpt-500`), and training resumes from the latest one",
          says="With save_checkpoints_steps=100, train(steps=250) leaves model.ckpt-0, -100, -200, -250; after a "
               "second train(steps=250), a new Estimator on that model_dir resumes at 500 (train(steps=10) ends at 510).",
          shows=("checkpoints_every_100", "resumed_step_after_10_more"),
          holds=lambda f: f["checkpoints_every_100"] == [0, 100, 200, 250] and f["resumed_step_after_10_more"] == 510),
    Claim("summaries-at-steps", PAGE,
          quote="every summary is written with the step as its x-coordinate",
          says="The loss summaries of train(steps=250) (save_summary_steps=100) are written at steps in 1..250, "
               "about 100 apart.",
          shows=("loss_summary_steps",),
          holds=lambda f: 3 <= len(f["loss_summary_steps"]) <= 4 and all(0 <= s <= 250 for s in f["loss_summary_steps"])
          and f["loss_summary_steps"][:3] == [1, 101, 201]),  # early ones moved back by summary_steps_as_meant
    Claim("training-accuracy-is-running", PAGE,
          quote="the local `total` and `count` it adds to are initialized once, when\n`train()` starts: each point "
                "is the accuracy over every batch summarized so far in this `train()` call",
          says="The metric's count grows by one batch per summarized step (not per step) and restarts at each "
               "train() call.",
          shows=("count_at_summaries",),
          holds=lambda f: len(f["count_at_summaries"]) == 2 and all(
              len(run) >= 2 and run == [100 * (i + 1) for i in range(len(run))] for run in f["count_at_summaries"])),
    Claim("forgotten-global-step-warns-and-runs-on", PAGE,
          quote="\"It seems that global step (tf.train.get_global_step) has\nnot been increased\", and kept going",
          says="With a train_op that never increments global_step, the real Estimator logs 'It seems that global "
               "step (tf.train.get_global_step) has not been increased' and runs past steps=2, until the input ends.",
          shows=("forgetful_warned", "forgetful_runs_with_steps_2"),
          holds=lambda f: f["forgetful_warned"] and f["forgetful_runs_with_steps_2"] == 3),
]


def facts(tf, workdir):
    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    modes_seen = {}

    global_steps = {}

    def recording_model_fn(features, labels, mode, params):
        if current[0]:
            modes_seen.setdefault(current[0], []).append(mode)
            global_steps[mode] = tf.train.get_global_step().op.name
        return model_fn(features, labels, mode, params)

    config = tf.estimator.RunConfig(tf_random_seed=7)
    estimator = tf.estimator.Estimator(recording_model_fn, model_dir=str(workdir / "m"), config=config, params=params)
    current = ["train"]
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=200)
    step_after_train_200 = int(estimator.get_variable_value("global_step"))
    checkpoints_after_train_200 = checkpoint_steps(workdir / "m")
    current[0] = "evaluate"
    by_batch = {size: estimator.evaluate(lambda size=size: eval_input_fn(tf, test_x, test_y, size))
                for size in (30, 7)}
    current[0] = "predict"
    logits = np.array([p["logits"] for p in estimator.predict(lambda: eval_input_fn(tf, test_x))], np.float64)
    current[0] = None
    flowers = list(estimator.predict(lambda: eval_input_fn(tf, test_x, batch_size=7)))
    again = estimator.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 30))
    labels = test_y.to_numpy()
    flower_losses = np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(labels)), labels]
    mean_of_batch_means = np.mean([flower_losses[start:start + 7].mean() for start in range(0, len(labels), 7)])

    estimator.train(lambda: train_input_fn(tf, train_x, train_y), max_steps=200)
    step_after_max_steps_again = int(estimator.get_variable_value("global_step"))
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=50)

    # EstimatorSpec in each mode, built by hand in a graph, and each mode without its required field.
    with tf.Graph().as_default():
        tf.train.create_global_step()
        features = {k: tf.constant(v.to_numpy()[:5]) for k, v in train_x.items()}
        labels_t = tf.constant(train_y.to_numpy()[:5])
        train_spec = model_fn(features, labels_t, tf.estimator.ModeKeys.TRAIN, params)
        with tf.variable_scope("p"):
            predict_spec = model_fn(features, None, tf.estimator.ModeKeys.PREDICT, params)
        missing = [error_name(lambda m=m, kw=kw: tf.estimator.EstimatorSpec(m, **kw)) for m, kw in (
            (tf.estimator.ModeKeys.TRAIN, {"loss": train_spec.loss}),
            (tf.estimator.ModeKeys.EVAL, {"eval_metric_ops": None}),
            (tf.estimator.ModeKeys.PREDICT, {"loss": train_spec.loss}))]
        messages = [error_message(lambda m=m, kw=kw: tf.estimator.EstimatorSpec(m, **kw)) for m, kw in (
            (tf.estimator.ModeKeys.TRAIN, {"loss": train_spec.loss}),
            (tf.estimator.ModeKeys.EVAL, {"eval_metric_ops": None}),
            (tf.estimator.ModeKeys.PREDICT, {"loss": train_spec.loss}))]
        with tf.variable_scope("e"):
            eval_spec = model_fn(features, labels_t, tf.estimator.ModeKeys.EVAL, params)

    # A model_fn whose train_op never increments global_step, on an input that ends after 3 batches.
    def forgetful_model_fn(features, labels, mode, params):
        loss = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    forgetful = tf.estimator.Estimator(forgetful_model_fn, model_dir=str(workdir / "forgetful"), config=config,
                                       params=params)
    forgetful_raised = error_name(lambda: forgetful.train(lambda: eval_input_fn(tf, train_x, train_y, 40), steps=100))

    result = {
        "mode_keys": [tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL, tf.estimator.ModeKeys.PREDICT],
        "modes_seen": {method: sorted(set(modes)) for method, modes in modes_seen.items()},
        "predict_spec_eval_metric_ops": dict(predict_spec.eval_metric_ops),
        "train_spec_predictions": dict(train_spec.predictions),
        "missing_field_errors": missing,
        "accuracy_batch_30_equals_7": bool(by_batch[30]["accuracy"] == by_batch[7]["accuracy"]),
        "loss_batch_30_equals_7": bool(by_batch[30]["loss"] == by_batch[7]["loss"]),
        "loss_batch_7_is_mean_of_batch_means": bool(np.isclose(by_batch[7]["loss"], mean_of_batch_means, rtol=1e-4)),
        "step_after_max_steps_again": step_after_max_steps_again,
        "step_after_steps_50": int(estimator.get_variable_value("global_step")),
        "forgetful_raised": forgetful_raised,
        "missing_field_messages": messages,
        "unset_fields": {"predict_loss": predict_spec.loss, "predict_train_op": predict_spec.train_op,
                         "eval_train_op": eval_spec.train_op},
        "global_step_in_model_fn": global_steps,
        "predictions_count": len(flowers),
        "prediction_keys": sorted(flowers[0]),
        "step_after_train_200": step_after_train_200,
        "checkpoints_after_train_200": checkpoints_after_train_200,
        "evaluate_twice_same": bool(again["accuracy"] == by_batch[30]["accuracy"]
                                    and again["loss"] == by_batch[30]["loss"]),
        "evaluate_keys": sorted(by_batch[30]),
        "default_checkpoint_settings": [tf.estimator.RunConfig().save_checkpoints_secs,
                                        tf.estimator.RunConfig().save_checkpoints_steps],
    }
    result.update(more_facts(tf, workdir, model_fn, params, train_x, train_y))
    return result


def checkpoint_steps(model_dir):
    """The steps of the checkpoints in model_dir, from their index files."""
    return sorted(int(path.name[len("model.ckpt-"):-len(".index")]) for path in model_dir.glob("model.ckpt-*.index"))


def error_message(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return str(error)
    return None


def summary_values(tf, model_dir, tag):
    """[(step, value)] of a scalar summary in model_dir's event files, in the order they were written."""
    events = []
    for order, path in enumerate(sorted(model_dir.glob("events.out.tfevents.*"))):
        for index, event in enumerate(tf.train.summary_iterator(str(path))):
            for value in event.summary.value:
                if value.tag == tag:
                    events.append((event.wall_time, order, index, int(event.step), float(value.simple_value)))
    return [(step, value) for *_, step, value in sorted(events)]


def more_facts(tf, workdir, model_fn, params, train_x, train_y):
    import logging

    # tf.metrics.accuracy by hand: three batches of 10 with 3, 8 and 10 right.
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [None])
        predictions = tf.placeholder(tf.int64, [None])
        value, update_op = tf.metrics.accuracy(labels=labels, predictions=predictions, name="acc_op")
        local_names = sorted(v.op.name for v in tf.local_variables())
        running = []
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for n_correct in (3, 8, 10):
                truth = [i % 3 for i in range(10)]
                guess = truth[:n_correct] + [(t + 1) % 3 for t in truth[n_correct:]]
                running.append(round(float(sess.run(update_op, {labels: truth, predictions: guess})), 4))

    # sparse_softmax_cross_entropy per example and for the batch.
    import numpy as np
    p_correct = np.array([0.99, 0.9, 0.7, 0.5, 1 / 3, 0.1, 0.01])
    example_logits = np.log(np.stack([p_correct, (1 - p_correct) / 2, (1 - p_correct) / 2], axis=1)).astype(np.float32)
    example_labels = np.zeros(len(p_correct), dtype=np.int64)
    with tf.Graph().as_default():
        per_example = tf.losses.sparse_softmax_cross_entropy(labels=example_labels, logits=example_logits,
                                                             reduction=tf.losses.Reduction.NONE)
        batch_loss = tf.losses.sparse_softmax_cross_entropy(labels=example_labels, logits=example_logits)
        with tf.Session() as sess:
            per_example_values, batch_value = sess.run([per_example, batch_loss])

    # Checkpoints every 100 steps, resuming, the loss summaries' steps, and the metric's count at each summary.
    def counting_model_fn(features, labels, mode, params):
        spec = model_fn(features, labels, mode, params)
        if mode == tf.estimator.ModeKeys.TRAIN:
            graph = tf.get_default_graph()
            accuracy_summary = [op for op in graph.get_operations() if op.type == "ScalarSummary"][0]
            count = [v for v in tf.local_variables() if v.op.name.endswith("acc_op/count")][0]
            with tf.control_dependencies([accuracy_summary.inputs[1]]):
                tf.summary.scalar("seen", tf.identity(count.read_value()))
        return spec
    config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=100)
    counting = tf.estimator.Estimator(counting_model_fn, model_dir=str(workdir / "every100"), config=config,
                                      params=params)
    counting.train(lambda: train_input_fn(tf, train_x, train_y), steps=250)
    checkpoints_every_100 = checkpoint_steps(workdir / "every100")
    loss_steps = [step for step, _ in summary_values(tf, workdir / "every100", "loss")]
    counting.train(lambda: train_input_fn(tf, train_x, train_y), steps=250)
    runs = []
    for _, seen in summary_values(tf, workdir / "every100", "seen"):
        if not runs or seen <= runs[-1][-1]:
            runs.append([])
        runs[-1].append(int(round(seen)))
    resumed = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "every100"), config=config, params=params)
    resumed.train(lambda: train_input_fn(tf, train_x, train_y), steps=10)

    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=params["feature_columns"],
                                         n_classes=3, model_dir=str(workdir / "premade"),
                                         config=tf.estimator.RunConfig(tf_random_seed=7))
    premade.train(lambda: train_input_fn(tf, train_x, train_y), steps=1)

    # A train_op that never increments global_step, steps=2, an input of 3 batches: the warning, and the runs.
    class Counter(tf.train.SessionRunHook):
        runs = 0

        def after_run(self, run_context, run_values):
            Counter.runs += 1

    class Catch(logging.Handler):
        messages = []

        def emit(self, record):
            Catch.messages.append(record.getMessage())

    def forgetful_model_fn(features, labels, mode, params):
        loss = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    forgetful = tf.estimator.Estimator(forgetful_model_fn, model_dir=str(workdir / "forgetful2"),
                                       config=tf.estimator.RunConfig(tf_random_seed=7), params=params)
    handler = Catch()
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    tf.logging.set_verbosity(tf.logging.WARN)
    # The real warning is logged with log_first_n(..., 5), which counts per process (shown or not): this
    # program's earlier runs can use it up, so count afresh, as a user's program does.
    from tensorflow.python.platform import tf_logging
    tf_logging._log_counter_per_token.clear()
    try:
        error_name(lambda: forgetful.train(lambda: eval_input_fn(tf, train_x, train_y, 40), steps=2,
                                           hooks=[Counter()]))
    finally:
        tf.logging.set_verbosity(tf.logging.ERROR)
        logger.removeHandler(handler)

    return {
        "per_example_loss_is_minus_log_p": bool(np.allclose(per_example_values, -np.log(p_correct), atol=1e-5)),
        "batch_loss_is_mean": bool(np.isclose(batch_value, per_example_values.mean(), rtol=1e-6)),
        "accuracy_local_variables": local_names,
        "accuracy_update_values": running,
        "checkpoints_every_100": checkpoints_every_100,
        "resumed_step_after_10_more": int(resumed.get_variable_value("global_step")),
        "loss_summary_steps": summary_steps_as_meant(loss_steps),
        "count_at_summaries": runs,
        "premade_has_adagrad_slots": any(name.endswith("Adagrad") for name in premade.get_variable_names()),
        "forgetful_warned": any("It seems that global step (tf.train.get_global_step) has not been increased" in m
                                for m in Catch.messages),
        "forgetful_runs_with_steps_2": Counter.runs,
    }


if __name__ == "__main__":
    main(facts)
