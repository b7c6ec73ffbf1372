"""The shipped notebooks stay clean: a Jupyter pre-save hook strips their outputs and widget state.

Installing gridgov puts `jupyter-config/jupyter_server_config.d/gridgov.json` into the
environment's `etc/jupyter`, which makes JupyterLab (and any Jupyter server in that environment)
call `strip_on_save` before it writes a notebook. The hook strips only the notebooks of the
project's `notebooks/` folder: outputs, execution counts and the saved state of widgets (what
made a reopened explorer say "Loading widget..."). A notebook anywhere else is saved as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def strip(notebook: dict[str, Any]) -> dict[str, Any]:
    """A notebook's JSON content without outputs, execution counts or widget state (changed in place, returned)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


def is_shipped(os_path: Path) -> bool:
    """Whether a file is one of the project's own notebooks."""
    try:
        return os_path.resolve().parent == NOTEBOOKS and os_path.suffix == ".ipynb"
    except OSError:
        return False


def strip_on_save(model: dict[str, Any], path: str, contents_manager: Any = None, **_: Any) -> None:
    """Jupyter's pre-save hook: strip a shipped notebook before it is written."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    root = Path(getattr(contents_manager, "root_dir", "") or ".")
    if is_shipped(root / path.lstrip("/")):
        strip(model["content"])
