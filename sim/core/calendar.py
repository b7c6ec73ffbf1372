"""Working calendars on the simulation clock: working hours between two instants, when work started now is done.

A `Calendar` turns a weekly pattern of working hours (`params.calendar.WorkingHours`) into
arithmetic on the clock (hours since Monday 00:00 of day 0): work pauses outside working hours
and resumes at the next shift, so a service started on Friday evening finishes on Monday.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..params.calendar import WorkingHours, weekly_intervals
from ..units import HOURS_PER_WEEK


class Calendar:
    """A weekly working calendar; time 0 is Monday 00:00."""

    def __init__(self, blocks: list[WorkingHours]):
        merged = weekly_intervals(blocks)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.lengths = [e - s for s, e in merged]
        self.cum = [0.0]
        for length in self.lengths[:-1]:
            self.cum.append(self.cum[-1] + length)
        self.cum_end = [c + length for c, length in zip(self.cum, self.lengths, strict=True)]
        self.week_hours = sum(self.lengths)
        self.always = self.week_hours >= HOURS_PER_WEEK
        # A shift that runs through Sunday midnight goes on at Monday 00:00: that is no shift start.
        wraps = bool(merged) and self.ends[-1] >= HOURS_PER_WEEK
        self.shift_starts = [s for s in self.starts if not (wraps and s == 0)] or self.starts[:1]
        self._tables = (self.starts, self.cum, self.lengths, self.cum_end, self.week_hours, len(self.starts) - 1)

    def worked(self, t: float) -> float:
        """Working hours between time 0 and t."""
        if self.always:
            return t
        week, r = divmod(t, HOURS_PER_WEEK)
        i = bisect_right(self.starts, r) - 1
        partial = 0.0 if i < 0 else self.cum[i] + min(r - self.starts[i], self.lengths[i])
        return week * self.week_hours + partial

    def at_worked(self, w: float) -> float:
        """The earliest time by which w working hours have elapsed since time 0."""
        if self.always:
            return w
        if w <= 0:
            return 0.0
        week, r = divmod(w, self.week_hours)
        if r == 0:
            week, r = week - 1, self.week_hours
        i = bisect_left(self.cum_end, r)
        i = min(i, len(self.starts) - 1)
        return week * HOURS_PER_WEEK + self.starts[i] + (r - self.cum[i])

    def finish(self, t: float, work_h: float) -> float:
        """When work of work_h hours started at t is done, pausing outside working hours."""
        if self.always:
            return t + work_h
        # Never before t: a work_h lost in rounding leaves worked() unchanged, and at_worked() of an
        # unchanged value off shift is the end of the last shift, which lies before t.
        # at_worked(worked(t) + work_h), inlined (the hot path: every service), the same arithmetic
        # (x // y and x % y are the two numbers divmod(x, y) gives, without building its tuple)
        starts, cum, lengths, cum_end, week_hours, last = self._tables
        week, r = t // HOURS_PER_WEEK, t % HOURS_PER_WEEK
        i = bisect_right(starts, r) - 1
        if i < 0:
            w = week * week_hours + 0.0 + work_h
        else:
            length, into = lengths[i], r - starts[i]
            w = week * week_hours + (cum[i] + (length if length < into else into)) + work_h
        if w <= 0:
            return max(t, 0.0)
        week, r = w // week_hours, w % week_hours
        if r == 0:
            week, r = week - 1, week_hours
        i = bisect_left(cum_end, r)
        if i > last:
            i = last
        done = week * HOURS_PER_WEEK + starts[i] + (r - cum[i])
        return done if done > t else t

    def on_shift(self, t: float) -> bool:
        """Whether t falls in working hours (a shift's start is in it, its end is not)."""
        if self.always:
            return True
        r = t % HOURS_PER_WEEK
        i = bisect_right(self.starts, r) - 1
        return i >= 0 and r < self.ends[i]

    def next_start(self, t: float) -> float:
        """The first shift start after t (infinity for a round-the-clock calendar: its shift never starts)."""
        if self.always:
            return float("inf")
        week = t // HOURS_PER_WEEK
        for k in range(3):  # this week or the next (a third only if rounding put t at a week's very end)
            for start in self.shift_starts:
                instant = (week + k) * HOURS_PER_WEEK + start
                if instant > t:
                    return instant
        raise AssertionError(f"no shift start after {t}")  # unreachable: a calendar has at least one block

    def hours_between(self, a: float, b: float) -> float:
        """Working hours in [a, b]; 0 if b is not after a."""
        return max(0.0, self.worked(b) - self.worked(a))
