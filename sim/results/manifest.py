"""A results folder's manifest, written last so that its presence means complete, and verification against it.

The conventions every command that writes a results folder follows (`gridgov run`, `compare`,
and the batch runner):

1. **One writer.** Hold `folder_lock(folder)` (`sim.results.lock`; also importable from here,
   because the protocol below is used together with it) for as long as the command writes.
2. **Complete only when the manifest says so.** `begin_results(folder)` (under the lock)
   deletes `manifest.json` and any temporary left by a killed writer, so a folder being
   rewritten is never mistaken for a finished one. Every file is written to a temporary name and
   renamed into place (`store.atomic_write`). `finish_results(folder, run, files)` is the last
   write: the manifest lists every file with its SHA-256, size and (for tables) row count,
   together with what ran; then the work log of finished units (`sim.results.worklog`) is
   dropped. A folder with a manifest is complete; one without is not.
3. **Verification.** `verify(folder)` checks a folder against its manifest: missing, altered and
   extra files, a manifest edited by hand, a folder still being written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..safe_io import kind_of, read_bytes
from . import store
from .folder import MANIFEST, RESERVED, WORK, check_own_entries, writing_errors
from .lock import folder_lock, lock_holder
from .worklog import WorkLog

__all__ = ["FORMAT", "MANIFEST", "Verification", "begin_results", "clean_temporaries", "file_entry", "finish_results",
           "folder_lock", "is_temporary", "manifest_checksum", "read_manifest", "result_files", "table_rows", "verify",
           "write_manifest", "writing_errors"]

FORMAT = "gridgov-manifest/1"


# --------------------------------------------------------------------------- a folder being written

_TEMPORARY = re.compile(r"^\..+\.gridgov-[a-z0-9_]{8}\.tmp$")  # store.atomic_write's temporaries
MAX_MANIFEST_BYTES = 50_000_000


def is_temporary(path: Path) -> bool:
    """A file store.atomic_write had not yet renamed into place (its writer was killed)."""
    return bool(_TEMPORARY.match(Path(path).name))


def own_folders(folder: Path) -> list[Path]:
    """The folders of a results folder that gridgov wrote files into, as its own records name them.

    The folder itself, the folders of the files its previous manifest lists, the scenario and
    notebook folders its batch.json lists, and its work log. Nothing else is ever cleaned.
    """
    folder = Path(folder)
    found = {folder}
    manifest = _read_json(folder / MANIFEST)
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
        found |= {(folder / name).parent for name in manifest["files"] if isinstance(name, str)}
    batch = _read_json(folder / "batch.json")
    if isinstance(batch, dict) and isinstance(batch.get("scenarios"), list):
        for entry in batch["scenarios"]:
            if isinstance(entry, dict) and isinstance(entry.get("folder"), str):
                found.add(folder / entry["folder"])
            if isinstance(entry, dict) and isinstance(entry.get("notebook"), str):
                found.add((folder / entry["notebook"]).parent)
        found.add(folder / "charts")
    work = folder / WORK
    if work.is_dir() and not work.is_symlink():
        found |= {p for p in [work, *work.rglob("*")] if p.is_dir() and not p.is_symlink()}
    return sorted(p for p in found if p.is_dir() and _inside(folder, p) and not _crosses_a_link(folder, p))


def clean_temporaries(folder: Path) -> list[Path]:
    """Remove gridgov temporaries left by a killed writer, only in the folders gridgov's records name.

    Call only while holding the folder lock. A user's own `.tmp` files, and anything in folders
    gridgov did not write, are left alone.
    """
    removed = []
    for directory in own_folders(folder):
        for path in directory.glob(".*.tmp"):
            if is_temporary(path) and not path.is_symlink() and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _crosses_a_link(folder: Path, path: Path) -> bool:
    current = Path(folder)
    for part in Path(path).relative_to(folder).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def _read_json(path: Path):
    """A JSON file gridgov wrote (a plain file, not a link), or None if it is missing or damaged."""
    try:
        return json.loads(read_bytes(path, limit=MAX_MANIFEST_BYTES, what="manifest", follow=False))
    except (InputError, ValueError, RecursionError):
        return None


def begin_results(folder: Path) -> None:
    """Mark folder as being (re)written: no manifest, no stale temporaries. Call while holding the lock."""
    folder = Path(folder)
    check_own_entries(folder)
    with writing_errors(folder):
        clean_temporaries(folder)
        (folder / MANIFEST).unlink(missing_ok=True)


# --------------------------------------------------------------------------- the manifest


def file_entry(path: Path) -> dict:
    """SHA-256, size and, for tables, the row count of one file."""
    entry: dict = {"sha256": store.file_sha256(path), "bytes": path.stat().st_size}
    rows = table_rows(path)
    if rows is not None:
        entry["rows"] = rows
    return entry


def table_rows(path: Path) -> int | None:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    if path.suffix == ".csv":
        return int(len(pd.read_csv(path, low_memory=False)))
    return None


def result_files(folder: Path) -> list[Path]:
    """Every file of a results folder, as the manifest lists them (not the lock, the work log, temporaries)."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or relative.parts[0] in RESERVED or is_temporary(path):
            continue  # gridgov never writes a symlink: one is not a result, and is never followed
        found.append(path)
    return found


def _relative(folder: Path, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        raise ValueError(f"{path} is not inside the results folder {folder}") from None


def manifest_checksum(manifest: dict) -> str:
    body = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_manifest(folder: Path, run: dict, files: Iterable[Path] | None = None) -> Path:
    """Write folder/manifest.json LAST: what ran and every file with checksum, size and rows.

    `run` describes what ran (command, parameters hash, seed, code version, ...); `files` are the
    paths of the files this command wrote, anywhere under folder (default: every file in it).
    Call it only after every file is
    in place: its presence is what marks the folder complete.
    """
    folder = Path(folder)
    paths = result_files(folder) if files is None else [Path(p) for p in files]
    with writing_errors(folder):
        entries = {_relative(folder, p): file_entry(Path(p)) for p in paths}
        manifest = {
            "format": FORMAT,
            "complete": True,
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "run": run,
            "files": dict(sorted(entries.items())),
        }
        manifest["manifest_sha256"] = manifest_checksum(manifest)
        return store.write_json(manifest, folder / MANIFEST)


def finish_results(folder: Path, run: dict, files: Iterable[Path] | None = None) -> Path:
    """Write the manifest, then drop the work log of finished units: the folder is complete."""
    path = write_manifest(folder, run, files)
    WorkLog(folder).clear()
    return path


def read_manifest(folder: Path) -> dict | None:
    """The manifest's content; None without one; ValueError if it is not a plain, readable JSON file."""
    path = Path(folder) / MANIFEST
    if not os.path.lexists(path):
        return None
    try:
        data = read_bytes(path, limit=MAX_MANIFEST_BYTES, what="manifest", follow=False)
    except InputError as error:
        raise ValueError(str(error).removeprefix(f"{path}: ")) from None
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("it is nested too deeply to be a gridgov manifest") from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None


# --------------------------------------------------------------------------- verification


@dataclass
class Verification:
    """What `verify` found: the folder is OK when nothing is missing or altered and the manifest is sound."""

    folder: Path
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    checked: int = 0
    run: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.problems or self.missing or self.altered)

    def lines(self) -> list[str]:
        out = list(self.problems)
        out += [f"missing: {name}" for name in self.missing]
        out += [f"altered: {name} (checksum or size differs from the manifest)" for name in self.altered]
        out += [f"extra (not in the manifest, not checked): {name}" for name in self.extra]
        if self.ok:
            ran = f"; written by: {self.run['command']}" if self.run.get("command") else ""
            out.insert(0, f"OK: {self.checked} file(s) match {self.folder / MANIFEST}{ran}")
        return out


def verify(folder: Path) -> Verification:
    """Check a results folder against its manifest. Raises InputError if folder is not a folder."""
    folder = Path(folder)
    if not os.path.lexists(folder):
        raise InputError("no such folder", where=str(folder))
    if not folder.is_dir():
        raise InputError(f"is {_kind(folder)}, not a results folder", where=str(folder))
    result = Verification(folder)
    holder = lock_holder(folder)
    if holder:
        pid = f" (pid {holder})" if holder > 0 else ""
        result.problems.append(f"not complete: a gridgov process{pid} is still writing to this folder")
    try:
        manifest = read_manifest(folder)
    except (ValueError, OSError) as error:
        result.problems.append(f"{MANIFEST} is unreadable ({error}); the folder cannot be trusted")
        return result
    if manifest is None:
        result.problems.append(
            f"not complete: no {MANIFEST} (the command that wrote this folder was interrupted or failed; "
            "run the same command again to complete it)"
        )
        return result
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"),
                                                                                            dict):
        result.problems.append(f"{MANIFEST} is not a gridgov manifest ({FORMAT})")
        return result
    if manifest.get("manifest_sha256") != manifest_checksum(manifest):
        result.problems.append(f"{MANIFEST} was edited after it was written (its own checksum does not match)")
    if manifest.get("complete") is not True:
        result.problems.append(f"{MANIFEST} does not mark the folder complete")
    run = manifest.get("run")
    if run is not None and not isinstance(run, dict):
        result.problems.append(f"{MANIFEST}: 'run' must be a mapping of what ran, got a {type(run).__name__}")
    result.run = run if isinstance(run, dict) else {}
    for name, expected in manifest["files"].items():
        result.checked += 1
        path = folder / name
        if not isinstance(expected, dict) or not _inside(folder, path) or _crosses_a_link(folder, path) \
                or not path.is_file():
            result.missing.append(name)
            continue
        try:
            if path.stat().st_size != expected.get("bytes") or store.file_sha256(path) != expected.get("sha256"):
                result.altered.append(name)
        except OSError as error:
            result.problems.append(f"{name} cannot be read ({error.strerror or error})")
    listed = set(manifest["files"])
    result.extra = [p.relative_to(folder).as_posix() for p in result_files(folder)
                    if p.relative_to(folder).as_posix() not in listed]
    if (folder / WORK).exists() and any((folder / WORK).rglob("*")):
        result.extra.append(f"{WORK}/ (work log of an unfinished re-run)")
    return result


def _kind(path: Path) -> str:
    if path.is_symlink():
        try:
            path.stat()
        except OSError as error:
            return "a symbolic link loop" if error.errno == errno.ELOOP else "a dangling symbolic link"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"unreadable ({error.strerror})"
    return "a file" if stat.S_ISREG(mode) else kind_of(mode)


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False
