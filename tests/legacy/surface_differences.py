"""The explained differences between the real tf.estimator's public surface (TF 2.15) and iris_lib's.

Each entry is (qualified name, aspect, difference, reason): the first three exactly as
`scripts/surface_table.py` prints them (`--draft` lists the unexplained ones in this form), the reason a
plain statement of why, "not implemented yet" where that is the truth. A name starting with `*.` stands for
both `tf.estimator.` and `tf.compat.v1.estimator.` (each must differ so). `tests/test_parity_surface.py`
(`make parity`) fails on a difference missing here and on an entry here that no longer differs; the table on
companion/differences.md is generated from this list: `.venv/bin/python scripts/surface_table.py`.
"""

NOT_YET = "Not implemented yet (it raises MissingFromIrisLib)."
LEARNING_RATE = ("Deliberate addition: `learning_rate=` sets the default optimizer's rate (the real one fixed it "
                 "unless you passed an optimizer object); see \"It takes `learning_rate=`\" above.")
EXPORT_SAVEDMODEL = ("iris_lib has one class for both namespaces; the real TF2 class hid the TF1 name "
                     "`export_savedmodel` (an AttributeError: use `export_saved_model`), iris_lib's keeps it.")
SUBMODULE = ("iris_lib's namespace is its implementation package, so its submodules show in `dir()`; the real one "
             "was a generated API module. Nothing a real program used is affected.")

EXPLAINED = [
    # Names the real one had that iris_lib lacks: each raises MissingFromIrisLib with what to use instead.
    ("tf.compat.v1.estimator.tpu", "name", "missing: raises MissingFromIrisLib",
     "Cannot exist here: TPUEstimator needs TPU hardware and TensorFlow 1's TPU runtime."),

    # Names iris_lib has that the real one did not.
    ("*.export.export", "name", "not in the real one (a module here)", SUBMODULE),
    ("*.export.export_lib", "name", "not in the real one (a module here)", SUBMODULE),
    ("*.export.export_output", "name", "not in the real one (a module here)", SUBMODULE),
    ("*.export.saved_model", "name", "not in the real one (a module here)", SUBMODULE),
    ("tf.compat.v1.estimator.inputs.numpy_io", "name", "not in the real one (a module here)", SUBMODULE),
    ("tf.compat.v1.estimator.inputs.pandas_io", "name", "not in the real one (a module here)", SUBMODULE),

    # RunConfig.
    ("*.RunConfig", "properties", "adds experimental_distribute",
     "iris_lib keeps the constructor argument as a read-only property (always None: a value other than None is "
     "refused, tf.contrib's DistributeConfig being gone); the real one had no such property."),

    # The canned Estimators, V1 (tf.compat.v1.estimator) and V2 (tf.estimator).
    *[(f"*.{name}", "parameters", "adds `learning_rate`", LEARNING_RATE)
      for name in ("DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor")],
    ("tf.estimator.Estimator", "method export_savedmodel", "not in the real one", EXPORT_SAVEDMODEL),
]
