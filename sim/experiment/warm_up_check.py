"""The warm-up a scenario needs, by MSER-5 on its hourly backlog (`analysis.warmup`), against its `warm_up_days`.

The scenario is run for a few replications (the warm-up is only where KPIs start counting, so the
runs are the scenario's own); the hourly backlog is averaged across replications over the horizon
(the drain, without arrivals, is left out) and MSER-5 gives the truncation point. The warm-up
needed is that point rounded up to whole days; the scenario's `warm_up_days` is short when it is
below it. `warm_up_warnings` applies the same rule to replications already run, so `gridgov run`,
`compare` and `batch` warn at no extra cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.warmup import BATCH, mser
from ..params import Scenario
from ..units import HOURS_PER_DAY
from .executors import Executor
from .runs import replicate_many

SERIES = "backlog"


@dataclass(frozen=True)
class WarmUpCheck:
    """What MSER-5 finds for one scenario."""

    scenario: str
    replications: int
    seed: int
    needed_days: int  # the truncation point, rounded up to whole days
    truncation_h: float
    warm_up_days: int  # the scenario's own
    settled: bool  # MSER's minimum lies inside the first half of the horizon
    series: pd.DataFrame  # t_h, backlog (mean over replications)
    statistic: np.ndarray  # MSER(d), d = batches dropped

    @property
    def short(self) -> bool:
        """The scenario's warm-up is shorter than the rule finds (or the rule finds none within half the horizon)."""
        return not self.settled or self.warm_up_days < self.needed_days

    def message(self) -> str:
        if not self.settled:
            return (f"{self.scenario}: the hourly backlog has not settled within the first half of the "
                    f"{self.series['t_h'].iloc[-1] / HOURS_PER_DAY + 1 / HOURS_PER_DAY:.0f}-day horizon (MSER-5); "
                    "lengthen horizon_days before trusting its KPIs")
        verdict = ("shorter than that: KPIs include part of the start-up" if self.short
                   else "long enough")
        return (f"{self.scenario}: MSER-5 on the hourly backlog ({self.replications} replication(s)) finds a "
                f"warm-up of {self.truncation_h:.0f} h, i.e. {self.needed_days} day(s); "
                f"warm_up_days = {self.warm_up_days} is {verdict}")


def check_warm_up(scenario: Scenario, replications: int = 3, seed: int = 0, *, jobs: int = 1,
                  executor: Executor | None = None, progress: bool = False) -> WarmUpCheck:
    """Run the scenario and apply MSER-5 to its hourly backlog, averaged over the replications."""
    results = replicate_many([scenario], replications, seed, jobs=jobs, executor=executor, progress=progress)
    return assess_warm_up(scenario, results.timeseries, replications, seed)


def assess_warm_up(scenario: Scenario, timeseries: pd.DataFrame, replications: int, seed: int) -> WarmUpCheck:
    """MSER-5 on the hourly backlog of replications already run (their time series: t_h, backlog, replication)."""
    horizon_h = scenario.horizon_days * HOURS_PER_DAY
    series = timeseries[timeseries["t_h"] < horizon_h]
    mean = series.groupby("t_h", sort=True)[SERIES].mean().reset_index()
    found = mser(mean[SERIES].to_numpy(), BATCH)
    step_h = float(mean["t_h"].iloc[1] - mean["t_h"].iloc[0]) if len(mean) > 1 else 1.0
    truncation_h = found.truncation * step_h
    return WarmUpCheck(scenario.name, replications, seed, math.ceil(truncation_h / HOURS_PER_DAY - 1e-9),
                       truncation_h, scenario.warm_up_days, found.settled, mean, found.statistic)


def warm_up_warnings(scenarios: list[Scenario], timeseries: pd.DataFrame, seed: int) -> list[str]:
    """For every scenario whose warm_up_days is shorter than MSER-5 finds on the replications already run (the
    time series of a run, compare or batch, with a `scenario` column), the warning; nothing is simulated."""
    warnings = []
    for scenario in scenarios:
        own = timeseries[timeseries["scenario"] == scenario.name]
        try:
            check = assess_warm_up(scenario, own, int(own["replication"].nunique()), seed)
        except (ValueError, KeyError, IndexError):
            continue  # too short a series for MSER-5 (fewer than 20 hours): nothing to say
        if check.short:
            warnings.append(check.message())
    return warnings
