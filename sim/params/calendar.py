"""Weekly working calendars as parameters: blocks of days and hours (time 0 is a Monday 00:00)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Strict

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(Strict):
    """One block of a weekly calendar: these days, from start_h to end_h (local clock hours)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default=["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start_h: float = Field(8.5, ge=0, lt=24, description="assumption: office hours 08:30-17:30")
    end_h: float = Field(17.5, gt=0, le=24, description="assumption: office hours 08:30-17:30")

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
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



def evenings_and_weekends() -> list[WorkingHours]:
    return [WorkingHours(days=["mon", "tue", "wed", "thu", "fri"], start_h=18.5, end_h=21.5),
            WorkingHours(days=["sat", "sun"], start_h=9, end_h=17)]


def weekly_intervals(blocks: list[WorkingHours]) -> list[tuple[float, float]]:
    """The blocks as sorted, merged (start_h, end_h) intervals of the week, hours since Monday 00:00."""
    intervals = sorted(
        (DAY_NAMES.index(day) * 24 + block.start_h, DAY_NAMES.index(day) * 24 + block.end_h)
        for block in blocks
        for day in block.days
    )
    merged: list[list[float]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def week_hours(blocks: list[WorkingHours]) -> float:
    """Working hours in one week of this calendar."""
    return sum(end - start for start, end in weekly_intervals(blocks))
