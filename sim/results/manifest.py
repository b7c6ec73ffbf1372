"""Results folders that can be trusted: one writer at a time, a manifest written last, verification, resume markers.

The conventions every command that writes a results folder follows (`gridgov run`, `compare`,
and the batch runner):

1. **One writer.** `folder_lock(folder)` holds an exclusive `flock` on `folder/.gridgov.lock`
   for as long as the command writes. The kernel drops the lock when the process dies, even by
   SIGKILL, so a crash never leaves a folder locked; a second command on the same folder gets
   `FolderInUse` (an InputError: exit 2, one line naming the folder and the holder's pid).
2. **Complete only when the manifest says so.** `begin_results(folder)` (under the lock)
   deletes `manifest.json` and any temporary left by a killed writer, so a folder being
   rewritten is never mistaken for a finished one. Every file is written to a temporary name and
   renamed into place (`store.atomic_write`). `write_manifest(folder, run, files)` is the last
   write: it lists every file with its SHA-256, size and (for tables) row count, together with
   what ran. A folder with a manifest is complete; one without is not.
3. **Verification.** `verify(folder)` checks a folder against its manifest: missing, altered and
   extra files, a manifest edited by hand, a folder still being written.
4. **Resume.** `WorkLog(folder)` keeps finished units of work (a replication, a notebook) under
   `folder/.gridgov/work/` until the results are complete: `save_frames`/`mark_done` are the
   unit's completion marker, written after its outputs, so an interrupted command re-run with
   the same arguments redoes only the units without a marker. `finish_results` clears the log.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from . import store
from ..errors import InputError, OutputError

MANIFEST = "manifest.json"
LOCK = ".gridgov.lock"
WORK = ".gridgov"
FORMAT = "gridgov-manifest/1"


class FolderInUse(InputError):
    """Another gridgov process is writing to this results folder."""


# --------------------------------------------------------------------------- writing safely


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


_HELD: dict[Path, int] = {}  # folders this process holds, with the nesting depth


@contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold the results folder for this process; refuse if another process holds it.

    Creates the folder if needed. Re-entrant within one process (the CLI holds the folder for the
    whole command, report.write_results takes it again). The lock is released on exit and,
    because it is an flock on an open file, also when the process dies in any way.
    """
    folder = store.prepare_folder(folder)
    key = folder.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield folder
        finally:
            _HELD[key] -= 1
        return
    with writing_errors(folder):
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            who = f" (pid {holder})" if holder else ""
            raise FolderInUse(
                f"the output folder is in use by another gridgov process{who}; "
                "wait for it to finish or choose another --out",
                where=str(folder),
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[key] = 1
        try:
            yield folder
        finally:
            del _HELD[key]
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def lock_holder(folder: Path) -> int | None:
    """The pid of the process writing to folder now, or None if nobody holds its lock."""
    path = Path(folder) / LOCK
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None


_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # store.atomic_write: mkstemp(".<name>.", ".tmp")


def is_temporary(path: Path) -> bool:
    """A file store.atomic_write had not yet renamed into place (its writer was killed)."""
    return bool(_TEMPORARY.match(Path(path).name))


def clean_temporaries(folder: Path) -> list[Path]:
    """Remove temporaries left by a killed writer. Call only while holding the folder lock."""
    removed = [p for p in Path(folder).rglob("*.tmp") if p.is_file() and is_temporary(p)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def begin_results(folder: Path) -> None:
    """Mark folder as being (re)written: no manifest, no stale temporaries. Call while holding the lock."""
    folder = Path(folder)
    with writing_errors(folder):
        (folder / MANIFEST).unlink(missing_ok=True)
        clean_temporaries(folder)


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
        if not path.is_file() or relative.parts[0] in (MANIFEST, LOCK, WORK) or is_temporary(path):
            continue
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
            "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "run": run,
            "files": dict(sorted(entries.items())),
        }
        manifest["manifest_sha256"] = manifest_checksum(manifest)
        return store.write_json(manifest, folder / MANIFEST)


@contextmanager
def writing_results(folder: Path) -> Iterator[WorkLog]:
    """Lock folder, mark it incomplete, and yield its work log; turns write failures into OutputError.

    The whole protocol for a command that fills a results folder unit by unit (the batch runner):

        with manifest.writing_results(out) as work:
            for unit in units:
                if work.is_done(unit.key):
                    continue                      # finished before an interruption
                ... write the unit's files with store.atomic_write ...
                work.mark_done(unit.key, {"status": "ok"})
            manifest.finish_results(out, run_description)   # last: the folder is complete
    """
    with folder_lock(folder) as folder, writing_errors(folder):
        begin_results(folder)
        yield WorkLog(folder)


def finish_results(folder: Path, run: dict, files: Iterable[Path] | None = None) -> Path:
    """Write the manifest, then drop the work log of finished units: the folder is complete."""
    path = write_manifest(folder, run, files)
    WorkLog(folder).clear()
    return path


def read_manifest(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


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
    if not folder.exists():
        raise InputError("no such folder", where=str(folder))
    if not folder.is_dir():
        raise InputError("is a file, not a results folder", where=str(folder))
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
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        result.problems.append(f"{MANIFEST} is not a gridgov manifest ({FORMAT})")
        return result
    if manifest.get("manifest_sha256") != manifest_checksum(manifest):
        result.problems.append(f"{MANIFEST} was edited after it was written (its own checksum does not match)")
    if manifest.get("complete") is not True:
        result.problems.append(f"{MANIFEST} does not mark the folder complete")
    result.run = manifest.get("run") or {}
    for name, expected in manifest["files"].items():
        result.checked += 1
        path = folder / name
        if not isinstance(expected, dict) or not _inside(folder, path) or not path.is_file():
            result.missing.append(name)
            continue
        try:
            if path.stat().st_size != expected.get("bytes") or store.file_sha256(path) != expected.get("sha256"):
                result.altered.append(name)
        except OSError as error:
            result.problems.append(f"{name} cannot be read ({error.strerror or error})")
    listed = set(manifest["files"])
    result.extra = [_relative(folder, p) for p in result_files(folder) if _relative(folder, p) not in listed]
    if (folder / WORK).exists() and any((folder / WORK).rglob("*")):
        result.extra.append(f"{WORK}/ (work log of an unfinished re-run)")
    return result


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- resume


class WorkLog:
    """Finished units of work of a command that has not completed its results folder yet.

    A unit (a replication, a notebook of a batch) is named by a key that identifies its inputs
    completely (for example scenario hash, seed and replication), so a re-run with other
    parameters never picks up a stale unit. Its marker `<unit>.done` is written atomically after
    its outputs; a unit without a marker is redone. Use only while holding the folder lock.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.dir = self.folder / WORK / "work"

    def _stem(self, unit: str) -> str:
        digest = hashlib.sha256(unit.encode()).hexdigest()[:12]
        return f"{store.safe_name(unit)[:60]}-{digest}"

    def is_done(self, unit: str) -> bool:
        return (self.dir / f"{self._stem(unit)}.done").is_file()

    def mark_done(self, unit: str, info: dict | None = None) -> Path:
        """Record that unit finished; call after everything it produced is in place."""
        with writing_errors(self.folder):
            self.dir.mkdir(parents=True, exist_ok=True)
            return store.write_json({"unit": unit, **(info or {})}, self.dir / f"{self._stem(unit)}.done")

    def info(self, unit: str) -> dict | None:
        path = self.dir / f"{self._stem(unit)}.done"
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return None

    def save_frames(self, unit: str, frames: dict[str, pd.DataFrame], info: dict | None = None) -> None:
        """Keep a unit's tables (Parquet, exact round trip) and then its marker."""
        with writing_errors(self.folder):
            self.dir.mkdir(parents=True, exist_ok=True)
            stem = self._stem(unit)
            for name, frame in frames.items():
                store.write_table(frame, self.dir / f"{stem}.{store.safe_name(name)}.parquet")
        self.mark_done(unit, {**(info or {}), "frames": sorted(frames)})

    def load_frames(self, unit: str) -> dict[str, pd.DataFrame] | None:
        """The tables of a finished unit, or None if it has not finished (or its files are damaged)."""
        info = self.info(unit)
        if info is None:
            return None
        stem = self._stem(unit)
        try:
            return {name: pd.read_parquet(self.dir / f"{stem}.{store.safe_name(name)}.parquet")
                    for name in info.get("frames", [])}
        except (OSError, ValueError):
            return None

    def done_units(self) -> list[str]:
        units = []
        for path in sorted(self.dir.glob("*.done")) if self.dir.exists() else []:
            try:
                units.append(json.loads(path.read_text(encoding="utf-8"))["unit"])
            except (ValueError, KeyError):
                continue
        return units

    def clear(self) -> None:
        shutil.rmtree(self.folder / WORK, ignore_errors=True)
