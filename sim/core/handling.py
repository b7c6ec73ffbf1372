"""Handling: triage, the grid / community / department (whistle) levels, deadlines, escalation, closure.

A *station* is a queue served by workers on one calendar: a grid post (its grid worker(s)), a
community's workers, or a functional department's team. A case is triaged to a level at intake,
handled there, and either closed or escalated: grid -> community -> whistled to the department
that owns its category (吹哨派单). A whistled case gets the department's time limits: it must be
taken up within the acceptance deadline and resolved within the resolution deadline, which
becomes its due time. After closure the resident may reject the result; the case reopens after
the feedback delay and needs rework at the same level.

Queue discipline is a lever. "fifo": first come, first served, except that a case already past
its due time is supervised (督办) and served first, earliest due first. "edf": earliest deadline
first throughout.

The hot path uses SimPy events with callbacks rather than one process per case: a case is a
small list, a worker is a slot object, and each service is one Timeout. Work pauses outside the
station's working hours (see `workforce.Calendar`). A simplification: a worker who is idle
when a case arrives outside working hours commits to it at once, and starts it when the shift
begins; a more urgent case arriving overnight waits for the next free worker.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import simpy
from simpy.events import Timeout

from .workforce import Calendar

GRID, COMMUNITY, DEPARTMENT = 0, 1, 2

# Slots of a case list (a list is the cheapest mutable record in CPython).
ID, DUE, GRID_OF, CATEGORY, LEVEL, ESCALATIONS, TOKEN = 0, 1, 2, 3, 4, 5, 6
WORK = 7  # 7, 8, 9: work content at grid, community, department
U_ESC = 10  # 10, 11: escalation uniforms at grid, community
U_REOPEN, REOPENED, REWORK, STARTED, WHISTLED, ACCEPTED = 12, 13, 14, 15, 16, 17
DEPARTMENT_OF = 18  # the department the case is whistled to, if it gets there
NOT_YET = -1.0


class FifoQueue:
    """First come, first served; supervised (overdue) cases jump ahead, earliest due first."""

    __slots__ = ("fifo", "overdue", "seq")

    def __init__(self):
        self.fifo: deque = deque()
        self.overdue: list = []
        self.seq = 0

    def push(self, case: list) -> None:
        self.seq += 1
        case[TOKEN] = self.seq
        self.fifo.append((self.seq, case))
        if case[DUE] != math.inf:
            heapq.heappush(self.overdue, (case[DUE], self.seq, case))

    def pop(self, now: float) -> list | None:
        overdue = self.overdue
        while overdue:
            due, seq, case = overdue[0]
            if case[TOKEN] != seq:
                heapq.heappop(overdue)
            elif due < now:
                heapq.heappop(overdue)
                case[TOKEN] = 0
                return case
            else:
                break
        fifo = self.fifo
        while fifo:
            seq, case = fifo.popleft()
            if case[TOKEN] == seq:
                case[TOKEN] = 0
                return case
        return None

    def drain(self) -> list[list]:
        """Remove and return every queued case, in arrival order."""
        cases = [case for seq, case in self.fifo if case[TOKEN] == seq]
        for case in cases:
            case[TOKEN] = 0
        self.fifo.clear()
        self.overdue.clear()
        return cases


class EdfQueue:
    """Earliest deadline first; cases without a deadline come last, in arrival order."""

    __slots__ = ("heap", "seq")

    def __init__(self):
        self.heap: list = []
        self.seq = 0

    def push(self, case: list) -> None:
        self.seq += 1
        case[TOKEN] = self.seq
        heapq.heappush(self.heap, (case[DUE], self.seq, case))

    def pop(self, now: float) -> list | None:
        heap = self.heap
        while heap:
            _, seq, case = heapq.heappop(heap)
            if case[TOKEN] == seq:
                case[TOKEN] = 0
                return case
        return None

    def drain(self) -> list[list]:
        cases = [case for _, seq, case in sorted(self.heap, key=lambda e: e[1]) if case[TOKEN] == seq]
        for case in cases:
            case[TOKEN] = 0
        self.heap.clear()
        return cases


QUEUES = {"fifo": FifoQueue, "edf": EdfQueue}


class Station:
    """A queue and the workers who serve it on one calendar."""

    __slots__ = ("role", "index", "queue", "idle", "calendar", "stretch", "workers")

    def __init__(self, role: int, index: int, discipline: str, calendar: Calendar, case_time_share: float):
        self.role = role
        self.index = index
        self.queue = QUEUES[discipline]()
        self.idle: list[Worker] = []
        self.calendar = calendar
        self.stretch = 1.0 / case_time_share  # shift hours per hour of case work
        self.workers = 0


class Worker:
    """One member of staff; `on_done` is bound once so each service costs one Timeout."""

    __slots__ = ("station", "case", "on_done", "active", "pace")

    def __init__(self, handling: "Handling", station: Station):
        self.station = station
        self.case: list | None = None
        self.active = True
        self.pace = 1.0  # shift hours per hour of a fully productive worker's time (> 1 while ramping up)
        self.on_done = lambda event, worker=self: handling.finish(worker)


class Handling:
    """Moves cases through the stations; records closures and busy time. No I/O."""

    def __init__(
        self,
        env: simpy.Environment,
        *,
        p_escalate_grid: list[float],
        p_escalate_community: list[float],
        resolution_deadline_h: list[float],
        acceptance_deadline_h: float,
        reopen_probability: float,
        reopen_delay_h: float,
        rework_share: float,
        window: tuple[float, float],
    ):
        self.env = env
        self.p_escalate = (p_escalate_grid, p_escalate_community)
        self.resolution_deadline_h = resolution_deadline_h
        self.acceptance_deadline_h = acceptance_deadline_h
        self.reopen_probability = reopen_probability
        self.reopen_delay_h = reopen_delay_h
        self.rework_share = rework_share
        self.window_start, self.window_end = window
        self.grid_station_of: list[Station] = []
        self.community_station_of_grid: list[Station] = []
        self.department_stations: list[Station] = []
        self.open_cases = 0
        self.queued = [0, 0, 0]
        self.busy_h = [0.0, 0.0, 0.0]  # shift hours spent on cases, services started in the window
        self.closed: list[tuple] = []  # (id, closed_h, level, escalations, reopened, due, started, whistled, accepted)
        # Hooks for the prevention and participation mechanisms (sim/mechanisms.py); None when they are off.
        self.divert = None  # divert(case, station) -> station: e.g. disputes reaching the community go to mediators
        self.on_idle = None  # on_idle(worker) -> bool: True if the worker found other work (a patrol) instead of idling

    # -- arrivals and routing ---------------------------------------------------------------

    def arrive(self, case: list) -> None:
        self.open_cases += 1
        level = case[LEVEL]
        if level == DEPARTMENT:
            self._whistle(case)
        else:
            self.push(case, self._station(case, level))

    def _station(self, case: list, level: int) -> Station:
        if level == GRID:
            return self.grid_station_of[case[GRID_OF]]
        if level == COMMUNITY:
            return self.community_station_of_grid[case[GRID_OF]]
        return self.department_stations[case[DEPARTMENT_OF]]

    def _whistle(self, case: list) -> None:
        now = self.env.now
        case[LEVEL] = DEPARTMENT
        case[WHISTLED] = now
        case[DUE] = now + self.resolution_deadline_h[case[CATEGORY]]
        self.push(case, self.department_stations[case[DEPARTMENT_OF]])

    def push(self, case: list, station: Station) -> None:
        if self.divert is not None:
            station = self.divert(case, station)
        if station.idle:
            self.start(station.idle.pop(), case)
        else:
            station.queue.push(case)
            self.queued[station.role] += 1

    # -- service ------------------------------------------------------------------------------

    def start(self, worker: Worker, case: list) -> None:
        env = self.env
        now = env.now
        station = worker.station
        level = case[LEVEL]
        if case[STARTED] == NOT_YET:
            case[STARTED] = now
        if level == DEPARTMENT and case[ACCEPTED] == NOT_YET:
            case[ACCEPTED] = now
        work = case[WORK + level] * (self.rework_share if case[REWORK] else 1.0)
        shift_h = work * station.stretch * worker.pace
        if self.window_start <= now < self.window_end:
            self.busy_h[station.role] += shift_h
        worker.case = case
        Timeout(env, station.calendar.finish(now, shift_h) - now).callbacks.append(worker.on_done)

    def finish(self, worker: Worker) -> None:
        case = worker.case
        worker.case = None
        self._after_service(case)
        self.next_case(worker)

    def next_case(self, worker: Worker) -> None:
        if not worker.active:
            return
        station = worker.station
        case = station.queue.pop(self.env.now)
        if case is None:
            if self.on_idle is None or not self.on_idle(worker):
                station.idle.append(worker)
        else:
            self.queued[station.role] -= 1
            self.start(worker, case)

    def _after_service(self, case: list) -> None:
        level = case[LEVEL]
        if case[REWORK] or level == DEPARTMENT:
            self._close(case)
        elif case[U_ESC + level] < self.p_escalate[level][case[CATEGORY]]:
            case[ESCALATIONS] += 1
            if level == GRID:
                case[LEVEL] = COMMUNITY
                self.push(case, self.community_station_of_grid[case[GRID_OF]])
            else:
                self._whistle(case)
        else:
            self._close(case)

    # -- closure and feedback -----------------------------------------------------------------

    def _close(self, case: list) -> None:
        if not case[REOPENED] and case[U_REOPEN] < self.reopen_probability:
            case[REOPENED] = True
            case[REWORK] = True
            Timeout(self.env, self.reopen_delay_h, case).callbacks.append(self._reopen)
            return
        self.open_cases -= 1
        self.closed.append(
            (case[ID], self.env.now, case[LEVEL], case[ESCALATIONS], case[REOPENED], case[DUE],
             case[STARTED], case[WHISTLED], case[ACCEPTED])
        )

    def _reopen(self, event: Timeout) -> None:
        case = event.value
        self.push(case, self._station(case, case[LEVEL]))

    # -- staffing -----------------------------------------------------------------------------

    def staff(self, station: Station, n: int) -> list[Worker]:
        """Add n workers to a station; they start at once on whatever is queued."""
        workers = [Worker(self, station) for _ in range(n)]
        station.workers += n
        for worker in workers:
            self.next_case(worker)
        return workers

    def reassign_grid_posts(self, stations: list[Station], post_of_grid: list[int], workers: list[Worker], workers_per_post: list[int]) -> None:
        """Replace the grid posts: move queued cases to their grid's new post and workers to their new posts."""
        old = {id(s): s for s in self.grid_station_of}.values()
        pending: list[list] = []
        for station in old:
            pending += station.queue.drain()
            station.idle.clear()
        self.queued[GRID] -= len(pending)
        self.grid_station_of = [stations[p] for p in post_of_grid]
        slot = 0
        for station, n in zip(stations, workers_per_post):
            station.workers = n
            for worker in workers[slot:slot + n]:
                worker.station = station
                if worker.case is None:
                    station.idle.append(worker)
            slot += n
        pending.sort(key=lambda case: case[ID])
        for case in pending:
            self.push(case, self.grid_station_of[case[GRID_OF]])
