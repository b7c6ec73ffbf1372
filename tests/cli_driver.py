"""Run many gridgov command lines in one child process, each with a watchdog, for the hostile-input tests.

`python -m tests.cli_driver` reads a JSON list of calls (`argv`, `cwd`, `watchdog_s`) on stdin and prints one
JSON list of results: exit status, stderr, stdout, and `escaped` (the traceback of an exception
that got out of `sim.cli.main`, or "timeout" when a call ran longer than its watchdog). Importing
the package once for dozens of calls keeps the tests in seconds; `run_calls` also puts a timeout
on the child as a whole, so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WATCHDOG_S = 60  # per call: a refusal takes well under a second; generous for a loaded machine
MARKER = "\n@@gridgov-driver-results@@\n"  # the results follow it (anything a command printed comes before)


class Hang(BaseException):
    """A call that did not return within its watchdog."""


def _on_alarm(signum, frame):
    raise Hang()


def run_one(argv: list[str], cwd: str, watchdog_s: int = WATCHDOG_S) -> dict:
    from sim.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    escaped = ""
    code = None
    previous = os.getcwd()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(watchdog_s)
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(argv)
    except Hang:
        escaped = "timeout"
    except BaseException:  # noqa: B036 - the test reports whatever got out
        escaped = traceback.format_exc()
    finally:
        signal.alarm(0)
        os.chdir(previous)
    return {"argv": argv, "code": code, "stderr": stderr.getvalue(), "stdout": stdout.getvalue(), "escaped": escaped}


def run_calls(calls: list[dict], timeout_s: float = 300) -> list[dict]:
    """Each call ({"argv": [...], "cwd": "...", optional "watchdog_s"}) in one child process; fails
    (TimeoutExpired) if the child hangs."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg")
    env.pop("GRIDGOV_TRACEBACK", None)
    done = subprocess.run([sys.executable, "-m", "tests.cli_driver"], input=json.dumps(calls), capture_output=True,
                          text=True, timeout=timeout_s, cwd=ROOT, env=env)
    assert done.returncode == 0 and MARKER in done.stdout, done.stderr[-3000:]
    return json.loads(done.stdout.rsplit(MARKER, 1)[1])


if __name__ == "__main__":
    results = [run_one(call["argv"], call.get("cwd", os.getcwd()), call.get("watchdog_s", WATCHDOG_S))
               for call in json.loads(sys.stdin.read())]
    sys.stdout.write(MARKER + json.dumps(results))
