"""The KPIs of one replication: the core's, declared here, and those of every mechanism that ran.

KPIs are computed on the cases that arrive in the measurement window [warm_up, horizon), with
the definitions of `core.outcomes` (decided, on time, time to close): the on-time rate is the
share of decided cases with a deadline that closed by it (cases still open and not yet due are
left out, cases without a deadline too); a case still open at the end of the drain counts in
the time to close at its age then.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import outcomes
from ..core.district import RawRun
from ..core.outcomes import Kpi
from ..core.stations import ROLES
from ..mechanisms import MECHANISMS
from ..params.cases import LEVELS

CORE_KPIS = (
    Kpi("on_time_rate", "share", "higher", "service", "On-time closure rate", "按时办结率"),
    Kpi("on_time_rate_*", "share", "higher", "service", "On-time closure rate: {}", "按时办结率:{}"),
    Kpi("ttc_p50_h", "h", "lower", "service", "Median time to close (h)", "办结时间中位数(小时)"),
    Kpi("ttc_p90_h", "h", "lower", "service", "90th percentile time to close (h)", "办结时间90分位(小时)"),
    Kpi("ttc_p99_h", "h", "lower", "service", "99th percentile time to close (h)", "办结时间99分位(小时)"),
    Kpi("ttc_mean_h", "h", "lower", "service", "Mean time to close (h)", "平均办结时间(小时)"),
    Kpi("wait_mean_h", "h", "lower", "service", "Mean wait until work starts (h)", "平均等待受理时间(小时)"),
    Kpi("overdue_cases", "cases", "lower", "service", "Overdue cases", "超期案件数"),
    Kpi("acceptance_overdue_rate", "share", "lower", "service", "Whistled cases taken up late", "派单超时受理比例"),
    Kpi("backlog_end", "cases", "lower", "flow", "Open cases at the horizon", "期末未结案件数"),
    Kpi("backlog_mean", "cases", "lower", "flow", "Open cases on average", "平均未结案件数"),
    Kpi("open_at_end", "cases", "lower", "flow", "Cases still open after the drain", "收尾期后仍未办结案件数"),
    Kpi("cases_per_day", "cases/day", "neither", "flow", "Cases per day", "日均案件数"),
    Kpi("whistled_share", "share", "neither", "flow", "Cases whistled to departments", "吹哨派单比例"),
    Kpi("escalation_rate", "share", "neither", "flow", "Cases escalated", "上报比例"),
    Kpi("reopen_rate", "share", "lower", "flow", "Cases reopened (result rejected)", "重新办理比例"),
    Kpi("grid_worker_utilisation", "share", "neither", "workload", "Grid worker utilisation", "网格员工作负荷"),
    Kpi("community_worker_utilisation", "share", "neither", "workload", "Community worker utilisation",
        "社区工作者工作负荷"),
    Kpi("department_staff_utilisation", "share", "neither", "workload", "Department staff utilisation",
        "职能部门人员工作负荷"),
    Kpi("cases_per_grid_worker_day", "cases/day", "neither", "workload",
        "Cases closed in the grid per grid worker per day", "每名网格员每日网格内办结案件数"),
    Kpi("grid_worker_vacancy_days", "post-days", "lower", "workforce", "Grid worker post-days vacant",
        "网格员岗位空缺天数"),
    Kpi("grid_days_uncovered", "grid-days", "lower", "workforce", "Grid-days without a grid worker",
        "无网格员覆盖的网格天数"),
    Kpi("grid_days_covered_by_neighbours", "grid-days", "neither", "workforce",
        "Grid-days covered by neighbouring grid workers", "由相邻网格员兼管的网格天数"),
    Kpi("grid_worker_departures", "people", "lower", "workforce", "Grid workers who left", "离职网格员人数"),
    Kpi("communities", "communities", "neither", "workforce", "Communities at the end", "期末社区数"),
)


def kpis(raw: RawRun) -> dict[str, float]:
    """The scalar KPIs of one replication: the core's, then each mechanism's that ran."""
    result = core_kpis(raw)
    result.update(raw.workforce)
    for mechanism in MECHANISMS:
        if mechanism.name in raw.extensions:
            result.update(mechanism.measure(raw))
    return result


def core_kpis(raw: RawRun) -> dict[str, float]:
    # The window's columns are copies, each 8 bytes a case: a five-year replication has some 8
    # million cases, so each is dropped (del) as soon as the figures that need it are taken, and
    # the peak memory of the KPIs is a few columns, not a dozen.
    c = raw.cases
    start, end = raw.window_h
    in_window = (c["arrived_h"] >= start) & (c["arrived_h"] < end)
    arrived = c["arrived_h"][in_window]
    closed = c["closed_h"][in_window]
    due = c["due_h"][in_window]
    level = c["level"][in_window]
    is_closed = outcomes.is_closed(closed)
    decided = outcomes.decided(closed, due, raw.end_h)
    on_time = outcomes.on_time(closed, due)
    del due
    overdue = decided & ~on_time
    wait = c["started_h"][in_window]  # a copy: subtracted in place
    wait -= arrived
    wait_mean = float(np.nanmean(wait)) if np.isfinite(wait).any() else math.nan
    del wait
    ttc = outcomes.time_to_close(arrived, closed, raw.end_h)
    del arrived, closed
    n = int(in_window.sum())
    ttc_figures = {"ttc_p50_h": _quantile(ttc, 0.50), "ttc_p90_h": _quantile(ttc, 0.90),
                   "ttc_p99_h": _quantile(ttc, 0.99), "ttc_mean_h": float(ttc.mean()) if n else math.nan}
    del ttc
    days = (end - start) / 24.0
    whistled = ~np.isnan(c["whistled_h"][in_window])
    accept_late = whistled & (np.nan_to_num(c["accepted_h"][in_window], nan=np.inf) - c["whistled_h"][in_window]
                              > raw.scenario.dispatch.acceptance_deadline_h)
    ts = raw.timeseries
    at_horizon = np.searchsorted(ts["t_h"], end, side="left")
    in_ts_window = (ts["t_h"] >= start) & (ts["t_h"] < end)

    result = {
        "on_time_rate": _share(on_time & decided, decided),
        **ttc_figures,
        "wait_mean_h": wait_mean,
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
    return result


def _share(numerator: np.ndarray, denominator: np.ndarray) -> float:
    d = int(np.count_nonzero(denominator))
    return float(np.count_nonzero(numerator)) / d if d else math.nan


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.nan
