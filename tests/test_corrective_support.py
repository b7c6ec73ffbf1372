"""Corrective support: a community under the assessment threshold gets help for the next month."""

from __future__ import annotations

import pytest

from sim.analysis.case_log import case_log
from sim.analysis.tables import tables
from sim.core.district import District
from sim.experiment.runs import simulate
from sim.mechanisms import MECHANISMS

from .conftest import small_scenario

ON = ["corrective_support.enabled=true", "corrective_support.min_cases=1"]
LEVER_KPIS = ("corrective_support_communities", "corrective_support_recovered_share")


def test_with_no_community_under_the_threshold_nothing_changes():
    off = simulate(small_scenario(), seed=4, case_log=False).kpis
    never = simulate(small_scenario(*ON, "assessment.on_time_threshold=0"), seed=4, case_log=False).kpis
    assert never["corrective_support_communities"] == 0
    assert {k: v for k, v in never.items() if k not in LEVER_KPIS} == off


def test_a_community_under_the_threshold_works_faster_the_next_month():
    district = District(small_scenario(*ON, "assessment.on_time_threshold=1",
                                       "corrective_support.work_multiplier=0.5"), 4, 0, MECHANISMS)
    district.run()
    months = district.mechanism("corrective_support").months
    assert months and all(set(under) <= set(judged) for _, judged, under in months)
    supported = district.mechanism("corrective_support").supported
    assert supported == months[-1][2]
    assert supported  # the toy district's communities all close some cases late
    station = district.community_stations[supported[0]]
    assert station.stretch == pytest.approx(station.base_stretch * 0.5)


def test_support_shortens_the_community_s_work_and_raises_its_on_time_rate():
    everyone = ["assessment.on_time_threshold=1", "horizon_days=84"]
    plain = simulate(small_scenario(*everyone), seed=2, case_log=False).kpis
    helped = simulate(small_scenario(*ON, *everyone, "corrective_support.work_multiplier=0.5"), seed=2,
                      case_log=False).kpis
    assert helped["community_worker_utilisation"] < plain["community_worker_utilisation"]
    assert helped["on_time_rate_community"] > plain["on_time_rate_community"]


def test_a_vacant_secretary_post_and_support_compose_on_one_station():
    district = District(small_scenario(), 1, 0, MECHANISMS)
    station = district.community_stations[0]
    station.set_factor("succession", 1.25)
    station.set_factor("corrective_support", 0.8)
    assert station.stretch == pytest.approx(station.base_stretch * 1.25 * 0.8)
    station.set_factor("succession", 1.0)
    assert station.stretch == pytest.approx(station.base_stretch * 0.8)


def test_the_communities_supported_are_those_the_community_scorecard_flags():
    scenario = small_scenario(*ON, "horizon_days=56")
    district = District(scenario, 4, 0, MECHANISMS)
    raw = district.run()
    cards = tables(raw, case_log(raw))["scorecard_community_monthly"]
    months = district.mechanism("corrective_support").months[:2]  # the two months inside the horizon
    assert [start / 24 for start, _, _ in months] == [0, 28]
    for start, judged, under in months:
        month = cards[cards["start_day"] == start / 24]
        assert len(month) == district.territory.n_communities
        assert judged == sorted(month[month["decided"] >= 1]["unit"])
        assert under == sorted(month[(month["decided"] >= 1) & month["below_threshold"]]["unit"])
