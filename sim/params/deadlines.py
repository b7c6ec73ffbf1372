"""How departments respond to whistle-and-dispatch time limits (限时办理): overtime, compression, supervision.

Each response is a lever of its own, off by default: with all of them off a deadline only
measures (the yardstick), as before. None of the figures is in the seeds; each default is an
assumption with its reason. `gridgov calibrate`-style fitting to a log is left to the scenario.
"""

from __future__ import annotations

from pydantic import Field

from .base import MAX_HORIZON_DAYS, Strict


class Overtime(Strict):
    """Deadline pressure on effort: a department with many near-due cases queued works overtime, up to a cap."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    trigger_slack_h: float = Field(
        24.0, gt=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: a queued case with less than 24 h left before its due time is near due")
    trigger_cases_per_staff: float = Field(
        0.5, gt=0, le=10_000,
        description="assumption: overtime starts when near-due queued cases reach half the team's head count")
    share: float = Field(
        0.25, gt=0, le=2,
        description="assumption: under pressure every shift hour carries a quarter hour of overtime (2 h a day)")
    cap_hours_per_staff_week: float = Field(
        8.0, ge=0, le=100,
        description="assumption: at most 8 h of overtime per person and week (a working day)")
    yuan_per_hour: float = Field(
        60.0, ge=0, le=10_000,
        description="assumption: 1.5 x an hourly wage of ~40 yuan (66,300 yuan a year, seed 004, over ~1,700 h)")


class Compression(Strict):
    """Work compression: a case started with little slack is done faster and less well (more reopens)."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    slack_h: float = Field(
        24.0, gt=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: compression starts when less than 24 h are left and is full at the due time")
    speedup: float = Field(
        0.3, ge=0, lt=1,
        description="assumption: under full compression a case takes 30 % less time")
    reopen_probability: float = Field(
        0.15, ge=0, le=1,
        description="assumption: 15 % of the cases finished under full compression are rejected by the resident "
                    "(5 x the 3 % of unhurried work)")


class Supervision(Strict):
    """Supervision that escalates (督办): an overdue case is flagged upwards, then the department is reinforced."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    reinforce_after_h: float = Field(
        24.0, gt=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: a case still waiting 24 h past its due time brings in reinforcement")
    reinforce_staff: int = Field(
        1, ge=1, le=1_000,
        description="assumption: the level above sends one supervisor who takes cases while any such case waits")


class DeadlineResponse(Strict):
    """The responses of departments to their time limits; each sub-lever on its own."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on (deadlines only measure)")
    overtime: Overtime = Field(default_factory=Overtime)
    compression: Compression = Field(default_factory=Compression)
    supervision: Supervision = Field(default_factory=Supervision)
    check_h: float = Field(
        1.0, gt=0, le=168, description="assumption: the department looks at its queue every hour")
    common_yardstick_h: float = Field(
        72.0, gt=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: whistled cases are also measured against one common 72 h limit, so that scenarios "
                    "with different limits are compared on one yardstick")
