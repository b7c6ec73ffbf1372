"""Which scenarios handle their cases alike, so that their differences come only from the yardstick.

Scenarios compared over the same replications see the same cases (common random numbers). When
two of them give the same times to close, waits, backlogs and workloads in every replication
(within `TOLERANCE`, relative), nobody in the model acted differently between them; a difference
in their on-time rate then comes from the deadline the cases are measured against (a 72 h limit
counts fewer cases late than a 24 h one), not from a policy's effect. The reports say so.

Where the departments respond to their limits (`mechanisms.deadline_response`), `yardstick_split`
divides a difference in on-time rate into the part that comes from behaviour (the difference
when both scenarios' whistled cases are measured against one common limit) and the part that
comes from the yardstick (the rest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .statistics import estimate

# KPIs that measure what happened to the cases, not how it is judged against a deadline
BEHAVIOUR_KPIS = ("ttc_mean_h", "ttc_p50_h", "ttc_p90_h", "ttc_p99_h", "wait_mean_h", "backlog_mean",
                  "grid_worker_utilisation", "community_worker_utilisation", "department_staff_utilisation")


TOLERANCE = 1e-3  # behaviour KPIs within 0.1 % of each other count as alike


def _behaviour(per_replication: pd.DataFrame, scenario: str) -> pd.Series:
    rows = per_replication[(per_replication["scenario"] == scenario) & per_replication["kpi"].isin(BEHAVIOUR_KPIS)]
    return rows.set_index(["kpi", "replication"])["value"].sort_index()


def _alike(a: pd.Series, b: pd.Series) -> bool:
    return a.index.equals(b.index) and bool(np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=TOLERANCE,
                                                        atol=1e-9, equal_nan=True))


def same_behaviour(per_replication: pd.DataFrame) -> list[list[str]]:
    """Groups of two or more scenarios whose behaviour KPIs are alike in every replication, in batch order.

    Each scenario joins the first group whose first member it is alike to.
    """
    groups: list[tuple[pd.Series, list[str]]] = []
    for scenario in per_replication["scenario"].unique():
        values = _behaviour(per_replication, scenario)
        if values.empty:
            continue
        group = next((names for first, names in groups if _alike(first, values)), None)
        if group is None:
            groups.append((values, [str(scenario)]))
        else:
            group.append(str(scenario))
    return [names for _, names in groups if len(names) > 1]


def yardstick_only(per_replication: pd.DataFrame, kpi: str = "on_time_rate") -> list[list[str]]:
    """The groups of `same_behaviour` whose `kpi` nevertheless differs: a difference of the yardstick alone."""
    result = []
    for group in same_behaviour(per_replication):
        values = per_replication[(per_replication["kpi"] == kpi) & per_replication["scenario"].isin(group)]
        if values.groupby("replication")["value"].nunique().gt(1).any():
            result.append(group)
    return result


def yardstick_split(per_replication: pd.DataFrame, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    """Each scenario's paired difference in on-time rate from the baseline, split into behaviour and yardstick.

    behaviour = the difference in `on_time_rate_common_yardstick` (the same limit for everyone);
    yardstick = the difference in `on_time_rate` less the behaviour part. One row per scenario and
    part (total, behaviour, yardstick) with the mean over replications and its CI; scenarios
    without the common-yardstick KPI are left out.
    """
    wide = per_replication[per_replication["kpi"].isin(["on_time_rate", "on_time_rate_common_yardstick"])].pivot_table(
        index=["scenario", "replication"], columns="kpi", values="value")
    if "on_time_rate_common_yardstick" not in wide or baseline not in wide.index.get_level_values(0):
        return pd.DataFrame(columns=["scenario", "part", "mean", "low", "high"])
    base = wide.loc[baseline]
    rows = []
    for scenario in dict.fromkeys(per_replication["scenario"]):
        if scenario == baseline or scenario not in wide.index.get_level_values(0):
            continue
        own = wide.loc[scenario].reindex(base.index)
        total = own["on_time_rate"] - base["on_time_rate"]
        behaviour = own["on_time_rate_common_yardstick"] - base["on_time_rate_common_yardstick"]
        if behaviour.isna().all():
            continue
        for part, values in (("total", total), ("behaviour", behaviour), ("yardstick", total - behaviour)):
            e = estimate(values.dropna().to_numpy(float), confidence, bounds=(-1.0, 1.0))
            rows.append({"scenario": scenario, "part": part, "mean": e.mean, "low": e.low, "high": e.high})
    return pd.DataFrame(rows, columns=["scenario", "part", "mean", "low", "high"])
