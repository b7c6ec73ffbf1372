"""Replications by precision: add replications until a KPI's 95 % half-width is below a target, with a cap.

The rule (sequential, as Law and Kelton's "relative/absolute precision" procedure): after n
replications of every scenario (n from 2, the fewest that give an interval), compute the 95 %
Student t half-width of the KPI's mean in every scenario and, when there are several scenarios,
of every paired difference from the baseline (the first scenario; common random numbers). Stop at
the first n where all of them are at most the target, or at the cap. Replications run in rounds
of `step` (default: one per worker) so a pool stays busy; replications past the first n that
meets the target are dropped, so the result is the same whatever the step or the executor.

A half-width is `t(0.975, n - 1) * s / sqrt(n)`, unclipped; a KPI that is the same in every
replication has half-width 0; a missing value (NaN) never meets the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..params import Scenario
from .executors import Executor
from .runs import Replications, Run, collect, run_replications

MIN_REPLICATIONS = 2


@dataclass(frozen=True)
class Precision:
    """What the precision rule asked for and what it reached."""

    kpi: str
    half_width: float  # the target
    cap: int
    replications: int  # the count it stopped at
    achieved: float  # the largest half-width at that count (means and paired differences)
    met: bool


def parse_precision(text: str) -> tuple[str, float]:
    """'on_time_rate=0.01' -> ('on_time_rate', 0.01); ValueError saying what is allowed."""
    from ..analysis import registry

    kpi, _, value = text.partition("=")
    kpi = kpi.strip()
    try:
        width = float(value)
    except ValueError:
        raise ValueError(f"--precision {text!r}: expected KPI=HALF_WIDTH, e.g. on_time_rate=0.01") from None
    if registry.find(kpi) is None:
        raise ValueError(f"--precision {text!r}: {kpi!r} is not a KPI; e.g. on_time_rate, ttc_p90_h, backlog_mean")
    if not (width > 0 and math.isfinite(width)):
        raise ValueError(f"--precision {text!r}: the half-width must be a positive number, got {value!r}")
    return kpi, width


def half_width(values) -> float:
    """The 95 % t half-width of the mean (0 for a constant, NaN below 2 values or with a missing one)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2 or np.isnan(values).any():
        return math.nan
    spread = float(values.std(ddof=1))
    return float(stats.t.ppf(0.975, len(values) - 1)) * spread / math.sqrt(len(values)) if spread > 0 else 0.0


def widest_half_width(per_replication: pd.DataFrame, kpi: str, n: int, baseline: str | None = None) -> float:
    """The largest half-width over the scenarios' means and their paired differences from the baseline, on the
    first n replications (NaN if any is missing)."""
    rows = per_replication[(per_replication["kpi"] == kpi) & (per_replication["replication"] < n)]
    wide = rows.pivot_table(index="replication", columns="scenario", values="value", dropna=False)
    if wide.empty or len(wide) < n:
        return math.nan
    widths = [half_width(wide[s]) for s in wide.columns]
    if baseline is not None and wide.shape[1] > 1:
        widths += [half_width(wide[s] - wide[baseline]) for s in wide.columns if s != baseline]
    return math.nan if any(math.isnan(w) for w in widths) else max(widths)


def first_meeting(per_replication: pd.DataFrame, kpi: str, target: float, baseline: str | None, start: int,
                  stop: int) -> int | None:
    """The first replication count in [start, stop] at which the widest half-width is at most the target."""
    for n in range(max(start, MIN_REPLICATIONS), stop + 1):
        width = widest_half_width(per_replication, kpi, n, baseline)
        if not math.isnan(width) and width <= target:
            return n
    return None


def replicate_to_precision(scenarios: list[Scenario], kpi: str, target: float, *, seed: int = 0, cap: int = 100,
                           jobs: int = 1, step: int | None = None, keep_case_log: bool = False,
                           executor: Executor | None = None, progress: bool = False, resume=None,
                           minimum: int = MIN_REPLICATIONS) -> tuple[Replications, Precision]:
    """Replications of every scenario until the KPI's half-widths (means, paired differences) meet the target.

    The first scenario is the baseline of the paired differences. The rule is checked from `minimum`
    replications on (at least 2): a count below it never stops the run, however narrow its interval.
    """
    if cap < MIN_REPLICATIONS:
        raise ValueError(f"the cap on replications must be at least {MIN_REPLICATIONS}, got {cap}")
    minimum = max(MIN_REPLICATIONS, minimum)
    if minimum > cap:
        raise ValueError(f"the fewest replications ({minimum}) must not exceed the cap ({cap})")
    step = max(1, step or jobs)
    baseline = scenarios[0].name if len(scenarios) > 1 else None
    runs: list[Run] = []
    done = 0
    stop: int | None = None
    while stop is None and done < cap:
        upto = min(cap, max(minimum, done + step))
        tasks = [(s, seed, r, keep_case_log and r == 0) for r in range(done, upto) for s in scenarios]
        runs += run_replications(tasks, jobs, executor, progress, resume)
        per_replication = collect(runs).per_replication
        stop = first_meeting(per_replication, kpi, target, baseline, max(done + 1, minimum), upto)
        done = upto
    n = stop if stop is not None else cap
    order = {s.name: i for i, s in enumerate(scenarios)}
    kept = collect(sorted((run for run in runs if run.replication < n),
                          key=lambda run: (order[run.scenario], run.replication)))
    achieved = widest_half_width(kept.per_replication, kpi, n, baseline)
    return kept, Precision(kpi, target, cap, n, achieved, stop is not None)
