"""The guide's `custom_estimator.py`: train, evaluate and predict Iris with `my_model_fn`.

Run `python -m iris_lib.custom_estimator [--batch_size 100] [--train_steps 1000]`, or call
`main()` from a notebook (it ignores the kernel's own command line).
"""
from __future__ import annotations

import argparse

from iris_lib import quiet  # noqa: F401
from iris_lib import data
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.model import my_model_fn

import tensorflow as tf


def make_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description, allow_abbrev=False)
    parser.add_argument("--batch_size", default=100, type=int, help="batch size")
    parser.add_argument("--train_steps", default=1000, type=int, help="number of training steps")
    parser.add_argument("--model_dir", default=None, help="where checkpoints go (default: a temporary folder)")
    parser.add_argument("--seed", default=None, type=int, help="tf_random_seed, for reproducible runs")
    return parser


def feature_columns(train_x=None) -> list:
    """One numeric column per feature of `train_x` (default: the four Iris measurements), used as it is."""
    keys = data.FEATURE_NAMES if train_x is None else train_x.keys()
    return [tf.compat.v1.feature_column.numeric_column(key=key) for key in keys]


def run_guide_program(classifier, args, train, test) -> dict:
    """Train, evaluate on the test split and predict the guide's three examples, printing as the guide does."""
    (train_x, train_y), (test_x, test_y) = train, test
    classifier.train(input_fn=lambda: data.train_input_fn(train_x, train_y, args.batch_size),
                     steps=args.train_steps)
    eval_result = classifier.evaluate(input_fn=lambda: data.eval_input_fn(test_x, test_y, args.batch_size))
    print("\nTest set accuracy: {accuracy:0.3f}\n".format(**eval_result))
    predictions = list(classifier.predict(
        input_fn=lambda: data.eval_input_fn(data.PREDICT_X, labels=None, batch_size=args.batch_size)))
    for pred_dict, expected in zip(predictions, data.EXPECTED):
        class_id = pred_dict["class_ids"][0]
        probability = pred_dict["probabilities"][class_id]
        print('\nPrediction is "{}" ({:.1f}%), expected "{}"'.format(data.SPECIES[class_id], 100 * probability, expected))
    return {"eval": eval_result, "predictions": predictions}


def main(argv: list[str] | None = None) -> dict:
    args = make_parser(__doc__.splitlines()[0]).parse_args([] if argv is None else argv)
    train, test = data.load_data()
    classifier = Estimator(
        model_fn=my_model_fn,
        model_dir=args.model_dir,
        config=RunConfig(tf_random_seed=args.seed),
        params={
            "feature_columns": feature_columns(train[0]),
            "hidden_units": [10, 10],  # two hidden layers of 10 nodes each
            "n_classes": 3,  # three species
        },
    )
    return run_guide_program(classifier, args, train, test)


if __name__ == "__main__":
    import sys

    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    main(sys.argv[1:])
