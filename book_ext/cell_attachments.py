"""A notebook's cell attachments become images in the built book.

Chapter 7 carries its TensorBoard screenshot as a cell attachment (`![...](attachment:NAME)`), so the image
travels with the notebook to Colab, GitHub and Jupyter, where a relative path to a file beside it breaks.
MyST-NB leaves such a URI unresolved; this points it at the same image in the page's `images/` folder (the
file `scripts/tensorboard_screenshot.py` writes and attaches; `tests/test_tensorboard_screenshot.py` checks
that the two hold the same bytes), before Sphinx collects the page's images.
"""
from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)
PREFIX = "attachment:"


def _resolve(app, doctree: nodes.document) -> None:
    docname = app.env.docname
    folder = Path(app.env.doc2path(docname)).parent
    for node in doctree.findall(nodes.image):
        uri = node.get("uri", "")
        if not uri.startswith(PREFIX):
            continue
        relative = f"images/{uri[len(PREFIX):]}"
        if not (folder / relative).is_file():
            logger.warning(f"{uri}: no {relative} beside the page to show in the book", location=node)
            continue
        node["uri"] = relative


def setup(app):
    app.connect("doctree-read", _resolve, priority=100)  # before Sphinx's image collector (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
