"""Partial pacing (`deadline_response.pacing`): a share of the cases, chosen by a stream of its own, put aside
until its slack is low, off by default; and the fit of its share in the calibration (`calibration.response`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.calibration.response import RESPONSES, fitted_share, share_fit, shows_pile_up, tenth_counts
from sim.core.district import District
from sim.core.stations import DEPARTMENT
from sim.errors import InputError
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS
from sim.mechanisms.deadline_response import DeadlineResponse

from .conftest import small_scenario

ON = ["deadline_response.enabled=true"]
PACING = [*ON, "deadline_response.pacing.enabled=true"]
LEVER_KPIS = {k.name for k in DeadlineResponse.kpis}


def run(*overrides: str, seed: int = 3):
    district = District(small_scenario(*overrides), seed, 0, MECHANISMS)
    raw = district.run()
    mechanism = next(m for m in district.mechanisms if isinstance(m, DeadlineResponse))
    return district, mechanism, raw


def kpis(*overrides: str) -> dict[str, float]:
    return simulate(small_scenario(*overrides), seed=3, case_log=False).kpis


def slack_at_start(district: District, raw, ids: np.ndarray) -> np.ndarray:
    """Working hours left before due (negative: past it), less the category's expected work, when each case was
    started."""
    c = raw.cases
    calendar = district.department_calendars[0]  # every department keeps office hours in the small district
    names = district.scenario.department_names()
    categories = list(district.scenario.cases.categories.values())
    return np.array([calendar.worked(c["due_h"][i]) - calendar.worked(c["started_h"][i])
                     - categories[c["category"][i]].work_at(names[c["department"][i]]).mean_h for i in ids])


def direct_started(raw) -> np.ndarray:
    """Indices of the cases that went straight to a department and were started."""
    c = raw.cases
    return np.flatnonzero((c["initial_level"] == DEPARTMENT) & ~np.isnan(c["started_h"]))


def paced_started(*overrides: str):
    """(district, raw, ids of the paced cases that went straight to a department and were started)."""
    district, mechanism, raw = run(*PACING, "deadline_response.pacing.share=0.5", *overrides)
    started = direct_started(raw)
    return district, raw, started[np.isin(started, list(mechanism.paced))]


def test_pacing_with_a_share_of_zero_changes_nothing():
    plain = kpis(*ON)
    none_paced = kpis(*PACING, "deadline_response.pacing.share=0")
    assert none_paced.pop("paced_share") == 0
    assert none_paced == plain


def test_a_paced_case_is_not_started_while_its_slack_exceeds_the_threshold():
    district, raw, paced = paced_started("deadline_response.pacing.start_slack_h=6")
    assert len(paced) > 30
    slack = slack_at_start(district, raw, paced)
    assert slack.max() <= 6.0 + 1e-6
    assert np.mean(slack > 5.0) > 0.3  # most are held until the threshold, not later


def test_the_cases_not_paced_are_started_as_soon_as_staff_are_free():
    district, mechanism, raw = run(*PACING, "deadline_response.pacing.share=0.5",
                                   "deadline_response.pacing.start_slack_h=6")
    started = direct_started(raw)
    free = started[~np.isin(started, list(mechanism.paced))]
    assert np.mean(slack_at_start(district, raw, free) > 6.0) > 0.5


def test_the_share_of_cases_put_aside_is_the_share_asked_for():
    share = kpis(*PACING, "deadline_response.pacing.share=0.3")["paced_share"]
    assert share == pytest.approx(0.3, abs=0.05)  # a few arrive with little slack left and are worked at once


def test_a_larger_share_paces_the_same_cases_and_more():
    smaller = run(*PACING, "deadline_response.pacing.share=0.2")[1].paced
    larger = run(*PACING, "deadline_response.pacing.share=0.4")[1].paced
    assert smaller < larger


def test_pacing_draws_from_its_own_stream_and_moves_no_other_draw():
    _, _, plain = run(*ON)
    _, _, paced = run(*PACING, "deadline_response.pacing.share=0.5")
    for column in ("arrived_h", "category", "department", "grid"):
        assert np.array_equal(plain.cases[column], paced.cases[column]), column


def test_pacing_piles_closures_up_just_before_the_due_time():
    plain = kpis(*ON)["deadline_spike_ratio"]
    paced = kpis(*PACING, "deadline_response.pacing.share=0.5", "deadline_response.pacing.start_slack_h=2")
    assert paced["deadline_spike_ratio"] > plain + 0.2


def test_a_negative_start_slack_starts_paced_cases_after_their_due_time():
    district, raw, paced = paced_started("deadline_response.pacing.start_slack_h=-4")
    assert len(paced) > 30
    slack = slack_at_start(district, raw, paced)
    assert slack.max() <= -4.0 + 1e-6
    assert np.mean(raw.cases["started_h"][paced] > raw.cases["due_h"][paced]) > 0.5  # most are started past due


def test_a_spread_starts_paced_cases_at_slacks_across_its_width():
    district, raw, paced = paced_started("deadline_response.pacing.start_slack_h=6",
                                         "deadline_response.pacing.start_slack_spread_h=8")
    slack = slack_at_start(district, raw, paced)
    assert slack.max() <= 10.0 + 1e-6  # 6 h give or take 4
    assert np.mean(slack > 6.5) > 0.2  # without the spread none would start above 6 h of slack


def test_the_spread_draws_its_own_stream_and_paces_the_same_cases():
    plain = run(*PACING, "deadline_response.pacing.share=0.3")[1].paced
    spread = run(*PACING, "deadline_response.pacing.share=0.3", "deadline_response.pacing.start_slack_spread_h=8")
    assert spread[1].paced == plain


def test_pacing_at_named_departments_leaves_the_others_unpaced():
    district, mechanism, raw = run(*PACING, "deadline_response.pacing.share=0.5",
                                   "deadline_response.pacing.departments=[housing]")
    departments = set(raw.cases["department"][list(mechanism.paced)].tolist())
    assert departments == {district.scenario.department_names().index("housing")}


def test_pacing_names_only_departments_of_the_scenario():
    with pytest.raises(InputError, match=r"pacing.departments names \['roads'\]"):
        small_scenario(*PACING, "deadline_response.pacing.departments=[roads]")


def test_pacing_needs_the_responses_on():
    with pytest.raises(InputError, match="pacing.enabled"):
        small_scenario("deadline_response.pacing.enabled=true")


def test_partial_pacing_and_pacing_of_every_case_exclude_each_other():
    with pytest.raises(InputError, match="exclude each other"):
        small_scenario(*PACING, "dispatch.queue_discipline=lsf", "dispatch.start_slack_h=6")


def test_a_share_outside_zero_to_one_is_refused():
    with pytest.raises(InputError, match="share"):
        small_scenario(*PACING, "deadline_response.pacing.share=1.5")


# --------------------------------------------------------------------------- the fit of the share


def counts_at(share: float) -> np.ndarray:
    """Closures in the tenths (0.8, 0.9], (0.9, 1.0], (1.0, 1.1] at a share: linear, as a mixture of cases is."""
    return np.array([100.0, 80.0, 60.0]) + share * np.array([-20.0, 300.0, 40.0])


def ratios(counts: np.ndarray) -> dict[str, float]:
    return {"deadline_spike_ratio": counts[1] / counts[0], "deadline_drop_ratio": counts[2] / counts[1]}


def test_the_fitted_share_gives_the_log_s_ratios_when_counts_are_linear_in_the_share():
    observed = ratios(counts_at(0.25))
    assert fitted_share(observed, [(0.1, counts_at(0.1)), (0.4, counts_at(0.4))]) == pytest.approx(0.25, abs=0.003)


def test_a_log_without_a_pile_up_is_fitted_with_no_case_paced():
    observed = ratios(counts_at(0.0))
    assert fitted_share(observed, [(0.1, counts_at(0.1)), (0.4, counts_at(0.4))]) == 0.0


def test_tenth_counts_count_closures_in_the_three_tenths_around_due():
    positions = np.array([0.85, 0.9, 0.95, 1.0, 1.05, 1.2, np.nan])
    assert tenth_counts(positions).tolist() == [2.0, 2.0, 1.0]


def test_partial_pacing_is_one_candidate_whose_slack_spread_work_and_share_are_fitted():
    (pacing,) = [r for r in RESPONSES if r.fits_share]
    fitted = pacing.with_slack(2.0, 0.0, work_within_slack=True).with_share(0.3)
    assert (fitted.share, fitted.start_slack_h, fitted.spread_h, fitted.work_slack_h) == (0.3, 2.0, 0.0, 2.0)
    assert "30.0% of the cases put aside until 2 working hours of slack, the work within half of 2 h" in fitted.name
    assert fitted.apply({"dispatch": {}})["deadline_response"]["pacing"] == {
        "enabled": True, "share": 0.3, "start_slack_h": 2.0, "start_slack_spread_h": 0.0}


def test_a_pacing_past_due_with_a_spread_is_named_for_both():
    pacing = next(r for r in RESPONSES if r.fits_share)
    response = pacing.with_slack(-2.0, 8.0, work_within_slack=False).with_share(0.07)
    assert response.start_slack_h == -2.0 and response.spread_h == 8.0 and response.work_slack_h is None
    assert ("7.0% of the cases put aside until 2 working hours past due, give or take 4 (the work as fitted)"
            in response.name)


def test_pacing_at_named_departments_keeps_its_name():
    pacing = next(r for r in RESPONSES if r.fits_share)
    assert pacing.for_departments(["roads"]).name == pacing.name
    assert pacing.for_departments(["roads"]).deadline_response["pacing"]["departments"] == ["roads"]


def test_pacing_is_tried_only_where_the_log_piles_up_beyond_no_response():
    observed = {"deadline_spike_ratio": 1.24, "deadline_ratio_se": {"deadline_spike_ratio": 0.04}}
    assert shows_pile_up(observed, plain_spike=0.79)
    assert not shows_pile_up(observed, plain_spike=1.17)  # 0.07 above: within two standard errors
    assert shows_pile_up(observed, plain_spike=math.nan)  # nothing to compare: tried
    assert not shows_pile_up({"deadline_spike_ratio": math.nan}, plain_spike=0.79)  # no closures around due


def test_the_share_fit_says_how_far_the_best_share_leaves_the_ratios():
    observed = ratios(counts_at(0.25))
    share, gap = share_fit(observed, [(0.0, counts_at(0.0)), (0.2, counts_at(0.2))])
    assert share == pytest.approx(0.25, abs=0.003) and gap < 0.01
    _, unreachable = share_fit({"deadline_spike_ratio": 0.1, "deadline_drop_ratio": 5.0},
                               [(0.0, counts_at(0.0)), (0.2, counts_at(0.2))])
    assert unreachable > 1.0
