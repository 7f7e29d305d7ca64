"""See `iris_lib.estimator.canned.linear_optimizer`."""
