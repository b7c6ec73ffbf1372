"""Staggered hours (错时服务, seed 001): a share of grid posts works evenings and weekends instead of office hours.

Posts are chosen evenly along the territory (post i works the staggered calendar when
floor((i + 1) x share) > floor(i x share)), at every re-sharing of the grids: at the start, on
hiring and whenever a worker leaves or arrives. Their workers are on shift, and counted on duty,
on that calendar; residents whose problems arise after office hours find them there.
"""

from __future__ import annotations

import math

from ..core.calendar import Calendar
from ..core.hooks import Hooks, Mechanism


class StaggeredHours(Mechanism):
    """Gives an evenly spread share of grid posts the staggered calendar."""

    name = section = "staggered_hours"

    @classmethod
    def applies(cls, scenario) -> bool:
        return scenario.staggered_hours.enabled and scenario.staggered_hours.share_of_grid_posts > 0

    def __init__(self, district):
        super().__init__(district)
        spec = district.scenario.staggered_hours
        self.share = spec.share_of_grid_posts
        self.calendar = Calendar(spec.hours)

    def attach(self, hooks: Hooks) -> None:
        hooks.post_calendar.append(self.post_calendar)

    def post_calendar(self, post: int, n_posts: int, calendar: Calendar) -> Calendar:
        if math.floor((post + 1) * self.share) == math.floor(post * self.share):
            return calendar
        return self.calendar
