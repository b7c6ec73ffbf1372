"""Workforce over time inside the model: grid staffing, secretary vacancies, splitting, costs, and outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis.kpis import kpis
from sim.analysis.statistics import marginal_cost_per_point
from sim.cli import main
from sim.core.streams import Streams
from sim.core.territory import build_territory, split_communities
from sim.experiment.runs import simulate
from sim.mechanisms import costs, run_replication
from sim.mechanisms.staffing import GridStaffing
from sim.params import load_scenario
from sim.params.costs import Costs

from .conftest import PARAMS, small_scenario
from .test_cli import small_args

CASE_KPIS = ("on_time_rate", "ttc_p90_h", "overdue_cases", "backlog_end", "grid_worker_utilisation",
             "community_worker_utilisation", "cases_per_grid_worker_day")
DEPARTING = ["secretaries.resignation_per_year=6", "reserve_pool.ratio_to_communities=0",
             "secretaries.search_delay_days=10"]


# --------------------------------------------------------------------------- defaults change nothing


def test_grid_staffing_without_attrition_or_ramp_up_reproduces_batch_hiring_exactly(monkeypatch):
    scenario = small_scenario("workforce.hiring_batches=[{size: 6, start_day: 10}, {size: 3, start_day: 20}]")
    plain = simulate(scenario, seed=5, case_log=False).kpis
    monkeypatch.setattr(GridStaffing, "applies", classmethod(lambda cls, s: True))
    forced = simulate(scenario, seed=5, case_log=False).kpis
    assert {k: forced[k] for k in CASE_KPIS} == {k: plain[k] for k in CASE_KPIS}


def test_secretary_departures_do_not_touch_cases_when_a_vacancy_does_not_slow_the_community():
    base = simulate(small_scenario(), seed=5, case_log=False).kpis
    departing = simulate(small_scenario(*DEPARTING, "secretaries.vacancy_work_multiplier=1"), seed=5,
                         case_log=False).kpis
    assert departing["secretary_vacancies_opened"] > 0
    assert {k: departing[k] for k in CASE_KPIS} == {k: base[k] for k in CASE_KPIS}


# --------------------------------------------------------------------------- effects on cases


def test_a_vacant_secretary_post_slows_its_community():
    roomy = "workforce.community_workers_per_community=5"  # not saturated, so every case is served in the window
    slow = run_replication(small_scenario(*DEPARTING, roomy, "secretaries.vacancy_work_multiplier=3"), 5)
    same = run_replication(small_scenario(*DEPARTING, roomy, "secretaries.vacancy_work_multiplier=1"), 5)
    assert slow.extensions["succession"]["measures"]["secretary_vacancy_days_per_community_year"] > 0
    assert slow.busy_h["community_worker"] > same.busy_h["community_worker"]


def test_grid_workers_leave_at_about_their_attrition_rate():
    scenario = small_scenario("grid_staffing.attrition_per_year=4", "horizon_days=120")
    departures = [simulate(scenario, seed=1, replication=r,
                           case_log=False).kpis["grid_worker_departures"] for r in range(4)]
    # 14 workers (kept at 14 by replacement after 60 days) x 4 a year x (150 days / 365): about 23 minus the gaps.
    assert 10 < np.mean(departures) < 30


def test_an_empty_post_leaves_its_grids_uncovered_or_loads_its_neighbours():
    common = ["grid_staffing.attrition_per_year=3", "grid_staffing.replacement_lead_days=15"]
    uncovered = simulate(small_scenario(*common, "grid_staffing.vacant_grids=uncovered"), seed=2, case_log=False).kpis
    neighbours = simulate(small_scenario(*common, "grid_staffing.vacant_grids=neighbours"), seed=2, case_log=False).kpis
    assert uncovered["grid_worker_vacancy_days"] == neighbours["grid_worker_vacancy_days"] > 0
    assert uncovered["grid_days_uncovered"] > 0 and uncovered["grid_days_covered_by_neighbours"] == 0
    assert neighbours["grid_days_uncovered"] == 0 and neighbours["grid_days_covered_by_neighbours"] > 0


def test_every_case_is_closed_or_open_with_attrition_and_uncovered_grids():
    raw = run_replication(small_scenario("grid_staffing.attrition_per_year=3", "grid_staffing.vacant_grids=uncovered"),
                          3)
    open_cases = np.isnan(raw.cases["closed_h"]).sum()
    assert open_cases == raw.stats["open_at_end"]


def test_ramping_up_new_hires_take_longer_over_the_same_cases():
    batches = "workforce.hiring_batches=[{{size: 8, start_day: 8, ramp_up_days: {}}}]"
    ramping = run_replication(small_scenario(batches.format(30), "workforce.grid_workers=6"), 2)
    ready = run_replication(small_scenario(batches.format(0), "workforce.grid_workers=6",
                                           "grid_staffing.ramp_up_start_productivity=1"), 2)
    assert ramping.busy_h["grid_worker"] > ready.busy_h["grid_worker"]


# --------------------------------------------------------------------------- splitting


def yanta_territory():
    scenario = load_scenario(PARAMS / "yanta_split.yaml")
    return build_territory(scenario.territory, Streams(0, 0))


def test_splitting_conserves_households_and_grids():
    before = yanta_territory()
    after, parent = split_communities(before, 3500)
    assert after.n_grids == before.n_grids and after.households == before.households
    np.testing.assert_array_equal(after.grid_households, before.grid_households)
    np.testing.assert_array_equal(parent[after.grid_community], before.grid_community)
    assert after.n_communities > before.n_communities


def test_after_splitting_no_community_is_above_the_cap_and_small_ones_are_untouched():
    before = yanta_territory()
    after, parent = split_communities(before, 3500)
    assert after.community_households().max() <= 3500
    small = np.flatnonzero(before.community_households() <= 3500)
    np.testing.assert_array_equal(after.community_households()[small], before.community_households()[small])
    np.testing.assert_array_equal(after.community_subdistrict, before.community_subdistrict[parent])


def test_a_split_in_the_model_adds_communities_each_needing_a_secretary():
    scenario = small_scenario("territory.communities=2", "community_split.enabled=true", "community_split.day=10",
                              "community_split.max_households=2000")
    run = simulate(scenario, seed=1, case_log=False)
    ts = run.timeseries
    assert run.kpis["communities"] > 2
    assert run.kpis["secretary_vacancies_opened"] == run.kpis["communities"] - 2
    per_community = scenario.workforce.community_workers_per_community
    assert ts["community_workers"].iloc[-1] == run.kpis["communities"] * per_community
    raw = run_replication(scenario, 1)
    assert np.isnan(raw.cases["closed_h"]).sum() == raw.stats["open_at_end"]


# --------------------------------------------------------------------------- costs


def test_annual_cost_is_the_sum_of_its_parts():
    k = simulate(small_scenario(*DEPARTING), seed=3, case_log=False).kpis
    parts = sum(k[f"annual_cost_{part}_yuan"] for part in costs.COST_PARTS)
    assert k["annual_cost_yuan"] == pytest.approx(parts)


def test_costs_add_up_from_head_counts_and_yearly_figures():
    scenario = small_scenario()
    k = kpis(run_replication(scenario, 0))
    c, wf, t = scenario.costs, scenario.workforce, scenario.territory
    assert k["annual_cost_grid_workers_yuan"] == pytest.approx(wf.grid_workers * c.grid_worker_pay_yuan_per_year)
    per_worker = c.community_worker_pay_yuan_per_year + 12 * 0.365 * (0.6 * 150 + 0.3 * 300 + 0.1 * 500)
    assert k["annual_cost_community_workers_yuan"] + k["annual_cost_allowances_yuan"] == pytest.approx(
        t.communities * wf.community_workers_per_community * per_worker)
    assert k["annual_cost_secretaries_yuan"] == pytest.approx(t.communities * c.pay_scale_yuan_per_year[0][9])
    assert k["annual_cost_community_funds_yuan"] == pytest.approx(t.communities * 390_000)


def test_the_default_pay_scale_is_three_posts_by_eighteen_grades_with_staff_averaging_seed_004():
    table = Costs().pay_scale_yuan_per_year
    assert [len(row) for row in table] == [18, 18, 18]
    assert np.mean(table[2]) == pytest.approx(66_300, rel=0.01)


def test_marginal_cost_per_point_is_the_ratio_of_paired_differences():
    rows = []
    for r, (cost, rate) in enumerate([(10.0, 0.50), (11.0, 0.52), (9.0, 0.49)]):
        rows += [{"scenario": "a", "replication": r, "kpi": "annual_cost_yuan", "value": cost},
                 {"scenario": "a", "replication": r, "kpi": "on_time_rate", "value": rate},
                 {"scenario": "b", "replication": r, "kpi": "annual_cost_yuan", "value": cost + 100 + r},
                 {"scenario": "b", "replication": r, "kpi": "on_time_rate", "value": rate + 0.02}]
    m = marginal_cost_per_point(pd.DataFrame(rows), "a", "b")
    assert m["yuan_per_pp"] == pytest.approx(101 / 2)
    assert m["ci_low"] < m["yuan_per_pp"] < m["ci_high"]


# --------------------------------------------------------------------------- outputs


def test_run_json_has_the_workforce_kpis(tmp_path, capsys):
    code = main(["run", str(PARAMS / "luzhou_baseline.yaml"), *small_args(), *[a for o in DEPARTING for a in ("--set",
                                                                                                              o)],
                 "-n", "2", "--out", str(tmp_path), "--json", "--no-progress", "-j", "1"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    for kpi in ("secretary_vacancy_days_per_community_year", "secretary_time_to_fill_mean_days",
                "secretary_time_to_fill_p90_days", "reserve_pool_stockout_probability", "reserve_pool_stockout_days",
                "grid_days_uncovered", "annual_cost_yuan", "cost_per_on_time_case_yuan"):
        assert kpi in payload["kpis"]
    assert payload["kpis"]["reserve_pool_stockout_probability"]["mean"] == 1.0


def test_compare_prints_the_marginal_cost_per_point(tmp_path, capsys):
    more = tmp_path / "more.yaml"
    more.write_text(f"extends: {PARAMS / 'luzhou_baseline.yaml'}\nname: more\n"
                    "workforce: {hiring_batches: [{size: 10, start_day: 7}]}\n", encoding="utf-8")
    code = main(["compare", str(PARAMS / "luzhou_baseline.yaml"), str(more), *small_args(),
                 "-n", "2", "--out", str(tmp_path), "--no-progress", "-j", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "Marginal cost per percentage point" in out and "yuan/pp" in out


def test_the_timeseries_has_head_counts_pool_and_vacancies():
    ts = simulate(small_scenario(*DEPARTING), seed=1, case_log=False).timeseries
    for column in ("grid_workers", "community_workers", "secretaries", "secretary_vacancies", "reserve_pool",
                   "grid_worker_vacancies", "uncovered_grids"):
        assert column in ts
    assert (ts["secretaries"] + ts["secretary_vacancies"] == ts["communities"]).all()


def test_the_succession_command_reports_the_pool_family(capsys):
    code = main(["succession", str(PARAMS / "reserve_pool_0x.yaml"), str(PARAMS / "reserve_pool_2x.yaml"),
                 "-n", "3", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    no_pool, pool = payload["kpis"]["reserve_pool_0x"], payload["kpis"]["reserve_pool_2x"]
    assert no_pool["secretary_time_to_fill_mean_days"]["mean"] == 180.0
    assert no_pool["reserve_pool_stockout_probability"]["mean"] == 1.0
    assert pool["secretary_time_to_fill_mean_days"]["mean"] < 180.0
