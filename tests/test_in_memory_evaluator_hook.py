"""`tf.estimator.experimental.InMemoryEvaluatorHook`: evaluation inside `train()`, as the real TF 2.15 one.

It evaluates the model_fn's EVAL graph with the training variables' current values when the training
session starts, every `every_n_iter` steps and at the end, writing each evaluation to `eval_dir(name)` as
`evaluate()` does (`tests/test_parity_parsing_and_hooks.py` compares the steps and tags with the real one).
"""
import glob
import json
import os

import pytest
import tensorflow as tf

import iris_lib.estimator_shim  # noqa: F401
import iris_lib.tf1
from iris_lib.estimator import Estimator, ModeKeys, RunConfig
from iris_lib.estimator.hooks import InMemoryEvaluatorHook, SessionRunHook
from iris_lib.model import my_model_fn
from support import eval_fn, make_estimator, train_fn

v1 = tf.compat.v1


def evaluations(eval_dir):
    """{global step: {tag: value}} of the eval dir's summaries (text entries as their string)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(eval_dir, "events.out.tfevents.*"))):
        for event in v1.train.summary_iterator(path):
            for value in event.summary.value:
                found.setdefault(int(event.step), {})[value.tag] = (
                    value.simple_value if value.HasField("simple_value") else value.tensor.string_val)
    return found


class Counting(SessionRunHook):
    def __init__(self):
        self.calls = {"begin": 0, "after_create_session": 0, "after_run": 0, "end": 0}

    def begin(self):
        self.calls["begin"] += 1

    def after_create_session(self, session, coord):
        self.calls["after_create_session"] += 1

    def after_run(self, run_context, run_values):
        self.calls["after_run"] += 1

    def end(self, session):
        self.calls["end"] += 1


def test_both_namespaces_have_it():
    assert tf.estimator.experimental.InMemoryEvaluatorHook is InMemoryEvaluatorHook
    assert iris_lib.tf1.estimator.experimental.InMemoryEvaluatorHook is InMemoryEvaluatorHook


def test_evaluates_at_the_start_every_n_steps_and_at_the_end_with_the_training_weights(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    counting = Counting()
    evaluator = InMemoryEvaluatorHook(estimator, eval_fn(iris, batch_size=10), hooks=[counting], every_n_iter=4)
    estimator.train(train_fn(iris), hooks=[evaluator], steps=10)

    written = evaluations(estimator.eval_dir())
    assert sorted(written) == [0, 4, 8, 10]
    for step, values in written.items():
        assert set(values) == {"accuracy", "loss"}, step  # no checkpoint_path entry: no checkpoint was read
    # The test set's 30 rows in batches of 10: three updates per evaluation, four evaluations.
    assert counting.calls == {"begin": 4, "after_create_session": 4, "after_run": 12, "end": 4}
    # The last evaluation had the final weights: the same metrics as evaluate() from the final checkpoint.
    final = estimator.evaluate(eval_fn(iris, batch_size=10), name="final")
    assert final["global_step"] == 10
    assert written[10]["loss"] == pytest.approx(final["loss"], rel=1e-5)
    assert written[10]["accuracy"] == pytest.approx(final["accuracy"], rel=1e-6)
    assert written[0]["loss"] != pytest.approx(written[10]["loss"], rel=1e-3)  # the weights did change


def test_a_named_evaluation_with_steps_writes_to_its_own_dir(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    counting = Counting()
    evaluator = InMemoryEvaluatorHook(estimator, eval_fn(iris, batch_size=10), steps=1, hooks=[counting],
                                      name="holdout", every_n_iter=100)
    estimator.train(train_fn(iris), hooks=[evaluator], steps=3)
    assert sorted(evaluations(estimator.eval_dir("holdout"))) == [0, 3]
    assert not os.path.exists(estimator.eval_dir())
    assert counting.calls["after_run"] == 2  # one batch per evaluation


def test_a_second_train_call_builds_the_eval_graph_again_and_goes_on(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    evaluator = InMemoryEvaluatorHook(estimator, eval_fn(iris), every_n_iter=5)
    estimator.train(train_fn(iris), hooks=[evaluator], steps=5)
    estimator.train(train_fn(iris), hooks=[evaluator], steps=5)
    assert sorted(evaluations(estimator.eval_dir())) == [0, 5, 10]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"every_n_iter": 0}, ValueError, r"^invalid every_n_iter=0\.$"),
    ({"every_n_iter": -2}, ValueError, r"^invalid every_n_iter=-2\.$"),
    ({"every_n_iter": None}, ValueError, r"^invalid every_n_iter=None\.$"),
    ({"steps": 0}, ValueError, r"^Must specify steps > 0, given: 0$"),
    ({"hooks": ["not a hook"]}, TypeError, r"^Hooks must be a SessionRunHook, given: not a hook$"),
])
def test_the_real_constructor_errors(tmp_path, iris, columns, kwargs, error, message):
    with pytest.raises(error, match=message):
        InMemoryEvaluatorHook(make_estimator(tmp_path, columns), eval_fn(iris), **kwargs)


def test_only_a_single_machine(tmp_path, iris, columns, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"chief": ["localhost:1"], "worker": ["localhost:2"], "ps": ["localhost:3"]},
        "task": {"type": "chief", "index": 0}}))
    estimator = make_estimator(tmp_path, columns)
    with pytest.raises(ValueError, match=r"^InMemoryEvaluator supports only single machine \(aka Local\) setting\.$"):
        InMemoryEvaluatorHook(estimator, eval_fn(iris))


def test_a_custom_saver_is_refused_when_training_begins(tmp_path, iris, columns):
    def model_fn(features, labels, mode, params):
        spec = my_model_fn(features, labels, mode, params)
        if mode != ModeKeys.EVAL:
            return spec
        return spec._replace(scaffold=v1.train.Scaffold(saver=v1.train.Saver()))

    estimator = Estimator(model_fn, model_dir=str(tmp_path), config=RunConfig(tf_random_seed=7),
                          params={"feature_columns": columns, "hidden_units": [10], "n_classes": 3})
    evaluator = InMemoryEvaluatorHook(estimator, eval_fn(iris))
    with pytest.raises(ValueError, match="^InMemoryEvaluator does not support custom saver$"):
        estimator.train(train_fn(iris), hooks=[evaluator], steps=1)
