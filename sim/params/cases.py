"""Case categories: arrival rates and profiles, sources, routing to a level, work content, deadlines, feedback."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import MAX_CASES_PER_HOUSEHOLD_YEAR, MAX_HORIZON_DAYS, Strict, check_shares
from .deadlines import DeadlineDistribution

LEVELS = ("grid", "community", "department")


class Work(Strict):
    """Work content of one handling step, in hours of focused work."""

    mean_h: float = Field(gt=0, le=10_000)
    cv: float = Field(1.0, ge=0, le=10)
    distribution: Literal["exponential", "lognormal", "fixed"] = "lognormal"

    @model_validator(mode="after")
    def _cv_matches(self) -> Work:
        if self.distribution == "exponential" and self.cv != 1.0:
            raise ValueError(f"an exponential work content has cv 1, not {self.cv}; use lognormal for another cv")
        if self.distribution == "fixed" and self.cv != 0.0 and "cv" in self.model_fields_set:
            raise ValueError(f"a fixed work content has cv 0, not {self.cv}")
        return self


class LevelWork(Strict):
    grid: Work
    community: Work
    department: Work


class Routing(Strict):
    """Share of cases triaged to each handling level at intake; must sum to 1."""

    grid: float = Field(ge=0, le=1)
    community: float = Field(ge=0, le=1)
    department: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Routing:
        total = self.grid + self.community + self.department
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(
                f"routing shares grid + community + department must sum to 1, got {total:.6g}"
            )
        return self

    def shares(self) -> list[float]:
        return [self.grid, self.community, self.department]


class Escalation(Strict):
    """Probability that a case handled at a level cannot be closed there and moves up."""

    grid: float = Field(ge=0, le=1)
    community: float = Field(ge=0, le=1)


class DeadlineShare(Strict):
    """One component of a category's deadline mixture: this limit for this share of its cases."""

    deadline_h: float = Field(gt=0, le=24 * MAX_HORIZON_DAYS)
    share: float = Field(ge=0, le=1)


class Category(Strict):
    """A kind of case: how often it arises, where it is handled, how much work, by when."""

    rate_per_household_per_year: float = Field(ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR)
    deadline_h: float | None = Field(gt=0, le=24 * MAX_HORIZON_DAYS, description="None: no deadline")
    routing: Routing
    escalation_probability: Escalation
    work: LevelWork
    department: str | dict[str, float] = Field(
        min_length=1, description="the department whistled to, or shares of the category's cases by department"
    )
    department_work: dict[str, Work] | None = Field(
        None, description="work content at the department level for the cases of some departments (instead of "
                          "work.department)"
    )
    resolution_deadline_h: float | None = Field(
        None, gt=0, le=24 * MAX_HORIZON_DAYS, description="None: the dispatch rule's resolution_deadline_h"
    )
    deadline_mix: list[DeadlineShare] | None = Field(
        None, min_length=1, description="None: every case has deadline_h; else each case's deadline is drawn from "
                                        "this mixture (shares sum to 1), e.g. 13 % at 720 h and 87 % at 73.5 h")
    deadline_distribution: DeadlineDistribution | None = Field(
        None, description="None: every case has deadline_h (or the mixture); else each case's deadline is drawn from "
                          "this distribution (lognormal, gamma or empirical quantiles)")
    resolution_deadline_mix: list[DeadlineShare] | None = Field(
        None, min_length=1, description="None: a whistled case gets resolution_deadline_h; else the department's limit "
                                        "of each case is drawn from this mixture (shares sum to 1)")
    resolution_deadline_distribution: DeadlineDistribution | None = Field(
        None, description="None: a whistled case gets resolution_deadline_h (or its mixture); else the department's "
                          "limit of each case is drawn from this distribution")

    @field_validator("deadline_mix", "resolution_deadline_mix")
    @classmethod
    def _mix_sums_to_one(cls, value: list[DeadlineShare] | None, info) -> list[DeadlineShare] | None:
        if value is not None:
            total = sum(part.share for part in value)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"{info.field_name} shares must sum to 1, got {total:.6g}")
        return value

    @model_validator(mode="after")
    def _one_way_to_draw_a_limit(self) -> Category:
        for ways in (("deadline_mix", "deadline_distribution"),
                     ("resolution_deadline_h", "resolution_deadline_mix", "resolution_deadline_distribution")):
            given = [name for name in ways if getattr(self, name) is not None]
            if len(given) > 1:
                raise ValueError(f"{' and '.join(given)} are both set; give at most one of {', '.join(ways)}")
        return self

    def draws_resolution_limit(self) -> bool:
        """Whether the department's limit of this category's cases is drawn per case."""
        return self.resolution_deadline_mix is not None or self.resolution_deadline_distribution is not None
    external_delay: Work | None = Field(
        None, description="None: no such delay. When whistled to its department, a wait in calendar hours that holds "
                          "no staff (a contractor, a scheduled pickup, a season) before the case joins the queue"
    )
    department_external_delay: dict[str, Work] | None = Field(
        None, description="the external delay of the cases of some departments (instead of external_delay)"
    )


    @field_validator("department")
    @classmethod
    def _department_shares_sum(cls, value: str | dict[str, float]) -> str | dict[str, float]:
        return value if isinstance(value, str) else check_shares(value, "department")

    def department_shares(self) -> dict[str, float]:
        """Share of the category's cases by department (one department: share 1)."""
        return {self.department: 1.0} if isinstance(self.department, str) else dict(self.department)

    def work_at(self, department: str) -> Work:
        """Work content of the category's cases handled by a department."""
        return (self.department_work or {}).get(department, self.work.department)

    def external_delay_at(self, department: str) -> Work | None:
        """The delay holding no staff of the category's cases handled by a department (None: none)."""
        return (self.department_external_delay or {}).get(department, self.external_delay)


class Cases(Strict):
    """Case categories, their arrival pattern, sources and resident feedback."""

    categories: dict[str, Category] = Field(min_length=1)
    sources: dict[str, float] = Field(min_length=1, description="share of cases by channel; sums to 1")
    hourly_profile: list[float] = Field(min_length=24, max_length=24)
    weekly_profile: list[float] = Field(min_length=7, max_length=7)
    hour_of_week_profile: list[float] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="assumption: None = hourly_profile x weekly_profile; 168 weights from Monday 00:00 when a case log "
                    "gives the full hour-of-week pattern",
    )
    daily_rate_cv: float = Field(
        0.0, ge=0, le=5, description="assumption: 0 = plain Poisson; > 0 draws a gamma day-level rate multiplier"
    )
    seasonal_profile: list[float] | None = Field(
        None, min_length=2, max_length=53,
        description="None: no season. Relative arrival rates of consecutive weeks from day 0, repeating (52 for a "
                    "year: week-of-year weights from a case log)",
    )
    trend_per_year: float = Field(
        0.0, ge=-0.9, le=10, description="0: no trend. Relative growth of the arrival rate per year (0.1 = +10 %)"
    )
    reopen_probability: float = Field(
        0.03, ge=0, le=1, description="assumption: 3 % of closures are rejected by the resident and reopened"
    )
    reopen_delay_h: float = Field(
        24.0, ge=0, le=24 * 365, description="assumption: the resident's feedback comes a day after closure"
    )
    rework_share: float = Field(
        0.5, gt=0, le=10, description="assumption: a reopened case needs half its original work again"
    )

    @field_validator("sources")
    @classmethod
    def _sources_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_shares(value, "source")

    @field_validator("hourly_profile", "weekly_profile", "hour_of_week_profile", "seasonal_profile")
    @classmethod
    def _profile(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if any(v < 0 or not math.isfinite(v) for v in value):
            raise ValueError(f"profile weights must be finite and non-negative, got {value}")
        if sum(value) <= 0:
            raise ValueError("profile weights must not all be zero")
        if not math.isfinite(sum(value)):
            raise ValueError(f"profile weights are relative; their sum must be a finite number, got {sum(value)}")
        return value
