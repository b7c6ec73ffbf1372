"""One replication of a district: builds the SimPy environment, runs it, returns raw columns.

The arrival process draws a week of cases at a time (`cases.CaseSource`) and schedules each
case's arrival as one SimPy Timeout; handling (`handling.Handling`) moves cases through grid
posts, community stations and department teams. Hiring batches add grid workers and
re-share the grids among them. A monitor samples the backlog and the staff on duty every
hour. The case log is kept in columnar numpy arrays and handed back as such: no file I/O, no
printing, no pandas in the hot path.

Time: hours since Monday 00:00 of day 0. Arrivals run for `horizon_days`; the model then runs
`drain_days` more without new arrivals, so the cases of the measurement window
[warm_up_days, horizon_days) close and their times are known.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import Timeout

from .arrivals import CaseSource
from ..mechanisms.dynamics import Dynamics
from .handling import COMMUNITY, DEPARTMENT, GRID, NOT_YET, Handling, Station, Worker
from ..mechanisms import Mechanisms
from ..params import Scenario
from .streams import Streams
from .territory import Territory, allocate, build_territory
from .workforce import Calendar, assign_posts, grid_head_count_segments

ARRIVAL_BLOCK_DAYS = 7
MONITOR_STEP_H = 1.0
ROLES = ("grid_worker", "community_worker", "department_staff")

# Columns written when a case closes, in the order of Handling.closed tuples.
CLOSE_COLUMNS = ("closed_h", "level", "escalations", "reopened", "due_h", "started_h", "whistled_h", "accepted_h")
CLOSE_DTYPES = (float, np.int8, np.int8, bool, float, float, float, float)


@dataclass
class RawRun:
    """What one replication produces, before any table or KPI is made of it."""

    scenario: Scenario
    seed: int
    replication: int
    territory: Territory
    cases: dict[str, np.ndarray]
    timeseries: dict[str, np.ndarray]
    busy_h: dict[str, float]
    shift_h: dict[str, float]
    grid_worker_days: float
    window_h: tuple[float, float]
    end_h: float
    stats: dict[str, float] = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)  # outputs of the prevention/participation mechanisms
    people: dict = field(default_factory=dict)  # workforce over time (sim/dynamics.py): measures and cost parts


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while the simulation runs.

    Each week's arrivals are tens of thousands of case records created at once, and the events,
    queue entries and closure records of a district-year number in the millions: allocations that
    trigger collection after collection, each walking every live object (the open cases, the
    pending week and the hundred thousand objects numpy, pandas, scipy and pydantic keep). Those
    collections took a quarter to a half of the run time. The hot path creates no reference
    cycles per case (cases are lists of numbers, events are freed once processed; the only cycle
    is the arrival closure, one per replication, collected after the run), so there is nothing
    for the collector to find; reference counting still frees everything at once. The
    collector's previous state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class CaseColumns:
    """The case log as growable numpy columns, filled block by block and at each closure."""

    STATIC = (("arrived_h", float), ("category", np.int16), ("source", np.int8), ("grid", np.int32), ("initial_level", np.int8),
              ("department", np.int16))

    def __init__(self, capacity: int):
        self.n = 0
        self.columns = {name: np.empty(capacity, dtype) for name, dtype in self.STATIC}
        for name, dtype in zip(CLOSE_COLUMNS, CLOSE_DTYPES):
            self.columns[name] = np.empty(capacity, dtype)

    def add_block(self, block) -> int:
        """Append a block's static columns; returns the id of its first case."""
        first, n = self.n, len(block)
        if first + n > len(self.columns["arrived_h"]):
            self._grow(max(2 * len(self.columns["arrived_h"]), first + n))
        c = self.columns
        c["arrived_h"][first:first + n] = block.time
        c["category"][first:first + n] = block.category
        c["source"][first:first + n] = block.source
        c["grid"][first:first + n] = block.grid
        c["initial_level"][first:first + n] = block.level
        c["department"][first:first + n] = block.department
        c["closed_h"][first:first + n] = np.nan
        c["level"][first:first + n] = block.level
        c["escalations"][first:first + n] = 0
        c["reopened"][first:first + n] = False
        c["due_h"][first:first + n] = block.due
        c["started_h"][first:first + n] = np.nan
        c["whistled_h"][first:first + n] = np.nan
        c["accepted_h"][first:first + n] = np.nan
        self.n += n
        return first

    def record_closures(self, closed: list[tuple]) -> None:
        if not closed:
            return
        rows = list(zip(*closed))
        ids = np.fromiter(rows[0], dtype=np.int64, count=len(closed))
        for name, values in zip(CLOSE_COLUMNS, rows[1:]):
            self.columns[name][ids] = values
        closed.clear()

    def _grow(self, capacity: int) -> None:
        for name, column in self.columns.items():
            grown = np.empty(capacity, column.dtype)
            grown[: self.n] = column[: self.n]
            self.columns[name] = grown

    def finished(self) -> dict[str, np.ndarray]:
        """Hand the columns over, trimmed to the cases logged; the log is empty afterwards."""
        # Trim one column at a time, dropping the full-capacity one as we go: peak memory is the
        # log plus one column, not two copies of the log.
        out = {}
        for name in list(self.columns):
            column = self.columns.pop(name)
            out[name] = column if len(column) == self.n else column[: self.n].copy()
            del column
        for name in ("started_h", "whistled_h", "accepted_h"):
            out[name][out[name] == NOT_YET] = np.nan
        return out


class District:
    """The wiring of one replication."""

    def __init__(self, scenario: Scenario, seed: int, replication: int):
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.streams = Streams(seed, replication)
        self.territory = build_territory(scenario.territory, self.streams)
        self.env = simpy.Environment()
        self.window = (scenario.warm_up_days * 24.0, scenario.horizon_days * 24.0)
        self.end_h = (scenario.horizon_days + scenario.drain_days) * 24.0
        self.source = CaseSource(scenario, self.territory, self.streams)
        expected = int(self.source.expected_per_day() * scenario.horizon_days * 1.1) + 1024
        self.log = CaseColumns(expected)
        self.handling = self._build_handling()
        self.calendars = {
            "grid_worker": Calendar(scenario.workforce.grid_worker_hours),
            "community_worker": Calendar(scenario.workforce.community_worker_hours),
        }
        self.department_calendars = [Calendar(d.hours) for d in scenario.departments.values()]
        self.mechanisms = Mechanisms(self)  # issue 7 (sim/mechanisms.py); inert when every mechanism is off
        self._build_stations()
        self.series: dict[str, list] = {name: [] for name in (
            "t_h", "backlog", "queued_grid", "queued_community", "queued_department",
            "on_duty_grid_worker", "on_duty_community_worker", "on_duty_department_staff", "grid_workers")}
        self.community_workers_total = self.territory.n_communities * scenario.workforce.community_workers_per_community
        self.dynamics = Dynamics(self)  # issue 3: attrition, succession, reserve pool, splitting (off by default)

    def _build_handling(self) -> Handling:
        s = self.scenario
        categories = list(s.cases.categories.values())
        return Handling(
            self.env,
            p_escalate_grid=[c.escalation_probability.grid for c in categories],
            p_escalate_community=[c.escalation_probability.community for c in categories],
            resolution_deadline_h=[
                c.resolution_deadline_h if c.resolution_deadline_h is not None else s.dispatch.resolution_deadline_h
                for c in categories
            ],
            acceptance_deadline_h=s.dispatch.acceptance_deadline_h,
            reopen_probability=s.cases.reopen_probability,
            reopen_delay_h=s.cases.reopen_delay_h,
            rework_share=s.cases.rework_share,
            window=self.window,
        )

    def _build_stations(self) -> None:
        s, h = self.scenario, self.handling
        discipline = s.dispatch.queue_discipline
        wf = s.workforce
        community_stations = [
            Station(COMMUNITY, c, discipline, self.calendars["community_worker"], self.mechanisms.community_case_time_share)
            for c in range(self.territory.n_communities)
        ]
        h.community_station_of_grid = [community_stations[c] for c in self.territory.grid_community.tolist()]
        h.department_stations = [
            Station(DEPARTMENT, d, discipline, calendar, 1.0) for d, calendar in enumerate(self.department_calendars)
        ]
        for station, staff in zip(community_stations, self._community_staff()):
            h.staff(station, int(staff))
        for station, department in zip(h.department_stations, s.departments.values()):
            h.staff(station, department.staff)
        self.grid_workers: list[Worker] = []
        self._staff_grid_posts(wf.grid_workers)

    def _community_staff(self) -> np.ndarray:
        """Community workers per community: equal, or the same total shared by case load (households)."""
        wf, n = self.scenario.workforce, self.territory.n_communities
        if wf.community_worker_allocation == "per_community":
            return np.full(n, wf.community_workers_per_community)
        load = np.bincount(self.territory.grid_community, weights=self.territory.grid_load, minlength=n)
        return allocate(wf.community_workers_per_community * n, load, minimum=1)

    def _staff_grid_posts(self, head_count: int) -> None:
        post_of_grid, per_post = assign_posts(self.territory.grid_load, head_count)
        stations = [
            Station(GRID, i, self.scenario.dispatch.queue_discipline,
                    self.mechanisms.grid_post_calendar(i, len(per_post), self.calendars["grid_worker"]),
                    self.mechanisms.grid_case_time_share)
            for i in range(len(per_post))
        ]
        self.grid_workers += [Worker(self.handling, stations[0]) for _ in range(head_count - len(self.grid_workers))]
        self.handling.reassign_grid_posts(stations, post_of_grid.tolist(), self.grid_workers, per_post)
        self.mechanisms.grid_posts_staffed(self.env.now, stations, per_post)

    # -- processes ----------------------------------------------------------------------------

    def _arrivals(self):
        """Draw a week of cases at a time; each arrival schedules the next, so the event heap stays small."""
        env, s = self.env, self.scenario
        arrive = self.handling.arrive
        pending = iter(())

        def on_arrival(event):
            arrive(event.value)
            upcoming = next(pending, None)
            if upcoming is not None:
                Timeout(env, upcoming[0] - env.now, upcoming[1]).callbacks.append(on_arrival)

        for start_day in range(0, s.horizon_days, ARRIVAL_BLOCK_DAYS):
            days = min(ARRIVAL_BLOCK_DAYS, s.horizon_days - start_day)
            block = self.source.block(start_day, days)
            first = self.log.add_block(block)
            cases = [
                [first + i, due, grid, category, level, 0, 0, w0, w1, w2, e0, e1, reopen,
                 False, False, NOT_YET, NOT_YET, NOT_YET, department]
                for i, (due, grid, category, level, w0, w1, w2, e0, e1, reopen, department) in enumerate(zip(
                    block.due.tolist(), block.grid.tolist(), block.category.tolist(), block.level.tolist(),
                    *block.work.T.tolist(), *block.u_escalate.T.tolist(), block.u_reopen.tolist(),
                    block.department.tolist(),
                ))
            ]
            pending = zip(block.time.tolist(), cases)
            upcoming = next(pending, None)
            if upcoming is not None:
                Timeout(env, upcoming[0] - env.now, upcoming[1]).callbacks.append(on_arrival)
            yield env.timeout((start_day + days) * 24.0 - env.now)

    def _hiring(self):
        for batch in sorted(self.scenario.workforce.hiring_batches, key=lambda b: b.start_day):
            delay = batch.start_day * 24.0 - self.env.now
            if delay > 0:
                yield self.env.timeout(delay)
            self._staff_grid_posts(len(self.grid_workers) + batch.size)

    def _monitor(self):
        env, h, series = self.env, self.handling, self.series
        department_staff = [d.staff for d in self.scenario.departments.values()]
        grid_calendar, community_calendar = self.calendars["grid_worker"], self.calendars["community_worker"]
        while True:
            t = env.now
            head = len(self.grid_workers)
            for name, value in (
                ("t_h", t), ("backlog", h.open_cases), ("queued_grid", h.queued[GRID]),
                ("queued_community", h.queued[COMMUNITY]), ("queued_department", h.queued[DEPARTMENT]),
                ("on_duty_grid_worker", self.mechanisms.grid_on_duty(t, head, grid_calendar)),
                ("on_duty_community_worker", self.community_workers_total * community_calendar.on_shift(t)),
                ("on_duty_department_staff", sum(n for n, c in zip(department_staff, self.department_calendars) if c.on_shift(t))),
                ("grid_workers", head),
            ):
                series[name].append(value)
            if len(h.closed) > 50_000:
                self.log.record_closures(h.closed)
            yield env.timeout(MONITOR_STEP_H)

    # -- run ------------------------------------------------------------------------------------

    def run(self) -> RawRun:
        env = self.env
        env.process(self._arrivals())
        if not self.dynamics.replaces_hiring:
            env.process(self._hiring())
        self.dynamics.start()
        env.process(self._monitor())
        self.mechanisms.start()
        with collector_paused():
            env.run(until=self.end_h)
        self.log.record_closures(self.handling.closed)
        people = self.dynamics.finish()
        return RawRun(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            territory=self.territory,
            cases=self.log.finished(),
            timeseries={name: np.asarray(values) for name, values in self.series.items()} | people.pop("series"),
            busy_h=dict(zip(ROLES, self.handling.busy_h)),
            shift_h=self.mechanisms.shift_hours(self._shift_hours(), self.window),
            grid_worker_days=self._grid_worker_days(),
            window_h=self.window,
            end_h=self.end_h,
            stats={"open_at_end": float(self.handling.open_cases)},
            extensions=self.mechanisms.results(),
            people=people,
        )

    def _grid_segments(self) -> list[tuple[float, float, int]]:
        if self.dynamics.replaces_hiring:
            return self.dynamics.grid_segments(self.end_h)
        wf = self.scenario.workforce
        return grid_head_count_segments(
            wf.grid_workers, [(b.start_day * 24.0, b.size) for b in wf.hiring_batches], self.end_h
        )

    def _shift_hours(self) -> dict[str, float]:
        """Working hours of each role inside the measurement window."""
        a, b = self.window
        grid_calendar = self.calendars["grid_worker"]
        grid = sum(head * grid_calendar.hours_between(max(a, s), min(b, e)) for s, e, head in self._grid_segments())
        community_calendar = self.calendars["community_worker"]
        community = sum(
            head * community_calendar.hours_between(max(a, s), min(b, e))
            for s, e, head in self.dynamics.community_worker_segments(self.end_h)
        )
        department = sum(
            d.staff * c.hours_between(a, b) for d, c in zip(self.scenario.departments.values(), self.department_calendars)
        )
        return dict(zip(ROLES, (grid, community, department)))

    def _grid_worker_days(self) -> float:
        a, b = self.window
        return sum(head * max(0.0, min(b, e) - max(a, s)) / 24.0 for s, e, head in self._grid_segments())


def run_replication(scenario: Scenario, seed: int, replication: int = 0) -> RawRun:
    """Simulate one replication of a scenario and return its raw columns."""
    return District(scenario, seed, replication).run()
