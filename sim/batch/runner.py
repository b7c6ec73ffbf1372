"""Scenario batches: a batch file, its scenarios and sweeps, parallel papermill runs, skip-if-current, the report.

A batch file (YAML, strict like scenario files: unknown keys are errors) names scenarios, each a
scenario file plus `set:` overrides, or a `sweep:` over one or more parameters; the replications,
seed and horizon shared by all; and the notebooks that run them. `run_batch` executes the
per-scenario notebook once per scenario with papermill (parameters injected), each in its own
process (never multiprocessing inside a kernel), keeps every executed notebook as the audit trail,
then runs the comparison notebook on the collected results and exports it as a self-contained
HTML report without code cells.

Results layout under the output folder OUT:

    OUT/batch.json                       manifest: every scenario with its key and status, failures with reasons
    OUT/scenarios/<name>/                one scenario's tables (see `sim.notebook.run_scenario`),
    OUT/scenarios/<name>/complete.json   written last, holds the scenario's key
    OUT/notebooks/<name>.ipynb           executed notebooks (also the failed ones, with the error)
    OUT/report.html, OUT/charts/*.png|svg

A scenario is *complete and current* when its `complete.json` holds the key of what would be run
now (scenario content hash, replications, seed, code version) and every file it lists is intact;
such scenarios are skipped on a re-run, everything else is recomputed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import __version__

from ..results import store
from ..errors import InputError
from ..params import Scenario, describe_validation_error, load_scenario, read_yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = PACKAGE_DIR.parent / "notebooks"
MARKER = "complete.json"
PROGRESS = "progress.txt"
KERNEL_NAME = "gridgov-python"


# --------------------------------------------------------------------------- the batch file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BatchScenario(_Strict):
    """One entry of `scenarios:`: a scenario file with overrides, optionally swept over parameters."""

    name: str = Field(min_length=1, max_length=100, description="scenario name in tables and charts")
    file: str = Field(min_length=1, description="scenario file, relative to the batch file")
    set: list[str] = Field(default_factory=list, description="PATH=VALUE overrides, as gridgov --set")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="parameter path -> values; one scenario per combination (cartesian product)",
    )
    name_format: str | None = Field(
        None, description="names of swept scenarios, e.g. 'deadline_{resolution_deadline_h}h' "
        "(keys: last part of each swept path); default: name_value1_value2"
    )

    @field_validator("sweep")
    @classmethod
    def _non_empty(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in value.items():
            if not values:
                raise ValueError(f"sweep over {path!r} has no values")
        return value


class BatchNotebooks(_Strict):
    scenario: str = Field("scenario.ipynb", description="per-scenario notebook (relative to the batch file, "
                          "or a name in the shipped notebooks/ folder)")
    compare: str | None = Field("compare.ipynb", description="comparison notebook exported as the report; null: none")


class Batch(_Strict):
    """A batch of scenarios run over the same replications and seed (common random numbers)."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    replications: int = Field(ge=1, le=10_000)
    seed: int = Field(0, ge=0, lt=2**63)
    horizon_days: int | None = Field(None, ge=1, description="overrides every scenario's horizon_days")
    warm_up_days: int | None = Field(None, ge=0, description="overrides every scenario's warm_up_days")
    drain_days: int | None = Field(None, ge=0, description="overrides every scenario's drain_days")
    set: list[str] = Field(default_factory=list, description="overrides applied to every scenario first")
    baseline: str | None = Field(None, description="the scenario differences are taken against; default: the first")
    target_on_time_rate: float = Field(0.95, gt=0, le=1, description="the target line in the on-time chart")
    language: Literal["en", "zh"] = "en"
    timeout_minutes: float | None = Field(None, gt=0, description="stop a scenario's notebook after this long; "
                                          "None: no limit")
    notebooks: BatchNotebooks = Field(default_factory=BatchNotebooks)
    scenarios: list[BatchScenario] = Field(min_length=1)


@dataclass
class PlannedScenario:
    """One scenario of a batch, resolved: its file, overrides, validated scenario and key."""

    name: str
    file: Path
    overrides: list[str]
    scenario: Scenario
    key: str = ""
    folder: Path = Path()
    notebook: Path = Path()
    status: str = "pending"
    error: str = ""
    seconds: float = 0.0


@dataclass
class Plan:
    batch: Batch
    path: Path
    scenarios: list[PlannedScenario]
    scenario_notebook: Path
    compare_notebook: Path | None
    code_version: str = ""
    baseline: str = ""


def read_batch(path: str | Path) -> Batch:
    """Read and validate a batch file; unknown keys and bad values are InputErrors naming the file."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        return Batch.model_validate(raw)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, raw).replace("scenarios.", "scenarios."), where=str(path)) from None


def _sweep_entries(entry: BatchScenario) -> list[tuple[str, list[str]]]:
    """(name, overrides) for every combination of a sweep; one entry without a sweep."""
    if not entry.sweep:
        return [(entry.name, list(entry.set))]
    paths = list(entry.sweep)
    leaves = [p.split(".")[-1] for p in paths]
    out = []
    for values in itertools.product(*(entry.sweep[p] for p in paths)):
        if entry.name_format:
            try:
                name = entry.name_format.format(**{leaf: _plain(v) for leaf, v in zip(leaves, values)})
            except (KeyError, IndexError, ValueError) as error:
                raise InputError(f"scenarios.{entry.name}.name_format {entry.name_format!r}: cannot fill it "
                                 f"({error}); available keys: {', '.join(leaves)}") from None
        else:
            name = "_".join([entry.name, *(_value_text(v) for v in values)])
        sets = [f"{p}={json.dumps(v) if not isinstance(v, str) else v}" for p, v in zip(paths, values)]
        out.append((name, list(entry.set) + sets))
    return out


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _value_text(value: Any) -> str:
    return str(_plain(value))


def _find_notebook(name: str, batch_dir: Path) -> Path:
    for candidate in (batch_dir / name, NOTEBOOK_DIR / name):
        if candidate.is_file():
            return candidate.resolve()
    raise InputError(f"notebook {name!r} not found (looked in {batch_dir} and {NOTEBOOK_DIR})")


def plan_batch(path: str | Path, out: Path | None = None) -> Plan:
    """Resolve a batch file into validated scenarios with their keys, folders and notebook paths."""
    path = Path(path)
    batch = read_batch(path)
    out = Path(out) if out is not None else Path("outputs") / store.safe_name(batch.name)
    common = list(batch.set)
    for field_name in ("horizon_days", "warm_up_days", "drain_days"):
        value = getattr(batch, field_name)
        if value is not None:
            common.append(f"{field_name}={value}")
    scenario_notebook = _find_notebook(batch.notebooks.scenario, path.parent)
    compare_notebook = _find_notebook(batch.notebooks.compare, path.parent) if batch.notebooks.compare else None
    code_version = code_version_of(scenario_notebook)
    planned: list[PlannedScenario] = []
    for entry in batch.scenarios:
        file = (path.parent / entry.file)
        for name, sets in _sweep_entries(entry):
            overrides = common + sets + [f"name={name}"]
            scenario = load_scenario(file, overrides)
            planned.append(PlannedScenario(name=name, file=file.resolve(), overrides=overrides, scenario=scenario))
    names = [p.name for p in planned]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"scenario names must be distinct; repeated: {', '.join(duplicates)}", where=str(path))
    folders = [store.safe_name(n) for n in names]
    if len(set(folders)) != len(folders):
        raise InputError(f"scenario names {names} map to the same folder names {folders}; rename them", where=str(path))
    baseline = batch.baseline or names[0]
    if baseline not in names:
        raise InputError(f"baseline: {baseline!r} is not a scenario of this batch; scenarios: {', '.join(names)}",
                         where=str(path))
    for item in planned:
        item.key = scenario_key(item.scenario, batch.replications, batch.seed, code_version)
        item.folder = out / "scenarios" / store.safe_name(item.name)
        item.notebook = out / "notebooks" / f"{store.safe_name(item.name)}.ipynb"
    return Plan(batch, path, planned, scenario_notebook, compare_notebook, code_version, baseline)


# --------------------------------------------------------------------------- keys and completeness


def code_version_of(*notebooks: Path) -> str:
    """sim.__version__ plus a hash of the sim/*.py sources and of the given notebooks' code cells."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(source.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(source.read_bytes())
    for notebook in notebooks:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") == "code":
                text = cell.get("source", "")
                digest.update(("".join(text) if isinstance(text, list) else text).encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def scenario_key(scenario: Scenario, replications: int, seed: int, code_version: str) -> str:
    """What a scenario's results depend on: its content, replications, seed and code version."""
    payload = json.dumps({"content_hash": scenario.content_hash(), "replications": replications, "seed": seed,
                          "code_version": code_version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def is_complete(folder: Path, key: str) -> bool:
    """A scenario folder holds complete, current results: marker with this key, every listed file intact."""
    marker = Path(folder) / MARKER
    try:
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if content.get("key") != key:
        return False
    for name, sha in content.get("files", {}).items():
        file = Path(folder) / name
        if not file.is_file() or store.file_sha256(file) != sha:
            return False
    return True


def write_marker(folder: Path, key: str, files: list[Path], **fields) -> Path:
    """Mark a scenario folder complete; call it last, after every result file is in place."""
    content = store.run_metadata(key=key, files={Path(p).name: store.file_sha256(Path(p)) for p in files}, **fields)
    return store.write_json(content, Path(folder) / MARKER)


# --------------------------------------------------------------------------- executing notebooks


def kernel_dir(out: Path) -> Path:
    """A kernelspec for the running interpreter, so notebooks run with exactly this Python and this `sim`."""
    folder = Path(out) / ".jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "gridgov (batch)", "language": "python"}
    target = folder / "kernel.json"
    if not target.exists() or json.loads(target.read_text()) != spec:
        store.write_json(spec, target)
    return Path(out) / ".jupyter"


def _child_env(out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernel_dir(out).resolve()), env.get("JUPYTER_PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def declared_parameters(notebook: Path) -> set[str]:
    """The names assigned in a notebook's cell tagged `parameters` (read with ast; papermill is not imported)."""
    import ast

    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise InputError("has no cell tagged 'parameters'", where=str(notebook))
    source = tagged[0].get("source", "")
    tree = ast.parse("".join(source) if isinstance(source, list) else source)
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Every injected parameter must be declared in the notebook's `parameters` cell (papermill only warns)."""
    declared = declared_parameters(notebook)
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise InputError(f"parameters {unknown} are not declared in the notebook's parameters cell; "
                         f"declared: {', '.join(sorted(declared))}", where=str(notebook))


# The lab template without the scripts it would fetch from a CDN (require.js, MathJax, Mermaid, widgets):
# the report opens offline, on a meeting-room laptop, as one file.
_REPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


# The child process imports papermill only (not sim, pandas or scipy): it starts faster. It executes one
# notebook, optionally exports it as HTML, and reports a failure as one line on stderr; the executed
# notebook (with the error) is kept. jsonschema (under nbformat) would import rfc3987_syntax, which builds
# a parser at import (about 2 s of CPU per process) for an IRI format notebooks never use: blocked here.
_CHILD = r"""
import json, logging, sys
spec = json.loads(sys.argv[1])
# Killed with the batch: a killed batch must not leave notebooks writing into the folder its re-run
# fills (their kernels follow: ipykernel exits when its parent is gone). This is sim.children's
# die_with_parent, inlined because importing sim costs 1.5 s; armed here rather than in a preexec_fn,
# which can deadlock a child forked from a process with threads before it reaches exec.
try:
    import ctypes, os, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != spec["parent"]:
        sys.exit(1)  # the batch died before the signal was armed
except (OSError, AttributeError):  # not Linux: the lock and the markers still keep results consistent
    pass
sys.modules.setdefault("rfc3987_syntax", None)
logging.getLogger("papermill").setLevel(logging.WARNING)
# A zmq.asyncio poll can miss the wake-up of a message already waiting (jupyter/nbclient#312): the
# cell's reply and outputs then never arrive and papermill waits for ever on an idle kernel, as a
# notebook with widgets did about once in 20 runs here. Waiting in short polls re-checks the socket.
import time
from queue import Empty
from jupyter_client.channels import AsyncZMQSocketChannel
_get_msg = AsyncZMQSocketChannel.get_msg
async def _get_msg_in_short_polls(self, timeout=None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
        try:
            return await _get_msg(self, left)
        except Empty:
            if deadline is not None and time.monotonic() >= deadline:
                raise
AsyncZMQSocketChannel.get_msg = _get_msg_in_short_polls
import papermill
from traitlets.config import Config
config = Config()
config.KernelManager.shutdown_wait_time = spec["shutdown_wait_s"]
try:
    papermill.execute_notebook(spec["notebook"], spec["output"], parameters=spec["parameters"],
                               kernel_name=spec["kernel"], cwd=spec["cwd"], progress_bar=False, config=config)
except Exception as error:
    if type(error).__name__ == "PapermillExecutionError":
        message = "%s: %s (cell %s; see %s)" % (error.ename, error.evalue, error.exec_count, spec["output"])
    else:
        message = "%s: %s" % (type(error).__name__, error)
    print("gridgov-batch-error: " + " ".join(message.split()), file=sys.stderr)
    sys.exit(1)
if spec.get("html"):
    import os, tempfile
    import jinja2, nbformat
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True, template_file="gridgov_report.j2",
                            extra_loaders=[jinja2.DictLoader({"gridgov_report.j2": spec["template"]})])
    body, _ = exporter.from_notebook_node(nbformat.read(spec["output"], as_version=4),
                                          resources={"metadata": {"name": spec.get("title") or "report"}})
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".tmp", dir=os.path.dirname(spec["html"]))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    os.chmod(tmp, 0o644)
    os.replace(tmp, spec["html"])
"""


def execute_in_child(notebook: Path, output: Path, parameters: dict[str, Any], out: Path,
                     timeout_s: float | None = None, shutdown_wait_s: float = 1.0,
                     html: Path | None = None, title: str = "") -> tuple[bool, str]:
    """Execute a notebook with papermill in a fresh Python process; (succeeded, error message).

    The kernel is this interpreter (see `kernel_dir`); a kernel that lingers on shutdown is
    stopped after shutdown_wait_s instead of jupyter_client's default 5 s. With html, the executed
    notebook is also exported there as a self-contained page without code (see `_REPORT_TEMPLATE`).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    spec = json.dumps({"notebook": str(notebook), "output": str(output), "parameters": parameters,
                       "cwd": str(Path(out).resolve()), "kernel": KERNEL_NAME, "shutdown_wait_s": shutdown_wait_s,
                       "html": str(html) if html else None, "template": _REPORT_TEMPLATE, "title": title,
                       "parent": os.getpid()})
    # Its own session, so that on a timeout the child and its kernel are stopped together.
    child = subprocess.Popen([sys.executable, "-c", _CHILD, spec], env=_child_env(out), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
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
    reason = next((line[len("gridgov-batch-error: "):] for line in reversed(lines)
                   if line.startswith("gridgov-batch-error: ")), lines[-1] if lines else f"exit {child.returncode}")
    return False, reason


def _stop_group(child: subprocess.Popen) -> None:
    """Stop a child process and its kernel (same process group), then reap the child."""
    import signal

    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


# --------------------------------------------------------------------------- running a batch


@dataclass
class BatchResult:
    out: Path
    plan: Plan
    report: Path | None = None
    report_error: str = ""
    charts: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[PlannedScenario]:
        return [s for s in self.plan.scenarios if s.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.report_error


def scenario_parameters(plan: Plan, item: PlannedScenario, jobs: int) -> dict[str, Any]:
    return {
        "scenario_file": str(item.file), "overrides": item.overrides, "replications": plan.batch.replications,
        "seed": plan.batch.seed, "out_dir": str(item.folder.resolve()), "key": item.key, "jobs": jobs,
        "language": plan.batch.language, "progress_file": str((item.folder / PROGRESS).resolve()),
    }


def run_batch(path: str | Path, out: Path | None = None, *, jobs: int = 1, progress: bool = True,
              force: bool = False, report: bool = True) -> BatchResult:
    """Run every scenario of a batch that is not complete and current, then the comparison and the report.

    Holds the output folder's lock for the whole batch. Each scenario is complete (its marker,
    written last, matches its key and files) or recomputed, so a batch killed at any moment and
    run again completes only what was not finished. When every scenario and the report succeed,
    the folder's manifest (checked by `gridgov verify`) is written last.
    """
    from ..results import manifest

    plan = plan_batch(path, out)
    out = Path(out) if out is not None else Path("outputs") / store.safe_name(plan.batch.name)
    with manifest.folder_lock(out), manifest.writing_errors(out):  # a second batch on the folder is refused
        manifest.begin_results(out)  # incomplete until the manifest is written again, last
        result = _run_batch(plan, out, jobs=jobs, progress=progress, force=force, report=report)
        if result.ok:
            manifest.finish_results(out, {
                "command": "gridgov batch", "batch": plan.batch.name, "batch_file": str(plan.path),
                "seed": plan.batch.seed, "replications": plan.batch.replications, "code_version": plan.code_version,
                "scenarios": [{"name": item.name, "key": item.key} for item in plan.scenarios],
            })
        return result


def _run_batch(plan: "Plan", out: Path, *, jobs: int, progress: bool, force: bool, report: bool) -> BatchResult:
    from tqdm.auto import tqdm

    kernel_dir(out)
    pending = []
    for item in plan.scenarios:
        if not force and is_complete(item.folder, item.key):
            item.status = "skipped (complete and current)"
        else:
            pending.append(item)
    reps = plan.batch.replications
    inner_jobs = max(1, jobs // max(1, len(pending)))
    for item in pending:
        store.prepare_folder(item.folder)
        (item.folder / MARKER).unlink(missing_ok=True)  # a scenario is either complete and current or recomputed
        (item.folder / PROGRESS).unlink(missing_ok=True)
        check_parameters(plan.scenario_notebook, scenario_parameters(plan, item, inner_jobs))
    bar = tqdm(total=len(plan.scenarios) * reps, unit="replication", disable=not progress,
               desc=f"{plan.batch.name}: 0/{len(plan.scenarios)} scenarios")
    done_count = len(plan.scenarios) - len(pending)
    bar.update(done_count * reps)
    _write_manifest(out, plan)

    def run_one(item: PlannedScenario) -> PlannedScenario:
        start = time.perf_counter()
        timeout = plan.batch.timeout_minutes * 60 if plan.batch.timeout_minutes else None
        ok, error = execute_in_child(plan.scenario_notebook, item.notebook,
                                     scenario_parameters(plan, item, inner_jobs), out, timeout_s=timeout)
        item.seconds = time.perf_counter() - start
        if ok and not is_complete(item.folder, item.key):
            ok, error = False, "the notebook ran but did not leave complete results (no valid complete.json)"
        item.status, item.error = ("complete", "") if ok else ("failed", error)
        return item

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(pending) or 1))) as pool:
        futures = {pool.submit(run_one, item): item for item in pending}
        counted = {id(item): 0 for item in pending}
        remaining = set(futures)
        shown = ""
        while remaining:
            finished, remaining = wait(remaining, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                future.result()
                done_count += 1
            for item in pending:
                now = reps if item.status in ("complete", "failed") else _progress_of(item.folder)
                if now != counted[id(item)]:
                    bar.update(now - counted[id(item)])
                    counted[id(item)] = now
            description = f"{plan.batch.name}: {done_count}/{len(plan.scenarios)} scenarios"
            if description != shown:
                bar.set_description(description)
                shown = description
    bar.close()
    _write_manifest(out, plan)
    result = BatchResult(out, plan)
    if report and plan.compare_notebook is not None:
        _report(result)
        _write_manifest(out, plan, result)
    return result


def _progress_of(folder: Path) -> int:
    try:
        return int((folder / PROGRESS).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_manifest(out: Path, plan: Plan, result: BatchResult | None = None) -> Path:
    manifest = {
        "batch": plan.batch.name, "batch_file": str(plan.path.resolve()), "replications": plan.batch.replications,
        "seed": plan.batch.seed, "code_version": plan.code_version, "baseline": plan.baseline,
        "language": plan.batch.language, "target_on_time_rate": plan.batch.target_on_time_rate,
        "scenarios": [
            {"name": s.name, "folder": str(s.folder.relative_to(out)) if s.folder.is_relative_to(out) else str(s.folder),
             "file": str(s.file), "overrides": s.overrides, "content_hash": s.scenario.content_hash(),
             "key": s.key, "status": s.status, "error": s.error, "seconds": round(s.seconds, 1),
             "notebook": str(s.notebook.relative_to(out)) if s.notebook.is_relative_to(out) else str(s.notebook)}
            for s in plan.scenarios
        ],
    }
    if result is not None:
        manifest["report"] = str(result.report) if result.report else None
        manifest["report_error"] = result.report_error
    return store.write_json(manifest, Path(out) / "batch.json")


def _report(result: BatchResult) -> None:
    out, plan = result.out, result.plan
    executed = out / "notebooks" / "compare.ipynb"
    parameters = {"results_dir": str(out.resolve()), "charts_dir": str((out / "charts").resolve()),
                  "language": plan.batch.language}
    check_parameters(plan.compare_notebook, parameters)
    ok, error = execute_in_child(plan.compare_notebook, executed, parameters, out, html=out / "report.html",
                                 title=f"gridgov: {plan.batch.name}")
    if not ok:
        result.report_error = f"comparison notebook failed: {error}"
        return
    result.report = out / "report.html"
    result.charts = sorted((out / "charts").glob("*.*"))




def summary_text(result: BatchResult) -> str:
    """The end-of-batch summary: counts, failures with reasons, where the report is."""
    items = result.plan.scenarios
    complete = [s for s in items if s.status == "complete"]
    skipped = [s for s in items if s.status.startswith("skipped")]
    lines = [f"batch {result.plan.batch.name}: {len(items)} scenario(s) x {result.plan.batch.replications} "
             f"replication(s), seed {result.plan.batch.seed}: {len(complete)} computed, {len(skipped)} skipped "
             f"(complete and current), {len(result.failed)} failed"]
    for item in result.failed:
        lines.append(f"  FAILED {item.name}: {item.error}")
    if result.report_error:
        lines.append(f"  report: {result.report_error}")
    if result.report:
        lines.append(f"report: {result.report}")
        lines.append(f"charts (PNG and SVG, 16:9): {result.out / 'charts'}/")
    lines.append(f"executed notebooks (audit trail): {result.out / 'notebooks'}/; manifest: {result.out / 'batch.json'}")
    return "\n".join(lines)

