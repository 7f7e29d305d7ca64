"""`RunConfig`: where and how the Estimator runs, with the real one's defaults."""
from __future__ import annotations

import numbers
import os
import dataclasses
from dataclasses import dataclass
from typing import Any

import tensorflow as tf

# The real RunConfig's arguments for distributed and multi-device training, which iris_lib does not run.
_NOT_PROVIDED = ("train_distribute", "eval_distribute", "experimental_distribute", "device_fn", "protocol")


@dataclass
class RunConfig:
    """Where and how the Estimator runs; the real one's defaults."""

    # The real RunConfig's parameters, in its order (so positional calls mean the same).
    model_dir: str | None = None
    tf_random_seed: int | None = None
    save_summary_steps: int = 100
    save_checkpoints_steps: int | None = None
    save_checkpoints_secs: int | None = None
    session_config: Any = None  # a tf.compat.v1.ConfigProto for every session, as in the real one
    keep_checkpoint_max: int = 5
    keep_checkpoint_every_n_hours: float = 10000
    log_step_count_steps: int = 100
    train_distribute: Any = None
    device_fn: Any = None
    protocol: Any = None
    eval_distribute: Any = None
    experimental_distribute: Any = None
    experimental_max_worker_delay_secs: int | None = None
    session_creation_timeout_secs: int = 7200
    checkpoint_save_graph_def: bool = True

    def __post_init__(self):
        for name in _NOT_PROVIDED:
            if getattr(self, name) is not None:
                raise ValueError(
                    f"RunConfig({name}=...): iris_lib trains in one process on one device and does not provide "
                    "distribution strategies or device placement. Leave it out to train locally, or use Keras "
                    "(model.fit under tf.distribute) for distributed training."
                )
        if self.save_checkpoints_steps is not None and self.save_checkpoints_secs is not None:
            raise ValueError("RunConfig: give save_checkpoints_steps or save_checkpoints_secs, not both")
        if self.save_checkpoints_steps is None and self.save_checkpoints_secs is None:
            self.save_checkpoints_secs = 600
        if self.session_config is not None and not isinstance(self.session_config, tf.compat.v1.ConfigProto):
            raise ValueError("session_config must be instance of ConfigProto, "
                             f"got {type(self.session_config).__name__}")
        if self.model_dir is not None:
            self.model_dir = os.fspath(self.model_dir)  # a Path, as the real one's path_to_str
        for name in ("save_summary_steps", "log_step_count_steps", "keep_checkpoint_max", "save_checkpoints_steps",
                     "save_checkpoints_secs"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"RunConfig: {name} must be a number, got {value!r}")
            if value < 0:
                raise ValueError(f"RunConfig: {name} should be >= 0, got {value}")

    def replace(self, **kwargs) -> "RunConfig":
        """A copy with some settings changed, validated like a new one (the real `RunConfig.replace`)."""
        return dataclasses.replace(self, **kwargs)
