"""Child processes: how many to start by default, and that they die with their parent.

Foundations only (the standard library): the command line reads `default_jobs` while it builds
its parser, before any heavy library is imported.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it), at least 1."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def die_with_parent(parent_pid: int) -> None:
    """In a child process: be killed when the parent dies, even by SIGKILL (Linux only).

    Call it first thing in the child, with the parent's pid as the parent saw it: if the parent
    died before the signal was armed, the child exits at once. Elsewhere this does nothing; the
    output folder's lock and markers still keep results consistent.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        sys.exit(1)
