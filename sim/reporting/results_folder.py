"""A run's or a comparison's results folder: tables, case logs, provenance, charts, metadata and, last, the manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from .. import __version__
from ..experiment.runs import Replications
from ..params import Scenario
from ..params.base import in_language
from ..results import manifest, store
from . import charts
from .tables import provenance_frame

CLOSURE_FILE = "time_to_close_per_replication.csv"  # `analysis.closure`, one curve per replication


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
    with_charts: bool = True,
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
        if results.closure is not None:  # every replication's share closed within each grid hour
            written.append(store.write_table(results.closure, folder / CLOSURE_FILE))
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
        if with_charts:
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
    """The run's charts as 1920 x 1080 PNGs, scenarios by their titles."""
    titles = {s.name: in_language(s.title, language, s.name) for s in scenarios}
    by_name = {s.name: s for s in scenarios}
    written = []
    for kpi in ("on_time_rate", "ttc_p90_h", "grid_worker_utilisation"):
        written.append(charts.write(charts.kpi_bars(results.summary, kpi, language, titles=titles),
                                    folder / f"{kpi}.png"))
    written.append(charts.write(charts.backlog_over_time(results.timeseries, language, titles=titles,
                                                         scenarios=by_name), folder / "backlog.png"))
    if results.closure is not None or results.case_logs:
        deadlines = sorted({c.deadline_h for s in scenarios for c in s.cases.categories.values() if c.deadline_h})
        deadlines += sorted({(s.dispatch.resolution_deadline_h, "department") for s in scenarios})
        curves = results.closure if results.closure is not None else results.case_logs
        written.append(charts.write(charts.time_to_close(curves, language, deadlines, titles),
                                    folder / "time_to_close.png"))
    return written
