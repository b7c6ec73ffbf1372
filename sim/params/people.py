"""Workforce over time: grid worker attrition and ramp-up, secretaries and succession, the reserve pool, splits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

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


class Elections(Strict):
    """General elections of the community committees (换届): a wave of secretary posts changing on one day."""

    next_day: float | None = Field(
        None, ge=0, le=MAX_HORIZON_DAYS,
        description="assumption: None = no elections (off unless a scenario sets it); the day of the next general "
                    "election, counted from the start of the run",
    )
    term_years: float = Field(
        5.0, gt=0, le=20,
        description="assumption (external source, not a seed): a five-year term since the 2018 amendment of the "
                    "Organic Law of Urban Residents' Committees (城市居民委员会组织法); elections recur every term",
    )
    share_min: float = Field(
        0.3, ge=0, le=1,
        description="assumption: at least 30 % of secretary posts change at an election (age limits, rotation, not "
                    "re-elected); not in the seeds",
    )
    share_max: float = Field(
        0.3, ge=0, le=1,
        description="assumption: the share changing is drawn uniformly between share_min and share_max at each "
                    "election (equal: a fixed share)",
    )

    @model_validator(mode="after")
    def _share_range(self) -> Elections:
        if self.share_max < self.share_min:
            raise ValueError(f"share_max ({self.share_max}) must be at least share_min ({self.share_min})")
        return self

    @property
    def on(self) -> bool:
        return self.next_day is not None and self.share_max > 0


class ActingSecretaries(Strict):
    """An acting secretary (a community worker) covering a vacant post until the new secretary takes office."""

    enabled: bool = Field(False, description="assumption: no acting secretaries unless a scenario asks for them")
    work_multiplier: float = Field(
        1.1, ge=1, le=10,
        description="assumption: with an acting secretary the community's escalated cases take 10 % longer (instead "
                    "of the empty post's vacancy_work_multiplier); the acting worker does no case work",
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
    elections: Elections = Field(default_factory=Elections)
    acting: ActingSecretaries = Field(default_factory=ActingSecretaries)

    @property
    def leave(self) -> bool:
        """Whether any secretary ever leaves (resigns or is promoted): without it the reserve pool is never used."""
        rounds = self.promotion_round_interval_days is not None and self.promotion_round_share > 0
        return self.resignation_per_year > 0 or self.promotion_per_year > 0 or rounds or self.elections.on


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


class Readiness(Strict):
    """Candidate readiness: after the class a candidate serves a probation and is vetted before being eligible."""

    enabled: bool = Field(
        False, description="assumption: off = a candidate who passed the class is eligible at once (instant readiness)"
    )
    probation_days: float = Field(
        180.0, ge=0, le=MAX_HORIZON_DAYS,
        description="assumption: six months of probation (a post in the community committee) before eligibility",
    )
    pass_rate: float = Field(
        0.85, gt=0, le=1,
        description="assumption: 85 % pass the vetting at the end of probation (seed 000's 备案管理 names the vetting, "
                    "not its pass rate); the others leave the pool",
    )
    initial_ready_share: float = Field(
        0.5, ge=0, le=1,
        description="assumption: half of the initial pool is eligible on day 0; the others are at a uniformly drawn "
                    "point of their probation",
    )


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
    readiness: Readiness = Field(default_factory=Readiness)
    scope: Literal["district", "subdistrict"] = Field(
        "district",
        description="assumption: one district-wide pool (seed 000's standard is set for the district); 'subdistrict': "
                    "each subdistrict keeps ratio x its communities and its candidates belong to it",
    )
    transfer: Literal["after_delay", "none"] = Field(
        "after_delay",
        description="assumption: with subdistrict pools, a vacancy whose subdistrict has no eligible candidate takes "
                    "one from another subdistrict after transfer_delay_days; 'none': it goes to an external search",
    )
    transfer_delay_days: float = Field(
        30.0, ge=0, le=MAX_HORIZON_DAYS,
        description="assumption: a transfer between subdistricts adds 30 days (both subdistricts and the district "
                    "organisation department agree) to the filing delay",
    )


class CommunitySplit(Strict):
    """Splitting communities above a household cap (seed 003) on a given day: a policy lever."""

    enabled: bool = Field(False, description="assumption: no splitting unless a scenario asks for it")
    max_households: int = Field(
        3500, ge=1, le=MAX_HOUSEHOLDS, description="seed 003: each community no more than 3,500 households "
                                                   "(原则上每个社区不超过3500户)"
    )
    day: float = Field(0.0, ge=0, le=MAX_HORIZON_DAYS, description="assumption: the split takes effect on day 0")
