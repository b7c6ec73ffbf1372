"""The grid workforce: the establishment of grid worker posts, who is present, and which grids each post covers.

`assign_posts` shares the district's grids among the grid workers: each worker (post) covers a
contiguous run of grids of balanced load; with more workers than grids, grids share the spare
workers by load. `GridWorkforce` holds the establishment as *slots* (the initial head count
plus every hiring batch), each with a worker or empty; it hires, lets workers leave and fills
slots again (the staffing mechanism decides when), and re-shares the grids through the station
factory, so every post gets the calendar and case-time share the mechanisms give it. While a
slot is empty its grids are re-shared among the workers present (`cover_vacancies`) or stay
with their post, whose cases then wait. Its log gives head counts, vacancies, uncovered grids
and the workers on each calendar over time. No I/O.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from ..units import HOURS_PER_DAY
from .steps import segments, step_integral

if TYPE_CHECKING:
    from .handling import Handling
    from .hooks import Hooks
    from .stations import Station, StationFactory, Worker


def assign_posts(grid_load: np.ndarray, head_count: int) -> tuple[np.ndarray, list[int]]:
    """Share grids among grid workers.

    Returns the post index of every grid and the number of workers at each post. Grids are in
    territory order (by community), so a post covers neighbouring grids. With no workers, every
    grid belongs to one unstaffed post and its cases wait.
    """
    n_grids = len(grid_load)
    if head_count <= 0:
        return np.zeros(n_grids, dtype=np.int64), [0]
    n_posts = min(head_count, n_grids)
    cumulative = np.cumsum(grid_load) - grid_load / 2.0
    total = float(grid_load.sum()) or 1.0
    slots = np.minimum((cumulative / total * n_posts).astype(np.int64), n_posts - 1)
    _, post_of_grid = np.unique(slots, return_inverse=True)
    post_load = np.bincount(post_of_grid, weights=grid_load)
    workers = [1] * len(post_load)
    spare = head_count - len(post_load)
    if spare > 0:
        # Give each spare worker to the post with the highest load per worker.
        heap = [(-load, i) for i, load in enumerate(post_load)]
        heapq.heapify(heap)
        for _ in range(spare):
            _, i = heapq.heappop(heap)
            workers[i] += 1
            heapq.heappush(heap, (-post_load[i] / workers[i], i))
    return post_of_grid.astype(np.int64), workers


class GridWorkforce:
    """The grid workers of one replication, their posts, departures and replacements."""

    def __init__(self, env, handling: Handling, factory: StationFactory, hooks: Hooks, grid_load: np.ndarray,
                 cover_vacancies: bool = True):
        self.env = env
        self.handling = handling
        self.factory = factory
        self.hooks = hooks
        self.grid_load = grid_load
        self.cover_vacancies = cover_vacancies
        self.slots: list[Worker | None] = []
        self.present: list[Worker] = []  # in the order they were hired
        self.slot_station: list[Station] = []  # the post of each slot, when vacancies are not covered
        self.post_of_grid = np.zeros(len(grid_load), dtype=np.int64)
        self.post_stations: list[Station] = []
        self.departures = 0
        self.log: dict[str, list] = {name: [] for name in (
            "t_h", "grid_workers", "grid_worker_posts", "grid_worker_vacancies", "uncovered_grids", "calendars")}

    # -- hiring, leaving, filling -----------------------------------------------------------------

    def hire(self, n: int, ramp_up_days: float = 0.0) -> list[Worker]:
        """n new posts with a worker each; the grids are re-shared among everyone."""
        hired = []
        for _ in range(n):
            slot = len(self.slots)
            worker = self._new_worker(slot)
            self.slots.append(worker)
            self.present.append(worker)
            for hook in self.hooks.hired:
                hook(worker, slot, ramp_up_days)
            hired.append(worker)
        self.reshare()
        return hired

    def leave(self, slot: int) -> Worker:
        """The worker in this slot leaves now (a case in hand is finished first); the slot is empty."""
        worker = self.slots[slot]
        worker.active = False
        station = worker.station
        if worker in station.idle:
            station.idle.remove(worker)
        self.slots[slot] = None
        self.present.remove(worker)
        self.departures += 1
        if self.cover_vacancies:
            self.reshare()
        else:
            station.workers -= 1
            self._record()
        return worker

    def fill(self, slot: int, ramp_up_days: float = 0.0) -> Worker:
        """A new worker takes the empty slot."""
        worker = self._new_worker(slot)
        self.present.append(worker)
        for hook in self.hooks.hired:
            hook(worker, slot, ramp_up_days)
        self.slots[slot] = worker
        if self.cover_vacancies:
            self.reshare()
        else:
            worker.station.workers += 1
            self.handling.next_case(worker)
            self._record()
        return worker

    def _new_worker(self, slot: int) -> Worker:
        if slot < len(self.slot_station):
            station = self.slot_station[slot]
        else:
            station = self.handling.grid_station_of[0] if self.handling.grid_station_of else None
        return self.handling.new_worker(station)

    # -- posts ----------------------------------------------------------------------------------

    def reshare(self) -> None:
        """Share the grids among posts: the workers present (vacancies covered) or the establishment."""
        active = [w for w in self.slots if w is not None]
        posts = len(active) if self.cover_vacancies else len(self.slots)
        post_of_grid, per_post = assign_posts(self.grid_load, posts)
        stations = self.factory.grid_posts(len(per_post))
        if self.cover_vacancies:
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

    # -- record and measures ----------------------------------------------------------------------

    def _record(self) -> None:
        staffed = np.array([s.workers > 0 for s in self.post_stations], dtype=bool)
        uncovered = int(np.count_nonzero(~staffed[self.post_of_grid])) if len(staffed) else len(self.grid_load)
        calendars = Counter()
        for station in self.post_stations:
            if station.workers:
                calendars[station.calendar] += station.workers
        present = len(self.present)
        for name, value in (
            ("t_h", self.env.now), ("grid_workers", present), ("grid_worker_posts", len(self.slots)),
            ("grid_worker_vacancies", len(self.slots) - present), ("uncovered_grids", uncovered),
            ("calendars", list(calendars.items())),
        ):
            self.log[name].append(value)

    def on_duty(self, t: float) -> int:
        """Grid workers on shift at t, each counted on its post's calendar."""
        return sum(n for calendar, n in self.log["calendars"][-1] if calendar.on_shift(t))

    def segments(self, end_h: float) -> list[tuple[float, float, int]]:
        """Piecewise-constant head count of workers present: [(from_h, to_h, head), ...] over [0, end_h)."""
        return segments(self.log["t_h"], self.log["grid_workers"], end_h)

    def shift_hours(self, window: tuple[float, float], end_h: float) -> float:
        """Working hours of the grid workers present inside the window, each on its post's calendar."""
        a, b = window
        return sum(n * calendar.hours_between(max(a, s), min(b, e))
                   for s, e, calendars in segments(self.log["t_h"], self.log["calendars"], end_h)
                   for calendar, n in calendars)

    def worker_days(self, window: tuple[float, float], end_h: float) -> float:
        a, b = window
        return sum(head * max(0.0, min(b, e) - max(a, s)) / HOURS_PER_DAY for s, e, head in self.segments(end_h))

    def measures(self, window: tuple[float, float]) -> dict[str, float]:
        """Post-days vacant, grid-days uncovered or covered by neighbours, departures, over the window."""
        a, b = window
        t = np.asarray(self.log["t_h"], dtype=float)
        vacancies = np.asarray(self.log["grid_worker_vacancies"], dtype=float)
        posts = np.asarray(self.log["grid_worker_posts"], dtype=float)
        uncovered = np.asarray(self.log["uncovered_grids"], dtype=float)
        # Under cover_vacancies, an empty post's share of the grids (grids / establishment) is covered by the others.
        share = np.divide(vacancies, posts, out=np.zeros_like(posts), where=posts > 0) * len(self.grid_load)
        covered = step_integral(t, share, a, b) / HOURS_PER_DAY if self.cover_vacancies else 0.0
        return {
            "grid_worker_vacancy_days": step_integral(t, vacancies, a, b) / HOURS_PER_DAY,
            "grid_days_uncovered": step_integral(t, uncovered, a, b) / HOURS_PER_DAY,
            "grid_days_covered_by_neighbours": covered,
            "grid_worker_departures": float(self.departures),
        }
