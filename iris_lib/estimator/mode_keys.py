"""The three reasons the Estimator calls a model_fn."""


class ModeKeys:
    """The three reasons the Estimator calls your model_fn (the strings the real one uses)."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"
