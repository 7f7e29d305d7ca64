"""RunConfig: TF_CONFIG read as the real tf.estimator read it, and its settings checked the real way.

The cluster examples are those of the real RunConfig's docstring (TensorFlow 2.15); `make parity` compares 51
more cases with the real one (tests/test_parity_run_config.py).
"""
import json
import re
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from iris_lib.estimator import Estimator, RunConfig

CLUSTER = {"chief": ["host0:2222"], "ps": ["host1:2222", "host2:2222"],
           "worker": ["host3:2222", "host4:2222", "host5:2222"]}


def with_tf_config(monkeypatch, task_type, index, cluster=CLUSTER):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}}))
    return RunConfig()


def test_a_worker_of_the_real_docstrings_cluster(monkeypatch):
    config = with_tf_config(monkeypatch, "worker", 1)
    assert (config.master, config.task_id, config.task_type) == ("grpc://host4:2222", 1, "worker")
    assert (config.num_ps_replicas, config.num_worker_replicas, config.is_chief) == (2, 4, False)
    assert config.cluster_spec.as_dict() == CLUSTER
    assert list(config.session_config.device_filters) == ["/job:ps", "/job:worker/task:1"]


def test_the_chief_and_the_evaluator_of_the_real_docstrings_cluster(monkeypatch):
    chief = with_tf_config(monkeypatch, "chief", 0)
    assert (chief.master, chief.is_chief, chief.global_id_in_cluster) == ("grpc://host0:2222", True, 0)
    assert list(chief.session_config.device_filters) == ["/job:ps", "/job:chief"]
    evaluator = with_tf_config(monkeypatch, "evaluator", 0)
    assert (evaluator.master, evaluator.evaluation_master, evaluator.is_chief) == ("", "", False)
    assert (evaluator.num_ps_replicas, evaluator.num_worker_replicas, evaluator.cluster_spec.as_dict()) == (0, 0, {})
    assert evaluator.session_config is None


def test_global_ids_number_the_chief_first_and_the_ps_last(monkeypatch):
    ids = {(kind, i): with_tf_config(monkeypatch, kind, i).global_id_in_cluster
           for kind, count in (("chief", 1), ("worker", 3), ("ps", 2)) for i in range(count)}
    assert ids == {("chief", 0): 0, ("worker", 0): 1, ("worker", 1): 2, ("worker", 2): 3, ("ps", 0): 4,
                   ("ps", 1): 5}


def test_without_tf_config_this_process_is_a_chief_of_one(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    config = RunConfig()
    assert (config.task_type, config.task_id, config.master, config.is_chief) == ("worker", 0, "", True)
    assert (config.num_ps_replicas, config.num_worker_replicas, config.session_config) == (0, 1, None)


@pytest.mark.parametrize("tf_config, message", [
    ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, 'it must have one "chief" node'),
    ({"cluster": CLUSTER, "task": {"type": "worker", "index": 3}}, "3 is not a valid task_id for task_type worker"),
    ({"cluster": CLUSTER, "task": {"index": 0}}, "task type must be set"),
    ({"model_dir": ""}, "model_dir in TF_CONFIG should be non-empty"),
])
def test_a_bad_tf_config_is_refused_naming_the_key(monkeypatch, tf_config, message):
    monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    with pytest.raises(ValueError, match=message):
        RunConfig()


def test_replace_turns_the_other_checkpoint_setting_off_and_refuses_what_cannot_change():
    config = RunConfig(save_checkpoints_steps=10)
    assert (config.save_checkpoints_steps, config.save_checkpoints_secs) == (10, None)
    changed = config.replace(save_checkpoints_secs=60)
    assert (changed.save_checkpoints_steps, changed.save_checkpoints_secs) == (None, 60)
    assert config.save_checkpoints_steps == 10  # the original is untouched
    with pytest.raises(ValueError, match="Replacing is_chief is not supported"):
        config.replace(is_chief=False)
    with pytest.raises(AttributeError):
        config.is_chief = False


def test_the_estimator_keeps_its_own_copy_of_the_config(tmp_path):
    config = RunConfig(tf_random_seed=3)
    estimator = Estimator(lambda features, labels, mode: None, model_dir=str(tmp_path), config=config)
    assert estimator.config.model_dir == str(tmp_path) and config.model_dir is None
    with pytest.raises(ValueError, match="config must be an instance of `RunConfig`"):
        Estimator(lambda features, labels, mode: None, config={"tf_random_seed": 3})


def test_a_strategy_with_one_device_is_local_training_and_more_replicas_are_refused_with_what_to_do():
    assert RunConfig(train_distribute=tf.distribute.OneDeviceStrategy("/cpu:0")).is_chief
    # Two CPU devices exist only if configured before TensorFlow starts: ask a fresh process.
    program = textwrap.dedent("""
        import tensorflow as tf
        from iris_lib.estimator import RunConfig
        tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                                    [tf.config.LogicalDeviceConfiguration()] * 2)
        try:
            RunConfig(train_distribute=tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
        except ValueError as error:
            print(error)
    """)
    refusal = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    assert re.search(r"with 2 replicas: iris_lib trains one replica per process.*TF_CONFIG", refusal, re.S), refusal


def test_device_fn_and_protocol_are_checked_as_the_real_one_checks_them():
    assert RunConfig(device_fn=lambda op: "/cpu:0", protocol="grpc").protocol == "grpc"
    with pytest.raises(ValueError, match='device_fn must be callable with exactly one argument "op"'):
        RunConfig(device_fn=object())
    with pytest.raises(ValueError, match="protocol should be grpc or grpc\\+verbs"):
        RunConfig(protocol="http")
