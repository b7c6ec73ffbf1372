"""Deadlines that act: queue disciplines beside FIFO/EDF, deadlines drawn per case, and the departments'
responses to their time limits (overtime, compression, supervision), each off by default."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.case_log import case_log
from sim.analysis.tables import tables
from sim.core import outcomes
from sim.core.calendar import Calendar
from sim.core.case import Case
from sim.core.district import District
from sim.core.queues import FcfsQueue, FifoQueue, LsfQueue, PacedLsfQueue
from sim.core.stations import DEPARTMENT
from sim.errors import InputError
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS
from sim.mechanisms.deadline_response import DeadlineResponse, time_left
from sim.mechanisms.time_budget import time_use
from sim.params.calendar import office_hours, round_the_clock

from .conftest import small_scenario

ON = ["deadline_response.enabled=true"]
OVERTIME = [*ON, "deadline_response.overtime.enabled=true"]
COMPRESSION = [*ON, "deadline_response.compression.enabled=true"]
SUPERVISION = [*ON, "deadline_response.supervision.enabled=true"]
ALL = [*ON, "deadline_response.overtime.enabled=true", "deadline_response.compression.enabled=true",
       "deadline_response.supervision.enabled=true"]
LEVER_KPIS = {k.name for k in DeadlineResponse.kpis}
ALWAYS = Calendar(round_the_clock())


def case(case_id: int, due: float, category: int = 0) -> Case:
    return Case(case_id, due, grid=0, category=category, level=2, work=(1.0, 1.0, 1.0), escalates=0,
                u_reopen=0.5, department=0)


def served(queue, now: float) -> list[int]:
    ids = []
    while (c := queue.pop(now)) is not None:
        ids.append(c.id)
    return ids


def run(*overrides: str, seed: int = 3):
    district = District(small_scenario(*overrides), seed, 0, MECHANISMS)
    return district, district.run()


# --------------------------------------------------------------------------- queue disciplines


def test_plain_first_come_first_served_lets_overdue_cases_wait_their_turn():
    queue = FcfsQueue()
    for c in (case(1, due=300), case(2, due=10), case(3, due=5)):
        queue.push(c)
    assert served(queue, now=100) == [1, 2, 3]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 500), min_size=1, max_size=30), st.floats(1, 200), st.floats(0, 1_000))
def test_least_slack_on_one_queue_with_equal_deadlines_serves_as_fifo(offsets, limit, now):
    """One category (one expected work) and one time limit: least slack first is first come, first served."""
    joined = sorted(offsets)
    fifo, lsf = FifoQueue(), LsfQueue([2.5], Calendar(round_the_clock()))
    for i, t in enumerate(joined):
        fifo.push(case(i, due=t + limit))
        lsf.push(case(i, due=t + limit))
    assert served(lsf, now) == served(fifo, now)


def test_least_slack_serves_the_case_with_less_time_left_for_its_expected_work_first():
    queue = LsfQueue([1.0, 10.0], ALWAYS)
    queue.push(case(1, due=20, category=0))  # slack 19
    queue.push(case(2, due=25, category=1))  # slack 15
    queue.push(case(3, due=math.inf))
    assert served(queue, now=0) == [2, 1, 3]


def test_least_slack_counts_slack_in_working_hours():
    office = Calendar(office_hours())
    queue = LsfQueue([0.0], office)
    queue.push(case(1, due=24 * 4 + 12))  # Friday noon: 3.5 working hours after Friday 08:30
    queue.push(case(2, due=24 * 7 + 9.5))  # Monday 09:30: 10 working hours from Friday 08:30 (weekend off)
    queue.push(case(3, due=24 * 5 + 12))  # Saturday noon: its slack ends Friday 17:30, before case 2's
    assert served(queue, now=24 * 4 + 8.5) == [1, 3, 2]


def test_a_paced_queue_holds_a_case_until_its_slack_falls_to_the_threshold():
    queue = PacedLsfQueue([2.0], ALWAYS, start_slack_h=5.0)
    queue.push(case(1, due=50))
    assert queue.ready_at() == pytest.approx(43.0)
    assert queue.pop(now=42.9) is None and len(queue) == 1
    assert queue.pop(now=43.0).id == 1


def test_with_pacing_no_department_starts_a_whistled_case_with_more_slack_than_the_threshold():
    district, raw = run("dispatch.queue_discipline=lsf", "dispatch.start_slack_h=6")
    log = raw.cases
    direct = (log["initial_level"] == DEPARTMENT) & ~np.isnan(log["started_h"])
    assert direct.sum() > 50
    calendar = district.department_calendars[0]  # every department keeps office hours in the small district
    departments = district.scenario.department_names()
    expected = {(c, d): cat.work_at(name).mean_h for c, cat in enumerate(district.scenario.cases.categories.values())
                for d, name in enumerate(departments)}
    slack = [calendar.hours_between(s, due) - expected[(int(c), int(d))] if s < due else -1.0
             for s, due, c, d in zip(log["started_h"][direct], log["due_h"][direct], log["category"][direct],
                                     log["department"][direct], strict=True)]
    assert max(slack) <= 6.0 + 1e-6
    assert np.mean(np.asarray(slack) > 5.0) > 0.3  # most are held until the threshold, not later


def test_pacing_needs_the_least_slack_discipline():
    with pytest.raises(InputError, match="start_slack_h"):
        small_scenario("dispatch.start_slack_h=6")


# --------------------------------------------------------------------------- deadlines drawn per case


MIX = "cases.categories.sanitation.deadline_mix=[{deadline_h: 720, share: 0.13}, {deadline_h: 73.5, share: 0.87}]"


def test_a_category_s_deadlines_are_drawn_from_its_mixture_from_a_stream_of_their_own():
    plain, mixed = run()[1].cases, run(MIX)[1].cases
    sanitation = (mixed["category"] == 0) & np.isnan(mixed["whistled_h"])  # a whistle gives the department's limit
    limits = (mixed["due_h"] - mixed["arrived_h"])[sanitation]
    assert set(np.round(limits, 6)) == {720.0, 73.5}
    assert np.mean(np.isclose(limits, 720.0)) == pytest.approx(0.13, abs=0.02)
    np.testing.assert_array_equal(plain["arrived_h"], mixed["arrived_h"])  # the other draws do not move
    np.testing.assert_array_equal(plain["grid"], mixed["grid"])
    others = (mixed["category"] != 0) & (mixed["initial_level"] < DEPARTMENT)
    np.testing.assert_array_equal((plain["due_h"] - plain["arrived_h"])[others & np.isnan(plain["whistled_h"])],
                                  (mixed["due_h"] - mixed["arrived_h"])[others & np.isnan(plain["whistled_h"])])


def test_a_deadline_mixture_must_sum_to_one():
    with pytest.raises(InputError, match="deadline_mix"):
        small_scenario("cases.categories.sanitation.deadline_mix=[{deadline_h: 720, share: 0.5}]")


# --------------------------------------------------------------------------- the responses


def test_with_every_response_off_the_results_are_today_s():
    off = simulate(small_scenario(), seed=3, case_log=False).kpis
    idle = simulate(small_scenario(*ON), seed=3, case_log=False).kpis
    assert {k: v for k, v in idle.items() if k not in LEVER_KPIS} == off
    assert idle["overtime_hours_per_staff_week"] == 0 and idle["supervised_cases"] == 0


PRESSURE = ["dispatch.resolution_deadline_h=24", "deadline_response.overtime.trigger_cases_per_staff=0.1",
            "deadline_response.overtime.trigger_slack_h=48"]


def test_overtime_never_exceeds_the_cap_per_person_and_week():
    district, raw = run(*OVERTIME, *PRESSURE, "deadline_response.overtime.cap_hours_per_staff_week=2",
                        "deadline_response.overtime.share=1")
    staff = [d.staff for d in district.scenario.departments.values()]
    weeks = raw.extensions["deadline_response"]["week_overtime"]
    per_head = [hours / staff[department] for (department, _), hours in weeks.items()]
    assert max(per_head) <= 2.0 + 1e-9
    assert max(per_head) > 1.99  # the cap binds in some week: the test could fail
    assert 0 < DeadlineResponse.measure(raw)["overtime_hours_per_staff_week"] <= 2.0


def test_time_is_conserved_with_overtime():
    district, raw = run(*OVERTIME, *PRESSURE, "patrol.enabled=true", "burden.enabled=true")
    out = raw.extensions["deadline_response"]
    assert out["overtime_h"] > 0
    # the person-hours of department case work are its shift hours on cases plus the overtime
    assert out["case_person_h"] == pytest.approx(raw.busy_h["department_staff"] + out["overtime_h"], rel=1e-9)
    for row in time_use(raw):
        parts = row["cases_h"] + row["patrol_h"] + row["burden_h"] + row["other_h"] + row["idle_h"]
        assert row["shift_h"] + row["overtime_h"] == pytest.approx(parts, rel=1e-12)
        assert row["idle_h"] >= -1e-6 * row["shift_h"]


def test_overtime_makes_departments_faster_at_a_cost():
    plain = simulate(small_scenario(*ON, *PRESSURE), seed=3, case_log=False).kpis
    pressed = simulate(small_scenario(*OVERTIME, *PRESSURE), seed=3, case_log=False).kpis
    assert pressed["department_staff_utilisation"] < plain["department_staff_utilisation"]
    assert pressed["annual_cost_overtime_yuan"] > 0
    assert pressed["annual_cost_yuan"] == pytest.approx(plain["annual_cost_yuan"]
                                                        + pressed["annual_cost_overtime_yuan"], rel=1e-9)


def test_reopen_probability_under_full_compression_equals_its_parameter():
    """A limit of a minute leaves no slack: every department service is fully compressed."""
    _, raw = run(*COMPRESSION, "dispatch.resolution_deadline_h=0.02", "cases.reopen_probability=0",
                 "deadline_response.compression.reopen_probability=0.3", "horizon_days=84", seed=5)
    log = raw.cases
    at_department = outcomes.is_closed(log["closed_h"]) & (log["level"] == DEPARTMENT)
    n = int(at_department.sum())
    share = float(log["reopened"][at_department].mean())
    assert n > 400
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)
    assert not log["reopened"][outcomes.is_closed(log["closed_h"]) & (log["level"] < DEPARTMENT)].any()


@given(st.floats(0, 5 * 8760), st.sampled_from([0.5, 24.0, 48.0, 72.0, 720.0]))
def test_a_case_started_as_it_is_whistled_has_exactly_its_limit_left(arrival, limit):
    """So a limit equal to a response's threshold is never "under the threshold" by a rounding error."""
    assert time_left(arrival + limit, arrival) == limit


def test_compression_shortens_work_and_raises_reopens_only_with_little_slack():
    tight = ["dispatch.resolution_deadline_h=24"]
    plain = simulate(small_scenario(*ON, *tight), seed=3, case_log=False).kpis
    pressed = simulate(small_scenario(*COMPRESSION, *tight), seed=3, case_log=False).kpis
    assert 0 < pressed["compressed_share"] < 1
    assert pressed["reopen_rate"] > plain["reopen_rate"]
    assert pressed["department_staff_utilisation"] < plain["department_staff_utilisation"]


def test_supervision_flags_overdue_cases_and_reinforces_then_withdraws():
    district, raw = run(*SUPERVISION, "dispatch.resolution_deadline_h=24",
                        "deadline_response.supervision.reinforce_after_h=4")
    out = raw.extensions["deadline_response"]
    assert len(out["flagged"]) > 0 and len(out["reinforced"]) > 0
    assert set(out["reinforced"][:, 0]) <= set(out["flagged"][:, 0])
    staff = [d.staff for d in district.scenario.departments.values()]
    assert [s.workers for s in district.handling.department_stations] == staff  # nothing late at the end
    cards = tables(raw, case_log(raw))
    before_horizon = int((out["flagged"][:, 1] < raw.scenario.horizon_days * 24).sum())
    for level in ("grid_weekly", "community_monthly", "subdistrict_quarterly"):
        assert cards[f"scorecard_{level}"]["supervised"].sum() == before_horizon  # counted against every level


def test_supervision_cuts_the_time_overdue_cases_wait():
    late = ["dispatch.resolution_deadline_h=24", "deadline_response.supervision.reinforce_after_h=4",
            "deadline_response.supervision.reinforce_staff=2"]
    plain = simulate(small_scenario(*ON, *late), seed=3, case_log=False).kpis
    supervised = simulate(small_scenario(*SUPERVISION, *late), seed=3, case_log=False).kpis
    assert supervised["overdue_cases"] < plain["overdue_cases"]


def test_with_the_responses_on_a_shorter_limit_changes_the_times_to_close():
    def closing(limit: int) -> dict[str, float]:
        return simulate(small_scenario(*ALL, f"dispatch.resolution_deadline_h={limit}"), seed=3,
                        case_log=False).kpis

    short, long = closing(24), closing(72)
    assert short["ttc_mean_h"] != pytest.approx(long["ttc_mean_h"], rel=1e-3)
    assert short["overtime_hours_per_staff_week"] > long["overtime_hours_per_staff_week"]


# --------------------------------------------------------------------------- closures around the deadline


def test_deadline_ratios_count_closures_in_tenths_of_the_allowed_time():
    position = np.array([0.85, 0.85, 0.95, 0.95, 0.95, 1.0, 1.05, 1.05, 1.5, np.nan])
    spike, drop = outcomes.deadline_ratios(position)
    assert spike == pytest.approx(4 / 2) and drop == pytest.approx(2 / 4)


def test_deadline_position_is_one_at_the_due_time_and_nan_without_a_deadline():
    arrived, closed, due = np.array([0.0, 0.0, 10.0]), np.array([48.0, np.nan, 20.0]), np.array([48.0, 48.0, np.inf])
    position = outcomes.deadline_position(arrived, closed, due)
    assert position[0] == 1.0 and np.isnan(position[1:]).all()


def test_the_common_yardstick_measures_whistled_cases_against_one_limit():
    """Plain first come, first served: nothing depends on the limit, so only the yardstick moves."""
    short, long = (simulate(small_scenario(*ON, "dispatch.queue_discipline=fcfs",
                                           f"dispatch.resolution_deadline_h={h}"), seed=3, case_log=False).kpis
                   for h in (24, 72))
    assert short["on_time_rate"] < long["on_time_rate"]  # the yardstick moved
    assert short["on_time_rate_common_yardstick"] == long["on_time_rate_common_yardstick"]  # nobody acted


def test_scorecards_have_no_supervised_column_without_supervision():
    _, raw = run(*OVERTIME, "dispatch.resolution_deadline_h=24")
    assert "supervised" not in tables(raw, case_log(raw))["scorecard_community_monthly"]


# --------------------------------------------------------------------------- head count by shift block


BLOCKS = ["departments.urban_management.staff=4",
          "departments.urban_management.hours=[{days: [mon, tue, wed, thu, fri], start_h: 8, end_h: 18}, "
          "{days: [mon, tue, wed, thu, fri, sat, sun], start_h: 18, end_h: 22}]"]


def test_a_block_of_hours_has_its_own_head_count_on_duty():
    district = District(small_scenario(*BLOCKS, "departments.urban_management.block_staff=[4, 1]"), 3, 0,
                        MECHANISMS)
    station = district.handling.department_stations[0]
    seen = {}
    def probe(at):
        yield district.env.timeout(at)
        seen[at] = station.workers
    for at in (24 * 7 + 12, 24 * 7 + 20, 24 * 12 + 19):  # Monday noon, Monday 20:00, Saturday 19:00
        district.env.process(probe(at))
    raw = district.run()
    assert seen == {24 * 7 + 12: 4, 24 * 7 + 20: 1, 24 * 12 + 19: 1}
    a, b = raw.window_h
    day = Calendar([district.scenario.departments["urban_management"].hours[0]])
    evening = Calendar([district.scenario.departments["urban_management"].hours[1]])
    others = sum(d.staff * c.hours_between(a, b) for d, c in zip(list(district.scenario.departments.values())[1:],
                                                                  district.department_calendars[1:], strict=True))
    assert raw.shift_h["department_staff"] == pytest.approx(4 * day.hours_between(a, b)
                                                            + evening.hours_between(a, b) + others)


def test_fewer_on_duty_in_a_block_slows_the_department():
    full = simulate(small_scenario(*BLOCKS), seed=3, case_log=False).kpis
    thin = simulate(small_scenario(*BLOCKS, "departments.urban_management.block_staff=[2, 1]"), seed=3,
                    case_log=False).kpis
    assert thin["department_staff_utilisation"] > full["department_staff_utilisation"]
    assert thin["ttc_p90_h"] >= full["ttc_p90_h"]


def test_block_head_counts_must_match_the_blocks():
    with pytest.raises(InputError, match="block_staff"):
        small_scenario(*BLOCKS, "departments.urban_management.block_staff=[4]")


# --------------------------------------------------------------------------- yardstick and behaviour, the chart


def _per_replication(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": scenario, "kpi": kpi, "replication": r, "value": v}
                         for scenario, kpis in values.items() for kpi, series in kpis.items()
                         for r, v in enumerate(series)])


def test_the_on_time_difference_splits_into_behaviour_and_yardstick():
    frame = _per_replication({
        "base": {"on_time_rate": [0.90, 0.92], "on_time_rate_common_yardstick": [0.90, 0.92]},
        "short": {"on_time_rate": [0.80, 0.83], "on_time_rate_common_yardstick": [0.91, 0.94]},
    })
    from sim.analysis.behaviour import yardstick_split

    split = yardstick_split(frame, "base").set_index("part")["mean"]
    assert split["total"] == pytest.approx(-0.095)
    assert split["behaviour"] == pytest.approx(0.015)
    assert split["yardstick"] == pytest.approx(-0.11)


def test_without_a_common_yardstick_there_is_no_split():
    from sim.analysis.behaviour import yardstick_split

    frame = _per_replication({"base": {"on_time_rate": [0.9, 0.8]}, "other": {"on_time_rate": [0.7, 0.6]}})
    assert yardstick_split(frame, "base").empty


def test_the_trade_off_chart_draws_one_bubble_per_scenario_sized_by_reopen_rate():
    from sim.reporting import charts

    rows = [{"scenario": s, "kpi": k, "mean": m, "ci_low": m * 0.9, "ci_high": m * 1.1}
            for s, (cost, rate, reopen) in {"a": (0.0, 0.9, 0.03), "b": (1e6, 0.85, 0.06)}.items()
            for k, m in (("annual_cost_overtime_yuan", cost), ("on_time_rate", rate), ("reopen_rate", reopen))]
    figure = charts.deadline_trade_off(pd.DataFrame(rows))
    sizes = [c.get_sizes()[0] for c in figure.axes[0].collections if hasattr(c, "get_sizes") and len(c.get_sizes())]
    assert sizes[:2] == pytest.approx([1250, 2500])
    assert charts.deadline_trade_off(pd.DataFrame(rows[1:2])) is None


# --------------------------------------------------------------------------- the same ratios from a real log


def test_a_real_log_s_deadline_ratios_use_the_model_s_definition():
    from sim.calibration.deadline_response import deadline_position_histogram, observed_deadline_ratios
    from sim.calibration.logs import CaseLog

    created = pd.Timestamp("2015-03-02 09:00")
    hours = [17.0, 19.0, 20.0, 21.0, 22.0, 24.0, 25.0, 30.0]  # allowed 20 h: positions 0.85 ... 1.5
    frame = pd.DataFrame({"created": [created] * 9,
                          "closed": [created + pd.Timedelta(hours=h) for h in hours] + [pd.NaT],
                          "due": [created + pd.Timedelta(hours=20)] * 9})
    log = CaseLog(path="synthetic", frame=frame, columns={}, time_formats={}, rows_read=9, excluded={})
    ratios = observed_deadline_ratios(log)
    # (0.8, 0.9]: 0.85; (0.9, 1.0]: 0.95, 1.0; (1.0, 1.1]: 1.05, 1.1
    assert ratios == {"deadline_spike_ratio": 2.0, "deadline_drop_ratio": 1.0, "closed_with_deadline": 8}
    histogram = deadline_position_histogram(np.array([0.85, 0.95, 1.05, 3.0]))
    assert histogram["closures"].sum() == 3 and histogram.loc[8, "closures"] == 1
