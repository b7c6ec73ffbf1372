"""Finished replications of an interrupted `run` or `compare`, kept so that re-running completes only the rest.

Each replication is a unit of the results folder's work log (`worklog.WorkLog`): its KPIs, time
series, closure curve and case log are stored as Parquet (an exact round trip) and then marked done. The unit
key holds everything that decides the replication's numbers (scenario name and content hash,
seed, replication, whether the case log is kept, and the code version of `code_version`, which
hashes the sources themselves), so a re-run with other parameters or other code, committed or
not, recomputes instead of mixing results.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..experiment.runs import Run
from ..params import Scenario
from .code_version import code_version
from .worklog import WorkLog

TABLE = "table:"  # frames of the mechanisms' tables (scorecards, time use, logs)


class ReplicationLog:
    """Save and recall finished replications in a results folder's work log."""

    def __init__(self, folder: Path):
        self.log = WorkLog(folder)
        self.code = code_version()

    def key(self, scenario: Scenario, seed: int, replication: int, case_log: bool) -> str:
        return (f"replication|{scenario.name}|{scenario.content_hash()}|seed={seed}|rep={replication}"
                f"|case_log={case_log}|code={self.code}")

    def load(self, scenario: Scenario, seed: int, replication: int, case_log: bool) -> Run | None:
        frames = self.log.load_frames(self.key(scenario, seed, replication, case_log))
        if frames is None or "kpis" not in frames or "timeseries" not in frames:
            return None
        if case_log and "case_log" not in frames:
            return None
        kpis = dict(zip(frames["kpis"]["kpi"].tolist(), frames["kpis"]["value"].tolist(), strict=True))
        tables = {name.removeprefix(TABLE): frame for name, frame in frames.items() if name.startswith(TABLE)}
        return Run(scenario.name, seed, replication, kpis, frames["timeseries"], frames.get("case_log"), tables,
                   frames.get("closure"))

    def save(self, scenario: Scenario, run: Run) -> None:
        case_log = run.case_log is not None
        frames = {
            "kpis": pd.DataFrame({"kpi": list(run.kpis), "value": [float(v) for v in run.kpis.values()]}),
            "timeseries": run.timeseries,
        }
        if case_log:
            frames["case_log"] = run.case_log
        if run.closure is not None:
            frames["closure"] = run.closure
        frames.update({TABLE + name: frame for name, frame in run.tables.items()})
        self.log.save_frames(self.key(scenario, run.seed, run.replication, case_log), frames)
