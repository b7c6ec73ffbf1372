"""Working calendars: the full model reduced to a queue whose servers work shifts, judged by Ciw.

The reduction is `validation.mmc_scenario` (one grid, C grid workers, Poisson arrivals at a
constant rate round the clock, exponential work, FIFO, no deadlines, no escalation, no
reopening) with the grid workers on a weekly calendar instead of round the clock. Ciw, an
independent discrete-event queueing library, simulates the same queue: C servers present only
on shift (a server off shift starts nothing), and `preemption="resume"`, so a job in service at
the end of a shift is interrupted and resumes its remaining work at the next shift.

What Ciw does at a shift end (read from ciw/node.py, 3.2): every server leaves; each job in
service goes to an interrupted list with `time_left` = the rest of its service; at the next shift
new servers take the interrupted jobs first, oldest arrival first, for exactly their time_left,
then the waiting queue. All C servers share one calendar and are identical, and under FIFO every
job in service arrived before every waiting one, so this is the model's rule (the same worker
resumes the case at the next shift; the others take waiting cases in queue order). Ciw writes an
"interrupted service" record for the part before the interruption and restarts
`service_start_date` at the resumption, so a job's wait is measured to its *first* service
start, as in the model (`started_h`). The two-shift calendar is given to Ciw as two shifts: at
15:00 every job is interrupted and resumed at once by the new shift's servers, which changes
nothing.

Both start empty on Monday 00:00 and measure the cases arriving in the same window of whole
weeks after a two-week warm-up (at these loads the Monday backlog is cleared by midweek, so a
week hardly remembers the one before), so they estimate the same quantities. Each measure (mean
wait, P(wait > 0), share waiting over 2 h) is averaged per replication; Welch's t-test compares
the two samples of replication means at a strict level. The old rule (an idle worker off shift
committed to a case at once, and the case counted as started on arrival) fails them: in office
hours with 3 workers P(wait > 0) was 0.80 against Ciw's 0.89, the mean wait 18.1 h against 20.3 h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import ciw
import numpy as np
import pytest
from scipy import stats

from sim.experiment.executors import run_tasks
from sim.experiment.validation import mmc_scenario
from sim.mechanisms import run_replication
from sim.params import Scenario

WEEK_H = 168.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]
LIMIT_H = 2.0  # the 'waited too long' limit, like a 2-hour acceptance deadline
ALPHA = 0.001  # two-sided level of each Welch test: a failure is a bias, not bad luck
WARM_UP_WEEKS = 2
WEEKS = 20  # measured per replication, after the warm-up
# Simulated after the window, so every case of the window has closed: the model logs started_h of
# closed cases only (after one week, 1 in 600,000 four-hour cases was still in service).
DRAIN_WEEKS = 2
REPLICATIONS = 40


@dataclass(frozen=True)
class Setting:
    """One queue: C servers on a weekly calendar of shifts (days, start_h, end_h), rates per hour."""

    name: str
    servers: int
    arrival_rate: float
    service_rate: float
    shifts: tuple[tuple[tuple[str, ...], float, float], ...]

    def weekly_shifts(self) -> list[tuple[float, float]]:
        """The shifts as (start, end) hours since Monday 00:00, in order (adjacent shifts kept apart)."""
        return sorted((DAYS.index(d) * 24 + s, DAYS.index(d) * 24 + e) for days, s, e in self.shifts for d in days)

    def on_shift_share(self) -> float:
        return sum(e - s for s, e in self.weekly_shifts()) / WEEK_H

    def utilisation(self) -> float:
        """Arrivals over the capacity averaged over the week."""
        return self.arrival_rate / (self.servers * self.service_rate * self.on_shift_share())


OFFICE = ((WEEKDAYS, 8.5, 17.5),)  # 08:30-17:30 Monday to Friday: 45 h of 168
TWO_SHIFTS = ((DAYS, 7.0, 15.0), (DAYS, 15.0, 23.0))  # 07:00-15:00 and 15:00-23:00 every day: 112 h

SETTINGS = [
    Setting("office-c3-1h", servers=3, arrival_rate=0.55, service_rate=1.0, shifts=OFFICE),  # rho 0.68
    Setting("two-shifts-c2-1h", servers=2, arrival_rate=1.0, service_rate=1.0, shifts=TWO_SHIFTS),  # rho 0.75
    # rho 0.67; 4-hour jobs in 9-hour shifts, so many are cut off by a shift end and resumed
    Setting("office-c4-4h", servers=4, arrival_rate=0.18, service_rate=0.25, shifts=OFFICE),
]
IDS = [s.name for s in SETTINGS]


# -- the two simulators --------------------------------------------------------------------------


def gridgov_scenario(setting: Setting) -> Scenario:
    """The M/M/c reduction with the grid workers on the setting's calendar."""
    horizon_days, warm_up_days = 7 * (WARM_UP_WEEKS + WEEKS), 7 * WARM_UP_WEEKS
    reduction = mmc_scenario(setting.servers, setting.arrival_rate, setting.service_rate, horizon_days, warm_up_days)
    dump = reduction.model_dump()
    dump["drain_days"] = 7 * DRAIN_WEEKS
    dump["workforce"]["grid_worker_hours"] = [
        {"days": list(days), "start_h": start, "end_h": end} for days, start, end in setting.shifts
    ]
    return Scenario.model_validate(dump)


def gridgov_replication(setting: Setting, replication: int) -> dict:
    """One replication of the model: the waits' measures, and the hourly queue count for Little's law."""
    raw = run_replication(gridgov_scenario(setting), seed=2024, replication=replication)
    start, end = raw.window_h
    assert (start, end) == (WARM_UP_WEEKS * WEEK_H, (WARM_UP_WEEKS + WEEKS) * WEEK_H)
    arrived = raw.cases["arrived_h"]
    window = (arrived >= start) & (arrived < end)
    t, queued = raw.timeseries["t_h"], raw.timeseries["queued_grid"]
    sampled = (t >= start) & (t < end)  # the model's own count of waiting cases, every hour
    return summarise(setting, arrived[window], raw.cases["started_h"][window]) | {
        "time_average_waiting": float(queued[sampled].mean()),
        "arrival_rate_seen": float(window.sum() / (end - start)),
    }


def ciw_schedule(setting: Setting) -> ciw.Schedule:
    """Servers on shift, none off shift, repeating weekly; a job cut off by a shift end resumes."""
    numbers, ends, t = [], [], 0.0
    for start, end in setting.weekly_shifts():
        if start > t:
            numbers.append(0)
            ends.append(start)
        numbers.append(setting.servers)
        ends.append(end)
        t = end
    if t < WEEK_H:
        numbers.append(0)
        ends.append(WEEK_H)
    return ciw.Schedule(numbers_of_servers=numbers, shift_end_dates=ends, preemption="resume")


def ciw_replication(setting: Setting, replication: int, schedule: ciw.Schedule | None = None) -> dict:
    """One replication of the same queue in Ciw; a job's wait runs to its first service start."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=setting.arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=setting.service_rate)],
        number_of_servers=[schedule or ciw_schedule(setting)],
    )
    ciw.seed(100_000 + replication)
    simulation = ciw.Simulation(network)
    start, end = WARM_UP_WEEKS * WEEK_H, (WARM_UP_WEEKS + WEEKS) * WEEK_H
    simulation.simulate_until_max_time(end + DRAIN_WEEKS * WEEK_H)
    arrived, first_start = {}, {}
    for record in simulation.get_all_records():
        if record.record_type in ("service", "interrupted service"):
            i = record.id_number
            arrived[i] = record.arrival_date
            first_start[i] = min(first_start.get(i, math.inf), record.service_start_date)
    for individual in simulation.nodes[1].all_individuals:  # still there at the end: in service or waiting
        if individual.arrival_date < end:
            started = individual.service_start_date
            assert started is not False or individual.interrupted, "a case of the window never started"
            arrived.setdefault(individual.id_number, individual.arrival_date)
            if started is not False:
                first_start[individual.id_number] = min(first_start.get(individual.id_number, math.inf), started)
    ids = [i for i, a in arrived.items() if start <= a < end]
    return summarise(setting, np.array([arrived[i] for i in ids]), np.array([first_start[i] for i in ids]))


def summarise(setting: Setting, arrived: np.ndarray, started: np.ndarray) -> dict:
    """One replication's measures over the cases that arrived in the window."""
    assert np.all(np.isfinite(started)), "a case of the window was not closed by the end: lengthen DRAIN_WEEKS"
    wait = started - arrived
    off = off_shift_wait_floor(setting, arrived)
    return {
        "mean_wait_h": float(wait.mean()),
        "p_wait": float((wait > 0).mean()),
        "p_wait_over_limit": float((wait > LIMIT_H).mean()),
        "cases": len(wait),
        "off_shift_started_early": int(np.sum(wait[off > 0] < off[off > 0] - 1e-9)),
        "off_shift_cases": int(np.sum(off > 0)),
    }


def off_shift_wait_floor(setting: Setting, arrived: np.ndarray) -> np.ndarray:
    """For a case arriving off shift, the time to the next shift start; 0 for one arriving on shift."""
    shifts = setting.weekly_shifts()
    starts = np.array([s for s, _ in shifts] + [s + WEEK_H for s, _ in shifts])
    week_start = np.floor(arrived / WEEK_H) * WEEK_H
    r = arrived - week_start
    on = np.zeros(len(arrived), dtype=bool)
    for s, e in shifts:
        on |= (r >= s) & (r < e)
    next_start = starts[np.searchsorted(starts, r, side="right")]
    return np.where(on, 0.0, next_start - r)


def _replicate(task: tuple[str, Setting, int]) -> dict:
    simulator, setting, replication = task
    return (gridgov_replication if simulator == "gridgov" else ciw_replication)(setting, replication)


@cache
def runs(setting: Setting) -> tuple[list[dict], list[dict]]:
    """REPLICATIONS replications of each simulator, on two processes."""
    tasks = [(sim, setting, r) for sim in ("gridgov", "ciw") for r in range(REPLICATIONS)]
    results = run_tasks(tasks, _replicate, jobs=2)
    return results[:REPLICATIONS], results[REPLICATIONS:]


# -- comparing samples of replication means ------------------------------------------------------


def interval(values: np.ndarray) -> str:
    mean, half = values.mean(), stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return f"{mean:.4f} [{mean - half:.4f}, {mean + half:.4f}]"


def assert_same(setting: Setting, measure: str) -> None:
    model, judge = (np.array([r[measure] for r in rs]) for rs in runs(setting))
    p = stats.ttest_ind(model, judge, equal_var=False).pvalue
    assert p > ALPHA, f"{setting.name} {measure}: gridgov {interval(model)} vs Ciw {interval(judge)}, Welch p = {p:.2g}"


# -- the settings are what they claim ------------------------------------------------------------


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_setting_is_below_capacity_averaged_over_the_week(setting):
    assert 0.6 <= setting.utilisation() <= 0.8


# -- the judge is right where theory knows the answer --------------------------------------------


def test_ciw_round_the_clock_matches_erlang_c():
    # One shift lasting the whole week, so every job in service at the week's end is interrupted
    # and resumed at once: the waits (measured to the first start) must stay those of M/M/c.
    # c = 2, lambda = 0.75, mu = 0.5 (rates, not means): P(wait) = 9/14, mean wait = 18/7 h.
    setting = Setting("round-the-clock-c2", servers=2, arrival_rate=0.75, service_rate=0.5, shifts=((DAYS, 0.0, 24.0),))
    schedule = ciw.Schedule(numbers_of_servers=[2], shift_end_dates=[WEEK_H], preemption="resume")
    results = [ciw_replication(setting, r, schedule) for r in range(12)]
    for measure, exact in (("p_wait", 9 / 14), ("mean_wait_h", 18 / 7)):
        values = np.array([r[measure] for r in results])
        p = stats.ttest_1samp(values, exact).pvalue
        assert p > ALPHA, f"{measure}: Ciw {interval(values)} vs Erlang C {exact:.4f}, p = {p:.2g}"


@pytest.mark.parametrize("simulator", ["gridgov", "ciw"])
@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_a_case_arriving_off_shift_waits_at_least_until_the_next_shift_starts(setting, simulator):
    results = runs(setting)[0 if simulator == "gridgov" else 1]
    assert sum(r["off_shift_cases"] for r in results) > 0
    assert sum(r["off_shift_started_early"] for r in results) == 0


# -- the model agrees with Ciw -------------------------------------------------------------------


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_mean_wait_matches_ciw(setting):
    assert_same(setting, "mean_wait_h")


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_probability_of_waiting_matches_ciw(setting):
    assert_same(setting, "p_wait")


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_share_waiting_over_the_limit_matches_ciw(setting):
    assert_same(setting, "p_wait_over_limit")


# -- Little's law in the model's own run ---------------------------------------------------------


@pytest.mark.parametrize("setting", SETTINGS, ids=IDS)
def test_time_average_number_waiting_is_arrival_rate_times_mean_wait(setting):
    # L (the model's hourly count of queued cases, averaged over the window) = lambda W, with
    # lambda the arrivals seen in the window and W their mean wait; pooled over replications.
    # Cases straddling the window's edges and hourly sampling leave well under 2 %.
    model, _ = runs(setting)
    waiting = sum(r["time_average_waiting"] for r in model)
    little = sum(r["arrival_rate_seen"] * r["mean_wait_h"] for r in model)
    assert waiting == pytest.approx(little, rel=0.02)
