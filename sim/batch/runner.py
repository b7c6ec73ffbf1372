"""Running a batch: every scenario not complete and current, in parallel notebooks; then the comparison and the report.

`run_batch` executes the per-scenario notebook once per scenario with papermill (parameters
injected), each in its own process (`execute.execute_in_child`), keeps every executed notebook as
the audit trail, then runs the comparison notebook on the collected results, which writes the
meeting brief (`report.html` and `report.pptx`, written by the comparison notebook through
`sim.reporting.brief`; `gridgov report` renders it again from the folder).

Results layout under the output folder OUT:

    OUT/batch.json                       every scenario with its key and status, failures with reasons
    OUT/scenarios/<name>/                one scenario's tables (see `sim.reporting.notebook.run_scenario`)
    OUT/scenarios/<name>/complete.json   written last, holds the scenario's key (`sim.results.markers`)
    OUT/notebooks/<name>.ipynb           executed notebooks (also the failed ones, with the error)
    OUT/notebooks/_compare.ipynb         the executed comparison
    OUT/report.html, OUT/report.pptx     the meeting brief and its slides
    OUT/charts/*.png|svg                 the brief's charts (1920 x 1080)
    OUT/manifest.json                    written last when everything succeeded (`gridgov verify`)

A scenario is *complete and current* when its `complete.json` holds the key of what would be run
now (`plan.scenario_key`) and every file it lists is intact; such scenarios are skipped on a
re-run, everything else is recomputed.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..params.base import in_language
from ..results import manifest, store
from ..results.folder import writing_errors
from ..results.lock import folder_lock
from ..results.markers import MARKER, is_complete
from ..safe_io import read_bytes
from .execute import check_parameters, declared_parameters, execute_in_child, kernel_dir
from .plan import Plan, PlannedScenario, default_out, plan_batch
from .schema import BatchPrecision

# The executed comparison: a leading "_" that no scenario's notebook can have (store.safe_name strips it),
# so that a scenario named "compare" keeps its own executed notebook.
COMPARE_NOTEBOOK = "_compare.ipynb"
PROGRESS = "progress.txt"  # replications a scenario notebook has finished, for the progress bar


@dataclass
class BatchResult:
    """What a batch did: the plan with every scenario's status, and the report (or why there is none)."""

    out: Path
    plan: Plan
    report: Path | None = None
    report_error: str = ""
    charts: list[Path] = field(default_factory=list)
    precision: dict | None = None  # what the precision rule reached (sim.batch.precision.summary)

    @property
    def failed(self) -> list[PlannedScenario]:
        return [s for s in self.plan.scenarios if s.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.report_error


def scenario_parameters(plan: Plan, item: PlannedScenario, jobs: int, out: Path | None = None) -> dict[str, Any]:
    """The parameters injected into the scenario notebook for one scenario.

    A batch sized by precision also passes the batch folder's work log (`work_dir`), where the
    replications the sizing computed wait, to a notebook that declares it (one that does not
    computes the same replications again: common random numbers make them identical).
    """
    parameters = {
        "scenario_file": str(item.file), "overrides": item.overrides, "replications": plan.replications,
        "seed": plan.batch.seed, "out_dir": str(item.folder.resolve()), "key": item.key, "jobs": jobs,
        "language": plan.batch.language, "progress_file": str((item.folder / PROGRESS).resolve()),
    }
    if plan.precision is not None and out is not None and "work_dir" in declared_parameters(plan.scenario_notebook):
        parameters["work_dir"] = str(Path(out).resolve())
    return parameters


def run_batch(path: str | Path, out: Path | None = None, *, jobs: int = 1, progress: bool = True,
              force: bool = False, report: bool = True, precision: BatchPrecision | None = None) -> BatchResult:
    """Run every scenario of a batch that is not complete and current, then the comparison and the report.

    Holds the output folder's lock for the whole batch. Each scenario is complete (its marker,
    written last, matches its key and files) or recomputed, so a batch killed at any moment and
    run again completes only what was not finished. When every scenario and the report succeed,
    the folder's manifest (checked by `gridgov verify`) is written last. With a precision rule
    (the batch file's, or `precision`, which replaces it) the replications are found first
    (`sim.batch.precision`).
    """
    plan = plan_batch(path, out, precision)
    out = Path(out) if out is not None else default_out(plan.batch)
    with folder_lock(out), writing_errors(out):  # a second batch on the folder is refused
        manifest.begin_results(out)  # incomplete until the manifest is written again, last
        result = _run_batch(plan, out, jobs=jobs, progress=progress, force=force, report=report)
        if result.ok:
            manifest.finish_results(out, {
                "command": "gridgov batch", "batch": plan.batch.name, "batch_file": str(plan.path),
                "seed": plan.batch.seed, "replications": plan.replications, "code_version": plan.code_version,
                "scenarios": [{"name": item.name, "key": item.key} for item in plan.scenarios],
                **({"precision": result.precision} if result.precision else {}),
            })
        return result


def _run_batch(plan: Plan, out: Path, *, jobs: int, progress: bool, force: bool, report: bool) -> BatchResult:
    from tqdm.auto import tqdm

    kernel_dir(out)
    sized = _size(plan, out, jobs, progress)
    pending = []
    for item in plan.scenarios:
        if not force and is_complete(item.folder, item.key):
            item.status = "skipped (complete and current)"
        else:
            pending.append(item)
    reps = plan.replications
    inner_jobs = max(1, jobs // max(1, len(pending)))
    for item in pending:
        store.own_folder(out, item.folder)
        (item.folder / MARKER).unlink(missing_ok=True)  # a scenario is either complete and current or recomputed
        (item.folder / PROGRESS).unlink(missing_ok=True)
        check_parameters(plan.scenario_notebook, scenario_parameters(plan, item, inner_jobs, out))
    bar = tqdm(total=len(plan.scenarios) * reps, unit="replication", disable=not progress,
               desc=f"{plan.batch.name}: 0/{len(plan.scenarios)} scenarios")
    done_count = len(plan.scenarios) - len(pending)
    bar.update(done_count * reps)
    _write_batch_json(out, plan, precision=sized)

    def run_one(item: PlannedScenario) -> PlannedScenario:
        start = time.perf_counter()
        timeout = plan.batch.timeout_minutes * 60 if plan.batch.timeout_minutes else None
        ok, error = execute_in_child(plan.scenario_notebook, item.notebook,
                                     scenario_parameters(plan, item, inner_jobs, out), out, timeout_s=timeout)
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
    _write_batch_json(out, plan, precision=sized)
    result = BatchResult(out, plan, precision=sized)
    if report and plan.compare_notebook is not None:
        _report(result)
        _write_batch_json(out, plan, result, precision=sized)
    return result


def _size(plan: Plan, out: Path, jobs: int, progress: bool) -> dict | None:
    """With a precision rule: the replications it needs, found and set on the plan; what it reached."""
    if plan.precision is None:
        return None
    from .precision import size_batch

    return size_batch(plan, out, jobs=jobs, progress=progress)


def _progress_of(folder: Path) -> int:
    try:
        return int(read_bytes(folder / PROGRESS, limit=64, what="progress file", follow=False).strip() or 0)
    except (InputError, ValueError):
        return 0


def _write_batch_json(out: Path, plan: Plan, result: BatchResult | None = None, precision: dict | None = None) -> Path:
    batch = plan.batch
    content = {
        "batch": batch.name, "title": _texts(batch.title, batch.name), "question": _texts(batch.question, ""),
        "description": _texts(batch.description, ""),
        "batch_file": str(plan.path.resolve()), "replications": plan.replications,
        "seed": plan.batch.seed, "code_version": plan.code_version, "baseline": plan.baseline,
        "language": plan.batch.language, "target_on_time_rate": plan.batch.target_on_time_rate,
        "scenarios": [
            {"name": s.name, "title": s.title, "description": s.description,
             "folder": str(s.folder.relative_to(out)) if s.folder.is_relative_to(out) else str(s.folder),
             "file": str(s.file), "overrides": s.overrides, "content_hash": s.scenario.content_hash(),
             "key": s.key, "status": s.status, "error": s.error, "seconds": round(s.seconds, 1),
             "notebook": str(s.notebook.relative_to(out)) if s.notebook.is_relative_to(out) else str(s.notebook)}
            for s in plan.scenarios
        ],
    }
    if precision is not None:
        content["precision"] = {key: value for key, value in precision.items()
                                if key != "widest_half_width_by_replications"}
    if result is not None:
        content["report"] = str(result.report) if result.report else None
        content["report_error"] = result.report_error
    return store.write_json(content, Path(out) / "batch.json")


def _texts(value, default: str) -> dict[str, str]:
    """A LocalText or plain text as {language: text}."""
    return {language: in_language(value, language, default) for language in ("en", "zh")}


def _report(result: BatchResult) -> None:
    out, plan = result.out, result.plan
    executed = out / "notebooks" / COMPARE_NOTEBOOK
    parameters = {"results_dir": str(out.resolve()), "brief_dir": str(out.resolve()), "language": plan.batch.language}
    check_parameters(plan.compare_notebook, parameters)
    ok, error = execute_in_child(plan.compare_notebook, executed, parameters, out)
    if ok and not (out / "report.html").is_file():
        ok, error = False, "the comparison notebook ran but wrote no brief (report.html)"
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
    lines = [f"batch {result.plan.batch.name}: {len(items)} scenario(s) x {result.plan.replications} "
             f"replication(s), seed {result.plan.batch.seed}: {len(complete)} computed, {len(skipped)} skipped "
             f"(complete and current), {len(result.failed)} failed"]
    if result.precision:
        p = result.precision
        reached = "met" if p["met"] else f"NOT met at the cap of {p['cap']}"
        lines.append(f"  replications by precision: {p['kpi']} half-width at most {p['half_width_target']:g} "
                     f"(scenario means and paired differences from {p['baseline']}): {reached} with "
                     f"{p['replications']} replication(s), widest half-width {_shown(p['half_width'])}")
    for item in result.failed:
        lines.append(f"  FAILED {item.name}: {item.error}")
    if result.report_error:
        lines.append(f"  report: {result.report_error}")
    if result.report:
        lines.append(f"report: {result.report}")
        lines.append(f"charts (PNG and SVG, 16:9): {result.out / 'charts'}/")
    lines.append(f"executed notebooks (audit trail): {result.out / 'notebooks'}/; "
                 f"manifest: {result.out / 'batch.json'}")
    return "\n".join(lines)



def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
