"""A batch scenario's folder marked complete: `complete.json`, written last, with its key and its files' checksums.

The batch runner skips a scenario whose marker holds the key of what would be run now and
whose listed files are intact; the scenario notebook (`sim.reporting.notebook.run_scenario`)
writes the marker after its results; the comparison reads only marked scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..safe_io import read_bytes
from . import store

MARKER = "complete.json"


def is_complete(folder: Path, key: str) -> bool:
    """A scenario folder holds complete, current results: marker with this key, every listed file intact."""
    marker = Path(folder) / MARKER
    try:
        content = json.loads(read_bytes(marker, limit=10_000_000, what="marker", follow=False))
    except (InputError, ValueError, RecursionError):
        return False
    if not isinstance(content, dict) or content.get("key") != key or not isinstance(content.get("files", {}), dict):
        return False
    for name, sha in content.get("files", {}).items():
        file = Path(folder) / name
        if Path(name).name != name or file.is_symlink() or not file.is_file() or store.file_sha256(file) != sha:
            return False
    return True


def write_marker(folder: Path, key: str, files: list[Path], **fields) -> Path:
    """Mark a scenario folder complete; call it last, after every result file is in place."""
    content = store.run_metadata(key=key, files={Path(p).name: store.file_sha256(Path(p)) for p in files}, **fields)
    return store.write_json(content, Path(folder) / MARKER)
