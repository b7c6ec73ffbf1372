"""The reserve-pool standard as a question: a family of scenarios that differ only in the pool ratio, compared.

From the per-replication rows of `experiment.studies.succession_study` (or of full runs), for a
family of scenarios whose only difference is `reserve_pool.ratio_to_communities`:

- `cost_per_vacancy_day_avoided`: the extra yearly training cost of a pool over a smaller one,
  per secretary vacancy-day a year it avoids across the district: the ratio of the mean paired
  differences, with a delta-method interval (none when the days avoided are not
  distinguishable from 0: the ratio is then unbounded);
- `standard_findings`: in words, where the 2 x standard (seed 000) matters and where it does
  not, from the paired differences of the steps to 2 x and beyond it. A difference is claimed
  only when its confidence interval excludes 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import registry
from .statistics import estimate, paired_differences

STANDARD_RATIO = 2.0  # seed 000: at least 2 x the number of communities
FINDING_KPIS = ("secretary_vacancy_days_per_community_year", "reserve_pool_stockout_probability_election",
                "reserve_pool_stockout_probability_between", "secretary_longest_vacancy_days")
VARIES = "reserve_pool.ratio_to_communities"
DECIMALS = 9  # paired values equal to 9 decimals are equal: the same vacancies integrated in another order
NOT_BEHAVIOUR = ("name", "description", "sources", "assumptions", "extends")


@dataclass(frozen=True)
class Member:
    """One scenario of the family: its name, pool ratio and communities."""

    name: str
    ratio: float
    communities: int


def family(scenarios: list) -> list[Member]:
    """The scenarios as a pool-ratio family, in ratio order; ValueError if they differ in anything but the ratio.

    Text (name, description, citations) may differ; any other parameter must be the same, or
    the differences would not be the pool's.
    """
    def behaviour(scenario) -> dict:
        dumped = scenario.model_dump(exclude=set(NOT_BEHAVIOUR) & set(type(scenario).model_fields))
        dumped["reserve_pool"].pop("ratio_to_communities")
        if dumped["reserve_pool"].get("initial_ratio") is None:
            dumped["reserve_pool"].pop("initial_ratio")  # None: the pool starts at its (differing) target
        return dumped

    first = behaviour(scenarios[0])
    for other in scenarios[1:]:
        if behaviour(other) != first:
            raise ValueError(f"{other.name} differs from {scenarios[0].name} in more than {VARIES}")
    members = [Member(s.name, s.reserve_pool.ratio_to_communities, s.territory.communities) for s in scenarios]
    return sorted(members, key=lambda m: m.ratio)


def _wide(per_replication: pd.DataFrame, kpi: str) -> pd.DataFrame:
    rows = per_replication[per_replication["kpi"] == kpi]
    return rows.pivot_table(index="replication", columns="scenario", values="value", observed=True, dropna=False)


def cost_per_vacancy_day_avoided(per_replication: pd.DataFrame, smaller: Member, larger: Member,
                                 confidence: float = 0.95) -> dict[str, float]:
    """Extra yearly training cost of `larger` over `smaller` per vacancy-day a year avoided across the district."""
    cost = _wide(per_replication, "annual_cost_training_yuan")
    days = _wide(per_replication, "secretary_vacancy_days_per_community_year")
    d_cost = (cost[larger.name] - cost[smaller.name]).to_numpy(float).round(DECIMALS)
    d_days = ((days[smaller.name] - days[larger.name]) * larger.communities).to_numpy(float).round(DECIMALS)
    c, v = estimate(d_cost, confidence), estimate(d_days, confidence)
    result = {"smaller": smaller.name, "larger": larger.name, "cost_difference_yuan": c.mean,
              "cost_ci_low": c.low, "cost_ci_high": c.high, "days_avoided_per_year": v.mean,
              "days_ci_low": v.low, "days_ci_high": v.high, "yuan_per_day": math.nan, "ci_low": math.nan,
              "ci_high": math.nan}
    if not v.excludes_zero or v.mean <= 0:
        return result
    ratio = c.mean / v.mean
    result["yuan_per_day"] = ratio
    n = len(d_cost)
    if n >= 2:
        cov = np.cov(d_cost, d_days, ddof=1)
        var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (n * v.mean**2)
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * math.sqrt(max(var, 0.0)))
        result["ci_low"], result["ci_high"] = ratio - half, ratio + half
    return result


def step_costs(per_replication: pd.DataFrame, members: list[Member]) -> list[dict[str, float]]:
    """Cost per vacancy-day avoided of each ratio over the next smaller one, and over no pool (the smallest)."""
    rows = [cost_per_vacancy_day_avoided(per_replication, a, b) for a, b in zip(members, members[1:], strict=False)]
    rows += [cost_per_vacancy_day_avoided(per_replication, members[0], b) for b in members[2:]]
    return rows


def _ratio_text(ratio: float) -> str:
    return f"{ratio:g} x"


def _difference_words(row: pd.Series, kpi: str) -> str:
    unit = registry.kpi(kpi).unit
    scale, suffix = (100.0, " percentage points") if unit == "share" else (1.0, " days")
    value, low, high = row["difference"] * scale, row["ci_low"] * scale, row["ci_high"] * scale
    return f"{value:+.3g}{suffix} [{low:+.3g}, {high:+.3g}]"  # significant digits: small effects stay visible


def standard_findings(per_replication: pd.DataFrame, members: list[Member],
                      kpis: tuple[str, ...] = FINDING_KPIS) -> list[str]:
    """Sentences saying where the 2 x standard matters (a step to or from it changes a KPI) and where not.

    The steps compared are the largest ratio below 2 x against 2 x, and 2 x against the smallest
    ratio above it (paired, same replications). A change is claimed only when the interval of
    the paired difference excludes 0; otherwise the sentence says no difference was found. No
    sentences without a 2 x member or with fewer than two replications.
    """
    standard = next((m for m in members if m.ratio == STANDARD_RATIO), None)
    if standard is None or per_replication["replication"].nunique() < 2:
        return []
    below = [m for m in members if m.ratio < STANDARD_RATIO]
    above = [m for m in members if m.ratio > STANDARD_RATIO]
    steps = ([(below[-1], standard)] if below else []) + ([(standard, above[0])] if above else [])
    sentences = []
    rounded = per_replication.assign(value=per_replication["value"].round(DECIMALS))
    for smaller, larger in steps:
        differences = paired_differences(rounded[rounded["scenario"].isin([smaller.name, larger.name])], smaller.name)
        matters, no_change = [], []
        for kpi in kpis:
            row = differences[differences["kpi"] == kpi]
            if row.empty or row.iloc[0]["interval"] == "none":
                continue
            r = row.iloc[0]
            name = registry.label(kpi).lower()
            if r["significant"] or (r["interval"] == "constant" and r["difference"] != 0):
                matters.append(f"{name} {_difference_words(r, kpi)}")
            else:
                no_change.append(name)
        step = f"From {_ratio_text(smaller.ratio)} to {_ratio_text(larger.ratio)}"
        if matters:
            sentences.append(f"{step} the pool makes a difference (95 % CI excludes 0): " + "; ".join(matters) + ".")
        if no_change:
            sentences.append(f"{step} no difference the 95 % interval can tell from zero in: "
                             + "; ".join(no_change) + ".")
    return sentences
