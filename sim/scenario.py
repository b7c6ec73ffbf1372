"""The scenario schema: every parameter with its unit, bounds and default, and how files become scenarios.

A scenario is a YAML file validated by the pydantic models below. Units are in the names
(`_h` hours, `_days`, `_per_year`, `_yuan`). A file may `extends:` another file and override a
few values, so a policy scenario is a small diff of a baseline. Every value is labelled: the
`sources:` map cites the seed document a figure comes from, the `assumptions:` map gives the
reason for every figure that is not in the seeds; defaults left in the schema carry their reason
in their description. `provenance()` turns this into one table.

Time zero is a Monday at 00:00; the model runs at hour resolution in continuous time.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS = ("grid", "community", "department")

# Limits that keep one replication within memory and time on a laptop; a value beyond them is
# almost certainly a typo (an extra zero), and is rejected with the limit named.
MAX_HORIZON_DAYS = 3_650
MAX_HOUSEHOLDS = 20_000_000
MAX_STAFF = 1_000_000
MAX_CASES_PER_HOUSEHOLD_YEAR = 10_000.0
# A scenario file is a few kilobytes; these stop a wrong file or a YAML alias bomb from exhausting memory.
MAX_FILE_BYTES = 5_000_000
MAX_YAML_VALUES = 1_000_000


class Strict(BaseModel):
    """Base for every schema section: unknown keys are errors, values are checked on assignment.

    Numbers must be finite (YAML `.nan`, `.inf` are rejected; a missing deadline is `null`), and
    `true`/`false` is not accepted where a number is expected.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info) -> Any:
        annotation = _unwrap_optional(cls.model_fields[info.field_name].annotation)
        numeric = annotation in (int, float)
        numeric_list = get_origin(annotation) is list and get_args(annotation)[0] in (int, float)
        if (numeric and isinstance(value, bool)) or (
            numeric_list and isinstance(value, list) and any(isinstance(v, bool) for v in value)
        ):
            raise ValueError(f"got {value!r}; expected a number, not true/false")
        return value


# --------------------------------------------------------------------------- calendars


class WorkingHours(Strict):
    """One block of a weekly calendar: these days, from start_h to end_h (local clock hours)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default=["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start_h: float = Field(8.5, ge=0, lt=24, description="assumption: office hours 08:30-17:30")
    end_h: float = Field(17.5, gt=0, le=24, description="assumption: office hours 08:30-17:30")

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHours":
        if self.end_h <= self.start_h:
            raise ValueError(
                f"end_h ({self.end_h}) must be later than start_h ({self.start_h}); "
                "split an overnight shift into two blocks"
            )
        return self


def office_hours() -> list[WorkingHours]:
    return [WorkingHours()]


def round_the_clock() -> list[WorkingHours]:
    return [WorkingHours(days=list(DAY_NAMES), start_h=0, end_h=24)]


# --------------------------------------------------------------------------- territory


class Territory(Strict):
    """Subdistricts, communities and grids. Grids are residential (150-200 households) or dedicated."""

    subdistricts: int = Field(ge=1, le=10_000)
    communities: int = Field(ge=1, le=100_000)
    residential_grids: int = Field(ge=1, le=1_000_000)
    dedicated_grids: int = Field(0, ge=0, le=1_000_000, description="assumption: none unless stated")
    households_per_grid_min: int = Field(150, ge=1, le=100_000, description="seed 000: 150-200 households per grid")
    households_per_grid_max: int = Field(200, ge=1, le=100_000, description="seed 000: 150-200 households per grid")
    dedicated_grid_household_equivalent: float = Field(
        175.0,
        ge=0,
        le=100_000,
        description="assumption: a dedicated grid (offices, markets) generates the case load of a mid-sized residential grid",
    )
    community_size_cv: float = Field(
        0.35,
        ge=0,
        le=3,
        description="assumption: communities differ in size with a coefficient of variation of 0.35",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "Territory":
        if self.households_per_grid_max < self.households_per_grid_min:
            raise ValueError(
                f"households_per_grid_max ({self.households_per_grid_max}) must be at least "
                f"households_per_grid_min ({self.households_per_grid_min})"
            )
        if self.communities < self.subdistricts:
            raise ValueError(
                f"communities ({self.communities}) must be at least subdistricts ({self.subdistricts}): "
                "every subdistrict has at least one community"
            )
        if self.residential_grids < self.communities:
            raise ValueError(
                f"residential_grids ({self.residential_grids}) must be at least communities "
                f"({self.communities}): every community has at least one grid"
            )
        households = self.residential_grids * self.households_per_grid_max
        if households > MAX_HOUSEHOLDS:
            raise ValueError(
                f"residential_grids x households_per_grid_max = {households:,} households exceeds "
                f"the limit of {MAX_HOUSEHOLDS:,}"
            )
        return self


# --------------------------------------------------------------------------- workforce


class HiringBatch(Strict):
    size: int = Field(ge=1, le=MAX_STAFF)
    start_day: float = Field(ge=0, le=MAX_HORIZON_DAYS)
    ramp_up_days: float = Field(
        0.0,
        ge=0,
        le=MAX_HORIZON_DAYS,
        description="assumption: 0 = new workers are fully productive at once; > 0 they reach full pace linearly over this many days (see grid_staffing.ramp_up_start_productivity)",
    )


class Workforce(Strict):
    """Head counts and working hours of grid workers and community workers."""

    grid_workers: int = Field(ge=0, le=MAX_STAFF, description="grid workers on duty at day 0")
    hiring_batches: list[HiringBatch] = Field(default_factory=list, description="assumption: no hiring")
    grid_worker_hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)
    grid_case_time_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="assumption: 60 % of a grid worker's shift is available for cases; the rest is patrol, meetings and paperwork",
    )
    community_workers_per_community: int = Field(ge=1, le=10_000)
    community_worker_allocation: Literal["per_community", "by_households"] = Field(
        "per_community",
        description="assumption: every community has the same staff (per_community); by_households shares the same "
        "total among communities in proportion to their case load (households), at least one each",
    )
    community_worker_hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)
    community_case_time_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="assumption: half of a community worker's shift goes to escalated cases; the rest to services, meetings and tasks from above",
    )

    def grid_workers_at(self, day: float) -> int:
        """Head count on `day`: the initial workers plus every batch that has started."""
        return self.grid_workers + sum(b.size for b in self.hiring_batches if b.start_day <= day)

    @property
    def final_grid_workers(self) -> int:
        return self.grid_workers + sum(b.size for b in self.hiring_batches)


class Department(Strict):
    """A functional department that takes whistled cases: a team with capacity and working hours."""

    staff: int = Field(ge=1, le=MAX_STAFF)
    hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)


class Dispatch(Strict):
    """Whistle-and-dispatch rules (吹哨派单): time limits for departments, and queue discipline."""

    acceptance_deadline_h: float = Field(
        2.0, gt=0, le=24 * MAX_HORIZON_DAYS, description="assumption: a whistled case must be taken up within 2 h"
    )
    resolution_deadline_h: float = Field(gt=0, le=24 * MAX_HORIZON_DAYS)
    queue_discipline: Literal["fifo", "edf"] = Field(
        "fifo", description="assumption: first come, first served, overdue (supervised) cases first"
    )


# --------------------------------------------------------------------------- cases


class Work(Strict):
    """Work content of one handling step, in hours of focused work."""

    mean_h: float = Field(gt=0, le=10_000)
    cv: float = Field(1.0, ge=0, le=10)
    distribution: Literal["exponential", "lognormal", "fixed"] = "lognormal"

    @model_validator(mode="after")
    def _cv_matches(self) -> "Work":
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
    def _sums_to_one(self) -> "Routing":
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


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    """Shares of a whole: each between 0 and 1, summing to 1."""
    for name, share in shares.items():
        if not 0 <= share <= 1:
            raise ValueError(f"{what} share {name} = {share} must be between 0 and 1")
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} shares must sum to 1, got {total:.6g}")
    return shares


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
        None, description="work content at the department level for the cases of some departments (instead of work.department)"
    )
    resolution_deadline_h: float | None = Field(
        None, gt=0, le=24 * MAX_HORIZON_DAYS, description="None: the dispatch rule's resolution_deadline_h"
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
        description="assumption: None = hourly_profile x weekly_profile; 168 weights from Monday 00:00 when a case log gives the full hour-of-week pattern",
    )
    daily_rate_cv: float = Field(
        0.0, ge=0, le=5, description="assumption: 0 = plain Poisson; > 0 draws a gamma day-level rate multiplier"
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

    @field_validator("hourly_profile", "weekly_profile", "hour_of_week_profile")
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



# --------------------------------------------------------------------------- prevention and participation
# Issue 7. Every mechanism is off by default, so existing scenarios keep their results exactly.


def evenings_and_weekends() -> list[WorkingHours]:
    return [WorkingHours(days=["mon", "tue", "wed", "thu", "fri"], start_h=18.5, end_h=21.5),
            WorkingHours(days=["sat", "sun"], start_h=9, end_h=17)]


class Assessment(Strict):
    """Three-level assessment (seed 000): grids weekly, communities monthly, subdistricts quarterly."""

    month_weeks: int = Field(4, ge=1, le=52, description="assumption: an assessment month is four weeks, so grid weeks aggregate into it")
    quarter_weeks: int = Field(13, ge=1, le=104, description="assumption: an assessment quarter is 13 weeks")
    on_time_threshold: float = Field(
        0.9, ge=0, le=1, description="assumption: a unit closing under 90 % of its cases on time is flagged for corrective support")


class Mediation(Strict):
    """A roster of resident mediators (群英断是非, seed 004) takes the disputes that reach the community."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    categories: list[str] = Field(default_factory=lambda: ["disputes"], description="assumption: disputes go to mediation")
    mediators_per_1000_households: float = Field(
        30.6, ge=0, le=1000, description="seed 004: a roster of 5,197 mediators for 170,000+ households (30.6 per 1,000)")
    hours_per_mediator_week: float = Field(
        1.0, gt=0, le=168, description="assumption: a volunteer mediator gives about an hour a week")
    hours: list[WorkingHours] = Field(default_factory=evenings_and_weekends, min_length=1,
                                      description="assumption: volunteers mediate on weekday evenings and at weekends")
    success_probability: float = Field(
        0.953, ge=0, le=1, description="seed 004: 2,284 agreements in 2,396 disputes mediated (95.3 %)")


class Patrol(Strict):
    """Grid workers patrol their grids whenever they are on shift and have no case (see sim/prevention.py)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    visit_h: float = Field(1.0, gt=0, le=24, description="assumption: walking one grid of 150-200 households takes about an hour")
    detection_probability: float = Field(
        0.5, ge=0, le=1, description="assumption: one visit spots each hidden problem of the grid with probability 0.5")
    revisit_interval_h: float = Field(
        0.0, ge=0, le=24 * 365, description="assumption: no limit; a grid may be walked again as soon as the worker is free")


class LatentProblems(Strict):
    """Problems that start hidden (hazards, illegal construction, broken facilities) and erupt if nobody finds them."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    rate_per_household_per_year: float = Field(
        0.15, ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR, description="assumption: 0.15 hidden problems per household a year")
    categories: dict[str, float] = Field(
        default_factory=lambda: {"safety_hazards": 0.4, "public_facilities": 0.4, "market_order": 0.2},
        description="assumption: hidden problems are hazards, broken facilities and illegal trading or building")
    eruption_delay_mean_h: float = Field(
        336.0, gt=0, le=24 * MAX_HORIZON_DAYS, description="assumption: a hidden problem erupts after two weeks on average")
    eruption_delay_cv: float = Field(1.0, ge=0, le=10, description="assumption: exponential-like spread of the delay (lognormal, cv 1)")
    eruption_work_factor: float = Field(
        2.0, ge=1, le=100, description="assumption: an erupted problem needs twice the work of one found early")
    eruption_deadline_factor: float = Field(
        0.5, gt=0, le=1, description="assumption: an erupted problem (a complaint) has half the normal deadline")

    @field_validator("categories")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(not 0 <= v <= 1 for v in value.values()) or not math.isclose(sum(value.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"category shares must be between 0 and 1 and sum to 1, got {value}")
        return value


class InformantGroup(Strict):
    """One kind of informant: how many, how much ground each covers, how often they pass, how often they report."""

    per_1000_households: float = Field(ge=0, le=100_000)
    households_each: float = Field(gt=0, le=1_000_000, description="households in the patch each informant passes")
    passes_per_week: float = Field(gt=0, le=1_000)
    report_probability: float = Field(ge=0, le=1, description="probability of noticing and reporting a hidden problem on one pass")


class Informants(Strict):
    """Couriers, riders and area / group / neighbour chiefs who report hidden problems (seeds 000, 004)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    groups: dict[str, InformantGroup] = Field(default_factory=dict, description="assumption: none unless a scenario lists them")


class Burden(Strict):
    """Work departments push down onto communities (forms, certificates, inspections, ledgers) and its reduction."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    grid_worker_hours_per_week: float = Field(
        12.0, ge=0, le=168, description="assumption: 12 h of a grid worker's week go to tasks pushed down by departments")
    community_worker_hours_per_week: float = Field(
        14.0, ge=0, le=168, description="assumption: 14 h of a community worker's week go to tasks pushed down by departments")
    reduction_share: float = Field(
        0.0, ge=0, le=1, description="assumption: no reduction unless a scenario applies the admission system and lists")
    funding_yuan_per_hour: float = Field(
        40.0, ge=0, le=10_000, description="assumption: 'funding follows the task' pays about 40 yuan per remaining hour (66,300 yuan a year, seed 004, over ~1,700 h)")
    grid_other_duties_share: float = Field(
        0.1, ge=0, lt=1, description="assumption: 10 % of a grid worker's shift goes to meetings, training and reporting")
    community_other_duties_share: float = Field(
        0.2, ge=0, lt=1, description="assumption: 20 % of a community worker's shift goes to services at the counter and meetings")


class MicroWishes(Strict):
    """Order-dispatch-accept (群众点单、社区派单、党员接单, seeds 000, 001): small requests taken by volunteers."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    rate_per_household_per_year: float = Field(
        0.1, ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR, description="assumption: one household in ten posts a micro-wish a year")
    dispatch_delay_h: float = Field(24.0, ge=0, le=24 * 365, description="assumption: the community dispatches a wish within a day")
    volunteers_per_community: float = Field(
        141.0, ge=0, le=MAX_STAFF, description="seed 003: 23,000+ party members registered with Yanta's 163 communities (141 each)")
    active_share: float = Field(0.2, ge=0, le=1, description="assumption: one registered volunteer in five takes wishes")
    hours_per_volunteer_week: float = Field(1.0, gt=0, le=168, description="assumption: an active volunteer gives an hour a week")
    hours: list[WorkingHours] = Field(default_factory=evenings_and_weekends, min_length=1,
                                      description="assumption: volunteers serve on weekday evenings and at weekends")
    work: Work = Field(default_factory=lambda: Work(mean_h=1.5, cv=1.0), description="assumption: a wish takes about 1.5 h")
    expiry_days: float = Field(14.0, gt=0, le=365, description="assumption: a wish nobody accepts within two weeks lapses")


class StaggeredHours(Strict):
    """Staggered hours, appointments and door-to-door service (错时服务, seed 001): some posts work evenings and weekends."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    share_of_grid_posts: float = Field(
        0.2, ge=0, le=1, description="assumption: one grid post in five works the staggered calendar")
    hours: list[WorkingHours] = Field(
        default_factory=lambda: [WorkingHours(days=["tue", "wed", "thu", "fri"], start_h=11.5, end_h=20.5),
                                 WorkingHours(days=["sat"], start_h=9, end_h=18)],
        min_length=1, description="assumption: 11:30-20:30 Tuesday to Friday and 09:00-18:00 on Saturday "
        "(45 h, as office hours)")


# --------------------------------------------------------------------------- workforce over time (issue 3)
# Every section below is off (or without effect on cases) at its defaults, so scenarios that do
# not name them behave exactly as before.


class GridStaffing(Strict):
    """Grid workers over time: attrition as a hazard, replacement after a lead time, ramp-up, vacant posts."""

    attrition_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = no grid worker leaves (off unless a scenario sets it); a hazard per worker-year"
    )
    replacement_lead_days: float = Field(
        60.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: a leaver is replaced after 60 days (posting, exam, appointment)"
    )
    replacement_ramp_up_days: float = Field(
        0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: 0 = a replacement is fully productive at once"
    )
    ramp_up_start_productivity: float = Field(
        0.5, gt=0, le=1, description="assumption: a new worker starts at half pace and reaches full pace linearly over the ramp-up"
    )
    vacant_grids: Literal["neighbours", "uncovered"] = Field(
        "neighbours",
        description="assumption: the grids of an empty post are re-shared among the remaining workers (extra load); 'uncovered': their cases wait for the replacement",
    )


class Secretaries(Strict):
    """Community party secretaries (社区党组织书记): one per community; departures and succession."""

    resignation_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = no departures (off unless a scenario sets it); a hazard per secretary-year"
    )
    promotion_per_year: float = Field(
        0.0, ge=0, le=10,
        description="assumption: 0 = no promotions (off unless a scenario sets it); seed 004 (17 secretaries recruited into subdistrict posts) suggests about 0.05",
    )
    promotion_round_interval_days: float | None = Field(
        None, gt=0, le=MAX_HORIZON_DAYS,
        description="assumption: None = no promotion rounds; seed 004 shows promotion in recruitment rounds (20 units recruited from secretaries at once)",
    )
    promotion_round_share: float = Field(
        0.0, ge=0, le=1,
        description="assumption: share of serving secretaries promoted in one round; seed 004: 17 recommended in one round, about 0.17 of some 100 secretaries",
    )
    filing_delay_days: float = Field(
        30.0, ge=0, le=MAX_HORIZON_DAYS,
        description="assumption: a reserve candidate takes office 30 days after the vacancy (district organisation department filing, seed 000 备案管理)",
    )
    search_delay_days: float = Field(
        180.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: without a reserve candidate an external search takes 180 days"
    )
    vacancy_work_multiplier: float = Field(
        1.25, ge=1, le=10,
        description="assumption: while the secretary's post is vacant the community's escalated cases take 25 % longer",
    )


class TrainingCohorts(Strict):
    """Training classes that refill the reserve pool up to its target."""

    interval_days: float = Field(
        120.0, gt=0, le=MAX_HORIZON_DAYS, description="seed 004: 3 training classes run in the year reported; one every 120 days"
    )
    first_day: float = Field(0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: the first class may start on day 0")
    duration_days: float = Field(30.0, gt=0, le=MAX_HORIZON_DAYS, description="assumption: a class lasts 30 days")
    max_size: int = Field(
        130, ge=1, le=MAX_STAFF, description="seed 004: 3 classes trained about 400 person-times, about 130 a class"
    )
    pass_rate: float = Field(0.8, gt=0, le=1, description="assumption: 80 % of trainees qualify as reserve candidates")


class ReservePool(Strict):
    """The reserve pool of candidates for community secretary (后备人才)."""

    ratio_to_communities: float = Field(
        2.0, ge=0, le=100, description="seed 000: at least 2 x the number of communities (按照不少于社区数2倍的标准储备)"
    )
    initial_ratio: float | None = Field(
        None, ge=0, le=100, description="assumption: None = the pool starts at its target"
    )
    leave_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = candidates stay in the pool until used (off unless a scenario sets it)"
    )
    cohorts: TrainingCohorts = Field(default_factory=TrainingCohorts)


class CommunitySplit(Strict):
    """Splitting communities above a household cap (seed 003) on a given day: a policy lever."""

    enabled: bool = Field(False, description="assumption: no splitting unless a scenario asks for it")
    max_households: int = Field(
        3500, ge=1, le=MAX_HOUSEHOLDS, description="seed 003: each community no more than 3,500 households (原则上每个社区不超过3500户)"
    )
    day: float = Field(0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: the split takes effect on day 0")


PAY_POSTS = ("chief", "deputy", "staff")
PAY_GRADES = 18


def default_pay_scale() -> list[list[float]]:
    """An illustrative 3 posts x 18 grades table (三岗十八级): 3 % a grade; staff row averaging 66,300 yuan."""
    staff_base = 66_300 / (1 + 0.03 * (PAY_GRADES - 1) / 2)
    return [
        [round(staff_base * factor * (1 + 0.03 * grade), -2) for grade in range(PAY_GRADES)]
        for factor in (1.30, 1.15, 1.0)
    ]


class Costs(Strict):
    """Yearly costs of the community-level system (department staff are outside: paid by departments)."""

    grid_worker_pay_yuan_per_year: float = Field(
        48_000.0, ge=0, le=1e7,
        description="assumption: a full-time urban grid worker earns 48,000 yuan a year with social insurance, below the community worker average of seed 004",
    )
    community_worker_pay_yuan_per_year: float = Field(
        66_300.0, ge=0, le=1e7, description="seed 004: average community worker pay 6.63万元 a year (人均薪酬达6.63万元/年)"
    )
    pay_scale_yuan_per_year: list[list[float]] = Field(
        default_factory=default_pay_scale,
        description="assumption: figures of the 3 posts x 18 grades scale (seeds 000, 001 name it, give no figures): 3 % a grade, deputy 1.15 x and chief 1.30 x staff, staff averaging seed 004's 66,300",
    )
    secretary_post: int = Field(0, ge=0, le=2, description="assumption: a secretary is paid on the chief row (0 chief, 1 deputy, 2 staff)")
    secretary_grade: int = Field(9, ge=0, le=PAY_GRADES - 1, description="assumption: a secretary sits mid-scale, grade 10 of 18 (index 9)")
    certified_social_worker_share: float = Field(
        0.365, ge=0, le=1, description="seed 004: 292 of 800+ community workers are certified social workers"
    )
    certified_level_mix: list[float] = Field(
        default=[0.6, 0.3, 0.1], min_length=3, max_length=3,
        description="assumption: of the certified, 60 % junior, 30 % intermediate, 10 % senior",
    )
    allowance_yuan_per_month: list[float] = Field(
        default=[150.0, 300.0, 500.0], min_length=3, max_length=3,
        description="seed 004: certified social worker allowance 150 / 300 / 500 yuan a month (初级150元/月、中级300元/月、高级500元/月)",
    )
    community_operating_funds_yuan_per_year: float = Field(
        390_000.0, ge=0, le=1e9, description="seed 004: community operating funds 39万元 a year (运转经费达39万元/年); seed 001 gives 350,000 for office and service funds"
    )
    community_special_fund_yuan_per_year: float = Field(
        0.0, ge=0, le=1e9, description="assumption: 0 unless a seed gives one (seed 002: Chongchuan 200,000 yuan per community a year)"
    )
    training_cost_yuan_per_trainee: float = Field(
        3_000.0, ge=0, le=1e7, description="assumption: 3,000 yuan per trainee per class (venue, teaching, board)"
    )

    @model_validator(mode="after")
    def _table_shape(self) -> "Costs":
        table = self.pay_scale_yuan_per_year
        if len(table) != len(PAY_POSTS) or any(len(row) != PAY_GRADES for row in table):
            raise ValueError(f"pay_scale_yuan_per_year must be {len(PAY_POSTS)} rows ({', '.join(PAY_POSTS)}) of {PAY_GRADES} grades")
        if any(v < 0 or not math.isfinite(v) for row in table for v in row):
            raise ValueError("pay_scale_yuan_per_year figures must be finite and non-negative")
        if any(v < 0 for v in self.certified_level_mix) or not math.isclose(sum(self.certified_level_mix), 1.0, abs_tol=1e-6):
            raise ValueError(f"certified_level_mix must be three non-negative shares summing to 1, got {self.certified_level_mix}")
        return self

    def secretary_pay_yuan_per_year(self) -> float:
        return self.pay_scale_yuan_per_year[self.secretary_post][self.secretary_grade]

    def allowance_yuan_per_community_worker_year(self) -> float:
        """Expected certified social worker allowance per community worker, per year."""
        monthly = sum(share * amount for share, amount in zip(self.certified_level_mix, self.allowance_yuan_per_month))
        return 12 * self.certified_social_worker_share * monthly


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """One district under one policy: everything a replication needs, nothing else."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    horizon_days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    warm_up_days: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    drain_days: int = Field(
        30,
        ge=0,
        le=MAX_HORIZON_DAYS,
        description="assumption: after the horizon, 30 days without new arrivals let open cases close so their times are known",
    )
    territory: Territory
    workforce: Workforce
    departments: dict[str, Department] = Field(min_length=1)
    dispatch: Dispatch
    cases: Cases
    assessment: Assessment = Field(default_factory=Assessment)
    mediation: Mediation = Field(default_factory=Mediation)
    patrol: Patrol = Field(default_factory=Patrol)
    latent: LatentProblems = Field(default_factory=LatentProblems)
    informants: Informants = Field(default_factory=Informants)
    burden: Burden = Field(default_factory=Burden)
    micro_wishes: MicroWishes = Field(default_factory=MicroWishes)
    staggered_hours: StaggeredHours = Field(default_factory=StaggeredHours)
    grid_staffing: GridStaffing = Field(default_factory=GridStaffing)
    secretaries: Secretaries = Field(default_factory=Secretaries)
    reserve_pool: ReservePool = Field(default_factory=ReservePool)
    community_split: CommunitySplit = Field(default_factory=CommunitySplit)
    costs: Costs = Field(default_factory=Costs)
    sources: dict[str, str] = Field(default_factory=dict, description="parameter path -> seed citation")
    assumptions: dict[str, str] = Field(default_factory=dict, description="parameter path -> reason")

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        if self.warm_up_days >= self.horizon_days:
            raise ValueError(
                f"warm_up_days ({self.warm_up_days}) must be shorter than horizon_days ({self.horizon_days})"
            )
        for name, category in self.cases.categories.items():
            for department in category.department_shares():
                if department not in self.departments:
                    raise ValueError(
                        f"cases.categories.{name}.department = {department!r} is not a department; "
                        f"allowed: {sorted(self.departments)}"
                    )
            for department in category.department_work or {}:
                if department not in category.department_shares():
                    raise ValueError(
                        f"cases.categories.{name}.department_work names {department!r}, which gets none of the "
                        f"category's cases; allowed: {sorted(category.department_shares())}"
                    )
        for batch in self.workforce.hiring_batches:
            if batch.start_day >= self.horizon_days:
                raise ValueError(
                    f"a hiring batch starts on day {batch.start_day}, after the horizon of {self.horizon_days} days"
                )
        if self.community_split.enabled and self.community_split.day >= self.horizon_days:
            raise ValueError(
                f"community_split.day ({self.community_split.day}) must be before the horizon of {self.horizon_days} days"
            )
        households = self.territory.residential_grids * (
            self.territory.households_per_grid_min + self.territory.households_per_grid_max
        ) / 2 + self.territory.dedicated_grids * self.territory.dedicated_grid_household_equivalent
        rate = sum(c.rate_per_household_per_year for c in self.cases.categories.values())
        expected = households * rate * (self.horizon_days / 365.0)
        if expected > MAX_EXPECTED_CASES:
            raise ValueError(
                f"this scenario would simulate about {expected:,.0f} cases in one replication; "
                f"the limit is {MAX_EXPECTED_CASES:,}. Shorten horizon_days or lower the rates."
            )
        self._check_mechanisms()
        for path in list(self.sources) + list(self.assumptions):
            if not path_exists(self, path):
                raise ValueError(f"the citation key {path!r} is not a parameter path of this scenario")
        return self

    def _check_mechanisms(self) -> None:
        """Cross-checks of the prevention and participation mechanisms (issue 7)."""
        for where, names in (("mediation.categories", self.mediation.categories if self.mediation.enabled else []),
                             ("latent.categories", list(self.latent.categories) if self.latent.enabled else [])):
            for name in names:
                if name not in self.cases.categories:
                    raise ValueError(f"{where}: {name!r} is not a case category; allowed: {sorted(self.cases.categories)}")
        if self.latent.enabled:
            for source in ("patrol", "resident_report", "informant"):
                if source not in self.cases.sources:
                    raise ValueError(f"latent problems need the case source {source!r} in cases.sources "
                                     f"(it may have share 0); have: {sorted(self.cases.sources)}")
        if self.burden.enabled or self.patrol.enabled:
            from .prevention import time_shares  # the split of a shift, checked here so bad input fails at load

            time_shares(self)

    # Derived views used by the model and the reports.
    def category_names(self) -> list[str]:
        return list(self.cases.categories)

    def department_names(self) -> list[str]:
        return list(self.departments)

    def content_hash(self) -> str:
        """A stable hash of everything that affects results (not the name, description or citations)."""
        payload = self.model_dump(mode="json", exclude={"name", "description", "sources", "assumptions"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


MAX_EXPECTED_CASES = 60_000_000


def path_exists(scenario: BaseModel, path: str) -> bool:
    """Whether a dotted parameter path names a value in this scenario."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                return False
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        else:
            return False
    return True


# --------------------------------------------------------------------------- loading files


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file (following `extends:`), apply `path=value` overrides, validate.

    Raises InputError with the file, parameter path, bad value and what is allowed.
    """
    path = Path(path)
    try:
        raw = _resolve_extends(path, chain=())
        raw.setdefault("name", path.stem)
        for override in overrides:
            try:
                _apply_override(raw, override)
            except InputError as error:
                raise InputError(str(error), where=error.where or str(path)) from None
        return validate_scenario(raw, where=str(path))
    except RecursionError:
        raise InputError("is nested too deeply to be a scenario", where=str(path)) from None


def validate_scenario(raw: dict, where: str = "scenario") -> Scenario:
    """Validate a plain dict as a Scenario, turning pydantic errors into one clear InputError."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, raw), where=where) from None


def read_yaml(path: Path) -> dict:
    """Load one YAML mapping safely (no object construction), with clear errors."""
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a YAML file", where=str(path))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"is {size:,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,} bytes",
                             where=str(path))
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", where=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"is not UTF-8 text (byte {error.start}); save it as UTF-8", where=str(path)) from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"invalid YAML{at}: {problem}", where=str(path)) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", where=str(path)) from None
    if _too_many_values(content, MAX_YAML_VALUES):
        raise InputError(f"expands to more than {MAX_YAML_VALUES:,} values (YAML aliases repeated?); "
                         "a scenario has a few hundred", where=str(path))
    if content is None:
        raise InputError("the file is empty; a scenario needs at least horizon_days and its sections", where=str(path))
    if not isinstance(content, dict):
        raise InputError(f"must hold a mapping of parameters, not a {type(content).__name__}", where=str(path))
    return content


def _too_many_values(content: Any, limit: int) -> bool:
    """Whether content holds more than limit values, counting a value shared through an alias each time."""
    stack, count = [content], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set)):
            stack.extend(node)
    return False


def _resolve_extends(path: Path, chain: tuple[Path, ...]) -> dict:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in chain + (resolved,))
        raise InputError(f"extends: forms a cycle ({cycle})", where=str(path))
    raw = read_yaml(path)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw
    if not isinstance(parent_name, str) or not parent_name:
        raise InputError(f"extends: must be a file name, got {parent_name!r}", where=str(path))
    parent_path = (path.parent / parent_name)
    if not parent_path.exists():
        raise InputError(f"extends: parent file {parent_name!r} not found (looked in {path.parent})", where=str(path))
    parent = _resolve_extends(parent_path, chain + (resolved,))
    return merge_scenario(parent, raw)


def merge_scenario(parent: dict, child: dict) -> dict:
    """Deep-merge a child scenario over its parent.

    Mappings merge key by key; anything else (numbers, lists, null) replaces. A citation the
    parent gave for a value the child replaces is dropped unless the child cites it again, so a
    stale citation never labels a new figure; a broader citation still covers what is unchanged.
    """
    merged = _deep_merge(copy.deepcopy(parent), child)
    changed = [p for p in _leaf_paths(child) if p.split(".")[0] not in ("sources", "assumptions")]
    for key in ("sources", "assumptions"):
        if not isinstance(child.get(key, {}) or {}, dict) or not isinstance(parent.get(key, {}) or {}, dict):
            continue  # not a mapping: left as it is for validation to report
        inherited = {
            path: note
            for path, note in (parent.get(key) or {}).items()
            if not any(path == c or path.startswith(c + ".") for c in changed)
        }
        inherited.update(child.get(key) or {})
        merged[key] = inherited
    return merged


def _deep_merge(base: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _leaf_paths(tree: Any, prefix: str = "") -> list[str]:
    if isinstance(tree, dict) and tree:
        paths: list[str] = []
        for key, value in tree.items():
            paths += _leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return paths
    return [prefix] if prefix else []


def _apply_override(raw: dict, override: str) -> None:
    """Apply one `dotted.path=value` override; the value is parsed as a YAML scalar or list."""
    if "=" not in override:
        raise InputError(f"--set {override!r}: expected PATH=VALUE, for example workforce.grid_workers=1800")
    path, text = override.split("=", 1)
    path = path.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise InputError(f"--set {path}: cannot read the value {text!r}") from None
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise InputError(f"--set {override!r}: the parameter path is empty or malformed")
    kinds = _check_override_path(parts, override)
    node: Any = raw
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if kinds[depth] == "list":
            if not isinstance(node, list):
                raise InputError(f"--set {where}: there is no list to index here; "
                                 f"set the whole list, e.g. {'.'.join(parts[:depth])}=[...]")
            index = int(part)
            if index >= len(node):
                allowed = f"0-{len(node) - 1}" if node else "none: the list is empty"
                raise InputError(f"--set {where}: index {index} is out of range; the list has {len(node)} "
                                 f"item(s) (allowed indices: {allowed})")
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(f"--set {where}: {'.'.join(parts[:depth])} is not a mapping in the scenario file")
        if last:
            node[part] = value
            continue
        if not isinstance(node.get(part), (dict, list)):
            if kinds[depth + 1] == "list":
                raise InputError(f"--set {where}.{parts[depth + 1]}: {where} is not a list in the scenario file "
                                 f"(its default applies), so it has no items to change; set the whole list, "
                                 f"e.g. {where}=[...]")
            node[part] = {}
        node = node[part]


def _check_override_path(parts: list[str], override: str) -> list[str]:
    """Reject a path that names no parameter, with the allowed names at the first wrong step.

    Returns, for each part, the kind of container it indexes: "model", "dict" or "list".
    """
    annotation: Any = Scenario
    walked: list[str] = []
    kinds: list[str] = []
    for part in parts:
        annotation = _unwrap_optional(annotation)
        origin = get_origin(annotation)
        kinds.append("model" if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                     else "dict" if origin is dict else "list" if origin is list else "value")
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = type.__getattribute__(annotation, "model_fields")
            if part not in fields:
                raise InputError(_unknown_key_message(".".join(walked + [part]), part, list(fields), "--set"))
            annotation = fields[part].annotation
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin is list:
            if not part.isdigit():
                raise InputError(f"--set {'.'.join(walked + [part])}: {part!r} must be a list index (0, 1, ...)")
            annotation = get_args(annotation)[0]
        else:
            raise InputError(f"--set {'.'.join(walked)} is a single value; it has no part {part!r}")
        walked.append(part)
    return kinds


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) is Union:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _allowed_keys(loc: tuple) -> list[str]:
    annotation: Any = Scenario
    for part in loc[:-1]:
        annotation = _unwrap_optional(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif origin in (dict, list):
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unknown_key_message(path: str, key: str, allowed: list[str], what: str = "") -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    prefix = f"{what} " if what else ""
    return f"{prefix}{path}: unknown parameter {key!r}{hint}; allowed: {', '.join(sorted(allowed))}"


def describe_validation_error(error: ValidationError, raw: dict | None = None) -> str:
    """One readable line per problem: path, bad value, what is allowed."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(_unknown_key_message(path, str(loc[-1]), _allowed_keys(loc)))
            continue
        if item["type"] == "missing":
            lines.append(f"{path}: required parameter is missing")
            continue
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        shown = _short(value)
        if loc and item["type"] != "value_error":
            lines.append(f"{path}: got {shown}; {message.lower()}")
        else:
            lines.append(f"{path}: {message}" if loc else message)
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- provenance


def provenance(scenario: Scenario) -> list[dict[str, str]]:
    """Every leaf parameter with its value and where it comes from: seed, assumption or schema default.

    A citation in `sources` or `assumptions` covers its path and everything below it; the most
    specific one wins. A parameter left at its schema default takes the reason in the schema.
    """
    rows = []
    data = scenario.model_dump(mode="json", exclude={"sources", "assumptions", "name", "description"})
    for path, value in _leaf_items(data):
        kind, note = _citation(scenario, path)
        rows.append({"parameter": path, "value": json.dumps(value, ensure_ascii=False), "kind": kind, "source": note})
    return rows


def _leaf_items(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(tree, dict) and tree:
        items: list[tuple[str, Any]] = []
        for key, value in tree.items():
            items += _leaf_items(value, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        items = []
        for i, value in enumerate(tree):
            items += _leaf_items(value, f"{prefix}.{i}")
        return items
    return [(prefix, tree)]


def _citation(scenario: Scenario, path: str) -> tuple[str, str]:
    found = []
    for kind, table in (("seed", scenario.sources), ("assumption", scenario.assumptions)):
        keys = [key for key in table if path == key or path.startswith(key + ".")]
        if keys:
            key = max(keys, key=len)
            found.append((len(key), kind, table[key]))
    if found:
        longest = max(length for length, _, _ in found)
        best = [(kind, note) for length, kind, note in found if length == longest]
        return " + ".join(k for k, _ in best), " | ".join(n for _, n in best)
    description = _schema_description(path)
    if description:
        kind = "seed" if description.startswith("seed") else "assumption" if description.startswith("assumption") else "default"
        return kind, description
    return "unlabelled", ""


def _schema_description(path: str) -> str:
    """The schema's description of a parameter; a labelled container (a default list or section, such as a
    default calendar) labels everything inside it."""
    annotation: Any = Scenario
    description = ""
    covering = ""
    for part in path.split("."):
        if description.startswith(("assumption", "seed")) and not covering:
            covering = description
        annotation = _unwrap_optional(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return ""
            description = field.description or ""
            annotation = field.annotation
        elif origin in (dict, list):
            annotation = get_args(annotation)[-1]
            description = ""
        else:
            return covering
    return covering or description
