"""Grid and community workers responding to their categories' limits (`deadline_response.levels`) as the
departments do: overtime, compression and slack-driven pacing, off by default; and the supervisors sent by
supervision accounted in the time identity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core import outcomes
from sim.core.district import District
from sim.core.stations import COMMUNITY, GRID
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS
from sim.mechanisms.time_budget import time_use

from .conftest import small_scenario

ON = ["deadline_response.enabled=true"]
LOCAL = [*ON, "deadline_response.levels=[department, grid, community]"]
OVERTIME = ["deadline_response.overtime.enabled=true"]
COMPRESSION = ["deadline_response.compression.enabled=true"]
# tight limits at grid level: sanitation 12 h, public facilities 24 h, so near-due cases queue at the posts
TIGHT = ["cases.categories.sanitation.deadline_h=12", "cases.categories.public_facilities.deadline_h=24",
         "deadline_response.overtime.trigger_slack_h=24", "deadline_response.overtime.trigger_cases_per_staff=0.5"]


def run(*overrides: str, seed: int = 3):
    district = District(small_scenario(*overrides), seed, 0, MECHANISMS)
    return district, district.run()


def kpis(*overrides: str) -> dict[str, float]:
    return simulate(small_scenario(*overrides), seed=3, case_log=False).kpis


# --------------------------------------------------------------------------- off by default


def test_by_default_only_the_departments_respond():
    _, raw = run(*ON, *OVERTIME, *COMPRESSION, *TIGHT)
    out = raw.extensions["deadline_response"]
    assert out["overtime_h_by_role"]["grid_worker"] == 0 and out["overtime_h_by_role"]["community_worker"] == 0
    assert out["services_by_role"]["grid_worker"] == 0
    assert "overtime_hours_per_grid_worker_week" not in kpis(*ON, *OVERTIME, *TIGHT)


def test_listing_only_the_departments_gives_today_s_results():
    today = kpis(*ON, *OVERTIME, *COMPRESSION, *TIGHT)
    listed = kpis(*ON, *OVERTIME, *COMPRESSION, *TIGHT, "deadline_response.levels=[department]")
    assert listed == today


# --------------------------------------------------------------------------- overtime


def test_grid_and_community_workers_under_pressure_work_overtime_within_the_cap():
    district, raw = run(*LOCAL, *OVERTIME, *TIGHT, "deadline_response.overtime.cap_hours_per_staff_week=2",
                        "deadline_response.overtime.share=1")
    out = raw.extensions["deadline_response"]
    assert out["overtime_h_by_role"]["grid_worker"] > 0 and out["overtime_h_by_role"]["community_worker"] > 0
    workers = {(GRID, s.index): s.workers for s in district.handling.grid_station_of} | {
        (COMMUNITY, s.index): s.workers for s in district.community_stations}
    per_head = [hours / workers[role, index] for (role, index, _), hours in out["local_week_overtime"].items()]
    assert max(per_head) <= 2.0 + 1e-9
    assert max(per_head) > 1.99  # the cap binds somewhere: the test could fail


def test_grid_overtime_makes_grid_workers_faster_at_a_cost():
    plain = kpis(*LOCAL, *TIGHT)
    pressed = kpis(*LOCAL, *OVERTIME, *TIGHT)
    assert pressed["grid_worker_utilisation"] < plain["grid_worker_utilisation"]
    assert pressed["overtime_hours_per_grid_worker_week"] > 0
    assert pressed["ttc_mean_h"] < plain["ttc_mean_h"]
    assert pressed["annual_cost_yuan"] == pytest.approx(
        plain["annual_cost_yuan"] + pressed["annual_cost_overtime_yuan"], rel=1e-9)


def test_time_is_conserved_at_every_level_with_overtime():
    _, raw = run(*LOCAL, *OVERTIME, *TIGHT, "patrol.enabled=true", "burden.enabled=true")
    out = raw.extensions["deadline_response"]
    rows = {row["role"]: row for row in time_use(raw)}
    for role in ("grid_worker", "community_worker", "department_staff"):
        row = rows[role]
        assert row["overtime_h"] == out["overtime_h_by_role"][role]
        parts = row["cases_h"] + row["patrol_h"] + row["burden_h"] + row["other_h"] + row["idle_h"]
        assert row["shift_h"] + row["overtime_h"] == pytest.approx(parts, rel=1e-12)
        assert row["idle_h"] >= -1e-6 * row["shift_h"]
    assert rows["grid_worker"]["overtime_h"] > 0
    assert out["case_person_h_by_role"]["grid_worker"] == pytest.approx(
        raw.busy_h["grid_worker"] + out["overtime_h_by_role"]["grid_worker"], rel=1e-9)


# --------------------------------------------------------------------------- compression


def test_reopen_probability_under_full_compression_at_the_grid_equals_its_parameter():
    """A limit of a minute leaves no slack: every grid service of the category is fully compressed."""
    _, raw = run(*LOCAL, *COMPRESSION, "cases.categories.sanitation.deadline_h=0.02", "cases.reopen_probability=0",
                 "deadline_response.compression.reopen_probability=0.3")
    log = raw.cases
    at_grid = outcomes.is_closed(log["closed_h"]) & (log["level"] == GRID)
    sanitation = at_grid & (log["category"] == 0)
    n = int(sanitation.sum())
    share = float(log["reopened"][sanitation].mean())
    assert n > 400
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)
    # the other categories' grid cases mostly keep some slack: far fewer of them are rejected
    assert 0 < log["reopened"][at_grid & (log["category"] != 0)].mean() < 0.3 / 3


def test_grid_compression_shortens_work_and_raises_reopens():
    plain = kpis(*LOCAL, *TIGHT)
    pressed = kpis(*LOCAL, *COMPRESSION, *TIGHT)
    assert 0 < pressed["compressed_share_grid"] < 1
    assert pressed["reopen_rate"] > plain["reopen_rate"]
    assert pressed["grid_worker_utilisation"] < plain["grid_worker_utilisation"]


# --------------------------------------------------------------------------- pacing


PACED = ["dispatch.queue_discipline=lsf", "dispatch.start_slack_h=6"]


def test_with_grid_pacing_no_grid_worker_starts_a_case_with_more_slack_than_the_threshold():
    district, raw = run(*LOCAL, *PACED)
    log = raw.cases
    at_grid = ((log["initial_level"] == GRID) & ~np.isnan(log["started_h"]) & np.isfinite(log["due_h"])
               & np.isnan(log["whistled_h"]))  # a whistled case's due time is the department's
    assert at_grid.sum() > 500
    station = district.handling.grid_station_of[0]  # every post keeps the same calendar and expected work here
    expected = station.queue.expected_h
    slack = np.array([station.calendar.hours_between(s, due) - expected[int(c)] if s < due else -1.0
                      for s, due, c in zip(log["started_h"][at_grid], log["due_h"][at_grid], log["category"][at_grid],
                                           strict=True)])
    assert slack.max() <= 6.0 + 1e-6
    assert np.mean(np.isclose(slack, 6.0)) > 0.1  # many are held exactly until the threshold


def test_without_grid_pacing_grid_workers_start_cases_with_ample_slack():
    """The contrast that makes the test above able to fail: the same district, the departments alone paced."""
    district, raw = run(*ON, *PACED)
    log = raw.cases
    at_grid = ((log["initial_level"] == GRID) & ~np.isnan(log["started_h"]) & np.isfinite(log["due_h"])
               & np.isnan(log["whistled_h"]))
    station = district.handling.grid_station_of[0]
    slack = np.array([station.calendar.hours_between(s, due) - station.queue.expected_h[int(c)] if s < due else -1.0
                      for s, due, c in zip(log["started_h"][at_grid], log["due_h"][at_grid], log["category"][at_grid],
                                           strict=True)])
    assert np.mean(slack > 6.0 + 1e-6) > 0.5


def test_grid_pacing_acts_only_when_the_grid_level_responds():
    departments_only = kpis(*ON, *PACED)
    local = kpis(*LOCAL, *PACED)
    assert local["wait_mean_h"] > departments_only["wait_mean_h"] + 1.0  # cases wait for their slack to run down
    assert local["deadline_spike_ratio"] > departments_only["deadline_spike_ratio"]


def test_a_level_listed_twice_is_refused():
    from sim.errors import InputError

    with pytest.raises(InputError, match="levels lists a level twice"):
        small_scenario(*ON, "deadline_response.levels=[grid, grid]")


# --------------------------------------------------------------------------- supervisors in the time identity


SUPERVISION = [*ON, "deadline_response.supervision.enabled=true", "dispatch.resolution_deadline_h=24",
               "deadline_response.supervision.reinforce_after_h=4", "deadline_response.supervision.reinforce_staff=2"]


def test_supervisors_sent_by_supervision_have_their_own_row_in_the_time_identity():
    _, raw = run(*SUPERVISION, *OVERTIME)
    out = raw.extensions["deadline_response"]
    rows = {row["role"]: row for row in time_use(raw)}
    supervisor = rows["supervisor"]
    assert supervisor["cases_h"] == out["supervisor_case_h"] > 0
    assert supervisor["shift_h"] == supervisor["cases_h"] + supervisor["idle_h"]
    assert supervisor["idle_h"] >= -1e-9 * supervisor["shift_h"]
    department = rows["department_staff"]
    # the department's row holds its own staff's work only: with the supervisors', all of the department's
    assert department["cases_h"] + supervisor["cases_h"] == pytest.approx(
        raw.busy_h["department_staff"] + out["overtime_h"], rel=1e-12)


def test_without_supervision_there_is_no_supervisor_row():
    _, raw = run(*ON, *OVERTIME, "dispatch.resolution_deadline_h=24")
    assert "supervisor" not in {row["role"] for row in time_use(raw)}


def test_a_supervisor_withdrawn_while_busy_is_counted_until_the_case_in_hand_is_done():
    """The supervisors' hours run from arrival until withdrawal, or the end of the case in hand if later;
    the hourly look at the supervisors present (which counts only the first part) would miss the rest."""
    district, raw = run(*SUPERVISION)
    response = next(m for m in district.mechanisms if m.name == "deadline_response")
    stays = response.supervisor_stays
    assert stays and all(left >= arrived for _, arrived, left in stays)
    assert any(left % response.spec.check_h != 0 for _, _, left in stays)  # some left when their case was done
    out = raw.extensions["deadline_response"]
    weeks = (raw.window_h[1] - raw.window_h[0]) / (24 * 7)
    kpi = simulate(small_scenario(*SUPERVISION), seed=3, case_log=False).kpis["supervisor_hours_per_week"]
    assert kpi == pytest.approx(out["supervisor_shift_h"] / weeks, rel=1e-12)


def test_every_kpi_of_the_grid_and_community_responses_is_declared():
    from sim.analysis import registry

    reported = kpis(*LOCAL, *OVERTIME, *COMPRESSION, *TIGHT)
    local = [name for name in reported if "grid_worker_week" in name or "community_worker_week" in name
             or name.startswith("compressed_share_")]
    assert len(local) == 4
    assert [name for name in reported if registry.find(name) is None] == []
