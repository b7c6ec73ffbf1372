"""The names a results folder reserves for gridgov, and a failure to write into it as one clear error."""

from __future__ import annotations

import errno
import os
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


def check_own_entries(folder: Path) -> None:
    """Refuse a results folder whose reserved names (lock, work log) are symlinks or of the wrong kind."""
    for name in RESERVED:
        entry = Path(folder) / name
        if entry.is_symlink():
            raise OutputError(f"{name} is a symbolic link; gridgov's own {name} is never written through a link. "
                              "Remove it or choose another --out", where=str(folder))
    work = Path(folder) / WORK
    if os.path.lexists(work) and not work.is_dir():
        raise OutputError(f"{WORK} is not a folder; it is gridgov's work log. Remove it or choose another --out",
                          where=str(folder))
