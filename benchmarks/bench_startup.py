"""Benchmark: how long `gridgov --help`, `import sim` and getting ready to simulate take from a cold interpreter.

    python benchmarks/bench_startup.py            # median of 7 runs each
    python benchmarks/bench_startup.py --runs 15

Each figure is the wall time of a fresh process (interpreter start-up included), the median of
several runs so that one slow start (a cold disk cache) does not decide it. The `gridgov` used is
the one installed beside this interpreter (the project's .venv). Nothing is asserted: the test
suite checks instead that parsing arguments imports none of the heavy libraries
(tests/test_startup.py), which is what makes these times small.

"ready to simulate" is what a notebook child (a batch's notebook, run by papermill) does before
its first simulated event: import the model with its mechanisms and KPIs (numpy, pandas, scipy,
simpy, pydantic) and load and validate a scenario. On a shared machine every figure includes
waiting for a core, so each is also given above the interpreter alone (`python -c pass`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall_time(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) in seconds of running command `runs` times."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    args = parser.parse_args(argv)
    gridgov = Path(sys.executable).with_name("gridgov")
    scenario = Path(__file__).resolve().parent.parent / "params" / "luzhou_2034.yaml"
    ready = ("import sim.experiment.runs; from sim.params import load_scenario; "
             f"load_scenario({str(scenario)!r})")
    commands = {
        'python -c "pass" (interpreter alone)': [sys.executable, "-c", "pass"],
        "gridgov --help": [str(gridgov), "--help"],
        'python -c "import sim"': [sys.executable, "-c", "import sim"],
        "ready to simulate (notebook child)": [sys.executable, "-c", ready],
    }
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    alone = None
    for name, command in commands.items():
        seconds, cpu = wall_time(command, args.runs)
        above = "" if alone is None else f"; {seconds - alone:+.3f} s wall above the interpreter alone"
        alone = seconds if alone is None else alone
        print(f"{name:<40} {seconds:.3f} s wall, {cpu:.3f} s CPU (medians of {args.runs}{above})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
