"""Benchmark: how long `gridgov --help` and `import sim` take from a cold interpreter.

    python benchmarks/bench_startup.py            # median of 7 runs each
    python benchmarks/bench_startup.py --runs 15

Each figure is the wall time of a fresh process (interpreter start-up included), the median of
several runs so that one slow start (a cold disk cache) does not decide it. The `gridgov` used is
the one installed beside this interpreter (the project's .venv). Nothing is asserted: the test
suite checks instead that parsing arguments imports none of the heavy libraries
(tests/test_startup.py), which is what makes these times small.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall_time(command: list[str], runs: int) -> float:
    """Median wall time in seconds of running command `runs` times."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    args = parser.parse_args(argv)
    gridgov = Path(sys.executable).with_name("gridgov")
    commands = {
        "gridgov --help": [str(gridgov), "--help"],
        'python -c "import sim"': [sys.executable, "-c", "import sim"],
        'python -c "pass" (interpreter alone)': [sys.executable, "-c", "pass"],
    }
    for name, command in commands.items():
        print(f"{name:<40} {wall_time(command, args.runs):.3f} s (median of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
