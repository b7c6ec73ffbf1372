"""Splitting communities above a household cap (seed 003: no more than 3,500 households each) on a given day.

On the day, every community above the cap is split into parts of neighbouring grids
(`core.territory.split_communities`); the district gives each new community its own station
and community workers and moves the cases queued at the old one (`District.redraw_communities`),
and each new community opens a secretary vacancy (filled from the reserve pool or by a search).
"""

from __future__ import annotations

from ..core.hooks import Mechanism
from ..core.territory import split_communities
from ..units import HOURS_PER_DAY


class CommunitySplit(Mechanism):
    """Splits the communities above the cap on `community_split.day`."""

    name = section = "community_split"

    def start(self) -> None:
        self.district.env.process(self._split())

    def _split(self):
        district, spec = self.district, self.district.scenario.community_split
        delay = spec.day * HOURS_PER_DAY - district.env.now
        if delay > 0:
            yield district.env.timeout(delay)
        district.redraw_communities(*split_communities(district.territory, spec.max_households))
