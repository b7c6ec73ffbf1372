"""Case categories and their arrival streams, drawn in vectorised blocks.

Arrivals are a non-homogeneous Poisson process: each category's district-wide rate (households
x rate per household) is shaped by an hour-of-day and a day-of-week profile (normalised so the
yearly volume is unchanged) and, optionally, by a gamma-distributed day-level multiplier
(real case logs are far more variable from day to day than Poisson), and optionally by a
seasonal week profile and a yearly trend (both off unless the scenario sets them). Arrivals are
split among grids in proportion to their load, which is exact for Poisson processes.

Everything random about a case is drawn when its block is drawn, each from its own named
stream, one draw per case in arrival order: its grid, source, triage level, department (when its
category shares its cases among departments), work content at every level and the uniforms that
decide escalation and reopening, and, when some category has one, its external delay (a wait
holding no staff, from its own stream). So two scenarios that differ only in staff or deadlines
see exactly the same cases. A category's limit drawn per case (`deadline_mix`: stream
`cases.deadline`; `deadline_distribution`: stream `cases.deadline_distribution`) and the
department's limit drawn per case for when the case is whistled (`resolution_deadline_mix` or
`_distribution`: stream `dispatch.resolution_deadline`) are drawn here too, one uniform per case
in every block, so a case keeps its quantile whatever the distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc, gammaincinv, ndtr, ndtri

from ..params import Scenario
from ..params.cases import LEVELS, Category, DeadlineShare, Work
from ..params.deadlines import DeadlineDistribution
from .streams import Streams
from .territory import Territory

HOURS_PER_YEAR = 8_760.0
_TINY = 1e-12


@dataclass
class ArrivalBlock:
    """The cases arriving in one block of time, sorted by arrival time."""

    time: np.ndarray
    category: np.ndarray
    source: np.ndarray
    grid: np.ndarray
    level: np.ndarray  # triage level at intake: 0 grid, 1 community, 2 department
    department: np.ndarray  # index of the department the case is whistled to, if it gets there
    due: np.ndarray  # deadline (hours since time 0); inf when the category has none
    work: np.ndarray  # (n, 3) work content in hours at each level
    # bit 0: the case escalates when its grid level is done, bit 1: when its community level is done (a case
    # handled there without rework); its uniforms drawn against its category's escalation probabilities
    escalates: np.ndarray
    u_reopen: np.ndarray
    delay: np.ndarray | None = None  # external delay in hours (a wait holding no staff); None when no category has one
    # the department's limit (hours) if the case is whistled, 0 where it is its category's one limit; None: no
    # category draws it
    resolution_limit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)


def hour_of_week_profile(hourly: list[float], weekly: list[float]) -> np.ndarray:
    """168 rate multipliers with mean 1: day weight x hour weight."""
    day = np.asarray(weekly, dtype=float)
    hour = np.asarray(hourly, dtype=float)
    profile = np.outer(day / day.mean(), hour / hour.mean()).ravel()
    return profile / profile.mean()


def work_from_uniform(spec: Work, u: np.ndarray) -> np.ndarray:
    """Invert the work-content distribution at uniforms u (common random numbers across scenarios)."""
    if spec.distribution == "fixed" or spec.cv == 0:
        return np.full(len(u), spec.mean_h)
    u = np.clip(u, _TINY, 1 - _TINY)
    if spec.distribution == "exponential":
        return -spec.mean_h * np.log1p(-u)
    sigma2 = np.log1p(spec.cv**2)
    return np.exp(np.log(spec.mean_h) - sigma2 / 2 + np.sqrt(sigma2) * ndtri(u))


def limits_from_uniform(spec: DeadlineDistribution, u: np.ndarray) -> np.ndarray:
    """Invert a per-case limit distribution at uniforms u (a higher u, a longer limit, in every form)."""
    if spec.form == "quantiles":
        points = spec.quantiles or []
        return np.interp(u, [q.p for q in points], [q.deadline_h for q in points])
    assert spec.mean_h is not None and spec.cv is not None  # the schema requires them for these forms
    low, high = spec.bounds()
    if spec.form == "lognormal":
        sigma = float(np.sqrt(np.log1p(spec.cv**2)))
        mu = float(np.log(spec.mean_h)) - sigma**2 / 2
        lo, hi = (float(ndtr((np.log(x) - mu) / sigma)) if x > 0 else 0.0 for x in (low, high))
        return np.exp(mu + sigma * ndtri(np.clip(lo + u * (hi - lo), _TINY, 1 - _TINY)))
    shape = 1.0 / spec.cv**2
    scale = spec.mean_h / shape
    lo, hi = (float(gammainc(shape, x / scale)) for x in (low, high))
    return scale * gammaincinv(shape, np.clip(lo + u * (hi - lo), _TINY, 1 - _TINY))


def mixture_from_uniform(parts: list[DeadlineShare], u: np.ndarray) -> np.ndarray:
    """The limit of each case from a mixture of a few limits, at uniforms u."""
    hours = np.array([p.deadline_h for p in parts])
    cdf = np.cumsum([p.share for p in parts])
    return hours[np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(hours) - 1)]


DrawnLimit = DeadlineDistribution | list[DeadlineShare]


def _drawn_limits(categories: list[Category], *fields: str) -> dict[int, DrawnLimit]:
    """Category index -> its mixture (a list of shares) or distribution, under the first of the fields it sets."""
    out: dict[int, DrawnLimit] = {}
    for i, category in enumerate(categories):
        spec = next((getattr(category, name) for name in fields if getattr(category, name) is not None), None)
        if spec is not None:
            out[i] = spec
    return out


def limits_of(spec: DrawnLimit, u: np.ndarray) -> np.ndarray:
    """The limits at uniforms u from a mixture or a distribution."""
    return limits_from_uniform(spec, u) if isinstance(spec, DeadlineDistribution) else mixture_from_uniform(spec, u)


def escalation_probabilities(categories: list) -> np.ndarray:
    """(n_categories, 2): each category's probability of escalating from the grid and from the community level."""
    return np.array([[c.escalation_probability.grid, c.escalation_probability.community] for c in categories],
                    dtype=float).reshape(-1, 2)


ESCALATES_FROM = (1, 2)  # the bit of `ArrivalBlock.escalates` (and `Case.escalates`) for the grid and the community


def escalation_bits(u_escalate: np.ndarray, p_escalate: np.ndarray) -> np.ndarray:
    """Per case, the bit of each level (grid, community) it escalates from: its uniform there below the probability."""
    escalates = u_escalate < p_escalate
    return escalates[:, 0].astype(np.int8) * ESCALATES_FROM[0] | escalates[:, 1].astype(np.int8) * ESCALATES_FROM[1]


class CaseSource:
    """Draws the cases of a scenario block by block."""

    def __init__(self, scenario: Scenario, territory: Territory, streams: Streams):
        cases = scenario.cases
        self.categories = list(cases.categories.values())
        self.p_escalate = escalation_probabilities(self.categories)
        self.streams = streams
        total_load = float(territory.grid_load.sum())
        rates = np.array([c.rate_per_household_per_year for c in self.categories])
        self.rate_per_h = rates * total_load / HOURS_PER_YEAR
        self.profile = hour_of_week_profile(cases.hourly_profile, cases.weekly_profile)
        if cases.hour_of_week_profile is not None:
            weights = np.asarray(cases.hour_of_week_profile, dtype=float)
            self.profile = weights / weights.mean()
        self.daily_cv = cases.daily_rate_cv
        self.season = None if cases.seasonal_profile is None else \
            np.asarray(cases.seasonal_profile, dtype=float) / np.mean(cases.seasonal_profile)
        self.trend = cases.trend_per_year
        self.has_delay = any(c.external_delay is not None or c.department_external_delay for c in self.categories)
        self.grid_cdf = np.cumsum(territory.grid_load) / total_load
        shares = np.array(list(cases.sources.values()))
        self.source_cdf = np.cumsum(shares) / shares.sum()
        self.routing_cdf = np.cumsum([c.routing.shares() for c in self.categories], axis=1)
        self.deadline = np.array([np.inf if c.deadline_h is None else c.deadline_h for c in self.categories])
        self.deadline_mixes = _drawn_limits(self.categories, "deadline_mix")
        self.deadline_distributions = _drawn_limits(self.categories, "deadline_distribution")
        self.resolution_limits = _drawn_limits(self.categories, "resolution_deadline_mix",
                                               "resolution_deadline_distribution")
        departments = list(scenario.departments)
        self.department_index = {name: i for i, name in enumerate(departments)}
        self.department_choices = [
            (np.array([departments.index(d) for d in shares]), np.cumsum(list(shares.values())))
            for shares in (c.department_shares() for c in self.categories)
        ]

    def department_of(self, category: np.ndarray, u: np.ndarray | None) -> np.ndarray:
        """Each case's department: its category's, or drawn from the category's shares at uniforms u."""
        department = np.array([indices[0] for indices, _ in self.department_choices], dtype=np.int64)[category]
        for c, (indices, cdf) in enumerate(self.department_choices):
            if len(indices) > 1:
                mask = category == c
                pick = np.searchsorted(cdf / cdf[-1], u[mask], side="right")
                department[mask] = indices[np.minimum(pick, len(indices) - 1)]
        return department

    @property
    def departments_drawn(self) -> bool:
        """Whether some category shares its cases among departments (then a stream decides each case's)."""
        return any(len(indices) > 1 for indices, _ in self.department_choices)

    def deadlines(self, category: np.ndarray) -> np.ndarray:
        """Each case's time limit: its category's, or drawn from its mixture or distribution (their own streams)."""
        limit = self.deadline[category]
        for drawn, stream in ((self.deadline_mixes, "cases.deadline"),
                              (self.deadline_distributions, "cases.deadline_distribution")):
            if drawn:
                u = self.streams[stream].random(len(category))
                for c, spec in drawn.items():
                    mask = category == c
                    limit[mask] = limits_of(spec, u[mask])
        return limit

    def resolution_limits_of(self, category: np.ndarray) -> np.ndarray | None:
        """Each case's department limit if whistled, drawn where its category draws it (0: the one limit)."""
        if not self.resolution_limits:
            return None
        u = self.streams["dispatch.resolution_deadline"].random(len(category))
        limit = np.zeros(len(category))
        for c, spec in self.resolution_limits.items():
            mask = category == c
            limit[mask] = limits_of(spec, u[mask])
        return limit
    def day_factors(self, start_day: int, days: int) -> np.ndarray | None:
        """The seasonal and trend multipliers of the arrival rate on each day (None: neither is set)."""
        if self.season is None and self.trend == 0:
            return None
        day = np.arange(start_day, start_day + days)
        factor = np.ones(days)
        if self.season is not None:
            factor = factor * self.season[(day // 7) % len(self.season)]
        if self.trend != 0:
            factor = factor * (1.0 + self.trend) ** (day / 365.0)
        return factor

    def external_delays(self, category: np.ndarray, department: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Each case's external delay (hours; 0 without one), inverted at uniforms u."""
        delay = np.zeros(len(category))
        names = list(self.department_index)
        for c, spec in enumerate(self.categories):
            mask = category == c
            for unit in {names[d] for d in np.unique(department[mask])}:
                at_unit = mask & (department == self.department_index[unit])
                delay_spec = spec.external_delay_at(unit)
                if delay_spec is not None:
                    delay[at_unit] = work_from_uniform(delay_spec, u[at_unit])
        return delay

    def expected_per_day(self) -> float:
        return float(self.rate_per_h.sum() * 24)

    def block(self, start_day: int, days: int) -> ArrivalBlock:
        """The cases arriving in [start_day, start_day + days)."""
        s = self.streams
        hours = np.arange(start_day * 24, (start_day + days) * 24)
        rate = self.profile[hours % 168][:, None] * self.rate_per_h[None, :]
        if self.daily_cv > 0:
            shape = 1.0 / self.daily_cv**2
            day_factor = s["arrivals.day_rate"].gamma(shape, 1.0 / shape, size=days)
            rate = rate * np.repeat(day_factor, 24)[:, None]
        factors = self.day_factors(start_day, days)
        if factors is not None:
            rate = rate * np.repeat(factors, 24)[:, None]
        counts = s["arrivals.counts"].poisson(rate).ravel()
        n_categories = len(self.categories)
        hour = np.repeat(np.repeat(hours, n_categories), counts)
        category = np.repeat(np.tile(np.arange(n_categories), len(hours)), counts)
        end = float((start_day + days) * 24)
        time = np.minimum(hour + s["arrivals.time"].random(len(hour)), np.nextafter(end, 0.0))
        order = np.argsort(time, kind="stable")
        time, category = time[order], category[order]
        n = len(time)

        grid = np.searchsorted(self.grid_cdf, s["arrivals.grid"].random(n), side="right")
        grid = np.minimum(grid, len(self.grid_cdf) - 1)
        source = np.minimum(np.searchsorted(self.source_cdf, s["cases.source"].random(n), side="right"),
                            len(self.source_cdf) - 1)
        u_triage = s["cases.triage"].random(n)
        level = (u_triage[:, None] >= self.routing_cdf[category][:, :2]).sum(axis=1)
        department = self.department_of(category, s["cases.department"].random(n) if self.departments_drawn else None)
        work = np.empty((n, 3))
        for j, name in enumerate(LEVELS):
            u = s[f"work.{name}"].random(n)
            for c, spec in enumerate(self.categories):
                mask = category == c
                work[mask, j] = work_from_uniform(getattr(spec.work, name), u[mask])
                if name == "department" and spec.department_work:
                    for unit, unit_work in spec.department_work.items():
                        at_unit = mask & (department == self.department_index[unit])
                        work[at_unit, j] = work_from_uniform(unit_work, u[at_unit])
        u_escalate = np.column_stack(
            [s["handling.escalation.grid"].random(n), s["handling.escalation.community"].random(n)]
        )
        escalates = escalation_bits(u_escalate, self.p_escalate[category])
        return ArrivalBlock(
            time=time,
            category=category,
            source=source,
            grid=grid,
            level=level,
            department=department,
            due=time + self.deadlines(category),
            work=work,
            escalates=escalates,
            u_reopen=s["feedback.reopen"].random(n),
            delay=self.external_delays(category, department, s["cases.external_delay"].random(n))
            if self.has_delay else None,
            resolution_limit=self.resolution_limits_of(category),
        )
