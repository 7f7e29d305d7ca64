"""Give every chapter its Colab set-up cell: the first code cell, removed from the rendered book.

On Colab the notebook arrives alone, without iris_lib; this cell installs it from the repository named
in `_config.yml` (the one repository setting), with the `tensorflow` extra (pyproject.toml) so Colab gets the
TensorFlow the engine is tested on. Anywhere else it does nothing. Idempotent: run it (on every chapter, or on
the notebooks named on the command line) after adding a chapter or changing the URL, then `make execute`.
"""
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Colab only:"


def colab_source(repository_url: str) -> str:
    return (
        f"{MARKER} install the book's package (iris_lib) from its repository. Elsewhere this does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "iris_lib[tensorflow] @ git+{repository_url}"],\n'
        "                   check=True)"
    )


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
