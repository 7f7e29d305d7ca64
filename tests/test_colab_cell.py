"""The Colab set-up cell says that it replaces Colab's TensorFlow, restarts the runtime when it did, and does
nothing anywhere else (scripts/add_colab_cell.py writes it into every chapter)."""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
try:
    import add_colab_cell
finally:
    sys.path.pop(0)

URL = "https://github.com/example/book"
SOURCE = add_colab_cell.colab_source(URL)


def test_the_cell_says_it_replaces_colabs_tensorflow_and_asks_for_a_restart() -> None:
    ast.parse(SOURCE)
    comments = "\n".join(line for line in SOURCE.splitlines() if line.startswith("#"))
    assert comments.startswith(add_colab_cell.MARKER)
    assert "replaces Colab's own TensorFlow" in comments and "restarts the" in comments
    assert add_colab_cell.TESTED_TENSORFLOW.startswith("tensorflow>=") and add_colab_cell.TESTED_TENSORFLOW in comments
    assert f'"iris_lib[tensorflow] @ git+{URL}"' in SOURCE


def test_outside_colab_the_cell_prints_nothing_and_starts_nothing() -> None:
    """Run in a fresh Python that records every process it starts (an audit hook)."""
    probe = (
        "import sys\n"
        "started = []\n"
        "sys.addaudithook(lambda event, args: started.append(args[0]) if event == 'subprocess.Popen' else None)\n"
        f"exec({SOURCE!r})\n"
        "sys.stderr.write(repr(started))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout == ""
    assert run.stderr == "[]"


class _FakeColab:
    """Colab as the cell sees it: google.colab imported, pip that swaps TensorFlow, a kernel to restart."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tensorflow_before: str | None, tensorflow_after: str | None):
        self.versions = {"tensorflow": tensorflow_before}
        self.installed = False
        self.pip_commands: list[list[str]] = []
        self.restarts: list[bool] = []
        google = types.ModuleType("google")
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        monkeypatch.setitem(sys.modules, "google", sys.modules.get("google", google))
        real_find_spec = importlib.util.find_spec

        def find_spec(name, *args):
            return (object() if self.installed else None) if name == "iris_lib" else real_find_spec(name, *args)

        def version(name):
            if self.versions.get(name) is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return self.versions[name]

        def pip(command, check):
            self.pip_commands.append(command)
            self.installed, self.versions["tensorflow"] = True, tensorflow_after

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
        monkeypatch.setattr(importlib.metadata, "version", version)
        monkeypatch.setattr(subprocess, "run", pip)
        self.kernel = types.SimpleNamespace(do_shutdown=lambda restart: self.restarts.append(restart))

    def run_cell(self) -> None:
        exec(SOURCE, {"get_ipython": lambda: types.SimpleNamespace(kernel=self.kernel)})


def test_on_colab_replacing_tensorflow_says_so_and_restarts_the_runtime_once(monkeypatch, capsys) -> None:
    colab = _FakeColab(monkeypatch, tensorflow_before="2.19.0", tensorflow_after="2.21.0")
    colab.run_cell()
    out = capsys.readouterr().out
    assert colab.pip_commands == [[sys.executable, "-m", "pip", "install", "-q", f"iris_lib[tensorflow] @ git+{URL}"]]
    assert "in place of Colab's TensorFlow 2.19.0" in out
    assert "Restarting the runtime so that Python loads TensorFlow 2.21.0" in out
    assert colab.restarts == [True]
    colab.run_cell()  # after the restart, the reader runs the notebook again: nothing to install, no restart
    assert len(colab.pip_commands) == 1 and colab.restarts == [True] and capsys.readouterr().out == ""


def test_on_colab_the_runtime_keeps_running_when_tensorflow_was_neither_replaced_nor_imported(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    colab = _FakeColab(monkeypatch, tensorflow_before="2.21.0", tensorflow_after="2.21.0")
    colab.run_cell()
    assert len(colab.pip_commands) == 1 and colab.restarts == []
