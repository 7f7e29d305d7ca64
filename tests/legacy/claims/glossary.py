"""The glossary (companion/glossary.md): its definitions that say how tf.estimator behaves, and their facts.

    python tests/legacy/claims/glossary.py real|ours WORKDIR
"""
from ledger import (Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, tf2,
                    train_input_fn)

PAGE = "companion/glossary.md"

CLAIMS = [
    Claim("glossary-checkpoint-files", PAGE,
          quote="as the files `model.ckpt-N.data-…`, `.index` and `.meta` in `model_dir`, listed in the small "
                "`checkpoint`\nfile.",
          says="A checkpoint is saved as model.ckpt-N.data-*, .index and .meta in model_dir, and the `checkpoint` "
               "file lists it; it holds the weights, biases, optimizer slots and the global step.",
          shows=("checkpoint_file_kinds", "checkpoint_file_lists_newest", "checkpoint_holds"),
          holds=lambda f: f["checkpoint_file_kinds"] == [".data-00000-of-00001", ".index", ".meta"]
          and f["checkpoint_file_lists_newest"]
          and f["checkpoint_holds"] == {"bias": True, "global_step": True, "kernel": True, "slot": True}),
    Claim("glossary-each-call-restores-newest", PAGE,
          quote="Each Estimator call restores the newest one.",
          says="train() continues from the newest checkpoint and evaluate() scores it (its global_step is the "
               "newest checkpoint's).",
          shows=("step_after_second_train", "evaluate_global_step"),
          holds=lambda f: f["step_after_second_train"] == 40 and f["evaluate_global_step"] == 40),
    Claim("glossary-estimatorspec-fields", PAGE,
          quote="`predictions` to\npredict; `loss` and optionally `eval_metric_ops` to evaluate; `loss` and "
                "`train_op` to train",
          says="EstimatorSpec needs predictions in PREDICT mode, loss (eval_metric_ops optional) in EVAL mode and "
               "loss and train_op in TRAIN mode: without one it raises ValueError.",
          shows=("spec_errors",),
          holds=lambda f: f["spec_errors"] == {
              "eval_loss_only": None, "eval_no_loss": "ValueError", "predict_no_predictions": "ValueError",
              "predict_predictions": None, "train_loss_and_train_op": None, "train_no_train_op": "ValueError"}),
    Claim("glossary-input-layer-sorted", PAGE,
          quote="`input_layer` turns a dict of features into one matrix, one column per feature column,\n"
                "sorted by feature name.",
          says="input_layer makes one matrix with one column per numeric_column, ordered by the columns' names "
               "whatever order they are given in, and numeric_column passes the number through.",
          shows=("input_layer_rows",),
          holds=lambda f: f["input_layer_rows"] == [[1.5, 10.0, 100.0], [2.5, 20.0, 200.0]]),
    Claim("glossary-global-step-roles", PAGE,
          quote="The Estimator stops training by it, names checkpoints after it, and\nTensorBoard uses it as the "
                "x axis.",
          says="train(max_steps=20) stops when global_step reaches 20, checkpoints are named model.ckpt-<global "
               "step> (0, 20, 40), and summaries are recorded at global steps (the second train() call's go on "
               "from the first's, past 20).",
          shows=("step_after_max_steps", "checkpoint_steps", "summary_steps_from_0_to_past_20"),
          holds=lambda f: f["step_after_max_steps"] == 20 and f["checkpoint_steps"] == [0, 20, 40]
          and f["summary_steps_from_0_to_past_20"]),
    Claim("glossary-new-graph-and-session-per-call", PAGE,
          quote="The Estimator builds a new graph and opens a new session in\nevery call.",
          says="train(), evaluate(), predict() and a second train() each call the model_fn in a new graph and "
               "run it in a new session.",
          shows=("distinct_graphs", "distinct_sessions", "calls"),
          holds=lambda f: f["calls"] == 4 and f["distinct_graphs"] == 4 and f["distinct_sessions"] == 4),
    Claim("glossary-head-parts", PAGE,
          quote="the part of the model function after the logits: the loss, the predictions,\nthe metrics and the "
                "training op, for one kind of problem",
          says="A head (tf.estimator.MultiClassHead) turns logits into an EstimatorSpec: loss and train_op in "
               "TRAIN mode, loss and metrics in EVAL mode, predictions in PREDICT mode.",
          shows=("head_spec",),
          holds=lambda f: f["head_spec"] == {
              "eval_metrics": ["accuracy", "average_loss"], "eval_has_loss": True,
              "predict_keys": ["all_class_ids", "all_classes", "class_ids", "classes", "logits", "probabilities"],
              "train_has_loss": True, "train_has_train_op": True}),
    Claim("glossary-input-fn-arguments", PAGE,
          quote="The Estimator calls it to build the input part of every graph, with no\narguments but those it "
                "declares among `mode`, `params` and `config`.",
          says="train(), evaluate() and predict() each call the input function once; it receives mode, params "
               "and config only if it declares them, and nothing if it declares nothing.",
          shows=("input_fn_calls", "input_fn_arguments"),
          holds=lambda f: f["input_fn_calls"] == {"evaluate": 1, "predict": 1, "train": 1}
          and f["input_fn_arguments"] == {"declares_all": ["config", "mode", "params"], "declares_mode": ["mode"],
                                          "declares_none": []}),
    Claim("glossary-local-variables", PAGE,
          quote="not\nsaved in checkpoints, and set to zero at the start of every `evaluate` and every `train` call.",
          says="A metric's running totals (local variables) are not in the checkpoint, and read 0 when the session "
               "of each evaluate() and train() call starts, though they were not 0 at the end of the previous one.",
          shows=("metric_totals_in_checkpoint", "local_totals_at_session_start", "local_totals_nonzero_at_end"),
          holds=lambda f: not f["metric_totals_in_checkpoint"]
          and f["local_totals_at_session_start"] == {"evaluate": [0.0, 0.0], "train": [0.0, 0.0]}
          and f["local_totals_nonzero_at_end"]),
    Claim("glossary-mode-strings", PAGE,
          quote="`ModeKeys.PREDICT` (the strings `'train'`, `'eval'`, `'infer'`)",
          says="ModeKeys.TRAIN, EVAL and PREDICT are 'train', 'eval' and 'infer'.",
          shows=("mode_keys",),
          holds=lambda f: f["mode_keys"] == ["train", "eval", "infer"]),
    Claim("glossary-model-fn-returns-spec", PAGE,
          quote="builds the model's graph for one mode and returns an\n`EstimatorSpec`.",
          says="The model function must return an EstimatorSpec: a model_fn returning a dict makes train() raise "
               "ValueError.",
          shows=("model_fn_returning_dict",),
          holds=lambda f: f["model_fn_returning_dict"] == "ValueError"),
    Claim("glossary-model-dir-holds-state", PAGE,
          quote="The folder where an Estimator keeps all of its state: checkpoints, `graph.pbtxt` and event files.",
          says="After train() and evaluate(), model_dir holds the checkpoint files, graph.pbtxt, event files, and "
               "the evaluation's event file in eval/.",
          shows=("model_dir_kinds",),
          holds=lambda f: f["model_dir_kinds"] == ["checkpoint", "eval/events", "events", "graph.pbtxt",
                                                   "model.ckpt"]),
    Claim("glossary-new-model-new-model-dir", PAGE,
          quote="A new model needs a new `model_dir`.",
          says="An Estimator with hidden_units [20, 20] in the model_dir of a trained [10, 10] model does not train "
               "a [20, 20] model: the real one restores the checkpoint's [4, 10] kernel and trains on with it, "
               "iris_lib refuses.",
          shows=("other_model_same_dir", "kernel_shape_after_other_model"),
          holds=lambda f: f["other_model_same_dir"] is not None or f["kernel_shape_after_other_model"] == [4, 10]),
    Claim("glossary-params-passed-to-model-fn", PAGE,
          quote="The dictionary given to the Estimator's constructor and passed unchanged to the model function",
          says="The model function receives params equal to the dict given to the constructor (a deep copy: "
               "changing it does not change the caller's dict).",
          shows=("params_equal", "params_same_object", "callers_dict_changed"),
          holds=lambda f: f["params_equal"] and not f["callers_dict_changed"]),
    Claim("glossary-slots-in-checkpoints", PAGE,
          quote="Adagrad's running sum of squared\ngradients (`dense/kernel/Adagrad`). Slots are saved in "
                "checkpoints with the weights.",
          says="The guide's model's checkpoint holds dense/kernel/Adagrad beside dense/kernel.",
          shows=("adagrad_slot_in_checkpoint",),
          holds=lambda f: f["adagrad_slot_in_checkpoint"]),
    Claim("glossary-summary-in-event-files", PAGE,
          quote="A summary is a tagged value (`tf.summary.scalar('accuracy', …)`) recorded at a global step; event "
                "files\n(`events.out.tfevents.*`) store them",
          says="The model_fn's tf.summary.scalar('accuracy', ...) is stored, tagged 'accuracy' with a global step, "
               "in model_dir's events.out.tfevents.* file.",
          # The real engine's steps vary from run to run ([1, 11, 21, 31] or [1, 10, 20, 21, 30, 40]): the page
          # shows the check, not the list.
          shows=("accuracy_summaries_at_steps_up_to_40",),
          holds=lambda f: len(f["accuracy_summary_steps"]) >= 2 and f["accuracy_summary_steps"][-1] <= 40),
    Claim("glossary-update-op-per-batch", PAGE,
          quote="`evaluate` runs the update op once per batch; a training\nsummary of it is a running value over "
                "the summarized batches.",
          says="evaluate() runs a metric's update op once per batch (5 for 30 flowers in batches of 7); in "
               "training, a summary of the update op runs it only when a summary is written, so it counts those "
               "batches: 1, 2, 3, ...",
          shows=("eval_update_runs", "train_summary_counts_1_2_3"),  # its length varies on the real engine
          holds=lambda f: f["eval_update_runs"] == 5
          and f["train_summary_of_update"] == list(range(1, len(f["train_summary_of_update"]) + 1))
          and 2 <= len(f["train_summary_of_update"]) < 30),
]


def _events(directory):
    """(step, tag, value) of every scalar summary in a directory's event files (read by TensorFlow itself)."""
    import glob
    import os
    import tensorflow
    records = []
    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*"))):
        for event in tensorflow.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    records.append((int(event.step), value.tag, float(value.simple_value)))
    return records


def facts(tf, workdir):
    import os

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    guide = guide_model_fn(tf)
    record = {"graphs": [], "sessions": [], "local_at_start": {}, "local_at_end": {}}
    current = [None]

    def model_fn(features, labels, mode, params):
        record["graphs"].append(tf.get_default_graph())
        spec = guide(features, labels, mode, params)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return spec
        # a metric that counts the runs of its update op: in evaluate, and summarized in training
        runs = tf.Variable(0.0, trainable=False, name="update_runs",
                           collections=[tf.GraphKeys.LOCAL_VARIABLES, tf.GraphKeys.METRIC_VARIABLES])
        update = runs.assign_add(tf.cast(tf.size(labels) > 0, tf.float32))  # needs this run's batch
        if mode == tf.estimator.ModeKeys.EVAL:
            ops = dict(spec.eval_metric_ops, update_runs=(runs.read_value(), update))
            return tf.estimator.EstimatorSpec(mode, loss=spec.loss, eval_metric_ops=ops)
        tf.summary.scalar("update_count", update)
        return spec

    class Watch(tf.train.SessionRunHook):
        def begin(self):
            self.totals = sorted((v for v in tf.local_variables() if v.op.name.startswith("acc_op/")),
                                 key=lambda v: v.op.name, reverse=True)  # total, count

        def after_create_session(self, session, coord):
            record["sessions"].append(session)
            if self.totals:
                record["local_at_start"][current[0]] = [float(v) for v in session.run(self.totals)]

        def end(self, session):
            if self.totals:
                record["local_at_end"][current[0]] = [float(v) for v in session.run(self.totals)]

    config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=20, save_summary_steps=10)
    model_dir = str(workdir / "m")
    calls = {}

    def counted(name, make):
        def input_fn():
            calls[name] = calls.get(name, 0) + 1
            return make()
        return input_fn

    estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir, config=config, params=params)
    current[0] = "train"
    estimator.train(counted("train", lambda: train_input_fn(tf, train_x, train_y)), max_steps=20, hooks=[Watch()])
    step_after_max_steps = int(estimator.get_variable_value("global_step"))
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), max_steps=20)  # already there: no graph
    current[0] = "evaluate"
    metrics = estimator.evaluate(counted("evaluate", lambda: eval_input_fn(tf, test_x, test_y, 7)), hooks=[Watch()])
    list(estimator.predict(counted("predict", lambda: eval_input_fn(tf, test_x)), hooks=[Watch()]))
    current[0] = "train2"
    estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=20, hooks=[Watch()])
    evaluated = estimator.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 30))
    step_after_second_train = int(estimator.get_variable_value("global_step"))
    graphs, sessions = record["graphs"][:4], record["sessions"][:4]

    # files in model_dir
    names = sorted(os.listdir(model_dir))
    ckpt_steps = sorted({int(n.split("-")[1].split(".")[0]) for n in names if n.startswith("model.ckpt-")})
    newest = ckpt_steps[-1]
    kinds = sorted(n[len(f"model.ckpt-{newest}"):] for n in names if n.startswith(f"model.ckpt-{newest}."))
    with open(os.path.join(model_dir, "checkpoint")) as handle:
        checkpoint_text = handle.read()
    variables = dict(tf.train.list_variables(model_dir))
    model_dir_kinds = sorted({"model.ckpt" if n.startswith("model.ckpt-") else "events" if n.startswith("events.")
                              else n for n in names if n != "eval"}
                             | {"eval/events" for n in os.listdir(os.path.join(model_dir, "eval"))
                                if n.startswith("events.")})
    events = _events(model_dir)

    # EstimatorSpec's required fields, in a graph of its own
    with tf.Graph().as_default():
        step = tf.train.create_global_step()
        loss = tf.constant(1.0)
        train_op = tf.assign_add(step, 1)
        modes = tf.estimator.ModeKeys
        spec_errors = {
            "train_loss_and_train_op": error_name(lambda: tf.estimator.EstimatorSpec(modes.TRAIN, loss=loss,
                                                                                     train_op=train_op)),
            "train_no_train_op": error_name(lambda: tf.estimator.EstimatorSpec(modes.TRAIN, loss=loss)),
            "eval_loss_only": error_name(lambda: tf.estimator.EstimatorSpec(modes.EVAL, loss=loss)),
            "eval_no_loss": error_name(lambda: tf.estimator.EstimatorSpec(modes.EVAL)),
            "predict_predictions": error_name(lambda: tf.estimator.EstimatorSpec(modes.PREDICT, predictions=loss)),
            "predict_no_predictions": error_name(lambda: tf.estimator.EstimatorSpec(modes.PREDICT)),
        }
        columns = [tf.feature_column.numeric_column(k) for k in ("b", "c", "a")]
        matrix = tf.feature_column.input_layer(
            {"a": tf.constant([1.5, 2.5]), "b": tf.constant([10.0, 20.0]), "c": tf.constant([100.0, 200.0])}, columns)
        with tf.Session() as session:
            input_layer_rows = session.run(matrix).tolist()

    # a head turns logits into each mode's EstimatorSpec (TF2's public head, with a train_op_fn)
    tf2_ = tf2()
    head = tf2_.estimator.MultiClassHead(n_classes=3)
    head_spec = {}
    for mode in ("train", "eval", "infer"):
        with tf.Graph().as_default():
            step = tf.train.get_or_create_global_step()
            logits = tf.constant([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
            spec = head.create_estimator_spec(
                features={"x": tf.constant([[1.0], [2.0]])}, mode=mode, logits=logits,
                labels=tf.constant([[1], [2]]) if mode != "infer" else None,
                train_op_fn=lambda loss: tf.assign_add(step, 1))
            if mode == "train":
                head_spec.update(train_has_loss=spec.loss is not None, train_has_train_op=spec.train_op is not None)
            elif mode == "eval":
                head_spec.update(eval_has_loss=spec.loss is not None, eval_metrics=sorted(spec.eval_metric_ops))
            else:
                head_spec["predict_keys"] = sorted(spec.predictions)

    # the input function's arguments
    received = {}

    def make_input_fn(name, declared):
        def declares_all(mode, params, config):
            received[name] = sorted(k for k, v in (("mode", mode), ("params", params), ("config", config))
                                    if v is not None)
            return train_input_fn(tf, train_x, train_y)

        def declares_mode(mode):
            received[name] = ["mode"] if mode is not None else []
            return train_input_fn(tf, train_x, train_y)

        def declares_none():
            received[name] = []
            return train_input_fn(tf, train_x, train_y)
        return {"all": declares_all, "mode": declares_mode, "none": declares_none}[declared]
    arguments_estimator = tf.estimator.Estimator(guide, model_dir=str(workdir / "args"), config=config, params=params)
    for declared in ("all", "mode", "none"):
        arguments_estimator.train(make_input_fn(f"declares_{declared}", declared), steps=1)

    # a model_fn that returns no EstimatorSpec
    def dict_model_fn(features, labels, mode, params):
        return {"loss": tf.reduce_sum(features["SepalLength"])}
    dict_estimator = tf.estimator.Estimator(dict_model_fn, model_dir=str(workdir / "dict"), params=params)
    model_fn_returning_dict = error_name(lambda: dict_estimator.train(
        lambda: train_input_fn(tf, train_x, train_y), steps=1))

    # another model in the trained model's model_dir
    other = tf.estimator.Estimator(guide, model_dir=model_dir, config=config,
                                   params=guide_params(tf, hidden_units=(20, 20)))
    other_model_same_dir = error_name(lambda: other.train(lambda: train_input_fn(tf, train_x, train_y), steps=1))
    kernel_after_other = dict(tf.train.list_variables(model_dir))["dense/kernel"]

    # params: what the model_fn receives
    seen = {}
    given = {"hidden_units": [10, 10], "n_classes": 3, "extra": {"list": [1, 2]}}

    def params_model_fn(features, labels, mode, params):
        seen["params"] = params
        params["extra"]["list"].append(3)
        return guide(features, labels, mode, dict(params, feature_columns=numeric_columns_(tf)))
    tf.estimator.Estimator(params_model_fn, model_dir=str(workdir / "params"), config=config, params=given).train(
        lambda: train_input_fn(tf, train_x, train_y), steps=1)

    out = {
        "checkpoint_file_kinds": kinds,
        "checkpoint_file_lists_newest": f'model_checkpoint_path: "model.ckpt-{newest}"' in checkpoint_text,
        "checkpoint_holds": {"kernel": "dense/kernel" in variables, "bias": "dense/bias" in variables,
                             "slot": "dense/kernel/Adagrad" in variables, "global_step": "global_step" in variables},
        "step_after_second_train": step_after_second_train,
        "evaluate_global_step": int(evaluated["global_step"]),
        "spec_errors": spec_errors,
        "input_layer_rows": input_layer_rows,
        "step_after_max_steps": step_after_max_steps,
        "checkpoint_steps": ckpt_steps,
        # The real one's last summary step varies from run to run (31 or 40 measured), so the page shows the check.
        "summary_steps_from_0_to_past_20": (min(s for s, _, _ in events) >= 0
                                            and 20 < max(s for s, _, _ in events) <= 40),
        "calls": len(graphs),
        "distinct_graphs": len({id(g) for g in graphs}),
        "distinct_sessions": len({id(s) for s in sessions}),
        "head_spec": head_spec,
        "input_fn_calls": calls,
        "input_fn_arguments": received,
        "metric_totals_in_checkpoint": any(name.startswith("acc_op") or "update_runs" in name for name in variables),
        "local_totals_at_session_start": {"train": record["local_at_start"]["train2"],
                                          "evaluate": record["local_at_start"]["evaluate"]},
        "local_totals_nonzero_at_end": all(v[0] > 0 for v in record["local_at_end"].values()),
        "mode_keys": [tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL, tf.estimator.ModeKeys.PREDICT],
        "model_fn_returning_dict": model_fn_returning_dict,
        "model_dir_kinds": model_dir_kinds,
        "other_model_same_dir": other_model_same_dir,
        "kernel_shape_after_other_model": kernel_after_other,
        "params_equal": {k: seen["params"][k] for k in given if k != "extra"} == {k: v for k, v in given.items()
                                                                              if k != "extra"},
        "params_same_object": seen["params"] is given,
        "callers_dict_changed": given["extra"]["list"] != [1, 2],
        "adagrad_slot_in_checkpoint": "dense/kernel/Adagrad" in variables and "dense/kernel" in variables,
        "accuracy_summary_steps": [s for s, tag, _ in events if tag == "accuracy"],
        "eval_update_runs": int(metrics["update_runs"]),
        "train_summary_of_update": [int(v) for s, tag, v in events if tag == "update_count" and s <= 20],
    }
    steps, counts = out["accuracy_summary_steps"], out["train_summary_of_update"]
    out["accuracy_summaries_at_steps_up_to_40"] = len(steps) >= 2 and steps[-1] <= 40
    out["train_summary_counts_1_2_3"] = counts == list(range(1, len(counts) + 1)) and 2 <= len(counts) < 30
    return out


def numeric_columns_(tf):
    from ledger import numeric_columns
    return numeric_columns(tf)


if __name__ == "__main__":
    main(facts)
