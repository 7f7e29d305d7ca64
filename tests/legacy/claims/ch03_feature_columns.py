"""Chapter 3 (feature columns): its claims about tf.estimator's feature columns, and their facts.

    python tests/legacy/claims/ch03_feature_columns.py real|ours WORKDIR
"""
from ledger import CSV_COLUMNS, Claim, error_name, load_iris, main

PAGE = "chapters/03_feature_columns.ipynb"
SORTED = ["PetalLength", "PetalWidth", "SepalLength", "SepalWidth"]

CLAIMS = [
    Claim("ch03-numeric-column-fields", PAGE,
          quote="`shape=(1,)`: one number per example",
          says="numeric_column(key) has key, shape (1,), default_value None, dtype float32 and normalizer_fn None.",
          shows=("numeric_column_fields",),
          holds=lambda f: f["numeric_column_fields"] == {"key": "SepalLength", "shape": [1], "default_value": None,
                                                         "dtype": "float32", "normalizer_fn": None}),
    Claim("ch03-column-is-an-immutable-description", PAGE,
          quote="A feature column holds no data and computes nothing by itself; it is a small, immutable record of "
                "*how*\nto read one feature.",
          says="A numeric_column is a namedtuple: its fields cannot be assigned.",
          shows=("column_is_tuple", "assign_field_error"),
          holds=lambda f: f["column_is_tuple"] and f["assign_field_error"] == "AttributeError"),
    Claim("ch03-float32-whatever-the-input", PAGE,
          quote="whatever it says, and whatever the input's type (pandas gave us `float64`), the model receives\n"
                "  `float32`",
          says="input_layer turns float64 features into a float32 matrix.",
          shows=("input_layer_static", "input_feature_dtype"),
          holds=lambda f: f["input_feature_dtype"] == "float64" and f["input_layer_static"]["dtype"] == "float32"),
    Claim("ch03-default-value-for-parsing", PAGE,
          quote="This matters only when features are parsed from\n  `tf.Example` records (where a record can lack the "
                "feature: without a default, parsing it fails)",
          says="Parsing a tf.Example that lacks the feature fails for numeric_column without default_value and "
               "gives the default with one.",
          shows=("parse_missing_feature",),
          holds=lambda f: f["parse_missing_feature"] == {"no_default": "InvalidArgumentError", "default_0.5": [0.5]}),
    Claim("ch03-nan-flows-through", PAGE,
          quote="a NaN (a missing measurement read from a\n  CSV) is a value: it flows through",
          says="input_layer passes a NaN feature value through unchanged.",
          shows=("nan_passes_through",),
          holds=lambda f: f["nan_passes_through"]),
    Claim("ch03-normalizer-applied-first", PAGE,
          quote="`normalizer_fn=None`: an optional function applied to the value first",
          says="input_layer applies a numeric_column's normalizer_fn to the raw value.",
          shows=("normalizer_doubles",),
          holds=lambda f: f["normalizer_doubles"]),
    Claim("ch03-input-layer-shape", PAGE,
          quote="one tensor of shape `(None, 4)` and type `float32` comes out",
          says="input_layer of four numeric columns on a batch of unknown size is a (None, 4) float32 tensor.",
          shows=("input_layer_static",),
          holds=lambda f: f["input_layer_static"] == {"shape": [None, 4], "dtype": "float32"}),
    Claim("ch03-input-layer-sorts-by-name", PAGE,
          quote="it **sorts the columns by name** before joining\nthem",
          says="input_layer's matrix holds the columns in the order of their names, not of the list.",
          shows=("matrix_column_order", "reversed_list_same_matrix"),
          holds=lambda f: f["matrix_column_order"] == SORTED),
    Claim("ch03-any-order-same-matrix", PAGE,
          quote="Any order gives the same matrix",
          says="input_layer gives the same matrix for the column list reversed.",
          shows=("reversed_list_same_matrix",),
          holds=lambda f: f["reversed_list_same_matrix"]),
    Claim("ch03-sorted-order-takeaway", PAGE,
          quote="`input_layer` orders the columns **by name**, not by your list: `PetalLength, PetalWidth, "
                "SepalLength,\n  SepalWidth`. Any order of the list gives the same matrix.",
          says="input_layer's column order is PetalLength, PetalWidth, SepalLength, SepalWidth, for any list order.",
          shows=("matrix_column_order", "reversed_list_same_matrix"),
          holds=lambda f: f["matrix_column_order"] == SORTED and f["reversed_list_same_matrix"]),
    Claim("ch03-first-layer-rows", PAGE,
          quote="row 0 of the first layer's weights belongs\nto `PetalLength`, row 2 to `SepalLength`",
          says="Row i of a dense layer on input_layer multiplies the i-th column of the sorted order.",
          shows=("matrix_column_order",),
          holds=lambda f: f["matrix_column_order"][0] == "PetalLength" and f["matrix_column_order"][2] == "SepalLength"),
    Claim("ch03-bucket-boundaries", PAGE,
          quote="With boundaries 2.5 and 5.0, petal length falls into one of three buckets: below 2.5 cm, 2.5 to\n"
                "5.0 cm, and 5.0 cm or more",
          says="bucketized_column with boundaries [2.5, 5.0] one-hot encodes 1.5, 2.5, 4.9, 5.0, 5.6 as buckets "
               "0, 1, 1, 2, 2.",
          shows=("bucket_of",),
          holds=lambda f: f["bucket_of"] == {"one_hot": True, "buckets": [0, 1, 1, 2, 2]}),
    Claim("ch03-bucketized-name-and-width", PAGE,
          quote="(Its name is\n`PetalWidth_bucketized`.)",
          says="A bucketized PetalWidth column is named PetalWidth_bucketized and, with 2 boundaries, adds 3 columns "
               "at its sorted place.",
          shows=("bucketized_name", "wider_width", "wider_bucket_positions_one_hot"),
          holds=lambda f: f["bucketized_name"] == "PetalWidth_bucketized" and f["wider_width"] == 7
          and f["wider_bucket_positions_one_hot"]),
    Claim("ch03-missing-key-fails-in-input-layer", PAGE,
          quote="only when input_layer is called, since creating a column never looks at the data; the error names "
                "the missing feature",
          says="numeric_column('StemLength') is made without error; input_layer raises a ValueError naming it.",
          shows=("missing_key",),
          holds=lambda f: f["missing_key"] == {"create": None, "input_layer": "ValueError", "names_it": True}),
    Claim("ch03-categorical-through-indicator-or-embedding", PAGE,
          quote="categorical columns for words or ids (`categorical_column_with_vocabulary_list`, "
                "`..._with_hash_bucket`), which feed a\nnetwork through `indicator_column` (one-hot) or "
                "`embedding_column` (learned dense vectors)",
          says="input_layer refuses a categorical column (ValueError) and takes it wrapped in indicator_column "
               "(one-hot) or embedding_column.",
          shows=("categorical",),
          holds=lambda f: f["categorical"] == {"bare": "ValueError", "indicator_one_hot": True,
                                               "embedding_width": 2, "hash_bucket_exists": True,
                                               "crossed_exists": True}),
]


def facts(tf, workdir):
    import numpy as np

    (train_x, train_y), _ = load_iris()
    batch = train_x.head(5)
    fc = tf.feature_column
    columns = [fc.numeric_column(key=key) for key in CSV_COLUMNS[:4]]
    column = columns[0]
    try:
        column.key = "x"
        assign_error = None
    except Exception as error:  # noqa: BLE001
        assign_error = type(error).__name__

    results = {}
    with tf.Graph().as_default():
        dataset = tf.data.Dataset.from_tensor_slices(dict(batch)).batch(5)
        features = tf.data.make_one_shot_iterator(dataset).get_next()
        net = fc.input_layer(features, columns)
        reversed_net = fc.input_layer(features, columns[::-1])
        doubled = fc.input_layer(features, [fc.numeric_column("SepalLength", normalizer_fn=lambda x: x * 2)])
        nan = fc.input_layer({"a": tf.constant([1.0, float("nan")], tf.float64)}, [fc.numeric_column("a")])
        lengths = {"PetalLength": tf.constant([1.5, 2.5, 4.9, 5.0, 5.6], tf.float64)}
        buckets = fc.input_layer(lengths, [fc.bucketized_column(fc.numeric_column("PetalLength"), [2.5, 5.0])])
        width_buckets = fc.bucketized_column(fc.numeric_column("PetalWidth"), boundaries=[0.8, 1.75])
        wider = fc.input_layer(features, columns + [width_buckets])
        stem = fc.numeric_column("StemLength")
        try:
            fc.input_layer(features, columns + [stem])
            missing_error, missing_message = None, ""
        except Exception as error:  # noqa: BLE001
            missing_error, missing_message = type(error).__name__, str(error)
        words = {"word": tf.constant([["b"], ["a"], ["c"]])}
        vocabulary = fc.categorical_column_with_vocabulary_list("word", ["a", "b", "c"])
        bare_error = error_name(lambda: fc.input_layer(words, [vocabulary]))
        indicator = fc.input_layer(words, [fc.indicator_column(vocabulary)])
        embedded = fc.input_layer(words, [fc.embedding_column(vocabulary, dimension=2)])
        # Parsing tf.Example records that lack the feature.
        example = tf.train.Example(features=tf.train.Features(feature={
            "other": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))})).SerializeToString()
        parsed = {name: tf.io.parse_example(tf.constant([example]), fc.make_parse_example_spec([col]))
                  for name, col in (("no_default", fc.numeric_column("a")),
                                    ("default_0.5", fc.numeric_column("a", default_value=0.5)))}
        with tf.Session() as session:
            session.run([tf.global_variables_initializer(), tf.tables_initializer()])
            values, reversed_values, doubled_values, nan_values, bucket_values, wider_values, indicator_values, \
                embedded_values = session.run([net, reversed_net, doubled, nan, buckets, wider, indicator, embedded])
            for name, tensors in parsed.items():
                try:
                    results[name] = session.run(tensors)["a"].ravel().tolist()
                except Exception as error:  # noqa: BLE001
                    results[name] = type(error).__name__

    order = [None] * 4
    for key in CSV_COLUMNS[:4]:
        for i in range(4):
            if np.allclose(values[:, i], batch[key].to_numpy()):
                order[i] = key
    wider_names = sorted(c.name for c in columns + [width_buckets])
    start = wider_names.index("PetalWidth_bucketized")  # each numeric column before it is one wide
    return {
        "numeric_column_fields": {"key": column.key, "shape": list(column.shape), "default_value": column.default_value,
                                  "dtype": column.dtype.name, "normalizer_fn": column.normalizer_fn},
        "column_is_tuple": isinstance(column, tuple),
        "assign_field_error": assign_error,
        "input_feature_dtype": features["SepalLength"].dtype.name,
        "input_layer_static": {"shape": net.shape.as_list(), "dtype": net.dtype.name},
        "parse_missing_feature": results,
        "nan_passes_through": bool(np.isnan(nan_values[1, 0]) and nan_values[0, 0] == 1.0),
        "normalizer_doubles": bool(np.allclose(doubled_values[:, 0], 2 * batch["SepalLength"].to_numpy())),
        "matrix_column_order": order,
        "reversed_list_same_matrix": bool(np.array_equal(values, reversed_values)),
        "bucket_of": {"one_hot": bool(np.array_equal(bucket_values.sum(axis=1), np.ones(5))),
                      "buckets": bucket_values.argmax(axis=1).tolist()},
        "bucketized_name": width_buckets.name,
        "wider_width": int(wider_values.shape[1]),
        "wider_bucket_positions_one_hot": bool(np.array_equal(wider_values[:, start:start + 3].sum(axis=1), np.ones(5))),
        "missing_key": {"create": error_name(lambda: fc.numeric_column("StemLength")), "input_layer": missing_error,
                        "names_it": "StemLength" in missing_message},
        "categorical": {"bare": bare_error,
                        "indicator_one_hot": indicator_values.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]],
                        "embedding_width": int(embedded_values.shape[1]),
                        "hash_bucket_exists": callable(getattr(fc, "categorical_column_with_hash_bucket", None)),
                        "crossed_exists": callable(getattr(fc, "crossed_column", None))},
    }


if __name__ == "__main__":
    main(facts)
