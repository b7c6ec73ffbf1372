"""The district's territory, its grid and community workforce, its departments and the whistle-and-dispatch rules."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import MAX_HORIZON_DAYS, MAX_HOUSEHOLDS, MAX_STAFF, Strict
from .calendar import WorkingHours, office_hours, week_hours


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
        description="assumption: a dedicated grid (offices, markets) generates the case load of a mid-sized "
                    "residential grid",
    )
    community_size_cv: float = Field(
        0.35,
        ge=0,
        le=3,
        description="assumption: communities differ in size with a coefficient of variation of 0.35",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Territory:
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



class HiringBatch(Strict):
    size: int = Field(ge=1, le=MAX_STAFF)
    start_day: float = Field(ge=0, le=MAX_HORIZON_DAYS)
    ramp_up_days: float = Field(
        0.0,
        ge=0,
        le=MAX_HORIZON_DAYS,
        description="assumption: 0 = new workers are fully productive at once; > 0 they reach full pace linearly over "
                    "this many days (see grid_staffing.ramp_up_start_productivity)",
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
        description="assumption: 60 % of a grid worker's shift is available for cases; the rest is patrol, meetings "
                    "and paperwork",
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
        description="assumption: half of a community worker's shift goes to escalated cases; the rest to services, "
                    "meetings and tasks from above",
    )

    @property
    def final_grid_workers(self) -> int:
        return self.grid_workers + sum(b.size for b in self.hiring_batches)


class Department(Strict):
    """A functional department that takes whistled cases: a team with capacity and working hours."""

    staff: int = Field(ge=1, le=MAX_STAFF)
    hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)
    block_staff: list[int] | None = Field(
        None, min_length=1, description="assumption: None = all staff on duty in every block of hours; else the head "
                                        "count on duty in each block of hours, in their order (a night block may have "
                                        "fewer on duty than the day)")

    @model_validator(mode="after")
    def _one_head_count_per_block(self) -> Department:
        if self.block_staff is None:
            return self
        if len(self.block_staff) != len(self.hours):
            raise ValueError(f"block_staff gives {len(self.block_staff)} head counts for {len(self.hours)} blocks of "
                             f"hours; give one per block")
        if any(n < 0 or n > self.staff for n in self.block_staff):
            raise ValueError(f"block_staff {self.block_staff}: each head count must be between 0 and staff "
                             f"({self.staff})")
        if sum(week_hours([block]) for block in self.hours) > week_hours(self.hours) + 1e-9:
            raise ValueError("with block_staff the blocks of hours must not overlap (each hour has one head count)")
        return self


class Dispatch(Strict):
    """Whistle-and-dispatch rules (吹哨派单): time limits for departments, and queue discipline."""

    acceptance_deadline_h: float = Field(
        2.0, gt=0, le=24 * MAX_HORIZON_DAYS, description="assumption: a whistled case must be taken up within 2 h"
    )
    resolution_deadline_h: float = Field(gt=0, le=24 * MAX_HORIZON_DAYS)
    queue_discipline: Literal["fifo", "fcfs", "edf", "lsf"] = Field(
        "fifo", description="assumption: first come, first served, overdue (supervised) cases first; fcfs: plain "
                            "first come, first served; edf: earliest deadline first; lsf: least slack first"
    )
    start_slack_h: float | None = Field(
        None, ge=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: None = work on a case starts as soon as a worker is free; with lsf, a department "
                    "does not start a whistled case while it has more than this many working hours of slack "
                    "(slack-driven pacing)")

    @model_validator(mode="after")
    def _pacing_needs_least_slack(self) -> Dispatch:
        if self.start_slack_h is not None and self.queue_discipline != "lsf":
            raise ValueError(f"dispatch.start_slack_h = {self.start_slack_h} needs queue_discipline lsf (least slack "
                             f"first), not {self.queue_discipline!r}")
        return self
