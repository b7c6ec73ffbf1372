"""Working calendars in handling: a worker off shift never commits to a case; at the shift start the
waiting cases are taken in queue order (defect: an idle worker used to take a case at any hour)."""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.core.calendar import Calendar
from sim.core.case import Case
from sim.core.handling import Handling
from sim.core.hooks import Hooks
from sim.core.stations import StationFactory
from sim.mechanisms import run_replication
from sim.params.calendar import office_hours

from .conftest import small_scenario

MONDAY_SHIFT_START = 8.5


def one_station(discipline: str, workers: int = 1, work_h: float = 1.0):
    env, hooks = simpy.Environment(), Hooks()
    calendar = Calendar(office_hours())
    handling = Handling(env, hooks, resolution_deadline_h=[24.0],
                        reopen_probability=0.0, reopen_delay_h=0.0, rework_share=1.0, window=(0.0, 1e9))
    factory = StationFactory(discipline, {"grid_worker": calendar, "community_worker": calendar}, [], {},
                             post_calendar=hooks.post_calendar, case_time_share=hooks.case_time_share)
    station = factory.grid_posts(1)[0]
    handling.grid_station_of = [station]
    handling.staff(station, workers)
    started: list[tuple[int, float]] = []
    original = handling.start

    def record(worker, case):
        started.append((case.id, env.now))
        original(worker, case)

    handling.start = record

    def case(case_id: int, due: float) -> Case:
        return Case(case_id, due, 0, 0, 0, (work_h, work_h, work_h), 0, 1.0, 0)  # never escalates

    return env, handling, calendar, case, started


def arrive_at(env, handling, t: float, case: Case) -> None:
    env.timeout(t).callbacks.append(lambda event: handling.arrive(case))


def test_a_case_arriving_at_night_starts_when_the_shift_begins():
    env, handling, calendar, case, started = one_station("fifo")
    arrive_at(env, handling, 2.0, case(1, math.inf))
    env.timeout(MONDAY_SHIFT_START).callbacks.append(lambda event: handling.shift_begins(calendar))
    env.run(until=20)
    assert started == [(1, MONDAY_SHIFT_START)]


def test_at_the_shift_start_earliest_deadline_first_serves_the_earlier_due_case_first():
    env, handling, calendar, case, started = one_station("edf")
    arrive_at(env, handling, 1.0, case(1, due=100.0))
    arrive_at(env, handling, 2.0, case(2, due=50.0))  # arrives later overnight, due sooner
    env.timeout(MONDAY_SHIFT_START).callbacks.append(lambda event: handling.shift_begins(calendar))
    env.run(until=20)
    assert [case_id for case_id, _ in started] == [2, 1]
    assert started[0][1] == MONDAY_SHIFT_START and started[1][1] == MONDAY_SHIFT_START + 1.0


def test_a_worker_who_finishes_at_the_end_of_the_shift_takes_the_next_case_at_the_next_shift():
    env, handling, calendar, case, started = one_station("fifo", work_h=9.0)  # a whole shift
    arrive_at(env, handling, 8.5, case(1, math.inf))
    arrive_at(env, handling, 9.0, case(2, math.inf))
    env.timeout(24 + MONDAY_SHIFT_START).callbacks.append(lambda event: handling.shift_begins(calendar))
    env.run(until=60)
    assert started == [(1, 8.5), (2, 24 + MONDAY_SHIFT_START)]


def test_in_the_full_model_no_case_starts_outside_its_grid_workers_hours():
    raw = run_replication(small_scenario(), seed=3)  # grid workers on office hours
    calendar = Calendar(office_hours())
    at_grid = (raw.cases["initial_level"] == 0) & ~np.isnan(raw.cases["started_h"])
    started = raw.cases["started_h"][at_grid]
    shift_start = np.array([calendar.next_start(t - 1e-9) for t in started])
    on_shift = np.array([calendar.on_shift(t) for t in started]) | np.isclose(started, shift_start)
    assert on_shift.all()
