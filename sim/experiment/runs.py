"""Replications and seeds: one scenario (or many) x n replications, run on any executor, same results.

Replication r of every scenario uses the random streams of (seed, r), so scenarios compared
over the same replications share their random numbers and their differences are paired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import pandas as pd

from ..analysis.case_log import case_log as make_case_log
from ..analysis.case_log import timeseries
from ..analysis.closure import closure_curve
from ..analysis.kpis import kpis
from ..analysis.statistics import summarise
from ..analysis.tables import tables
from ..mechanisms import run_replication
from ..params import Scenario
from .executors import Executor, run_tasks


@dataclass
class Run:
    """One replication: case log, time series and KPIs."""

    scenario: str
    seed: int
    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    case_log: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # scorecards, time use, mechanism logs
    closure: pd.DataFrame | None = None  # share of cases closed within each grid hour (`analysis.closure`)




def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, *, case_log: bool = True) -> Run:
    """Simulate one replication and return its case log, time series and KPIs."""
    raw = run_replication(scenario, seed, replication)
    log = make_case_log(raw) if case_log else None
    return Run(
        scenario=scenario.name,
        seed=seed,
        replication=replication,
        kpis=kpis(raw),
        timeseries=timeseries(raw),
        case_log=log,
        tables={} if log is None else tables(raw, log),
        closure=closure_curve(raw),
    )


@dataclass
class Replications:
    """Per-replication KPIs (tidy), their summary with confidence intervals, and the time series."""

    per_replication: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    case_logs: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # scenario -> name -> table (rep 0)
    closure: pd.DataFrame | None = None  # every replication's closure curve, with scenario and replication columns

    def kpi(self, name: str, scenario: str | None = None) -> pd.Series:
        rows = self.summary[self.summary["kpi"] == name]
        if scenario is not None:
            rows = rows[rows["scenario"] == scenario]
        return rows.iloc[0]


def _task(args: tuple[Scenario, int, int, bool]) -> Run:
    scenario, seed, replication, keep_log = args
    return simulate(scenario, seed, replication, case_log=keep_log)


def replicate_many(
    scenarios: Iterable[Scenario],
    replications: int,
    seed: int = 0,
    *,
    jobs: int = 1,
    progress: bool = False,
    keep_case_log: bool = False,
    executor: Executor | None = None,
    resume=None,
) -> Replications:
    """Run every scenario for the same replications (common random numbers).

    resume (a resume.ReplicationLog) recalls replications finished by an interrupted earlier call
    and saves each new one as soon as it is done; the results are the same either way.
    """
    scenarios = list(scenarios)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be distinct, got {names}")
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    tasks = [(s, seed, r, keep_case_log and r == 0) for s in scenarios for r in range(replications)]
    return collect(run_replications(tasks, jobs, executor, progress, resume))


def run_replications(tasks: list[tuple[Scenario, int, int, bool]], jobs: int, executor, progress: bool,
                     resume=None) -> list[Run]:
    """Run (scenario, seed, replication, keep case log) tasks in order; with resume, load the finished ones and
    save each new one as it arrives, so a killed run redoes only what is missing."""
    if resume is None:
        return run_tasks(tasks, _task, jobs=jobs, progress=progress, executor=executor)
    runs: list[Run | None] = [resume.load(*task) for task in tasks]
    todo = [i for i, run in enumerate(runs) if run is None]
    fresh = run_tasks([tasks[i] for i in todo], _task, jobs=jobs, progress=progress, executor=executor,
                      on_result=lambda j, run: resume.save(tasks[todo[j]][0], run))
    for i, run in zip(todo, fresh, strict=True):
        runs[i] = run
    return cast("list[Run]", runs)  # every None was filled in above


def replicate(scenario: Scenario, n: int, seed: int = 0, *, jobs: int = 1, progress: bool = False,
              keep_case_log: bool = False, executor: Executor | None = None) -> Replications:
    """Run n replications of one scenario: per-replication KPIs and means with 95 % t-intervals."""
    return replicate_many([scenario], n, seed, jobs=jobs, progress=progress, keep_case_log=keep_case_log,
                          executor=executor)


def collect(runs: list[Run]) -> Replications:
    rows = [
        {"scenario": run.scenario, "replication": run.replication, "seed": run.seed, "kpi": kpi, "value": value}
        for run in runs
        for kpi, value in run.kpis.items()
    ]
    per_replication = pd.DataFrame(rows)
    series = pd.concat(
        [run.timeseries.assign(scenario=run.scenario, replication=run.replication) for run in runs], ignore_index=True
    )
    logs = {run.scenario: run.case_log for run in runs if run.case_log is not None}
    tables = {run.scenario: run.tables for run in runs if run.tables}
    return Replications(per_replication, summarise(per_replication), series, logs, tables, closure_curves(runs))


def closure_curves(runs: list[Run]) -> pd.DataFrame | None:
    """Every run's closure curve in one table (scenario, replication, hours, share_closed, cases)."""
    curves = [run.closure.assign(scenario=run.scenario, replication=run.replication)
              for run in runs if run.closure is not None]
    return pd.concat(curves, ignore_index=True) if curves else None
