"""Corrective support (三级考评, seed 000): a community under the assessment threshold gets help the next month.

The three-level assessment flags a community whose monthly on-time rate is under
`assessment.on_time_threshold`; with this lever on, the subdistrict sends it a working group for
the next assessment month, during which its escalated cases take `work_multiplier` of their
usual time (an assumption standing for the extra hands and the supervision). The support ends
with the month, and a community still under the threshold is supported again.

A month is judged as a monthly report of closed work orders judges it (按时办结率, an
assumption): on the cases with a deadline the community closed in the month (at least
`min_cases`), the share closed on time by `core.outcomes`' definition. That is not the KPI's
on-time rate, which counts every decided case, an overdue one still open included.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import outcomes
from ..core.case import Case
from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import COMMUNITY
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
        self.closed_on_time: dict[int, int] = {}
        self.closed_with_deadline: dict[int, int] = {}
        self.supported: list[int] = []
        self.months: list[tuple[float, list[int], list[int]]] = []  # (month start, judged, judged under)

    def attach(self, hooks: Hooks) -> None:
        hooks.closed.append(self._closed)

    def start(self) -> None:
        self.district.env.process(self._months())

    def _closed(self, case: Case) -> None:
        if case.due == math.inf or case.level != COMMUNITY:
            return
        community = int(self.district.territory.grid_community[case.grid])
        self.closed_with_deadline[community] = self.closed_with_deadline.get(community, 0) + 1
        if outcomes.on_time(self.district.env.now, case.due):
            self.closed_on_time[community] = self.closed_on_time.get(community, 0) + 1

    def _months(self):
        env = self.district.env
        while True:
            start = env.now
            yield env.timeout(self.month_h)
            judged = [c for c, n in sorted(self.closed_with_deadline.items()) if n >= self.spec.min_cases]
            under = [c for c in judged if self.closed_on_time.get(c, 0) / self.closed_with_deadline[c] < self.threshold]
            self._support(under)
            self.months.append((start, judged, under))
            self.closed_on_time, self.closed_with_deadline = {}, {}

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
