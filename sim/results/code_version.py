"""The version of the code that computed a result: what decides whether finished work may be reused.

One key for every kind of reuse: a resumed `run`/`compare` (finished replications) and a batch
(complete scenarios). It is the gridgov version plus a SHA-256 of the bytes of every
`sim/**/*.py` file (with its path inside the package), and for a batch the code cells of the
notebooks that compute its results, so an uncommitted edit changes it too. The git commit is
recorded in each folder's metadata for traceability (`store.run_metadata`) but never decides reuse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from .. import __version__

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # sim/


def code_version(notebooks: Iterable[Path] = ()) -> str:
    """`<gridgov version>+<12 hex digits>`: the version and a hash of the sources and the notebooks' code cells."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(source.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(source.read_bytes())
    for notebook in notebooks:
        for cell in json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") == "code":
                text = cell.get("source", "")
                digest.update(("".join(text) if isinstance(text, list) else text).encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"
