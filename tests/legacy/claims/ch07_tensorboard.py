"""Chapter 7 (TensorBoard): its claims about tf.estimator's model_dir and event files, and their facts.

    python tests/legacy/claims/ch07_tensorboard.py real|ours WORKDIR

The real SummarySaverHook and StepCounterHook read the global step in the same Session.run as the train op, so
now and then the real one files a summary one step early (100 for 101): facts about summary steps allow that.
"""
from ledger import Claim, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "chapters/07_tensorboard.ipynb"

# The training event file of 300 steps with a checkpoint every 100, without the summaries.
TRAIN_SKELETON = [
    ["file_version", 0], ["graph_def", 0], ["meta_graph_def", 0], ["graph_def", 0], ["meta_graph_def", 0],
    ["CHECKPOINT", 0], ["START", 1], ["CHECKPOINT", 100], ["CHECKPOINT", 200], ["CHECKPOINT", 300]]
EVAL_RECORDS = [
    ["file_version", 0, None], ["graph_def", 0, None], ["meta_graph_def", 0, None],
    ["summary", 300, ["accuracy", "loss"]], ["summary", 300, ["checkpoint_path=model.ckpt-300"]]]
MODEL_DIR_FILES = {
    "checkpoint": 1, "eval/events.out.tfevents.*": 1, "events.out.tfevents.*": 1, "graph.pbtxt": 1,
    "model.ckpt-N.data-00000-of-00001": 4, "model.ckpt-N.index": 4, "model.ckpt-N.meta": 4}

CLAIMS = [
    Claim("model-dir-files", PAGE,
          quote="What `model_dir` holds after `train` and `evaluate`: checkpoints, the graph and the event files.",
          says="After train (checkpoints every 100 steps, 300 steps) and evaluate, model_dir holds the checkpoint "
               "index, graph.pbtxt, one event file, three files per checkpoint, and eval/ with one event file.",
          shows=("model_dir_files",),
          holds=lambda f: f["model_dir_files"] == MODEL_DIR_FILES),
    Claim("event-file-name-time-host", PAGE,
          quote="The name of an event file records the second it was created and the\n"
                "name of the computer (`events.out.tfevents.<time>.<host>`)",
          says="An event file is named events.out.tfevents.<seconds>.<hostname>, nothing more.",
          shows=("event_file_name_is_time_host",),
          holds=lambda f: f["event_file_name_is_time_host"],
          differs="iris_lib adds the process id and a counter (events.out.tfevents.<seconds>.<host>.<pid>.<n>) so "
                  "that two writers never share a file (differences page, 'Event files have unique names')."),
    Claim("checkpoint-defaults", PAGE,
          quote="By default the\n  Estimator saves one when training starts, one when it stops and one every "
                "10 minutes in between, and\n  keeps the 5 newest",
          says="RunConfig defaults to save_checkpoints_secs=600 and keep_checkpoint_max=5; a short train() saves "
               "checkpoints at its first and last step only.",
          shows=("run_config_defaults", "default_short_run_checkpoints"),
          holds=lambda f: f["run_config_defaults"]["save_checkpoints_secs"] == 600
          and f["run_config_defaults"]["save_checkpoints_steps"] is None
          and f["run_config_defaults"]["keep_checkpoint_max"] == 5 and f["default_short_run_checkpoints"] == [0, 30]),
    Claim("restore-latest-or-checkpoint-path", PAGE,
          quote="`evaluate` and `predict` restore the latest one\n  (unless you pass `checkpoint_path`), and a second "
                "`train` continues from it.",
          says="evaluate() uses the newest checkpoint unless given checkpoint_path; a second train() resumes from it.",
          shows=("evaluated_steps_latest_and_ckpt_100", "predict_same_as_checkpoint_path", "step_after_second_train"),
          holds=lambda f: f["evaluated_steps_latest_and_ckpt_100"] == [300, 100]
          and f["predict_same_as_checkpoint_path"] and f["step_after_second_train"] == 350),
    Claim("all-state-in-model-dir", PAGE,
          quote="An Estimator keeps *all* of its state in `model_dir`; the Python object itself remembers only its\n"
                "configuration.",
          says="A new Estimator object on the same model_dir evaluates to the same metrics at the same step.",
          shows=("new_object_same_evaluation",),
          holds=lambda f: f["new_object_same_evaluation"]),
    Claim("graph-pbtxt-same-graph-as-event-file", PAGE,
          quote="it draws the copy\n  of the same graph (a `graph_def`) that training also writes into its event file",
          says="graph.pbtxt and the graph_def in the training event file have the same nodes.",
          shows=("graph_pbtxt_nodes_equal_event_graph",),
          holds=lambda f: f["graph_pbtxt_nodes_equal_event_graph"]),
    Claim("one-event-file-per-train-and-eval", PAGE,
          quote="One in `model_dir` itself, written by `train`, and one in the sub-folder `eval`,\n"
                "  written by `evaluate`.",
          says="train() writes one event file into model_dir (no eval/ yet); evaluate() writes one into model_dir/eval.",
          shows=("event_files_after_train", "event_files_after_evaluate"),
          holds=lambda f: f["event_files_after_train"] == {"eval": 0, "model_dir": 1}
          and f["event_files_after_evaluate"] == {"eval": 1, "model_dir": 1}),
    Claim("checkpoint-index-relative", PAGE,
          quote="The small `checkpoint` file is a plain-text index. Its paths are relative",
          says="The checkpoint file names the checkpoints without a directory.",
          shows=("checkpoint_file_lines",),
          holds=lambda f: f["checkpoint_file_lines"][0] == 'model_checkpoint_path: "model.ckpt-300"'
          and all("/" not in line for line in f["checkpoint_file_lines"])),
    Claim("train-event-records", PAGE,
          quote="The training file starts with its format version, then the graph and the meta graph, twice",
          says="The training event file holds the file version, graph and meta graph twice, a CHECKPOINT session log "
               "per checkpoint (path model_dir/model.ckpt), START at the first step, then the summaries.",
          shows=("train_skeleton", "checkpoint_log_paths"),
          holds=lambda f: f["train_skeleton"] == TRAIN_SKELETON and f["checkpoint_log_paths"] == ["model.ckpt"]),
    Claim("train-summaries-every-100-from-step-1", PAGE,
          quote="The training summaries were written every 100 steps (`RunConfig(save_summary_steps=100)`, the\n"
                "default), starting after the first step.",
          says="save_summary_steps defaults to 100; loss and accuracy summaries come at step 1, then every 100 steps "
               "(101, 201; the real one now and then files one at 100 for 101).",
          shows=("run_config_defaults", "loss_summary_steps_ok", "train_tags"),
          holds=lambda f: f["run_config_defaults"]["save_summary_steps"] == 100 and f["loss_summary_steps_ok"]
          and f["train_tags"] == ["accuracy", "global_step/sec", "loss"]),
    Claim("eval-event-records", PAGE,
          quote="Then it holds one value per metric, because we called `evaluate` once, and a `checkpoint_path` entry:\n"
                "the path of the checkpoint that was evaluated (`model_dir/model.ckpt-1000`), stored as text at the\n"
                "same step.",
          says="The eval event file: file version, graph, meta graph, then accuracy and loss at the checkpoint's step "
               "and a checkpoint_path text tensor naming model_dir/model.ckpt-300 at the same step.",
          shows=("eval_records", "checkpoint_path_is_text_in_model_dir"),
          holds=lambda f: f["eval_records"] == EVAL_RECORDS and f["checkpoint_path_is_text_in_model_dir"]),
    Claim("loss-and-speed-logged-on-their-own", PAGE,
          quote="A custom Estimator logs `loss` and `global_step/sec` on its own; anything else (here `accuracy`)\n"
                "  appears because the model function asks for it",
          says="A model_fn with no tf.summary call gets loss and global_step/sec in training, and in evaluation its "
               "eval_metric_ops plus loss (and checkpoint_path).",
          shows=("quiet_train_tags", "quiet_eval_tags"),
          holds=lambda f: f["quiet_train_tags"] == ["global_step/sec", "loss"]
          and f["quiet_eval_tags"] == ["accuracy", "checkpoint_path", "loss"]),
    Claim("dnn-hidden-layer-summaries", PAGE,
          quote="for each hidden layer, the fraction of its outputs\nthat are zero "
                "(`dnn/dnn/hiddenlayer_N/fraction_of_zero_values`) and a histogram of them\n"
                "(`dnn/dnn/hiddenlayer_N/activation`), the tags the TensorFlow 1 class wrote",
          says="tf.compat.v1's DNNClassifier writes a fraction_of_zero_values scalar and an activation histogram per "
               "hidden layer under dnn/dnn/hiddenlayer_N.",
          shows=("dnn_hidden_layer_tags",),
          holds=lambda f: f["dnn_hidden_layer_tags"] == [
              ["dnn/dnn/hiddenlayer_0/activation", "histo"], ["dnn/dnn/hiddenlayer_0/fraction_of_zero_values", "simple_value"],
              ["dnn/dnn/hiddenlayer_1/activation", "histo"], ["dnn/dnn/hiddenlayer_1/fraction_of_zero_values", "simple_value"]]),
    Claim("global-step-sec-every-log-step-count-steps", PAGE,
          quote="how many training steps (batches, each followed by one update of the\nweights) the Estimator "
                "completed per second, measured over the last 100 steps.",
          says="log_step_count_steps defaults to 100; global_step/sec is recorded every 100 steps from step 101 "
               "(none at step 1), with positive values.",
          shows=("run_config_defaults", "step_rate_steps_ok"),
          holds=lambda f: f["run_config_defaults"]["log_step_count_steps"] == 100 and f["step_rate_steps_ok"]),
    Claim("running-accuracy-only-at-summary-steps", PAGE,
          quote="The two local variables are initialized once, when `train()` starts, and never\nreset during it.",
          says="The accuracy update op runs only at summary steps, and its count accumulates over one train() call "
               "and starts again at the next: count at the end = 100 x the call's accuracy summaries.",
          shows=("accuracy_counts_vs_points",),
          holds=lambda f: all(count == 100 * points for count, points in f["accuracy_counts_vs_points"])
          and len(f["accuracy_counts_vs_points"]) == 2),
    Claim("evaluate-name-dir", PAGE,
          quote="`classifier.evaluate(input_fn, name='training_set')`\nwrites into `model_dir/eval_training_set` "
                "instead of `eval`.",
          says="evaluate(name='training_set') writes its event file into model_dir/eval_training_set.",
          shows=("eval_dirs_after_named",),
          holds=lambda f: f["eval_dirs_after_named"] == ["eval", "eval_training_set"]),
    Claim("second-train-new-session", PAGE,
          quote="The\naccumulation lasts for one `train()` call only: a second call starts a new session, which "
                "initializes\nthe local variables again",
          says="A second train() writes a new START at its first step, and its accuracy count starts again from 0.",
          shows=("start_steps", "accuracy_counts_vs_points"),
          holds=lambda f: f["start_steps"] == [1, 301] and f["accuracy_counts_vs_points"] == [[300, 3], [100, 1]]),
    Claim("one-dot-per-evaluate", PAGE,
          quote="so it produces a single point, placed at the\nglobal step of that checkpoint. Every further call to "
                "`evaluate` adds one more dot",
          says="Each evaluate() adds one point per metric in model_dir/eval, at the step of the checkpoint it "
               "evaluated (300; 100 with checkpoint_path; 300 again; 350 after a second train()).",
          shows=("eval_dot_steps",),
          holds=lambda f: f["eval_dot_steps"] == [300, 100, 300, 350]),
    Claim("train-records-as-the-real-one", PAGE,
          quote="These are the records\nthe real `tf.estimator.Estimator` wrote, in the same order and at the same "
                "steps, except that now and then\nthe real one filed a summary one step early",
          says="The training event file's records other than the summaries are the real one's, at the same steps; "
               "summaries fall at step 1 and then every 100 steps, or a step earlier on the real one.",
          shows=("train_skeleton", "loss_summary_steps_ok"),
          holds=lambda f: f["train_skeleton"] == TRAIN_SKELETON and f["loss_summary_steps_ok"]),
    Claim("start-lets-tensorboard-drop-orphans", PAGE,
          quote="TensorBoard then drops the earlier run's points from the\n`START` step on, so the line does not "
                "double back on itself.",
          says="Resuming from an older checkpoint (200, after loss summaries every 10 steps up to 250) writes START "
               "at 201; the first run's points from 201 on stay in its event file, and TensorBoard's "
               "EventAccumulator drops them: its loss steps only increase, and from 201 on they are the new run's.",
          shows=("resumed_start_steps", "orphans_and_tensorboard"),
          holds=lambda f: f["resumed_start_steps"] == [1, 201] and f["orphans_and_tensorboard"] == {
              "first_run_wrote_points_from_201": True, "tensorboard_steps_only_increase": True,
              "tensorboard_from_201_is_the_second_run": True}),
    Claim("takeaway-train-and-eval-files", PAGE,
          quote="Training writes its event file into `model_dir` itself: the graph, a `START` note and a\n"
                "  `CHECKPOINT` note per checkpoint, and the summaries every `save_summary_steps` (100) steps. Each\n"
                "  `evaluate` call writes one point per metric, and the evaluated checkpoint's path, into\n"
                "  `model_dir/eval`.",
          says="The training event file holds the graph, START, a CHECKPOINT per checkpoint and the summaries; each "
               "evaluate() adds its metrics and checkpoint_path to model_dir/eval.",
          shows=("train_skeleton", "loss_summary_steps_ok", "eval_records"),
          holds=lambda f: f["train_skeleton"] == TRAIN_SKELETON and f["loss_summary_steps_ok"]
          and f["eval_records"] == EVAL_RECORDS),
    Claim("takeaway-running-accuracy", PAGE,
          quote="The training `accuracy` summary is a running value over every batch summarized since `train()`\n"
                "  started",
          says="The accuracy metric's count at the end of each train() is 100 x that call's summary points.",
          shows=("accuracy_counts_vs_points",),
          holds=lambda f: f["accuracy_counts_vs_points"] == [[300, 3], [100, 1]]),
    Claim("summaries-every-50", PAGE,
          quote="6 points, at steps 1, 51, 101, 151, 201 and 251: one every 50 steps, starting after the first step.",
          says="With save_summary_steps=50, 300 steps give 6 loss points, at 1 and then every 50 steps (the real one "
               "now and then files one a step early).",
          shows=("every_50_loss_points", "every_50_steps_ok"),
          holds=lambda f: f["every_50_loss_points"] == 6 and f["every_50_steps_ok"]),
]


def records(path):
    import tensorflow as raw_tf
    for event in raw_tf.compat.v1.train.summary_iterator(str(path)):
        yield event


def event_files(directory):
    from pathlib import Path
    return sorted(p for p in Path(directory).glob("events.out.tfevents*") if p.is_file())


def tags_of(directory):
    return sorted({value.tag for path in event_files(directory) for event in records(path)
                   if event.HasField("summary") for value in event.summary.value})


def scalar_steps(directory, tag):
    return [event.step for path in event_files(directory) for event in records(path) if event.HasField("summary")
            for value in event.summary.value if value.tag == tag]


def facts(tf, workdir):
    import os
    import re
    import socket
    from pathlib import Path

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    model_fn = guide_model_fn(tf)
    out = {}

    def train_fn():
        return train_input_fn(tf, train_x, train_y)

    def test_fn():
        return eval_input_fn(tf, test_x, test_y)

    counts = []

    class AccuracyCount(tf.train.SessionRunHook):
        """Reads the accuracy metric's `count` local variable when train() ends."""
        def begin(self):
            self.count = [v for v in tf.local_variables() if v.op.name.endswith("acc_op/count")][0]

        def end(self, session):
            counts.append(int(session.run(self.count)))

    model_dir = workdir / "m"
    config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=100, keep_checkpoint_max=11)
    classifier = tf.estimator.Estimator(model_fn, model_dir=str(model_dir), config=config, params=params)
    classifier.train(train_fn, steps=300, hooks=[AccuracyCount()])
    out["event_files_after_train"] = {"model_dir": len(event_files(model_dir)),
                                      "eval": len(event_files(model_dir / "eval"))}
    result = classifier.evaluate(test_fn)
    out["event_files_after_evaluate"] = {"model_dir": len(event_files(model_dir)),
                                         "eval": len(event_files(model_dir / "eval"))}

    files = {}
    for path in model_dir.rglob("*"):
        if path.is_file():
            name = re.sub(r"^events\.out\.tfevents\..*$", "events.out.tfevents.*", path.name)
            name = re.sub(r"^model\.ckpt-\d+\.", "model.ckpt-N.", name)
            key = str(path.relative_to(model_dir).with_name(name))
            files[key] = files.get(key, 0) + 1
    out["model_dir_files"] = files
    train_file = event_files(model_dir)[0]
    out["event_file_name_is_time_host"] = bool(
        re.fullmatch(r"events\.out\.tfevents\.\d+\." + re.escape(socket.gethostname()), train_file.name))
    out["checkpoint_file_lines"] = (model_dir / "checkpoint").read_text().splitlines()

    # The training event file.
    skeleton, checkpoint_paths, graphs = [], set(), []
    for event in records(train_file):
        kind = event.WhichOneof("what")
        if kind == "session_log":
            status = tf.SessionLog.SessionStatus.Name(event.session_log.status)
            skeleton.append([status, event.step])
            if status == "CHECKPOINT":
                checkpoint_paths.add(os.path.relpath(event.session_log.checkpoint_path, model_dir))
        elif kind != "summary":
            skeleton.append([kind, event.step])
            if kind == "graph_def":
                graphs.append(event.graph_def)
    out["train_skeleton"] = skeleton
    out["checkpoint_log_paths"] = sorted(checkpoint_paths)
    out["train_tags"] = tags_of(model_dir)
    loss_steps = scalar_steps(model_dir, "loss")
    out["loss_summary_steps_ok"] = loss_steps[0] == 1 and all(s % 100 in (0, 1) for s in loss_steps) \
        and len(loss_steps) in (3, 4)
    rate_steps = scalar_steps(model_dir, "global_step/sec")
    rate_values = [value.simple_value for event in records(train_file) if event.HasField("summary")
                   for value in event.summary.value if value.tag == "global_step/sec"]
    out["step_rate_steps_ok"] = bool(rate_steps) and rate_steps[0] >= 100 \
        and all(s % 100 in (0, 1, 2) for s in rate_steps) and all(v > 0 for v in rate_values)

    from google.protobuf import text_format
    import tensorflow as raw_tf
    pbtxt = raw_tf.compat.v1.GraphDef()
    text_format.Parse((model_dir / "graph.pbtxt").read_text(), pbtxt)
    from tensorflow.core.framework import graph_pb2
    event_graph = graph_pb2.GraphDef.FromString(graphs[-1])
    out["graph_pbtxt_nodes_equal_event_graph"] = {n.name for n in pbtxt.node} == {n.name for n in event_graph.node}

    # The eval event file.
    eval_records, text_ok = [], False
    for event in records(event_files(model_dir / "eval")[0]):
        kind = event.WhichOneof("what")
        if kind == "summary":
            tags = []
            for value in event.summary.value:
                if value.HasField("tensor") and value.tensor.string_val:
                    text = value.tensor.string_val[0].decode()
                    text_ok = os.path.dirname(text) == str(model_dir)
                    tags.append(f"{value.tag}={os.path.basename(text)}")
                else:
                    tags.append(value.tag)
            eval_records.append([kind, event.step, sorted(tags)])
        else:
            eval_records.append([kind, event.step, None])
    out["eval_records"] = eval_records
    out["checkpoint_path_is_text_in_model_dir"] = text_ok

    # Restoring: the latest checkpoint, or the one named; a new object on the same model_dir.
    at_100 = classifier.evaluate(test_fn, checkpoint_path=str(model_dir / "model.ckpt-100"))
    out["evaluated_steps_latest_and_ckpt_100"] = [int(result["global_step"]), int(at_100["global_step"])]
    latest = [p["class_ids"][0] for p in classifier.predict(lambda: eval_input_fn(tf, test_x))]
    named = [p["class_ids"][0] for p in classifier.predict(lambda: eval_input_fn(tf, test_x),
                                                            checkpoint_path=str(model_dir / "model.ckpt-300"))]
    out["predict_same_as_checkpoint_path"] = latest == named
    again = tf.estimator.Estimator(model_fn, model_dir=str(model_dir), config=config, params=params)
    again_result = again.evaluate(test_fn)
    out["new_object_same_evaluation"] = bool(again_result["global_step"] == result["global_step"]
                                             and np.isclose(again_result["loss"], result["loss"], rtol=1e-6)
                                             and again_result["accuracy"] == result["accuracy"])
    classifier.evaluate(lambda: eval_input_fn(tf, train_x, train_y), name="training_set")
    out["eval_dirs_after_named"] = sorted(p.name for p in model_dir.iterdir() if p.is_dir())

    # A second train() and a second evaluation.
    classifier.train(train_fn, steps=50, hooks=[AccuracyCount()])
    out["step_after_second_train"] = int(classifier.get_variable_value("global_step"))
    classifier.evaluate(test_fn)
    out["start_steps"] = [event.step for path in event_files(model_dir) for event in records(path)
                          if event.WhichOneof("what") == "session_log"
                          and tf.SessionLog.SessionStatus.Name(event.session_log.status) == "START"]
    out["eval_dot_steps"] = scalar_steps(model_dir / "eval", "accuracy")
    accuracy_steps = scalar_steps(model_dir, "accuracy")
    points = [sum(1 for s in accuracy_steps if s <= 300), sum(1 for s in accuracy_steps if s > 300)]
    out["accuracy_counts_vs_points"] = [list(pair) for pair in zip(counts, points)]

    # RunConfig's defaults, and a short run with them.
    defaults = tf.estimator.RunConfig()
    out["run_config_defaults"] = {key: getattr(defaults, key) for key in (
        "save_checkpoints_secs", "save_checkpoints_steps", "keep_checkpoint_max", "save_summary_steps",
        "log_step_count_steps")}
    short = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "short"), params=params,
                                   config=tf.estimator.RunConfig(tf_random_seed=7))
    short.train(train_fn, steps=30)
    out["default_short_run_checkpoints"] = sorted(
        int(p.name.split("-")[1].split(".")[0]) for p in (workdir / "short").glob("model.ckpt-*.index"))

    # A model_fn that asks for no summary.
    def quiet_model_fn(features, labels, mode, params):
        net = tf.feature_column.input_layer(features, params["feature_columns"])
        for units in params["hidden_units"]:
            net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
        logits = tf.layers.dense(net, params["n_classes"], activation=None)
        predicted = tf.argmax(logits, 1)
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        if mode == tf.estimator.ModeKeys.EVAL:
            return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
                "accuracy": tf.metrics.accuracy(labels=labels, predictions=predicted)})
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    quiet = tf.estimator.Estimator(quiet_model_fn, model_dir=str(workdir / "quiet"), params=params,
                                   config=tf.estimator.RunConfig(tf_random_seed=7, log_step_count_steps=10))
    quiet.train(train_fn, steps=30)
    quiet.evaluate(test_fn)
    out["quiet_train_tags"] = tags_of(workdir / "quiet")
    out["quiet_eval_tags"] = tags_of(workdir / "quiet" / "eval")

    # The pre-made DNNClassifier's own summaries.
    premade = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=params["feature_columns"],
                                         n_classes=3, model_dir=str(workdir / "dnn"),
                                         config=tf.estimator.RunConfig(tf_random_seed=7))
    premade.train(train_fn, steps=5)
    out["dnn_hidden_layer_tags"] = sorted(
        {(value.tag, value.WhichOneof("value")) for path in event_files(workdir / "dnn") for event in records(path)
         if event.HasField("summary") for value in event.summary.value if "hiddenlayer" in value.tag})

    # A resume from an older checkpoint: loss summaries every 10 steps (the real one filed some a step early)
    # and checkpoints 0, 100, 200, 250; lose 250.
    crash_dir = workdir / "crash"
    crash_config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=100, save_summary_steps=10)
    crashed = tf.estimator.Estimator(model_fn, model_dir=str(crash_dir), config=crash_config, params=params)
    crashed.train(train_fn, steps=250)
    for path in crash_dir.glob("model.ckpt-250.*"):
        path.unlink()
    (crash_dir / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-200"\n'
                                          'all_model_checkpoint_paths: "model.ckpt-200"\n')
    crashed = tf.estimator.Estimator(model_fn, model_dir=str(crash_dir), config=crash_config, params=params)
    crashed.train(train_fn, steps=150)
    out["resumed_start_steps"] = [event.step for path in event_files(crash_dir) for event in records(path)
                                  if event.WhichOneof("what") == "session_log"
                                  and tf.SessionLog.SessionStatus.Name(event.session_log.status) == "START"]
    runs = []  # each train()'s loss steps, split at its START
    for path in event_files(crash_dir):
        for event in records(path):
            if event.WhichOneof("what") == "session_log" and event.session_log.status == tf.SessionLog.START:
                runs.append([])
            elif event.HasField("summary") and runs:
                runs[-1] += [event.step for value in event.summary.value if value.tag == "loss"]
    from tensorboard.backend.event_processing import event_accumulator
    accumulator = event_accumulator.EventAccumulator(str(crash_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    kept = [e.step for e in accumulator.Scalars("loss")]
    # Booleans only: the real one files some summaries a step early (chapter 7), so the steps themselves vary.
    out["orphans_and_tensorboard"] = {
        "first_run_wrote_points_from_201": any(step >= 201 for step in runs[0]),
        "tensorboard_steps_only_increase": kept == sorted(set(kept)),
        "tensorboard_from_201_is_the_second_run": [step for step in kept if step >= 201] == runs[1]}

    # save_summary_steps=50.
    frequent = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "every_50"), params=params,
                                      config=tf.estimator.RunConfig(tf_random_seed=7, save_summary_steps=50))
    frequent.train(train_fn, steps=300)
    steps_50 = scalar_steps(workdir / "every_50", "loss")
    out["every_50_loss_points"] = len(steps_50)
    out["every_50_steps_ok"] = steps_50[0] == 1 and all(s % 50 in (0, 1) for s in steps_50)
    return out


if __name__ == "__main__":
    main(facts)
