"""Prevention levers: grid patrols, hidden (latent) problems and the informants who report them."""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from .base import MAX_CASES_PER_HOUSEHOLD_YEAR, MAX_HORIZON_DAYS, Strict


class Patrol(Strict):
    """Grid workers patrol their grids whenever they are on shift and have no case (sim/mechanisms/prevention.py)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    visit_h: float = Field(1.0, gt=0, le=24, description="assumption: walking one grid of 150-200 households takes "
                                                         "about an hour")
    detection_probability: float = Field(
        0.5, ge=0, le=1, description="assumption: one visit spots each hidden problem of the grid with probability 0.5")
    revisit_interval_h: float = Field(
        0.0, ge=0, le=24 * 365, description="assumption: no limit; a grid may be walked again as soon as the worker is "
                                            "free")


class LatentProblems(Strict):
    """Problems that start hidden (hazards, illegal construction, broken facilities) and erupt if nobody finds them."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    rate_per_household_per_year: float = Field(
        0.15, ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR,
        description="assumption: 0.15 hidden problems per household a year")
    categories: dict[str, float] = Field(
        default_factory=lambda: {"safety_hazards": 0.4, "public_facilities": 0.4, "market_order": 0.2},
        description="assumption: hidden problems are hazards, broken facilities and illegal trading or building")
    eruption_delay_mean_h: float = Field(
        336.0, gt=0, le=24 * MAX_HORIZON_DAYS, description="assumption: a hidden problem erupts after two weeks on "
                                                           "average")
    eruption_delay_cv: float = Field(1.0, ge=0, le=10, description="assumption: exponential-like spread of the delay "
                                                                   "(lognormal, cv 1)")
    eruption_work_factor: float = Field(
        2.0, ge=1, le=100, description="assumption: an erupted problem needs twice the work of one found early")
    eruption_deadline_factor: float = Field(
        0.5, gt=0, le=1, description="assumption: an erupted problem (a complaint) has half the normal deadline")

    @field_validator("categories")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(not 0 <= v <= 1 for v in value.values()) or not math.isclose(sum(value.values()), 1.0,
                                                                                         abs_tol=1e-6):
            raise ValueError(f"category shares must be between 0 and 1 and sum to 1, got {value}")
        return value


class InformantGroup(Strict):
    """One kind of informant: how many, how much ground each covers, how often they pass, how often they report."""

    per_1000_households: float = Field(ge=0, le=100_000)
    households_each: float = Field(gt=0, le=1_000_000, description="households in the patch each informant passes")
    passes_per_week: float = Field(gt=0, le=1_000)
    report_probability: float = Field(ge=0, le=1, description="probability of noticing and reporting a hidden problem "
                                                              "on one pass")


class Informants(Strict):
    """Couriers, riders and area / group / neighbour chiefs who report hidden problems (seeds 000, 004)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    groups: dict[str, InformantGroup] = Field(default_factory=dict, description="assumption: none unless a scenario "
                                                                                "lists them")
