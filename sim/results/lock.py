"""One gridgov process per results folder: an exclusive lock that the operating system drops when its holder dies.

`folder_lock(folder)` holds `folder/.gridgov.lock` (an OS-level lock: `flock` on Linux and macOS,
through the `filelock` package's `LockFileEx` on Windows) for as long as a command writes. The
lock file is opened without following a symlink and without truncating it, and must be a regular
file: a `.gridgov.lock` that is a link to another file is refused, never written through.
The lock belongs to the open file, so a process that dies in any way, even by SIGKILL, releases
it. A second process is refused at once with `FolderInUse` (an InputError: exit 2, one line
naming the folder and the holder's pid). Within one process the lock is re-entrant: the CLI
holds the folder for the whole command and writing the results takes it again.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import InputError, OutputError
from ..safe_io import kind_of, read_bytes
from . import store
from .folder import LOCK, LOCK_HOLDER, check_own_entries, writing_errors

try:
    import fcntl
except ImportError:  # Windows: filelock's LockFileEx
    fcntl = None  # type: ignore[assignment]


class _LockFile:
    """An exclusive, re-entrant OS lock on a lock file opened with O_NOFOLLOW and never truncated (POSIX)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.count = 0

    def acquire(self, timeout: float = 0) -> None:
        if self.fd is not None:
            self.count += 1
            return
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise OutputError(f"{LOCK} is a symbolic link; gridgov's lock file must be a plain file and is "
                                  "never written through a link. Remove it", where=str(self.path.parent)) from None
            raise
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise OutputError(f"{LOCK} is {kind_of(info.st_mode)}; gridgov's lock file must be a plain file. "
                              "Remove it", where=str(self.path.parent))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise Timeout(str(self.path)) from None
            raise
        self.fd, self.count = fd, 1

    def release(self) -> None:
        if self.fd is None:
            return
        self.count -= 1
        if self.count == 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _lock_file(path: Path):
    if fcntl is not None:
        return _LockFile(path)
    if Path(path).is_symlink():
        raise OutputError(f"{LOCK} is a symbolic link; remove it", where=str(Path(path).parent))
    return FileLock(path, thread_local=False)


_HELD: dict[tuple[int, Path], _LockFile | FileLock] = {}  # folders this process holds: (pid, resolved path)


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
    check_own_entries(folder)  # before the lock file is created: a symlinked work log refuses the folder untouched
    # Shared by the threads of this process: the process is the writer, not one of its threads.
    lock = _lock_file(folder / LOCK)
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
    probe = _lock_file(folder / LOCK)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return _recorded_holder(folder) or -1
    except (OSError, InputError):  # the lock file cannot be opened here (another account's folder, a link)
        return None
    probe.release()
    return None


def _recorded_holder(folder: Path) -> int | None:
    try:
        return int(read_bytes(Path(folder) / LOCK_HOLDER, limit=64, what="lock holder file", follow=False)
                   .decode("ascii").strip() or 0) or None
    except (InputError, ValueError):
        return None
