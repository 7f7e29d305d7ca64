"""The TF1 primer (companion/tf1_primer.ipynb): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/tf1_primer.py real|ours WORKDIR
"""
from ledger import Claim, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "companion/tf1_primer.ipynb"

CLAIMS = [
    Claim("primer-no-values-in-model-fn", PAGE,
          quote="This is why you cannot look at a value inside a model function (for example\nwith `.numpy()`",
          says="Inside the model_fn TensorFlow is not executing eagerly and .numpy() on a feature tensor raises.",
          shows=("model_fn_eager", "numpy_in_model_fn_error"),
          holds=lambda f: f["model_fn_eager"] is False and f["numpy_in_model_fn_error"] is not None),
    Claim("primer-estimator-restores-checkpoint", PAGE,
          quote="or until a\ncheckpoint is restored into it, which is what an Estimator does when `model_dir` already "
                "holds one",
          says="A second train() restores the variables of the checkpoint instead of running their initializers.",
          shows=("counter_after_two_trains",),
          holds=lambda f: f["counter_after_two_trains"] == [3, 5]),
    Claim("primer-saves-before-closing", PAGE,
          quote="An Estimator therefore saves them to a [**checkpoint**]",
          says="train() ends with a checkpoint of its last step in model_dir, and the next call starts from it.",
          shows=("checkpoints_after_two_trains", "counter_after_two_trains"),
          holds=lambda f: f["checkpoints_after_two_trains"] == ["model.ckpt-0", "model.ckpt-2", "model.ckpt-4"]
          and f["counter_after_two_trains"] == [3, 5]),
    Claim("primer-out-of-range-ends-evaluate", PAGE,
          quote="When the data is exhausted, running it raises\n`OutOfRangeError`, which is how `evaluate` knows that "
                "one pass over the test set is done.",
          says="evaluate() without steps runs its update ops on every batch of a finite input and stops at its end.",
          shows=("eval_examples",),
          holds=lambda f: f["eval_examples"] == [30, 30]),
    Claim("primer-input-fn-tensors-are-get-next", PAGE,
          quote="The tensors an\ninput function returns are exactly such `get_next()` outputs (chapter 2)",
          says="When the input_fn returns a Dataset, the model_fn's features and labels are outputs of an "
               "IteratorGetNext op.",
          shows=("model_fn_feature_op",),
          holds=lambda f: f["model_fn_feature_op"] == {"features": "IteratorGetNext", "labels": "IteratorGetNext"}),
    Claim("primer-metric-local-variables", PAGE,
          quote="it keeps running totals in two\n[**local variables**]",
          says="tf.metrics.accuracy keeps total and count in two local variables.",
          shows=("accuracy_local_variables",),
          holds=lambda f: f["accuracy_local_variables"] == ["accuracy/count:0", "accuracy/total:0"]),
    Claim("primer-local-variables-not-saved-start-at-zero", PAGE,
          quote="they are not saved in checkpoints and start from zero in every `evaluate` call",
          says="The guide's accuracy metric's variables are not in the checkpoint, and a second evaluate() counts "
               "its examples from zero again.",
          shows=("metric_variables_in_checkpoint", "eval_examples"),
          holds=lambda f: f["metric_variables_in_checkpoint"] == [] and f["eval_examples"] == [30, 30]),
    Claim("primer-evaluate-runs-update-ops-per-batch", PAGE,
          quote="`evaluate` runs the\nupdate ops once per batch and reads the values at the end",
          says="evaluate() on 30 flowers in batches of 8 runs a metric's update op 4 times and reports its final "
               "value.",
          shows=("eval_batches",),
          holds=lambda f: f["eval_batches"] == 4),
    Claim("primer-global-step-names-checkpoints", PAGE,
          quote="what the Estimator compares with `steps`/`max_steps` to stop, what names each checkpoint\n"
                "(`model.ckpt-1000`), and the x axis of every TensorBoard graph",
          says="train(max_steps=4) then train(max_steps=7) stop at global steps 4 and 7, the last checkpoint is "
               "model.ckpt-7, and the loss summaries (every 2 steps) are at global steps 1, 3, 5, 7 across both calls.",
          shows=("max_steps_run",),
          holds=lambda f: f["max_steps_run"] == {"step": 7, "latest": "model.ckpt-7", "loss_summary_steps": [1, 3, 5, 7]}),
    Claim("primer-adagrad-slots-in-checkpoint", PAGE,
          quote="which live in variables next to the weights\nand are saved in the checkpoints too",
          says="The guide's Adagrad keeps one accumulator slot per weight, saved in the checkpoint.",
          shows=("adagrad_slots_in_checkpoint",),
          holds=lambda f: f["adagrad_slots_in_checkpoint"] == ["dense/bias/Adagrad", "dense/kernel/Adagrad",
                                                               "dense_1/bias/Adagrad", "dense_1/kernel/Adagrad",
                                                               "dense_2/bias/Adagrad", "dense_2/kernel/Adagrad"]),
    Claim("primer-fresh-graph-per-call", PAGE,
          quote="Each call to `train`, `evaluate` or `predict` builds a **fresh graph** (calling your input function "
                "and\nyour model function with the mode)",
          says="train, evaluate and predict each call input_fn then model_fn in a new graph, with their mode.",
          shows=("call_sequence", "distinct_graphs"),
          holds=lambda f: f["call_sequence"] == [["input_fn", "model_fn:train"], ["input_fn", "model_fn:eval"],
                                                 ["input_fn", "model_fn:infer"]] and f["distinct_graphs"] == 3),
    Claim("primer-restores-or-initializes-saves-when-trained", PAGE,
          quote="restores the latest checkpoint from `model_dir`\nor runs the initializers, runs the ops the mode needs, "
                "and closes the session again, saving a checkpoint\nwhen it trained",
          says="Without a checkpoint, evaluate() runs the initializers (global step 0); evaluate() and predict() "
               "write no checkpoint, train() does.",
          shows=("evaluate_without_checkpoint", "eval_predict_wrote_checkpoint", "checkpoints_after_two_trains"),
          holds=lambda f: f["evaluate_without_checkpoint"] == {"global_step": 0, "checkpoint_written": False}
          and f["eval_predict_wrote_checkpoint"] is False
          and f["checkpoints_after_two_trains"] == ["model.ckpt-0", "model.ckpt-2", "model.ckpt-4"]),
    Claim("primer-pass-global-step-or-no-count", PAGE,
          quote="The global step counts training steps; pass it to `minimize` or the Estimator cannot count",
          says="A train_op from minimize(loss) without global_step leaves the global step at 0: on a finite input of "
               "3 batches the real Estimator trains them all and reports step 0.",
          shows=("forgetful",),
          holds=lambda f: f["forgetful"] == {"raised": None, "global_step": 0}),
]


def facts(tf, workdir):
    import os

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    config = tf.estimator.RunConfig(tf_random_seed=7)
    model_fn = guide_model_fn(tf)
    params = guide_params(tf)

    def names(folder):
        state = tf.train.get_checkpoint_state(str(folder))
        return sorted(os.path.basename(p) for p in state.all_model_checkpoint_paths) if state else []

    # A counter variable: restored, not re-initialized, by a second train().
    sequence, graphs, seen = [], [], {}

    def counter_input_fn(mode):
        sequence.append(["input_fn"])
        if mode == tf.estimator.ModeKeys.PREDICT:
            return eval_input_fn(tf, test_x, batch_size=8)
        if mode == tf.estimator.ModeKeys.EVAL:
            return eval_input_fn(tf, test_x, test_y, 8)
        return tf.data.Dataset.from_tensor_slices((dict(train_x), train_y)).repeat().batch(10)

    def counter_model_fn(features, labels, mode):
        sequence[-1].append("model_fn:" + mode)
        graphs.append(tf.get_default_graph())
        seen.setdefault("eager", tf.executing_eagerly())
        try:
            features["SepalLength"].numpy()
            seen.setdefault("numpy", None)
        except Exception as error:  # noqa: BLE001
            seen.setdefault("numpy", type(error).__name__)
        seen.setdefault("ops", {"features": features["SepalLength"].op.type,
                                "labels": None if labels is None else labels.op.type})
        counter = tf.get_variable("counter", initializer=1.0)
        examples = tf.get_local_variable("examples", initializer=0.0)
        batches = tf.get_local_variable("batches", initializer=0.0)
        reads = tf.reduce_sum(features["SepalLength"]) * 0.0
        size = tf.cast(tf.size(features["SepalLength"]), tf.float32)
        update = tf.group(tf.assign_add(examples, size), tf.assign_add(batches, tf.minimum(size, 1.0)))
        train_op = tf.group(tf.assign_add(counter, 1.0), tf.assign_add(tf.train.get_global_step(), 1))
        return tf.estimator.EstimatorSpec(
            mode, loss=counter * 0.0 + tf.cast(reads, tf.float32), train_op=train_op,
            predictions={"x": features["SepalLength"]},
            eval_metric_ops={"examples": (tf.identity(examples), update), "batches": (tf.identity(batches), tf.no_op())})

    counter_dir = workdir / "counter"
    estimator = tf.estimator.Estimator(counter_model_fn, model_dir=str(counter_dir), config=config)
    evaluated_fresh = estimator.evaluate(counter_input_fn)
    fresh_checkpoint = names(counter_dir) != []
    del sequence[:], graphs[:]
    counters = []
    estimator.train(counter_input_fn, steps=2)
    counters.append(int(estimator.get_variable_value("counter")))
    estimator.train(counter_input_fn, steps=2)
    counters.append(int(estimator.get_variable_value("counter")))
    checkpoints_after_trains = names(counter_dir)
    del sequence[:], graphs[:]
    estimator.train(counter_input_fn, steps=1)
    first_eval = estimator.evaluate(counter_input_fn)
    list(estimator.predict(counter_input_fn))
    call_sequence = [list(s) for s in sequence]
    distinct_graphs = len({id(g) for g in graphs})
    checkpoints_before = names(counter_dir)
    second_eval = estimator.evaluate(counter_input_fn)
    list(estimator.predict(counter_input_fn))
    eval_predict_wrote = names(counter_dir) != checkpoints_before

    # tf.metrics.accuracy's local variables.
    with tf.Graph().as_default() as graph:
        tf.metrics.accuracy(labels=tf.constant([0, 1]), predictions=tf.constant([0, 0]))
        local = sorted(v.name for v in graph.get_collection(tf.GraphKeys.LOCAL_VARIABLES))

    # The guide's model: its checkpoint (no metric variables; Adagrad slots), max_steps and summaries.
    guide = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "guide"), params=params,
                                   config=tf.estimator.RunConfig(tf_random_seed=7, save_summary_steps=2))
    guide.train(lambda: train_input_fn(tf, train_x, train_y), max_steps=4)
    guide.train(lambda: train_input_fn(tf, train_x, train_y), max_steps=7)
    stored = tf.train.list_variables(guide.latest_checkpoint())
    import glob

    import tensorflow
    from tensorflow.core.util import event_pb2
    loss_steps = []
    for path in sorted(glob.glob(os.path.join(guide.model_dir, "events.out.tfevents*"))):
        for raw in tensorflow.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(raw.numpy())
            loss_steps += [int(event.step) for v in event.summary.value if v.tag == "loss"]

    # A forgotten global step, on a finite input of 3 batches.
    def forgetful_model_fn(features, labels, mode, params):
        loss = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.train.AdagradOptimizer(0.1).minimize(loss))
    forgetful = tf.estimator.Estimator(forgetful_model_fn, model_dir=str(workdir / "forgetful"), config=config,
                                       params=params)
    try:
        forgetful.train(lambda: eval_input_fn(tf, train_x, train_y, 40), steps=100)
        raised = None
    except Exception as error:  # noqa: BLE001
        raised = type(error).__name__
    forgetful_step = int(forgetful.get_variable_value("global_step")) if forgetful.latest_checkpoint() else None

    return {
        "model_fn_eager": bool(seen["eager"]),
        "numpy_in_model_fn_error": seen["numpy"],
        "model_fn_feature_op": seen["ops"],
        "counter_after_two_trains": counters,
        "checkpoints_after_two_trains": checkpoints_after_trains,
        "eval_examples": [int(first_eval["examples"]), int(second_eval["examples"])],
        "eval_batches": int(first_eval["batches"]),
        "accuracy_local_variables": local,
        "metric_variables_in_checkpoint": sorted(n for n, _ in stored if "acc_op" in n or "accuracy" in n),
        "max_steps_run": {"step": int(guide.get_variable_value("global_step")),
                          "latest": os.path.basename(guide.latest_checkpoint()), "loss_summary_steps": loss_steps},
        "adagrad_slots_in_checkpoint": sorted(n for n, _ in stored if n.endswith("/Adagrad")),
        "call_sequence": call_sequence,
        "distinct_graphs": distinct_graphs,
        "evaluate_without_checkpoint": {"global_step": int(evaluated_fresh["global_step"]),
                                        "checkpoint_written": fresh_checkpoint},
        "eval_predict_wrote_checkpoint": eval_predict_wrote,
        "forgetful": {"raised": raised, "global_step": forgetful_step},
    }


if __name__ == "__main__":
    main(facts)
