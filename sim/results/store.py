"""Writing results to disk: tables, charts and run metadata, each file written whole or not at all.

Every file goes to a temporary name in the same folder and is renamed into place, so a reader
never sees a half-written table. Names that come from users (scenario names) are sanitised
before they become file names: results never land outside the chosen output folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import pandas as pd

from ..errors import InputError

PACKAGES = ("gridgov", "simpy", "numpy", "pandas", "scipy", "pydantic", "matplotlib")


def safe_name(name: str) -> str:
    """A file-name-safe version of a user-given name (no separators, no '..', no leading dot)."""
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "unnamed"
    cleaned = cleaned.replace("..", "_")
    return cleaned[:100]


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
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}", where=str(folder)) from None
    if not os.access(folder, os.W_OK):
        raise InputError("the output folder is not writable", where=str(folder))
    return folder


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp_path), flush it to disk, then rename tmp_path to path.

    The temporary is `.<name>.<random>.tmp` in the same folder (see manifest.is_temporary); it gets
    the usual permissions (0666 minus the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
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
