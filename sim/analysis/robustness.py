"""Robustness of policies across futures: targets met, the share of futures meeting them (Wilson interval), regret.

The unit is the future: a policy's KPI in a future is its mean over that future's replications
(every policy on the same replications: common random numbers), and a target such as
`on_time_rate>=0.95` is met or not in each future. The share of futures meeting it gets a Wilson
score interval, always within [0, 1] (and not degenerate at 0 or 1 of n). Regret is, future by
future, how far a policy's KPI falls short of the best policy's in that future (0 for the best),
in the KPI's unit and better direction (`analysis.registry`).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from . import registry

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_TARGET = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(>=|<=|>|<)\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*$")
ROBUSTNESS_COLUMNS = ["policy", "target", "kpi", "futures", "met", "share", "ci_low", "ci_high", "method"]


@dataclass(frozen=True)
class Target:
    """A KPI threshold a policy should meet in a future, e.g. on_time_rate >= 0.95."""

    kpi: str
    op: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"

    def met(self, values: pd.Series) -> pd.Series:
        """Whether each value meets the target (a missing value does not)."""
        return OPERATORS[self.op](values, self.value) & values.notna()


def parse_target(text: str) -> Target:
    """'on_time_rate>=0.95' -> Target; ValueError saying what is allowed."""
    match = _TARGET.match(text)
    if not match:
        raise ValueError(f"--target {text!r}: expected KPI>=VALUE (or <=, >, <), e.g. on_time_rate>=0.95")
    kpi, op, value = match.group(1), match.group(2), float(match.group(3))
    if registry.find(kpi) is None:
        raise ValueError(f"--target {text!r}: {kpi!r} is not a KPI; e.g. on_time_rate, ttc_p90_h, backlog_mean")
    if registry.is_share(kpi) and not 0 <= value <= 1:
        raise ValueError(f"--target {text!r}: {kpi} is a share, so the value must be between 0 and 1")
    return Target(kpi, op, value)


def wilson(met: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial share (NaN without futures)."""
    if n == 0:
        return math.nan, math.nan
    interval = binomtest(met, n).proportion_ci(confidence_level=confidence, method="wilson")
    return max(0.0, float(interval.low)), min(1.0, float(interval.high))


def robustness_table(futures: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Per policy and target: futures, futures meeting it, the share with its Wilson interval (ROBUSTNESS_COLUMNS).

    futures: one row per future and policy, with columns `future`, `policy` and the KPIs.
    """
    rows = []
    for policy, group in futures.groupby("policy", sort=False):
        for target in targets:
            met = target.met(group[target.kpi])
            n, k = len(group), int(met.sum())
            low, high = wilson(k, n)
            rows.append({"policy": policy, "target": target.text, "kpi": target.kpi, "futures": n, "met": k,
                         "share": k / n if n else math.nan, "ci_low": low, "ci_high": high,
                         "method": "Wilson score, 95 %"})
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


def regret(futures: pd.DataFrame, kpi: str) -> pd.Series:
    """Each row's shortfall from the best policy in its future, in the KPI's better direction (>= 0)."""
    direction = registry.kpi(kpi).better
    if direction not in ("higher", "lower"):
        raise ValueError(f"{kpi} has no better direction, so there is no regret")
    by_future = futures.groupby("future")[kpi]
    best = by_future.transform("max" if direction == "higher" else "min")
    return (best - futures[kpi]) if direction == "higher" else (futures[kpi] - best)


def regret_table(futures: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """Per policy and KPI: mean and largest regret over the futures, and the share of futures where it is best."""
    rows = []
    for kpi in kpis:
        column = f"regret_{kpi}"
        for policy, group in futures.groupby("policy", sort=False):
            values = group[column]
            best = int((values <= 1e-12).sum())
            rows.append({"policy": policy, "kpi": kpi, "futures": len(group), "mean_regret": float(values.mean()),
                         "max_regret": float(values.max()), "best_in": best,
                         "best_share": best / len(group) if len(group) else math.nan})
    return pd.DataFrame(rows)
