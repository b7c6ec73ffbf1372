"""The summary of a case log in model time, for the observed log and the simulated one alike.

Both logs are summarised by `moments` on the outcome definitions of `core.outcomes`: a case's
time to close counts a case still open when the log was taken at its age then (a lower
bound), and the on-time rate is the share of cases with a deadline, closed or past due when the
log was taken, that closed by their deadline. A closure after the snapshot is not in the log
yet, so the case counts as open. Model time is hours since the log's first midnight; the hour
of the week counts from Monday 00:00.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import outcomes
from .logs import CaseLog

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def to_hours(log: CaseLog, frame: pd.DataFrame) -> pd.DataFrame:
    """Observed cases in model time: hours since the first midnight of the log; hour of week from Monday 00:00."""
    start = log.start
    hours = lambda t: (t - start) / pd.Timedelta(hours=1)  # noqa: E731
    created = frame["created"]
    return pd.DataFrame({
        "arrived_h": hours(created).to_numpy(float),
        "closed_h": hours(frame["closed"]).to_numpy(float),
        "due_h": np.nan_to_num(hours(frame["due"]).to_numpy(float), nan=np.inf),
        "hour_of_week": (created.dt.day_of_week * 24 + created.dt.hour).to_numpy(int),
        "category": frame["category"].to_numpy(),
        "department": frame["department"].to_numpy(),
        "work_key": frame["work_key"].to_numpy(),
    })


def moments(cases: pd.DataFrame, weekday: np.ndarray, snapshot_h: float | np.ndarray) -> dict:
    """Arrival and closure statistics of a log in model time.

    Day i of the log is [24 i, 24 (i + 1)) h and falls on `weekday[i]` (0 = Monday); the log was
    taken at `snapshot_h` (one value, or one per case when replications are pooled end to end).
    """
    days = len(weekday)
    counts = np.bincount(np.floor(cases["arrived_h"].to_numpy() / 24).astype(int), minlength=days)[:days]
    hours_of_week = np.repeat(np.bincount(weekday, minlength=7), 24)
    how_rate = np.bincount(cases["hour_of_week"].to_numpy(), minlength=168) / np.maximum(hours_of_week, 1)
    if "snapshot_h" not in cases:
        cases = cases.assign(snapshot_h=float(snapshot_h))
    out = {
        "cases": len(cases),
        "days": days,
        "daily_counts": counts,
        "weekday": weekday,
        "cases_per_day_mean": float(counts.mean()),
        "cases_per_day_var": float(counts.var(ddof=1)) if days > 1 else math.nan,
        "hour_of_week_rate": how_rate,
        "overall": closure_moments(cases),
        "deadline_offsets_h": _deadline_offsets(cases),
        **deadline_closures(cases),
    }
    out["by_category"] = {name: closure_moments(group) for name, group in cases.groupby("category")}
    out["by_department"] = {name: closure_moments(group) for name, group in cases.groupby("department")}
    out["by_work_key"] = {name: closure_moments(group) for name, group in cases.groupby("work_key")}
    return out


def deadline_closures(cases: pd.DataFrame) -> dict:
    """Closures around the deadline: each closed case's position (closed - created) / (due - created), its
    `deadline_spike_ratio` and `deadline_drop_ratio` (`core.outcomes.deadline_ratios`), for the cases with a
    deadline closed when the log was taken."""
    closed = cases["closed_h"].to_numpy(float)
    closed = np.where(closed <= cases["snapshot_h"].to_numpy(float), closed, np.nan)
    position = outcomes.deadline_position(cases["arrived_h"].to_numpy(float), closed, cases["due_h"].to_numpy(float))
    position = position[np.isfinite(position)]
    spike, drop = outcomes.deadline_ratios(position)
    before, last, after = (int(np.count_nonzero((position > low) & (position <= low + 0.1))) for low in (0.8, 0.9, 1.0))
    # standard errors of the ratios of two Poisson counts: r sqrt(1/a + 1/b)
    se = {name: float(ratio * np.sqrt(1 / a + 1 / b)) if a and b else math.inf
          for name, ratio, a, b in (("deadline_spike_ratio", spike, before, last),
                                    ("deadline_drop_ratio", drop, last, after))}
    return {"deadline_positions": position, "deadline_spike_ratio": float(spike), "deadline_drop_ratio": float(drop),
            "deadline_ratio_se": se}


def _deadline_offsets(cases: pd.DataFrame) -> np.ndarray:
    offsets = cases["due_h"].to_numpy(float) - cases["arrived_h"].to_numpy(float)
    return offsets[np.isfinite(offsets)]


def closure_moments(cases: pd.DataFrame) -> dict:
    """Time-to-close quantiles (open cases at their age at the snapshot) and the on-time rate of decided cases."""
    snapshot_h = cases["snapshot_h"].to_numpy(float)
    arrived = cases["arrived_h"].to_numpy(float)
    closed = cases["closed_h"].to_numpy(float)
    due = cases["due_h"].to_numpy(float)
    closed = np.where(closed <= snapshot_h, closed, np.nan)  # closed after the log was taken: open in it
    is_closed = outcomes.is_closed(closed)
    ttc = outcomes.time_to_close(arrived, closed, snapshot_h)
    has_deadline = outcomes.has_deadline(due)
    decided = outcomes.decided(closed, due, snapshot_h)
    on_time = decided & outcomes.on_time(closed, due)
    closed_with_deadline = has_deadline & is_closed
    result = {"cases": int(len(cases)), "open_share": float(1 - is_closed.mean()) if len(cases) else math.nan,
              "on_time_rate_closed": float(on_time.sum() / closed_with_deadline.sum()) if closed_with_deadline.any()
              else math.nan,
              "decided": int(decided.sum()),
              "on_time_rate": float(on_time.sum() / decided.sum()) if decided.any() else math.nan,
              "deadline_h": float(np.median(due[has_deadline] - arrived[has_deadline])) if has_deadline.any()
              else math.nan}
    result["ttc_mean_closed_h"] = float(np.mean(ttc[is_closed])) if is_closed.any() else math.nan
    for q in QUANTILES:
        result[f"ttc_p{int(q * 100)}_h"] = float(np.quantile(ttc, q)) if len(ttc) else math.nan
    return result
