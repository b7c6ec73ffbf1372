"""Replications, seeds and executors: one scenario (or many) x n replications, run anywhere, same results.

Replication r of every scenario uses the random streams of (seed, r), so scenarios compared
over the same replications share their random numbers and their differences are paired.
Tasks are independent and their results are put back in task order, so the result does not
depend on which executor ran them or in which order they finished.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd
from tqdm.auto import tqdm

from . import metrics
from .model import run_replication
from .scenario import Scenario


@dataclass
class Run:
    """One replication: case log, time series and KPIs."""

    scenario: str
    seed: int
    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    case_log: pd.DataFrame | None = None


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, *, case_log: bool = True) -> Run:
    """Simulate one replication and return its case log, time series and KPIs."""
    raw = run_replication(scenario, seed, replication)
    return Run(
        scenario=scenario.name,
        seed=seed,
        replication=replication,
        kpis=metrics.kpis(raw),
        timeseries=metrics.timeseries(raw),
        case_log=metrics.case_log(raw) if case_log else None,
    )


@dataclass
class Replications:
    """Per-replication KPIs (tidy), their summary with confidence intervals, and the time series."""

    per_replication: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    case_logs: dict[str, pd.DataFrame] = field(default_factory=dict)

    def kpi(self, name: str, scenario: str | None = None) -> pd.Series:
        rows = self.summary[self.summary["kpi"] == name]
        if scenario is not None:
            rows = rows[rows["scenario"] == scenario]
        return rows.iloc[0]


def _task(args: tuple[Scenario, int, int, bool]) -> Run:
    scenario, seed, replication, keep_log = args
    return simulate(scenario, seed, replication, case_log=keep_log)


def _worker_signals() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops the pool and reports once; SIGTERM just ends them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def run_tasks(tasks: list, function: Callable, jobs: int = 1, progress: bool = False, description: str = "replications",
              on_result: Callable[[int, object], None] | None = None) -> list:
    """Run function over tasks in-process (jobs=1) or in a process pool; results in task order.

    on_result(i, result), if given, is called in this process as soon as task i is done (to save it).
    """
    bar = tqdm(total=len(tasks), desc=description, disable=not progress, leave=False)
    results = [None] * len(tasks)
    try:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                results[i] = function(task)
                if on_result is not None:
                    on_result(i, results[i])
                bar.update()
        else:
            pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_worker_signals)
            try:
                futures = {pool.submit(function, task): i for i, task in enumerate(tasks)}
                from concurrent.futures import as_completed

                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    if on_result is not None:
                        on_result(futures[future], results[futures[future]])
                    bar.update()
            except BaseException:
                # Ctrl-C, SIGTERM or an error: stop the workers now rather than after their current task.
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.kill()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    finally:
        bar.close()
    return results


def replicate_many(
    scenarios: Iterable[Scenario],
    replications: int,
    seed: int = 0,
    *,
    jobs: int = 1,
    progress: bool = False,
    keep_case_log: bool = False,
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
    if resume is None:
        return collect(run_tasks(tasks, _task, jobs=jobs, progress=progress))
    runs: list[Run | None] = [resume.load(*task) for task in tasks]
    todo = [i for i, run in enumerate(runs) if run is None]
    fresh = run_tasks([tasks[i] for i in todo], _task, jobs=jobs, progress=progress,
                      on_result=lambda j, run: resume.save(tasks[todo[j]][0], run))
    for i, run in zip(todo, fresh):
        runs[i] = run
    return collect(runs)


def replicate(scenario: Scenario, n: int, seed: int = 0, *, jobs: int = 1, progress: bool = False,
              keep_case_log: bool = False) -> Replications:
    """Run n replications of one scenario: per-replication KPIs and means with 95 % t-intervals."""
    return replicate_many([scenario], n, seed, jobs=jobs, progress=progress, keep_case_log=keep_case_log)


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
    return Replications(per_replication, metrics.summarise(per_replication), series, logs)
