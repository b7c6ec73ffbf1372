"""Reading a file a user named, safely: regular files only, never blocking, never more than a byte limit.

Every file gridgov reads (scenario and batch files, `extends:` parents, notebooks, manifests,
markers, case logs) goes through `read_bytes`. It opens without blocking (`O_NONBLOCK`, so a
FIFO cannot hang the open), then checks with `fstat` on the open descriptor that the file is a
regular file (a FIFO, a socket, a device such as `/dev/zero`, whose `st_size` is 0, or a folder
is refused by name), refuses at once a file whose size is over the limit, and enforces the limit
while reading too (a file that grows while it is read). A symlink loop, a name too long, a
missing file or a permission problem is one InputError naming the file. With `follow=False`
the last component must not be a symlink (`O_NOFOLLOW`): for the program's own files in a
results folder, which a symlink must never redirect.

`check_not_an_input` refuses an output path that is one of the command's inputs, so that no
command ever overwrites the file it reads.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError

KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link"}

_OPEN_ERRORS = {
    errno.ENOENT: "file not found",
    errno.ELOOP: "is a symbolic link loop (or a symbolic link where gridgov's own file must be), not a file",
    errno.ENAMETOOLONG: "the file name is too long for the file system",
    errno.EACCES: "permission denied",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
}


def kind_of(mode: int) -> str:
    """What a file is, in words ("a FIFO (named pipe)", "a folder", ...), from its st_mode."""
    return KINDS.get(stat.S_IFMT(mode), "not a regular file")


def describe_os_error(error: OSError) -> str:
    """An OSError as the end of a sentence (no traceback, no errno number)."""
    return _OPEN_ERRORS.get(error.errno or 0, error.strerror or str(error))


def read_bytes(path: str | Path, *, limit: int, what: str = "file", follow: bool = True) -> bytes:
    """The content of a regular file of at most limit bytes; InputError naming the file otherwise.

    what names the file in messages ("scenario file", "case log"). follow=False refuses a
    symbolic link as the last component of path.
    """
    path = Path(path)
    if str(path) == "":
        raise InputError(f"the {what} name is empty; give a file name")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow and path.is_symlink():
            raise InputError(f"is a symbolic link; gridgov's own {what} must be a plain file (remove the link)",
                             where=str(path)) from None
        raise InputError(_open_message(error, what), where=str(path)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"is {kind_of(info.st_mode)}, not a regular file; a {what} must be a regular file",
                             where=str(path))
        if info.st_size > limit:
            raise InputError(f"is {info.st_size:,} bytes; a {what} may be at most {limit:,} bytes", where=str(path))
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputError(f"holds more than {limit:,} bytes; a {what} may be at most {limit:,} bytes",
                                 where=str(path))
        return b"".join(chunks)
    except OSError as error:
        raise InputError(f"cannot read the {what}: {describe_os_error(error)}", where=str(path)) from None
    finally:
        os.close(fd)


def _open_message(error: OSError, what: str) -> str:
    if error.errno == errno.ENOENT:
        return "file not found" if Path(error.filename or "").parent.exists() or not error.filename \
            else "file not found (its folder does not exist either)"
    return f"cannot open the {what}: {describe_os_error(error)}"


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (both existing and identical, or resolving to the same path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError):
            return False


def check_not_an_input(output: Path, inputs: Iterable[Path], option: str) -> None:
    """Refuse an output path that is the same file as one of the inputs (option names the option in the message)."""
    for source in inputs:
        if same_file(output, source):
            raise InputError(f"{option} {output} is the input file {source}; it would be overwritten. "
                             f"Choose another {option}")
