"""Wide & deep with TF2's shared embeddings: two categorical columns looked up in one embedding table.

`tf.feature_column.shared_embeddings([education, spouse_education], dimension=8)` (vocabulary lists) and a
second table for two hashed columns (`combiner="sqrtn"`), with numeric and bucketized columns, in TF2's
`tf.estimator.DNNLinearCombinedClassifier` and `tf.estimator.DNNClassifier`. TF2 builds shared embedding
columns only outside eager execution, so the program makes them in a `tf.Graph()`. Both engines warm-start
from the same fixed weights (`common.fixed_start_checkpoint`), train 20 steps, evaluate, predict. The tables
are variables of their own at the root (`education_spouse_education_shared_embedding`), which the real V2
Estimators did not train: the report shows them unchanged.
Usage: python tf2_shared_embeddings_wide_deep.py real|ours [ROOT train|restore]. Prints one JSON line: per
Estimator, the weights' names and shapes, metrics, predictions and the tables' largest change from the fixed
start. With ROOT, the model_dirs are ROOT/wide_deep and ROOT/deep, and `restore` only evaluates and predicts
from the checkpoints already there (e.g. the other engine's).
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_start_checkpoint, fixed_values, print_report  # noqa: E402

rng = np.random.RandomState(0)
ROWS = 64
EDUCATION = ["Bachelors", "HS-grad", "Masters", "Doctorate"]
OCCUPATION = ["Tech-support", "Sales", "Exec-managerial", "Craft-repair", "Other"]
FEATURES = {
    "age": rng.randint(17, 80, ROWS).astype(np.float32),
    "hours_per_week": rng.randint(10, 60, ROWS).astype(np.float32),
    "education": np.array(EDUCATION)[rng.randint(0, 4, ROWS)],
    "spouse_education": np.array(EDUCATION + ["None"])[rng.randint(0, 5, ROWS)],  # "None": out of vocabulary
    "occupation": np.array(OCCUPATION)[rng.randint(0, 5, ROWS)],
    "previous_occupation": np.array(OCCUPATION)[rng.randint(0, 5, ROWS)],
}
LABELS = np.where(((FEATURES["age"] > 40) & (FEATURES["hours_per_week"] > 35))
                  | (FEATURES["education"] == "Doctorate"), 1, 0)

fc = tf.feature_column
age = fc.numeric_column("age")
age_buckets = fc.bucketized_column(age, boundaries=[25, 35, 45, 55, 65])
education = fc.categorical_column_with_vocabulary_list("education", EDUCATION)
spouse_education = fc.categorical_column_with_vocabulary_list("spouse_education", EDUCATION)
occupation = fc.categorical_column_with_hash_bucket("occupation", hash_bucket_size=10)
previous_occupation = fc.categorical_column_with_hash_bucket("previous_occupation", hash_bucket_size=10)
with tf.Graph().as_default():  # "shared_embedding_columns are not supported when eager execution is enabled"
    shared_education = fc.shared_embeddings([education, spouse_education], dimension=8)
    shared_occupation = fc.shared_embeddings([occupation, previous_occupation], dimension=4, combiner="sqrtn")
wide_columns = [age_buckets, education, occupation]
deep_columns = [age, fc.numeric_column("hours_per_week"), age_buckets] + shared_education + shared_occupation
TABLES = ["education_spouse_education_shared_embedding", "occupation_previous_occupation_shared_embedding"]


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices((FEATURES, LABELS))
        return dataset.repeat().batch(16) if train else dataset.batch(16)
    return make


def wide_deep(model_dir, warm_start_from=None):
    return tf.estimator.DNNLinearCombinedClassifier(
        model_dir=model_dir, linear_feature_columns=wide_columns, dnn_feature_columns=deep_columns,
        dnn_hidden_units=[8, 4], warm_start_from=warm_start_from, config=tf.estimator.RunConfig(tf_random_seed=42))


def deep(model_dir, warm_start_from=None):
    return tf.estimator.DNNClassifier(
        hidden_units=[8], feature_columns=deep_columns, n_classes=3, optimizer="Adam",
        warm_start_from=warm_start_from, model_dir=model_dir, config=tf.estimator.RunConfig(tf_random_seed=42))


def change(model, name):
    """How far a variable moved from its fixed start (what `fixed_start_checkpoint` holds): largest difference."""
    value = model.get_variable_value(name)
    return float(np.abs(value - fixed_values(name, value.shape)).max())


ROOT, ACTION = sys.argv[2:] or (None, "train")
report = {}
for name, build in (("wide_deep", wide_deep), ("deep", deep)):
    model_dir = os.path.join(ROOT, name) if ROOT else tempfile.mkdtemp()
    if ACTION == "train":
        start = fixed_start_checkpoint(build, input_fn(True))
        model = build(model_dir, warm_start_from=tf.estimator.WarmStartSettings(start))
        model.train(input_fn(True), steps=20)
    else:
        model = build(model_dir)
    predictions = [p for _, p in zip(range(5), model.predict(input_fn(False)))]
    report[name] = {
        "metrics": model.evaluate(input_fn(False)),
        "predictions": [{k: p[k] for k in ("probabilities", "logits", "class_ids")} for p in predictions],
        # The weights by name; the optimizers' own variables are named otherwise here (companion/differences.md).
        "weights": {n: list(model.get_variable_value(n).shape) for n in model.get_variable_names()
                    if not any(part in n for part in ("Ftrl", "Adagrad", "Adam", "training/"))},
        "table_change": {t: change(model, t) for t in TABLES},
        "dnn_kernel_change": change(model, "dnn/hiddenlayer_0/kernel"),
    }
print_report(report)
