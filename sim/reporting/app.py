"""`gridgov app`: the explorer served as a web page with no code cells (Voilà), in English or Chinese.

Voilà runs `notebooks/explore.ipynb` in a kernel of its own for each visitor and shows only the
widgets: the page is the same code as the notebook in JupyterLab. The notebook is copied into a
temporary folder with its parameters set (language, scenario files as absolute paths), so the
committed notebook is never written to. Voilà was chosen over Solara and Panel because the
explorer is ipywidgets already (it runs unchanged in JupyterLab) and Voilà adds one package to
the notebooks extra, where Solara and Panel each bring a web framework of their own.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..analysis import messages
from ..errors import InputError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"  # the shipped notebooks, beside sim/
EXPLORER = NOTEBOOKS / "explore.ipynb"
PAGE = "explore.ipynb"


def parameterised_explorer(folder: Path, language: str = "en", parameters: dict | None = None) -> Path:
    """The explorer notebook with its parameters set, written into folder (scenario files made absolute)."""
    import nbformat
    import papermill
    from papermill.iorw import load_notebook_node

    book = load_notebook_node(str(EXPLORER))  # with the metadata papermill's parameterize expects
    values: dict = {"scenario_files": scenario_files(), "language": language}
    values.update(parameters or {})
    book.cells = [cell for cell in book.cells  # the page has its own title and texts, in its language
                  if cell.cell_type == "code" and "notebook-intro" not in cell.metadata.get("tags", [])]
    book = papermill.parameterize.parameterize_notebook(book, values)
    target = folder / PAGE
    nbformat.write(book, target)
    return target


def command(notebook: Path, port: int) -> list[str]:
    """The Voilà command line that serves the notebook on localhost:port (and no other port)."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0", "--show_tracebacks=False", "--theme=light"]


def scenario_files() -> list[str]:
    """The explorer notebook's scenario files (its parameters cell's default), as absolute paths."""
    import papermill

    files = ast.literal_eval(papermill.inspect_notebook(str(EXPLORER))["scenario_files"]["default"])
    if not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        raise ValueError("explore.ipynb: scenario_files must be a list of file names")
    return [str((NOTEBOOKS / f).resolve()) for f in files]


def warm_font_cache(files: list[str]) -> None:
    """Cut the page's Chinese font now (it is kept), so that the first visitor does not wait for it."""
    from ..params import load_scenario
    from ..params.base import in_language
    from .page import font_face

    scenarios = [load_scenario(f) for f in files]
    font_face("zh", "".join(in_language(s.title, "zh", s.name) for s in scenarios))


def check_voila() -> None:
    try:
        import voila  # noqa: F401
    except ImportError:
        raise InputError("gridgov app needs Voilà, which comes with the notebooks extra: "
                         "pip install 'gridgov[notebooks]'") from None


def serve(port: int = 8866, language: str = "en", parameters: dict | None = None) -> int:
    """Serve the explorer until interrupted; returns Voilà's exit status (0 after Ctrl-C)."""
    messages.check_language(language)
    check_voila()
    folder = Path(tempfile.mkdtemp(prefix="gridgov-app-"))
    try:
        notebook = parameterised_explorer(folder, language, parameters)
        if language == "zh":
            warm_font_cache((parameters or {}).get("scenario_files") or scenario_files())
        print(f"gridgov app: the explorer ({language}) at http://127.0.0.1:{port}/ (Ctrl-C stops it)",
              file=sys.stderr)
        process = subprocess.Popen(command(notebook, port), cwd=folder)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=30)
            return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
