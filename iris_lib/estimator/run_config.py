"""`RunConfig`: where and how the Estimator runs, with the real one's defaults, checks and `TF_CONFIG`.

As tensorflow_estimator's run_config.py: every setting is a read-only property, `replace()` makes a checked
copy, and the cluster a task belongs to comes from the `TF_CONFIG` environment variable (JSON with
`cluster`, `task` {type, index}, and optionally `session_master`, `eval_session_master`, `model_dir`), read
once, when the RunConfig is made. The messages are the real ones, so a program that relied on them behaves
the same. What a cluster does with these properties is in `estimator.py` and `training.py`.
"""
from __future__ import annotations

import copy
import inspect
import json
import logging
import numbers
import os

import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

logger = logging.getLogger("iris_lib.estimator")

_USE_DEFAULT = object()
_TF_CONFIG_ENV = "TF_CONFIG"
_LOCAL_MASTER = ""
_GRPC_SCHEME = "grpc://"
_SAVE_CKPT_ERR = "`save_checkpoints_steps` and `save_checkpoints_secs` cannot be both set."

# The settings a user may change with replace(), as in the real one (the constructor's arguments).
_DEFAULT_REPLACEABLE_LIST = [
    "model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps", "save_checkpoints_secs",
    "session_config", "keep_checkpoint_max", "keep_checkpoint_every_n_hours", "log_step_count_steps",
    "train_distribute", "device_fn", "protocol", "eval_distribute", "experimental_distribute",
    "experimental_max_worker_delay_secs", "session_creation_timeout_secs", "checkpoint_save_graph_def",
]


class TaskType:
    MASTER = "master"
    PS = "ps"
    WORKER = "worker"
    CHIEF = "chief"
    EVALUATOR = "evaluator"


def get_default_session_config() -> tf.compat.v1.ConfigProto:
    """The real default: soft placement, one Grappler pass."""
    rewrite_options = rewriter_config_pb2.RewriterConfig(
        meta_optimizer_iterations=rewriter_config_pb2.RewriterConfig.ONE)
    return tf.compat.v1.ConfigProto(allow_soft_placement=True,
                                    graph_options=tf.compat.v1.GraphOptions(rewrite_options=rewrite_options))


class RunConfig:
    """Where and how an Estimator runs; in a cluster, which task this process is (from `TF_CONFIG`)."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_USE_DEFAULT, save_checkpoints_secs=_USE_DEFAULT, session_config=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None, eval_distribute=None,
                 experimental_distribute=None, experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200, checkpoint_save_graph_def=True):
        # Checkpoints every 600 s unless told otherwise; naming one of the two turns the other off.
        if save_checkpoints_steps is _USE_DEFAULT and save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_steps, save_checkpoints_secs = None, 600
        elif save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = None
        elif save_checkpoints_steps is _USE_DEFAULT:
            save_checkpoints_steps = None
        elif save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError(_SAVE_CKPT_ERR)
        for strategy in (train_distribute, eval_distribute):
            _check_strategy(strategy)
        if experimental_distribute is not None:
            raise ValueError(
                "RunConfig(experimental_distribute=...): tf.contrib's DistributeConfig is gone from TensorFlow; "
                "pass train_distribute= and eval_distribute=, or use TF_CONFIG for a cluster")

        tf_config = json.loads(os.environ.get(_TF_CONFIG_ENV) or "{}")
        if tf_config:
            logger.info("TF_CONFIG environment variable: %s", tf_config)
        self._replace_checked(
            _DEFAULT_REPLACEABLE_LIST,
            model_dir=_get_model_dir(tf_config, _path_to_str(model_dir)), tf_random_seed=tf_random_seed,
            save_summary_steps=save_summary_steps, save_checkpoints_steps=save_checkpoints_steps,
            save_checkpoints_secs=save_checkpoints_secs, session_config=session_config,
            keep_checkpoint_max=keep_checkpoint_max, keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            log_step_count_steps=log_step_count_steps, train_distribute=train_distribute, device_fn=device_fn,
            protocol=protocol, eval_distribute=eval_distribute, experimental_distribute=experimental_distribute,
            experimental_max_worker_delay_secs=experimental_max_worker_delay_secs,
            session_creation_timeout_secs=session_creation_timeout_secs,
            checkpoint_save_graph_def=checkpoint_save_graph_def)
        self._init_distributed_setting_from_environment_var(tf_config)
        if not self._session_config and self._cluster_spec:
            self._session_config = self._get_default_session_config_distributed()

    # ----- the cluster, from TF_CONFIG ------------------------------------------------------------

    def _init_distributed_setting_from_environment_var(self, tf_config: dict) -> None:
        service = tf_config.get("service")
        if service is not None and not isinstance(service, dict):
            raise TypeError(f'If "service" is set in TF_CONFIG, it must be a dict. Given {type(service)}')
        self._service = service
        self._cluster_spec = tf.train.ClusterSpec(tf_config.get("cluster", {}))
        task_env = tf_config.get("task", {})
        if self._cluster_spec and TaskType.MASTER in self._cluster_spec.jobs:
            return self._init_with_master(tf_config, task_env)
        if not self._cluster_spec:  # one process: the chief of a cluster of one
            self._task_type = task_env.get("type", TaskType.WORKER)
            self._task_id = int(task_env.get("index", 0))
            self._global_id_in_cluster = 0
            if self._task_type != TaskType.WORKER:
                raise ValueError('If "cluster" is not set in TF_CONFIG, task type must be WORKER.')
            if self._task_id != 0:
                raise ValueError('If "cluster" is not set in TF_CONFIG, task index must be 0.')
            self._master = tf_config.get("session_master", _LOCAL_MASTER)
            self._evaluation_master = tf_config.get("eval_session_master", _LOCAL_MASTER)
            self._is_chief, self._num_ps_replicas, self._num_worker_replicas = True, 0, 1
            return
        self._task_type, self._task_id = _validate_task_type_and_task_id(self._cluster_spec, task_env,
                                                                         TaskType.CHIEF)
        self._evaluation_master = _get_eval_session_master(self._task_type, tf_config)
        if self._task_type == TaskType.EVALUATOR:  # not part of the training cluster
            self._cluster_spec = tf.train.ClusterSpec({})
            self._master, self._num_ps_replicas, self._num_worker_replicas = _LOCAL_MASTER, 0, 0
            self._global_id_in_cluster = None
        else:
            self._master = _get_session_master(self._cluster_spec, self._task_type, self._task_id, tf_config)
            self._num_ps_replicas = _count(self._cluster_spec, TaskType.PS)
            self._num_worker_replicas = _count(self._cluster_spec, TaskType.WORKER, TaskType.CHIEF)
            self._global_id_in_cluster = _get_global_id_in_cluster(self._cluster_spec, self._task_type,
                                                                   self._task_id, TaskType.CHIEF)
        self._is_chief = self._task_type == TaskType.CHIEF

    def _init_with_master(self, tf_config: dict, task_env: dict) -> None:
        """The legacy cluster, whose chief is a job called `master`."""
        if TaskType.CHIEF in self._cluster_spec.jobs:
            raise ValueError("If `master` node exists in `cluster`, job `chief` is not supported.")
        self._task_type, self._task_id = _validate_task_type_and_task_id(self._cluster_spec, task_env,
                                                                         TaskType.MASTER)
        if self._task_type == TaskType.EVALUATOR:
            raise ValueError("If `master` node exists in `cluster`, task_type `evaluator` is not supported.")
        self._global_id_in_cluster = _get_global_id_in_cluster(self._cluster_spec, self._task_type,
                                                               self._task_id, TaskType.MASTER)
        self._master = _get_session_master(self._cluster_spec, self._task_type, self._task_id, tf_config)
        self._evaluation_master = _get_eval_session_master(self._task_type, tf_config)
        self._num_ps_replicas = _count(self._cluster_spec, TaskType.PS)
        self._num_worker_replicas = _count(self._cluster_spec, TaskType.WORKER, TaskType.MASTER)
        self._is_chief = self._task_type == TaskType.MASTER

    def _get_default_session_config_distributed(self):
        """Device filters so that a trainer talks only to the ps and itself: without them a session waits
        for every task of the cluster, the evaluator's and the other workers' included."""
        job = {TaskType.MASTER: ["/job:ps", "/job:master"],
               TaskType.CHIEF: ["/job:ps", "/job:chief"],
               TaskType.WORKER: ["/job:ps", f"/job:worker/task:{self._task_id}"],
               TaskType.PS: ["/job:ps", "/job:worker", "/job:chief", "/job:master"]}.get(self._task_type)
        if job is None:
            return None
        config = get_default_session_config()
        config.device_filters.extend(job)
        return config

    # ----- replace --------------------------------------------------------------------------------

    def replace(self, **kwargs) -> "RunConfig":
        """A checked copy with some settings changed (the constructor's arguments only)."""
        return copy.deepcopy(self)._replace_checked(_DEFAULT_REPLACEABLE_LIST, **kwargs)

    def _replace_checked(self, allowed: list, **kwargs) -> "RunConfig":
        for key, value in kwargs.items():
            if key not in allowed:
                raise ValueError(f"Replacing {key} is not supported. Allowed properties are {allowed}.")
            setattr(self, "_" + key, value)
        # Naming one way of saving turns the other off; naming both (set) is an error.
        steps, secs = self._save_checkpoints_steps, self._save_checkpoints_secs
        if "save_checkpoints_steps" in kwargs and "save_checkpoints_secs" in kwargs:
            if steps is not None and secs is not None:
                raise ValueError(_SAVE_CKPT_ERR)
        elif "save_checkpoints_steps" in kwargs and steps is not None:
            self._save_checkpoints_secs = None
        elif "save_checkpoints_secs" in kwargs and secs is not None:
            self._save_checkpoints_steps = None
        _validate_properties(self)
        return self

    def __repr__(self):
        shown = ", ".join(f"{name}={getattr(self, '_' + name)!r}" for name in _DEFAULT_REPLACEABLE_LIST[:9])
        return f"RunConfig({shown})"


def _property(name: str, doc: str = ""):
    return property(lambda self: getattr(self, "_" + name), doc=doc)


for _name in _DEFAULT_REPLACEABLE_LIST + ["cluster_spec", "evaluation_master", "is_chief", "master",
                                          "num_ps_replicas", "num_worker_replicas", "task_id", "task_type",
                                          "global_id_in_cluster", "service"]:
    setattr(RunConfig, _name, _property(_name))
del _name


# ----- the real run_config.py's helpers ------------------------------------------------------------

def _check_strategy(strategy) -> None:
    """A distribution strategy on one machine with one device trains as without it (as the real one); more
    replicas, or a strategy for a cluster, would need the real Estimator's strategy glue, gone from TF 2.21."""
    if strategy is None:
        return
    if strategy.__class__ is tf.distribute.experimental.ParameterServerStrategy:
        raise ValueError("Please use `tf.compat.v1.distribute.experimental.ParameterServerStrategy` for parameter "
                         "server strategy with estimator.")
    replicas = getattr(strategy, "num_replicas_in_sync", None)
    if replicas != 1:
        raise ValueError(
            f"RunConfig(train_distribute/eval_distribute={type(strategy).__name__}) with {replicas} replicas: "
            "iris_lib trains one replica per process (a strategy with one device trains as without it). For "
            "several machines, start one process per task with a TF_CONFIG and call train_and_evaluate (see the "
            "chapter 'Training on a cluster' and `python -m iris_lib.cluster`)")


def _validate_properties(config: RunConfig) -> None:
    """The real checks and messages; a number given as something else is named (the real one failed with a
    bare comparison error)."""
    def check(name, condition, message, number=True):
        value = getattr(config, "_" + name)
        if value is None:
            return
        if number and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(f"RunConfig: {name} must be a number, got {value!r}")
        if not condition(value):
            raise ValueError(f"{message}, got {value!r}" if number else message)

    check("model_dir", lambda value: value, "model_dir should be non-empty", number=False)
    for name in ("save_summary_steps", "save_checkpoints_steps", "save_checkpoints_secs", "keep_checkpoint_max"):
        check(name, lambda value: value >= 0, f"{name} should be >= 0")
    check("session_config", lambda value: isinstance(value, tf.compat.v1.ConfigProto),
          "session_config must be instance of ConfigProto", number=False)
    check("keep_checkpoint_every_n_hours", lambda value: value > 0, "keep_checkpoint_every_n_hours should be > 0")
    check("log_step_count_steps", lambda value: value > 0, "log_step_count_steps should be > 0")
    check("tf_random_seed", lambda value: isinstance(value, numbers.Integral), "tf_random_seed must be integer.",
          number=False)
    check("experimental_max_worker_delay_secs", lambda value: isinstance(value, int),
          "experimental_max_worker_delay_secs must be an integer if set.", number=False)
    check("session_creation_timeout_secs", lambda value: value > 0, "session_creation_timeout_secs should be > 0")
    check("device_fn", lambda value: callable(value) and _arg_names(value) == {"op"},
          'device_fn must be callable with exactly one argument "op".', number=False)
    check("protocol", lambda value: value in ("grpc", "grpc+verbs"), "protocol should be grpc or grpc+verbs",
          number=False)


def _arg_names(function) -> set:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _validate_task_type_and_task_id(cluster_spec, task_env: dict, chief_task_type: str):
    if chief_task_type not in cluster_spec.jobs:
        raise ValueError(f'If "cluster" is set in TF_CONFIG, it must have one "{chief_task_type}" node.')
    if len(cluster_spec.job_tasks(chief_task_type)) > 1:
        raise ValueError(f'The "cluster" in TF_CONFIG must have only one "{chief_task_type}" node.')
    task_type, task_id = task_env.get("type"), task_env.get("index")
    if not task_type:
        raise ValueError('If "cluster" is set in TF_CONFIG, task type must be set.')
    if task_id is None:
        raise ValueError('If "cluster" is set in TF_CONFIG, task index must be set.')
    task_id = int(task_id)
    if task_id < 0:
        raise ValueError("Task index must be non-negative number.")
    if task_type == TaskType.EVALUATOR:  # not part of the training cluster: any index
        return task_type, task_id
    if task_type not in cluster_spec.jobs:
        raise ValueError(f"{task_type} is not a valid task_type in the cluster_spec:\n{cluster_spec}\n\n"
                         "Note that these values may be coming from the TF_CONFIG environment variable.")
    if not 0 <= task_id < len(cluster_spec.job_tasks(task_type)):
        raise ValueError(f"{task_id} is not a valid task_id for task_type {task_type} in the cluster_spec:\n"
                         f"{cluster_spec}\n\nNote that these values may be coming from the TF_CONFIG environment "
                         "variable.")
    return task_type, task_id


def _get_session_master(cluster_spec, task_type: str, task_id: int, tf_config: dict) -> str:
    """TF_CONFIG's session_master; '' for a cluster of one node; else this task's own gRPC server."""
    if "session_master" in tf_config:
        return tf_config["session_master"]
    jobs = cluster_spec.jobs
    if len(jobs) == 1 and len(cluster_spec.job_tasks(jobs[0])) == 1:
        return _LOCAL_MASTER
    return _GRPC_SCHEME + cluster_spec.job_tasks(task_type)[task_id]


def _get_eval_session_master(task_type: str, tf_config: dict) -> str:
    if task_type == TaskType.EVALUATOR:
        return tf_config.get("eval_session_master", _LOCAL_MASTER)
    return _LOCAL_MASTER


def _count(cluster_spec, *jobs: str) -> int:
    tasks = cluster_spec.as_dict()
    return sum(len(tasks.get(job, [])) for job in jobs)


def _get_global_id_in_cluster(cluster_spec, task_type: str, task_id: int, chief_task_type: str) -> int:
    """0 for the chief, then the other jobs alphabetically, task by task, and the ps last."""
    ordered = [chief_task_type] + [job for job in sorted(cluster_spec.jobs)
                                   if job not in (chief_task_type, TaskType.PS)]
    if TaskType.PS in cluster_spec.jobs:
        ordered.append(TaskType.PS)
    next_id = 0
    for job in ordered:
        if job == task_type:
            return next_id + task_id
        next_id += len(cluster_spec.job_tasks(job))
    raise RuntimeError(f"Internal Error: `task_type` ({task_type}) is not in cluster_spec ({cluster_spec}).")


def _get_model_dir(tf_config: dict, model_dir):
    if model_dir == "":
        raise ValueError("model_dir should be non-empty.")
    in_tf_config = tf_config.get("model_dir")
    if in_tf_config == "":
        raise ValueError("model_dir in TF_CONFIG should be non-empty.")
    if in_tf_config:
        if model_dir and in_tf_config != model_dir:
            raise ValueError("`model_dir` provided in RunConfig construct, if set, must have the same value as the "
                             f"model_dir in TF_CONFIG. model_dir: {model_dir}\nTF_CONFIG[\"model_dir\"]: "
                             f"{in_tf_config}.\n")
        logger.info("Using model_dir in TF_CONFIG: %s", in_tf_config)
    return model_dir or in_tf_config


def _path_to_str(path):
    return os.fspath(path) if hasattr(path, "__fspath__") else path
