"""Types: mypy (with the pydantic plugin, `[tool.mypy]` in pyproject.toml) finds nothing in the public API.

The public API is what `sim/__init__.py` exports: the scenario schema and its loading
(`sim/params/`), simulate and replicate (`sim/experiment/runs.py`) and the input error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_API = ["sim/__init__.py", "sim/errors.py", "sim/experiment/runs.py", "sim/params/"]


def test_mypy_finds_no_type_error_in_the_public_api(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), *PUBLIC_API],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
