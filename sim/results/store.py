"""Writing results to disk: tables, charts and run metadata, each file written whole or not at all.

Every file goes to a temporary name in the same folder and is renamed into place, so a reader
never sees a half-written table. Names that come from users (scenario names) are sanitised
before they become file names: results never land outside the chosen output folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import re
import stat
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import pandas as pd

from ..errors import InputError, OutputError
from ..safe_io import kind_of

TEMPORARY_TAG = "gridgov-"  # in every temporary's name, so that clean-up never takes a user's own .tmp file
PACKAGES = ("gridgov", "simpy", "numpy", "pandas", "scipy", "pydantic", "matplotlib")


MAX_NAME_BYTES = 120  # of a name in a file name: room left for prefixes, suffixes and a temporary's tail in 255


def safe_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file-name-safe version of a user-given name (no separators, no '..', no leading dot).

    Cut to max_bytes of UTF-8 at a character boundary (a Chinese character is 3 bytes; file
    systems count bytes), so that every file name built from it fits in 255 bytes.
    """
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "unnamed"
    cleaned = cleaned.replace("..", "_")
    cut = cleaned.encode("utf-8", "surrogateescape")[:max_bytes].decode("utf-8", "ignore")
    return cut.rstrip("._") or "unnamed"


def distinct_file_names(names: list[str]) -> dict[str, str]:
    """safe_name of each name; InputError if two different names would share a file name."""
    files: dict[str, str] = {}
    for name in names:
        file = safe_name(name)
        clash = next((other for other, f in files.items() if f == file and other != name), None)
        if clash is not None:
            raise InputError(f"the names {clash!r} and {name!r} would both be written as {file!r}; rename one of them")
        files[name] = file
    return files


def prepare_folder(folder: Path) -> Path:
    """The output folder, created if needed; InputError if it cannot be (a file there, no permission)."""
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        raise InputError(f"is {_kind(folder)}, not a folder; choose a folder for the results", where=str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}", where=str(folder)) from None
    if not os.access(folder, os.W_OK):
        raise InputError("the output folder is not writable", where=str(folder))
    return folder


def _kind(path: Path) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "a broken symbolic link or an unreadable entry"
    return "a file" if stat.S_ISREG(mode) else kind_of(mode)


def own_folder(root: Path, folder: Path) -> Path:
    """A folder inside the results folder root, created if needed, refused if any part below root is a symlink
    or not a folder: gridgov's own folders must never lead outside root."""
    root, folder = Path(root), Path(folder)
    try:
        relative = folder.relative_to(root)
    except ValueError:
        raise OutputError(f"{folder} is not inside the results folder", where=str(root)) from None
    try:
        root.mkdir(parents=True, exist_ok=True)  # the results folder itself is the user's choice (it may be a link)
    except OSError as error:
        raise OutputError(f"cannot create the results folder: {error.strerror}", where=str(root)) from None
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink() or (os.path.lexists(current) and not current.is_dir()):
            what = "a symbolic link" if current.is_symlink() else "not a folder"
            raise OutputError(f"{current.relative_to(root)} is {what}; gridgov writes its own files there and will "
                              "not follow it out of the results folder. Remove it or choose another --out",
                              where=str(root))
        try:
            current.mkdir(exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create {current.relative_to(root)}: {error.strerror}", where=str(root)) from None
    return folder


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp_path), flush it to disk, then rename tmp_path to path.

    The temporary is `.<name>.gridgov-<random>.tmp` in the same folder (see manifest.is_temporary);
    it gets the usual permissions (0666 minus the umask), not mkstemp's private 0600. The rename
    replaces a symlink at path, never writes through it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TEMPORARY_TAG}", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_json(data: dict, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str)))


def write_figure(figure, path: Path, dpi: int = 150) -> Path:
    import matplotlib.pyplot as plt

    fmt = path.suffix.lstrip(".")
    try:
        return atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format=fmt))
    finally:
        plt.close(figure)


def file_sha256(path: Path) -> str:
    """SHA-256 of a regular file (opened without blocking: a FIFO put in its place is an OSError, not a hang)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_metadata(**fields) -> dict:
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "versions": package_versions(),
        **fields,
    }
