"""A cluster on this machine: one process per task, each with its own `TF_CONFIG`, as Kubernetes would start it.

    python -m iris_lib.cluster --workers 2 --model_dir models/cluster [-- PROGRAM ARGS...]

starts the parameter servers, the chief, the workers and the evaluator of one `train_and_evaluate` program
(default: `python -m iris_lib.train_on_a_cluster`) on free loopback ports, streams their logs with a task
prefix, reports each trainer's last logged step and the evaluator's metrics, stops the parameter servers
(SIGTERM) once the others are done, and stops every process it started on Ctrl-C or when a task fails.
TensorFlow's own gRPC servers do the distributed work; this only starts processes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field

DEFAULT_PROGRAM = [sys.executable, "-m", "iris_lib.train_on_a_cluster"]
_STEP = re.compile(r"loss = [^,]+, step = (\d+)")
_METRICS = re.compile(r"Saving dict for global step (\d+): (.*)")


@dataclass
class Task:
    kind: str
    index: int
    process: subprocess.Popen | None = None
    last_step: int | None = None
    lines: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.kind} {self.index}" if self.kind in ("ps", "worker") else self.kind


def free_ports(count: int) -> list[int]:
    """Ports the kernel has just handed out on 127.0.0.1 (released for the servers to bind)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def reserve_ports(count: int) -> list[socket.socket]:
    """Ports held on 127.0.0.1 until the cluster stops, so that no other process is handed one meanwhile (two
    clusters started at once, as by tests in parallel, would otherwise meet). Each is bound, not listening, with
    SO_REUSEPORT, which a TensorFlow gRPC server started with TF_GRPC_REUSE_PORT=1 shares: it alone listens."""
    sockets = []
    for _ in range(count):
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", 0))
        sockets.append(held)
    return sockets


def tf_configs(ps: int, workers: int, evaluator: bool, model_dir: str | None,
               ports: list[int] | None = None) -> list[tuple[Task, dict]]:
    """Each task with its TF_CONFIG: the cluster (ps, one chief, workers) and its own type and index."""
    ports = iter(ports or free_ports(ps + 1 + workers))
    cluster = {"chief": [f"127.0.0.1:{next(ports)}"]}
    if ps:
        cluster["ps"] = [f"127.0.0.1:{next(ports)}" for _ in range(ps)]
    if workers:
        cluster["worker"] = [f"127.0.0.1:{next(ports)}" for _ in range(workers)]
    tasks = ([Task("ps", i) for i in range(ps)] + [Task("chief", 0)] + [Task("worker", i) for i in range(workers)]
             + ([Task("evaluator", 0)] if evaluator else []))
    extra = {"model_dir": os.path.abspath(model_dir)} if model_dir else {}
    return [(task, {"cluster": cluster, "task": {"type": task.kind, "index": task.index}, **extra}) for task in tasks]


def _stream(task: Task, process: subprocess.Popen, out) -> None:
    for line in process.stdout:
        line = line.rstrip("\n")
        task.lines.append(line)
        step = _STEP.search(line)
        if step:
            task.last_step = int(step.group(1))
        print(f"[{task.name}] {line}", file=out, flush=True)
        metrics = _METRICS.search(line)
        if metrics:
            print(f"[progress] the evaluator scored global step {metrics.group(1)}: {metrics.group(2)}", file=out,
                  flush=True)


class Cluster:
    """The processes of one cluster: `start()`, then `wait()` (or `stop()`); each task's exit code."""

    def __init__(self, program: list[str], ps: int = 1, workers: int = 2, evaluator: bool = True,
                 model_dir: str | None = None, out=sys.stdout):
        self.program, self.out = program, out
        self._held_ports = reserve_ports(ps + 1 + workers) if hasattr(socket, "SO_REUSEPORT") else []
        self.layout = tf_configs(ps, workers, evaluator, model_dir,
                                 [held.getsockname()[1] for held in self._held_ports] or None)
        self.tasks: list[Task] = []
        self._readers: list[threading.Thread] = []

    def task(self, name: str) -> Task:
        return next(task for task in self.tasks if task.name == name)

    def start(self) -> "Cluster":
        for task, tf_config in self.layout:
            self.tasks.append(task)
            self._launch(task, tf_config)
        return self

    def restart(self, name: str) -> Task:
        """Start a task that has ended (killed, failed) again, with the same TF_CONFIG: as Kubernetes restarts a
        pod. A restarted chief resumes from the newest checkpoint; a restarted evaluator from the newest too."""
        task = self.task(name)
        if task.process.poll() is None:
            raise RuntimeError(f"{name} is still running: stop it before restarting it")
        task.lines.append(f"--- {name} restarted ---")
        self._launch(task, next(tf_config for each, tf_config in self.layout if each is task))
        return task

    def _launch(self, task: Task, tf_config: dict) -> None:
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "PYTHONUNBUFFERED": "1"}
        if self._held_ports:  # the servers share the ports this holds
            env["TF_GRPC_REUSE_PORT"] = "1"
        task.process = subprocess.Popen(self.program, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True)
        reader = threading.Thread(target=_stream, args=(task, task.process, self.out), daemon=True)
        reader.start()
        self._readers.append(reader)

    def wait(self) -> dict[str, int]:
        """Wait for the chief, the workers and the evaluator, then stop the ps. A worker that fails is
        reported and the others go on (the chief only talks to the ps); a failed chief stops everything."""
        try:
            for task in self.tasks:
                if task.kind != "ps" and task.process.wait() != 0:
                    self._say(f"{task.name} failed (exit code {task.process.returncode})")
                    if task.kind == "chief":
                        break
        except KeyboardInterrupt:
            self._say("Ctrl-C: stopping every task")
            raise
        finally:
            self.stop()
        return self.exit_codes()

    def stop(self) -> None:
        """SIGTERM to every task still running (the ps never ends by itself), then wait for each."""
        for task in self.tasks:
            if task.process.poll() is None:
                task.process.send_signal(signal.SIGTERM)
        for task in self.tasks:
            try:
                task.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                task.process.kill()
                task.process.wait()
        for reader in self._readers:
            reader.join()
        for held in self._held_ports:
            held.close()
        steps = ", ".join(f"{task.name} {task.last_step}" for task in self.tasks if task.last_step is not None)
        self._say(f"exit codes: {self.exit_codes()}; last logged global step per trainer: {steps or 'none'}")

    def exit_codes(self) -> dict[str, int | None]:
        return {task.name: task.process.returncode for task in self.tasks}

    def _say(self, text: str) -> None:
        print(f"[cluster] {text}", file=self.out, flush=True)


def main(argv: list[str]) -> int:
    program = DEFAULT_PROGRAM
    if "--" in argv:
        argv, program = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--ps", default=1, type=int, help="parameter servers")
    parser.add_argument("--workers", default=2, type=int, help="workers besides the chief")
    parser.add_argument("--no_evaluator", action="store_true")
    parser.add_argument("--model_dir", default=None, help="given to every task in TF_CONFIG['model_dir']")
    args = parser.parse_args(argv)
    codes = Cluster(program, args.ps, args.workers, not args.no_evaluator, args.model_dir).start().wait()
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
