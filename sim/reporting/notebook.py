"""What the scenario and comparison notebooks call: run and show one scenario, load and compare a batch.

The notebooks in notebooks/ hold parameters, prose and one call per cell; every computation,
table and chart is made here (and in `display`, `tables` and `charts`), so the notebooks stay
thin and the logic is tested like any other code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import messages, registry
from ..analysis.behaviour import TOLERANCE, yardstick_only, yardstick_split
from ..experiment.runs import Replications, collect, replicate_many, simulate
from ..params import Scenario, load_scenario
from ..params.base import in_language
from ..results import store
from ..results.markers import write_marker
from . import charts
from .batch_results import BatchResults, deadlines_of, load_batch  # noqa: F401 (nb.load_batch)
from .display import kpi_frame, markdown, show_chart, show_table  # noqa: F401 (the notebooks call them as nb.*)
from .results_folder import write_results
from .tables import provenance_frame


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


def run_scenario(scenario_file: str | Path, overrides: list[str] | dict[str, Any] = (), *, replications: int = 3,
                 seed: int = 0,
                 out_dir: str | Path | None = None, key: str = "", jobs: int = 1, language: str = "en",
                 progress_file: str | None = None, work_dir: str | None = None) -> ScenarioRun:
    """Replicate one scenario; with out_dir, write its results there and mark them complete (marker last).

    With jobs = 1 the replications run here one by one and progress_file counts them (the batch
    runner reads it for its progress bar); with more, they run in a process pool. work_dir is a
    results folder whose work log (`sim.results.resume`) holds replications already computed (a
    batch sized by precision): those are recalled, the others simulated and saved there.
    """
    overrides = as_overrides(overrides)
    scenario = load_scenario(scenario_file, overrides)
    resume = None
    if work_dir:
        from ..results.resume import ReplicationLog

        resume = ReplicationLog(Path(work_dir))
    if jobs <= 1:
        runs = []
        for r in range(replications):
            run = resume.load(scenario, seed, r, r == 0) if resume is not None else None
            if run is None:
                run = simulate(scenario, seed, r, case_log=(r == 0))
                if resume is not None:
                    resume.save(scenario, run)
            runs.append(run)
            _write_progress(progress_file, r + 1)
        results = collect(runs)
    else:
        results = replicate_many([scenario], replications, seed, jobs=jobs, keep_case_log=True, resume=resume)
        _write_progress(progress_file, replications)
    folder = None
    if out_dir is not None:
        folder = store.prepare_folder(Path(out_dir))
        written = write_results(folder, results, [scenario], seed=seed, replications=replications,
                                command=f"notebook scenario.ipynb {scenario_file} {' '.join(overrides)}",
                                language=language, with_charts=False)
        written.append(store.write_json({"file": str(scenario_file), "overrides": overrides,
                                         "scenario": scenario.model_dump(mode="json")}, folder / "scenario.json"))
        write_marker(folder, key, written, scenario=scenario.name, content_hash=scenario.content_hash(),
                     replications=replications, seed=seed)
    return ScenarioRun(scenario, results, overrides, folder)


def show_scenario_kpis(run: ScenarioRun, language: str = "en") -> None:
    scenario = run.scenario
    heading = messages.text("notebook.scenario_heading", language,
                            title=in_language(scenario.title, language, scenario.name),
                            description=in_language(scenario.description, language))
    sizing = messages.text("notebook.scenario_sizing", language,
                           replications=int(run.results.per_replication["replication"].nunique()),
                           days=scenario.horizon_days, warm_up=scenario.warm_up_days, drain=scenario.drain_days,
                           hash=scenario.content_hash())
    markdown(f"**{heading}**  \n{sizing}")
    frame = kpi_frame(run.results.summary, language=language)
    show_table(frame.drop(columns=messages.text("table.scenario", language)))


def show_time_to_close(run: ScenarioRun, language: str = "en") -> None:
    """The share of cases closed within each time, mean over the replications with its 95 % band."""
    curves = run.results.closure if run.results.closure is not None else run.results.case_logs
    show_chart(charts.time_to_close(curves, language, deadlines_of([run.scenario]),
                                    {run.scenario.name: in_language(run.scenario.title, language, run.scenario.name)}))


SCORECARD_COLUMNS = ["unit", "period", "start_day", "end_day", "arrived", "closed", "on_time_rate", "overdue",
                     "backlog_end", "satisfaction", "patrol_coverage", "below_threshold"]
SCORECARD_SHARES = ("on_time_rate", "satisfaction", "patrol_coverage")
SCORECARDS = (("scorecard_subdistrict_quarterly", "scorecard.subdistricts"),
              ("scorecard_community_monthly", "scorecard.communities"))


def scorecard_frame(frame: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """A scorecard with the catalogue's column names, shares as percentages and the threshold flag as yes/no."""
    t = lambda key: messages.text(key, language)  # noqa: E731
    shown = frame[[c for c in SCORECARD_COLUMNS if c in frame.columns]].copy()
    for column in SCORECARD_SHARES:
        if column in shown:
            shown[column] = shown[column].map(lambda v: messages.percent(v, language))
    if "below_threshold" in shown:
        shown["below_threshold"] = shown["below_threshold"].map(lambda v: t("word.yes") if v else t("word.no"))
    return shown.rename(columns={c: t(f"scorecard.{c}") for c in shown.columns})


def show_scorecards(tables: dict[str, pd.DataFrame], grid_rows: int = 20, language: str = "en") -> None:
    """The three-level assessment (seed 000) of replication 0: subdistricts quarterly, communities monthly, grids
    weekly; texts and column names in the language."""
    t = lambda key, **fields: messages.text(key, language, **fields)  # noqa: E731
    if "scorecard_subdistrict_quarterly" not in tables:
        markdown(f"_{t('scorecard.none')}_")
        return
    for name, title in SCORECARDS:
        markdown(f"**{t(title)}**")
        show_table(scorecard_frame(tables[name], language))
    grids = tables["scorecard_grid_weekly"]
    markdown(t("scorecard.grids", rows=grid_rows,
               share=messages.percent(grids["below_threshold"].mean(), language)))
    wide = grids.pivot(index="unit", columns="period", values="on_time_rate").head(grid_rows)
    wide = wide.apply(lambda column: column.map(lambda v: messages.percent(v, language, 0)))
    wide.index.name = t("scorecard.grid")
    wide.columns.name = t("scorecard.week")
    show_table(wide.reset_index())


TIME_USE_COLUMNS = ("role", "shift_h", "overtime_h", "cases_h", "patrol_h", "burden_h", "other_h", "idle_h",
                    "burden_freed_h")


def time_use_frame(frame: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """Worker time per role (hours in the measured window), roles and columns in the language."""
    t = lambda key: messages.text(key, language)  # noqa: E731
    shown = frame[[c for c in TIME_USE_COLUMNS if c in frame.columns]].copy()
    shown["role"] = shown["role"].map(lambda role: t(f"time_use.{role}"))
    hours = [c for c in shown.columns if c != "role"]
    shown[hours] = shown[hours].apply(lambda column: column.map(lambda v: messages.number(v, language, 0)))
    return shown.rename(columns={c: t(f"time_use.{c}") for c in shown.columns})


def show_time_use(tables: dict[str, pd.DataFrame], language: str = "en") -> None:
    if "time_use" in tables:
        show_table(time_use_frame(tables["time_use"], language))


def mechanism_kpis(kpis: dict[str, float], language: str = "en") -> pd.DataFrame:
    """The prevention and participation KPIs of one run (only the mechanisms that are on), with the on-time rate:
    label, unit and value in the language."""
    shown = {"on_time_rate", *registry.in_group("prevention"), *registry.in_group("participation"),
             *registry.in_group("time_use")}
    t = lambda key: messages.text(key, language)  # noqa: E731
    rows = [{t("table.kpi"): messages.kpi_name(k, language),
             t("table.unit"): messages.unit_text(registry.unit(k), language),
             t("table.value"): messages.percent(v, language) if registry.is_share(k)
             else messages.number(v, language, 0 if abs(v) >= 100 else 2)}
            for k, v in kpis.items() if k in shown]
    return pd.DataFrame(rows)


def show_mechanism_kpis(kpis: dict[str, float], language: str = "en") -> None:
    show_table(mechanism_kpis(kpis, language))


def show_provenance(run: ScenarioRun, language: str = "en") -> None:
    """Where every parameter comes from; values set by overrides are marked as such."""
    t = lambda key: messages.text(key, language)  # noqa: E731
    frame = provenance_frame(run.scenario)
    overridden = {o.split("=", 1)[0].strip() for o in run.overrides}
    if overridden and "parameter" in frame.columns:
        hit = frame["parameter"].map(lambda p: any(p == o or p.startswith(o + ".") for o in overridden))
        frame.insert(1, "overridden", hit.map({True: t("word.yes"), False: ""}))
    if run.overrides:
        markdown(t("notebook.overrides") + " " + ", ".join(f"`{o}`" for o in run.overrides))
    show_table(frame.rename(columns={c: t(f"provenance.{c}") for c in frame.columns
                                     if messages.has(f"provenance.{c}")}))


# --------------------------------------------------------------------------- a batch's results


def heading(key: str, language: str = "en") -> None:
    """A notebook's section heading (and its note) from the message catalogue, in the notebook's language."""
    markdown(messages.text(key, language))


def write_brief(batch: BatchResults, out: str | Path, language: str = "en"):
    """Write the batch's meeting brief (report.html, report.pptx, charts/) into out; see `brief.write_brief`."""
    from .brief import write_brief as write

    return write(batch, out, language)


def show_findings(batch: BatchResults, language: str = "en") -> None:
    """The brief's question and findings, as the notebook's first output."""
    from .brief import findings

    found = findings(batch, language)
    lines = [f"{i}. {finding.text}" for i, finding in enumerate(found, start=1)]
    markdown(f"## {messages.text('brief.findings', language)}\n\n"
             + ("\n".join(lines) if lines else messages.text("brief.no_findings", language)))


def show_batch_status(batch: BatchResults, language: str = "en") -> None:
    m = batch.manifest
    markdown(messages.text("notebook.batch_status", language, batch=m["batch"],
                           scenarios=len(m["scenarios"]), replications=m["replications"], seed=m["seed"],
                           version=m["code_version"], baseline=batch.titles(language)[batch.baseline]))
    t = lambda key: messages.text(key, language)  # noqa: E731
    titles = batch.titles(language)
    rows = [{t("table.scenario"): titles[s["name"]], t("audit.status"): s["status"],
             t("audit.hash"): s["content_hash"], t("audit.overrides"): "; ".join(s["overrides"])}
            for s in m["scenarios"]]
    show_table(pd.DataFrame(rows))
    if batch.failed:
        markdown(messages.text("brief.failed", language, names=", ".join(
            f"{titles[s['name']]} ({s.get('error') or '-'})" for s in batch.failed)))


def show_comparison_table(batch: BatchResults, language: str = "en") -> None:
    markdown(messages.text("brief.kpi_note", language))
    show_table(kpi_frame(batch.results.summary, differences=batch.differences, language=language,
                         titles=batch.titles(language)))


def show_behaviour_notes(batch: BatchResults, language: str = "en") -> None:
    """Say which scenarios handle their cases alike, so that their on-time rates differ only by the yardstick."""
    for group in yardstick_only(batch.results.per_replication):
        titles = batch.titles(language)
        summary = batch.results.summary
        rates = [summary[(summary["scenario"] == name) & (summary["kpi"] == "on_time_rate")]["mean"].iloc[0]
                 for name in group]
        markdown(messages.text("finding.same_behaviour", language, names=", ".join(titles[n] for n in group),
                               tolerance=messages.percent(TOLERANCE, language, 1),
                               rates=", ".join(messages.percent(r, language) for r in rates)))
    show_yardstick_split(batch, language)


def show_yardstick_split(batch: BatchResults, language: str = "en") -> None:
    """Where scenarios measure their whistled cases against a common limit: how much of each on-time difference
    is behaviour and how much the yardstick."""
    split = yardstick_split(batch.results.per_replication, batch.baseline)
    if split.empty:
        return
    markdown(messages.text("notebook.yardstick_split", language))
    titles = batch.titles(language)
    t = lambda key: messages.text(key, language)  # noqa: E731
    rows = [{t("table.scenario"): titles.get(row.scenario, row.scenario), t("table.part"): t(f"table.part_{row.part}"),
             t("table.points"): messages.number(100 * row.mean, language, 2, signed=True),
             t("table.ci"): messages.text("table.ci_range", language,
                                          low=messages.number(100 * row.low, language, 2, signed=True),
                                          high=messages.number(100 * row.high, language, 2, signed=True))}
            for row in split.itertuples()]
    show_table(pd.DataFrame(rows))


def show_comparison_charts(batch: BatchResults, language: str = "en", charts_dir: str | Path | None = None,
                           target: float | None = None) -> list[Path]:
    """The meeting charts (as in the brief): on-time rate with CIs, time to close, open cases, cost."""
    from .brief import closure_of, deadline_kinds

    target = target if target is not None else batch.manifest.get("target_on_time_rate")
    titles = batch.titles(language)
    summary = batch.results.summary
    written = []
    written += show_chart(charts.kpi_bars(summary, "on_time_rate", language, target=target, titles=titles),
                          charts_dir, "on_time_rate")
    curves = closure_of(batch)
    if curves is not None:
        written += show_chart(charts.time_to_close(curves, language,
                                                   deadline_kinds(list(batch.scenarios.values())), titles),
                              charts_dir, "time_to_close")
    written += show_chart(charts.backlog_over_time(batch.results.timeseries, language, titles=titles,
                                                   scenarios=batch.scenarios), charts_dir, "backlog")
    written += show_chart(charts.kpi_bars(summary, "ttc_p90_h", language, titles=titles), charts_dir, "ttc_p90_h")
    figure = charts.cost_vs_on_time(summary, language, titles)
    if figure is not None:
        written += show_chart(figure, charts_dir, "cost_vs_on_time")
    figure = charts.deadline_trade_off(summary, language, titles)
    if figure is not None:
        written += show_chart(figure, charts_dir, "deadline_trade_off")
    return written
