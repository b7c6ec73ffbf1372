"""How workers' time is spent: burden pushed down by departments, staggered hours, the three-level assessment and
the corrective support it triggers."""

from __future__ import annotations

from pydantic import Field

from .base import Strict
from .calendar import WorkingHours


class Assessment(Strict):
    """Three-level assessment (seed 000): grids weekly, communities monthly, subdistricts quarterly."""

    month_weeks: int = Field(4, ge=1, le=52, description="assumption: an assessment month is four weeks, so grid weeks "
                                                         "aggregate into it")
    quarter_weeks: int = Field(13, ge=1, le=104, description="assumption: an assessment quarter is 13 weeks")
    on_time_threshold: float = Field(
        0.9, ge=0, le=1, description="assumption: a unit closing under 90 % of its cases on time is flagged for "
                                     "corrective support")


class CorrectiveSupport(Strict):
    """Corrective support for a community the monthly assessment flags (seed 000: problems found are rectified)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on (flagged units are only "
                                             "flagged)")
    work_multiplier: float = Field(
        0.8, gt=0, le=1, description="assumption: with the subdistrict's working group the community's escalated "
                                     "cases take 80 % of their usual time for a month")
    min_cases: int = Field(
        10, ge=1, le=1_000_000, description="assumption: a month with fewer than 10 decided cases at the community "
                                            "is not judged")


class Burden(Strict):
    """Work departments push down onto communities (forms, certificates, inspections, ledgers) and its reduction."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    grid_worker_hours_per_week: float = Field(
        12.0, ge=0, le=168, description="assumption: 12 h of a grid worker's week go to tasks pushed down by "
                                        "departments")
    community_worker_hours_per_week: float = Field(
        14.0, ge=0, le=168, description="assumption: 14 h of a community worker's week go to tasks pushed down by "
                                        "departments")
    reduction_share: float = Field(
        0.0, ge=0, le=1,
        description="assumption: no reduction unless a scenario applies the admission system and lists")
    funding_yuan_per_hour: float = Field(
        40.0, ge=0, le=10_000, description="assumption: 'funding follows the task' pays about 40 yuan per remaining "
                                           "hour (66,300 yuan a year, seed 004, over ~1,700 h)")
    grid_other_duties_share: float = Field(
        0.1, ge=0, lt=1, description="assumption: 10 % of a grid worker's shift goes to meetings, training and "
                                     "reporting")
    community_other_duties_share: float = Field(
        0.2, ge=0, lt=1, description="assumption: 20 % of a community worker's shift goes to services at the counter "
                                     "and meetings")



class StaggeredHours(Strict):
    """Staggered hours and door-to-door service (错时服务, seed 001): some posts work evenings and weekends."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    share_of_grid_posts: float = Field(
        0.2, ge=0, le=1, description="assumption: one grid post in five works the staggered calendar")
    hours: list[WorkingHours] = Field(
        default_factory=lambda: [WorkingHours(days=["tue", "wed", "thu", "fri"], start_h=11.5, end_h=20.5),
                                 WorkingHours(days=["sat"], start_h=9, end_h=18)],
        min_length=1, description="assumption: 11:30-20:30 Tuesday to Friday and 09:00-18:00 on Saturday "
        "(45 h, as office hours)")
