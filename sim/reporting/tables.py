"""Reports of a run or a comparison: text tables for the terminal and the results folder on disk."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pandas as pd

from .. import __version__

from . import charts
from .formatting import difference_text, estimate_text

from ..results import manifest


from ..results import store
from ..experiment.runs import Replications
from ..params import Scenario, provenance

MAIN_KPIS = (
    "on_time_rate", "ttc_p50_h", "ttc_p90_h", "ttc_p99_h", "overdue_cases", "backlog_end", "cases_per_day",
    "grid_worker_utilisation", "community_worker_utilisation", "department_staff_utilisation",
    "cases_per_grid_worker_day", "acceptance_overdue_rate", "whistled_share",
)

# Issue 3: workforce over time and costs, shown in their own table.
PEOPLE_KPIS = (
    "secretary_vacancy_days_per_community_year", "secretary_time_to_fill_mean_days", "secretary_time_to_fill_p90_days",
    "reserve_pool_stockout_probability", "reserve_pool_stockout_days", "reserve_pool_mean", "grid_worker_vacancy_days",
    "grid_days_uncovered", "grid_days_covered_by_neighbours", "annual_cost_yuan", "cost_per_on_time_case_yuan",
)

SUCCESSION_KPIS = (
    "secretary_vacancies_opened", "secretary_vacancy_days_per_community_year", "secretary_time_to_fill_mean_days",
    "secretary_time_to_fill_p90_days", "reserve_pool_stockout_probability", "reserve_pool_stockouts",
    "reserve_pool_stockout_days", "reserve_pool_mean", "reserve_pool_trainees", "annual_cost_training_yuan",
    "annual_cost_secretaries_yuan",
)


def marginal_cost_table(marginal: dict) -> str:
    """One line per scenario: extra yuan a year per percentage point of on-time rate, with its CI."""
    lines = []
    for name, m in marginal.items():
        ci = "" if math.isnan(m["ci_low"]) else f" [{m['ci_low']:,.0f}, {m['ci_high']:,.0f}]"
        ratio = "n/a (no on-time difference)" if math.isnan(m["yuan_per_pp"]) else f"{m['yuan_per_pp']:,.0f} yuan/pp{ci}"
        lines.append(f"{name} vs {m['baseline']}: {m['cost_difference_yuan']:+,.0f} yuan/year, "
                     f"{m['on_time_difference_pp']:+.2f} pp on time -> {ratio}")
    return "\n".join(lines) if lines else "(no comparison)"


MECHANISM_KPIS = (
    "patrol_coverage", "latent_found_before_eruption_share", "latent_erupted", "informant_reports",
    "mediation_success_rate", "micro_wish_fulfilment_rate", "micro_wish_wait_p50_h", "burden_hours_per_worker_week",
    "burden_hours_freed", "grid_worker_patrol_share",
)


def kpi_table(summary: pd.DataFrame, kpis=MAIN_KPIS) -> str:
    """KPIs as rows, scenarios as columns: 'mean [ci_low, ci_high]'."""
    scenarios = list(dict.fromkeys(summary["scenario"]))
    rows = []
    for kpi in kpis:
        row = {"kpi": kpi}
        for scenario in scenarios:
            match = summary[(summary["kpi"] == kpi) & (summary["scenario"] == scenario)]
            if match.empty:
                row[scenario] = "n/a"
                continue
            r = match.iloc[0]
            row[scenario] = estimate_text(r["mean"], r["ci_low"], r["ci_high"], r["interval"], kpi)
        rows.append(row)
    return pd.DataFrame(rows).to_string(index=False)


def differences_table(differences: pd.DataFrame, kpis=MAIN_KPIS) -> str:
    rows = []
    for _, r in differences[differences["kpi"].isin(kpis)].iterrows():
        rows.append({
            "scenario": r["scenario"], "kpi": r["kpi"],
            "difference vs " + r["baseline"]: difference_text(r["difference"], r["ci_low"], r["ci_high"],
                                                              r["interval"], r["significant"], r["kpi"]),
        })
    return pd.DataFrame(rows).to_string(index=False) if rows else "(no differences)"


def provenance_frame(scenario: Scenario) -> pd.DataFrame:
    return pd.DataFrame(provenance(scenario))


def json_summary(summary: pd.DataFrame, scenario: str) -> dict:
    rows = summary[summary["scenario"] == scenario]
    return {
        r["kpi"]: {"mean": _clean(r["mean"]), "ci_low": _clean(r["ci_low"]), "ci_high": _clean(r["ci_high"])}
        for _, r in rows.iterrows()
    }


def _clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def write_results(
    folder: Path,
    results: Replications,
    scenarios: list[Scenario],
    *,
    seed: int,
    replications: int,
    differences: pd.DataFrame | None = None,
    command: str = "",
    language: str = "en",
    charts: bool = True,
) -> list[Path]:
    """Write tables, charts, metadata and, last, the manifest of a run or comparison into folder.

    Holds the folder lock while writing; the folder counts as complete (manifest.json) only once
    every file is in place. A failed write (full disk, unwritable folder) raises OutputError.
    """
    with manifest.folder_lock(folder) as folder, manifest.writing_errors(folder):
        manifest.begin_results(folder)
        written = [
            store.write_table(results.summary, folder / "summary.csv"),
            store.write_table(results.per_replication, folder / "kpis_per_replication.csv"),
            store.write_table(results.timeseries, folder / "timeseries.parquet"),
        ]
        if differences is not None and not differences.empty:
            written.append(store.write_table(differences, folder / "differences.csv"))
        for scenario in scenarios:
            name = store.safe_name(scenario.name)
            written.append(store.write_table(provenance_frame(scenario), folder / f"provenance_{name}.csv"))
            log = results.case_logs.get(scenario.name)
            if log is not None:
                written.append(store.write_table(log, folder / f"case_log_{name}_rep0.parquet"))
            for table, frame in results.tables.get(scenario.name, {}).items():  # scorecards, time use, mechanism logs
                suffix = "csv" if table == "time_use" else "parquet"
                written.append(store.write_table(frame, folder / f"{table}_{name}_rep0.{suffix}"))
        if charts:
            written += _write_charts(folder, results, scenarios, language)
        meta = run_description(scenarios, seed=seed, replications=replications, command=command)
        written.append(store.write_json(meta, folder / "metadata.json"))
        written.append(manifest.finish_results(folder, meta, written))
    return written


def run_description(scenarios: list[Scenario], *, seed: int, replications: int, command: str = "") -> dict:
    """What ran: command, scenarios and their hashes, one hash of all parameters, seed, code and package versions."""
    hashes = [{"name": s.name, "content_hash": s.content_hash()} for s in scenarios]
    parameters = json.dumps({"scenarios": hashes, "seed": seed, "replications": replications}, sort_keys=True)
    return store.run_metadata(
        command=command,
        gridgov_version=__version__,
        seed=seed,
        replications=replications,
        scenarios=hashes,
        parameters_hash=hashlib.sha256(parameters.encode()).hexdigest()[:16],
    )


def _write_charts(folder: Path, results: Replications, scenarios: list[Scenario], language: str) -> list[Path]:
    written = []
    for kpi in ("on_time_rate", "ttc_p90_h", "grid_worker_utilisation"):
        written.append(store.write_figure(charts.kpi_bars(results.summary, kpi, language), folder / f"{kpi}.png"))
    written.append(store.write_figure(charts.backlog_over_time(results.timeseries, language), folder / "backlog.png"))
    if results.case_logs:
        deadlines = sorted({c.deadline_h for s in scenarios for c in s.cases.categories.values() if c.deadline_h})
        written.append(store.write_figure(charts.time_to_close(results.case_logs, language, deadlines),
                                          folder / "time_to_close.png"))
    return written
