"""The call-flow figure says what the engine does: each row is checked against a real call."""
import fnmatch
import os

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from support import eval_fn, make_estimator, predict_fn, train_fn  # noqa: E402
from iris_lib import data  # noqa: E402
from iris_lib.custom_estimator import feature_columns  # noqa: E402
from iris_lib.diagrams import CALL_FLOW, plot_call_flow  # noqa: E402
from iris_lib.estimator import EstimatorSpec, ModeKeys  # noqa: E402

CALLS = {call.method: call for call in CALL_FLOW}


def _files(model_dir) -> set[str]:
    """What a call leaves in model_dir, but the engine's own hidden files (its training lock)."""
    return {os.path.relpath(os.path.join(root, name), model_dir)
            for root, _, names in os.walk(model_dir) for name in names if not name.startswith(".")}


def _matches(files: set[str], patterns) -> None:
    for pattern in patterns:  # every file the figure names is written ...
        assert fnmatch.filter(files, pattern.replace("-N.", "-*.")), f"{pattern} not written: {sorted(files)}"
    for name in files:  # ... and nothing else is
        assert any(fnmatch.fnmatch(name, p.replace("-N.", "-*.")) for p in patterns), f"{name} is not in the figure"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The files each call adds to model_dir, in the order train, evaluate, predict."""
    iris = data.load_data()
    model_dir = tmp_path_factory.mktemp("flow")
    classifier = make_estimator(model_dir, feature_columns())
    added = {}
    for method, run in [("train", lambda: classifier.train(train_fn(iris), steps=5)),
                        ("evaluate", lambda: classifier.evaluate(eval_fn(iris))),
                        ("predict", lambda: list(classifier.predict(predict_fn())))]:
        before = _files(model_dir)
        added[method] = (run(), _files(model_dir) - before)
    return classifier, added


@pytest.mark.parametrize("method", ["train", "evaluate", "predict"])
def test_each_call_writes_the_files_the_figure_shows(written, method):
    _matches(written[1][method][1], CALLS[method].files)


def test_each_call_returns_what_the_figure_says(written):
    classifier, added = written
    assert added["train"][0] is classifier and CALLS["train"].returns == "the Estimator"
    assert isinstance(added["evaluate"][0], dict) and CALLS["evaluate"].returns == "dict of metrics"
    assert all(isinstance(p, dict) for p in added["predict"][0]) and CALLS["predict"].returns == "generator of dicts"


@pytest.mark.parametrize("call", CALL_FLOW, ids=lambda c: c.method)
def test_the_spec_fields_drawn_are_exactly_the_ones_each_mode_requires(call):
    assert call.mode in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT)
    with tf.Graph().as_default():
        value = tf.constant(1.0)
        full = {name: value if name != "predictions" else {"x": value} for name in call.spec_fields}
        EstimatorSpec(mode=call.mode, **full)  # the drawn fields suffice ...
        for name in call.spec_fields:  # ... and each is needed
            with pytest.raises(ValueError, match=name):
                EstimatorSpec(mode=call.mode, **{k: v for k, v in full.items() if k != name})


def test_the_figure_draws_one_row_of_five_steps_per_call():
    fig = plot_call_flow()
    gids = {artist.get_gid() for artist in fig.axes[0].get_children() if artist.get_gid()}
    assert gids == {f"{c.method}/{step}" for c in CALL_FLOW for step in ("input_fn", "model_fn", "spec", "session", "files")}
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "mode = 'infer'\n(ModeKeys.PREDICT)" in texts and "(nothing written)" in texts
