"""The succession mechanism: runs the secretary office (`secretary_office.SuccessionOffice`: tenures, elections,
the reserve pool and its training cohorts) inside the model, slows a community while its post is vacant, and
with `secretaries.acting` takes an acting secretary off the community's case work. No I/O.
"""

from __future__ import annotations

import numpy as np

from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import COMMUNITY, Station, Worker
from ..core.steps import step_at
from .secretary_office import SuccessionOffice, succession_measures


class Succession(Mechanism):
    """The secretaries and the reserve pool of one replication, slowing a community while its post is vacant.

    With acting secretaries on, a community worker of the community covers the vacant post: the
    community is slowed by the acting multiplier instead of the vacancy multiplier, and that
    worker takes no cases (one in hand is finished first) until the new secretary takes office.
    """

    name = "succession"
    section = "secretaries"
    kpis = (
        Kpi("secretary_vacancy_days_per_community_year", "days", "lower", "workforce",
            "Secretary vacancy days per community-year", "书记岗位空缺天数(每社区每年)"),
        Kpi("secretary_vacancies_opened", "vacancies", "neither", "workforce", "Secretary vacancies opened",
            "书记岗位出缺次数"),
        Kpi("secretary_time_to_fill_mean_days", "days", "lower", "workforce", "Mean time to fill a secretary vacancy "
                                                                              "(days)",
            "书记空缺平均补齐天数"),
        Kpi("secretary_time_to_fill_p90_days", "days", "lower", "workforce",
            "90th percentile time to fill a secretary vacancy (days)", "书记空缺补齐天数(90分位)"),
        Kpi("secretary_longest_vacancy_days", "days", "lower", "workforce", "Longest secretary vacancy (days)",
            "最长书记空缺天数"),
        Kpi("secretary_acting_days_per_community_year", "days", "neither", "workforce",
            "Days an acting secretary covers a vacant post, per community-year (a community worker off case work)",
            "代理书记天数(每社区每年,占用社区工作者)"),
        Kpi("reserve_pool_stockout_probability", "share", "lower", "workforce", "Chance the reserve pool runs dry",
            "后备人才库断档概率"),
        Kpi("reserve_pool_stockout_probability_election", "share", "lower", "workforce",
            "Chance the reserve pool runs dry at an election", "换届时后备人才库断档概率"),
        Kpi("reserve_pool_stockout_probability_between", "share", "lower", "workforce",
            "Chance the reserve pool runs dry between elections", "换届之间后备人才库断档概率"),
        Kpi("reserve_pool_stockouts", "vacancies", "lower", "workforce", "Vacancies that found the reserve pool empty",
            "遇后备人才库为空的空缺数"),
        Kpi("reserve_pool_stockout_days", "days", "lower", "workforce", "Days the reserve pool is empty",
            "后备人才库为空天数"),
        Kpi("reserve_pool_transfers", "vacancies", "neither", "workforce",
            "Vacancies filled from another subdistrict's pool", "跨街道调配补缺数"),
        Kpi("reserve_pool_mean", "people", "neither", "workforce", "Reserve pool candidates on average",
            "后备人才平均储备人数"),
        Kpi("reserve_pool_trainees", "people", "neither", "workforce", "Reserve pool trainees", "后备人才培训人数"),
    )

    @classmethod
    def applies(cls, scenario) -> bool:
        return True  # every community has a secretary; with no departures nothing happens and nothing is drawn

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.multiplier = s.secretaries.vacancy_work_multiplier
        self.acting = s.secretaries.acting
        self.workers: dict[int, list[Worker]] = {}  # community workers of each community, once staffed
        self.acting_worker: dict[int, Worker] = {}
        self.pending_acting: set[int] = set()  # vacant, waiting for the community's workers to be staffed
        self.office = SuccessionOffice(district.env, district.streams, district.territory.n_communities, s.secretaries,
                                       s.reserve_pool, community_subdistrict=district.territory.community_subdistrict,
                                       on_vacancy=self._vacant, on_fill=self._filled)

    def attach(self, hooks: Hooks) -> None:
        hooks.communities_added.append(self._communities_added)
        if self.acting.enabled:
            hooks.staffed.append(self._staffed)

    def start(self) -> None:
        self.office.start()

    def _communities_added(self, new: list[int], parent: np.ndarray) -> None:
        subdistrict = self.district.territory.community_subdistrict  # still the territory before the split
        self.office.add_communities(len(new), [int(subdistrict[parent[c]]) for c in new])

    def _staffed(self, station: Station, workers: list[Worker]) -> None:
        if station.role != COMMUNITY:
            return
        self.workers.setdefault(station.index, []).extend(workers)
        if station.index in self.pending_acting:
            self.pending_acting.discard(station.index)
            self._cover(station.index)

    def _vacant(self, community: int) -> None:
        if self.acting.enabled:
            self._cover(community)
        else:
            self.district.community_stations[community].set_factor(self.name, self.multiplier)

    def _cover(self, community: int) -> None:
        """An acting secretary: a community worker (an idle one if any) stops taking cases."""
        station = self.district.community_stations[community]
        workers = self.workers.get(community, [])
        if not workers:
            self.pending_acting.add(community)  # a new community, staffed just after its vacancy opens
            station.set_factor(self.name, self.multiplier)
            return
        worker = station.idle.pop() if station.idle else workers[0]
        worker.active = False
        station.workers -= 1
        self.acting_worker[community] = worker
        station.set_factor(self.name, self.acting.work_multiplier)

    def _filled(self, community: int) -> None:
        self.district.community_stations[community].set_factor(self.name, 1.0)
        self.pending_acting.discard(community)
        worker = self.acting_worker.pop(community, None)
        if worker is not None:
            worker.active = True
            worker.station.workers += 1
            if worker.case is None:
                self.district.handling.next_case(worker)

    def results(self) -> dict:
        return {"measures": succession_measures(self.office, self.district.window)}

    def series(self, at: np.ndarray) -> dict[str, np.ndarray]:
        log = self.office.log
        t = np.asarray(log["t_h"], dtype=float)
        return {name: step_at(t, np.asarray(log[name]), at) for name in (
            "communities", "secretaries", "secretary_vacancies", "reserve_pool", "candidates_in_training",
            "candidates_on_probation")}

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        return dict(raw.extensions["succession"]["measures"])
