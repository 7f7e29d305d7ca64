"""Training one task of a cluster (TF_CONFIG), as the real Estimator trained: TensorFlow's own runtime.

In a cluster the variables live on the parameter servers (`replica_device_setter`), every trainer runs
the model in a session on its own gRPC server (`RunConfig.master`), and only the chief initializes or
restores the variables and writes checkpoints, summaries and `graph.pbtxt`. The real engine did that with
`tf.compat.v1.train.MonitoredTrainingSession` and its hooks; TF 2.21 still ships them, so this module builds
the same hooks and session as the real `Estimator._train_with_estimator_spec` (TF 2.15) and runs them. One
deliberate change: a worker that starts before the chief has initialized the variables checks again every
second, not every 30 s. The local, one-process loop stays in `estimator.py`.
"""
from __future__ import annotations

import tensorflow as tf
from tensorflow.python.training import device_setter  # STANDARD_PS_OPS, as the real one

from iris_lib import quiet

v1 = tf.compat.v1
logger = quiet.logger

# How often a waiting worker asks whether the chief has initialized the variables (TensorFlow's own
# SessionManager waits 30 s between checks).
_WORKER_RECHECK_SECS = 1


def device_fn(config):
    """The real `_get_replica_device_setter`: variables round-robin on the ps tasks, the rest on this task."""
    if config.device_fn is not None:
        return config.device_fn
    if not config.num_ps_replicas:
        return None
    worker_device = f"/job:{config.task_type}/task:{config.task_id}" if config.task_type else "/job:worker"
    return v1.train.replica_device_setter(ps_tasks=config.num_ps_replicas, worker_device=worker_device,
                                          merge_devices=True, ps_ops=list(device_setter.STANDARD_PS_OPS),
                                          cluster=config.cluster_spec)


class _DatasetInitializerHook(v1.train.SessionRunHook):
    """Starts the input_fn's Dataset iterator in each session, first of the hooks (the real util.py's)."""

    def __init__(self, initializers):
        self._initializers = initializers

    def after_create_session(self, session, coord):  # pylint: disable=unused-argument
        session.run(self._initializers)


def train(estimator, built, hooks: list, stop_hooks: list, saving_listeners: list) -> None:
    """Run `built` (graph, spec, global_step) on this task until a hook stops it (`stop_hooks`: the
    StopAtStepHook of `steps`/`max_steps`), as the real engine's MonitoredTrainingSession loop."""
    config, spec, model_dir = estimator.config, built.spec, estimator.model_dir
    with built.graph.as_default():
        scaffold = spec.scaffold or v1.train.Scaffold()
        if not any(summary.op.name == "loss" for summary in v1.get_collection(v1.GraphKeys.SUMMARIES)):
            v1.summary.scalar("loss", spec.loss)
        v1.add_to_collection(v1.GraphKeys.LOSSES, spec.loss)
        worker_hooks = [_DatasetInitializerHook(built.input_initializers)] if built.input_initializers else []
        worker_hooks += list(hooks) + list(stop_hooks) + [v1.train.NanTensorHook(spec.loss)]
        if config.log_step_count_steps is not None:
            worker_hooks.append(v1.train.LoggingTensorHook({"loss": spec.loss, "step": built.global_step},
                                                           every_n_iter=config.log_step_count_steps))
        worker_hooks.extend(spec.training_hooks)
        if not (scaffold.saver or v1.get_collection(v1.GraphKeys.SAVERS)):
            v1.add_to_collection(v1.GraphKeys.SAVERS, v1.train.Saver(
                sharded=True, max_to_keep=config.keep_checkpoint_max, defer_build=True, save_relative_paths=True,
                keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours))
        chief_hooks = []
        if config.save_checkpoints_secs or config.save_checkpoints_steps or saving_listeners:
            if not (config.save_checkpoints_secs or config.save_checkpoints_steps):
                raise ValueError("There should be a CheckpointSaverHook to use saving_listeners. Please set one of "
                                 "the RunConfig.save_checkpoints_steps or RunConfig.save_checkpoints_secs.")
            chief_hooks.append(v1.train.CheckpointSaverHook(
                model_dir, save_secs=config.save_checkpoints_secs, save_steps=config.save_checkpoints_steps,
                scaffold=scaffold, listeners=list(saving_listeners),
                save_graph_def=config.checkpoint_save_graph_def))
        chief_hooks.extend(spec.training_chief_hooks)
        if config.is_chief:
            session = v1.train.MonitoredTrainingSession(
                master=config.master, is_chief=True, checkpoint_dir=model_dir, scaffold=scaffold,
                hooks=worker_hooks, chief_only_hooks=chief_hooks, save_checkpoint_secs=0,
                save_summaries_steps=config.save_summary_steps, config=config.session_config,
                max_wait_secs=config.session_creation_timeout_secs,
                log_step_count_steps=config.log_step_count_steps, save_graph_def=config.checkpoint_save_graph_def)
        else:  # what MonitoredTrainingSession does for a non-chief, with a quicker wait for the chief
            session = v1.train.MonitoredSession(
                session_creator=_WorkerSessionCreator(scaffold, config.master, config.session_config,
                                                      config.session_creation_timeout_secs),
                hooks=worker_hooks)
        loss = None
        with session:
            while not session.should_stop():
                _, loss = session.run([spec.train_op, spec.loss])
        logger.info("Loss for final step: %s.", loss)


class _WorkerSessionCreator(v1.train.SessionCreator):
    """TensorFlow's WorkerSessionCreator, asking every second whether the chief has initialized the model."""

    def __init__(self, scaffold, master: str, config, max_wait_secs: float):
        self._scaffold, self._master, self._config, self._max_wait_secs = scaffold, master, config, max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        manager = v1.train.SessionManager(
            local_init_op=self._scaffold.local_init_op, local_init_feed_dict=self._scaffold.local_init_feed_dict,
            ready_op=self._scaffold.ready_op, ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
            graph=v1.get_default_graph(), recovery_wait_secs=_WORKER_RECHECK_SECS)
        return manager.wait_for_session(self._master, config=self._config, max_wait_secs=self._max_wait_secs)
