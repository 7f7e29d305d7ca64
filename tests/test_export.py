"""`Estimator.export_saved_model`: a TF1 SavedModel that TF 2.21 and `saved_model_cli` load and serve.

What the real one wrote (compared file by file and signature by signature in tests/test_parity_export.py):
a timestamped directory, `serving_default` from the predictions when the model_fn names no export outputs,
one signature per `export_outputs` entry otherwise (classify/regress/predict methods, input key `inputs` for
tf.Example receivers), extra assets, text format, a chosen checkpoint.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from iris_lib import data
from iris_lib.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig, export
from iris_lib.estimator.export import export_lib
from support import HANG_GUARD_SECONDS, make_estimator, predict_fn, train_fn

v1 = tf.compat.v1
FEATURES = data.FEATURE_NAMES


def parsing_receiver(columns):
    return export.build_parsing_serving_input_receiver_fn(tf.feature_column.make_parse_example_spec(columns))


def raw_receiver():
    return export.build_raw_serving_input_receiver_fn({key: tf.constant([[0.0]]) for key in FEATURES})


def serialized_flowers() -> tf.Tensor:
    examples = []
    for i in range(3):
        feature = {key: tf.train.Feature(float_list=tf.train.FloatList(value=[data.PREDICT_X[key][i]]))
                   for key in FEATURES}
        examples.append(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return tf.constant(examples)


def raw_flowers() -> dict:
    return {key: tf.constant([[v] for v in data.PREDICT_X[key]], dtype=tf.float32) for key in FEATURES}


def predicted(estimator) -> dict:
    predictions = list(estimator.predict(predict_fn()))
    return {key: np.stack([p[key] for p in predictions]) for key in predictions[0]}


@pytest.fixture(scope="module")
def trained_estimator(tmp_path_factory, iris, columns):
    estimator = make_estimator(tmp_path_factory.mktemp("export_model"), columns)
    estimator.train(train_fn(iris), steps=200)
    return estimator


@pytest.fixture(scope="module")
def parsing_export(trained_estimator, columns, tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    return base, trained_estimator.export_saved_model(str(base), parsing_receiver(columns))


def test_export_writes_a_timestamped_savedmodel_and_no_temp_dir(parsing_export):
    base, path = parsing_export
    assert isinstance(path, bytes)  # the real one returns bytes
    path = Path(path.decode())
    assert path.parent == base and re.fullmatch(r"\d{10}", path.name)
    assert os.listdir(base) == [path.name]  # temp-<timestamp> was renamed
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    assert files == ["saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"]
    names = {name for name, _ in tf.train.list_variables(str(path / "variables" / "variables"))}
    assert names == {"global_step", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
                     "dense_2/kernel", "dense_2/bias"}


def test_parsing_export_serves_serialized_examples_as_predict_does(parsing_export, trained_estimator):
    _, path = parsing_export
    signature = tf.saved_model.load(path.decode()).signatures["serving_default"]
    assert list(signature.structured_input_signature[1]) == ["examples"]
    outputs = signature(examples=serialized_flowers())
    expected = predicted(trained_estimator)
    assert sorted(outputs) == ["class_ids", "logits", "probabilities"]
    np.testing.assert_array_equal(outputs["class_ids"].numpy(), expected["class_ids"])
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected["probabilities"], rtol=1e-6, atol=1e-7)


def test_raw_export_takes_the_features_themselves(trained_estimator, tmp_path):
    path = trained_estimator.export_saved_model(str(tmp_path), raw_receiver()).decode()
    signature = tf.saved_model.load(path).signatures["serving_default"]
    assert sorted(signature.structured_input_signature[1]) == sorted(FEATURES)
    outputs = signature(**raw_flowers())
    np.testing.assert_allclose(outputs["logits"].numpy(), predicted(trained_estimator)["logits"], rtol=1e-6, atol=1e-6)


def test_saved_model_cli_shows_and_runs_the_export(trained_estimator, tmp_path):
    path = trained_estimator.export_saved_model(str(tmp_path / "base"), raw_receiver()).decode()
    cli = Path(sys.executable).with_name("saved_model_cli")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    shown = subprocess.run([str(cli), "show", "--all", "--dir", path], capture_output=True, text=True, env=env,
                           timeout=HANG_GUARD_SECONDS)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "MetaGraphDef with tag-set: 'serve'" in shown.stdout
    assert "signature_def['serving_default']" in shown.stdout
    assert "inputs['PetalLength'] tensor_info" in shown.stdout
    assert "outputs['probabilities'] tensor_info" in shown.stdout
    assert "Method name is: tensorflow/serving/predict" in shown.stdout
    exprs = ";".join(f"{key}=[{','.join(f'[{v}]' for v in data.PREDICT_X[key])}]" for key in FEATURES)
    run = subprocess.run([str(cli), "run", "--dir", path, "--tag_set", "serve", "--signature_def", "serving_default",
                          "--input_exprs", exprs, "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=HANG_GUARD_SECONDS)
    assert run.returncode == 0, run.stderr[-2000:]
    probabilities = np.load(tmp_path / "out" / "probabilities.npy")
    np.testing.assert_allclose(probabilities, predicted(trained_estimator)["probabilities"], rtol=1e-6, atol=1e-7)


def heads_model_fn(features, labels, mode, params):
    """A model_fn naming its own export outputs: a classify head (the default) and a predict head."""
    net = v1.feature_column.input_layer(features, params["feature_columns"])
    logits = _dense(net, 3)
    probabilities = tf.nn.softmax(logits)
    if mode == ModeKeys.PREDICT:
        classes = tf.constant([["setosa", "versicolor", "virginica"]])
        outputs = {
            "serving_default": export.ClassificationOutput(scores=probabilities,
                                                           classes=tf.tile(classes, [tf.shape(logits)[0], 1])),
            "logits": export.PredictOutput({"logits": logits}),
            "petal": export.RegressionOutput(value=logits[:, 0]),
        }
        return EstimatorSpec(mode, predictions={"probabilities": probabilities}, export_outputs=outputs)
    loss = v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
    return EstimatorSpec(mode, loss=loss, train_op=train_op)


def _dense(net, units):
    kernel = v1.get_variable("kernel", [net.shape[-1], units], initializer=v1.glorot_uniform_initializer())
    return tf.matmul(net, kernel)


def test_export_outputs_become_named_signatures_with_the_real_methods_and_keys(tmp_path, iris, columns):
    estimator = Estimator(heads_model_fn, model_dir=str(tmp_path / "m"), config=RunConfig(tf_random_seed=3),
                          params={"feature_columns": columns})
    estimator.train(train_fn(iris), steps=5)
    path = estimator.export_saved_model(str(tmp_path / "e"), parsing_receiver(columns)).decode()
    signatures = tf.saved_model.load(path).signatures
    assert sorted(signatures) == ["logits", "petal", "serving_default"]
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString(Path(path, "saved_model.pb").read_bytes())
    defs = proto.meta_graphs[0].signature_def
    assert defs["serving_default"].method_name == "tensorflow/serving/classify"
    assert sorted(defs["serving_default"].inputs) == ["inputs"]  # a tf.Example receiver's key for classify
    assert sorted(defs["serving_default"].outputs) == ["classes", "scores"]
    assert defs["petal"].method_name == "tensorflow/serving/regress"
    assert sorted(defs["petal"].outputs) == ["outputs"]
    assert defs["logits"].method_name == "tensorflow/serving/predict"
    assert sorted(defs["logits"].inputs) == ["examples"]
    classified = signatures["serving_default"](inputs=serialized_flowers())
    assert classified["classes"].numpy()[0].tolist() == [b"setosa", b"versicolor", b"virginica"]
    np.testing.assert_allclose(classified["scores"].numpy().sum(axis=1), 1.0, rtol=1e-6)


def test_as_text_assets_extra_and_checkpoint_path(trained_estimator, iris, columns, tmp_path):
    extra = tmp_path / "vocabulary.txt"
    extra.write_text("setosa\nversicolor\nvirginica\n")
    older = trained_estimator.latest_checkpoint()
    path = Path(trained_estimator.export_saved_model(
        str(tmp_path / "base"), raw_receiver(), assets_extra={"labels/species.txt": str(extra)}, as_text=True,
        checkpoint_path=older).decode())
    assert (path / "saved_model.pbtxt").exists() and not (path / "saved_model.pb").exists()
    assert (path / "assets.extra" / "labels" / "species.txt").read_text() == extra.read_text()
    assert int(tf.train.load_variable(str(path / "variables" / "variables"), "global_step")) == 200


def test_checkpoint_path_chooses_which_weights_are_exported(tmp_path, iris, columns):
    estimator = make_estimator(tmp_path / "m", columns, save_checkpoints_steps=5, keep_checkpoint_max=10)
    estimator.train(train_fn(iris), steps=10)
    first = os.path.join(str(tmp_path / "m"), "model.ckpt-5")
    path = estimator.export_saved_model(str(tmp_path / "e"), raw_receiver(), checkpoint_path=first).decode()
    variables = os.path.join(path, "variables", "variables")
    assert int(tf.train.load_variable(variables, "global_step")) == 5
    np.testing.assert_array_equal(tf.train.load_variable(variables, "dense/kernel"),
                                  tf.train.load_variable(first, "dense/kernel"))


def test_the_old_name_export_savedmodel_still_exports(trained_estimator, tmp_path):
    path = trained_estimator.export_savedmodel(str(tmp_path), raw_receiver()).decode()
    assert "serving_default" in tf.saved_model.load(path).signatures


def test_export_without_a_checkpoint_says_train_first(tmp_path, columns):
    estimator = make_estimator(tmp_path / "empty", columns)
    with pytest.raises(ValueError, match="Couldn't find trained model at .*Train it first"):
        estimator.export_saved_model(str(tmp_path / "e"), raw_receiver())
    assert not (tmp_path / "e").exists()


def test_a_receiver_fn_returning_features_is_explained(trained_estimator, tmp_path):
    def wrong():
        return {key: v1.placeholder(tf.float32, [None, 1]) for key in FEATURES}

    with pytest.raises(TypeError, match="must return a ServingInputReceiver"):
        trained_estimator.export_saved_model(str(tmp_path), wrong)
    with pytest.raises(ValueError, match="An input_receiver_fn must be defined"):
        trained_estimator.export_saved_model(str(tmp_path), None)


def test_serving_input_receiver_wraps_and_checks_like_the_real_one():
    with tf.Graph().as_default():
        single = v1.placeholder(tf.float32, [None, 4])
        receiver = export.ServingInputReceiver(single, single)
        assert list(receiver.features) == ["feature"] and list(receiver.receiver_tensors) == ["input"]
        tensor_receiver = export.TensorServingInputReceiver(single, {"x": single})
        assert tensor_receiver.features is single
        with pytest.raises(ValueError, match="feature x must be a Tensor"):
            export.ServingInputReceiver({"x": [1.0]}, single)
        with pytest.raises(ValueError, match="receiver_tensor keys must be strings"):
            export.ServingInputReceiver(single, {1: single})


def test_export_outputs_are_checked_when_the_spec_is_made():
    with tf.Graph().as_default():
        predictions = {"p": tf.constant([[1.0]])}
        spec = EstimatorSpec(ModeKeys.PREDICT, predictions=predictions)
        assert list(spec.export_outputs) == ["serving_default"]
        assert isinstance(spec.export_outputs["serving_default"], export.PredictOutput)
        with pytest.raises(TypeError):
            EstimatorSpec(ModeKeys.PREDICT, predictions=predictions, export_outputs={"a": predictions["p"]})
        two = {"a": export.PredictOutput(predictions), "b": export.PredictOutput(predictions)}
        with pytest.raises(ValueError, match="none of them are specified as the default"):
            EstimatorSpec(ModeKeys.PREDICT, predictions=predictions, export_outputs=two)


def test_experimental_mode_eval_exports_the_eval_graph_with_loss_and_metrics(trained_estimator, tmp_path):
    """experimental_mode=EVAL, as the real one: an 'eval'-tagged graph whose signature returns loss and metrics."""
    features = {key: tf.constant([[0.0]]) for key in FEATURES}
    receiver = export_lib.build_raw_supervised_input_receiver_fn(features, tf.constant([0], dtype=tf.int64))
    path = trained_estimator.export_saved_model(str(tmp_path), receiver, experimental_mode=ModeKeys.EVAL).decode()
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString(Path(path, "saved_model.pb").read_bytes())
    (graph,) = proto.meta_graphs
    assert list(graph.meta_info_def.tags) == ["eval"]
    (signature,) = graph.signature_def.values()
    assert signature.method_name == "tensorflow/supervised/eval"
    assert sorted(signature.inputs) == sorted([*FEATURES, "label"])
    assert {"loss", "metrics/accuracy/value", "metrics/accuracy/update_op"} <= set(signature.outputs)
    with tf.Graph().as_default(), v1.Session() as session:
        v1.saved_model.loader.load(session, ["eval"], path)
        feeds = {signature.inputs[key].name: [[v] for v in data.PREDICT_X[key]] for key in FEATURES}
        feeds[signature.inputs["label"].name] = [0, 1, 2]
        loss = session.run(signature.outputs["loss"].name, feeds)
    assert np.isfinite(loss) and loss > 0


def test_an_untrained_estimator_exports_its_warm_start_checkpoint(trained_estimator, columns, tmp_path):
    """As the real one: without a checkpoint of its own, the warm-start checkpoint's weights are exported."""
    from iris_lib.model import my_model_fn

    fresh = Estimator(my_model_fn, model_dir=str(tmp_path / "fresh"), warm_start_from=trained_estimator.model_dir,
                      params={"feature_columns": columns, "hidden_units": [10, 10], "n_classes": 3})
    path = fresh.export_saved_model(str(tmp_path / "e"), raw_receiver()).decode()
    np.testing.assert_array_equal(tf.train.load_variable(os.path.join(path, "variables", "variables"), "dense/kernel"),
                                  trained_estimator.get_variable_value("dense/kernel"))
