"""The guide's `premade_estimator.py`: the same task with the pre-made `DNNClassifier`.

Run `python -m iris_lib.premade_estimator [--batch_size 100] [--train_steps 1000]`, or call `main()`.
"""
from __future__ import annotations

from iris_lib import quiet  # noqa: F401  (silences TensorFlow's start-up lines before it is imported)

from iris_lib import data
from iris_lib.custom_estimator import feature_columns, make_parser, run_guide_program
from iris_lib.estimator import RunConfig
from iris_lib.premade import DNNClassifier

import tensorflow as tf


def main(argv: list[str] | None = None) -> dict:
    args = make_parser(__doc__.splitlines()[0]).parse_args([] if argv is None else argv)
    train, test = data.load_data()
    classifier = DNNClassifier(
        feature_columns=feature_columns(train[0]),
        hidden_units=[10, 10],
        n_classes=3,
        model_dir=args.model_dir,
        config=RunConfig(tf_random_seed=args.seed),
    )
    return run_guide_program(classifier, args, train, test)


if __name__ == "__main__":
    import sys

    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
    main(sys.argv[1:])
