"""The names a results folder reserves for gridgov, and a failure to write into it as one clear error."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

MANIFEST = "manifest.json"  # written last: its presence marks the folder complete
LOCK = ".gridgov.lock"  # held by the one process writing to the folder
LOCK_HOLDER = ".gridgov.pid"  # that process's pid (the lock library truncates the lock file itself)
WORK = ".gridgov"  # finished units of work of a command that has not completed the folder yet

RESERVED = (MANIFEST, LOCK, LOCK_HOLDER, WORK)


@contextmanager
def writing_errors(folder: Path) -> Iterator[None]:
    """Turn an OSError while writing results (full disk, read-only folder) into one clear OutputError."""
    try:
        yield
    except OSError as error:
        if isinstance(error, FileNotFoundError) and error.filename and not Path(folder).exists():
            reason = "the output folder disappeared while writing"
        else:
            reason = error.strerror or str(error)
        hint = " (free some disk space)" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        raise OutputError(
            f"cannot write the results: {reason}{hint}; the folder is NOT marked complete (no {MANIFEST}). "
            "Fix the problem and run the same command again, or choose another --out",
            where=str(folder),
        ) from None
