"""What the notebooks call: run and show one scenario, load and compare a batch, sweep head counts, explore with widgets.

The notebooks in notebooks/ hold parameters, prose and one call per cell; every computation,
table and chart is made here (and in metrics, report and charts), so the notebooks stay thin and
the logic is tested like any other code. Displays go through IPython.display; nothing here prints.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from . import charts

from ..analysis import registry
from ..analysis.statistics import paired_differences, summarise

from . import tables as report
from .formatting import difference_text, estimate_text

from ..results import store
from ..experiment.runs import Replications, collect, replicate_many, simulate
from ..params import Scenario, load_scenario

CHART_DPI = 144  # 13.33 x 7.5 in at 144 dpi = 1920 x 1080 px, a 16:9 slide


# --------------------------------------------------------------------------- displays


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def markdown(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(text))


def save_chart(figure, folder: str | Path | None, stem: str) -> list[Path]:
    """Save a figure as PNG (1920 x 1080) and SVG into folder (if given); return the files."""
    if folder is None:
        return []
    folder = store.prepare_folder(Path(folder))
    name = store.safe_name(stem)
    return [store.atomic_write(folder / f"{name}.{fmt}",
                               lambda tmp, fmt=fmt: figure.savefig(tmp, format=fmt, dpi=CHART_DPI))
            for fmt in ("png", "svg")]


def show_chart(figure, folder: str | Path | None = None, stem: str = "chart") -> list[Path]:
    """Display a figure in the notebook, save it as PNG and SVG if a folder is given, then close it."""
    import matplotlib.pyplot as plt

    try:
        _display(figure)
        return save_chart(figure, folder, stem)
    finally:
        plt.close(figure)


def kpi_frame(summary: pd.DataFrame, kpis=report.MAIN_KPIS, differences: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per KPI and scenario: mean, 95 % CI, and (if given) the paired difference from the baseline."""
    rows = []
    scenarios = list(dict.fromkeys(summary["scenario"]))
    for kpi in kpis:
        for scenario in scenarios:
            match = summary[(summary["kpi"] == kpi) & (summary["scenario"] == scenario)]
            if match.empty:
                continue
            r = match.iloc[0]
            row = {"KPI": kpi, "unit": registry.unit(kpi), "scenario": scenario,
                   "mean [95 % CI]": estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi)}
            if differences is not None:
                row["difference vs baseline [95 % CI]"] = _difference_text(differences, scenario, kpi)
            rows.append(row)
    return pd.DataFrame(rows)


def _difference_text(differences: pd.DataFrame, scenario: str, kpi: str) -> str:
    match = differences[(differences["scenario"] == scenario) & (differences["kpi"] == kpi)]
    if match.empty:
        return "baseline"
    r = match.iloc[0]
    return difference_text(r["difference"], r["ci_low"], r["ci_high"], r["interval"], r["significant"], kpi)


def show_table(frame: pd.DataFrame) -> None:
    _display(frame.style.hide(axis="index") if hasattr(frame, "style") else frame)


# --------------------------------------------------------------------------- one scenario


def as_overrides(overrides: list[str] | dict[str, Any] | None) -> list[str]:
    """Overrides as `gridgov --set` texts, from a list of 'path=value' texts or a {path: value} mapping.

    Notebook parameter cells use the mapping (papermill cannot read a default with '=' inside it);
    the batch runner injects the list.
    """
    if not overrides:
        return []
    if isinstance(overrides, dict):
        return [f"{path}={value if isinstance(value, str) else json.dumps(value)}" for path, value in overrides.items()]
    return [str(o) for o in overrides]


@dataclass
class ScenarioRun:
    """A scenario's replications as a notebook sees them."""

    scenario: Scenario
    results: Replications
    overrides: list[str] = field(default_factory=list)
    folder: Path | None = None


def _write_progress(path: str | None, done: int) -> None:
    if path:
        store.atomic_write(Path(path), lambda tmp: tmp.write_text(str(done)))


def run_scenario(scenario_file: str | Path, overrides: list[str] | dict[str, Any] = (), *, replications: int = 3, seed: int = 0,
                 out_dir: str | Path | None = None, key: str = "", jobs: int = 1, language: str = "en",
                 progress_file: str | None = None) -> ScenarioRun:
    """Replicate one scenario; with out_dir, write its results there and mark them complete (marker last).

    With jobs = 1 the replications run here one by one and progress_file counts them (the batch
    runner reads it for its progress bar); with more, they run in a process pool.
    """
    overrides = as_overrides(overrides)
    scenario = load_scenario(scenario_file, overrides)
    if jobs <= 1:
        runs = []
        for r in range(replications):
            runs.append(simulate(scenario, seed, r, case_log=(r == 0)))
            _write_progress(progress_file, r + 1)
        results = collect(runs)
    else:
        results = replicate_many([scenario], replications, seed, jobs=jobs, keep_case_log=True)
        _write_progress(progress_file, replications)
    folder = None
    if out_dir is not None:
        folder = store.prepare_folder(Path(out_dir))
        written = report.write_results(folder, results, [scenario], seed=seed, replications=replications,
                                       command=f"notebook scenario.ipynb {scenario_file} {' '.join(overrides)}",
                                       language=language, charts=False)
        written.append(store.write_json({"file": str(scenario_file), "overrides": overrides,
                                         "scenario": scenario.model_dump(mode="json")}, folder / "scenario.json"))
        from ..results.markers import write_marker

        write_marker(folder, key, written, scenario=scenario.name, content_hash=scenario.content_hash(),
                     replications=replications, seed=seed)
    return ScenarioRun(scenario, results, overrides, folder)


def deadlines_of(scenarios: list[Scenario]) -> list[float]:
    """Every deadline that applies to cases: category deadlines and the departments' resolution limits."""
    values = {c.deadline_h for s in scenarios for c in s.cases.categories.values() if c.deadline_h}
    values |= {s.dispatch.resolution_deadline_h for s in scenarios}
    return sorted(values)


def show_scenario_kpis(run: ScenarioRun) -> None:
    markdown(f"**{run.scenario.name}**: {run.scenario.description or ''}  \n"
             f"{int(run.results.per_replication['replication'].nunique())} replication(s), "
             f"{run.scenario.horizon_days} days (warm-up {run.scenario.warm_up_days}, drain {run.scenario.drain_days}); "
             f"content hash `{run.scenario.content_hash()}`")
    show_table(kpi_frame(run.results.summary).drop(columns="scenario"))


SCORECARD_COLUMNS = ["unit", "period", "start_day", "end_day", "arrived", "closed", "on_time_rate", "overdue",
                     "backlog_end", "satisfaction", "patrol_coverage", "below_threshold"]


def show_scorecards(tables: dict[str, pd.DataFrame], grid_rows: int = 20) -> None:
    """The three-level assessment (seed 000) of replication 0: subdistricts quarterly, communities monthly, grids weekly."""
    if "scorecard_subdistrict_quarterly" not in tables:
        markdown("_No scorecards: the case log of replication 0 was not kept._")
        return
    for name, title in (("scorecard_subdistrict_quarterly", "Subdistricts, quarterly"),
                        ("scorecard_community_monthly", "Communities, monthly")):
        markdown(f"**{title}**")
        show_table(tables[name][SCORECARD_COLUMNS])
    grids = tables["scorecard_grid_weekly"]
    markdown(f"**Grids, weekly** (on-time rate, first {grid_rows} grids): {grids['below_threshold'].mean():.1%} of "
             "grid-weeks fall under the on-time threshold")
    show_table(grids.pivot(index="unit", columns="period", values="on_time_rate").round(2).head(grid_rows))


def mechanism_kpis(kpis: dict[str, float]) -> pd.DataFrame:
    """The prevention and participation KPIs of one run (only the mechanisms that are on), with the on-time rate."""
    shown = {"on_time_rate", *registry.in_group("prevention"), *registry.in_group("participation"),
             *registry.in_group("time_use")}
    return pd.Series({k: v for k, v in kpis.items() if k in shown}, name="value").to_frame()


def show_provenance(run: ScenarioRun) -> None:
    """Where every parameter comes from; values set by overrides are marked as such."""
    frame = report.provenance_frame(run.scenario)
    overridden = {o.split("=", 1)[0].strip() for o in run.overrides}
    if overridden and "parameter" in frame.columns:
        hit = frame["parameter"].map(lambda p: any(p == o or p.startswith(o + ".") for o in overridden))
        frame.insert(1, "set by override", hit.map({True: "yes", False: ""}))
    if run.overrides:
        markdown("Overrides applied (in order): " + ", ".join(f"`{o}`" for o in run.overrides))
    show_table(frame)


# --------------------------------------------------------------------------- a batch's results


@dataclass
class BatchResults:
    """A batch's collected results: the manifest, the completed scenarios' replications, and the failures."""

    manifest: dict
    results: Replications
    scenarios: dict[str, Scenario]
    baseline: str
    failed: list[dict]
    differences: pd.DataFrame | None


def load_batch(results_dir: str | Path) -> BatchResults:
    """Read every complete scenario of a batch folder (OUT/batch.json and OUT/scenarios/*)."""
    from ..results.markers import MARKER

    results_dir = Path(results_dir)
    manifest_path = results_dir / "batch.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path}: no batch manifest; run `gridgov batch FILE --out {results_dir}` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    per_rep, series, logs, scenarios, failed = [], [], {}, {}, []
    for entry in manifest["scenarios"]:
        folder = results_dir / entry["folder"]
        marker = folder / MARKER
        if not marker.is_file() or json.loads(marker.read_text()).get("key") != entry["key"]:
            failed.append(entry)
            continue
        per_rep.append(pd.read_csv(folder / "kpis_per_replication.csv"))
        series.append(pd.read_parquet(folder / "timeseries.parquet"))
        stored = json.loads((folder / "scenario.json").read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(stored["scenario"])
        scenarios[scenario.name] = scenario
        log = folder / f"case_log_{store.safe_name(scenario.name)}_rep0.parquet"
        if log.is_file():
            logs[scenario.name] = pd.read_parquet(log, columns=["arrived_h", "closed_h", "due_h"])
    if not per_rep:
        raise RuntimeError(f"{results_dir}: no scenario of batch {manifest['batch']} completed")
    per_replication = pd.concat(per_rep, ignore_index=True)
    results = Replications(per_replication, summarise(per_replication), pd.concat(series, ignore_index=True), logs)
    baseline = manifest.get("baseline") or next(iter(scenarios))
    if baseline not in scenarios:
        baseline = next(iter(scenarios))
    differences = paired_differences(per_replication, baseline) if len(scenarios) > 1 else None
    return BatchResults(manifest, results, scenarios, baseline, failed, differences)


def show_batch_status(batch: BatchResults) -> None:
    m = batch.manifest
    markdown(f"## Batch `{m['batch']}`\n\n{len(m['scenarios'])} scenario(s) x {m['replications']} replication(s), "
             f"seed {m['seed']}, code version `{m['code_version']}`. Scenarios share their random numbers "
             f"(common random numbers), so differences from the baseline **{batch.baseline}** are paired.")
    rows = [{"scenario": s["name"], "status": "complete" if s not in batch.failed else "FAILED",
             "content hash": s["content_hash"], "overrides": "; ".join(s["overrides"]),
             "reason": s.get("error", "") if s in batch.failed else ""} for s in m["scenarios"]]
    show_table(pd.DataFrame(rows))
    if batch.failed:
        markdown("**Failed scenarios are left out of the comparison below:** "
                 + ", ".join(f"{s['name']} ({s.get('error') or 'no complete results'})" for s in batch.failed))


def show_comparison_table(batch: BatchResults) -> None:
    markdown("Mean over replications with its 95 % confidence interval; the difference from the baseline is "
             "paired (same seeds), with its own 95 % CI; `*` marks a difference whose CI excludes 0.")
    show_table(kpi_frame(batch.results.summary, differences=batch.differences))


def show_comparison_charts(batch: BatchResults, charts_dir: str | Path | None = None, language: str = "en",
                           target: float | None = None) -> list[Path]:
    """The meeting charts: on-time rate with CIs, time to close, backlog, cost against on-time rate."""
    target = target if target is not None else batch.manifest.get("target_on_time_rate")
    written = []
    written += show_chart(charts.kpi_bars(batch.results.summary, "on_time_rate", language, target=target),
                          charts_dir, "on_time_rate")
    if batch.results.case_logs:
        deadlines = deadlines_of(list(batch.scenarios.values()))
        written += show_chart(charts.time_to_close(batch.results.case_logs, language, deadlines), charts_dir,
                              "time_to_close")
    written += show_chart(charts.backlog_over_time(batch.results.timeseries, language), charts_dir, "backlog")
    written += show_chart(charts.kpi_bars(batch.results.summary, "ttc_p90_h", language), charts_dir, "ttc_p90_h")
    figure = charts.cost_vs_on_time(batch.results.summary, language)
    if figure is None:
        markdown(f"*Cost against on-time rate: not drawn, because the results have no `{charts.COST_KPI}` KPI "
                 "(the cost model is not part of this version).*")
    else:
        written += show_chart(figure, charts_dir, "cost_vs_on_time")
    return written


# --------------------------------------------------------------------------- staffing


def staffing_sweep(scenario_file: str | Path, overrides: list[str] | dict[str, Any], head_counts: list[int], *, replications: int,
                   seed: int = 0, jobs: int = 1, progress: bool = False) -> pd.DataFrame:
    """On-time rate (mean, 95 % CI) and cost, if the model has it, for each grid worker head count.

    Every head count is run over the same replications and seeds (common random numbers).
    """
    counts = sorted(set(int(n) for n in head_counts))
    scenarios = [load_scenario(scenario_file, as_overrides(overrides) + [f"workforce.grid_workers={n}",
                                                               f"name=grid_workers_{n}"]) for n in counts]
    results = replicate_many(scenarios, replications, seed, jobs=jobs, progress=progress)
    return staffing_table(results.summary, dict(zip((s.name for s in scenarios), counts)))


def staffing_table(summary: pd.DataFrame, head_count_of: dict[str, int]) -> pd.DataFrame:
    rows = []
    for name, count in head_count_of.items():
        row = {"head_count": count}
        for kpi, prefix in (("on_time_rate", "on_time"), (charts.COST_KPI, "cost")):
            match = summary[(summary["scenario"] == name) & (summary["kpi"] == kpi)]
            if not match.empty:
                row.update({f"{prefix}_mean": match.iloc[0]["mean"], f"{prefix}_ci_low": match.iloc[0]["ci_low"],
                            f"{prefix}_ci_high": match.iloc[0]["ci_high"]})
        rows.append(row)
    return pd.DataFrame(rows).sort_values("head_count").reset_index(drop=True)


def smallest_meeting_target(table: pd.DataFrame, target: float) -> int | None:
    """The smallest head count whose on-time rate meets the target with confidence (the CI's lower end >= target)."""
    meets = table[table["on_time_ci_low"] >= target]
    return int(meets["head_count"].min()) if not meets.empty else None


def staffing_verdict(table: pd.DataFrame, target: float, reference: int | None = None,
                     reference_label: str = "") -> str:
    """The sentence a meeting needs: which head count meets the target, and where the reference sits."""
    best = smallest_meeting_target(table, target)
    lines = []
    if best is None:
        lines.append(f"No head count in the sweep ({table['head_count'].min():,}-{table['head_count'].max():,}) meets "
                     f"an on-time rate of {target:.0%} with confidence (lower end of the 95 % CI at or above it).")
    else:
        row = table[table["head_count"] == best].iloc[0]
        lines.append(f"The smallest head count in the sweep that meets an on-time rate of {target:.0%} with confidence "
                     f"is **{best:,}** grid workers (on-time rate {row['on_time_mean']:.1%}, "
                     f"95 % CI {row['on_time_ci_low']:.1%}-{row['on_time_ci_high']:.1%}). The sweep's step limits "
                     "the precision: the true minimum lies between the previous head count and this one.")
    if reference is not None:
        at = table[table["head_count"] == reference]
        where = (f"on-time rate {at.iloc[0]['on_time_mean']:.1%} (95 % CI {at.iloc[0]['on_time_ci_low']:.1%}-"
                 f"{at.iloc[0]['on_time_ci_high']:.1%})" if not at.empty else "not a point of the sweep")
        status = ("meets" if best is not None and reference >= best else "does not meet")
        lines.append(f"{reference_label or 'Reference'} ({reference:,} grid workers): {where}; it {status} the "
                     "target with confidence.")
    if "cost_mean" not in table:
        lines.append(f"Cost is not plotted: the results have no `{charts.COST_KPI}` KPI (the cost model is not part "
                     "of this version).")
    return "  \n".join(lines)


# --------------------------------------------------------------------------- exploring with widgets


@dataclass
class Lever:
    """One control of the explorer: a label, the scenario parameter it sets, and how to build the widget."""

    label: str
    path: str
    make: Callable[[Scenario], Any]
    to_overrides: Callable[[Any], list[str]]


def schema_has(path: str) -> bool:
    """Whether the scenario schema has a parameter at this dotted path (used to switch levers on)."""
    from pydantic import BaseModel

    annotation: Any = Scenario
    for part in path.split("."):
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        fields = annotation.model_fields
        if part not in fields:
            return False
        annotation = fields[part].annotation
    return True


def levers() -> list[Lever]:
    """The explorer's main levers, declared as data. A lever whose parameter is not in the schema yet is left out."""
    import ipywidgets as w

    def batches_widget(s: Scenario):
        total = sum(b.size for b in s.workforce.hiring_batches)
        return w.IntSlider(value=total, min=0, max=max(4000, total), step=50, description="hired (2 batches)",
                           continuous_update=False, style={"description_width": "initial"})

    def batches_overrides(total: int) -> list[str]:
        if total <= 0:
            return ["workforce.hiring_batches=[]"]
        first = total // 2
        return [f"workforce.hiring_batches=[{{size: {first}, start_day: 7}}, {{size: {total - first}, start_day: 14}}]"]

    candidates = [
        Lever("grid workers", "workforce.grid_workers",
              lambda s: w.IntSlider(value=s.workforce.grid_workers, min=0, max=max(5000, 2 * s.workforce.grid_workers),
                                    step=10, description="grid workers", continuous_update=False),
              lambda v: [f"workforce.grid_workers={v}"]),
        Lever("hiring batches", "workforce.hiring_batches", batches_widget, batches_overrides),
        Lever("department deadline", "dispatch.resolution_deadline_h",
              lambda s: w.Dropdown(options=sorted({24.0, 48.0, 72.0, 120.0, 168.0, s.dispatch.resolution_deadline_h}),
                                   value=s.dispatch.resolution_deadline_h, description="deadline (h)"),
              lambda v: [f"dispatch.resolution_deadline_h={v}"]),
        Lever("queue discipline", "dispatch.queue_discipline",
              lambda s: w.ToggleButtons(options=[("FIFO", "fifo"), ("earliest deadline", "edf")],
                                        value=s.dispatch.queue_discipline, description="queue"),
              lambda v: [f"dispatch.queue_discipline={v}"]),
        Lever("reserve ratio", "reserve_pool.ratio_to_communities",
              lambda s: w.FloatSlider(value=s.reserve_pool.ratio_to_communities, min=0, max=4, step=0.5,
                                      description="reserve pool (x communities)", continuous_update=False,
                                      style={"description_width": "initial"}),
              lambda v: [f"reserve_pool.ratio_to_communities={v}"]),
        Lever("horizon", "horizon_days",
              lambda s: w.IntSlider(value=s.horizon_days, min=s.warm_up_days + 7, max=max(365, s.horizon_days),
                                    step=7, description="horizon (days)", continuous_update=False,
                                    style={"description_width": "initial"}),
              lambda v: [f"horizon_days={v}"]),
    ]
    return [lever for lever in candidates if schema_has(lever.path)]


class Explorer:
    """Widgets for the main levers that re-run a short simulation on change and redraw KPIs and charts."""

    def __init__(self, scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), *, replications: int = 1,
                 seed: int = 0, language: str = "en"):
        import ipywidgets as w

        self.files = {Path(f).stem: Path(f) for f in scenario_files}
        self.base_overrides = as_overrides(overrides)
        self.replications, self.seed, self.language = replications, seed, language
        self.output = w.Output()
        self.status = w.HTML()
        self.picker = w.Dropdown(options=list(self.files), description="scenario")
        self.picker.observe(lambda _: self._rebuild(), names="value")
        self.box = w.VBox()
        self.widget = w.VBox([self.picker, self.box, self.status, self.output])
        self._rebuild(run=False)

    def _base(self) -> Scenario:
        return load_scenario(self.files[self.picker.value], self.base_overrides)

    def _rebuild(self, run: bool = True) -> None:
        import ipywidgets as w

        scenario = self._base()
        self.controls = [(lever, lever.make(scenario)) for lever in levers()]
        for _, control in self.controls:
            control.observe(lambda _: self.render(), names="value")
        self.box.children = [w.HBox([c for _, c in self.controls[i:i + 3]]) for i in range(0, len(self.controls), 3)]
        if run:
            self.render()

    def overrides(self) -> list[str]:
        result = list(self.base_overrides)
        for lever, control in self.controls:
            result += lever.to_overrides(control.value)
        return result

    def _scenario(self) -> Scenario:
        """The chosen scenario with the levers applied; hiring batches must fall inside the horizon."""
        from ..errors import InputError

        overrides = self.overrides()
        try:
            return load_scenario(self.files[self.picker.value], overrides)
        except InputError:
            # e.g. hiring batches that start after a shortened horizon: run without them, and say so
            kept = [o for o in overrides if not o.startswith("workforce.hiring_batches=")]
            scenario = load_scenario(self.files[self.picker.value], kept + ["workforce.hiring_batches=[]"])
            self.note = " Hiring batches left out: they would start after the horizon."
            return scenario

    def render(self) -> Replications | None:
        """Run the short simulation with the current settings and redraw; return the results."""
        from ..errors import InputError

        self.status.value = "running..."
        self.note = ""
        with self.output:
            self.output.clear_output(wait=True)
            try:
                scenario = self._scenario()
            except InputError as error:
                self.status.value = f"<b>Not valid:</b> {error}"
                return None
            results = replicate_many([scenario], self.replications, self.seed, keep_case_log=True)
            show_table(kpi_frame(results.summary).drop(columns="scenario"))
            show_chart(charts.backlog_over_time(results.timeseries, self.language))
            show_chart(charts.time_to_close(results.case_logs, self.language, deadlines_of([scenario])))
        self.status.value = (f"{scenario.name}: {self.replications} replication(s), {scenario.horizon_days} days, "
                             f"{scenario.workforce.final_grid_workers:,} grid workers at the end.{self.note}")
        return results


def explore(scenario_files: list[str | Path], overrides: list[str] | dict[str, Any] = (), **kwargs) -> Explorer:
    """Show the explorer and render the default settings once."""
    explorer = Explorer(scenario_files, overrides, **kwargs)
    _display(explorer.widget)
    explorer.render()
    return explorer
