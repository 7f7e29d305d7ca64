"""Session-run hooks, laid out as the real `tensorflow_estimator/python/estimator/hooks/`.

| module | what |
| --- | --- |
| `session_run_hook.py` | `SessionRunHook`, `SessionRunArgs`, `SessionRunContext`, `SessionRunValues` (TensorFlow's own) |
| `basic_session_run_hooks.py` | `LoggingTensorHook`, `StopAtStepHook`, `NanTensorHook`, ... (TensorFlow's own) |
| `hooks.py` | `StopTrainingHook` (stop a running `train()` from another thread: a Stop button), `make_stop_at_checkpoint_step_hook`, `InMemoryEvaluatorHook` |
| `hook_runner.py` | calls hooks around session runs as `MonitoredSession` did |
"""
from iris_lib.estimator.hooks.basic_session_run_hooks import *  # noqa: F401,F403
from iris_lib.estimator.hooks.basic_session_run_hooks import __all__ as _basic
from iris_lib.estimator.hooks.hooks import InMemoryEvaluatorHook, StopTrainingHook, make_stop_at_checkpoint_step_hook
from iris_lib.estimator.hooks.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues

__all__ = [*_basic, "InMemoryEvaluatorHook", "SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues", "StopTrainingHook",
           "make_stop_at_checkpoint_step_hook"]
