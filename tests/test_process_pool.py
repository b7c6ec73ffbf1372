"""The local process pool stops cleanly: a failed or interrupted batch never hangs on its workers."""

from __future__ import annotations

import subprocess
import sys
import time

from sim.experiment.executors import ProcessExecutor, TaskStopped

from .conftest import ROOT


def big_result_or_failure(i: int) -> bytes:
    """Task 5 fails; the others return results large enough to be mid-send when the pool is stopped."""
    if i == 5:
        raise ValueError("task 5 failed")
    return bytes(20_000_000)


STOP_AMID_LARGE_RESULTS = """
from sim.experiment.executors import ProcessExecutor
from tests.test_process_pool import big_result_or_failure
for attempt in range(5):
    try:
        ProcessExecutor(2).map(big_result_or_failure, list(range(12)))
    except ValueError:
        pass
    else:
        raise SystemExit("the failure was not raised")
"""


def test_a_failing_task_stops_the_pool_even_while_other_workers_send_results():
    # Workers killed mid-send used to leave half a result in the pipe and the pool waiting forever.
    finished = subprocess.run([sys.executable, "-c", STOP_AMID_LARGE_RESULTS], cwd=ROOT, timeout=120,
                              capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr


def test_the_error_of_the_failed_task_is_the_one_raised():
    try:
        ProcessExecutor(2).map(big_result_or_failure, [5, 1])
    except ValueError as error:
        assert str(error) == "task 5 failed"
    else:
        raise AssertionError("no error raised")


def fail_soon_or_sleep_long(i: int) -> None:
    if i == 0:
        time.sleep(0.5)
        raise ValueError("task 0 failed")
    time.sleep(120)


def test_a_stopped_pool_stops_its_running_tasks_instead_of_waiting_for_them():
    started = time.monotonic()
    try:
        ProcessExecutor(2).map(fail_soon_or_sleep_long, [0, 1])
    except ValueError:
        pass
    assert time.monotonic() - started < 60  # the other task would have slept 120 s


def test_a_stopped_task_reads_as_an_interruption():
    assert issubclass(TaskStopped, KeyboardInterrupt)  # the CLI reports it with the resume hint, exit 130
