"""train_and_evaluate, exporters, early stopping and add_metrics (issue 12 items 4 and 8).

How often train_and_evaluate evaluates and which steps the early-stopping hooks stop at are also compared
with the real TF 2.15 engine in tests/test_parity_hooks.py.
"""
import os

import numpy as np
import pytest
import tensorflow as tf

from iris_lib.estimator import early_stopping, extenders
from iris_lib.estimator.exporter import BestExporter, FinalExporter, LatestExporter
from iris_lib.estimator.export import export as export_lib
from iris_lib.estimator.training import EvalSpec, TrainSpec, train_and_evaluate
from support import eval_fn, make_estimator, train_fn

v1 = tf.compat.v1


def serving_input_fn():
    return export_lib.build_raw_serving_input_receiver_fn(
        {name: v1.placeholder(tf.float64, [None], name=name)
         for name in ("SepalLength", "SepalWidth", "PetalLength", "PetalWidth")})()


def eval_steps(estimator, name=None):
    return list(early_stopping.read_eval_metrics(estimator.eval_dir(name)))


def test_train_and_evaluate_evaluates_after_each_new_checkpoint_and_at_the_end(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=40)
    metrics, exports = train_and_evaluate(
        estimator, TrainSpec(train_fn(iris), max_steps=100), EvalSpec(eval_fn(iris), steps=None, throttle_secs=0))
    assert eval_steps(estimator) == [40, 80, 100]  # not the starting checkpoint 0
    assert metrics["global_step"] == 100 and set(metrics) == {"accuracy", "loss", "global_step"}
    assert metrics == estimator.evaluate(eval_fn(iris))
    assert exports == []


def test_throttle_secs_skips_evaluations_but_never_the_final_one(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=10)
    metrics, _ = train_and_evaluate(estimator, TrainSpec(train_fn(iris), max_steps=50),
                                    EvalSpec(eval_fn(iris), steps=1, throttle_secs=3600, name="held_out"))
    assert eval_steps(estimator, "held_out") == [10, 50]  # the first checkpoint after the start, then the end
    assert metrics["global_step"] == 50


def test_exporters_get_each_evaluation_and_the_final_export_only_at_max_steps(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=30)
    calls = []

    class Spy(LatestExporter):
        def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
            calls.append((os.path.basename(checkpoint_path), eval_result["global_step"], is_the_final_export))
            return super().export(estimator, export_path, checkpoint_path, eval_result, is_the_final_export)

    exporters = [Spy("latest", serving_input_fn, exports_to_keep=2), FinalExporter("final", serving_input_fn),
                 BestExporter(serving_input_receiver_fn=serving_input_fn)]
    _, exports = train_and_evaluate(estimator, TrainSpec(train_fn(iris), max_steps=90),
                                    EvalSpec(eval_fn(iris), throttle_secs=0, exporters=exporters))
    assert calls == [("model.ckpt-30", 30, False), ("model.ckpt-60", 60, False), ("model.ckpt-90", 90, True)]
    latest, final, best = exports
    assert latest and final and os.path.dirname(final.decode()).endswith(os.path.join("export", "final"))
    assert len(os.listdir(tmp_path / "export" / "latest")) == 2  # exports_to_keep
    assert os.listdir(tmp_path / "export" / "final") == [os.path.basename(final.decode())]
    loaded = tf.saved_model.load(final.decode())
    assert "serving_default" in loaded.signatures
    assert len(os.listdir(tmp_path / "export" / "best_exporter")) >= 1


def test_best_exporter_only_exports_a_better_result_and_reads_the_best_from_the_event_files(tmp_path):
    class FakeEstimator:
        model_dir = str(tmp_path)

        def export_saved_model(self, export_path, serving_input_receiver_fn, **kwargs):
            self.exported = kwargs["checkpoint_path"]
            return export_path.encode()

    write_eval(tmp_path / "eval", 10, loss=0.5)
    exporter, fake = BestExporter(serving_input_receiver_fn=lambda: None), FakeEstimator()
    assert exporter.export(fake, str(tmp_path / "best"), "ckpt-20", {"loss": 0.9}, False)  # the first always
    assert exporter._best_eval_result == {"loss": 0.9}
    assert exporter.export(fake, str(tmp_path / "best"), "ckpt-30", {"loss": 0.95}, False) is None
    assert exporter.export(fake, str(tmp_path / "best"), "ckpt-40", {"loss": 0.4}, False) and fake.exported == "ckpt-40"
    # a new exporter on that model_dir starts from the best result in its event files (0.5 at step 10)
    again = BestExporter(serving_input_receiver_fn=lambda: None)
    again._has_exported = True  # (as after its first export in a process)
    assert again.export(fake, str(tmp_path / "best"), "ckpt-50", {"loss": 0.6}, False) is None
    assert again._best_eval_result == {"loss": 0.5}
    with pytest.raises(ValueError, match="must include best_eval_result"):
        BestExporter(compare_fn=lambda a, b: True)


def write_eval(eval_dir, step, **metrics):
    """An evaluation's point as evaluate() writes it: simple_value scalars at the global step."""
    with tf.Graph().as_default():
        writer = v1.summary.FileWriter(str(eval_dir))
        writer.add_summary(v1.Summary(value=[v1.Summary.Value(tag=k, simple_value=v) for k, v in metrics.items()]),
                           step)
        writer.close()


@pytest.mark.parametrize("make_hook, history, expected_stop", [
    # evaluations come at 20, 40, ... (save_checkpoints_steps=20, throttle_secs=0); each hook checks every step
    (lambda e: early_stopping.stop_if_lower_hook(e, "loss", 100.0, run_every_secs=None, run_every_steps=1), None, 20),
    (lambda e: early_stopping.stop_if_higher_hook(e, "accuracy", 2.0, run_every_secs=None, run_every_steps=1), None,
     100),
    # an unbeatable loss 0.0 evaluated at step 5: 15 steps later (the evaluation at 20) it stops
    (lambda e: early_stopping.stop_if_no_decrease_hook(e, "loss", 15, run_every_secs=None, run_every_steps=1), 5, 20),
    # a falling loss never increases: the evaluation at 40 is 20 steps after the best (20)
    (lambda e: early_stopping.stop_if_no_increase_hook(e, "loss", 15, run_every_secs=None, run_every_steps=1), None,
     40),
    (lambda e: early_stopping.make_early_stopping_hook(
        e, lambda: bool(early_stopping.read_eval_metrics(e.eval_dir())), run_every_secs=None, run_every_steps=1),
     None, 20),
])
def test_early_stopping_hooks_stop_train_and_evaluate(tmp_path, iris, columns, make_hook, history, expected_stop):
    estimator = make_estimator(tmp_path, columns, save_checkpoints_steps=20)
    if history is not None:
        write_eval(estimator.eval_dir(), history, loss=0.0)
    metrics, _ = train_and_evaluate(estimator, TrainSpec(train_fn(iris), max_steps=100, hooks=[make_hook(estimator)]),
                                    EvalSpec(eval_fn(iris), steps=None, throttle_secs=0))
    assert metrics["global_step"] == expected_stop
    assert estimator.latest_checkpoint().endswith(f"model.ckpt-{expected_stop}")
    assert "signal_early_stopping/STOP" in estimator.get_variable_names()  # as the real one's checkpoints


def test_early_stopping_names_a_metric_that_the_evaluations_lack(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    hook = early_stopping.stop_if_lower_hook(estimator, "acuracy", 0.5, run_every_secs=None, run_every_steps=1)
    estimator.train(train_fn(iris), hooks=[hook], steps=2)  # nothing evaluated yet: no stop
    estimator.evaluate(eval_fn(iris))
    with pytest.raises(KeyError, match="'acuracy'.*accuracy"):
        estimator.train(train_fn(iris), hooks=[hook], steps=2)


def test_add_metrics_adds_to_evaluation_and_keeps_training_as_it_was(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path, columns)
    estimator.train(train_fn(iris), steps=20)

    def metric_fn(features, labels):
        return {"mean_petal": v1.metrics.mean(features["PetalLength"]),
                "accuracy": v1.metrics.accuracy(labels, tf.zeros_like(labels))}  # replaces the model's

    extended = extenders.add_metrics(estimator, metric_fn)
    assert extended.model_dir == estimator.model_dir
    plain, more = estimator.evaluate(eval_fn(iris)), extended.evaluate(eval_fn(iris))
    assert set(more) == set(plain) | {"mean_petal"} and more["loss"] == plain["loss"]
    assert more["accuracy"] == pytest.approx(np.mean(iris[1][1] == 0))
    assert more["mean_petal"] == pytest.approx(iris[1][0]["PetalLength"].mean())
    extended.train(train_fn(iris), steps=5)
    assert estimator.get_variable_value("global_step") == 25
    with pytest.raises(ValueError, match="not expected args"):
        extenders.add_metrics(estimator, lambda labels, mode: {})


def test_specs_are_validated_as_the_real_ones(iris):
    with pytest.raises(TypeError, match="callable"):
        TrainSpec(input_fn="not a function")
    with pytest.raises(ValueError, match="max_steps > 0"):
        TrainSpec(train_fn(iris), max_steps=0)
    with pytest.raises(ValueError, match="unique names"):
        EvalSpec(eval_fn(iris), exporters=[LatestExporter("a", serving_input_fn), FinalExporter("a", serving_input_fn)])
    spec = EvalSpec(eval_fn(iris))
    assert (spec.steps, spec.start_delay_secs, spec.throttle_secs, spec.exporters, spec.hooks) == (100, 120, 600, (), ())
