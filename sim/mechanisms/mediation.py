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

from ..core.calendar import Calendar
from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import COMMUNITY, Station, Worker
from ..core.territory import allocate


class Mediation(Mechanism):
    """The mediation stations of one replication."""

    name = section = "mediation"
    kpis = (
        Kpi("mediations", "cases", "neither", "participation", "Disputes mediated", "调解纠纷数"),
        Kpi("mediation_success_rate", "share", "higher", "participation", "Mediations ending in an agreement",
            "调解成功率"),
    )

    def __init__(self, district):
        super().__init__(district)
        spec = district.scenario.mediation
        self.env = district.env
        self.handling = district.handling
        self.outcome = district.streams["mediation.outcome"]
        self.success_probability = spec.success_probability
        self.mediated = [name in spec.categories for name in district.scenario.cases.categories]
        self.calendar = Calendar(spec.hours)
        territory = district.territory
        households = territory.community_households()
        mediators = spec.mediators_per_1000_households * households.sum() / 1000.0
        servers = mediators * spec.hours_per_mediator_week / self.calendar.week_hours
        total = max(int(round(servers)), territory.n_communities) if mediators > 0 else 0
        self.per_community = allocate(total, np.maximum(households, 1.0), minimum=1) if total else np.zeros(
            territory.n_communities, dtype=np.int64)
        self.servers = int(self.per_community.sum())
        self.stations: list[Station] = []
        self.station_of_community: list[Station] = []
        self.log: list[tuple[int, float, bool]] = []  # (case id, ended_h, agreed)

    def attach(self, hooks: Hooks) -> None:
        hooks.divert.append(self._divert)
        hooks.communities_added.append(self._communities_added)

    def start(self) -> None:
        role = self.handling.add_role("mediator")
        factory = self.district.stations
        self.stations = [factory.station(role, c, self.calendar) for c in range(len(self.per_community))]
        self.station_of_community = list(self.stations)
        for station, n in zip(self.stations, self.per_community.tolist(), strict=True):
            station.workers = n
            station.idle.extend(Worker(station, self._done) for _ in range(n))

    def _communities_added(self, new: list[int], parent: np.ndarray) -> None:
        """A community split off keeps its parent's mediators (the roster is not redrawn)."""
        self.station_of_community += [self.station_of_community[parent[c]] for c in new]

    def _divert(self, case, station: Station) -> Station:
        if station.role == COMMUNITY and self.mediated[case.category]:
            return self.station_of_community[station.index]
        return station

    def _done(self, worker: Worker) -> None:
        case = worker.case
        worker.case = None
        h = self.handling
        if case.rework:
            h.close(case)
        else:
            agreed = bool(self.outcome.random() < self.success_probability)
            self.log.append((case.id, self.env.now, agreed))
            if agreed:
                h.close(case)
            else:
                case.escalations += 1
                h.whistle(case)
        h.next_case(worker)

    def results(self) -> dict:
        rows = self.log
        return {
            "case_id": np.array([r[0] for r in rows], dtype=np.int64),
            "ended_h": np.array([r[1] for r in rows], dtype=float),
            "agreed": np.array([r[2] for r in rows], dtype=bool),
            "servers": self.servers,
            "busy_h": self.handling.busy_h[self.stations[0].role] if self.stations else 0.0,
        }

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        med = raw.extensions["mediation"]
        start, end = raw.window_h
        arrived = raw.cases["arrived_h"][med["case_id"]] if len(med["case_id"]) else np.array([])
        inside = (arrived >= start) & (arrived < end)
        return {"mediations": float(inside.sum()),
                "mediation_success_rate": float(med["agreed"][inside].mean()) if inside.any() else float("nan")}

    @classmethod
    def tables(cls, raw, case_log) -> dict:
        import pandas as pd

        med = raw.extensions["mediation"]
        return {"mediations": pd.DataFrame({k: med[k] for k in ("case_id", "ended_h", "agreed")})}
