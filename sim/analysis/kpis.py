"""From raw columns to tables and KPIs; confidence intervals and paired differences across replications.

KPIs are computed on the cases that arrive in the measurement window [warm_up, horizon). A case
is *decided* once it is closed or its due time has passed; the on-time rate is the share of
decided cases with a deadline that closed by it (cases still open and not yet due are left out,
cases without a deadline too). Time to close counts a case still open at the end of the drain
period at its age then (a lower bound), so a saturated system shows up rather than hiding.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .. import mechanisms
from ..mechanisms.dynamics import PEOPLE_KPI_UNITS
from ..mechanisms.dynamics import kpis as people_kpis
from ..core.district import ROLES, RawRun
from ..params.cases import LEVELS

KPI_UNITS = {
    "on_time_rate": "share",
    "ttc_p50_h": "h",
    "ttc_p90_h": "h",
    "ttc_p99_h": "h",
    "ttc_mean_h": "h",
    "wait_mean_h": "h",
    "overdue_cases": "cases",
    "acceptance_overdue_rate": "share",
    "backlog_end": "cases",
    "backlog_mean": "cases",
    "cases_per_day": "cases/day",
    "whistled_share": "share",
    "escalation_rate": "share",
    "reopen_rate": "share",
    "grid_worker_utilisation": "share",
    "community_worker_utilisation": "share",
    "department_staff_utilisation": "share",
    "cases_per_grid_worker_day": "cases/day",
    "open_at_end": "cases",
    **mechanisms.KPI_UNITS,
}
KPI_UNITS.update(PEOPLE_KPI_UNITS)  # issue 3: workforce over time and costs


def case_log(raw: RawRun) -> pd.DataFrame:
    """One row per case, with names instead of codes."""
    c = raw.cases
    territory = raw.territory
    scenario = raw.scenario
    categories = pd.Categorical.from_codes(c["category"], categories=scenario.category_names())
    sources = pd.Categorical.from_codes(c["source"], categories=list(scenario.cases.sources))
    levels = pd.Categorical.from_codes(c["level"], categories=list(LEVELS))
    on_time = np.where(np.isnan(c["closed_h"]) | np.isinf(c["due_h"]), np.nan, c["closed_h"] <= c["due_h"])
    return pd.DataFrame(
        {
            "id": np.arange(len(c["arrived_h"]), dtype=np.int64),
            "category": categories,
            "source": sources,
            "level": levels,
            "initial_level": pd.Categorical.from_codes(c["initial_level"], categories=list(LEVELS)),
            "department": pd.Categorical.from_codes(c["department"], categories=list(scenario.departments)),
            "grid": c["grid"],
            "community": territory.grid_community[c["grid"]],
            "subdistrict": territory.community_subdistrict[territory.grid_community[c["grid"]]],
            "arrived_h": c["arrived_h"],
            "due_h": c["due_h"],
            "closed_h": c["closed_h"],
            "started_h": c["started_h"],
            "whistled_h": c["whistled_h"],
            "accepted_h": c["accepted_h"],
            "on_time": pd.array(np.where(np.isnan(on_time), None, on_time == 1), dtype="boolean"),
            "escalations": c["escalations"],
            "reopened": c["reopened"],
        }
    )


def timeseries(raw: RawRun) -> pd.DataFrame:
    frame = pd.DataFrame(raw.timeseries)
    frame["day"] = frame["t_h"] / 24.0
    return frame


def kpis(raw: RawRun) -> dict[str, float]:
    """The scalar KPIs of one replication."""
    c = raw.cases
    start, end = raw.window_h
    in_window = (c["arrived_h"] >= start) & (c["arrived_h"] < end)
    arrived = c["arrived_h"][in_window]
    closed = c["closed_h"][in_window]
    due = c["due_h"][in_window]
    level = c["level"][in_window]
    is_closed = ~np.isnan(closed)
    has_deadline = np.isfinite(due)
    decided = has_deadline & (is_closed | (due < raw.end_h))
    on_time = is_closed & (closed <= due)
    overdue = decided & ~on_time
    ttc = np.where(is_closed, closed - arrived, raw.end_h - arrived)
    n = int(in_window.sum())
    days = (end - start) / 24.0
    whistled = ~np.isnan(c["whistled_h"][in_window])
    accept_late = whistled & (np.nan_to_num(c["accepted_h"][in_window], nan=np.inf) - c["whistled_h"][in_window]
                              > raw.scenario.dispatch.acceptance_deadline_h)
    wait = c["started_h"][in_window] - arrived
    ts = raw.timeseries
    at_horizon = np.searchsorted(ts["t_h"], end, side="left")
    in_ts_window = (ts["t_h"] >= start) & (ts["t_h"] < end)

    result = {
        "on_time_rate": _share(on_time & decided, decided),
        "ttc_p50_h": _quantile(ttc, 0.50),
        "ttc_p90_h": _quantile(ttc, 0.90),
        "ttc_p99_h": _quantile(ttc, 0.99),
        "ttc_mean_h": float(ttc.mean()) if n else math.nan,
        "wait_mean_h": float(np.nanmean(wait)) if np.isfinite(wait).any() else math.nan,
        "overdue_cases": float(overdue.sum()),
        "acceptance_overdue_rate": _share(accept_late, whistled),
        "backlog_end": float(ts["backlog"][min(at_horizon, len(ts["backlog"]) - 1)]),
        "backlog_mean": float(ts["backlog"][in_ts_window].mean()) if in_ts_window.any() else math.nan,
        "cases_per_day": n / days,
        "whistled_share": _share(whistled, np.ones(n, bool)),
        "escalation_rate": _share(c["escalations"][in_window] > 0, np.ones(n, bool)),
        "reopen_rate": _share(c["reopened"][in_window], np.ones(n, bool)),
        "cases_per_grid_worker_day": float((is_closed & (level == 0)).sum() / raw.grid_worker_days)
        if raw.grid_worker_days > 0 else math.nan,
        "open_at_end": float((~is_closed).sum()),
    }
    for role in ROLES:
        available = raw.shift_h[role]
        result[f"{role}_utilisation"] = raw.busy_h[role] / available if available > 0 else math.nan
    for code, name in enumerate(LEVELS):
        mask = level == code
        result[f"on_time_rate_{name}"] = _share(on_time & decided & mask, decided & mask)
    category = c["category"][in_window]
    for code, name in enumerate(raw.scenario.category_names()):
        mask = category == code
        result[f"on_time_rate_{name}"] = _share(on_time & decided & mask, decided & mask)
    result.update(mechanisms.kpis(raw))  # prevention and participation (issue 7): only mechanisms that are on
    result.update(people_kpis(raw))
    return result


def _share(numerator: np.ndarray, denominator: np.ndarray) -> float:
    d = int(np.count_nonzero(denominator))
    return float(np.count_nonzero(numerator)) / d if d else math.nan


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.nan


# --------------------------------------------------------------------------- across replications


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval; with one value the interval is that value."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n == 1:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def summarise(per_replication: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """From tidy rows (scenario, replication, kpi, value) to one row per scenario and KPI."""
    rows = []
    for (scenario, kpi), group in per_replication.groupby(["scenario", "kpi"], sort=False, observed=True):
        mean, low, high = t_interval(group["value"].to_numpy(), confidence)
        rows.append({"scenario": scenario, "kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high,
                     "n": int(group["value"].notna().sum()), "unit": KPI_UNITS.get(kpi, "share")})
    return pd.DataFrame(rows)


def paired_differences(per_replication: pd.DataFrame, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    """Each scenario minus the baseline, replication by replication (common random numbers), with a CI."""
    wide = per_replication.pivot_table(index=["kpi", "replication"], columns="scenario", values="value", observed=True)
    rows = []
    for scenario in per_replication["scenario"].unique():
        if scenario == baseline:
            continue
        for kpi, group in wide.groupby(level="kpi", sort=False):
            diff = (group[scenario] - group[baseline]).to_numpy()
            mean, low, high = t_interval(diff, confidence)
            rows.append({"scenario": scenario, "baseline": baseline, "kpi": kpi, "difference": mean,
                         "ci_low": low, "ci_high": high,
                         "significant": bool(low > 0 or high < 0) if not math.isnan(low) else False})
    return pd.DataFrame(rows)
