"""The TFX-era pipeline: tf.train.Example records in, a parsing SavedModel out.

Writes rows as `tf.train.Example`s to a TFRecord file, reads them with `tf.data.TFRecordDataset` +
`tf.io.parse_example` on `tf.estimator.classifier_parse_example_spec`, trains TF2's
`tf.estimator.LinearClassifier` (numeric, vocabulary and hashed columns, string labels), exports it with
`tf.estimator.export.build_parsing_serving_input_receiver_fn`, loads the SavedModel and calls its
`serving_default` (classify) and `predict` signatures on serialized examples, as a serving system would.
Usage: python tfrecord_export.py real|ours. Prints one JSON line: the parse spec, metrics, the signatures
with their inputs and outputs, and what the loaded model answers.
"""
import os
import sys
import tempfile

import numpy as np

if sys.argv[1] == "ours":
    import iris_lib.estimator_shim  # noqa: F401
import tensorflow as tf  # noqa: E402

from common import print_report  # noqa: E402

rng = np.random.RandomState(6)
ROWS = 48
SIZE = rng.uniform(0, 3, ROWS)
DEVICE = np.array(["phone", "tablet", "desktop"])[rng.randint(0, 3, ROWS)]
COUNTRY = np.array(["fr", "de", "us", "jp", "br"])[rng.randint(0, 5, ROWS)]
LABEL = np.where((SIZE > 1.5) | (DEVICE == "desktop"), "buy", "skip")


def example(i):
    feature = {
        "size": tf.train.Feature(float_list=tf.train.FloatList(value=[SIZE[i]])),
        "device": tf.train.Feature(bytes_list=tf.train.BytesList(value=[DEVICE[i].encode()])),
        "country": tf.train.Feature(bytes_list=tf.train.BytesList(value=[COUNTRY[i].encode()])),
        "label": tf.train.Feature(bytes_list=tf.train.BytesList(value=[LABEL[i].encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


path = os.path.join(tempfile.mkdtemp(), "train.tfrecord")
with tf.io.TFRecordWriter(path) as writer:
    for i in range(ROWS):
        writer.write(example(i).SerializeToString())

columns = [tf.feature_column.numeric_column("size"),
           tf.feature_column.categorical_column_with_vocabulary_list("device", ["phone", "tablet", "desktop"]),
           tf.feature_column.categorical_column_with_hash_bucket("country", 10)]
spec = tf.estimator.classifier_parse_example_spec(columns, label_key="label", label_dtype=tf.string)


def input_fn(train):
    def make():
        dataset = tf.data.TFRecordDataset(path)
        dataset = (dataset.repeat() if train else dataset).batch(12)
        dataset = dataset.map(lambda serialized: tf.io.parse_example(serialized, spec))
        return dataset.map(lambda features: (features, features.pop("label")))
    return make


classifier = tf.estimator.LinearClassifier(columns, model_dir=tempfile.mkdtemp(), label_vocabulary=["skip", "buy"],
                                           optimizer="Ftrl")
classifier.train(input_fn(True), steps=16)
metrics = classifier.evaluate(input_fn(False))

serving = tf.estimator.export.build_parsing_serving_input_receiver_fn(
    tf.feature_column.make_parse_example_spec(columns))
export_dir = classifier.export_saved_model(tempfile.mkdtemp(), serving).decode()
loaded = tf.saved_model.load(export_dir)
requests = tf.constant([example(i).SerializeToString() for i in range(4)])
signatures = {key: {"inputs": sorted(fn.structured_input_signature[1]), "outputs": sorted(fn.structured_outputs)}
              for key, fn in loaded.signatures.items()}
classified = loaded.signatures["serving_default"](inputs=requests)
predicted = loaded.signatures["predict"](examples=requests)
print_report({
    "spec": {key: type(value).__name__ for key, value in spec.items()},
    "metrics": metrics,
    "signatures": signatures,
    "classified": {key: value.numpy() for key, value in classified.items()},
    "predicted": {key: value.numpy() for key, value in predicted.items()},
    "weights": {name: classifier.get_variable_value(name) for name in classifier.get_variable_names()
                if name.endswith("weights") and "Ftrl" not in name},
})
