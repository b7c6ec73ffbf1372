"""One replication of a district: builds the SimPy environment and its mechanisms, runs it, returns raw columns.

The arrival process draws a week of cases at a time (`arrivals.CaseSource`) and feeds them to the
environment (`engine.Engine.feed`: no event per arrival, each ordered as its Timeout would be);
handling (`handling.Handling`) moves cases through grid posts, community stations and department
teams. Hiring batches add grid workers
(`workforce.GridWorkforce`), who re-share the grids. A monitor samples the backlog and the
staff on duty every hour. The mechanisms given (classes on the `hooks.Mechanism` protocol) are
built, attached and started here; the core never imports one. The case log is kept in columnar
numpy arrays and handed back as such: no file I/O, no printing, no pandas.

Time: hours since Monday 00:00 of day 0. Arrivals run for `horizon_days`; the model then runs
`drain_days` more without new arrivals, so the cases of the measurement window
[warm_up_days, horizon_days) close and their times are known.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..params import Scenario
from ..params.calendar import weekly_intervals
from ..units import DAYS_PER_YEAR, HOURS_PER_DAY, HOURS_PER_WEEK, HOURS_PER_YEAR
from .arrivals import CaseSource
from .calendar import Calendar
from .case import arrivals_of_block
from .engine import Engine
from .handling import Handling
from .hooks import Hooks, Mechanism
from .log import CaseColumns
from .stations import COMMUNITY, DEPARTMENT, GRID, ROLES, Station, StationFactory
from .steps import segments, step_at
from .streams import Streams
from .territory import Territory, allocate, build_territory
from .workforce import GridWorkforce

ARRIVAL_BLOCK_DAYS = 7
MONITOR_STEP_H = 1.0
CLOSURES_KEPT = 4096  # closure records held before the monitor writes them to the log (a few hours' worth)


@dataclass
class RawRun:
    """What one replication produces, before any table or KPI is made of it."""

    scenario: Scenario
    seed: int
    replication: int
    territory: Territory  # at the end of the run (after any split)
    cases: dict[str, np.ndarray]
    timeseries: dict[str, np.ndarray]
    busy_h: dict[str, float]
    shift_h: dict[str, float]
    grid_worker_days: float
    window_h: tuple[float, float]
    end_h: float
    workforce: dict[str, float] = field(default_factory=dict)  # grid posts vacant, grids uncovered, departures
    volumes: dict[str, float] = field(default_factory=dict)  # person- and community-years in the window (for costs)
    extensions: dict[str, dict] = field(default_factory=dict)  # mechanism name -> its results()
    stats: dict[str, float] = field(default_factory=dict)


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while the simulation runs.

    Each week's arrivals are tens of thousands of case records created at once, and the events,
    queue entries and closure records of a district-year number in the millions: allocations that
    trigger collection after collection, each walking every live object (the open cases, the
    pending week and the hundred thousand objects numpy, pandas, scipy and pydantic keep). Those
    collections took a quarter to a half of the run time. The hot path creates no reference
    cycles per case (cases are small records, events are freed once processed; the only cycle
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


class District:
    """The wiring of one replication."""

    def __init__(self, scenario: Scenario, seed: int, replication: int, mechanisms: Iterable[type[Mechanism]] = ()):
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.streams = Streams(seed, replication)
        self.territory = build_territory(scenario.territory, self.streams)
        self.env = Engine()
        self.window = (scenario.warm_up_days * HOURS_PER_DAY, scenario.horizon_days * HOURS_PER_DAY)
        self.end_h = (scenario.horizon_days + scenario.drain_days) * HOURS_PER_DAY
        self.source = CaseSource(scenario, self.territory, self.streams)
        expected = int(self.source.expected_per_day() * scenario.horizon_days * 1.1) + 1024
        self.log = CaseColumns(expected)
        self.hooks = Hooks()
        self.handling = self._build_handling()
        wf = scenario.workforce
        self.calendars = {"grid_worker": Calendar(wf.grid_worker_hours),
                          "community_worker": Calendar(wf.community_worker_hours)}
        self.department_calendars = [Calendar(d.hours) for d in scenario.departments.values()]
        self.mechanisms = [cls(self) for cls in mechanisms if cls.applies(scenario)]
        for mechanism in self.mechanisms:
            mechanism.attach(self.hooks)
        self.stations = StationFactory(
            scenario.dispatch.queue_discipline, self.calendars, self.department_calendars,
            {GRID: wf.grid_case_time_share, COMMUNITY: wf.community_case_time_share},
            post_calendar=self.hooks.post_calendar, case_time_share=self.hooks.case_time_share,
            expected_work=self._expected_work, start_slack_h=scenario.dispatch.start_slack_h,
            paced_roles=self._paced_roles())
        self.series: dict[str, list] = {name: [] for name in (
            "t_h", "backlog", "queued_grid", "queued_community", "queued_department",
            "on_duty_grid_worker", "on_duty_community_worker", "on_duty_department_staff", "grid_workers")}
        self.community_stations: list[Station] = []
        self.community_log: list[tuple[float, int]] = [(0.0, self.territory.n_communities)]
        self.community_workers_total = self.territory.n_communities * wf.community_workers_per_community
        self._build_stations()
        self.grid_workforce = GridWorkforce(
            self.env, self.handling, self.stations, self.hooks, self.territory.grid_load,
            cover_vacancies=scenario.grid_staffing.vacant_grids == "neighbours")
        self.grid_workforce.hire(wf.grid_workers)

    def _build_handling(self) -> Handling:
        s = self.scenario
        categories = list(s.cases.categories.values())
        return Handling(
            self.env,
            self.hooks,
            resolution_deadline_h=[
                c.resolution_deadline_h if c.resolution_deadline_h is not None else s.dispatch.resolution_deadline_h
                for c in categories
            ],
            reopen_probability=s.cases.reopen_probability,
            reopen_delay_h=s.cases.reopen_delay_h,
            rework_share=s.cases.rework_share,
            window=self.window,
        )

    def _paced_roles(self) -> frozenset[int]:
        """The roles whose stations pace their work by slack: departments, and grid and community when they respond."""
        response = self.scenario.deadline_response
        levels = set(response.levels) if response.enabled else set()
        return frozenset({DEPARTMENT} | {role for level, role in (("grid", GRID), ("community", COMMUNITY))
                                         if level in levels})

    def _expected_work(self, role: int, index: int) -> list[float]:
        """Mean work of each case category at a station (what least slack first expects a case to need)."""
        categories = self.scenario.cases.categories.values()
        if role == GRID:
            return [c.work.grid.mean_h for c in categories]
        if role == COMMUNITY:
            return [c.work.community.mean_h for c in categories]
        if role == DEPARTMENT:
            department = self.scenario.department_names()[index]
            return [c.work_at(department).mean_h for c in categories]
        return [0.0 for _ in categories]  # a mechanism's own station: earliest due first

    def _build_stations(self) -> None:
        h = self.handling
        self.community_stations = [self.stations.community(c) for c in range(self.territory.n_communities)]
        h.community_station_of_grid = [self.community_stations[c] for c in self.territory.grid_community.tolist()]
        h.department_stations = [self.stations.department(d) for d in range(len(self.department_calendars))]
        for station, staff in zip(self.community_stations, self._community_staff(), strict=True):
            h.staff(station, int(staff))
        self.department_workers = [h.staff(station, department.staff) for station, department in
                                   zip(h.department_stations, self.scenario.departments.values(), strict=True)]

    def department_duty(self) -> list[tuple[int, int, Calendar]]:
        """(department, head count, calendar) of every block of departments' hours with a head count of its own."""
        duty = []
        for d, (department, calendar) in enumerate(zip(self.scenario.departments.values(), self.department_calendars,
                                                       strict=True)):
            if department.block_staff is None:
                duty.append((d, department.staff, calendar))
            else:
                duty += [(d, n, Calendar([block])) for block, n in zip(department.hours, department.block_staff,
                                                                      strict=True)]
        return duty

    def _department_blocks(self):
        """Departments with a head count by block: at each block's start, that many on duty (the rest leave after
        the case in hand)."""
        env = self.env
        changes = sorted((start, d, n) for d, department in enumerate(self.scenario.departments.values())
                         if department.block_staff is not None
                         for block, n in zip(department.hours, department.block_staff, strict=True)
                         for start, _ in weekly_intervals([block]))
        for d in {d for _, d, _ in changes}:  # before the first start of the week: the week's last block goes on
            self._on_duty(d, [n for _, e, n in changes if e == d][-1])
        week = 0
        while True:
            for start, d, n in changes:
                at = week * HOURS_PER_WEEK + start
                if at > env.now:
                    yield env.timeout(at - env.now)
                self._on_duty(d, n)
            week += 1

    def _on_duty(self, department: int, n: int) -> None:
        h = self.handling
        station, workers = h.department_stations[department], self.department_workers[department]
        if n > len(workers):
            workers += h.staff(station, n - len(workers))
            return
        leaving = sorted(workers, key=lambda w: w.case is not None)[:len(workers) - n]  # idle ones first
        for worker in leaving:
            worker.active = False
            if worker in station.idle:
                station.idle.remove(worker)
            workers.remove(worker)
        station.workers -= len(leaving)

    def _community_staff(self) -> np.ndarray:
        """Community workers per community: equal, or the same total shared by case load (households)."""
        wf, n = self.scenario.workforce, self.territory.n_communities
        if wf.community_worker_allocation == "per_community":
            return np.full(n, wf.community_workers_per_community)
        load = np.bincount(self.territory.grid_community, weights=self.territory.grid_load, minlength=n)
        return allocate(wf.community_workers_per_community * n, load, minimum=1)

    # -- what mechanisms may change -------------------------------------------------------------

    def mechanism(self, name: str) -> Mechanism | None:
        """The running mechanism of that name, if the scenario switched it on."""
        return next((m for m in self.mechanisms if m.name == name), None)

    def redraw_communities(self, after: Territory, parent: np.ndarray) -> list[int]:
        """Communities split (`territory.split_communities`): new stations and staff, queued cases moved.

        Each new community gets its own station and community workers; the cases queued at a
        community that lost grids go to their grid's community now. Returns the new communities.
        """
        before = self.territory
        new = list(range(before.n_communities, after.n_communities))
        if not new:
            return new
        h, wf = self.handling, self.scenario.workforce
        stations = [self.stations.community(c) for c in new]
        self.community_stations += stations
        for hook in self.hooks.communities_added:
            hook(new, parent)
        for station in stations:
            h.staff(station, wf.community_workers_per_community)
        h.community_station_of_grid = [self.community_stations[c] for c in after.grid_community.tolist()]
        moved = []
        for community in sorted(set(parent[new].tolist())):
            moved += self.community_stations[community].queue.drain()
        h.queued[COMMUNITY] -= len(moved)
        h.repost(moved, COMMUNITY)
        self.territory = after
        self.community_workers_total = after.n_communities * wf.community_workers_per_community
        self.community_log.append((self.env.now, after.n_communities))
        return new

    # -- processes ----------------------------------------------------------------------------

    def _arrivals(self):
        """Draw a week of cases at a time and feed them to the handling layer, one arrival waiting at a time."""
        env, s = self.env, self.scenario
        for start_day in range(0, s.horizon_days, ARRIVAL_BLOCK_DAYS):
            days = min(ARRIVAL_BLOCK_DAYS, s.horizon_days - start_day)
            block = self.source.block(start_day, days)
            env.feed(arrivals_of_block(block, self.log.add_block(block)), self.handling.arrive)
            yield env.timeout((start_day + days) * HOURS_PER_DAY - env.now)

    def _hiring(self):
        for batch in sorted(self.scenario.workforce.hiring_batches, key=lambda b: b.start_day):
            delay = batch.start_day * HOURS_PER_DAY - self.env.now
            if delay > 0:
                yield self.env.timeout(delay)
            self.grid_workforce.hire(batch.size, batch.ramp_up_days)

    def _shift_clock(self):
        """At every shift start of every calendar in use, idle workers take the cases that waited for it."""
        env, calendars = self.env, self.stations.in_use
        while True:
            now = env.now
            starts = {calendar: calendar.next_start(now) for calendar in calendars}
            first = min(starts.values(), default=float("inf"))
            if first == float("inf"):
                return
            yield env.timeout(first - now)
            for calendar, start in starts.items():
                if start == first:
                    self.handling.shift_begins(calendar)

    def _monitor(self):
        env, h, series, grid = self.env, self.handling, self.series, self.grid_workforce
        departments = [(n, calendar) for _, n, calendar in self.department_duty()]
        community_calendar = self.calendars["community_worker"]
        while True:
            t = env.now
            for name, value in (
                ("t_h", t), ("backlog", h.open_cases), ("queued_grid", h.queued[GRID]),
                ("queued_community", h.queued[COMMUNITY]), ("queued_department", h.queued[DEPARTMENT]),
                ("on_duty_grid_worker", grid.on_duty(t)),
                ("on_duty_community_worker", self.community_workers_total * community_calendar.on_shift(t)),
                ("on_duty_department_staff", sum(n for n, calendar in departments if calendar.on_shift(t))),
                ("grid_workers", len(grid.present)),
            ):
                series[name].append(value)
            if len(h.closed) > CLOSURES_KEPT:
                self.log.record_closures(h.closed)
            yield env.timeout(MONITOR_STEP_H)

    # -- run ------------------------------------------------------------------------------------

    def run(self) -> RawRun:
        env = self.env
        env.process(self._arrivals())
        env.process(self._hiring())
        env.process(self._shift_clock())
        if any(d.block_staff is not None for d in self.scenario.departments.values()):
            env.process(self._department_blocks())
        for mechanism in self.mechanisms:
            mechanism.start()
        env.process(self._monitor())
        with collector_paused():
            env.run(until=self.end_h)
        self.log.record_closures(self.handling.closed)
        # the cases still open: where they are and what has happened to them (closed_h stays NaN)
        self.log.record_closures([case.closure(math.nan) for case in self.handling.open.values()])
        at = np.asarray(self.series["t_h"], dtype=float)
        series = {name: np.asarray(values) for name, values in self.series.items()} | self._workforce_series(at)
        for mechanism in self.mechanisms:
            series |= mechanism.series(at)
        return RawRun(
            scenario=self.scenario,
            seed=self.seed,
            replication=self.replication,
            territory=self.territory,
            cases=self.log.finished(),
            timeseries=series,
            busy_h=dict(zip(ROLES, self.handling.busy_h[:len(ROLES)], strict=True)),  # mediators report their own
            shift_h=self._shift_hours(),
            grid_worker_days=self.grid_workforce.worker_days(self.window, self.end_h),
            window_h=self.window,
            end_h=self.end_h,
            workforce={**self.grid_workforce.measures(self.window), "communities": float(self.territory.n_communities)},
            volumes=self._volumes(),
            extensions={mechanism.name: mechanism.results() for mechanism in self.mechanisms},
            stats={"open_at_end": float(self.handling.open_cases)},
        )

    def community_segments(self) -> list[tuple[float, float, int]]:
        """Number of communities over time: [(from_h, to_h, communities), ...] over [0, end_h)."""
        return segments([t for t, _ in self.community_log], [n for _, n in self.community_log], self.end_h)

    def _shift_hours(self) -> dict[str, float]:
        """Working hours of each role inside the measurement window."""
        a, b = self.window
        per = self.scenario.workforce.community_workers_per_community
        community_calendar = self.calendars["community_worker"]
        community = sum(n * per * community_calendar.hours_between(max(a, s), min(b, e))
                        for s, e, n in self.community_segments())
        department = sum(n * calendar.hours_between(a, b) for _, n, calendar in self.department_duty())
        grid = self.grid_workforce.shift_hours(self.window, self.end_h)
        return dict(zip(ROLES, (grid, community, department), strict=True))

    def _volumes(self) -> dict[str, float]:
        """The person- and community-years inside the window that the costs are built from."""
        a, b = self.window
        community_years = sum(n * (min(e, b) - max(s, a)) for s, e, n in self.community_segments()
                              if min(e, b) > max(s, a)) / HOURS_PER_YEAR
        return {
            "window_years": (b - a) / HOURS_PER_YEAR,
            "community_years": community_years,
            "grid_worker_years": self.grid_workforce.worker_days(self.window, self.end_h) / DAYS_PER_YEAR,
            "community_worker_years": community_years * self.scenario.workforce.community_workers_per_community,
        }

    def _workforce_series(self, at: np.ndarray) -> dict[str, np.ndarray]:
        log = self.grid_workforce.log
        t = np.asarray(log["t_h"], dtype=float)
        communities = step_at(np.array([t for t, _ in self.community_log]),
                              np.array([n for _, n in self.community_log]), at)
        return {
            "community_workers": communities * self.scenario.workforce.community_workers_per_community,
            "grid_worker_vacancies": step_at(t, np.asarray(log["grid_worker_vacancies"]), at),
            "uncovered_grids": step_at(t, np.asarray(log["uncovered_grids"]), at),
        }


def run_district(scenario: Scenario, seed: int, replication: int = 0,
                 mechanisms: Iterable[type[Mechanism]] = ()) -> RawRun:
    """Simulate one replication of a scenario with the given mechanisms and return its raw columns."""
    return District(scenario, seed, replication, mechanisms).run()
