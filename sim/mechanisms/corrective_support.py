"""Corrective support (三级考评, seed 000): a community under the assessment threshold gets help the next month.

The three-level assessment flags a community whose monthly on-time rate is under
`assessment.on_time_threshold`; with this lever on, the subdistrict sends it a working group for
the next assessment month, during which its escalated cases take `work_multiplier` of their
usual time (an assumption standing for the extra hands and the supervision). The support ends
with the month, and a community still under the threshold is supported again.

A month is judged as the community scorecard judges it (`analysis.scorecards`, the on-time KPI's
definition in `core.outcomes`): on the cases of the community's grids decided in the month, a
case being decided when it closes on time or when its due time passes while it is open. A
community with at least `min_cases` of them and an on-time rate under the threshold is the one
the scorecard marks `below_threshold`, and it is supported.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import outcomes
from ..core.case import Case
from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..units import HOURS_PER_WEEK


class CorrectiveSupport(Mechanism):
    """Judges every community monthly on its closures and supports those under the threshold for a month."""

    name = section = "corrective_support"
    kpis = (
        Kpi("corrective_support_communities", "communities", "neither", "workforce",
            "Communities given corrective support, per month", "每月获整改帮扶的社区数"),
        Kpi("corrective_support_recovered_share", "share", "higher", "workforce",
            "Supported communities back over the threshold the month after", "获帮扶社区次月达标比例"),
    )

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.spec = s.corrective_support
        self.threshold = s.assessment.on_time_threshold
        self.month_h = s.assessment.month_weeks * HOURS_PER_WEEK
        self.on_time: dict[int, int] = {}  # this month's decided cases per community, and those on time
        self.decided: dict[int, int] = {}
        self.supported: list[int] = []
        self.month_start = 0.0
        self.months: list[tuple[float, list[int], list[int]]] = []  # (month start, judged, judged under)

    def attach(self, hooks: Hooks) -> None:
        hooks.closed.append(self._closed)

    def start(self) -> None:
        self.district.env.process(self._months())

    def _community(self, case: Case) -> int:
        return int(self.district.territory.grid_community[case.grid])

    def _closed(self, case: Case) -> None:
        if case.due == math.inf:
            return
        if outcomes.on_time(self.district.env.now, case.due):
            self._count(self._community(case), on_time=True)
        elif case.due >= self.month_start:  # overdue this month (before it, it was counted at that month's end)
            self._count(self._community(case), on_time=False)

    def _count(self, community: int, on_time: bool) -> None:
        self.decided[community] = self.decided.get(community, 0) + 1
        if on_time:
            self.on_time[community] = self.on_time.get(community, 0) + 1

    def _months(self):
        env = self.district.env
        while True:
            self.month_start = env.now
            yield env.timeout(self.month_h)
            for case in self.district.handling.open.values():  # overdue this month and still open
                if self.month_start <= case.due < env.now:
                    self._count(self._community(case), on_time=False)
            judged = [c for c, n in sorted(self.decided.items()) if n >= self.spec.min_cases]
            under = [c for c in judged if self.on_time.get(c, 0) / self.decided[c] < self.threshold]
            self._support(under)
            self.months.append((self.month_start, judged, under))
            self.on_time, self.decided = {}, {}

    def _support(self, communities: list[int]) -> None:
        stations = self.district.community_stations
        for community in self.supported:
            stations[community].set_factor(self.name, 1.0)
        self.supported = communities
        for community in communities:
            stations[community].set_factor(self.name, self.spec.work_multiplier)

    def results(self) -> dict:
        return {"months": self.months}

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        start, end = raw.window_h
        months = [m for m in raw.extensions["corrective_support"]["months"] if start <= m[0] < end]
        if not months:
            return {"corrective_support_communities": math.nan, "corrective_support_recovered_share": math.nan}
        supported = [set(under) for _, _, under in months]
        # a supported community recovered if it is judged the month after and is over the threshold;
        # the last month's support has no month after it in the window: zip stops there
        recovered = [len((given & set(judged)) - set(under)) / len(given & set(judged))
                     for given, (_, judged, under) in zip(supported, months[1:], strict=False) if given & set(judged)]
        return {"corrective_support_communities": float(np.mean([len(s) for s in supported])),
                "corrective_support_recovered_share": float(np.mean(recovered)) if recovered else math.nan}
