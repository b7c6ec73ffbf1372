"""What the case log says directly about arrivals: rates, their hour-of-week and day-to-day pattern, sources, deadlines.

Each model category's rate is its logged cases a year per notional household; the
168-value hour-of-week profile is the mean rate in each hour of the week; the day-level rate
overdispersion (`daily_rate_cv`) is the day-to-day variance beyond Poisson after removing the
day-of-week means. A category's deadline is its median creation-to-due offset when most of its
cases have one; its department is its one unit or the shares of its cases by unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .categories import key_name
from .logs import CaseLog

NOTIONAL_HOUSEHOLDS = 10_000  # the log has no households: rates per notional household reproduce its volume


def daily_rate_cv(counts: np.ndarray, weekday: np.ndarray) -> float:
    """Coefficient of variation of a day-level rate multiplier, by the method of moments.

    With day d's count Poisson given a rate mu_w(d) G_d, E G = 1, Var G = cv^2, the count has
    variance mu + cv^2 mu^2. The day-of-week means mu_w are removed first.
    """
    excess, weight = 0.0, 0.0
    for w in range(7):
        group = counts[weekday == w].astype(float)
        if len(group) < 2 or group.mean() <= 0:
            continue
        mu = group.mean()
        excess += (group.var(ddof=1) - mu) * (len(group) - 1)
        weight += mu**2 * (len(group) - 1)
    if weight <= 0:
        return 0.0
    return float(min(5.0, math.sqrt(max(0.0, excess / weight))))


@dataclass
class Arrivals:
    """What the scenario's cases section takes from the log, with the notes its `sources:` labels cite."""

    households: int
    rates: dict[str, float]  # cases per household per year
    counts: dict[str, int]
    deadlines: dict[str, float | None]
    deadline_notes: dict[str, str]
    departments: dict[str, str | dict[str, float]]
    sources: dict[str, float]
    hour_of_week: list[float]
    hourly: list[float]
    weekly: list[float]
    daily_cv: float


def _department_of(units: pd.Series) -> str | dict[str, float]:
    """A category's department: its one unit, or the shares of its cases by unit (rounded, summing to 1)."""
    shares = units.value_counts(normalize=True)
    if len(shares) == 1:
        return str(shares.index[0])
    rounded = {str(k): float(round(v, 6)) for k, v in shares.items()}
    first = next(iter(rounded))
    rounded[first] = float(round(rounded[first] + 1.0 - sum(rounded.values()), 6))
    return rounded


def fit_arrivals(log: CaseLog, frame: pd.DataFrame, observed: dict) -> Arrivals:
    """Rates, deadlines, sources and the arrival pattern, straight from the log."""
    days = log.days
    counts = frame["category"].value_counts()
    rates = {name: float(n / days * 365.0 / NOTIONAL_HOUSEHOLDS) for name, n in counts.items()}
    deadlines, notes = {}, {}
    for name, rows in frame.groupby("category"):
        offsets = (rows["due"] - rows["created"]).dropna() / pd.Timedelta(hours=1)
        share = len(offsets) / len(rows)
        if share >= 0.5 and offsets.median() > 0:
            deadlines[name] = float(round(offsets.median(), 2))
            notes[name] = (f"median creation-to-due offset of {len(offsets):,} cases "
                           f"({share:.0%} of the category have a deadline)")
        else:
            deadlines[name] = None
            notes[name] = f"no deadline: only {share:.0%} of the category's {len(rows):,} cases have one"
    department = {name: _department_of(rows) for name, rows in frame.groupby("category")["department"]}
    sources = frame["source"].map(key_name).value_counts(normalize=True)
    how = observed["hour_of_week_rate"]
    how = how / how.mean() if how.mean() > 0 else np.ones(168)
    grid = how.reshape(7, 24)
    daily_cv = daily_rate_cv(observed["daily_counts"], observed["weekday"])
    return Arrivals(
        households=NOTIONAL_HOUSEHOLDS, rates=rates, counts=counts.to_dict(), deadlines=deadlines,
        deadline_notes=notes, departments=department,
        sources={k: float(v) for k, v in sources.items()},
        hour_of_week=[round(float(v), 5) for v in how],
        hourly=[round(float(v), 5) for v in grid.mean(axis=0) + 1e-9],
        weekly=[round(float(v), 5) for v in grid.mean(axis=1) + 1e-9],
        daily_cv=round(daily_cv, 4),
    )
