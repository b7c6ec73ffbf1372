"""Workforce over time: grid worker attrition and ramp-up, secretaries and succession, the reserve pool, splits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import MAX_HORIZON_DAYS, MAX_HOUSEHOLDS, MAX_STAFF, Strict


class GridStaffing(Strict):
    """Grid workers over time: attrition as a hazard, replacement after a lead time, ramp-up, vacant posts."""

    attrition_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = no grid worker leaves (off unless a scenario sets it); a hazard "
                                      "per worker-year"
    )
    replacement_lead_days: float = Field(
        60.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: a leaver is replaced after 60 days (posting, exam, "
                                                     "appointment)"
    )
    replacement_ramp_up_days: float = Field(
        0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: 0 = a replacement is fully productive at once"
    )
    ramp_up_start_productivity: float = Field(
        0.5, gt=0, le=1, description="assumption: a new worker starts at half pace and reaches full pace linearly over "
                                     "the ramp-up"
    )
    vacant_grids: Literal["neighbours", "uncovered"] = Field(
        "neighbours",
        description="assumption: the grids of an empty post are re-shared among the remaining workers (extra load); "
                    "'uncovered': their cases wait for the replacement",
    )


class Secretaries(Strict):
    """Community party secretaries (社区党组织书记): one per community; departures and succession."""

    resignation_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = no departures (off unless a scenario sets it); a hazard per "
                                      "secretary-year"
    )
    promotion_per_year: float = Field(
        0.0, ge=0, le=10,
        description="assumption: 0 = no promotions (off unless a scenario sets it); seed 004 (17 secretaries recruited "
                    "into subdistrict posts) suggests about 0.05",
    )
    promotion_round_interval_days: float | None = Field(
        None, gt=0, le=MAX_HORIZON_DAYS,
        description="assumption: None = no promotion rounds; seed 004 shows promotion in recruitment rounds (20 units "
                    "recruited from secretaries at once)",
    )
    promotion_round_share: float = Field(
        0.0, ge=0, le=1,
        description="assumption: share of serving secretaries promoted in one round; seed 004: 17 recommended in one "
                    "round, about 0.17 of some 100 secretaries",
    )
    filing_delay_days: float = Field(
        30.0, ge=0, le=MAX_HORIZON_DAYS,
        description="assumption: a reserve candidate takes office 30 days after the vacancy (district organisation "
                    "department filing, seed 000 备案管理)",
    )
    search_delay_days: float = Field(
        180.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: without a reserve candidate an external search "
                                                      "takes 180 days"
    )
    vacancy_work_multiplier: float = Field(
        1.25, ge=1, le=10,
        description="assumption: while the secretary's post is vacant the community's escalated cases take 25 % longer",
    )

    @property
    def leave(self) -> bool:
        """Whether any secretary ever leaves (resigns or is promoted): without it the reserve pool is never used."""
        rounds = self.promotion_round_interval_days is not None and self.promotion_round_share > 0
        return self.resignation_per_year > 0 or self.promotion_per_year > 0 or rounds


class TrainingCohorts(Strict):
    """Training classes that refill the reserve pool up to its target."""

    interval_days: float = Field(
        120.0, gt=0, le=MAX_HORIZON_DAYS, description="seed 004: 3 training classes run in the year reported; one "
                                                      "every 120 days"
    )
    first_day: float = Field(0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: the first class may start on day "
                                                                         "0")
    duration_days: float = Field(30.0, gt=0, le=MAX_HORIZON_DAYS, description="assumption: a class lasts 30 days")
    max_size: int = Field(
        130, ge=1, le=MAX_STAFF, description="seed 004: 3 classes trained about 400 person-times, about 130 a class"
    )
    pass_rate: float = Field(0.8, gt=0, le=1, description="assumption: 80 % of trainees qualify as reserve candidates")


class ReservePool(Strict):
    """The reserve pool of candidates for community secretary (后备人才)."""

    ratio_to_communities: float = Field(
        2.0, ge=0, le=100, description="seed 000: at least 2 x the number of communities "
                                        "(按照不少于社区数2倍的标准储备)"
    )
    initial_ratio: float | None = Field(
        None, ge=0, le=100, description="assumption: None = the pool starts at its target"
    )
    leave_per_year: float = Field(
        0.0, ge=0, le=10, description="assumption: 0 = candidates stay in the pool until used (off unless a scenario "
                                      "sets it)"
    )
    cohorts: TrainingCohorts = Field(default_factory=TrainingCohorts)


class CommunitySplit(Strict):
    """Splitting communities above a household cap (seed 003) on a given day: a policy lever."""

    enabled: bool = Field(False, description="assumption: no splitting unless a scenario asks for it")
    max_households: int = Field(
        3500, ge=1, le=MAX_HOUSEHOLDS, description="seed 003: each community no more than 3,500 households "
                                                   "(原则上每个社区不超过3500户)"
    )
    day: float = Field(0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: the split takes effect on day 0")
