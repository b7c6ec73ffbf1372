"""Statistics across replications: means with confidence intervals, paired differences, marginal cost per point.

Honest intervals, whatever the number of replications:
- with one replication there is no interval (`interval` = "single": ci_low and ci_high are
  NaN), and a difference is never called significant;
- a quantity that is the same in every replication is a constant (`interval` = "constant":
  the interval is that value), never "significant": nothing varies;
- otherwise a two-sided Student t interval of the mean; for a share (a KPI in [0, 1], unit
  "share") the t interval is clipped to [0, 1], and a difference of shares to [-1, 1], so no
  interval claims what cannot be (`method` says which).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.outcomes import UNITS
from . import registry


def _t_quantile(p: float, df: int) -> float:
    """Student's t quantile; scipy.stats is imported on first use (it is a large share of the model's import time,
    and a notebook or replication child should start simulating before it is needed)."""
    from scipy import stats

    return float(stats.t.ppf(p, df))


SINGLE, CONSTANT, INTERVAL, NONE = "single", "constant", "interval", "none"
CONSTANT_TOLERANCE = 1e-9  # relative: values that differ by rounding alone do not vary


@dataclass(frozen=True)
class Estimate:
    """The mean of some replications' values with its confidence interval and what kind of interval it is."""

    mean: float
    low: float
    high: float
    n: int
    interval: str  # "interval", "single", "constant" or "none"
    method: str = ""

    @property
    def significant(self) -> bool:
        """Whether a difference is distinguishable from 0 by its interval (never without one)."""
        return self.interval == INTERVAL and (self.low > 0 or self.high < 0)

    @property
    def excludes_zero(self) -> bool:
        """Known not to be 0: a real interval that excludes it, or a constant other than 0."""
        return self.interval in (INTERVAL, CONSTANT) and (self.low > 0 or self.high < 0)


def estimate(values, confidence: float = 0.95, bounds: tuple[float, float] | None = None) -> Estimate:
    """Mean and two-sided t interval of the non-missing values, clipped to bounds if given."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, NONE)
    mean = float(values.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1, SINGLE)
    if np.ptp(values) <= CONSTANT_TOLERANCE * max(1.0, abs(mean)):
        return Estimate(mean, mean, mean, n, CONSTANT)
    half = float(_t_quantile(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    low, high, method = mean - half, mean + half, "t"
    if bounds is not None and (low < bounds[0] or high > bounds[1]):
        low, high = max(low, bounds[0]), min(high, bounds[1])
        method = f"t, clipped to [{bounds[0]:g}, {bounds[1]:g}]"
    return Estimate(mean, low, high, n, INTERVAL, method)


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t interval (NaN bounds below two replications; a constant's bounds are itself)."""
    e = estimate(values, confidence)
    return e.mean, e.low, e.high


NON_NEGATIVE_UNITS = frozenset(UNITS) - {"share"}  # hours, counts, costs, ratios: never below zero


def share_bounds(kpi: str, difference: bool = False) -> tuple[float, float] | None:
    if not registry.is_share(kpi):
        return None
    return (-1.0, 1.0) if difference else (0.0, 1.0)


def kpi_bounds(kpi: str, values: np.ndarray) -> tuple[float, float] | None:
    """Where a KPI's mean can lie: [0, 1] for a share, [0, inf) for a count, time or cost whose values are all
    non-negative (so that 2 replications of a rare count do not give an interval below zero), else anywhere."""
    if registry.is_share(kpi):
        return (0.0, 1.0)
    found = registry.find(kpi)
    finite = values[np.isfinite(values)]
    if found is not None and found.unit in NON_NEGATIVE_UNITS and len(finite) and finite.min() >= 0:
        return (0.0, math.inf)
    return None


def summarise(per_replication: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """From tidy rows (scenario, replication, kpi, value) to one row per scenario and KPI."""
    rows = []
    for (scenario, kpi), group in per_replication.groupby(["scenario", "kpi"], sort=False, observed=True):
        values = group["value"].to_numpy(float)
        e = estimate(values, confidence, kpi_bounds(kpi, values))
        found = registry.find(kpi)
        rows.append({"scenario": scenario, "kpi": kpi, "mean": e.mean, "ci_low": e.low, "ci_high": e.high, "n": e.n,
                     "interval": e.interval, "method": e.method, "unit": found.unit if found else ""})
    return pd.DataFrame(rows, columns=["scenario", "kpi", "mean", "ci_low", "ci_high", "n", "interval", "method",
                                       "unit"])


def paired_differences(per_replication: pd.DataFrame, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the baseline, replication by replication (common random numbers), with a CI."""
    wide = per_replication.pivot_table(index=["kpi", "replication"], columns="scenario", values="value",
                                       observed=True, dropna=False)
    rows = []
    for scenario in per_replication["scenario"].unique():
        if scenario == baseline:
            continue
        for kpi, group in wide.groupby(level="kpi", sort=False):
            e = estimate((group[scenario] - group[baseline]).to_numpy(), confidence, share_bounds(kpi, difference=True))
            rows.append({"scenario": scenario, "baseline": baseline, "kpi": kpi, "difference": e.mean,
                         "ci_low": e.low, "ci_high": e.high, "n": e.n, "interval": e.interval, "method": e.method,
                         "significant": e.significant})
    return pd.DataFrame(rows, columns=["scenario", "baseline", "kpi", "difference", "ci_low", "ci_high", "n",
                                       "interval", "method", "significant"])


def marginal_cost_per_point(per_replication: pd.DataFrame, baseline: str, scenario: str,
                            confidence: float = 0.95) -> dict[str, float]:
    """Extra yearly cost per percentage point of on-time rate, scenario against baseline.

    The ratio of the mean paired differences (same replications, common random numbers), with
    a delta-method confidence interval; no interval when the on-time difference is not
    distinguishable from 0 (the ratio is then unbounded) or with fewer than two replications.
    """
    wide = per_replication[per_replication["kpi"].isin(["annual_cost_yuan", "on_time_rate"])].pivot_table(
        index="replication", columns=["kpi", "scenario"], values="value", observed=True)
    d_cost = (wide[("annual_cost_yuan", scenario)] - wide[("annual_cost_yuan", baseline)]).to_numpy(float)
    d_pp = 100 * (wide[("on_time_rate", scenario)] - wide[("on_time_rate", baseline)]).to_numpy(float)
    cost, points = estimate(d_cost, confidence), estimate(d_pp, confidence)
    result = {"scenario": scenario, "baseline": baseline, "cost_difference_yuan": cost.mean,
              "on_time_difference_pp": points.mean, "yuan_per_pp": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if not points.mean or math.isnan(points.mean):
        return result
    ratio = cost.mean / points.mean
    result["yuan_per_pp"] = ratio
    n = len(d_cost)
    if n >= 2 and points.excludes_zero:
        # Delta method: var(R) ~ (var(C) - 2 R cov(C, P) + R^2 var(P)) / (n mean(P)^2)
        cov = np.cov(d_cost, d_pp, ddof=1)
        var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (n * points.mean**2)
        half = float(_t_quantile(0.5 + confidence / 2, n - 1) * math.sqrt(max(var, 0.0)))
        result["ci_low"], result["ci_high"] = ratio - half, ratio + half
    return result
