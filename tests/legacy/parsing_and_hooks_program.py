"""Parse-example specs, InMemoryEvaluatorHook and EstimatorSpec as a tuple, on either engine; prints one JSON line.

Usage: python parsing_and_hooks_program.py real|ours MODEL_DIR
  real: the real tf.estimator (TF 2.15, legacy venv); ours: `import iris_lib.estimator_shim` first (TF 2.21).
Reports, for both namespaces (`tf.estimator`, `tf.compat.v1.estimator`):
  * `classifier_parse_example_spec` / `regressor_parse_example_spec`: the returned spec (key -> repr) or the
    error's type and message, for good and bad arguments;
  * `InMemoryEvaluatorHook`: its constructor's errors; and, on a small linear model trained 10 steps with
    `every_n_iter=4`, the evaluations it wrote to its eval dir (global step and tags of each event), how its
    own eval hooks were called, and whether its last evaluation equals `evaluate()` of the final model;
  * `EstimatorSpec`: what a namedtuple offers (`_fields`, unpacking, indexing, `_replace` and its refusals).
"""
import glob
import json
import os
import sys

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1

    V1_ESTIMATOR = iris_lib.tf1.estimator
else:
    V1_ESTIMATOR = None
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
if V1_ESTIMATOR is None:
    V1_ESTIMATOR = v1.estimator
NAMESPACES = {"tf.estimator": tf.estimator, "tf.compat.v1.estimator": V1_ESTIMATOR}
MODEL_DIR = sys.argv[2]
report = {}


def outcome(function):
    try:
        result = function()
    except Exception as error:  # the error is the answer
        return f"{type(error).__name__}: {error}"
    if isinstance(result, dict) and all(isinstance(value, (tf.io.FixedLenFeature, tf.io.VarLenFeature))
                                        for value in result.values()):
        return {str(key): repr(value) for key, value in sorted(result.items(), key=lambda item: str(item[0]))}
    if isinstance(result, dict):
        return result
    return repr(result)


# ----- parse-example specs ---------------------------------------------------------------------------------
fc = v1.feature_column
COLUMNS = [fc.numeric_column("a", shape=(2,)), fc.categorical_column_with_vocabulary_list("b", ["x", "y"]),
           fc.bucketized_column(fc.numeric_column("c"), [0.0, 1.0]),
           fc.embedding_column(fc.categorical_column_with_hash_bucket("d", 10), 3),
           fc.indicator_column(fc.categorical_column_with_identity("e", 4))]
SPEC_CASES = {
    "defaults": lambda f: f(COLUMNS, "label"),
    "string label, default, weight key": lambda f: f(COLUMNS, "label", label_dtype=tf.string, label_default="z",
                                                     weight_column="w"),
    "weight numeric_column": lambda f: f(COLUMNS, "label", weight_column=fc.numeric_column("w", dtype=tf.float64)),
    "label used as a feature": lambda f: f(COLUMNS, "a"),
    "weight used as a feature": lambda f: f(COLUMNS, "label", weight_column="c"),
    "weight an int": lambda f: f(COLUMNS, "label", weight_column=3),
    "weight a categorical column": lambda f: f([], "label", weight_column=fc.categorical_column_with_identity("w", 3)),
    "a feature a string": lambda f: f(COLUMNS + ["e"], "label"),
    "label_key None": lambda f: f(COLUMNS, None),
    "no columns": lambda f: f([], "label"),
}
for namespace_name, namespace in NAMESPACES.items():
    for function_name in ("classifier_parse_example_spec", "regressor_parse_example_spec"):
        function = getattr(namespace, function_name)
        for case, call in SPEC_CASES.items():
            report[f"{namespace_name}.{function_name}: {case}"] = outcome(lambda: call(function))
    report[f"{namespace_name}.regressor_parse_example_spec: label_dimension 3"] = outcome(
        lambda: namespace.regressor_parse_example_spec(COLUMNS, "y", label_dimension=3, label_default=(0., 1., 2.)))


# Parsing real tf.Examples with the classifier's spec gives the label the classifier expects.
def _parsed():
    example = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[2]))}))
    spec = tf.estimator.classifier_parse_example_spec([fc.numeric_column("a", shape=(2,))], "label")
    with tf.Graph().as_default(), v1.Session() as session:
        parsed = session.run(v1.io.parse_example([example.SerializeToString()], spec))
    return {key: value.tolist() for key, value in parsed.items()}


report["parse_example with the classifier spec"] = outcome(_parsed)


# ----- InMemoryEvaluatorHook -------------------------------------------------------------------------------
X = np.linspace(-1.0, 1.0, 30, dtype=np.float32).reshape(-1, 1)
Y = (3.0 * X + 0.5).astype(np.float32)


def train_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).repeat().batch(5)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(10)  # 3 batches


def model_fn(features, labels, mode):
    weight = v1.get_variable("weight", [1, 1], initializer=v1.zeros_initializer())
    bias = v1.get_variable("bias", [1], initializer=v1.zeros_initializer())
    prediction = tf.matmul(features["x"], weight) + bias
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": prediction})
    loss = v1.losses.mean_squared_error(labels, prediction)
    metrics = {"mae": v1.metrics.mean_absolute_error(labels, prediction)}
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


class Counting(tf.estimator.SessionRunHook):
    """Counts its calls (the hooks an InMemoryEvaluatorHook passes on to each evaluation)."""

    def __init__(self):
        self.calls = {"begin": 0, "after_create_session": 0, "before_run": 0, "after_run": 0, "end": 0}

    def begin(self):
        self.calls["begin"] += 1

    def after_create_session(self, session, coord):
        self.calls["after_create_session"] += 1

    def before_run(self, run_context):
        self.calls["before_run"] += 1

    def after_run(self, run_context, run_values):
        self.calls["after_run"] += 1

    def end(self, session):
        self.calls["end"] += 1


def evaluations(eval_dir):
    """[(global step, sorted tags)] of the eval dir's events with summaries, in file order."""
    found = []
    for path in sorted(glob.glob(os.path.join(eval_dir, "events.out.tfevents.*"))):
        for event in v1.train.summary_iterator(path):
            if event.HasField("summary") and event.summary.value:
                found.append([int(event.step), sorted(value.tag for value in event.summary.value)])
    return found


for namespace_name, namespace in NAMESPACES.items():
    hook_class = namespace.experimental.InMemoryEvaluatorHook
    model_dir = os.path.join(MODEL_DIR, namespace_name)
    estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir,
                                       config=tf.estimator.RunConfig(tf_random_seed=1, save_checkpoints_steps=1000))
    errors = {
        "every_n_iter=0": lambda: hook_class(estimator, eval_input_fn, every_n_iter=0),
        "every_n_iter=-3": lambda: hook_class(estimator, eval_input_fn, every_n_iter=-3),
        "every_n_iter=None": lambda: hook_class(estimator, eval_input_fn, every_n_iter=None),
        "steps=0": lambda: hook_class(estimator, eval_input_fn, steps=0),
        "hooks=[1]": lambda: hook_class(estimator, eval_input_fn, hooks=[1]),
    }
    for case, call in errors.items():
        report[f"{namespace_name}.InMemoryEvaluatorHook: {case}"] = outcome(call)

    counting = Counting()
    every = hook_class(estimator, eval_input_fn, every_n_iter=4, hooks=[counting])
    named = hook_class(estimator, eval_input_fn, steps=2, name="two_batches", every_n_iter=6)
    estimator.train(train_input_fn, hooks=[every, named], steps=10)
    final = estimator.evaluate(eval_input_fn, name="final")
    report[f"{namespace_name}.InMemoryEvaluatorHook: eval events"] = evaluations(estimator.eval_dir())
    report[f"{namespace_name}.InMemoryEvaluatorHook: named eval events"] = evaluations(
        estimator.eval_dir("two_batches"))
    report[f"{namespace_name}.InMemoryEvaluatorHook: eval hook calls"] = counting.calls
    last = {}
    for event_file in sorted(glob.glob(os.path.join(estimator.eval_dir(), "events.out.tfevents.*"))):
        for event in v1.train.summary_iterator(event_file):
            for value in event.summary.value:
                last[value.tag] = value.simple_value
    report[f"{namespace_name}.InMemoryEvaluatorHook: last evaluation equals evaluate()"] = bool(
        abs(last["loss"] - final["loss"]) <= 1e-5 * max(1.0, abs(final["loss"]))
        and abs(last["mae"] - final["mae"]) <= 1e-5 * max(1.0, abs(final["mae"])))
    report[f"{namespace_name}.InMemoryEvaluatorHook: trained"] = bool(final["loss"] < 2.0)
    report[f"{namespace_name}.InMemoryEvaluatorHook: eval dirs"] = sorted(
        name for name in os.listdir(model_dir) if name.startswith("eval"))


# ----- EstimatorSpec as a namedtuple -----------------------------------------------------------------------
def _spec_report():
    answers = {}
    with tf.Graph().as_default():
        loss = tf.constant(0.5, name="loss")
        other = tf.constant(1.5, name="other")
        train_op = tf.no_op(name="train")
        spec = tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.TRAIN, loss=loss, train_op=train_op)
        answers["is a tuple"] = isinstance(spec, tuple)
        answers["_fields"] = list(spec._fields)
        answers["len"] = len(spec)
        mode, predictions, spec_loss, *rest = spec
        answers["unpacked"] = [mode, predictions is None, spec_loss is loss, len(rest)]
        answers["indexed"] = [spec[0], spec[2] is loss, spec[-1]]
        answers["hooks"] = [repr(spec.training_hooks), repr(spec.evaluation_hooks), repr(spec.prediction_hooks),
                            repr(spec.training_chief_hooks)]
        answers["scaffold"] = type(spec.scaffold).__name__
        replaced = spec._replace(loss=other)
        answers["_replace(loss=)"] = [type(replaced).__name__, replaced.loss is other, spec.loss is loss]
        answers["_replace(mode=same)"] = outcome(lambda: spec._replace(mode=tf.estimator.ModeKeys.TRAIN).mode)
        answers["_replace(mode=other)"] = outcome(lambda: spec._replace(mode=tf.estimator.ModeKeys.EVAL))
        answers["_replace(train_op=None)"] = outcome(lambda: spec._replace(train_op=None))
        answers["_replace(loss=a float)"] = outcome(lambda: spec._replace(loss=0.5))
        answers["_asdict keys"] = list(spec._asdict())
        answers["count, index"] = [spec.count(loss), spec.index(loss)]
        answers["equal to itself rebuilt"] = spec == tf.estimator.EstimatorSpec(*spec)
        answers["setattr"] = outcome(lambda: setattr(spec, "loss", other))
        answers["positional"] = outcome(lambda: tf.estimator.EstimatorSpec(
            tf.estimator.ModeKeys.EVAL, None, loss).loss is loss)
        answers["mode missing"] = outcome(lambda: tf.estimator.EstimatorSpec(loss=loss))
        predict = tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.PREDICT, predictions={"y": loss})
        answers["predict export_outputs"] = sorted(predict.export_outputs)
    return answers


report["EstimatorSpec"] = outcome(_spec_report)
print(json.dumps(report, sort_keys=True))
