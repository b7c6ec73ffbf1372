"""Mediation (群英断是非, seed 004): disputes that reach the community go to a roster of resident mediators.

Each community has a mediation station: its share of the roster (mediators per 1,000 households
x the community's households, shared by households, at least one where the roster is not
empty), turned into full-time-equivalent servers on the mediators' calendar: mediators x hours
each per week / calendar hours per week, rounded, at least one. (A simplification: a roster of
volunteers giving an hour a week each is served as a few servers working the whole calendar.)

A case of a mediated category that would be queued at its community (triaged there or escalated
from the grid) is diverted to the mediation station. The mediation's work is the case's
community-level work content. It ends in an agreement with `success_probability` (uniform from
the `mediation.outcome` stream, drawn when the mediation ends) and the case closes at the
community level; otherwise the dispute is escalated to the formal channel: it is whistled to the
category's department, which gets its own acceptance and resolution deadlines. A reopened case
comes back to the mediators for rework and then closes.
"""

from __future__ import annotations

import numpy as np

from ..core.handling import CATEGORY, COMMUNITY, ESCALATIONS, ID, REWORK, Station, Worker
from ..core.territory import allocate
from ..core.workforce import Calendar

MEDIATION_ROLE = 3  # index of the mediators in Handling.busy_h and Handling.queued


class Mediation:
    """The mediation stations of one replication."""

    def __init__(self, district):
        s = district.scenario
        spec = s.mediation
        self.env = district.env
        self.handling = handling = district.handling
        self.window = district.window
        self.outcome = district.streams["mediation.outcome"]
        self.success_probability = spec.success_probability
        names = list(s.cases.categories)
        self.mediated = [name in spec.categories for name in names]
        calendar = Calendar(spec.hours)
        territory = district.territory
        households = territory.community_households()
        mediators = spec.mediators_per_1000_households * households.sum() / 1000.0
        servers = mediators * spec.hours_per_mediator_week / calendar.week_hours
        total = max(int(round(servers)), territory.n_communities) if mediators > 0 else 0
        per_community = allocate(total, np.maximum(households, 1.0), minimum=1) if total else np.zeros(
            territory.n_communities, dtype=np.int64)
        while len(handling.busy_h) <= MEDIATION_ROLE:
            handling.busy_h.append(0.0)
            handling.queued.append(0)
        self.stations = [Station(MEDIATION_ROLE, c, s.dispatch.queue_discipline, calendar, 1.0)
                         for c in range(territory.n_communities)]
        self.servers = int(per_community.sum())
        for station, n in zip(self.stations, per_community.tolist()):
            workers = [Worker(handling, station) for _ in range(n)]
            station.workers = n
            for worker in workers:
                worker.on_done = lambda event, w=worker: self._done(w)
                station.idle.append(worker)
        self.log: list[tuple[int, float, bool]] = []  # (case id, ended_h, agreed)

    def start(self) -> None:
        self.handling.divert = self._divert

    def _divert(self, case: list, station: Station) -> Station:
        if station.role == COMMUNITY and self.mediated[case[CATEGORY]]:
            return self.stations[station.index]
        return station

    def _done(self, worker: Worker) -> None:
        case = worker.case
        worker.case = None
        h = self.handling
        if case[REWORK]:
            h._close(case)
        else:
            agreed = bool(self.outcome.random() < self.success_probability)
            self.log.append((case[ID], self.env.now, agreed))
            if agreed:
                h._close(case)
            else:
                case[ESCALATIONS] += 1
                h._whistle(case)
        h.next_case(worker)

    def results(self) -> dict:
        rows = self.log
        return {"mediation": {
            "case_id": np.array([r[0] for r in rows], dtype=np.int64),
            "ended_h": np.array([r[1] for r in rows], dtype=float),
            "agreed": np.array([r[2] for r in rows], dtype=bool),
            "servers": self.servers,
            "busy_h": self.handling.busy_h[MEDIATION_ROLE],
        }}
