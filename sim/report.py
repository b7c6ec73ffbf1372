"""Reports of a run or a comparison: text tables for the terminal and the results folder on disk."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from . import __version__, charts, metrics, store
from .experiment import Replications
from .scenario import Scenario, provenance

MAIN_KPIS = (
    "on_time_rate", "ttc_p50_h", "ttc_p90_h", "ttc_p99_h", "overdue_cases", "backlog_end", "cases_per_day",
    "grid_worker_utilisation", "community_worker_utilisation", "department_staff_utilisation",
    "cases_per_grid_worker_day", "acceptance_overdue_rate", "whistled_share",
)


def _value(value: float, kpi: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = metrics.KPI_UNITS.get(kpi, "share")
    if unit == "share":
        return f"{100 * value:.1f} %"
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


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
            row[scenario] = f"{_value(r['mean'], kpi)} [{_value(r['ci_low'], kpi)}, {_value(r['ci_high'], kpi)}]"
        rows.append(row)
    return pd.DataFrame(rows).to_string(index=False)


def differences_table(differences: pd.DataFrame, kpis=MAIN_KPIS) -> str:
    rows = []
    for _, r in differences[differences["kpi"].isin(kpis)].iterrows():
        kpi = r["kpi"]
        unit = metrics.KPI_UNITS.get(kpi, "share")
        scale, suffix = (100, " pp") if unit == "share" else (1, "")
        rows.append({
            "scenario": r["scenario"], "kpi": kpi,
            "difference vs " + r["baseline"]: f"{scale * r['difference']:+,.2f}{suffix} "
            f"[{scale * r['ci_low']:+,.2f}, {scale * r['ci_high']:+,.2f}]" + (" *" if r["significant"] else ""),
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
    """Write tables, charts (unless charts=False) and metadata of a run or comparison into folder."""
    folder = store.prepare_folder(folder)
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
    if charts:
        written += _write_charts(folder, results, scenarios, language)
    meta = store.run_metadata(
        command=command,
        gridgov_version=__version__,
        seed=seed,
        replications=replications,
        scenarios=[{"name": s.name, "content_hash": s.content_hash()} for s in scenarios],
    )
    meta["files"] = {p.name: {"sha256": store.file_sha256(p), "bytes": p.stat().st_size} for p in written}
    written.append(store.write_json(meta, folder / "metadata.json"))
    return written


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
