"""Finished units of work of a command whose results folder is not complete yet, so that a re-run redoes the rest only.

A unit (a replication, a notebook of a batch) is named by a key that identifies its inputs
completely (for example scenario hash, seed, replication and code version), so a re-run with
other parameters or other code never picks up a stale unit. Its marker `<unit>.done` is written
atomically after its outputs; a unit without a marker is redone. The log lives in
`folder/.gridgov/work/` and is removed when the folder's manifest is written
(`manifest.finish_results`). `.gridgov` and `work` must be real folders: a symlink there is
refused, never written through, and never followed by the clean-up.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..safe_io import read_bytes
from . import store
from .folder import WORK, writing_errors

MAX_MARKER_BYTES = 10_000_000


class WorkLog:
    """The work log of one results folder. Use only while holding the folder lock."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.dir = self.folder / WORK / "work"

    def _stem(self, unit: str) -> str:
        digest = hashlib.sha256(unit.encode()).hexdigest()[:12]
        return f"{store.safe_name(unit, max_bytes=60)}-{digest}"

    def is_done(self, unit: str) -> bool:
        return self.info(unit) is not None

    def _make_dir(self) -> None:
        store.own_folder(self.folder, self.dir)

    def mark_done(self, unit: str, info: dict | None = None) -> Path:
        """Record that unit finished; call after everything it produced is in place."""
        with writing_errors(self.folder):
            self._make_dir()
            return store.write_json({"unit": unit, **(info or {})}, self.dir / f"{self._stem(unit)}.done")

    def info(self, unit: str) -> dict | None:
        return self._read(self.dir / f"{self._stem(unit)}.done")

    def _read(self, path: Path) -> dict | None:
        """A marker's content, or None if it is missing, not a plain file or damaged."""
        if not self._is_own_dir():
            return None
        try:
            content = json.loads(read_bytes(path, limit=MAX_MARKER_BYTES, what="work log marker", follow=False))
        except (InputError, ValueError, RecursionError):
            return None
        return content if isinstance(content, dict) else None

    def _is_own_dir(self) -> bool:
        return all(p.is_dir() and not p.is_symlink() for p in (self.folder / WORK, self.dir))

    def save_frames(self, unit: str, frames: dict[str, pd.DataFrame], info: dict | None = None) -> None:
        """Keep a unit's tables (Parquet, exact round trip) and then its marker."""
        with writing_errors(self.folder):
            self._make_dir()
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
        for path in sorted(self.dir.glob("*.done")) if self._is_own_dir() else []:
            content = self._read(path)
            if content is not None and isinstance(content.get("unit"), str):
                units.append(content["unit"])
        return units

    def clear(self) -> None:
        """Remove the work log; a symlink named .gridgov is left alone (it was never ours to follow)."""
        work = self.folder / WORK
        if work.is_dir() and not work.is_symlink():
            shutil.rmtree(work, ignore_errors=True)
