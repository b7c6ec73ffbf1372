"""Finished units of work of a command whose results folder is not complete yet, so that a re-run redoes the rest only.

A unit (a replication, a notebook of a batch) is named by a key that identifies its inputs
completely (for example scenario hash, seed, replication and code version), so a re-run with
other parameters or other code never picks up a stale unit. Its marker `<unit>.done` is written
atomically after its outputs; a unit without a marker is redone. The log lives in
`folder/.gridgov/work/` and is removed when the folder's manifest is written
(`manifest.finish_results`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

from . import store
from .folder import WORK, writing_errors


class WorkLog:
    """The work log of one results folder. Use only while holding the folder lock."""

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
