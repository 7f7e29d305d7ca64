"""Wide & deep on census-like rows, as TensorFlow's wide_deep tutorial wrote it.

`tf.estimator.DNNLinearCombinedClassifier` (TF2's) and `tf.compat.v1.estimator.DNNLinearCombinedClassifier`
(TF1's, partitioned linear weights) with a string label vocabulary: the wide part takes bucketized,
vocabulary, hashed and crossed columns; the deep part numeric, indicator and embedding columns. Both engines
warm-start from the same fixed weights (`common.fixed_start_checkpoint`), train 30 steps, evaluate, predict.
Usage: python wide_and_deep.py real|ours. Prints one JSON line: per class, metrics, predictions, weight names.
"""
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import fixed_start_checkpoint, print_report  # noqa: E402

rng = np.random.RandomState(0)
ROWS = 64
FEATURES = {
    "age": rng.randint(17, 80, ROWS).astype(np.float32),
    "hours_per_week": rng.randint(10, 60, ROWS).astype(np.float32),
    "education": np.array(["Bachelors", "HS-grad", "Masters", "Doctorate"])[rng.randint(0, 4, ROWS)],
    "occupation": np.array(["Tech-support", "Sales", "Exec-managerial", "Craft-repair", "Other"])[
        rng.randint(0, 5, ROWS)],
}
LABELS = np.where(((FEATURES["age"] > 40) & (FEATURES["hours_per_week"] > 35))
                  | (FEATURES["education"] == "Doctorate"), ">50K", "<=50K")

fc = tf.feature_column
age = fc.numeric_column("age")
age_buckets = fc.bucketized_column(age, boundaries=[25, 35, 45, 55, 65])
education = fc.categorical_column_with_vocabulary_list(
    "education", ["Bachelors", "HS-grad", "Masters", "Doctorate"])
occupation = fc.categorical_column_with_hash_bucket("occupation", hash_bucket_size=20)
wide_columns = [age_buckets, education, occupation,
                fc.crossed_column([age_buckets, "education"], hash_bucket_size=50)]
deep_columns = [age, fc.numeric_column("hours_per_week"), fc.indicator_column(education),
                fc.embedding_column(occupation, dimension=4)]


def input_fn(train):
    def make():
        dataset = tf.data.Dataset.from_tensor_slices((FEATURES, LABELS))
        return dataset.repeat().batch(16) if train else dataset.batch(16)
    return make


def build(namespace):
    def make(model_dir, warm_start_from=None):
        return namespace.DNNLinearCombinedClassifier(
            model_dir=model_dir, linear_feature_columns=wide_columns, dnn_feature_columns=deep_columns,
            dnn_hidden_units=[8, 4], label_vocabulary=["<=50K", ">50K"], warm_start_from=warm_start_from,
            config=namespace.RunConfig(tf_random_seed=42))
    return make


report = {}
for name, namespace in (("v2", tf.estimator), ("v1", tf.compat.v1.estimator)):
    start = fixed_start_checkpoint(build(namespace), input_fn(True))
    model = build(namespace)(tempfile.mkdtemp(), warm_start_from=namespace.WarmStartSettings(start))
    model.train(input_fn(True), steps=30)
    predictions = [p for _, p in zip(range(5), model.predict(input_fn(False)))]
    report[name] = {
        "metrics": model.evaluate(input_fn(False)),
        "predictions": [{k: p[k] for k in ("classes", "probabilities", "logits", "class_ids")} for p in predictions],
        # The weights by name; the optimizers' own variables are named otherwise here (companion/differences.md).
        "weights": sorted(n for n in model.get_variable_names()
                          if not any(part in n for part in ("Ftrl", "Adagrad", "training/"))),
    }
print_report(report)
