"""Time limits and the responses to them (限时办理): per-case limits drawn from a distribution; overtime,
compression, supervision and partial pacing at the departments, and optionally at grid and community workers.

A category's limit may be drawn per case (`DeadlineDistribution`: a lognormal or gamma with a
mean and a cv, or an empirical quantile function from a log), beside the empirical mixture
`cases.DeadlineShare`. Each response is a lever of its own, off by default: with all of them off
a deadline only measures (the yardstick), as before. None of the figures is in the seeds; each
default is an assumption with its reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import MAX_HORIZON_DAYS, Strict

MAX_LIMIT_H = 24.0 * MAX_HORIZON_DAYS
FORMS = ("lognormal", "gamma", "quantiles")


class DeadlineQuantile(Strict):
    """One point of an empirical quantile function: a share p of the cases has a limit of at most deadline_h."""

    p: float = Field(ge=0, le=1)
    deadline_h: float = Field(gt=0, le=MAX_LIMIT_H)


class DeadlineDistribution(Strict):
    """Per-case time limits drawn from a distribution (instead of one limit or a mixture of a few).

    `lognormal` and `gamma` take `mean_h` and `cv` (the mean and coefficient of variation of the
    limit), optionally truncated to [`min_h`, `max_h`]; `quantiles` takes points (p, deadline_h)
    of an empirical quantile function from p = 0 to p = 1, interpolated linearly between them
    (two points with the same deadline_h make an atom, as a log's standard limits do).
    """

    form: Literal["lognormal", "gamma", "quantiles"]
    mean_h: float | None = Field(None, gt=0, le=MAX_LIMIT_H, description="lognormal, gamma: mean limit (h)")
    cv: float | None = Field(None, gt=0, le=10, description="lognormal, gamma: coefficient of variation of the limit")
    min_h: float | None = Field(None, gt=0, le=MAX_LIMIT_H,
                                description="lognormal, gamma: None = no lower truncation")
    max_h: float | None = Field(None, gt=0, le=MAX_LIMIT_H,
                                description=f"lognormal, gamma: None = truncated at the schema's {MAX_LIMIT_H:.0f} h")
    quantiles: list[DeadlineQuantile] | None = Field(
        None, min_length=2, description="quantiles: points (p, deadline_h), p from 0 to 1 increasing, deadline_h "
                                        "not decreasing")

    @model_validator(mode="after")
    def _form_has_its_parameters(self) -> DeadlineDistribution:
        if self.form == "quantiles":
            given = [name for name in ("mean_h", "cv", "min_h", "max_h") if getattr(self, name) is not None]
            if self.quantiles is None or given:
                raise ValueError(f"form 'quantiles' takes only quantiles (points p, deadline_h), got "
                                 f"quantiles={'set' if self.quantiles else None}, {', '.join(given) or 'nothing else'}")
            _check_quantiles(self.quantiles)
            return self
        if self.mean_h is None or self.cv is None or self.quantiles is not None:
            raise ValueError(f"form {self.form!r} takes mean_h and cv (optionally min_h, max_h), not quantiles; got "
                             f"mean_h={self.mean_h}, cv={self.cv}, quantiles={'set' if self.quantiles else None}")
        low, high = self.bounds()
        if not low < high:
            raise ValueError(f"min_h = {low} must be below max_h = {high}")
        if not low < self.mean_h < high:
            raise ValueError(f"mean_h = {self.mean_h} must lie between min_h = {low} and max_h = {high}")
        return self

    def bounds(self) -> tuple[float, float]:
        """The truncation of a lognormal or gamma limit (hours)."""
        return (self.min_h or 0.0, self.max_h or MAX_LIMIT_H)


def _check_quantiles(points: list[DeadlineQuantile]) -> None:
    ps = [q.p for q in points]
    hours = [q.deadline_h for q in points]
    if ps[0] != 0 or ps[-1] != 1:
        raise ValueError(f"quantiles must run from p = 0 to p = 1, got p from {ps[0]} to {ps[-1]}")
    if any(b <= a for a, b in zip(ps, ps[1:], strict=False)):
        raise ValueError(f"quantiles: p must increase strictly, got {ps}")
    if any(b < a for a, b in zip(hours, hours[1:], strict=False)):
        raise ValueError(f"quantiles: deadline_h must not decrease as p grows, got {hours}")


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


class Pacing(Strict):
    """Partial slack-driven pacing: a share of the cases is put aside until little slack is left, then worked.

    Closures that bunch just before a target while most cases close well before it are the mark of
    a response by some cases or some staff, not all: the spike of discharges just under the English
    4-hour emergency target sat on top of a spread of shorter stays (Locker & Mason, BMJ 2005;
    Bevan & Hood, Public Administration 2006), and a third of the Boston 311 log's closures with a
    deadline fall in the first tenth of the allowed time while its closures still rise just before
    due. Each case is paced or not by its own uniform (`deadline_response.pacing` stream, by case
    id), so a larger share paces the same cases and more. Where a log's pile-up straddles the due
    time (closures still high in the first tenth after it), the paced cases' start slacks spread
    around a centre that may be negative: some are started just before due, some just after.
    `gridgov calibrate` fits the share, the centre and the spread to a log (`calibration.response`);
    the defaults below are assumptions.
    """

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on")
    share: float = Field(
        0.1, ge=0, le=1,
        description="assumption: one case in ten with a deadline is worked to its deadline (put aside until its "
                    "slack is low); the rest are started as soon as staff are free")
    start_slack_h: float = Field(
        2.0, ge=-24 * MAX_HORIZON_DAYS, le=24 * MAX_HORIZON_DAYS,
        description="assumption: a paced case joins its station's queue once its slack (working hours left before "
                    "due less the work its category is expected to need there) falls to 2 h; a negative slack "
                    "starts it that many working hours late (worked past its due time)")
    start_slack_spread_h: float = Field(
        0.0, ge=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: every paced case starts at the same slack; above 0, each paced case's start slack "
                    "is drawn uniformly within this many working hours centred on start_slack_h (its own uniform "
                    "per case id, stream deadline_response.pacing_spread), some started before due, some after")
    departments: list[str] | None = Field(
        None,
        description="assumption: the staff of every department pace their share of the cases; a list names the "
                    "departments that do (grid and community stations are not affected by it)")


RESPONDING_LEVELS = ("department", "grid", "community")


class DeadlineResponse(Strict):
    """The responses of departments (and optionally grid and community workers) to their time limits."""

    enabled: bool = Field(False, description="assumption: off unless a scenario turns it on (deadlines only measure)")
    levels: list[Literal["department", "grid", "community"]] = Field(
        ["department"], min_length=1,
        description="assumption: the handling levels whose staff respond to their cases' limits with overtime and "
                    "compression (and pacing: this section's of a share of the cases, or dispatch.start_slack_h's "
                    "of every case): the departments only, "
                    "unless a scenario adds grid and community workers, whose cases carry their categories' limits")
    overtime: Overtime = Field(default_factory=Overtime)
    compression: Compression = Field(default_factory=Compression)
    supervision: Supervision = Field(default_factory=Supervision)
    pacing: Pacing = Field(default_factory=Pacing)
    check_h: float = Field(
        1.0, gt=0, le=168, description="assumption: the department looks at its queue every hour")
    common_yardstick_h: float = Field(
        72.0, gt=0, le=24 * MAX_HORIZON_DAYS,
        description="assumption: whistled cases are also measured against one common 72 h limit, so that scenarios "
                    "with different limits are compared on one yardstick")

    @model_validator(mode="after")
    def _levels_once(self) -> DeadlineResponse:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels lists a level twice: {self.levels}; allowed: "
                             f"{', '.join(RESPONDING_LEVELS)}, each once")
        if self.pacing.enabled and not self.enabled:
            raise ValueError("deadline_response.pacing.enabled = true needs deadline_response.enabled = true (the "
                             "responses to deadlines are off, so no case would be paced)")
        return self
