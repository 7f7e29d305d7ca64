"""Chapter 13 (training on a cluster): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch13_training_on_a_cluster.py real|ours WORKDIR

Cheap on purpose: RunConfig is made from TF_CONFIG without any server; train_and_evaluate's worker and chief
start their own in-process gRPC server (on free ports of 127.0.0.1) and stop at estimator.train, which is
replaced by a recorder; the evaluator task needs no server; one ps task runs in a subprocess for a few seconds.
"""
from ledger import Claim, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "chapters/13_training_on_a_cluster.ipynb"

TABLE = {
    "ps 0": {"is_chief": False, "master": "grpc://127.0.0.1:<port>", "ps / trainers": "1 / 3",
             "device_filters": ["/job:ps", "/job:worker", "/job:chief", "/job:master"]},
    "chief": {"is_chief": True, "master": "grpc://127.0.0.1:<port>", "ps / trainers": "1 / 3",
              "device_filters": ["/job:ps", "/job:chief"]},
    "worker 0": {"is_chief": False, "master": "grpc://127.0.0.1:<port>", "ps / trainers": "1 / 3",
                 "device_filters": ["/job:ps", "/job:worker/task:0"]},
    "worker 1": {"is_chief": False, "master": "grpc://127.0.0.1:<port>", "ps / trainers": "1 / 3",
                 "device_filters": ["/job:ps", "/job:worker/task:1"]},
    "evaluator": {"is_chief": False, "master": "", "ps / trainers": "0 / 0", "device_filters": None},
}

CLAIMS = [
    Claim("run-config-reads-tf-config-when-made", PAGE,
          quote="`RunConfig` reads `TF_CONFIG` when it is made and turns it into properties",
          says="RunConfig takes task_type, task_id, is_chief and the cluster from TF_CONFIG in its constructor; "
               "changing TF_CONFIG afterwards changes nothing; without TF_CONFIG it is a local chief (worker 0).",
          shows=("made_as_worker_then_env_changed", "without_tf_config"),
          holds=lambda f: f["made_as_worker_then_env_changed"] == {"task_type": "worker", "task_id": 1,
                                                                   "is_chief": False}
          and f["without_tf_config"] == {"task_type": "worker", "task_id": 0, "is_chief": True, "master": "",
                                         "num_ps_replicas": 0, "num_worker_replicas": 1, "cluster_spec": {}}),
    Claim("run-config-per-task", PAGE,
          quote="We make one per task, with each task's `TF_CONFIG` set for that moment only:",
          says="For ps 0, chief, worker 0, worker 1 and the evaluator of a 1-ps, 2-worker cluster, RunConfig "
               "gives the chapter's table: is_chief, master, num_ps_replicas / num_worker_replicas and device "
               "filters.",
          shows=("table",),
          holds=lambda f: f["table"] == TABLE),
    Claim("trainer-master-is-its-own-server", PAGE,
          quote="Each trainer's `master` is its *own* gRPC server",
          says="A trainer's RunConfig.master is grpc:// plus its own address in the cluster.",
          shows=("master_is_own_address",),
          holds=lambda f: f["master_is_own_address"] == {"ps 0": True, "chief": True, "worker 0": True,
                                                          "worker 1": True}),
    Claim("evaluator-outside-the-cluster", PAGE,
          quote="The evaluator has no master and no cluster: it is not part of\ntraining, it only reads checkpoints.",
          says="The evaluator's RunConfig has master '', an empty cluster_spec (even when TF_CONFIG's cluster "
               "lists it), no ps nor workers, and is not the chief.",
          shows=("evaluator", "k8s_evaluator"),
          holds=lambda f: f["evaluator"] == {"master": "", "cluster_spec": {}, "num_ps_replicas": 0,
                                             "num_worker_replicas": 0, "is_chief": False, "task_id": 0}
          and f["k8s_evaluator"] == f["evaluator"]),
    Claim("task-table-ps", PAGE,
          quote="| `ps` | starts its gRPC server and serves the variables, forever |",
          says="A ps task's train_and_evaluate starts its server and never returns: the process serves until "
               "it is killed.",
          shows=("ps_still_serving", "ps_still_serving_after_training", "ps_exit_code_after_sigterm"),
          holds=lambda f: f["ps_still_serving"] is True and f["ps_still_serving_after_training"] is True),
    Claim("task-table-chief", PAGE,
          quote="| `chief` | starts its server, then `estimator.train(max_steps=...)`",
          says="A chief task's train_and_evaluate starts its gRPC server and calls estimator.train(max_steps=...) "
               "at once, without sleeping.",
          shows=("chief_task",),
          holds=lambda f: f["chief_task"] == {"server_answers": True, "sleeps": [], "train_max_steps": 20}),
    Claim("chief-writes-the-model-dir", PAGE,
          quote="| `events.out.tfevents.*`, `graph.pbtxt`, `checkpoint`, `model.ckpt-N.meta` | the chief (summaries, "
                "the graph, the list of checkpoints) |",
          says="A chief with one ps (trained by train_and_evaluate to max_steps=20) leaves in model_dir one "
               "training event file, graph.pbtxt, checkpoint and the model.ckpt-N files, at global step 20.",
          shows=("chief_run",),
          holds=lambda f: f["chief_run"]["files"] == [
              "checkpoint", "events.out.tfevents.*", "graph.pbtxt", "model.ckpt-N.data-00000-of-00001",
              "model.ckpt-N.index", "model.ckpt-N.meta"]
          and f["chief_run"]["event_files"] == 1 and f["chief_run"]["global_step"] == 20),
    Claim("workers-write-nothing", PAGE,
          quote="Only one training event file: the workers write no summaries and no checkpoints, whatever their\n"
                "`RunConfig` says.",
          says="A worker with save_checkpoints_steps=2 and save_summary_steps=1 trains 10 steps on the cluster's "
               "model and adds no file to model_dir.",
          shows=("worker_run",),
          holds=lambda f: f["worker_run"] == {"steps_run": 10, "files_added": [], "files_removed": []}),
    Claim("sharded-saver-on-the-ps", PAGE,
          quote="The variables live on the ps, so the\nEstimator's saver is *sharded*: it saves each device's "
                "variables with an op on that device.",
          says="In the chief's graph (graph.pbtxt) the variables are on /job:ps/task:0 and the SaveV2 and "
               "MergeV2Checkpoints ops run on the ps's CPU.",
          shows=("chief_run",),
          holds=lambda f: f["chief_run"]["variables_on"] == ["/job:ps/task:0"]
          and f["chief_run"]["save_ops_on"] == ["/job:ps/task:0/device:CPU:0"]),
    Claim("task-table-worker-delay", PAGE,
          quote="waits `(index + 1) × 5` s (at most 60 s, or `experimental_max_worker_delay_secs`)",
          says="Worker i sleeps min((i + 1) * 5, 60 or experimental_max_worker_delay_secs) seconds after starting "
               "its server, then calls estimator.train.",
          shows=("worker_sleeps",),
          holds=lambda f: f["worker_sleeps"] == {"worker 0": [5], "worker 1": [10], "worker 1, max 7": [7],
                                                 "worker 1, max 0": []}),
    Claim("task-table-evaluator", PAGE,
          quote="| `evaluator` | evaluates each new checkpoint (at most every `throttle_secs`) until one has "
                "reached `max_steps` |",
          says="The evaluator task evaluates the newest checkpoint and returns once it has evaluated one of "
               "max_steps, writing its results to model_dir/eval.",
          shows=("evaluator_task",),
          holds=lambda f: f["evaluator_task"] == {"returned": None, "evaluated_steps": [20], "eval_dir": True}),
    Claim("keep-checkpoint-max-five", PAGE,
          quote="The chief keeps the newest five checkpoints (`keep_checkpoint_max`)",
          says="RunConfig's keep_checkpoint_max is 5 by default.",
          shows=("keep_checkpoint_max",),
          holds=lambda f: f["keep_checkpoint_max"] == 5),
    Claim("session-creation-timeout-two-hours", PAGE,
          quote="for up to `session_creation_timeout_secs` (2 hours by\ndefault)",
          says="RunConfig's session_creation_timeout_secs is 7200 by default.",
          shows=("session_creation_timeout_secs",),
          holds=lambda f: f["session_creation_timeout_secs"] == 7200),
    Claim("own-session-config-loses-device-filters", PAGE,
          quote="But `RunConfig` sets the filters\nonly when you give no `session_config` of your own:",
          says="With a session_config of your own, RunConfig adds no device filters to it.",
          shows=("own_session_config_filters", "own_session_config_with_filters"),
          holds=lambda f: f["own_session_config_filters"] == []
          and f["own_session_config_with_filters"] == ["/job:ps", "/job:worker/task:1"]),
    Claim("k8s-worker-run-config", PAGE,
          quote="`RunConfig`\nthen takes the evaluator out of the cluster of the evaluator itself, and the trainers' "
                "device filters\nkeep their sessions from waiting for it",
          says="With the operator's TF_CONFIG (the evaluator in the cluster), worker 2's RunConfig has master "
               "grpc://<its service>, 4 trainers, global_id_in_cluster 4 and filters of the ps and itself only.",
          shows=("k8s_worker",),
          holds=lambda f: f["k8s_worker"] == {"master": "grpc://iris-worker-2.ml.svc:2222", "num_worker_replicas": 4,
                                              "num_ps_replicas": 1, "global_id_in_cluster": 4,
                                              "device_filters": ["/job:ps", "/job:worker/task:2"]}),
    Claim("one-evaluator-only", PAGE,
          quote="Why does the manifest have exactly one evaluator?",
          says="train_and_evaluate refuses an evaluator task of index 1 with a ValueError.",
          shows=("second_evaluator",),
          holds=lambda f: f["second_evaluator"]["error"] == "ValueError"
          and "only be one `evaluator`" in f["second_evaluator"]["message"]),
    Claim("stop-at-step-reads-step-with-the-update", PAGE,
          quote="TensorFlow's `StopAtStepHook` (the real Estimator's too) decides after each update whether to "
                "stop,\nfrom the global step read *in the same run* as the update.",
          says="StopAtStepHook fetches the global step in each training run (before_run) and only re-reads it "
               "when that value says the last step is reached.",
          shows=("stop_at_step_fetches_global_step", "stop_at_step_stale_998_of_1000"),
          holds=lambda f: f["stop_at_step_fetches_global_step"]
          and f["stop_at_step_stale_998_of_1000"] == "keeps going"),
]


def _free_ports(count):
    import socket
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def facts(tf, workdir):
    import json
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time
    from contextlib import contextmanager
    from pathlib import Path

    (train_x, train_y), (test_x, test_y) = load_iris()
    model_fn = guide_model_fn(tf)

    @contextmanager
    def tf_config_set(tf_config):
        before = os.environ.get("TF_CONFIG")
        os.environ["TF_CONFIG"] = json.dumps(tf_config)
        try:
            yield
        finally:
            if before is None:
                del os.environ["TF_CONFIG"]
            else:
                os.environ["TF_CONFIG"] = before

    def run_config_for(tf_config, **kwargs):
        with tf_config_set(tf_config):
            return tf.estimator.RunConfig(**kwargs)

    ports = _free_ports(4)
    addresses = [f"127.0.0.1:{port}" for port in ports]
    cluster = {"chief": [addresses[0]], "ps": [addresses[1]], "worker": addresses[2:4]}
    tasks = {"ps 0": ("ps", 0), "chief": ("chief", 0), "worker 0": ("worker", 0), "worker 1": ("worker", 1),
             "evaluator": ("evaluator", 0)}

    def task_config(kind, index, the_cluster=None):
        return {"cluster": cluster if the_cluster is None else the_cluster, "task": {"type": kind, "index": index}}

    table, master_is_own_address = {}, {}
    for name, (kind, index) in tasks.items():
        config = run_config_for(task_config(kind, index))
        table[name] = {"is_chief": config.is_chief, "master": re.sub(r":\d+", ":<port>", config.master),
                       "ps / trainers": f"{config.num_ps_replicas} / {config.num_worker_replicas}",
                       "device_filters": list(config.session_config.device_filters) if config.session_config
                       else None}
        if kind != "evaluator":
            master_is_own_address[name] = config.master == "grpc://" + cluster[kind][index]

    def evaluator_view(config):
        return {"master": config.master, "cluster_spec": config.cluster_spec.as_dict() if config.cluster_spec
                is not None else None, "num_ps_replicas": config.num_ps_replicas,
                "num_worker_replicas": config.num_worker_replicas, "is_chief": config.is_chief,
                "task_id": config.task_id}

    with tf_config_set(task_config("worker", 1)):
        made = tf.estimator.RunConfig()
        os.environ["TF_CONFIG"] = json.dumps(task_config("chief", 0))
    plain = tf.estimator.RunConfig()

    own = run_config_for(task_config("worker", 1), session_config=tf.ConfigProto(inter_op_parallelism_threads=1))
    with_filters = tf.ConfigProto(inter_op_parallelism_threads=1)
    with_filters.device_filters.extend(["/job:ps", "/job:worker/task:1"])
    fixed = run_config_for(task_config("worker", 1), session_config=with_filters)

    def service(kind, index):
        return f"iris-{kind}-{index}.ml.svc:2222"
    k8s_cluster = {"chief": [service("chief", 0)], "ps": [service("ps", 0)], "evaluator": [service("evaluator", 0)],
                   "worker": [service("worker", i) for i in range(3)]}
    k8s = run_config_for({**task_config("worker", 2, k8s_cluster), "environment": "cloud"})
    k8s_evaluator = run_config_for({**task_config("evaluator", 0, k8s_cluster), "environment": "cloud"})

    # train_and_evaluate as each task, with estimator.train and time.sleep recorded instead of run.
    train_spec = tf.estimator.TrainSpec(lambda: train_input_fn(tf, train_x, train_y), max_steps=20)
    eval_spec = tf.estimator.EvalSpec(lambda: eval_input_fn(tf, test_x, test_y), steps=None, start_delay_secs=0,
                                      throttle_secs=0)

    def as_task(kind, index, model_dir, **config_kwargs):
        sleeps, trains = [], []
        with tf_config_set(task_config(kind, index)):
            estimator = tf.estimator.Estimator(model_fn, model_dir=str(model_dir), params=guide_params(tf),
                                               config=tf.estimator.RunConfig(**config_kwargs))
        estimator.train = lambda *args, **kwargs: trains.append(kwargs.get("max_steps"))
        real_sleep = time.sleep
        time.sleep = lambda secs: sleeps.append(secs)
        try:
            returned = tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)
        finally:
            time.sleep = real_sleep
        return sleeps, trains, returned

    def answers(address):
        host, port = address.split(":")
        with socket.socket() as s:
            return s.connect_ex((host, int(port))) == 0

    chief_sleeps, chief_trains, _ = as_task("chief", 0, workdir / "tasks")
    chief_task = {"server_answers": answers(cluster["chief"][0]), "sleeps": chief_sleeps,
                  "train_max_steps": chief_trains[0] if chief_trains else None}
    worker_sleeps = {"worker 0": as_task("worker", 0, workdir / "tasks")[0],
                     "worker 1": as_task("worker", 1, workdir / "tasks")[0]}
    # Each server above holds its port: a second worker 1 needs a cluster of new ports.
    for label, most in (("worker 1, max 7", 7), ("worker 1, max 0", 0)):
        cluster = {"chief": [addresses[0]], "ps": [addresses[1]],
                   "worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
        worker_sleeps[label] = as_task("worker", 1, workdir / "tasks", experimental_max_worker_delay_secs=most)[0]

    # The evaluator task, on a model trained 20 steps on one machine.
    trained_dir = workdir / "trained"
    tf.estimator.Estimator(model_fn, model_dir=str(trained_dir), params=guide_params(tf)).train(
        lambda: train_input_fn(tf, train_x, train_y), max_steps=20)
    evaluated = []
    with tf_config_set(task_config("evaluator", 0)):
        evaluator = tf.estimator.Estimator(model_fn, model_dir=str(trained_dir), params=guide_params(tf),
                                           config=tf.estimator.RunConfig())
    evaluate = evaluator.evaluate

    def recording_evaluate(*args, **kwargs):
        result = evaluate(*args, **kwargs)
        evaluated.append(int(result["global_step"]))
        return result
    evaluator.evaluate = recording_evaluate
    returned = tf.estimator.train_and_evaluate(evaluator, train_spec, eval_spec)
    evaluator_task = {"returned": returned, "evaluated_steps": evaluated,
                      "eval_dir": any((trained_dir / "eval").glob("events.out.tfevents.*"))}

    with tf_config_set(task_config("evaluator", 1)):
        second = tf.estimator.Estimator(model_fn, model_dir=str(workdir / "second"), params=guide_params(tf))
        try:
            tf.estimator.train_and_evaluate(second, train_spec, eval_spec)
            second_evaluator = {"error": None, "message": ""}
        except Exception as error:  # noqa: BLE001
            second_evaluator = {"error": type(error).__name__, "message": str(error)}

    # StopAtStepHook: what it fetches with each training run, and what it does with a stale 998 of 1000.
    with tf.Graph().as_default():
        global_step = tf.train.create_global_step()
        hook = tf.train.StopAtStepHook(last_step=1000)
        hook.begin()
        fetches = hook.before_run(None).fetches
        stop_at_step_fetches_global_step = "global_step" in getattr(fetches, "name", "") and global_step is not None

        class Context:
            stop_requested = False

            def request_stop(self):
                self.stop_requested = True
        context = Context()
        hook.after_run(context, tf.train.SessionRunValues(results=998, options=None, run_metadata=None))
        stale = "stops" if context.stop_requested else "keeps going"

    # A ps task, in its own process: still serving after its server answers, until SIGTERM. Meanwhile this
    # process is the chief of that cluster (no workers) and trains 20 steps, a checkpoint every 10.
    ps_port, chief_port, worker_port = _free_ports(3)
    ps_cluster = {"chief": [f"127.0.0.1:{chief_port}"], "ps": [f"127.0.0.1:{ps_port}"],
                  "worker": [f"127.0.0.1:{worker_port}"]}
    env = dict(os.environ, TF_CONFIG=json.dumps(task_config("ps", 0, ps_cluster)), PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[3]),
         os.environ.get("PYTHONPATH", "")]))
    ps = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "ps", sys.argv[1], str(workdir / "ps")],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster_dir = workdir / "cluster"
    try:
        deadline = time.monotonic() + 120
        while not answers(f"127.0.0.1:{ps_port}") and ps.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)
        ps_still_serving = ps.poll() is None
        with tf_config_set(task_config("chief", 0, ps_cluster)):
            chief = tf.estimator.Estimator(model_fn, model_dir=str(cluster_dir), params=guide_params(tf),
                                           config=tf.estimator.RunConfig(save_checkpoints_steps=10))
        tf.estimator.train_and_evaluate(chief, train_spec, eval_spec)
        after_chief = sorted(path.relative_to(cluster_dir).as_posix() for path in cluster_dir.rglob("*"))
        # Then a worker, told to save often, trains the model on the ps from step 20 to 30.
        with tf_config_set(task_config("worker", 0, ps_cluster)):
            worker = tf.estimator.Estimator(model_fn, model_dir=str(cluster_dir), params=guide_params(tf),
                                            config=tf.estimator.RunConfig(
                                                save_checkpoints_steps=2, save_summary_steps=1,
                                                experimental_max_worker_delay_secs=0))
        worker_steps = []

        class CountSteps(tf.train.SessionRunHook):
            def after_run(self, run_context, run_values):
                worker_steps.append(1)
        tf.estimator.train_and_evaluate(worker, tf.estimator.TrainSpec(
            lambda: train_input_fn(tf, train_x, train_y), max_steps=30, hooks=[CountSteps()]), eval_spec)
        worker_run = {"steps_run": len(worker_steps), "files_added": sorted(set(path.relative_to(cluster_dir).as_posix()
                                                for path in cluster_dir.rglob("*")) - set(after_chief)),
                      "files_removed": sorted(set(after_chief) - set(path.relative_to(cluster_dir).as_posix()
                                                                     for path in cluster_dir.rglob("*")))}
        ps_still_serving_after_training = ps.poll() is None
    finally:
        if ps.poll() is None:
            ps.send_signal(signal.SIGTERM)
        try:
            ps_exit_code = ps.wait(timeout=30)
        except subprocess.TimeoutExpired:
            ps.kill()
            ps_exit_code = "killed"

    def file_kind(path):
        name = re.sub(r"ckpt-\d+", "ckpt-N", path.relative_to(cluster_dir).as_posix())
        return re.sub(r"tfevents\..*", "tfevents.*", name)
    from google.protobuf import text_format
    graph = text_format.Parse((cluster_dir / "graph.pbtxt").read_text(), tf.GraphDef())
    chief_run = {
        "files": sorted({file_kind(path) for path in cluster_dir.rglob("*") if path.is_file()}),
        "event_files": len(list(cluster_dir.glob("events.out.tfevents.*"))),
        "global_step": int(tf.train.load_variable(tf.train.latest_checkpoint(str(cluster_dir)), "global_step")),
        "variables_on": sorted({node.device for node in graph.node if node.op in ("VarHandleOp", "VariableV2")}),
        "save_ops_on": sorted({node.device for node in graph.node if node.op in ("SaveV2", "MergeV2Checkpoints")}),
    }

    return {
        "table": table,
        "master_is_own_address": master_is_own_address,
        "evaluator": evaluator_view(run_config_for(task_config("evaluator", 0))),
        "k8s_evaluator": evaluator_view(k8s_evaluator),
        "made_as_worker_then_env_changed": {"task_type": made.task_type, "task_id": made.task_id,
                                            "is_chief": made.is_chief},
        "without_tf_config": {"task_type": plain.task_type, "task_id": plain.task_id, "is_chief": plain.is_chief,
                              "master": plain.master, "num_ps_replicas": plain.num_ps_replicas,
                              "num_worker_replicas": plain.num_worker_replicas,
                              "cluster_spec": plain.cluster_spec.as_dict()},
        "own_session_config_filters": list(own.session_config.device_filters),
        "own_session_config_with_filters": list(fixed.session_config.device_filters),
        "k8s_worker": {"master": k8s.master, "num_worker_replicas": k8s.num_worker_replicas,
                       "num_ps_replicas": k8s.num_ps_replicas, "global_id_in_cluster": k8s.global_id_in_cluster,
                       "device_filters": list(k8s.session_config.device_filters)},
        "keep_checkpoint_max": plain.keep_checkpoint_max,
        "session_creation_timeout_secs": plain.session_creation_timeout_secs,
        "chief_task": chief_task,
        "worker_sleeps": worker_sleeps,
        "evaluator_task": evaluator_task,
        "second_evaluator": second_evaluator,
        "stop_at_step_fetches_global_step": stop_at_step_fetches_global_step,
        "stop_at_step_stale_998_of_1000": stale,
        "ps_still_serving": ps_still_serving,
        "ps_exit_code_after_sigterm": ps_exit_code,
        "ps_still_serving_after_training": ps_still_serving_after_training,
        "chief_run": chief_run,
        "worker_run": worker_run,
    }


def ps_task(tf, workdir):
    """`... ps real|ours WORKDIR`: this process is the ps of TF_CONFIG's cluster (it serves until stopped)."""
    (train_x, train_y), (test_x, test_y) = load_iris()
    estimator = tf.estimator.Estimator(guide_model_fn(tf), model_dir=str(workdir), params=guide_params(tf))
    tf.estimator.train_and_evaluate(
        estimator, tf.estimator.TrainSpec(lambda: train_input_fn(tf, train_x, train_y), max_steps=20),
        tf.estimator.EvalSpec(lambda: eval_input_fn(tf, test_x, test_y)))
    return {}


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "ps":
        del sys.argv[1]
        main(ps_task)
    else:
        main(facts)
