"""Give every chapter its Colab set-up cell: the first code cell, removed from the rendered book.

On Colab the notebook arrives alone, without iris_lib; this cell installs it from the repository named
in `_config.yml` (the one repository setting). Anywhere else it does nothing. Idempotent: run it after
adding a chapter or changing the repository URL, then `make execute`.
"""
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
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{repository_url}"], check=True)'
    )


def main() -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
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
    main()
