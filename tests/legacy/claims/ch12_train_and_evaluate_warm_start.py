"""Chapter 12 (train_and_evaluate and warm starts): its claims about tf.estimator, and their facts.

    python tests/legacy/claims/ch12_train_and_evaluate_warm_start.py real|ours WORKDIR

A small version of the chapter's runs: 60 steps (the chapter's 1000), a checkpoint every 20 (its 200).
"""
from ledger import Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, train_input_fn

PAGE = "chapters/12_train_and_evaluate_warm_start.ipynb"

CLAIMS = [
    Claim("start-delay-only-for-an-evaluator-task", PAGE,
          quote="its `start_delay_secs` delays the first evaluation of a separate evaluator task in a cluster and "
                "is not used on one machine",
          says="EvalSpec.start_delay_secs makes an evaluator task sleep before its first evaluation; "
               "train_and_evaluate on one machine never waits for it.",
          shows=("local_slept_start_delay", "evaluator_sleeps", "evaluator_evaluated_steps"),
          holds=lambda f: not f["local_slept_start_delay"] and f["evaluator_sleeps"][:1] == [7]
          and f["evaluator_evaluated_steps"] == [60]),
    Claim("local-trains-once-with-a-listener", PAGE,
          quote="it calls `train`\nonce, with a *checkpoint listener*, and evaluates each time a checkpoint has "
                "been saved",
          says="On one machine, train_and_evaluate calls estimator.train once, with one more saving listener "
               "than the TrainSpec's, and evaluates after each checkpoint (throttle_secs=0).",
          shows=("train_calls", "evaluations_every_checkpoint", "checkpoints_every_checkpoint"),
          holds=lambda f: f["train_calls"] == [{"max_steps": 60, "saving_listeners": 1}]
          and f["evaluations_every_checkpoint"] == [20, 40, 60]
          and f["checkpoints_every_checkpoint"] == [0, 20, 40, 60]),
    Claim("step-zero-checkpoint-never-evaluated", PAGE,
          quote="The checkpoint of step 0, the untrained model, is never evaluated.",
          says="The checkpoint saved at step 0 is not evaluated by train_and_evaluate.",
          shows=("evaluations_every_checkpoint", "evaluations_default_config"),
          holds=lambda f: 0 not in f["evaluations_every_checkpoint"] and 0 not in f["evaluations_default_config"]),
    Claim("throttle-skips-checkpoints", PAGE,
          quote="After an evaluation, the next checkpoint is evaluated only if\n   `throttle_secs` seconds have "
                "passed.",
          says="With throttle_secs=600 and a short run, only the first trained checkpoint and the final one are "
               "evaluated; the others are skipped with the log line the chapter quotes.",
          shows=("evaluations_throttled", "skip_logged"),
          holds=lambda f: f["evaluations_throttled"] == [20, 60] and f["skip_logged"] == 2),
    Claim("final-model-always-evaluated", PAGE,
          quote="**The final model is always evaluated**, once training ends, if its checkpoint was not.",
          says="The checkpoint saved at max_steps is evaluated even when it is not on the checkpoint cadence "
               "or was throttled (checkpoints every 25 steps, max_steps=60: evaluations at 25, 50, 60).",
          shows=("evaluations_every_25", "evaluations_throttled"),
          holds=lambda f: f["evaluations_every_25"] == [25, 50, 60] and f["evaluations_throttled"][-1] == 60),
    Claim("default-config-evaluates-once", PAGE,
          quote="With the default `RunConfig` a checkpoint is written every 600 seconds, so a short run has only "
                "the\nstep-0 checkpoint and the final one, and gets a single evaluation, at the end.",
          says="The default RunConfig saves a checkpoint every 600 s; a short train_and_evaluate run keeps the "
               "step-0 and the final checkpoints and evaluates once, at the end.",
          shows=("default_save_checkpoints", "checkpoints_default_config", "evaluations_default_config"),
          holds=lambda f: f["default_save_checkpoints"] == {"secs": 600, "steps": None, "throttle_secs": 600}
          and f["checkpoints_default_config"] == [0, 60] and f["evaluations_default_config"] == [60]),
    Claim("returns-last-metrics-and-exports", PAGE,
          quote="it returns the last evaluation's metrics and export results",
          says="train_and_evaluate on one machine returns (metrics of the last evaluation, one export result "
               "per exporter for that evaluation).",
          shows=("returned_metric_keys", "returned_global_step", "returned_export_results_count"),
          holds=lambda f: f["returned_metric_keys"] == ["accuracy", "global_step", "loss"]
          and f["returned_global_step"] == 60 and f["returned_export_results_count"] == 1),
    Claim("best-exporter-exports-improvements", PAGE,
          quote="`BestExporter` exports a SavedModel (chapter 10) only when the\nevaluation is better than every "
                "one before it (lower `loss` by default, or your own `compare_fn`) and\nkeeps the newest "
                "`exports_to_keep` of them, under `model_dir/export/<name>/<timestamp>`.",
          says="BestExporter exports the first evaluation and each one with a loss lower than all before (or "
               "those its compare_fn accepts), keeps the newest exports_to_keep, in export/<name>/<timestamp>.",
          shows=("best_exported_steps_are_improvements", "best_kept_count_is_min_2", "compare_fn_kept_steps",
                 "export_dir_names_are_timestamps"),
          holds=lambda f: f["best_exported_steps_are_improvements"] and f["best_kept_count_is_min_2"]
          and f["compare_fn_kept_steps"] == [20, 40] and f["export_dir_names_are_timestamps"]),
    Claim("export-results-none-when-not-exported", PAGE,
          quote="`train_and_evaluate` returns one export result per exporter, for the\n*last* evaluation only: "
                "a path if that evaluation was exported, `None` if it was not.",
          says="The returned export results are the last evaluation's: None for a BestExporter that did not "
               "export it, though it kept earlier exports; the export path when it did.",
          shows=("compare_fn_export_results", "best_last_result_matches_last_improvement"),
          holds=lambda f: f["compare_fn_export_results"] == [None] and f["best_last_result_matches_last_improvement"]),
    Claim("latest-and-final-exporters", PAGE,
          quote="`LatestExporter` exports after every evaluation; `FinalExporter` only after the last one.",
          says="LatestExporter exports at every evaluation and keeps the newest exports_to_keep; FinalExporter "
               "exports once, the final evaluation.",
          shows=("latest_kept_steps", "final_exported_steps", "latest_final_evaluations"),
          holds=lambda f: f["latest_final_evaluations"] == [20, 40, 60] and f["latest_kept_steps"] == [40, 60]
          and f["final_exported_steps"] == [60]),
    Claim("changed-model-cannot-resume", PAGE,
          quote="Pointing the new model at the\nold `model_dir` fails: an Estimator resumes from the checkpoint in "
                "its `model_dir`, and that checkpoint\ndoes not fit the new graph.",
          says="A deeper model trained in the old model_dir fails at restore and writes no new checkpoint.",
          shows=("same_dir_error", "same_dir_latest_unchanged"),
          holds=lambda f: f["same_dir_error"] is not None and f["same_dir_latest_unchanged"]),
    Claim("warm-start-from-dir-or-checkpoint", PAGE,
          quote="`warm_start_from` takes a checkpoint or\nmodel_dir, or a `WarmStartSettings`",
          says="warm_start_from=<model_dir> or =<checkpoint path> starts every trainable variable of a model of "
               "the same shapes from the old values, in a new model_dir whose global_step starts at 0.",
          shows=("warm_from_dir_all_old", "warm_from_checkpoint_all_old", "warm_from_dir_global_step"),
          holds=lambda f: f["warm_from_dir_all_old"] and f["warm_from_checkpoint_all_old"]
          and f["warm_from_dir_global_step"] == 1),
    Claim("warm-start-regex-from-the-start-of-trainable-names", PAGE,
          quote="a `WarmStartSettings` whose `vars_to_warm_start` is a regular expression (matched at the\nstart "
                "of the names of the trainable variables) or a list of such expressions",
          says="vars_to_warm_start='dense(_1)?/' warm-starts dense and dense_1 (a regex matched from the start "
               "of the name: '_1/' warm-starts nothing); a list names variables of all kinds (the Adagrad "
               "accumulators too).",
          shows=("warm_rows", "regex_not_at_start_warms_dense_1", "list_warms_accumulator"),
          holds=lambda f: f["warm_rows"] == {"dense/bias": True, "dense/kernel": True, "dense_1/bias": True,
                                             "dense_1/kernel": True, "dense_2/bias": False,
                                             "dense_2/kernel": False, "dense_3/bias": False,
                                             "dense_3/kernel": False}
          and not f["regex_not_at_start_warms_dense_1"] and f["list_warms_accumulator"]),
    Claim("warm-start-fails-on-a-changed-shape", PAGE,
          quote="warm starting never skips a variable whose shape changed, it fails on it",
          says="vars_to_warm_start='.*' into the deeper model raises ValueError naming dense_2 before the first "
               "step, and no checkpoint is written.",
          shows=("warm_everything_error", "warm_everything_names_dense_2", "warm_everything_checkpoint"),
          holds=lambda f: f["warm_everything_error"] == "ValueError" and f["warm_everything_names_dense_2"]
          and f["warm_everything_checkpoint"] is None),
    Claim("warm-start-keeps-no-step-nor-accumulators", PAGE,
          quote="Note what warm starting does *not* carry\nover: the `global_step` (the new model starts at 0) "
                "and, with a regular expression, the optimizer's\naccumulators, which are not trainable variables.",
          says="A warm-started model's global_step starts at 0 (1 after one step), and with a regex its Adagrad "
               "accumulators start fresh.",
          shows=("warm_global_step_after_one_step", "regex_warms_accumulator"),
          holds=lambda f: f["warm_global_step_after_one_step"] == 1 and not f["regex_warms_accumulator"]),
]


def facts(tf, workdir):
    import logging
    import time
    from pathlib import Path

    import numpy as np
    import json
    import os

    (train_x, train_y), (test_x, test_y) = load_iris()
    model_fn = guide_model_fn(tf)

    def make(name, hidden_units=(10, 10), warm_start_from=None, **config):
        return tf.estimator.Estimator(
            model_fn, model_dir=str(workdir / name), params=guide_params(tf, hidden_units),
            config=tf.estimator.RunConfig(tf_random_seed=7, keep_checkpoint_max=20, **config),
            warm_start_from=warm_start_from)

    def train_fn():
        return train_input_fn(tf, train_x, train_y)

    def eval_fn():
        return eval_input_fn(tf, test_x, test_y)

    def raw_receiver_fn():
        features = {key: tf.placeholder(tf.float32, shape=[None], name=key) for key in train_x.keys()}
        return tf.estimator.export.ServingInputReceiver(features, features)

    def recorded(estimator):
        """Record the global steps evaluate() returns, and train()'s calls."""
        evaluations, train_calls = [], []
        evaluate, train = estimator.evaluate, estimator.train

        def recording_evaluate(*args, **kwargs):
            result = evaluate(*args, **kwargs)
            evaluations.append(int(result["global_step"]))
            return result

        def recording_train(*args, **kwargs):
            train_calls.append({"max_steps": kwargs.get("max_steps"),
                                "saving_listeners": len(kwargs.get("saving_listeners") or ())})
            return train(*args, **kwargs)
        estimator.evaluate, estimator.train = recording_evaluate, recording_train
        return evaluations, train_calls

    def checkpoints(estimator):
        state = tf.train.get_checkpoint_state(estimator.model_dir)
        return [int(path.rsplit("-", 1)[1]) for path in state.all_model_checkpoint_paths]

    def exported_steps(directory):
        return [int(tf.train.load_variable(str(d / "variables" / "variables"), "global_step"))
                for d in sorted(Path(directory).iterdir())]

    train_spec = tf.estimator.TrainSpec(input_fn=train_fn, max_steps=60)

    # Evaluations after every checkpoint, with a BestExporter (loss) and one whose compare_fn keeps step 40.
    classifier = make("every_checkpoint", save_checkpoints_steps=20)
    evaluations_every, train_calls = recorded(classifier)
    losses = []
    evaluate = classifier.evaluate

    def loss_recording_evaluate(*args, **kwargs):
        result = evaluate(*args, **kwargs)
        losses.append(float(result["loss"]))
        return result
    classifier.evaluate = loss_recording_evaluate
    best = tf.estimator.BestExporter(name="best", serving_input_receiver_fn=raw_receiver_fn, exports_to_keep=2)
    metrics, export_results = tf.estimator.train_and_evaluate(
        classifier, train_spec, tf.estimator.EvalSpec(input_fn=eval_fn, steps=None, throttle_secs=0,
                                                      exporters=[best]))
    improved = [step for i, (step, loss) in enumerate(zip(evaluations_every, losses)) if all(loss < before for before in losses[:i])]
    best_dir = Path(classifier.model_dir) / "export" / "best"
    best_kept = exported_steps(best_dir)

    def at_step_40(best_eval_result, current_eval_result):
        return current_eval_result.get("global_step") == 40
    chosen = make("compare_fn", save_checkpoints_steps=20)
    by_step = tf.estimator.BestExporter(name="chosen", serving_input_receiver_fn=raw_receiver_fn,
                                        compare_fn=at_step_40, exports_to_keep=2)
    _, chosen_results = tf.estimator.train_and_evaluate(
        chosen, train_spec, tf.estimator.EvalSpec(input_fn=eval_fn, steps=None, throttle_secs=0,
                                                  exporters=[by_step]))

    # throttle_secs=600 (the default), with the 'Skip ...' log line counted.
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())
    tf_logger = logging.getLogger("tensorflow")
    handler, level = Collect(), tf_logger.level
    tf_logger.addHandler(handler)
    tf_logger.setLevel(logging.INFO)
    try:
        throttled = make("throttled", save_checkpoints_steps=20)
        evaluations_throttled, _ = recorded(throttled)
        tf.estimator.train_and_evaluate(throttled, train_spec,
                                        tf.estimator.EvalSpec(eval_fn, steps=None, throttle_secs=600))
    finally:
        tf_logger.removeHandler(handler)
        tf_logger.setLevel(level)
    skip_logged = sum("Skip the current checkpoint eval due to throttle secs" in m for m in messages)

    # The default RunConfig (a checkpoint every 600 s), and the EvalSpec's start_delay_secs on one machine.
    by_time = make("default_config")
    evaluations_default, _ = recorded(by_time)
    sleeps = []
    real_sleep = time.sleep
    time.sleep = lambda secs: sleeps.append(secs)
    try:
        tf.estimator.train_and_evaluate(by_time, train_spec,
                                        tf.estimator.EvalSpec(eval_fn, steps=None, start_delay_secs=7))
    finally:
        time.sleep = real_sleep
    local_slept_start_delay = 7 in sleeps
    default_eval_spec = tf.estimator.EvalSpec(eval_fn)

    # Exercise 1: a checkpoint every 25 steps.
    every_25 = make("every_25", save_checkpoints_steps=25)
    evaluations_25, _ = recorded(every_25)
    tf.estimator.train_and_evaluate(every_25, train_spec, tf.estimator.EvalSpec(eval_fn, steps=None, throttle_secs=0))

    # Exercise 2: LatestExporter(exports_to_keep=2), and a FinalExporter.
    latest_run = make("latest", save_checkpoints_steps=20)
    evaluations_latest, _ = recorded(latest_run)
    latest = tf.estimator.LatestExporter(name="latest", serving_input_receiver_fn=raw_receiver_fn, exports_to_keep=2)
    final = tf.estimator.FinalExporter(name="final", serving_input_receiver_fn=raw_receiver_fn)
    tf.estimator.train_and_evaluate(latest_run, train_spec, tf.estimator.EvalSpec(
        eval_fn, steps=None, throttle_secs=0, exporters=[latest, final]))
    latest_kept = exported_steps(Path(latest_run.model_dir) / "export" / "latest")
    final_exported = exported_steps(Path(latest_run.model_dir) / "export" / "final")

    # A deeper model in the old model_dir.
    old_latest = classifier.latest_checkpoint()
    same_dir = tf.estimator.Estimator(model_fn, model_dir=classifier.model_dir,
                                      params=guide_params(tf, (10, 10, 10)))
    same_dir_error = error_name(lambda: same_dir.train(train_fn, steps=5))

    # Warm starts of the deeper model from the old one.
    old_shapes = {name: list(shape) for name, shape in tf.train.list_variables(old_latest)}

    def warm_started(name, vars_to_warm_start):
        settings = tf.estimator.WarmStartSettings(ckpt_to_initialize_from=classifier.model_dir,
                                                  vars_to_warm_start=vars_to_warm_start)
        model = make(name, hidden_units=(10, 10, 10), warm_start_from=settings)
        model.train(train_fn, steps=1)
        return model

    def from_old(model, name):
        value = model.get_variable_value(name)
        return bool(list(value.shape) == old_shapes.get(name)
                    and np.allclose(value, classifier.get_variable_value(name), atol=0.1))

    def warms_accumulator(model):
        name = "dense/kernel/Adagrad"
        return bool(model.get_variable_value(name).sum() >= classifier.get_variable_value(name).sum())

    same_shapes = [name for name in classifier.get_variable_names()
                   if name.startswith("dense") and "Adagrad" not in name]
    from_dir = make("warm_from_dir", warm_start_from=classifier.model_dir)
    from_dir.train(train_fn, steps=1)
    from_checkpoint = make("warm_from_checkpoint", warm_start_from=old_latest)
    from_checkpoint.train(train_fn, steps=1)
    warm = warm_started("warm", "dense(_1)?/")
    warm_rows = {name: from_old(warm, name) for name in warm.get_variable_names()
                 if name.startswith("dense") and "Adagrad" not in name}
    not_at_start = warm_started("warm_not_at_start", "_1/")
    listed = warm_started("warm_list", ["dense/"])

    everything = make("warm_everything", hidden_units=(10, 10, 10), warm_start_from=tf.estimator.WarmStartSettings(
        classifier.model_dir, vars_to_warm_start=".*"))
    try:
        everything.train(train_fn, steps=1)
        everything_error, everything_message = None, ""
    except Exception as error:  # noqa: BLE001
        everything_error, everything_message = type(error).__name__, str(error)

    # An evaluator task (no server: it only reads checkpoints) on the 60-step model, with start_delay_secs=7.
    evaluator_sleeps = []
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"chief": ["127.0.0.1:2222"], "ps": ["127.0.0.1:2223"]},
                                          "task": {"type": "evaluator", "index": 0}})
    try:
        evaluator = tf.estimator.Estimator(model_fn, model_dir=classifier.model_dir, params=guide_params(tf),
                                           config=tf.estimator.RunConfig())
    finally:
        del os.environ["TF_CONFIG"]
    evaluator_evaluated, _ = recorded(evaluator)
    time.sleep = lambda secs: evaluator_sleeps.append(secs)
    try:
        tf.estimator.train_and_evaluate(evaluator, train_spec, tf.estimator.EvalSpec(
            eval_fn, steps=None, name="evaluator", start_delay_secs=7, throttle_secs=0))
    finally:
        time.sleep = real_sleep

    return {
        "train_calls": train_calls,
        "evaluations_every_checkpoint": evaluations_every,
        "checkpoints_every_checkpoint": checkpoints(classifier)[:4],
        "evaluations_throttled": evaluations_throttled,
        "skip_logged": skip_logged,
        "evaluations_default_config": evaluations_default,
        "checkpoints_default_config": checkpoints(by_time),
        "default_save_checkpoints": {"secs": by_time.config.save_checkpoints_secs,
                                     "steps": by_time.config.save_checkpoints_steps,
                                     "throttle_secs": default_eval_spec.throttle_secs},
        "local_slept_start_delay": local_slept_start_delay,
        "evaluations_every_25": evaluations_25,
        "returned_metric_keys": sorted(metrics),
        "returned_global_step": int(metrics["global_step"]),
        "returned_export_results_count": len(export_results),
        "best_exported_steps_are_improvements": best_kept == improved[-2:],
        "best_kept_count_is_min_2": len(best_kept) == min(2, len(improved)),
        "best_last_result_matches_last_improvement":
            (export_results[-1] is None) == (improved[-1] != evaluations_every[-1]),
        "compare_fn_kept_steps": exported_steps(Path(chosen.model_dir) / "export" / "chosen"),
        "compare_fn_export_results": list(chosen_results),
        "export_dir_names_are_timestamps": all(d.name.isdigit() and len(d.name) == 10 for d in best_dir.iterdir()),
        "latest_final_evaluations": evaluations_latest,
        "latest_kept_steps": latest_kept,
        "final_exported_steps": final_exported,
        "same_dir_error": same_dir_error,
        "same_dir_latest_unchanged": classifier.latest_checkpoint() == old_latest,
        "warm_rows": warm_rows,
        "warm_from_dir_all_old": len(same_shapes) == 6 and all(from_old(from_dir, n) for n in same_shapes),
        "warm_from_checkpoint_all_old": all(from_old(from_checkpoint, n) for n in same_shapes),
        "warm_from_dir_global_step": int(from_dir.get_variable_value("global_step")),
        "regex_not_at_start_warms_dense_1": from_old(not_at_start, "dense_1/kernel"),
        "regex_warms_accumulator": warms_accumulator(warm),
        "list_warms_accumulator": warms_accumulator(listed),
        "warm_global_step_after_one_step": int(warm.get_variable_value("global_step")),
        "warm_everything_error": everything_error,
        "warm_everything_names_dense_2": "dense_2/" in everything_message,
        "warm_everything_checkpoint": everything.latest_checkpoint(),
        "evaluator_sleeps": evaluator_sleeps,
        "evaluator_evaluated_steps": evaluator_evaluated,
    }


if __name__ == "__main__":
    main(facts)
