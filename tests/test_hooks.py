"""Session-run hooks and saving listeners in train / evaluate / predict, called as the real engine did.

The call order and counts asserted here are the real TF 2.15 engine's (measured by tests/test_parity_hooks.py
on the same program); Ctrl-C and the Stop button are our additions (issue 9).
"""
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import Estimator, RunConfig
from iris_lib.estimator.hooks import StopTrainingHook
from iris_lib.model import my_model_fn
from support import HANG_GUARD_SECONDS, StepGate, eval_fn, make_estimator, predict_fn, train_fn

v1 = tf.compat.v1


class Recorder(v1.train.SessionRunHook):
    """Appends (tag, call, global_step) to a shared log; global_step read after the step, as a user would."""

    def __init__(self, log, tag, stop_at=None, raise_at=None):
        self.log, self.tag, self.stop_at, self.raise_at = log, tag, stop_at, raise_at

    def begin(self):
        self.global_step = v1.train.get_global_step()
        self.log.append((self.tag, "begin", v1.get_default_graph().finalized))

    def after_create_session(self, session, coord):
        self.log.append((self.tag, "after_create_session", int(session.run(self.global_step))))

    def before_run(self, run_context):
        self.log.append((self.tag, "before_run"))
        return v1.train.SessionRunArgs({"step": self.global_step})

    def after_run(self, run_context, run_values):
        step = int(run_context.session.run(self.global_step))
        assert set(run_values.results) == {"step"}
        self.log.append((self.tag, "after_run", step))
        if self.raise_at == step:
            raise KeyboardInterrupt
        if self.stop_at == step:
            run_context.request_stop()

    def end(self, session):
        self.log.append((self.tag, "end", int(session.run(self.global_step))))


class Listener(v1.train.CheckpointSaverListener):
    def __init__(self, log, stop_after=None):
        self.log, self.stop_after = log, stop_after

    def begin(self):
        self.log.append(("listener", "begin"))

    def before_save(self, session, global_step_value):
        self.log.append(("listener", "before_save", int(global_step_value)))

    def after_save(self, session, global_step_value):
        self.log.append(("listener", "after_save", int(global_step_value)))
        return self.stop_after == global_step_value

    def end(self, session, global_step_value):
        self.log.append(("listener", "end", int(global_step_value)))


def with_spec_hooks(**hooks):
    """The guide's model_fn, returning the given hooks in its EstimatorSpec."""
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        wanted = {key: value for key, value in hooks.items() if key.startswith(
            {"train": "training", "eval": "evaluation", "infer": "prediction"}[mode])}
        return spec._replace(**wanted)
    return model_fn


def estimator_with(model_fn, tmp_path, columns, **config):
    return Estimator(model_fn=model_fn, model_dir=str(tmp_path / "model"), config=RunConfig(tf_random_seed=7, **config),
                     params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})


def checkpoint_steps(model_dir):
    return sorted(int(name.split("-")[1].split(".")[0]) for name in os.listdir(model_dir) if name.endswith(".index"))


def test_train_calls_every_hook_in_the_real_engines_order(tmp_path, iris, columns):
    log = []
    model_fn = with_spec_hooks(training_chief_hooks=[Recorder(log, "chief")], training_hooks=[Recorder(log, "late")])
    estimator = estimator_with(model_fn, tmp_path, columns, save_checkpoints_steps=2)
    estimator.train(train_fn(iris), hooks=[Recorder(log, "user")], steps=3, saving_listeners=[Listener(log)])
    tags = ("chief", "user", "late")
    step = lambda n: [(t, "before_run") for t in tags] + [(t, "after_run", n) for t in tags]  # noqa: E731
    assert log == (
        [("listener", "begin")] + [(t, "begin", False) for t in tags]
        + [("listener", "before_save", 0), ("listener", "after_save", 0)]
        + [(t, "after_create_session", 0) for t in tags]
        + step(1)
        # the checkpoint at step 2 is saved before any hook's after_run (the real CheckpointSaverHook came first)
        + [(t, "before_run") for t in tags] + [("listener", "before_save", 2), ("listener", "after_save", 2)]
        + [(t, "after_run", 2) for t in tags]
        + step(3)
        + [("listener", "before_save", 3), ("listener", "after_save", 3), ("listener", "end", 3)]
        + [(t, "end", 3) for t in tags]
    )
    # a second call restores first: after_create_session sees the restored step
    log.clear()
    estimator.train(train_fn(iris), hooks=[Recorder(log, "user")], steps=1)
    assert ("user", "after_create_session", 3) in log and ("user", "end", 4) in log


def test_request_stop_saves_a_checkpoint_at_that_step_and_calls_end(tmp_path, iris, columns):
    log = []
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), hooks=[Recorder(log, "user", stop_at=7)], steps=1000)
    assert estimator.latest_checkpoint().endswith("model.ckpt-7")
    assert checkpoint_steps(tmp_path) == [0, 7]
    assert [entry for entry in log if entry[1] == "after_run"][-1] == ("user", "after_run", 7)
    assert log[-1] == ("user", "end", 7)


def test_a_saving_listener_that_returns_true_stops_training(tmp_path, iris, columns):
    log = []
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=5)
    estimator.train(train_fn(iris), steps=100, saving_listeners=[Listener(log, stop_after=10)])
    assert checkpoint_steps(tmp_path) == [0, 5, 10]
    assert log[-1] == ("listener", "end", 10)


def test_stop_training_hook_stops_from_another_thread_and_keeps_that_step(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    stop, gate = StopTrainingHook(), StepGate(at=20)  # held at step 20 while another thread asks to stop
    thread = threading.Thread(target=estimator.train, args=(train_fn(iris),),
                              kwargs={"hooks": [stop, gate], "steps": 10_000_000})
    thread.start()
    gate.wait_reached()
    stop.stop()
    gate.release()
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive()
    assert stop.stopped_at == 20  # the step it was held at when stop() was called (the stop hook runs late)
    assert estimator.latest_checkpoint().endswith(f"model.ckpt-{stop.stopped_at}")
    assert estimator.get_variable_value("global_step") == stop.stopped_at


def test_tensorflows_own_hooks_run_in_our_loop(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        summaries = v1.train.SummarySaverHook(save_steps=4, output_dir=str(tmp_path / "summaries"),
                                              summary_op=v1.summary.merge_all())
        return spec._replace(training_hooks=[summaries])

    estimator = estimator_with(model_fn, tmp_path, columns)
    hooks = [
        v1.train.StopAtStepHook(last_step=12),
        v1.train.LoggingTensorHook({"global": "global_step:0"}, every_n_iter=5),
        v1.train.NanTensorHook("sparse_softmax_cross_entropy_loss/value:0"),
        v1.train.StepCounterHook(every_n_steps=4, output_dir=str(tmp_path / "steps")),
    ]
    with tf.Graph().as_default():  # as with the real one: its FileWriter cannot be made in eager mode
        hooks.append(v1.train.ProfilerHook(save_steps=10, output_dir=str(tmp_path / "profile")))
    estimator.train(train_fn(iris), hooks=hooks, steps=1000)
    assert estimator.get_variable_value("global_step") == 12  # StopAtStepHook's request_stop
    assert checkpoint_steps(tmp_path / "model") == [0, 12]
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "steps"))
    assert any(name.startswith("timeline-") for name in os.listdir(tmp_path / "profile"))  # RunOptions merged
    [events] = [tmp_path / "summaries" / name for name in os.listdir(tmp_path / "summaries")]
    summary_steps = {e.step for e in v1.train.summary_iterator(str(events)) if e.HasField("summary")}
    assert summary_steps == {1, 5, 9}  # the first step, then every 4, as SummarySaverHook does


def test_a_checkpoint_saver_hook_replaces_the_engines_checkpoints_as_in_the_real_engine(tmp_path, iris, columns):
    log = []
    hook = v1.train.CheckpointSaverHook(str(tmp_path / "own"), save_steps=4)
    estimator = make_estimator(tmp_path / "model", columns)
    estimator.train(train_fn(iris), hooks=[hook], steps=10, saving_listeners=[Listener(log)])
    assert checkpoint_steps(tmp_path / "own") == [0, 4, 8, 10]
    assert not any(name.endswith(".index") for name in os.listdir(tmp_path / "model"))
    assert ("listener", "after_save", 8) in log and log[-1] == ("listener", "end", 10)  # attached to that hook


def test_hooks_may_feed_and_fetch_and_conflicting_feeds_are_refused(tmp_path, iris, columns):
    class Feeder(v1.train.SessionRunHook):
        def begin(self):
            self.scale = v1.placeholder_with_default(1.0, [], name="scale")
            self.doubled = self.scale * 2
            self.seen = []

        def before_run(self, run_context):
            return v1.train.SessionRunArgs(self.doubled, feed_dict={self.scale: 21.0})

        def after_run(self, run_context, run_values):
            self.seen.append(run_values.results)

    feeder = Feeder()
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), hooks=[feeder], steps=3)
    assert feeder.seen == [42.0, 42.0, 42.0]

    class SameFeed(Feeder):
        def begin(self):
            self.scale = v1.get_default_graph().get_tensor_by_name("scale:0")
            self.doubled = self.scale

    with pytest.raises(RuntimeError, match="Same tensor is fed by two hooks"):
        make_estimator(tmp_path / "other", columns).train(train_fn(iris), hooks=[Feeder(), SameFeed()], steps=1)


def test_a_step_no_hook_asks_anything_of_takes_the_fast_path_with_the_same_calls(tmp_path, iris, columns,
                                                                                 monkeypatch):
    """A hook that fetches every third step: only those steps go through `Session.run` with the hooks'
    fetches (the others are the engine's `make_callable` run); every hook call still happens, in order,
    with results exactly on the steps it asked, in train, evaluate and predict."""
    class EveryThird(v1.train.SessionRunHook):
        def begin(self):
            self.global_step, self.calls, self.count = v1.train.get_global_step(), [], 0

        def before_run(self, run_context):
            self.count += 1
            self.calls.append("before_run")
            return v1.train.SessionRunArgs(self.global_step) if self.count % 3 == 0 else None

        def after_run(self, run_context, run_values):
            self.calls.append(("after_run", run_values.results is not None))
            assert isinstance(run_values.options, v1.RunOptions)
            assert isinstance(run_values.run_metadata, v1.RunMetadata)

    joined = []
    session_run = v1.Session.run

    def counting_run(self, fetches, *args, **kwargs):
        if isinstance(fetches, dict) and "caller" in fetches:
            joined.append(len(fetches) - 1)  # how many hooks asked for something
        return session_run(self, fetches, *args, **kwargs)

    monkeypatch.setattr(v1.Session, "run", counting_run)
    estimator = make_estimator(tmp_path, columns)
    hook = EveryThird()
    estimator.train(train_fn(iris), hooks=[hook], steps=9)
    assert joined == [1, 1, 1]  # steps 3, 6 and 9
    assert hook.calls == ["before_run", ("after_run", False), "before_run", ("after_run", False), "before_run",
                          ("after_run", True)] * 3
    joined.clear()
    evaluator = EveryThird()
    estimator.evaluate(eval_fn(iris, batch_size=5), hooks=[evaluator])  # 6 batches, one before_run unanswered
    assert joined == [1, 1] and evaluator.count == 7
    assert [call for call in evaluator.calls if call != "before_run"] == [("after_run", i % 3 == 2) for i in range(6)]
    joined.clear()
    predictor = EveryThird()
    assert len(list(estimator.predict(predict_fn(), hooks=[predictor]))) == 3
    assert joined == [] and predictor.count == 2  # one batch, then the end of the input


def test_hooks_must_be_session_run_hooks_and_steps_is_not_the_second_argument(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    with pytest.raises(TypeError, match="must be SessionRunHook instances"):
        estimator.train(train_fn(iris), hooks=[object()], steps=1)
    with pytest.raises(TypeError, match="write steps=100 instead"):
        estimator.train(train_fn(iris), 100)


def test_evaluate_calls_hooks_with_one_unanswered_before_run_when_the_input_runs_out(tmp_path, iris, columns):
    log = []
    model_fn = with_spec_hooks(evaluation_hooks=[Recorder(log, "late")])
    estimator = estimator_with(model_fn, tmp_path, columns)
    estimator.train(train_fn(iris), steps=5)
    estimator.evaluate(eval_fn(iris, batch_size=10), hooks=[Recorder(log, "user")])  # 30 rows: 3 batches
    calls = lambda tag, call: [e for e in log if e[:2] == (tag, call)]  # noqa: E731
    for tag in ("user", "late"):
        assert len(calls(tag, "before_run")) == 4 and len(calls(tag, "after_run")) == 3
        assert calls(tag, "begin") == [(tag, "begin", False)] and calls(tag, "end") == [(tag, "end", 5)]
    assert log.index(("user", "end", 5)) < log.index(("late", "end", 5))
    log.clear()
    estimator.evaluate(eval_fn(iris, batch_size=10), steps=2, hooks=[Recorder(log, "user")])
    assert len(calls("user", "before_run")) == 2 and len(calls("user", "after_run")) == 2 and calls("user", "end")


def test_an_evaluation_hook_can_stop_evaluation_early_and_final_ops_hook_works(tmp_path, iris, columns):
    finals = []

    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != "eval":
            return spec
        finals.append(v1.train.FinalOpsHook(final_ops={"step": tf.identity(v1.train.get_global_step())}))
        return spec._replace(evaluation_hooks=[finals[-1]])

    estimator = estimator_with(model_fn, tmp_path, columns)
    estimator.train(train_fn(iris), steps=5)
    log = []
    estimator.evaluate(eval_fn(iris, batch_size=10), hooks=[Recorder(log, "user", stop_at=5)])
    assert len([e for e in log if e[1] == "after_run"]) == 1  # stop_at=5 is the global step: the first batch
    assert finals[-1].final_ops_values == {"step": 5}


def test_predict_calls_end_when_the_input_runs_out_but_not_when_the_caller_stops_early(tmp_path, iris, columns):
    log = []
    model_fn = with_spec_hooks(prediction_hooks=[Recorder(log, "late")])
    estimator = estimator_with(model_fn, tmp_path, columns)
    estimator.train(train_fn(iris), steps=5)
    predictions = list(estimator.predict(predict_fn(batch_size=1), hooks=[Recorder(log, "user")]))
    assert len(predictions) == 3
    assert [e[1] for e in log if e[0] == "user"] == (
        ["begin", "after_create_session"] + ["before_run", "after_run"] * 3 + ["before_run", "end"])
    log.clear()
    first = next(estimator.predict(predict_fn(batch_size=1), hooks=[Recorder(log, "user")]))
    assert set(first) >= {"class_ids", "probabilities"}
    assert not any(e[1] == "end" for e in log)


def test_ctrl_c_in_a_hook_saves_the_interrupted_step_then_reraises(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    with pytest.raises(KeyboardInterrupt):
        estimator.train(train_fn(iris), hooks=[Recorder([], "user", raise_at=37)], steps=1000)
    assert checkpoint_steps(tmp_path) == [0, 37]
    estimator.train(train_fn(iris), steps=3)  # resumes from the interrupted step
    assert estimator.get_variable_value("global_step") == 40


SIGINT_TRAINING = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job (make test &) starts with it ignored
    sys.path.insert(0, {tests!r})
    from support import make_estimator, train_fn
    from iris_lib import data
    import iris_lib.quiet
    import tensorflow as tf
    columns = [tf.compat.v1.feature_column.numeric_column(key=k) for k in data.FEATURE_NAMES]
    estimator = make_estimator({model_dir!r}, columns)

    class SayStep20(tf.compat.v1.train.SessionRunHook):  # tells the test that training is under way
        steps = 0
        def after_run(self, run_context, run_values):
            self.steps += 1
            if self.steps == 20:
                print("step 20", flush=True)

    try:
        estimator.train(train_fn(data.load_data(), batch_size=10), steps=10_000_000, hooks=[SayStep20()])
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
""")


def test_sigint_during_training_saves_a_checkpoint_at_the_interrupted_step(tmp_path):
    model_dir = tmp_path / "model"
    script = SIGINT_TRAINING.format(tests=os.path.dirname(__file__), model_dir=str(model_dir))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        said = process.stdout.readline()
        assert said == b"step 20\n", (said, process.stderr.read().decode()[-2000:] if not said else "")  # an event of the run, not a guess at its speed
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG_GUARD_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, err.decode()[-2000:]
    steps = checkpoint_steps(model_dir)
    assert steps[0] == 0 and len(steps) == 2 and steps[1] >= 20  # only the default 600 s timer would have saved 0
    assert int(tf.train.latest_checkpoint(str(model_dir)).rsplit("-", 1)[1]) == steps[1]
    assert np.isfinite(tf.train.load_variable(str(model_dir), "dense/kernel")).all()


def test_scaffold_init_fn_runs_only_when_the_model_starts_fresh(tmp_path, iris, columns):
    calls = []

    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        return spec._replace(scaffold=v1.train.Scaffold(init_fn=lambda scaffold, session: calls.append(
            int(session.run(v1.train.get_global_step())))))

    estimator = estimator_with(model_fn, tmp_path, columns)
    estimator.train(train_fn(iris), steps=2)
    estimator.train(train_fn(iris), steps=2)
    assert calls == [0]


def test_make_stop_at_checkpoint_step_hook_stops_the_local_trainer_at_that_step(tmp_path, iris, columns):
    from iris_lib.tf1 import estimator as tf_estimator

    estimator = make_estimator(tmp_path, columns)
    hook = tf_estimator.experimental.make_stop_at_checkpoint_step_hook(estimator, last_step=15)
    estimator.train(train_fn(iris), hooks=[hook], steps=1000)
    assert checkpoint_steps(tmp_path) == [0, 15]
