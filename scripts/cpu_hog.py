"""Keep CPU cores busy for a bounded time (`make test-portable` runs the notebooks on a loaded machine).

Usage: python scripts/cpu_hog.py [--processes 2] [--seconds 600]
Each busy process stops by itself after --seconds, or as soon as this script ends or is killed
(SIGTERM, SIGINT, or SIGKILL: a worker notices its parent is gone within a tenth of a second).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def burn(deadline: float, parent: int) -> None:
    while time.monotonic() < deadline and os.getppid() == parent:
        end = time.monotonic() + 0.1
        while time.monotonic() < end:
            pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    if args.processes < 1 or not 0 < args.seconds <= 3600:
        parser.error("--processes must be at least 1 and --seconds between 0 and 3600")
    deadline = time.monotonic() + args.seconds
    parent = os.getpid()
    workers = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            burn(deadline, parent)
            os._exit(0)
        workers.append(pid)

    def stop(signum, frame):
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in workers:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
