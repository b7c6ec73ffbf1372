"""Every handling unit of the log as a department: its working hours and its capacity.

Working hours and days are read off when the unit closes cases (work pauses outside them): a day
of the week is a working day when the unit closes at least 15 % as many cases on it as on its
typical working day.
Capacity is not in the log: a unit that is never saturated does not show it. It is tied to the
throughput the unit demonstrably achieves (the 90th percentile of its closures per working
day), so its staff follow from the work content the search finds for its cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..params.calendar import DAY_NAMES
from .categories import INTAKE
from .logs import CaseLog
from .work_content import WorkFit

MAX_STAFF_FITTED = 200_000
# The notional intake desk closes a case on intake, whenever it arrives: it keeps no working hours of its own
# (fitted ones would make a case arriving at night or at the weekend wait for the morning, which the log's
# closures at once never do).
INTAKE_HOURS = ([{"days": list(DAY_NAMES), "start_h": 0.0, "end_h": 24.0}],
                "assumption: every hour of every day (a notional desk: cases closed on intake close whenever they "
                "arrive)")
WORKING_DAY_SHARE = 0.15


def working_hours(closed: pd.Series) -> tuple[list[dict], str]:
    """A unit's weekly working hours from when it closes cases.

    Work pauses outside working hours, so a unit closes next to nothing then. Each day of the week is
    a working day if the unit closes at least `WORKING_DAY_SHARE` as many cases on it as on its median
    day among the five busiest (a unit closing 123 cases on Sundays against about 2,050 on each weekday
    does not work Sundays); its hours are the span of hours of its working days with at least 5 % of
    the busiest hour's closures.
    """
    closed = closed.dropna()
    if len(closed) < 50:
        return [{"days": list(DAY_NAMES[:5]), "start_h": 8.5, "end_h": 17.5}], \
            f"assumption: office hours 08:30-17:30 on weekdays (only {len(closed)} closures to fit from)"
    per_day = np.bincount(closed.dt.day_of_week, minlength=7).astype(float)
    typical = float(np.median(np.sort(per_day)[-5:]))
    working = per_day >= WORKING_DAY_SHARE * typical
    days = [DAY_NAMES[d] for d in range(7) if working[d]]
    on_working_day = working[closed.dt.day_of_week.to_numpy()]
    by_hour = np.bincount(closed[on_working_day].dt.hour, minlength=24)
    busy = np.flatnonzero(by_hour >= 0.05 * by_hour.max())
    start, end = int(busy.min()), int(busy.max()) + 1
    if end - start >= 20:
        start, end = 0, 24
    shares = ", ".join(f"{DAY_NAMES[d]} {per_day[d] / max(typical, 1e-9):.0%}" for d in range(7))
    note = (f"fitted: {len(closed):,} closures; working days close at least {WORKING_DAY_SHARE:.0%} as many cases "
            f"as the typical working day (closures by day: {shares}); hours with at least 5 % of the busiest "
            "hour's closures")
    return [{"days": days, "start_h": float(start), "end_h": float(end)}], note


def peak_throughput(closed: pd.Series, working_days: list[str], start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Closures per working day the unit demonstrably achieves: the 90th percentile over working days in the period."""
    closed = closed.dropna()
    closed = closed[(closed >= start) & (closed < end)]
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    working = [d for d in days if DAY_NAMES[d.day_of_week] in working_days] or list(days)
    per_day = closed.dt.normalize().value_counts().reindex(working, fill_value=0)
    return float(max(1.0, np.quantile(per_day.to_numpy(), 0.9))) if len(per_day) else 1.0


@dataclass
class Unit:
    """A handling unit: working hours fitted from its closures, capacity tied to its peak throughput."""

    peak_per_day: float
    hours: list[dict]
    hours_note: str
    hours_per_week: float
    work_shares: dict[str, float]  # share of the unit's cases by work key (see work_keys)
    notional: bool = False  # the intake desk: cases closed on intake never wait for one another

    def staff(self, work: dict[str, WorkFit]) -> int:
        """Staff so that the unit's capacity is its peak daily throughput: peak x mean work / working hours a day.

        The notional intake desk gets one member per case of its busiest days: a case the log closes on intake
        did not wait for staff (a single desk member would queue the bursts of cases entered at once)."""
        if self.notional:
            return int(min(MAX_STAFF_FITTED, max(1, math.ceil(self.peak_per_day))))
        working_days = len(self.hours[0]["days"])
        hours_per_day = self.hours_per_week / max(working_days, 1)
        mean_work = sum(share * work[key].work_mean_h() for key, share in self.work_shares.items())
        return int(min(MAX_STAFF_FITTED, max(1, math.ceil(self.peak_per_day * mean_work / hours_per_day))))


def fit_units(log: CaseLog, frame: pd.DataFrame) -> dict[str, Unit]:
    """Every department of the grouped log (see `categories.assign_groups`), in name order."""
    units = {}
    for unit in sorted(frame["department"].unique()):
        rows = frame[frame["department"] == unit]
        hours, note = INTAKE_HOURS if unit == INTAKE else working_hours(rows["closed"])
        week = sum(len(b["days"]) * (b["end_h"] - b["start_h"]) for b in hours)
        shares = rows["work_key"].value_counts(normalize=True).to_dict()
        units[unit] = Unit(peak_per_day=peak_throughput(rows["closed"], hours[0]["days"], log.start, log.end),
                           hours=hours, hours_note=note, hours_per_week=week, work_shares=shares,
                           notional=unit == INTAKE)
    return units
