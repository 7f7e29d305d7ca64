"""Small conveniences that keep the book's notebooks reproducible, run after run and machine to machine.

nbval compares every stored output with a fresh run, so model directories must start empty and
have the same path each time, and randomness must be seeded. The folders themselves live under the
machine's temp dir (`tempfile.gettempdir()`: `/tmp` on Linux, `/var/folders/...` on macOS, whatever
TMPDIR says), so the book never prints their real path: it shows `<models>/ch07_tensorboard`, and
`python -m iris_lib.notebook [name]` prints the real folder on the reader's own machine.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import tempfile
from pathlib import Path

# A seed with which the book's [10, 10] models train well. (Some seeds, 42 among them, start the
# network with most second-layer ReLUs dead, and 1000 steps never leave 0.27 accuracy.)
BOOK_SEED = 7
MODELS_ROOT = Path(tempfile.gettempdir()) / "custom-estimators-hands-on"
MODELS_LABEL = "<models>"  # how the book writes MODELS_ROOT, the same on every machine


def fresh_model_dir(name: str) -> str:
    """An empty model_dir with a stable path (`<models>/<name>`, see `MODELS_ROOT`).

    Starting empty matters: an Estimator resumes from whatever checkpoint it finds, so a second run
    of a notebook would otherwise continue training instead of reproducing the first.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"model_dir name must be a plain folder name, got {name!r}")
    path = MODELS_ROOT / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return str(path)


@contextlib.contextmanager
def logged_warnings():
    """The warnings TensorFlow's logger gives inside the block, as a list to print, instead of its
    `WARNING:tensorflow:` lines: a cell shows the one warning it is about, and nothing else leaks into the
    book's outputs."""
    logger = logging.getLogger("tensorflow")
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    saved = logger.handlers[:]
    logger.handlers = [Collect(logging.WARNING)]
    try:
        yield messages
    finally:
        logger.handlers = saved


def shown(path: str | Path) -> str:
    """A path as the book prints it: `<models>/ch06_custom/...` for the book's folders, else unchanged.

    The real path depends on the machine (its temp dir), and a printed one would differ for every
    reader and fail nbval's strict comparison on the next machine.
    """
    path = Path(path)
    try:
        relative = path.relative_to(MODELS_ROOT)
    except ValueError:
        return str(path)
    return "/".join((MODELS_LABEL, *relative.parts))


def tensorboard_command_for(name: str | None = None) -> str:
    """The `tensorboard --logdir` line for a book folder (or all of them) that runs as printed anywhere.

    The folder's real path is different on every machine, so the line asks this module for it: the
    shell (bash, zsh, PowerShell) substitutes `$(python -m iris_lib.notebook NAME)`, quoted so that a
    temp dir with spaces works. Run it where `python` is the book's environment (the one that has
    TensorBoard).
    """
    if name is not None and (not name or "/" in name or "\\" in name or name.startswith(".")):
        raise ValueError(f"the folder must be a plain name such as 'ch07_tensorboard', got {name!r}")
    where = "python -m iris_lib.notebook" + (f" {name}" if name else "")
    return f'tensorboard --logdir "$({where})"'


def main(argv: list[str]) -> int:
    """`python -m iris_lib.notebook [name]`: print where the book's model folders (or one of them) are."""
    if len(argv) > 1:
        print("usage: python -m iris_lib.notebook [folder name, e.g. ch07_tensorboard]", file=sys.stderr)
        return 2
    print(MODELS_ROOT / argv[0] if argv else MODELS_ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
