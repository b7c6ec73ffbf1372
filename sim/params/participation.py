"""Participation levers: resident mediators and order-dispatch-accept micro-wishes taken by volunteers."""

from __future__ import annotations

from pydantic import Field

from .base import MAX_CASES_PER_HOUSEHOLD_YEAR, MAX_STAFF, Strict
from .calendar import WorkingHours, evenings_and_weekends
from .cases import Work


class Mediation(Strict):
    """A roster of resident mediators (群英断是非, seed 004) takes the disputes that reach the community."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    categories: list[str] = Field(default_factory=lambda: ["disputes"], description="assumption: disputes go to "
                                                                                    "mediation")
    mediators_per_1000_households: float = Field(
        30.6, ge=0, le=1000, description="seed 004: a roster of 5,197 mediators for 170,000+ households (30.6 per "
                                         "1,000)")
    hours_per_mediator_week: float = Field(
        1.0, gt=0, le=168, description="assumption: a volunteer mediator gives about an hour a week")
    hours: list[WorkingHours] = Field(default_factory=evenings_and_weekends, min_length=1,
                                      description="assumption: volunteers mediate on weekday evenings and at weekends")
    success_probability: float = Field(
        0.953, ge=0, le=1, description="seed 004: 2,284 agreements in 2,396 disputes mediated (95.3 %)")



class MicroWishes(Strict):
    """Order-dispatch-accept (群众点单、社区派单、党员接单, seeds 000, 001): small requests taken by volunteers."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    rate_per_household_per_year: float = Field(
        0.1, ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR, description="assumption: one household in ten posts a micro-wish a "
                                                                "year")
    dispatch_delay_h: float = Field(24.0, ge=0, le=24 * 365, description="assumption: the community dispatches a wish "
                                                                         "within a day")
    volunteers_per_community: float = Field(
        141.0, ge=0, le=MAX_STAFF, description="seed 003: 23,000+ party members registered with Yanta's 163 "
                                               "communities (141 each)")
    active_share: float = Field(0.2, ge=0, le=1,
                                description="assumption: one registered volunteer in five takes wishes")
    hours_per_volunteer_week: float = Field(1.0, gt=0, le=168, description="assumption: an active volunteer gives an "
                                                                           "hour a week")
    hours: list[WorkingHours] = Field(default_factory=evenings_and_weekends, min_length=1,
                                      description="assumption: volunteers serve on weekday evenings and at weekends")
    work: Work = Field(default_factory=lambda: Work(mean_h=1.5, cv=1.0), description="assumption: a wish takes about "
                                                                                     "1.5 h")
    expiry_days: float = Field(14.0, gt=0, le=365, description="assumption: a wish nobody accepts within two weeks "
                                                               "lapses")
