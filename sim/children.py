"""Child processes that die with their parent, so that a killed run leaves nothing computing behind."""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1


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
