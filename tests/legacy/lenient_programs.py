"""What the real Estimator accepts that a stricter copy might refuse, on either engine; prints one JSON line.

Usage: python lenient_programs.py real|ours
  real: the real tf.estimator (TF 2.15, legacy venv): `import tensorflow as tf` and `tensorflow.compat.v1`;
  ours: the same program after `import iris_lib.estimator_shim`, with `iris_lib.tf1` as tf.compat.v1.
Small real-style programs: float step counts, string activations in `tf.compat.v1.layers.dense`, a train_op
that only adds 1 to the global step, one that adds 2, MirroredStrategy / OneDeviceStrategy on one machine, the Estimator
reached as `tf.compat.v1.estimator` (also through `compat.v1` of the TF1 module), which namespace has
`inputs`, and the refusals (type and message) for what the real one refuses. Weights start from constants,
so both engines compute the same numbers (rounded to 5 decimals in the report).
"""
import json
import math
import sys
import tempfile

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1 as tf1
else:
    import tensorflow.compat.v1 as tf1
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

X = (np.arange(48, dtype=np.float32).reshape(12, 4) - 20.0) / 24.0
Y = (np.arange(12) % 3).astype(np.int32)


def input_fn(repeat=True, batch=4):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return (dataset.repeat() if repeat else dataset).batch(batch)
    return make


def model_fn(features, labels, mode, params):
    """tf.compat.v1.layers.dense with a string activation; constant weights; train_op per params."""
    layers = tf1.compat.v1.layers
    constant = tf1.compat.v1.constant_initializer
    hidden = layers.dense(features["x"], 5, activation=params["activation"],
                          kernel_initializer=constant(np.linspace(-0.5, 0.6, 20).reshape(4, 5)),
                          bias_initializer=constant(-0.05))
    logits = layers.dense(hidden, 3, kernel_initializer=constant(np.linspace(0.3, -0.4, 15).reshape(5, 3)))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf1.estimator.EstimatorSpec(mode, predictions={"logits": logits, "hidden": hidden})
    loss = tf1.losses.sparse_softmax_cross_entropy(labels, logits)
    global_step = tf1.train.get_global_step()
    if params["train_op"] == "assign_add":
        train_op = tf1.assign_add(global_step, 1)
    elif params["train_op"] == "method":
        train_op = global_step.assign_add(1)
    elif params["train_op"] == "twice":  # two updates that each count the step, as a GAN's two optimizers
        first = tf1.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=global_step)
        with tf1.control_dependencies([first]):
            train_op = tf1.assign_add(global_step, 1)
    else:
        train_op = tf1.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=global_step)
    return tf1.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def estimator(namespace, activation="relu", train_op="sgd", **config):
    return namespace.Estimator(model_fn, model_dir=tempfile.mkdtemp(), config=namespace.RunConfig(**config),
                               params={"activation": activation, "train_op": train_op})


def rounded(value):
    return round(float(value), 5)


def refused(call):
    try:
        call()
        return "accepted"
    except Exception as error:  # noqa: BLE001  (the report is the point)
        return f"{type(error).__name__}: {error}"


def refused_type(call):
    answer = refused(call)
    return answer.split(":")[0]


report = {}

# Float (and other odd) step counts: what passes the real `steps <= 0` trains, rounded up.
e = estimator(tf1.compat.v1.estimator)
e.train(input_fn(), steps=10.0)
steps = [int(e.get_variable_value("global_step"))]
e.train(input_fn(), steps=2.5)
steps.append(int(e.get_variable_value("global_step")))
e.train(input_fn(), max_steps=20.0)
steps.append(int(e.get_variable_value("global_step")))
e.train(input_fn(repeat=False), steps=math.nan)  # 12 rows, batches of 4: until the input ends
steps.append(int(e.get_variable_value("global_step")))
e.train(input_fn(), steps=True)
steps.append(int(e.get_variable_value("global_step")))
metrics = e.evaluate(input_fn(), steps=1.5)
report["float steps"] = {"global steps": steps, "evaluate": [int(metrics["global_step"]), rounded(metrics["loss"])]}
report["float steps refused"] = {
    "steps=0": refused(lambda: e.train(input_fn(), steps=0)),
    "steps=-5.5": refused(lambda: e.train(input_fn(), steps=-5.5)),
    "max_steps=0.0": refused(lambda: e.train(input_fn(), max_steps=0.0)),
    "steps='10'": refused(lambda: e.train(input_fn(), steps="10")),
    "both": refused(lambda: e.train(input_fn(), steps=1.0, max_steps=2.0)),
    "evaluate steps=-1.0": refused(lambda: e.evaluate(input_fn(), steps=-1.0)),
    "TrainSpec max_steps=0.0": refused(lambda: tf.estimator.TrainSpec(input_fn(), max_steps=0.0)),
    "EvalSpec steps=-2.5": refused(lambda: tf.estimator.EvalSpec(input_fn(), steps=-2.5)),
    # iris_lib says "write steps=1000 instead"; the real one failed inside list(1000): same type only.
    "train(input_fn, 1000)": refused_type(lambda: e.train(input_fn(), 1000)),
}
report["float TrainSpec"] = int(tf.estimator.train_and_evaluate(
    estimator(tf.estimator), tf.estimator.TrainSpec(input_fn(), max_steps=3.5),
    tf.estimator.EvalSpec(input_fn(), steps=1.0))[0]["global_step"])

# String activations: predictions from the constant initial weights (predict before training initializes).
activations = {}
for name in ("relu", "tanh", "sigmoid", "elu", "softplus", "linear"):
    first = next(estimator(tf1.estimator, activation=name).predict(input_fn(repeat=False)))
    activations[name] = [rounded(v) for v in first["hidden"]]
report["string activations"] = activations
report["unknown activation"] = refused_type(
    lambda: next(estimator(tf1.estimator, activation="no_such_activation").predict(input_fn(repeat=False))))

# A train_op that only counts steps, with a loss: both train to the asked step.
for how in ("assign_add", "method"):
    e = estimator(tf1.estimator, train_op=how)
    e.train(input_fn(), steps=7)
    loss = e.evaluate(input_fn(), steps=3)["loss"]
    report[f"train_op {how}"] = [int(e.get_variable_value("global_step")), rounded(loss)]

# A train_op that adds 2 to the global step per run: training follows the global step and stops once it
# reaches the target. Where exactly: the real StopAtStepHook fetched the step in the same run as the updates,
# unordered, so it may stop one run later (12 for a target of 10); the report says "reached, within one run".
e = estimator(tf1.estimator, train_op="twice")
twice, before = [], 0
for kwargs in ({"steps": 10}, {"steps": 5}, {"max_steps": 21}):
    e.train(input_fn(), **kwargs)
    after = int(e.get_variable_value("global_step"))
    target = kwargs.get("max_steps", before + kwargs.get("steps", 0))
    twice.append([kwargs, after % 2 == 0 and target <= after <= target + 2])
    before = after
report["train_op adding 2"] = twice

# Distribution strategies on one machine with one device: local training.
for name, make in (("MirroredStrategy", lambda: tf.distribute.MirroredStrategy()),
                   ("OneDeviceStrategy", lambda: tf.distribute.OneDeviceStrategy("/cpu:0"))):
    e = estimator(tf.estimator, train_distribute=make(), eval_distribute=make())
    e.train(input_fn(), steps=6)
    metrics = e.evaluate(input_fn(), steps=3)
    report[name] = {"global_step": int(e.get_variable_value("global_step")), "eval": int(metrics["global_step"]),
                    "loss": rounded(metrics["loss"]),
                    "kernel": rounded(e.get_variable_value("dense/kernel").sum())}

# The namespaces: tf.compat.v1.estimator is the V1 one (also as compat.v1 of the TF1 module); TF2's has no inputs.
report["namespaces"] = {
    "compat.v1 of the TF1 module": tf1.compat.v1.estimator.Estimator is tf.compat.v1.estimator.Estimator,
    "compat.v1 DNNClassifier": tf1.compat.v1.estimator.DNNClassifier.__name__,
    "tf.compat.v1 DNNClassifier": tf.compat.v1.estimator.DNNClassifier.__name__,
    "tf.estimator DNNClassifier": tf.estimator.DNNClassifier.__name__,
    "inputs": {"tf.estimator": hasattr(tf.estimator, "inputs"),
               "tf.compat.v1.estimator": hasattr(tf.compat.v1.estimator, "inputs"),
               "tf.compat.v2.estimator": hasattr(tf.compat.v2.estimator, "inputs"),
               "TF1 module": hasattr(tf1.estimator, "inputs")},
}
print(json.dumps(report))
