"""Handling: a case moves through the grid, community and department levels, escalates, closes, may reopen.

A case is triaged to a level at intake and handled there by the station that covers it: its
grid's post, its community's workers, or the department that owns its category. It is then
closed or escalated: grid -> community -> whistled to the department (吹哨派单). A whistled
case gets the department's time limits: it must be taken up within the acceptance deadline
and resolved within the resolution deadline, which becomes its due time (the category's one
limit, or the case's own when its category draws the department's limit per case). After closure the
resident may reject the result; the case reopens after the feedback delay and needs rework at
the same level. A case with an external delay (a wait holding no staff: a contractor, a scheduled
pickup) waits that long in calendar hours after it is whistled, before it joins the department's
queue: the staff's work that closes it comes last, in working hours, as in a log where staff
record the closure.

The hot path uses scheduled calls rather than one process per case: each service is one
`engine.Call` on the event heap (the worker's `done`, made once), ordered as a Timeout would be.
Work pauses outside the station's working hours and resumes at the next shift (preemptive
resume, see `calendar.Calendar`). A worker off shift never commits to a case: a case arriving
outside working hours waits in the queue, and when the shift begins (`shift_begins`) the idle
workers take the waiting cases in queue order, so an urgent case arriving overnight is served
first under earliest-deadline-first.

Mechanisms act through the hooks (`hooks.Hooks`) and the public methods here (`push`,
`whistle`, `close`, `next_case`, `staff`), never through private ones.
"""

from __future__ import annotations

import math
from heapq import heappush

import simpy
from simpy.events import NORMAL

from .arrivals import ESCALATES_FROM
from .calendar import Calendar
from .case import NOT_YET, Case
from .engine import Call, Engine, scheduler
from .hooks import Hooks
from .stations import COMMUNITY, DEPARTMENT, GRID, ROLES, Station, Worker


class Handling:
    """Moves cases through the stations; records closures and busy time. No I/O."""

    def __init__(
        self,
        env: simpy.Environment,
        hooks: Hooks,
        *,
        resolution_deadline_h: list[float],
        reopen_probability: float,
        reopen_delay_h: float,
        rework_share: float,
        window: tuple[float, float],
    ):
        self.env = env
        self.call_in = scheduler(env)
        # an Engine's heap and event ids, to schedule the end of a service inline (as Engine.call_in does)
        self._heap, self._eid = (env._queue, env._eid) if isinstance(env, Engine) else (None, None)
        self.hooks = hooks
        self.resolution_deadline_h = resolution_deadline_h
        self.reopen_probability = reopen_probability
        self.reopen_delay_h = reopen_delay_h
        self.rework_share = rework_share
        self.window_start, self.window_end = window
        self.grid_station_of: list[Station] = []
        self.community_station_of_grid: list[Station] = []
        self.department_stations: list[Station] = []
        self.open: dict[int, Case] = {}  # every case arrived and not closed for good, by id
        self.roles = list(ROLES)
        self.queued = [0] * len(self.roles)
        self.busy_h = [0.0] * len(self.roles)  # shift hours spent on cases inside the measurement window
        self.closed: list[tuple] = []  # Case.closure() of every case closed since the log last took them
        self.to_wake: dict[Calendar, dict[Station, None]] = {}  # stations with idle workers and waiting cases
        self.woken_at: dict[Station, float] = {}  # paced stations: when idle workers look at their queue again

    def add_role(self, name: str) -> int:
        """A mechanism's own kind of staff (mediators): its index in `queued` and `busy_h`."""
        self.roles.append(name)
        self.queued.append(0)
        self.busy_h.append(0.0)
        return len(self.roles) - 1

    # -- arrivals and routing ---------------------------------------------------------------

    @property
    def open_cases(self) -> int:
        return len(self.open)

    def arrive(self, case: Case) -> None:
        self.open[case.id] = case
        level = case.level
        if level == DEPARTMENT:
            self.whistle(case)
        else:
            self.push(case, self.station_of(case, level))

    def station_of(self, case: Case, level: int) -> Station:
        if level == GRID:
            return self.grid_station_of[case.grid]
        if level == COMMUNITY:
            return self.community_station_of_grid[case.grid]
        return self.department_stations[case.department]

    def whistle(self, case: Case) -> None:
        """Whistle a case to its department (吹哨): the department's resolution limit becomes its due time."""
        now = self.env._now
        case.level = DEPARTMENT
        case.whistled = now
        limit = case.resolution_limit
        case.due = now + (limit if limit > 0 else self.resolution_deadline_h[case.category])
        if case.delay > 0:
            delay, case.delay = case.delay, 0.0  # waited once: a case whistled again does not wait again
            self.call_in(delay, Call(self._delay_over, case))
            return
        self.push(case, self.department_stations[case.department])

    def push(self, case: Case, station: Station) -> None:
        """Hand a case to a station: an idle worker on shift takes it, or it queues."""
        for divert in self.hooks.divert:
            station = divert(case, station)
        for hold in self.hooks.hold:  # a mechanism that puts the case aside pushes it again later
            if hold(case, station):
                return
        queue = station.queue
        if queue.paced:
            queue.push(case)
            self.queued[station.role] += 1
            if station.idle:
                self.take_ready(station)
            return
        idle = station.idle
        if idle:
            if station.calendar.on_shift(self.env._now):
                self.start(idle.pop(), case)
                return
            self._wake_at_shift_start(station)
        queue.push(case)
        self.queued[station.role] += 1

    def take_ready(self, station: Station) -> None:
        """A paced queue (start when slack is low): idle workers on shift take the cases ready now; wake later."""
        now = self.env._now
        idle, queue = station.idle, station.queue
        if not station.calendar.on_shift(now):
            if len(queue):
                self._wake_at_shift_start(station)
            return
        while idle:
            case = queue.pop(now)
            if case is None:
                break
            self.queued[station.role] -= 1
            self.start(idle.pop(), case)
        if idle and len(queue):
            self._wake_when_ready(station, queue.ready_at())

    def _wake_when_ready(self, station: Station, at: float) -> None:
        if at >= self.woken_at.get(station, float("inf")):
            return  # an earlier wake-up is set and will look again
        self.woken_at[station] = at
        self.call_in(max(0.0, at - self.env._now), Call(self._ready, station))

    def _ready(self, station: Station) -> None:
        if self.woken_at.get(station, -math.inf) <= self.env._now:
            self.woken_at.pop(station, None)
        self.take_ready(station)

    def _wake_at_shift_start(self, station: Station) -> None:
        self.to_wake.setdefault(station.calendar, {})[station] = None

    def shift_begins(self, calendar: Calendar) -> None:
        """A shift of this calendar begins now: idle workers take the cases waiting for them, in queue order."""
        now = self.env._now
        for station in self.to_wake.pop(calendar, {}):
            idle, queue = station.idle, station.queue
            if queue.paced:
                self.take_ready(station)
                continue
            while idle and len(queue):  # the shift begins by definition: no on_shift() rounding can stall this
                self.queued[station.role] -= 1
                self.start(idle.pop(), queue.pop(now))
        for hook in self.hooks.shift_start:
            hook(calendar)

    # -- service ------------------------------------------------------------------------------

    def start(self, worker: Worker, case: Case) -> None:
        now = self.env._now
        station = worker.station
        level = case.level
        if case.started == NOT_YET:
            case.started = now
        if level == DEPARTMENT and case.accepted == NOT_YET:
            case.accepted = now
        work = case.work[level]
        if case.rework:
            work *= self.rework_share
        shift_h = work * station.stretch * worker.pace
        service = self.hooks.service
        if service:
            for hook in service:
                shift_h = hook(worker, case, shift_h)
        calendar = station.calendar
        done = calendar.finish(now, shift_h)
        start, end = self.window_start, self.window_end
        if start <= now and done <= end:
            self.busy_h[station.role] += shift_h
        elif now < end and done > start:  # only the part of the service inside the measurement window counts
            self.busy_h[station.role] += calendar.hours_between(max(now, start), min(done, end))
        worker.case = case
        heap = self._heap
        if heap is not None:
            heappush(heap, (now + (done - now), NORMAL, next(self._eid), worker.done))  # Engine.call_in, inlined
        else:
            self.call_in(done - now, worker.done)

    def finish(self, worker: Worker) -> None:
        """A service is done: the case closes, or escalates a level; the worker takes the next case."""
        case = worker.case
        worker.case = None
        level = case.level
        if case.rework or level == DEPARTMENT:
            self.close(case)
        elif case.escalates & ESCALATES_FROM[level]:
            case.escalations += 1
            if level == GRID:
                case.level = COMMUNITY
                self.push(case, self.community_station_of_grid[case.grid])
            else:
                self.whistle(case)
        else:
            self.close(case)
        self.next_case(worker)

    def next_case(self, worker: Worker) -> None:
        """A worker is free: on shift, take the next queued case, or other work a mechanism offers; else idle."""
        if not worker.active:
            return
        station = worker.station
        now = self.env._now
        queue = station.queue
        if station.calendar.on_shift(now):
            if queue.size:
                case = queue.pop(now)
                if case is not None:
                    self.queued[station.role] -= 1
                    self.start(worker, case)
                    return
                if queue.paced:
                    self._wake_when_ready(station, queue.ready_at())
            for idle in self.hooks.idle:
                if idle(worker):
                    return
        elif queue.size:
            self._wake_at_shift_start(station)
        station.idle.append(worker)

    # -- closure and feedback -----------------------------------------------------------------

    def close(self, case: Case) -> None:
        """Close a case; the resident may reject the result, and then it reopens for rework."""
        p_reopen = self.reopen_probability
        for hook in self.hooks.reopen_probability:
            p_reopen = hook(case, p_reopen)
        if not case.reopened and case.u_reopen < p_reopen:
            case.reopened = True
            case.rework = True
            self.call_in(self.reopen_delay_h, Call(self._reopen, case))
            return
        del self.open[case.id]
        self.closed.append((case.id, self.env._now, case.level, case.escalations, case.reopened, case.due,
                            case.started, case.whistled, case.accepted))  # Case.closure(now), inlined
        for closed in self.hooks.closed:
            closed(case)

    def _delay_over(self, case: Case) -> None:
        self.push(case, self.department_stations[case.department])

    def _reopen(self, case: Case) -> None:
        self.push(case, self.station_of(case, case.level))

    # -- staffing -----------------------------------------------------------------------------

    def new_worker(self, station: Station) -> Worker:
        return Worker(station, self.finish)

    def staff(self, station: Station, n: int) -> list[Worker]:
        """Add n workers to a station; they start at once on whatever is queued."""
        workers = [self.new_worker(station) for _ in range(n)]
        station.workers += n
        for hook in self.hooks.staffed:
            hook(station, workers)
        for worker in workers:
            self.next_case(worker)
        return workers

    def reassign_grid_posts(self, stations: list[Station], post_of_grid: list[int], workers: list[Worker],
                            workers_per_post: list[int]) -> None:
        """Replace the grid posts: move queued cases to their grid's new post and workers to their new posts."""
        old = {id(s): s for s in self.grid_station_of}.values()
        pending: list[Case] = []
        for station in old:
            pending += station.queue.drain()
            station.idle.clear()
        self.queued[GRID] -= len(pending)
        self.grid_station_of = [stations[p] for p in post_of_grid]
        slot = 0
        for station, n in zip(stations, workers_per_post, strict=True):
            station.workers = n
            for worker in workers[slot:slot + n]:
                worker.station = station
                if worker.case is None:
                    station.idle.append(worker)
            slot += n
        self.repost(pending, GRID)

    def repost(self, cases: list[Case], level: int) -> None:
        """Hand cases taken from stations that were replaced to their new stations, oldest case first."""
        cases.sort(key=lambda case: case.id)
        for case in cases:
            self.push(case, self.station_of(case, level))
