"""What a RunConfig makes of TF_CONFIG and its arguments, on either engine; prints one JSON line.

Usage: python run_config_program.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
For each case (a TF_CONFIG and RunConfig arguments, or a replace()), the properties a cluster program reads,
or the error it raises (type and message).
"""
import json
import os
import sys

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

CLUSTER = {"chief": ["host0:2222"], "ps": ["host1:2222", "host2:2222"],
           "worker": ["host3:2222", "host4:2222", "host5:2222"]}
LEGACY = {"master": ["host0:2222"], "ps": ["host1:2222"], "worker": ["host3:2222"]}


def task(kind, index, cluster=CLUSTER, **more):
    return {"cluster": cluster, "task": {"type": kind, "index": index}, **more}


CASES = {
    "no TF_CONFIG": (None, {}),
    "chief": (task("chief", 0), {}),
    "worker 1": (task("worker", 1), {}),
    "worker 1 given as a string index": (task("worker", "1"), {}),
    "ps 1": (task("ps", 1), {}),
    "evaluator": (task("evaluator", 0), {}),
    "evaluator with eval_session_master": (task("evaluator", 3, eval_session_master="grpc://e:1"), {}),
    "session_master": (task("worker", 0, session_master="grpc://elsewhere:1"), {}),
    "a cluster of one": ({"cluster": {"chief": ["host0:2222"]}, "task": {"type": "chief", "index": 0}}, {}),
    "legacy master": (task("master", 0, cluster=LEGACY), {}),
    "legacy worker": (task("worker", 0, cluster=LEGACY), {}),
    "model_dir in TF_CONFIG": ({"model_dir": "/tmp/from_tf_config"}, {}),
    "model_dir in both, the same": ({"model_dir": "/tmp/m"}, {"model_dir": "/tmp/m"}),
    "a user session_config is kept": (task("worker", 0), {"session_config": tf.compat.v1.ConfigProto(
        log_device_placement=True)}),
    "service": ({"service": {"name": "s"}, **task("chief", 0)}, {}),
    # Errors.
    "model_dir in both, different": ({"model_dir": "/tmp/a"}, {"model_dir": "/tmp/b"}),
    "empty model_dir in TF_CONFIG": ({"model_dir": ""}, {}),
    "no chief": (task("worker", 0, cluster={"worker": ["a:1"], "ps": ["b:1"]}), {}),
    "two chiefs": (task("chief", 0, cluster={"chief": ["a:1", "c:1"], "ps": ["b:1"]}), {}),
    "no task type": ({"cluster": CLUSTER, "task": {"index": 0}}, {}),
    "no task index": ({"cluster": CLUSTER, "task": {"type": "worker"}}, {}),
    "negative index": (task("worker", -1), {}),
    "index out of range": (task("worker", 3), {}),
    "unknown task type": (task("trainer", 0), {}),
    "chief and master": (task("master", 0, cluster={**LEGACY, "chief": ["c:1"]}), {}),
    "evaluator with master": (task("evaluator", 0, cluster=LEGACY), {}),
    "local, not a worker": ({"task": {"type": "chief", "index": 0}}, {}),
    "local, index 1": ({"task": {"type": "worker", "index": 1}}, {}),
    "service not a dict": ({"service": "s"}, {}),
    "both checkpoint settings": (None, {"save_checkpoints_steps": 10, "save_checkpoints_secs": 10}),
    "negative summary steps": (None, {"save_summary_steps": -1}),
    "keep_checkpoint_every_n_hours 0": (None, {"keep_checkpoint_every_n_hours": 0}),
    "log_step_count_steps 0": (None, {"log_step_count_steps": 0}),
    "float seed": (None, {"tf_random_seed": 1.5}),
    "float worker delay": (None, {"experimental_max_worker_delay_secs": 1.5}),
    "session_creation_timeout_secs 0": (None, {"session_creation_timeout_secs": 0}),
    "device_fn with two args": (None, {"device_fn": lambda op, other: ""}),
    "protocol http": (None, {"protocol": "http"}),
    "session_config not a ConfigProto": (None, {"session_config": {}}),
    "empty model_dir": (None, {"model_dir": ""}),
    # Accepted.
    "device_fn(op)": (None, {"device_fn": lambda op: ""}),
    "protocol grpc": (None, {"protocol": "grpc"}),
    "checkpoints by steps": (None, {"save_checkpoints_steps": 50}),
    "checkpoints off": (None, {"save_checkpoints_steps": None, "save_checkpoints_secs": None}),
}
REPLACES = {
    "steps replace secs": ({}, {"save_checkpoints_steps": 10}),
    "secs replace steps": ({"save_checkpoints_steps": 10}, {"save_checkpoints_secs": 60}),
    "both in replace": ({}, {"save_checkpoints_steps": 10, "save_checkpoints_secs": 60}),
    "a property that cannot be replaced": ({}, {"is_chief": False}),
    "model_dir": ({"model_dir": "/tmp/a"}, {"model_dir": "/tmp/b"}),
    "a bad value": ({}, {"keep_checkpoint_max": -1}),
}


def session_config(config):
    if config is None:
        return None
    return {"device_filters": list(config.device_filters), "allow_soft_placement": config.allow_soft_placement,
            "log_device_placement": config.log_device_placement,
            "meta_optimizer_iterations": config.graph_options.rewrite_options.meta_optimizer_iterations}


def described(config):
    return {
        "cluster_spec": config.cluster_spec.as_dict(), "task_type": config.task_type, "task_id": config.task_id,
        "master": config.master, "evaluation_master": config.evaluation_master, "is_chief": config.is_chief,
        "num_ps_replicas": config.num_ps_replicas, "num_worker_replicas": config.num_worker_replicas,
        "global_id_in_cluster": config.global_id_in_cluster, "model_dir": config.model_dir,
        "service": config.service, "session_config": session_config(config.session_config),
        "save_checkpoints_steps": config.save_checkpoints_steps,
        "save_checkpoints_secs": config.save_checkpoints_secs, "protocol": config.protocol,
        "experimental_max_worker_delay_secs": config.experimental_max_worker_delay_secs,
        "session_creation_timeout_secs": config.session_creation_timeout_secs,
        "checkpoint_save_graph_def": config.checkpoint_save_graph_def,
        "keep_checkpoint_every_n_hours": config.keep_checkpoint_every_n_hours,
    }


def outcome(make):
    try:
        return described(make())
    except Exception as error:  # noqa: BLE001 - the error is the result
        return {"error": type(error).__name__, "message": str(error)}


report = {}
for name, (tf_config, kwargs) in CASES.items():
    if tf_config is None:
        os.environ.pop("TF_CONFIG", None)
    else:
        os.environ["TF_CONFIG"] = json.dumps(tf_config)
    report[name] = outcome(lambda: tf.estimator.RunConfig(**kwargs))
os.environ.pop("TF_CONFIG", None)
for name, (kwargs, changes) in REPLACES.items():
    report["replace: " + name] = outcome(lambda: tf.estimator.RunConfig(**kwargs).replace(**changes))
# A one-device strategy on one machine is local training (the real one trains).
report["MirroredStrategy, one device"] = outcome(
    lambda: tf.estimator.RunConfig(train_distribute=tf.distribute.MirroredStrategy(["/cpu:0"])))
print(json.dumps(report, sort_keys=True))
