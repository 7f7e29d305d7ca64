"""Binder: the files it reads say what the book needs, and a simulated Binder start runs the chapters.

Binder installs requirements.txt, the reader's set (tests/test_requirements.py: it covers every chapter's
imports and brings no developer tool). The simulation (scripts/simulate_binder.sh: a clean clone, a fresh
Python 3.11 venv from requirements.txt, checked free of the developer's tools, then the first and the last
chapter executed in it; CI's strict nbval runs every chapter on a fresh install of requirements-dev.txt, which
includes it) takes minutes, so it runs only with IRIS_BINDER=1 (`make binder`, CI).
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Files that make repo2docker ignore requirements.txt or build the image another way.
SHADOWING = ["binder", ".binder", "environment.yml", "Pipfile", "Pipfile.lock", "Dockerfile"]


def test_runtime_txt_asks_binder_for_python_3_11() -> None:
    assert (REPO / "runtime.txt").read_text().strip() == "python-3.11"


def test_requirements_install_iris_lib_on_binder() -> None:
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    installs_package = any(re.fullmatch(r"(-e\s+)?\.", line) for line in lines)
    post_build = REPO / "postBuild"
    assert installs_package or (post_build.exists() and "pip install" in post_build.read_text()), \
        "neither requirements.txt (`-e .`) nor postBuild installs iris_lib: the chapters could not import it"
    if post_build.exists():
        assert os.access(post_build, os.X_OK), "postBuild must be executable, or repo2docker fails"


def test_nothing_makes_binder_ignore_requirements_txt() -> None:
    present = [name for name in SHADOWING if (REPO / name).exists()]
    assert not present, f"{present} would make repo2docker ignore requirements.txt or runtime.txt"


@pytest.mark.skipif(os.environ.get("IRIS_BINDER") != "1", reason="slow (a fresh venv): IRIS_BINDER=1 or make binder")
def test_a_binder_start_runs_the_first_and_the_last_committed_chapter() -> None:
    run = subprocess.run(["bash", "scripts/simulate_binder.sh"], cwd=REPO, capture_output=True, text=True,
                         timeout=1800)
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"the simulated Binder start failed:\n{log[-5000:]}"
    committed = subprocess.run(["git", "ls-files", "chapters/*.ipynb"], cwd=REPO, capture_output=True, text=True,
                               check=True).stdout.split()
    chapters = sorted(path for path in committed if re.fullmatch(r"chapters/\d\d_\w+\.ipynb", path))
    assert len(chapters) >= 2, "fewer than two committed chapters to run"
    for chapter in (chapters[0], chapters[-1]):
        assert f"executed {chapter} without errors" in log, f"{chapter} was not executed:\n{log[-3000:]}"
