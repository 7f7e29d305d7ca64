"""The GitHub Actions workflow for forks runs the project's own CI entry point and publishes the book."""
from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "book.yml"
ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job: dict) -> list[dict]:
    return job["steps"]


def test_workflow_runs_on_push_and_pull_request() -> None:
    triggers = load()[True]  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers


def test_workflow_runs_ci_run_so_it_stays_in_step_with_it() -> None:
    job = load()["jobs"]["test-and-build"]
    commands = [step.get("run", "") for step in steps(job)]
    assert ".ci/run" in commands, "the workflow must call .ci/run, not a copy of its commands"
    assert "make book" in commands
    assert (REPO / ".ci" / "run").is_file()
    assert job["env"]["IRIS_BROWSER"] == "1", "browser tests must fail, not skip, in CI"
    python = next(s for s in steps(job) if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"].split()[-1] == "3.11", "the default python3 must be the book's 3.11"


def test_workflow_publishes_the_built_book_from_main_only() -> None:
    jobs = load()["jobs"]
    upload = next(s for s in steps(jobs["test-and-build"])
                  if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert upload["if"] == ON_MAIN
    deploy = jobs["deploy"]
    assert deploy["if"] == ON_MAIN and deploy["needs"] == "test-and-build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps(deploy))
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
