"""A scenario notebook's process: a kernel that does not start is tried once more, any other error is not."""

from __future__ import annotations

import papermill
import pytest

from sim.batch import child

SPEC = {"notebook": "in.ipynb", "output": "out.ipynb", "parameters": {}, "kernel": "python3", "cwd": ".",
        "shutdown_wait_s": 1}


def failing(errors: list[Exception], calls: list[dict]):
    def execute_notebook(*args, **kwargs):
        calls.append(kwargs)
        if errors:
            raise errors.pop(0)
    return execute_notebook


def test_a_kernel_that_does_not_answer_is_started_once_more(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(papermill, "execute_notebook", failing([RuntimeError("Kernel didn't respond in 120 seconds")],
                                                               calls))
    child.execute(SPEC)
    assert len(calls) == 2 and calls[0]["start_timeout"] == child.KERNEL_START_S


def test_a_kernel_that_fails_to_start_twice_fails_the_notebook(monkeypatch):
    calls: list[dict] = []
    errors = [RuntimeError("Kernel died before replying to kernel_info")] * 2
    monkeypatch.setattr(papermill, "execute_notebook", failing(list(errors), calls))
    with pytest.raises(RuntimeError, match="kernel_info"):
        child.execute(SPEC)
    assert len(calls) == 2


def test_an_error_in_a_cell_is_not_retried(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(papermill, "execute_notebook", failing([ValueError("a cell failed")], calls))
    with pytest.raises(ValueError):
        child.execute(SPEC)
    assert len(calls) == 1
