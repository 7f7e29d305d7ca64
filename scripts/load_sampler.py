"""How busy the machine was while a process ran, and a floor under it: CI's proof that `make test` ran loaded.

Usage: python scripts/load_sampler.py --while-pid PID [--at-least 6] [--every 1]
Until PID ends, samples the number of runnable processes (procs_running in /proc/stat: those on a core or
waiting for one). With --at-least N, whenever the other work on the machine leaves fewer than N runnable,
busy spinners make up the difference (CI's other lanes are the load while they run; the spinners take over
when they end), and are stopped when PID ends. Prints one line: the samples, their median and mean, and the
share of samples with at least N runnable.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SPIN = "while True: pass"


def procs_running() -> int:
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("procs_running"):
                return int(line.split()[1]) - 1  # not counting this sampler, which is running as it reads
    raise RuntimeError("/proc/stat has no procs_running line")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--while-pid", type=int, required=True)
    parser.add_argument("--at-least", type=int, default=0, help="keep at least this many runnable (0: only sample)")
    parser.add_argument("--every", type=float, default=1.0)
    args = parser.parse_args()
    samples: list[int] = []
    spinners: list[subprocess.Popen] = []
    try:
        while alive(args.while_pid):
            runnable = procs_running()
            samples.append(runnable)
            others = runnable - len(spinners)  # spinners are always runnable
            wanted = max(0, args.at_least - others)
            while len(spinners) < wanted:
                spinners.append(subprocess.Popen([sys.executable, "-c", SPIN]))
            while len(spinners) > wanted:
                spinners.pop().kill()
            time.sleep(args.every)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    if not samples:
        print("no samples (the process had ended)")
        return
    floor = args.at_least or 6
    loaded = sum(count >= floor for count in samples) / len(samples)
    print(f"{len(samples)} samples of runnable processes: median {statistics.median(samples):g}, "
          f"mean {statistics.fmean(samples):.1f}, at least {floor} in {loaded:.0%} of them")


if __name__ == "__main__":
    main()
