"""Give every chapter its Colab set-up cell: the first code cell, removed from the rendered book.

On Colab the notebook arrives alone, without iris_lib; this cell installs it from the repository named
in `_config.yml` (the one repository setting), with the `tensorflow` extra (pyproject.toml) so Colab gets the
TensorFlow the engine is tested on. That replaces the TensorFlow Colab preinstalls, which a running kernel
cannot swap: the cell says so and restarts the runtime, and the reader runs the notebook again. Anywhere else
it does nothing. Idempotent: run it (on every chapter, or on the notebooks named on the command line) after
adding a chapter or changing the URL, then `make execute`.
"""
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Colab only:"
# The TensorFlow the engine is tested on: the `tensorflow` extra of pyproject.toml, e.g. "tensorflow>=2.21,<2.22".
TESTED_TENSORFLOW = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["tensorflow"][0]


def colab_source(repository_url: str) -> str:
    return f"""{MARKER} install the book's package (iris_lib) from its repository. Elsewhere this does nothing.
# It brings the TensorFlow the book is tested on ({TESTED_TENSORFLOW}), which replaces Colab's own TensorFlow.
# A running Python cannot swap TensorFlow, so when it was replaced (or already imported) this cell restarts the
# runtime: then run the notebook again from the top (this cell finds iris_lib installed and does nothing).
import sys

if "google.colab" in sys.modules:
    import importlib
    import importlib.metadata
    import importlib.util

    def installed_tensorflow():
        try:
            return importlib.metadata.version("tensorflow")
        except importlib.metadata.PackageNotFoundError:
            return None

    if importlib.util.find_spec("iris_lib") is None:
        import subprocess

        before = installed_tensorflow()
        print(f"Installing iris_lib with {TESTED_TENSORFLOW}, in place of Colab's TensorFlow {{before}}.")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "iris_lib[tensorflow] @ git+{repository_url}"],
                       check=True)
        importlib.invalidate_caches()
        if "tensorflow" in sys.modules or installed_tensorflow() != before:
            print(f"Restarting the runtime so that Python loads TensorFlow {{installed_tensorflow()}} "
                  "(Runtime > Restart session). Then run the notebook again from the top.", flush=True)
            get_ipython().kernel.do_shutdown(restart=True)"""


def main(argv: list[str]) -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    for path in [Path(p) for p in argv] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        cell = nbformat.v4.new_code_cell(colab_source(url), metadata={"tags": ["remove-cell"]})
        existing = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and c.source.startswith(MARKER)]
        if existing:
            cell.id = notebook.cells[existing[0]].id
            notebook.cells[existing[0]] = cell
        else:
            notebook.cells.insert(1, cell)
        nbformat.write(notebook, path)
        print(f"{path.name}: Colab cell {'updated' if existing else 'added'}")


if __name__ == "__main__":
    main(sys.argv[1:])
