"""The book's custom model, written the TensorFlow 2 way: Keras 3 `fit`, `evaluate`, `predict`.

Same network as `iris_lib.model.my_model_fn` (4 features -> Dense(units, ReLU) per entry of
`hidden_units` -> Dense(n_classes) logits), same loss, metric and optimizer (Adagrad, learning rate
0.1; Keras's `initial_accumulator_value` of 0.1 matches TF1's `AdagradOptimizer`), and the same
input pipeline (`iris_lib.data.train_input_fn`: shuffle 1000, repeat, batch). So the only thing that
changes against the custom Estimator is the framework, which is what the summary chapter compares.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from iris_lib import quiet  # noqa: F401  (silences TensorFlow before it is imported)

import keras
import numpy as np
import tensorflow as tf

from iris_lib import data
from iris_lib.model import check_hidden_units
from iris_lib.notebook import BOOK_SEED


@dataclass(frozen=True)
class KerasResult:
    """What `train_and_evaluate` measured: the trained model, its test metrics and the guide's 3 predictions."""

    model: keras.Model
    steps: int  # optimizer.iterations after training: Keras's global_step
    test_accuracy: float
    test_loss: float
    probabilities: np.ndarray  # (3, n_classes): softmax of the logits for data.PREDICT_X
    class_ids: np.ndarray  # (3,): the most likely class of each example

    @property
    def predicted_species(self) -> list[str]:
        return [data.SPECIES[i] for i in self.class_ids]


def build_model(hidden_units: Sequence[int] = (10, 10), n_classes: int = 3, learning_rate: float = 0.1,
                n_features: int = len(data.FEATURE_NAMES)) -> keras.Model:
    """The compiled network: Input(n_features) -> Dense(u, relu) for u in hidden_units -> Dense(n_classes).

    The last layer has no activation: it returns logits, and the loss applies the softmax itself
    (`from_logits=True`), as `tf.losses.sparse_softmax_cross_entropy` did in the model_fn.
    """
    units = check_hidden_units(hidden_units)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be a whole number >= 2, got {n_classes!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    inputs = keras.Input(shape=(n_features,), name="features")
    net = inputs
    for i, n in enumerate(units):
        net = keras.layers.Dense(n, activation="relu", name=f"hidden_{i + 1}")(net)
    logits = keras.layers.Dense(n_classes, name="logits")(net)
    model = keras.Model(inputs, logits, name="iris_dnn")
    model.compile(
        optimizer=keras.optimizers.Adagrad(learning_rate=learning_rate, initial_accumulator_value=0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def to_array(features: Mapping[str, Sequence[float]]) -> np.ndarray:
    """A feature dict (or DataFrame) as a float32 (n, 4) array, columns in `data.FEATURE_NAMES` order."""
    missing = [name for name in data.FEATURE_NAMES if name not in features]
    if missing:
        raise KeyError(f"features lack {missing}; a Keras model needs all of {data.FEATURE_NAMES}")
    return np.stack([np.asarray(features[name], dtype=np.float32) for name in data.FEATURE_NAMES], axis=1)


def _as_arrays(features: dict, labels):
    """dict of columns -> one (batch, 4) float32 tensor: the job `input_layer` did in the model_fn."""
    x = tf.stack([tf.cast(features[name], tf.float32) for name in data.FEATURE_NAMES], axis=1)
    return x, labels


def train_dataset(features, labels, batch_size: int) -> tf.data.Dataset:
    """The guide's training pipeline (`data.train_input_fn`), with each feature dict stacked into one array."""
    return data.train_input_fn(features, labels, batch_size).map(_as_arrays)


def eval_dataset(features, labels, batch_size: int) -> tf.data.Dataset:
    """The guide's evaluation pipeline (`data.eval_input_fn`: one pass, in order), as arrays."""
    return data.eval_input_fn(features, labels, batch_size).map(_as_arrays)


def predict_proba(model: keras.Model, features: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Class probabilities (softmax of the logits) for a feature dict: the model_fn's 'probabilities'."""
    # Calling the model directly: one small batch does not need predict()'s tf.function machinery.
    logits = model(to_array(features), training=False)
    return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))


def train_and_evaluate(hidden_units: Sequence[int] = (10, 10), steps: int = 1000, batch_size: int = 100,
                       learning_rate: float = 0.1, seed: int = BOOK_SEED, callbacks=None) -> KerasResult:
    """Train for `steps` batches, evaluate on the test split, predict the guide's three examples.

    `keras.utils.set_random_seed(seed)` seeds Python, NumPy and TensorFlow (the Glorot initial
    weights and the shuffle order), so a given seed gives the same result every time.
    `callbacks` go to `fit` as they are (e.g. `keras.callbacks.TensorBoard(log_dir)`).
    """
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    (train_x, train_y), (test_x, test_y) = data.load_data()
    keras.utils.set_random_seed(seed)
    model = build_model(hidden_units, n_classes=len(data.SPECIES), learning_rate=learning_rate)
    # The dataset repeats forever, so one "epoch" of `steps` batches is exactly `steps` training steps,
    # as Estimator.train(steps=...) counts them. shuffle=False: the pipeline already shuffles.
    model.fit(train_dataset(train_x, train_y, batch_size), epochs=1, steps_per_epoch=steps, shuffle=False,
              callbacks=callbacks, verbose=0)
    test_loss, test_accuracy = model.evaluate(eval_dataset(test_x, test_y, batch_size), verbose=0)
    probabilities = predict_proba(model, data.PREDICT_X)
    return KerasResult(
        model=model,
        steps=int(model.optimizer.iterations.numpy()),
        test_accuracy=float(test_accuracy),
        test_loss=float(test_loss),
        probabilities=probabilities,
        class_ids=probabilities.argmax(axis=1),
    )
