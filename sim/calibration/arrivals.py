"""What the case log says directly about arrivals: rates, their hour-of-week and day-to-day pattern, sources, deadlines.

Each model category's rate is its logged cases a year per notional household; the 168-value
hour-of-week profile is the mean rate in each hour of the week. When the log spans a year or
more, a week-of-year profile (`fit_season`) is fitted, and a yearly trend when it spans two; the
day-level rate overdispersion (`daily_rate_cv`) is the day-to-day variance beyond Poisson after
removing the day-of-week means and that season and trend. A category's deadline is its median
creation-to-due offset when most of its cases have one (each deadline part of a category, see
`categories`, has its own); the category's empirical deadline mixture, a list of {hours, share},
is kept for the scenario file and the fit report. Its department is its one unit or the shares
of its cases by unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .categories import base_category, deadline_groups, key_name
from .logs import CaseLog

NOTIONAL_HOUSEHOLDS = 10_000  # the log has no households: rates per notional household reproduce its volume


SEASON_MIN_DAYS = 364  # a week-of-year profile needs a whole year
TREND_MIN_DAYS = 728  # a trend needs two, to tell it from the season
SEASON_WEEKS = 52


@dataclass
class Season:
    """The log's week-of-year profile (mean 1, from its first week) and yearly trend, and how they were fitted."""

    weekly: list[float] | None
    trend_per_year: float
    note: str

    def day_factors(self, days: int) -> np.ndarray:
        """The expected-rate multiplier on each day of the log (mean about 1)."""
        day = np.arange(days)
        factor = (1.0 + self.trend_per_year) ** ((day - (days - 1) / 2) / 365.0)
        if self.weekly is not None:
            factor = factor * np.asarray(self.weekly)[(day // 7) % len(self.weekly)]
        return factor


def fit_season(counts: np.ndarray) -> Season:
    """Week-of-year profile and trend of daily counts, when the log spans long enough to tell them from noise.

    The trend is the yearly growth between the first and the last 52 weeks (two years at least). The
    profile is each week of the year's count over the mean week, after removing the trend, averaged
    over the years the log covers.
    """
    days = len(counts)
    if days < SEASON_MIN_DAYS:
        return Season(None, 0.0, f"no season or trend: the log spans {days} days, a season needs "
                                 f"{SEASON_MIN_DAYS} and a trend {TREND_MIN_DAYS}")
    weeks = counts[: days // 7 * 7].reshape(-1, 7).sum(axis=1).astype(float)
    trend = 0.0
    if days >= TREND_MIN_DAYS and weeks[:SEASON_WEEKS].sum() > 0:
        years = (len(weeks) - SEASON_WEEKS) / SEASON_WEEKS
        trend = float((weeks[-SEASON_WEEKS:].sum() / weeks[:SEASON_WEEKS].sum()) ** (1 / years) - 1)
    level = (1.0 + trend) ** ((np.arange(len(weeks)) - (len(weeks) - 1) / 2) / SEASON_WEEKS)
    detrended = weeks / level
    profile = np.array([detrended[w::SEASON_WEEKS].mean() for w in range(SEASON_WEEKS)])
    profile = profile / profile.mean() if profile.mean() > 0 else np.ones(SEASON_WEEKS)
    note = (f"week-of-year profile from {len(weeks)} whole weeks ({len(weeks) / SEASON_WEEKS:.1f} years), "
            f"lowest {profile.min():.2f}, highest {profile.max():.2f} of the mean week; "
            + (f"trend {trend:+.1%} a year (last 52 weeks against the first 52)" if days >= TREND_MIN_DAYS
               else f"no trend: it needs {TREND_MIN_DAYS} days to be told from the season"))
    return Season([round(float(v), 5) for v in profile], round(trend, 5), note)


def daily_rate_cv(counts: np.ndarray, weekday: np.ndarray, factors: np.ndarray | None = None) -> float:
    """Coefficient of variation of a day-level rate multiplier, by the method of moments.

    With day d's count Poisson given a rate mu_w(d) G_d, E G = 1, Var G = cv^2, the count has
    variance mu + cv^2 mu^2. The day-of-week means mu_w are removed first, and with `factors` (a
    season and trend) the expected count of day d is mu_w f_d.
    """
    if factors is not None:
        return _daily_rate_cv_with_factors(counts.astype(float), weekday, np.asarray(factors, dtype=float))
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


def _daily_rate_cv_with_factors(counts: np.ndarray, weekday: np.ndarray, factors: np.ndarray) -> float:
    excess, weight = 0.0, 0.0
    for w in range(7):
        group = weekday == w
        if group.sum() < 2 or counts[group].sum() <= 0:
            continue
        expected = factors[group] * counts[group].sum() / factors[group].sum()
        excess += float(((counts[group] - expected) ** 2 - expected).sum())
        weight += float((expected**2).sum())
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
    deadline_mixtures: dict[str, list[dict[str, float]]]  # base category -> [{hours, share}], largest share first
    departments: dict[str, str | dict[str, float]]
    sources: dict[str, float]
    hour_of_week: list[float]
    hourly: list[float]
    weekly: list[float]
    daily_cv: float
    season: Season | None = None


def _department_of(units: pd.Series) -> str | dict[str, float]:
    """A category's department: its one unit, or the shares of its cases by unit (rounded, summing to 1)."""
    shares = units.value_counts(normalize=True)
    if len(shares) == 1:
        return str(shares.index[0])
    rounded = {str(k): float(round(v, 6)) for k, v in shares.items()}
    first = next(iter(rounded))
    rounded[first] = float(round(rounded[first] + 1.0 - sum(rounded.values()), 6))
    return rounded


def deadline_mixtures(frame: pd.DataFrame, deadlines: dict[str, float | None]) -> dict[str, list[dict[str, float]]]:
    """Each category's deadlines as an empirical mixture: the deadline of each of its parts and its share of the
    category's cases that have one."""
    with_due = frame[frame["due"].notna() & frame["category"].map(lambda c: deadlines.get(c) is not None)]
    mixtures: dict[str, list[dict[str, float]]] = {}
    offsets = (with_due["due"] - with_due["created"]) / pd.Timedelta(hours=1)
    for name, rows in offsets.groupby(with_due["category"]):
        groups = deadline_groups(rows.to_numpy())
        counts = [int(((rows >= low) & (rows <= high)).sum()) for low, high, _ in groups]
        mixtures[str(name)] = [{"hours": round(median, 2), "share": round(count / sum(counts), 4)}
                               for (_, _, median), count in zip(groups, counts, strict=True)]
    return mixtures
    for base, rows in with_due.groupby(with_due["category"].map(base_category)):
        shares = rows["category"].value_counts(normalize=True)
        mixtures[base] = [{"hours": float(deadlines[part]), "share": round(float(share), 4)}
                          for part, share in shares.items()]
    return mixtures


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
    mixtures = deadline_mixtures(frame, deadlines)
    sources = frame["source"].map(key_name).value_counts(normalize=True)
    how = observed["hour_of_week_rate"]
    how = how / how.mean() if how.mean() > 0 else np.ones(168)
    grid = how.reshape(7, 24)
    season = fit_season(observed["daily_counts"])
    factors = season.day_factors(days) if (season.weekly is not None or season.trend_per_year) else None
    daily_cv = daily_rate_cv(observed["daily_counts"], observed["weekday"], factors)
    return Arrivals(
        households=NOTIONAL_HOUSEHOLDS, rates=rates, counts=counts.to_dict(), deadlines=deadlines,
        deadline_notes=notes, deadline_mixtures=mixtures, departments=department,
        sources={k: float(v) for k, v in sources.items()},
        hour_of_week=[round(float(v), 5) for v in how],
        hourly=[round(float(v), 5) for v in grid.mean(axis=0) + 1e-9],
        weekly=[round(float(v), 5) for v in grid.mean(axis=1) + 1e-9],
        daily_cv=round(daily_cv, 4), season=season,
    )
