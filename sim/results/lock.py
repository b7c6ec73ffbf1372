"""One gridgov process per results folder: an exclusive lock that the operating system drops when its holder dies.

`folder_lock(folder)` holds `folder/.gridgov.lock` (an OS-level lock through the `filelock`
package: `flock` on Linux and macOS, `LockFileEx` on Windows) for as long as a command writes.
The lock belongs to the open file, so a process that dies in any way, even by SIGKILL, releases
it. A second process is refused at once with `FolderInUse` (an InputError: exit 2, one line
naming the folder and the holder's pid). Within one process the lock is re-entrant: the CLI
holds the folder for the whole command and writing the results takes it again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import InputError
from . import store
from .folder import LOCK, LOCK_HOLDER, writing_errors

_HELD: dict[tuple[int, Path], FileLock] = {}  # the folders this process holds: (pid, resolved path); a fork holds none


class FolderInUse(InputError):
    """Another gridgov process is writing to this results folder."""


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold the results folder for this process (creating it if needed); refuse if another process holds it."""
    folder = store.prepare_folder(folder)
    key = (os.getpid(), folder.resolve())
    held = _HELD.get(key)
    if held is not None:
        held.acquire(timeout=0)  # ours already: only counts one more level
        try:
            yield folder
        finally:
            held.release()
        return
    # Shared by the threads of this process: the process is the writer, not one of its threads.
    lock = FileLock(folder / LOCK, thread_local=False)
    with writing_errors(folder):
        try:
            lock.acquire(timeout=0)
        except Timeout:  # an OSError too: refused here, before writing_errors would call it a write failure
            holder = _recorded_holder(folder)
            who = f" (pid {holder})" if holder else ""
            raise FolderInUse(
                f"the output folder is in use by another gridgov process{who}; "
                "wait for it to finish or choose another --out",
                where=str(folder),
            ) from None
    _HELD[key] = lock
    try:
        with writing_errors(folder):
            store.atomic_write(folder / LOCK_HOLDER, lambda tmp: tmp.write_text(f"{os.getpid()}\n"))
        yield folder
    finally:
        del _HELD[key]
        (folder / LOCK_HOLDER).unlink(missing_ok=True)  # before releasing: the next holder writes its own
        lock.release()


def lock_holder(folder: Path) -> int | None:
    """The pid of the process writing to folder now (-1 if it is not known), or None if nobody holds its lock."""
    folder = Path(folder)
    if (os.getpid(), folder.resolve()) in _HELD:
        return os.getpid()
    if not (folder / LOCK).exists():
        return None
    probe = FileLock(folder / LOCK, thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return _recorded_holder(folder) or -1
    except OSError:  # the lock file cannot be opened here (another account's folder): no holder known
        return None
    probe.release()
    return None


def _recorded_holder(folder: Path) -> int | None:
    try:
        return int((Path(folder) / LOCK_HOLDER).read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
