"""Which scenarios handle their cases alike, so that their differences come only from the yardstick.

Scenarios compared over the same replications see the same cases (common random numbers). When
two of them give the same times to close, waits, backlogs and workloads in every replication
(within `TOLERANCE`, relative), nobody in the model acted differently between them; a difference
in their on-time rate then comes from the deadline the cases are measured against (a 72 h limit
counts fewer cases late than a 24 h one), not from a policy's effect. The reports say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
