"""One notebook in a child process: the kernel it runs on, the parameters it declares, a timeout, nothing left behind.

Each notebook runs in a fresh process (`python -m sim.batch.child`, never multiprocessing inside
a kernel) in a session of its own, so that on a timeout or an interruption the child and its
kernel are stopped together; the child also dies with the batch (`sim.children.die_with_parent`).
A failure comes back as one line, the child's `gridgov-batch-error:` line.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..results import store
from ..safe_io import read_bytes
from .child import ERROR_PREFIX

KERNEL_NAME = "gridgov-python"
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding sim/, for the child and its kernel


def kernel_dir(out: Path) -> Path:
    """A kernelspec for the running interpreter, so notebooks run with exactly this Python and this `sim`."""
    folder = store.own_folder(Path(out), Path(out) / ".jupyter" / "kernels" / KERNEL_NAME)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "gridgov (batch)", "language": "python"}
    target = folder / "kernel.json"
    try:
        current = json.loads(read_bytes(target, limit=100_000, what="kernel spec", follow=False))
    except (InputError, ValueError, RecursionError):
        current = None
    if current != spec:
        store.write_json(spec, target)
    return Path(out) / ".jupyter"


def _child_env(out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernel_dir(out).resolve()), env.get("JUPYTER_PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


MAX_NOTEBOOK_BYTES = 50_000_000


def read_notebook(notebook: Path) -> dict:
    """A Jupyter notebook's JSON (a regular file, at most MAX_NOTEBOOK_BYTES), checked to have a list of cells."""
    data = read_bytes(notebook, limit=MAX_NOTEBOOK_BYTES, what="notebook")
    try:
        content = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(f"is not a Jupyter notebook: not UTF-8 text (byte {error.start})", where=str(notebook)) \
            from None
    except json.JSONDecodeError as error:
        raise InputError(f"is not a Jupyter notebook: not JSON ({error.msg} at line {error.lineno}); a notebook is "
                         "an .ipynb file saved by Jupyter", where=str(notebook)) from None
    except RecursionError:
        raise InputError("is not a Jupyter notebook: its JSON is nested too deeply", where=str(notebook)) from None
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        got = type(content).__name__ if not isinstance(content, dict) else "a mapping without a list of cells"
        raise InputError(f"is not a Jupyter notebook: expected a JSON object with 'cells', got {got}",
                         where=str(notebook))
    for index, cell in enumerate(content["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("metadata", {}), dict) \
                or not isinstance(cell.get("metadata", {}).get("tags", []), list) \
                or not isinstance(cell.get("source", ""), (str, list)):
            raise InputError(f"is not a valid Jupyter notebook: cell {index} is malformed", where=str(notebook))
    return content


def declared_parameters(notebook: Path) -> set[str]:
    """The names assigned in a notebook's cell tagged `parameters` (read with ast; papermill is not imported)."""
    cells = read_notebook(notebook)["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise InputError("has no cell tagged 'parameters'", where=str(notebook))
    source = tagged[0].get("source", "")
    try:
        tree = ast.parse("".join(map(str, source)) if isinstance(source, list) else source)
    except (SyntaxError, ValueError) as error:
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise InputError(f"the notebook's parameters cell is not Python{line}: {getattr(error, 'msg', error)}",
                         where=str(notebook)) from None
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node,
                                                                                                ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Every injected parameter must be declared in the notebook's `parameters` cell (papermill only warns)."""
    declared = declared_parameters(notebook)
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise InputError(f"parameters {unknown} are not declared in the notebook's parameters cell; "
                         f"declared: {', '.join(sorted(declared))}", where=str(notebook))


def execute_in_child(notebook: Path, output: Path, parameters: dict[str, Any], out: Path,
                     timeout_s: float | None = None, shutdown_wait_s: float = 1.0,
                     html: Path | None = None, title: str = "") -> tuple[bool, str]:
    """Execute a notebook with papermill in a fresh Python process; (succeeded, error message).

    The kernel is this interpreter (see `kernel_dir`); a kernel that lingers on shutdown is
    stopped after shutdown_wait_s instead of jupyter_client's default 5 s. With html, the executed
    notebook is also exported there as a self-contained page without code (`report.html.j2`).
    """
    store.own_folder(Path(out), output.parent)
    spec = json.dumps({"notebook": str(notebook), "output": str(output), "parameters": parameters,
                       "cwd": str(Path(out).resolve()), "kernel": KERNEL_NAME, "shutdown_wait_s": shutdown_wait_s,
                       "html": str(html) if html else None, "title": title, "parent": os.getpid()})
    child = subprocess.Popen([sys.executable, "-m", "sim.batch.child", spec], env=_child_env(out),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _stop_group(child)
        return False, f"timed out after {timeout_s:g} s (see {output})"
    except BaseException:
        _stop_group(child)
        raise
    if child.returncode == 0:
        return True, ""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    reason = next((line[len(ERROR_PREFIX):] for line in reversed(lines) if line.startswith(ERROR_PREFIX)),
                  lines[-1] if lines else f"exit {child.returncode}")
    return False, reason


def _stop_group(child: subprocess.Popen) -> None:
    """Stop a child process and its kernel (same process group), then reap the child."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
