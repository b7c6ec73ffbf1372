"""Grid workers over time: hiring batches with ramp-up, attrition as a hazard, replacement, empty posts.

The establishment is a list of *slots*: the initial head count plus every hiring batch that has
started. A slot holds a worker or is empty. Every worker hired (initial, batch or replacement)
draws an exponential working life from the "workforce.attrition" stream; when it ends the
worker finishes the case in hand and leaves, the slot is empty, and a replacement is hired into
it after the lead time. New workers (batches with a ramp-up, replacements) start at a fraction
of full pace and reach it linearly over their ramp-up, updated daily (`Worker.pace`).

While a slot is empty its grids are either re-shared among the remaining workers
(`vacant_grids: neighbours`, extra load on them) or left with their post (`uncovered`): a post
whose every slot is empty has nobody, and its cases wait for the replacement. Both show in the
outputs: post-days vacant, grid-days uncovered, grid-days covered by neighbours.

With no attrition and no ramp-up this reproduces `District._hiring` exactly (tested). No I/O.
"""

from __future__ import annotations

import numpy as np
from simpy.events import Timeout

from ..core.handling import GRID, Station, Worker
from ..core.workforce import assign_posts

HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8_760.0


def staffing_is_dynamic(scenario) -> bool:
    """Whether the grid workforce needs this module (attrition or ramp-up); otherwise District._hiring runs."""
    spec = scenario.grid_staffing
    return spec.attrition_per_year > 0 or any(b.ramp_up_days > 0 for b in scenario.workforce.hiring_batches)


class GridStaffing:
    """The grid workers of one replication, their posts, departures and replacements."""

    def __init__(self, district):
        self.district = district
        self.env = district.env
        self.handling = district.handling
        self.spec = district.scenario.grid_staffing
        self.grid_load = district.territory.grid_load
        self.slots: list[Worker | None] = list(district.grid_workers)
        self.slot_station: list[Station] = []
        self.post_of_grid = np.zeros(len(self.grid_load), dtype=np.int64)
        self.post_stations: list[Station] = []
        self.ramping: dict[Worker, tuple[float, float]] = {}  # worker -> (hired_h, ramp_h)
        self.departures = 0
        self.replacements = 0
        self.log: dict[str, list] = {name: [] for name in (
            "t_h", "grid_workers", "grid_worker_posts", "grid_worker_vacancies", "uncovered_grids")}
        self.rate_per_h = self.spec.attrition_per_year / HOURS_PER_YEAR

    def start(self) -> None:
        for slot, worker in enumerate(self.slots):
            self._draw_life(worker, slot)
        self._reshare()
        self.env.process(self._hiring())
        self.env.process(self._ramp())

    # -- hiring, leaving, replacing ---------------------------------------------------------------

    def _hiring(self):
        env = self.env
        for batch in sorted(self.district.scenario.workforce.hiring_batches, key=lambda b: b.start_day):
            delay = batch.start_day * HOURS_PER_DAY - env.now
            if delay > 0:
                yield env.timeout(delay)
            for _ in range(batch.size):
                self.slots.append(self._hire(len(self.slots), batch.ramp_up_days))
            self._reshare()

    def _hire(self, slot: int, ramp_up_days: float) -> Worker:
        station = self.slot_station[slot] if slot < len(self.slot_station) else self.district.handling.grid_station_of[0]
        worker = Worker(self.handling, station)
        if ramp_up_days > 0:
            worker.pace = 1.0 / self.spec.ramp_up_start_productivity
            self.ramping[worker] = (self.env.now, ramp_up_days * HOURS_PER_DAY)
        self.district.grid_workers.append(worker)
        self._draw_life(worker, slot)
        return worker

    def _draw_life(self, worker: Worker, slot: int) -> None:
        if self.rate_per_h <= 0:
            return
        life_h = self.district.streams["workforce.attrition"].exponential(1.0 / self.rate_per_h)
        if self.env.now + life_h < self.district.end_h:
            Timeout(self.env, life_h, (worker, slot)).callbacks.append(self._leave)

    def _leave(self, event: Timeout) -> None:
        worker, slot = event.value
        worker.active = False
        station = worker.station
        if worker in station.idle:
            station.idle.remove(worker)
        self.slots[slot] = None
        self.district.grid_workers.remove(worker)
        self.ramping.pop(worker, None)
        self.departures += 1
        Timeout(self.env, self.spec.replacement_lead_days * HOURS_PER_DAY, slot).callbacks.append(self._replace)
        if self.spec.vacant_grids == "neighbours":
            self._reshare()
        else:
            station.workers -= 1
            self._record()

    def _replace(self, event: Timeout) -> None:
        slot = event.value
        worker = self._hire(slot, self.spec.replacement_ramp_up_days)
        self.slots[slot] = worker
        self.replacements += 1
        if self.spec.vacant_grids == "neighbours":
            self._reshare()
        else:
            worker.station.workers += 1
            self.handling.next_case(worker)
            self._record()

    # -- posts ----------------------------------------------------------------------------------

    def _reshare(self) -> None:
        """Share the grids among posts: the workers present (neighbours) or the establishment (uncovered)."""
        active = [w for w in self.slots if w is not None]
        posts = len(active) if self.spec.vacant_grids == "neighbours" else len(self.slots)
        post_of_grid, per_post = assign_posts(self.grid_load, posts)
        discipline = self.district.scenario.dispatch.queue_discipline
        stations = [
            Station(GRID, i, discipline, self.district.calendars["grid_worker"], self.district.scenario.workforce.grid_case_time_share)
            for i in range(len(per_post))
        ]
        if self.spec.vacant_grids == "neighbours":
            present = per_post
            self.slot_station = []
        else:
            self.slot_station = [stations[p] for p, n in enumerate(per_post) for _ in range(n)]
            present = [0] * len(per_post)
            for slot, worker in enumerate(self.slots):
                if worker is not None:
                    present[self.slot_station[slot].index] += 1
        self.handling.reassign_grid_posts(stations, post_of_grid.tolist(), active, present)
        self.post_of_grid, self.post_stations = post_of_grid, stations
        self._record()

    def _ramp(self):
        """Daily: raise the pace of workers in their ramp-up."""
        p0 = self.spec.ramp_up_start_productivity
        while True:
            yield self.env.timeout(HOURS_PER_DAY)
            now = self.env.now
            for worker, (hired_h, ramp_h) in list(self.ramping.items()):
                progress = (now - hired_h) / ramp_h
                if progress >= 1:
                    worker.pace = 1.0
                    del self.ramping[worker]
                else:
                    worker.pace = 1.0 / (p0 + (1 - p0) * progress)

    # -- record ---------------------------------------------------------------------------------

    def _record(self) -> None:
        present = len(self.district.grid_workers)
        staffed = np.array([s.workers > 0 for s in self.post_stations], dtype=bool)
        uncovered = int(np.count_nonzero(~staffed[self.post_of_grid])) if len(staffed) else len(self.grid_load)
        for name, value in (
            ("t_h", self.env.now), ("grid_workers", present), ("grid_worker_posts", len(self.slots)),
            ("grid_worker_vacancies", len(self.slots) - present), ("uncovered_grids", uncovered),
        ):
            self.log[name].append(value)

    def segments(self, end_h: float) -> list[tuple[float, float, int]]:
        """Piecewise-constant head count of workers present: [(from_h, to_h, head), ...] over [0, end_h)."""
        t, head = self.log["t_h"], self.log["grid_workers"]
        bounds = list(t[1:]) + [end_h]
        return [(a, min(b, end_h), h) for a, b, h in zip(t, bounds, head) if min(b, end_h) > a]

    def measures(self, window_h: tuple[float, float]) -> dict[str, float]:
        from .succession import step_integral

        a, b = window_h
        t = np.asarray(self.log["t_h"], dtype=float)
        vacancies = np.asarray(self.log["grid_worker_vacancies"], dtype=float)
        posts = np.asarray(self.log["grid_worker_posts"], dtype=float)
        uncovered = np.asarray(self.log["uncovered_grids"], dtype=float)
        vacant_post_days = step_integral(t, vacancies, a, b) / HOURS_PER_DAY
        # Under 'neighbours', an empty post's share of the grids (grids / establishment) is covered by the others.
        share = np.divide(vacancies, posts, out=np.zeros_like(posts), where=posts > 0) * len(self.grid_load)
        covered = step_integral(t, share, a, b) / HOURS_PER_DAY if self.spec.vacant_grids == "neighbours" else 0.0
        return {
            "grid_worker_vacancy_days": vacant_post_days,
            "grid_days_uncovered": step_integral(t, uncovered, a, b) / HOURS_PER_DAY,
            "grid_days_covered_by_neighbours": covered,
            "grid_worker_departures": float(self.departures),
        }
