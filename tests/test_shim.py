"""`import iris_lib.estimator_shim` for TF2-era programs, and the module-like `tf.estimator` namespaces.

On `tf.estimator` the canned Estimators are the V2 classes (as TF2's were), on `tf.compat.v1.estimator`
and `iris_lib.tf1.estimator` the V1 ones; a name the real tf.estimator had and iris_lib lacks fails with an
AttributeError that says so and what to use instead. The shim is tested in fresh interpreters, because it
changes the `tensorflow` module for the rest of the process.
"""
from __future__ import annotations

import pytest

import iris_lib.tf1
from support import run_program
from iris_lib.estimator import api, canned
from iris_lib.estimator.api import MissingFromIrisLib


def test_the_shim_puts_v2_classes_on_tf_estimator_and_v1_on_compat_v1(tmp_path):
    answer = run_program("""
        import json
        import tensorflow as tf
        import iris_lib.estimator_shim
        import tensorflow.compat.v1 as tf1  # imported after the shim: still ours
        from tensorflow.estimator import export
        from tensorflow.compat.v1.estimator import inputs
        from iris_lib.estimator import Estimator, canned
        print(json.dumps({
            "v2": tf.estimator.DNNClassifier is canned.DNNClassifierV2,
            "v2_linear": tf.estimator.LinearRegressor is canned.LinearRegressorV2,
            "v1": tf.compat.v1.estimator.DNNClassifier is canned.DNNClassifier,
            "v1_late_import": tf1.estimator.DNNClassifier is canned.DNNClassifier,
            "estimator": tf.estimator.Estimator is Estimator is tf1.estimator.Estimator,
            "export": export.ServingInputReceiver.__module__,
            "inputs": inputs.numpy_input_fn.__module__,
            "v2_inputs": hasattr(tf.estimator, "inputs"),  # the real TF2 namespace has no `inputs`
        }))
    """, tmp_path)
    assert answer == {"v2": True, "v2_linear": True, "v1": True, "v1_late_import": True, "estimator": True,
                      "export": "iris_lib.estimator.export.export", "inputs": "iris_lib.estimator.inputs.numpy_io",
                      "v2_inputs": False}


def test_the_shim_works_imported_before_tensorflow(tmp_path):
    answer = run_program("""
        import json
        import iris_lib.estimator_shim
        import tensorflow.compat.v1 as tf
        print(json.dumps({"name": tf.estimator.DNNClassifier.__name__,
                          "run_config": tf.estimator.RunConfig.__module__}))
    """, tmp_path)
    assert answer == {"name": "DNNClassifier", "run_config": "iris_lib.estimator.run_config"}


def test_a_tf2_era_program_trains_evaluates_and_exports_unchanged(tmp_path):
    """numpy_input_fn + the V2 DNNClassifier + export_saved_model, all written as `tf.estimator.*`."""
    answer = run_program("""
        import json
        import numpy as np
        import tensorflow as tf
        import iris_lib.estimator_shim
        from iris_lib import data

        (train_x, train_y), (test_x, test_y) = data.load_data()
        columns = [tf.feature_column.numeric_column(key) for key in train_x.keys()]
        classifier = tf.estimator.DNNClassifier(hidden_units=[10, 10], feature_columns=columns, n_classes=3,
                                                model_dir="model", config=tf.estimator.RunConfig(tf_random_seed=1))
        as_arrays = lambda frame: {key: frame[key].to_numpy() for key in frame}
        train = tf.compat.v1.estimator.inputs.numpy_input_fn(as_arrays(train_x), train_y.to_numpy(),
                                                             batch_size=32, num_epochs=None, shuffle=True)
        classifier.train(train, steps=50)
        metrics = classifier.evaluate(tf.compat.v1.estimator.inputs.numpy_input_fn(
            as_arrays(test_x), test_y.to_numpy(), shuffle=False))
        spec = tf.feature_column.make_parse_example_spec(columns)
        receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
        path = classifier.export_saved_model("export", receiver)
        signatures = tf.saved_model.load(path.decode()).signatures
        print(json.dumps({"class": type(classifier).__name__, "global_step": int(metrics["global_step"]),
                          "metric_keys": sorted(metrics), "signatures": sorted(signatures),
                          "loss_finite": bool(np.isfinite(metrics["loss"]))}))
    """, tmp_path)
    assert answer["class"] == "DNNClassifierV2"
    assert answer["global_step"] == 50 and answer["loss_finite"]
    assert {"accuracy", "average_loss", "loss", "global_step"} <= set(answer["metric_keys"])
    assert "serving_default" in answer["signatures"]


def test_iris_lib_tf1_keeps_the_v1_classes():
    assert iris_lib.tf1.estimator is api.ESTIMATOR_V1
    assert iris_lib.tf1.estimator.DNNClassifier is canned.DNNClassifier
    assert api.ESTIMATOR_V2.DNNClassifier is canned.DNNClassifierV2
    assert iris_lib.tf1.estimator.export.PredictOutput.__name__ == "PredictOutput"
    assert "Estimator" in dir(iris_lib.tf1.estimator) and "experimental" in dir(iris_lib.tf1.estimator)


@pytest.mark.parametrize("name, advice", [
    ("tpu", "TPUEstimator is out of scope"),
    ("model_to_estimator", "it is tf.keras.estimator.model_to_estimator"),
])
def test_a_missing_real_name_says_what_to_use_instead(name, advice):
    with pytest.raises(MissingFromIrisLib, match=rf"iris_lib's tf.compat.v1.estimator has no '{name}'.*{advice}"):
        getattr(iris_lib.tf1.estimator, name)
    assert not hasattr(iris_lib.tf1.estimator, name)


def test_missing_experimental_and_layers_names_are_explained_too():
    with pytest.raises(MissingFromIrisLib,
                       match="iris_lib's tf.layers has no 'InputSpec' \\(the real one had it\\)"):
        iris_lib.tf1.layers.InputSpec
    assert iris_lib.tf1.layers.dense.__module__.startswith("iris_lib.layers")


def test_a_name_the_real_one_never_had_is_a_plain_attribute_error():
    with pytest.raises(AttributeError,
                       match="has no attribute 'DNNClasifier', nor had the real tf.estimator") as caught:
        iris_lib.tf1.estimator.DNNClasifier
    assert not isinstance(caught.value, MissingFromIrisLib)


@pytest.mark.parametrize("namespace", [api.ESTIMATOR_V1, api.ESTIMATOR_V2], ids=["v1", "v2"])
def test_every_real_name_resolves_or_is_explained(namespace):
    """No real name ends in a bare AttributeError; and the ones provided are listed by dir()."""
    real = api.REAL_V1 if namespace is api.ESTIMATOR_V1 else api.REAL_V2
    provided = []
    for name in real:
        try:
            getattr(namespace, name)
            provided.append(name)
        except MissingFromIrisLib:
            pass
    assert {"Estimator", "EstimatorSpec", "ModeKeys", "RunConfig", "DNNClassifier", "export",
            "experimental"} <= set(provided)
    assert set(provided) <= set(dir(namespace))


def test_a_tf1_program_reaches_the_estimator_through_tf_compat_too():
    """`import iris_lib.tf1 as tf` then `tf.compat.v1.estimator.X` (or `tf.compat.v2.estimator.X`), as TF1-era
    code wrote it: the same classes as `tf.estimator`, V1 and V2; the rest of tf.compat stays TensorFlow's."""
    import iris_lib.tf1 as tf1
    from iris_lib.estimator.canned.dnn import DNNClassifier, DNNClassifierV2

    assert tf1.compat.v1 is tf1 and tf1.compat.v1.estimator.DNNClassifier is DNNClassifier
    assert tf1.compat.v1.layers.dense is tf1.layers.dense
    assert tf1.compat.v2.estimator.DNNClassifier is DNNClassifierV2
    import tensorflow

    assert tf1.compat.as_bytes("x") == b"x" and tf1.compat.v2.constant is tensorflow.constant


def test_the_shim_gives_tf2_era_model_fns_the_tf1_layers(tmp_path):
    # TF 2.21's own tf.compat.v1.layers.dense raises under Keras 3; TF's migration guide's Estimator model_fn
    # (`tf1.layers.Dense(1)(features)`) and TF2-era code calling tf.compat.v1.layers.dense must train and evaluate.
    answer = run_program("""
        import json
        import numpy as np
        import tensorflow as tf
        import tensorflow.compat.v1 as tf1
        import iris_lib.estimator_shim
        from tensorflow.compat.v1.layers import dense

        def model_fn(features, labels, mode):
            hidden = tf.compat.v1.layers.dense(features["x"], 4, activation=tf.nn.relu)
            logits = tf1.layers.Dense(1)(hidden)
            loss = tf1.losses.mean_squared_error(labels=labels, predictions=logits)
            train_op = tf1.train.AdagradOptimizer(0.05).minimize(loss, global_step=tf1.train.get_global_step())
            return tf.estimator.EstimatorSpec(mode, predictions=logits, loss=loss, train_op=train_op)

        def input_fn():
            x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
            return tf.data.Dataset.from_tensor_slices(({"x": x}, 2 * x)).batch(8).repeat()

        estimator = tf.estimator.Estimator(model_fn=model_fn)
        estimator.train(input_fn, steps=20)
        metrics = estimator.evaluate(input_fn, steps=2)
        print(json.dumps({"names": sorted(n for n in estimator.get_variable_names() if "Adagrad" not in n),
                          "global_step": int(metrics["global_step"]), "finite": bool(np.isfinite(metrics["loss"])),
                          "dense_is_ours": dense.__module__}))
    """, tmp_path)
    assert answer == {"names": ["dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel", "global_step"],
                      "global_step": 20, "finite": True, "dense_is_ours": "iris_lib.layers.core"}


def test_the_shim_gives_tf2_era_model_fns_keras_2s_dense_features(tmp_path):
    # `tf.keras.layers.DenseFeatures(params["feature_columns"])(features)` was TF2's custom-Estimator idiom; Keras 3
    # has no DenseFeatures (AttributeError). Same program on the real one: legacy/programs/keras_dense_features_model_fn.
    answer = run_program("""
        import json
        import numpy as np
        import iris_lib.estimator_shim
        import tensorflow as tf

        column = tf.feature_column.embedding_column(
            tf.feature_column.categorical_column_with_vocabulary_list("c", ["a", "b"]), 3)

        def model_fn(features, labels, mode):
            net = tf.keras.layers.DenseFeatures([column, tf.feature_column.numeric_column("x")])(features)
            logits = tf.compat.v1.layers.dense(net, 2)
            loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
            return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.compat.v1.train.AdagradOptimizer(
                0.1).minimize(loss, global_step=tf.compat.v1.train.get_global_step()))

        def input_fn():
            features = {"c": np.array(["a", "b", "a", "b"]), "x": np.arange(4, dtype=np.float32)}
            return tf.data.Dataset.from_tensor_slices((features, np.array([0, 1, 0, 1]))).batch(2).repeat()

        estimator = tf.estimator.Estimator(model_fn)
        estimator.train(input_fn, steps=4)
        try:
            tf.keras.layers.DenseFeatures([column])({"c": tf.constant(["a"])})
            eager = "ran"
        except RuntimeError as error:
            eager = str(error)
        print(json.dumps({"names": sorted(n for n in estimator.get_variable_names() if "Adagrad" not in n),
                          "step": int(estimator.evaluate(input_fn, steps=1)["global_step"]), "eager": eager}))
    """, tmp_path)
    assert answer["names"] == ["dense/bias", "dense/kernel", "dense_features/c_embedding/embedding_weights",
                               "global_step"]
    assert answer["step"] == 4 and "keras.utils.FeatureSpace" in answer["eager"]


def test_dense_features_takes_tf2s_shared_embeddings_with_one_trained_table(tmp_path):
    # Keras 2's DenseFeatures took `tf.feature_column.shared_embeddings`; `input_layer` refuses them. In a model_fn
    # the real table, `<a>_<b>_shared_embedding` at the root, was trained (an Adagrad slot, values moved).
    answer = run_program("""
        import json
        import numpy as np
        import iris_lib.estimator_shim
        import tensorflow as tf

        fc = tf.feature_column
        start = np.linspace(-1, 1, 6).reshape(2, 3)

        def model_fn(features, labels, mode):
            pair = fc.shared_embeddings([fc.categorical_column_with_vocabulary_list(key, ["a", "b"])
                                         for key in ("c", "d")], 3,
                                        initializer=tf.compat.v1.constant_initializer(start))
            net = tf.keras.layers.DenseFeatures(pair + [fc.numeric_column("x")])(features)
            logits = tf.compat.v1.layers.dense(net, 2)
            loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
            return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.compat.v1.train.AdagradOptimizer(
                0.1).minimize(loss, global_step=tf.compat.v1.train.get_global_step()))

        def input_fn():
            features = {"c": np.array(["a", "b", "a", "b"]), "d": np.array(["b", "b", "a", "a"]),
                        "x": np.arange(4, dtype=np.float32)}
            return tf.data.Dataset.from_tensor_slices((features, np.array([0, 1, 0, 1]))).batch(2).repeat()

        estimator = tf.estimator.Estimator(model_fn)
        estimator.train(input_fn, steps=4)
        print(json.dumps({"names": estimator.get_variable_names(),
                          "kernel rows": len(estimator.get_variable_value("dense/kernel")),
                          "table moved": bool(np.abs(estimator.get_variable_value("c_d_shared_embedding")
                                                     - start).max() > 1e-3)}))
    """, tmp_path)
    assert "c_d_shared_embedding" in answer["names"] and "c_d_shared_embedding/Adagrad" in answer["names"]
    assert not any(name.startswith("dense_features/c") for name in answer["names"])  # no table of its own
    assert answer["kernel rows"] == 3 + 3 + 1 and answer["table moved"]
