"""The three-level assessment (三级考评, seed 000): scorecards per grid weekly, per community monthly,
per subdistrict quarterly, made from a replication's case log (and its patrol visits, if patrols run).

This is pure post-processing: nothing here feeds back into the simulation. An assessment week is
7 days from Monday 00:00 of day 0; a month is `month_weeks` weeks and a quarter `quarter_weeks`
weeks (defaults 4 and 13, so that every period is made of whole weeks and patrol coverage
aggregates exactly). Periods cover [0, horizon); the last one may be cut short by the horizon.

Each scorecard row counts events by the time they happen in its period:

- `arrived`: cases that arrived; `closed`: cases closed (final closure);
- `decided`: cases with a deadline decided in the period (`core.outcomes`: at their closure if
  they closed on time, at their due time otherwise), of which `on_time` closed by it and
  `overdue` did not (their due time fell in the period and they were still open then);
  `on_time_rate` = on_time / decided, the KPI's definition, period by period;
- `backlog_end`: cases open at the end of the period (a stock, not a flow);
- `satisfaction`: share of the period's closures that the resident did not reject (no reopening),
  a proxy since the model has no satisfaction survey;
- `patrol_coverage`: share of the unit's grid-weeks in the period with at least one patrol visit
  (NaN when patrols are off);
- `below_threshold`: on-time rate under `on_time_threshold` (flagged for corrective support; the
  support itself is not simulated);
- `supervised` (only when the departments respond to deadlines, `deadline_response` with
  supervision): the unit's cases flagged for supervision (督办) in the period, counted against it.

Counts aggregate: the grid scorecards of a period of weeks sum to the community and subdistrict
scorecards of that period, and all of them to the district totals (tests/test_assessment.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import outcomes
from ..units import HOURS_PER_WEEK as WEEK_H

CHUNK_CASES = 500_000  # cases counted at a time: a long run's per-case temporaries stay small


def period_index(times_h: np.ndarray, period_h: float, n_periods: int) -> np.ndarray:
    """Period of each instant; -1 for NaN or instants outside [0, n_periods * period_h)."""
    index = np.full(len(times_h), -1, dtype=np.int64)
    ok = np.isfinite(times_h) & (times_h >= 0)
    index[ok] = (times_h[ok] // period_h).astype(np.int64)
    index[index >= n_periods] = -1
    return index


def _count(unit: np.ndarray, period: np.ndarray, mask: np.ndarray, n_units: int, n_periods: int) -> np.ndarray:
    keep = mask & (period >= 0)
    flat = unit[keep] * n_periods + period[keep]
    return np.bincount(flat, minlength=n_units * n_periods).reshape(n_units, n_periods)


def _backlog_at_period_ends(unit, arrived, closed, period_h, n_units, n_periods) -> np.ndarray:
    """Open cases of each unit at the end of each period: arrived before the end, not closed by then."""
    closed = np.where(np.isnan(closed), np.inf, closed)
    first = np.floor(arrived / period_h).astype(np.int64)  # first period whose end is after arrival
    # period p (ending at (p+1)L) counts the case if arrived < (p+1)L <= closed, i.e. p <= closed/L - 1
    finite = np.isfinite(closed)
    last = np.full(len(closed), n_periods - 1, dtype=np.int64)
    last[finite] = np.minimum(np.floor(closed[finite] / period_h).astype(np.int64) - 1, n_periods - 1)
    valid = (last >= first) & (first < n_periods)
    diff = np.zeros((n_units, n_periods + 1), dtype=np.int64)
    np.add.at(diff, (unit[valid], first[valid]), 1)
    np.add.at(diff, (unit[valid], last[valid] + 1), -1)
    return np.cumsum(diff, axis=1)[:, :n_periods]


def scorecard(
    case_log: pd.DataFrame,
    unit_column: str,
    n_units: int,
    period_weeks: int,
    horizon_days: float,
    *,
    grid_unit: np.ndarray | None = None,
    weekly_visited: np.ndarray | None = None,
    on_time_threshold: float = 0.9,
    supervised_h: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per unit and period of `period_weeks` weeks.

    `grid_unit` maps each grid to its unit (needed for patrol coverage); `weekly_visited` is a
    (weeks, grids) boolean array of grids visited by a patrol in each week, or None;
    `supervised_h` is when each case was flagged for supervision (NaN: never), or None.
    """
    period_h = period_weeks * WEEK_H
    horizon_h = horizon_days * 24.0
    n_periods = max(1, math.ceil(horizon_h / period_h))
    counts: dict[str, np.ndarray] = {}
    for start in range(0, max(len(case_log), 1), CHUNK_CASES):
        chunk = case_log.iloc[start:start + CHUNK_CASES]
        supervised = None if supervised_h is None else supervised_h[start:start + CHUNK_CASES]
        for name, values in _case_counts(chunk, unit_column, n_units, n_periods, period_h, horizon_h,
                                         supervised).items():
            counts[name] = counts[name] + values if name in counts else values
    backlog = counts.pop("backlog_end")
    supervised_counts = counts.pop("supervised", None)
    units, periods = np.meshgrid(np.arange(n_units), np.arange(n_periods), indexing="ij")
    frame = pd.DataFrame({
        "unit": units.ravel(),
        "period": periods.ravel(),
        "start_day": periods.ravel() * period_weeks * 7.0,
        "end_day": np.minimum((periods.ravel() + 1) * period_weeks * 7.0, horizon_days),
    })
    for name, values in counts.items():
        frame[name] = values.ravel()
    frame["backlog_end"] = backlog.ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["on_time_rate"] = frame["on_time"] / frame["decided"].replace(0, np.nan)
        frame["satisfaction"] = 1.0 - frame["reopened_closed"] / frame["closed"].replace(0, np.nan)
    frame["grid_weeks"], frame["grid_weeks_visited"] = _coverage_counts(
        grid_unit, weekly_visited, n_units, n_periods, period_weeks, math.ceil(horizon_days / 7.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["patrol_coverage"] = (frame["grid_weeks_visited"] / frame["grid_weeks"].replace(0, np.nan)
                                    if weekly_visited is not None else np.nan)
    frame["below_threshold"] = frame["on_time_rate"] < on_time_threshold
    if supervised_counts is not None:
        frame["supervised"] = supervised_counts.ravel()
    return frame


def _case_counts(case_log: pd.DataFrame, unit_column: str, n_units: int, n_periods: int, period_h: float,
                 horizon_h: float, supervised_h: np.ndarray | None) -> dict[str, np.ndarray]:
    """The (unit, period) counts of some of the cases; counts of disjoint sets of cases add up."""
    unit = case_log[unit_column].to_numpy().astype(np.int64)
    arrived = case_log["arrived_h"].to_numpy(float)
    closed = case_log["closed_h"].to_numpy(float)
    due = case_log["due_h"].to_numpy(float)
    reopened = case_log["reopened"].to_numpy(bool)
    is_closed = outcomes.is_closed(closed)
    has_deadline = outcomes.has_deadline(due)
    on_time = has_deadline & outcomes.on_time(closed, due)

    def period_of(times: np.ndarray) -> np.ndarray:  # only events before the horizon are assessed
        return period_index(np.where(times < horizon_h, times, np.nan), period_h, n_periods)

    decided_p = period_of(outcomes.decided_at(closed, due))
    closed_p = period_of(closed)
    counts = {
        "arrived": _count(unit, period_of(arrived), np.ones(len(unit), bool), n_units, n_periods),
        "closed": _count(unit, closed_p, is_closed, n_units, n_periods),
        "decided": _count(unit, decided_p, has_deadline, n_units, n_periods),
        "on_time": _count(unit, decided_p, on_time, n_units, n_periods),
        "overdue": _count(unit, decided_p, has_deadline & ~on_time, n_units, n_periods),
        "reopened_closed": _count(unit, closed_p, is_closed & reopened, n_units, n_periods),
        "backlog_end": _backlog_at_period_ends(unit, arrived, closed, period_h, n_units, n_periods),
    }
    if supervised_h is not None:
        counts["supervised"] = _count(unit, period_of(supervised_h), np.isfinite(supervised_h), n_units, n_periods)
    return counts


def _coverage_counts(grid_unit, weekly_visited, n_units, n_periods, period_weeks, horizon_weeks):
    """Grid-weeks and grid-weeks with a patrol visit per unit and period (zeros without patrols)."""
    if weekly_visited is None or grid_unit is None:
        zeros = np.zeros(n_units * n_periods, dtype=np.int64)
        return zeros, zeros.copy()
    weeks, n_grids = weekly_visited.shape
    grid_weeks = np.zeros((n_units, n_periods), dtype=np.int64)
    visited = np.zeros((n_units, n_periods), dtype=np.int64)
    grids_per_unit = np.bincount(grid_unit, minlength=n_units)
    for week in range(min(weeks, n_periods * period_weeks, horizon_weeks)):
        p = week // period_weeks
        grid_weeks[:, p] += grids_per_unit
        visited[:, p] += np.bincount(grid_unit, weights=weekly_visited[week], minlength=n_units).astype(np.int64)
    return grid_weeks.ravel(), visited.ravel()


def three_level_scorecards(
    case_log: pd.DataFrame,
    territory,
    horizon_days: float,
    *,
    weekly_visited: np.ndarray | None = None,
    month_weeks: int = 4,
    quarter_weeks: int = 13,
    on_time_threshold: float = 0.9,
    supervised_h: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Grid scorecards by week, community scorecards by month, subdistrict scorecards by quarter."""
    grid_community = territory.grid_community
    grid_subdistrict = territory.grid_subdistrict()
    common = dict(horizon_days=horizon_days, weekly_visited=weekly_visited, on_time_threshold=on_time_threshold,
                  supervised_h=supervised_h)
    return {
        "grid_weekly": scorecard(case_log, "grid", territory.n_grids, 1,
                                 grid_unit=np.arange(territory.n_grids), **common),
        "community_monthly": scorecard(case_log, "community", territory.n_communities, month_weeks,
                                       grid_unit=grid_community, **common),
        "subdistrict_quarterly": scorecard(case_log, "subdistrict", int(territory.community_subdistrict.max()) + 1,
                                           quarter_weeks, grid_unit=grid_subdistrict, **common),
    }
