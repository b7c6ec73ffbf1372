"""The reserve pool against election waves: elections, candidate readiness, subdistrict pools, acting secretaries."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.reserve_pool import Member, cost_per_vacancy_day_avoided, family, standard_findings
from sim.analysis.statistics import t_interval
from sim.core.district import District
from sim.core.steps import step_integral
from sim.experiment.studies import succession_study
from sim.mechanisms import MECHANISMS, run_replication
from sim.mechanisms.secretary_office import simulate_succession, succession_measures
from sim.params import load_scenario
from sim.params.people import (
    ActingSecretaries,
    Elections,
    Readiness,
    ReservePool,
    Secretaries,
    TrainingCohorts,
)
from sim.units import HOURS_PER_DAY

from .conftest import PARAMS, small_scenario

DAYS = 5 * 365
SUBDISTRICTS = [0] * 12 + [1] * 6 + [2] * 2  # 20 communities in three subdistricts of unequal size


def wave_office(replication: int = 0, **pool_settings):
    """Subdistrict pools under pressure: departures, elections, readiness with failures, transfers."""
    secretaries = Secretaries(resignation_per_year=0.3, filing_delay_days=20, search_delay_days=150,
                              elections=Elections(next_day=200, term_years=1.5, share_min=0.3, share_max=0.7))
    settings = {"ratio_to_communities": 0.6, "leave_per_year": 0.3, "scope": "subdistrict",
                "cohorts": TrainingCohorts(interval_days=90, duration_days=30, max_size=5, pass_rate=0.7),
                "readiness": Readiness(enabled=True, probation_days=60, pass_rate=0.8, initial_ready_share=0.5)}
    settings.update(pool_settings)
    return simulate_succession(secretaries, ReservePool(**settings), len(SUBDISTRICTS), DAYS, 3, replication,
                               SUBDISTRICTS)


# --------------------------------------------------------------------------- accounting


@pytest.mark.parametrize("replication", range(3))
def test_pool_accounting_balances_in_every_subdistrict(replication):
    office = wave_office(replication)
    for group, f in enumerate(office.group_flows):
        in_pool = sum(1 for c in office.pool.values() if c.group == group)
        assert f["initial"] + f["graduated"] - f["used"] - f["left"] - f["failed_vetting"] == in_pool
        assert f["used"] == sum(1 for v in office.vacancies if v.route == "pool" and v.candidate_group == group)
        assert f["transferred_in"] == sum(v.transfer for v in office.vacancies if office.group_of[v.community] == group)
    flows = office.group_flows
    assert sum(f["transferred_out"] for f in flows) == sum(f["transferred_in"] for f in flows) > 0
    assert sum(f["failed_vetting"] for f in flows) > 0  # the readiness part of the balance is exercised


def test_the_pool_accounting_test_sees_every_route():
    office = wave_office()
    assert {v.route for v in office.vacancies} == {"pool", "search"}
    assert {v.reason for v in office.vacancies} >= {"election", "resignation"}


def test_a_transfer_takes_office_after_the_filing_and_transfer_delays():
    office = wave_office(transfer_delay_days=45)
    transfers = [v for v in office.vacancies if v.transfer and not math.isnan(v.filled_h)]
    at_opening = [v for v in transfers if not v.stockout]
    rescued = [v for v in transfers if v.stockout]  # on a search when a candidate elsewhere became eligible
    assert at_opening and all(v.filled_h - v.start_h == pytest.approx(65 * HOURS_PER_DAY) for v in at_opening)
    assert all(v.filled_h - v.start_h < 150 * HOURS_PER_DAY for v in rescued)


def test_without_transfers_no_vacancy_draws_on_another_subdistrict_and_more_go_to_search():
    linked, apart = wave_office(), wave_office(transfer="none")
    assert not any(v.transfer for v in apart.vacancies)
    assert sum(v.stockout for v in apart.vacancies) > sum(v.stockout for v in linked.vacancies)


# --------------------------------------------------------------------------- off: today's results


TODAY = {  # succession_measures of the busy office below, computed by the code before issue 13 (commit 0f443b4)
    0: {"secretary_vacancy_days_per_community_year": 70.03860856220638, "secretary_vacancies_opened": 108.0,
        "secretary_time_to_fill_mean_days": 98.45889507174259, "reserve_pool_stockouts": 83.0,
        "reserve_pool_stockout_days": 1369.0474827487124, "reserve_pool_mean": 1.2763329118239397,
        "reserve_pool_trainees": 80.0},
    1: {"secretary_vacancy_days_per_community_year": 72.1506688469935, "secretary_vacancies_opened": 108.0,
        "secretary_time_to_fill_mean_days": 102.42635810989891, "reserve_pool_stockouts": 88.0,
        "reserve_pool_stockout_days": 1460.0, "reserve_pool_mean": 1.7279066845658015, "reserve_pool_trainees": 80.0},
    2: {"secretary_vacancy_days_per_community_year": 69.42822977453648, "secretary_vacancies_opened": 104.0,
        "secretary_time_to_fill_mean_days": 101.99699060848886, "reserve_pool_stockouts": 85.0,
        "reserve_pool_stockout_days": 1450.3132730963025, "reserve_pool_mean": 1.2242498932935888,
        "reserve_pool_trainees": 80.0},
}


@pytest.mark.parametrize("replication", range(3))
def test_with_no_elections_and_readiness_off_the_office_gives_todays_figures(replication):
    secretaries = Secretaries(resignation_per_year=0.4, promotion_per_year=0.2, promotion_round_interval_days=365,
                              promotion_round_share=0.3, filing_delay_days=20, search_delay_days=150)
    pool = ReservePool(ratio_to_communities=0.5, leave_per_year=0.5,
                       cohorts=TrainingCohorts(interval_days=90, duration_days=30, max_size=4, pass_rate=0.7))
    m = succession_measures(simulate_succession(secretaries, pool, 30, DAYS, 0, replication), (0.0, DAYS * 24.0))
    assert {k: m[k] for k in TODAY[replication]} == pytest.approx(TODAY[replication], rel=1e-12)


def test_a_subdistrict_scope_with_one_subdistrict_is_the_district_pool():
    common = {"ratio_to_communities": 0.5, "leave_per_year": 0.5,
              "cohorts": TrainingCohorts(interval_days=90, duration_days=30, max_size=4, pass_rate=0.7)}
    secretaries = Secretaries(resignation_per_year=0.4, search_delay_days=150)
    district = simulate_succession(secretaries, ReservePool(**common), 30, DAYS, 1)
    one = simulate_succession(secretaries, ReservePool(scope="subdistrict", **common), 30, DAYS, 1, 0, [0] * 30)
    assert one.log == district.log


# --------------------------------------------------------------------------- elections


def test_at_an_election_exactly_the_drawn_share_of_posts_opens():
    secretaries = Secretaries(elections=Elections(next_day=30, term_years=1, share_min=0.1, share_max=0.8),
                              filing_delay_days=10)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=3), 50, 6 * 365)
    assert len(office.elections) == 6
    for when, share, opened in office.elections:
        at_election = [v for v in office.vacancies if v.reason == "election" and v.start_h == when]
        assert 0.1 <= share <= 0.8
        assert opened == len(at_election) == round(share * 50)
        assert len({v.community for v in at_election}) == opened
    assert len({opened for _, _, opened in office.elections}) > 1  # the share is drawn, not fixed


def test_elections_recur_every_term_from_the_next_election_day():
    secretaries = Secretaries(elections=Elections(next_day=100, term_years=2, share_min=0.5, share_max=0.5))
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=2), 10, 5 * 365)
    assert [when / HOURS_PER_DAY for when, _, _ in office.elections] == pytest.approx([100, 100 + 730, 100 + 1460])


@pytest.mark.parametrize("ratio", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("share", [0.3, 0.5, 0.7, 0.9, 1.0])
def test_a_district_pool_with_instant_readiness_covers_a_wave_exactly_when_its_candidates_outnumber_it(ratio, share):
    """Closed form: an election opening round(share n) posts meets max(0, round(share n) - round(ratio n))
    stock-outs from a district pool of round(ratio n) eligible candidates (no other departures, no
    leaving, no class before it). So the 1 x pool covers every wave of share < 1 (the pool covers
    share < ratio, i.e. less than one post per candidate)."""
    n = 40
    secretaries = Secretaries(elections=Elections(next_day=10, share_min=share, share_max=share), filing_delay_days=5)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=ratio), n, 60)
    stockouts = sum(v.stockout for v in office.vacancies if v.reason == "election")
    assert stockouts == max(0, round(share * n) - round(ratio * n))
    if ratio >= 1:
        assert stockouts == 0


def test_mean_vacant_posts_follow_littles_law_with_election_waves():
    """L = lambda W: the time-average of vacant posts equals the rate vacancies open times their mean length,
    with elections bunching the arrivals and the pool mixing short and long fills."""
    secretaries = Secretaries(resignation_per_year=0.15, filing_delay_days=30, search_delay_days=120,
                              elections=Elections(next_day=100, term_years=3, share_min=0.3, share_max=0.6))
    pool = ReservePool(ratio_to_communities=0.3, leave_per_year=0.2,
                       cohorts=TrainingCohorts(interval_days=120, duration_days=30, max_size=6, pass_rate=0.8))
    years, n = 30, 30
    horizon_h = years * 8760.0
    observed, little = [], []
    for replication in range(12):
        office = simulate_succession(secretaries, pool, n, years * 365, 7, replication)
        t = np.asarray(office.log["t_h"], float)
        observed.append(step_integral(t, np.asarray(office.log["secretary_vacancies"], float), 0, horizon_h)
                        / horizon_h)
        filled = [v.filled_h - v.start_h for v in office.vacancies if not math.isnan(v.filled_h)]
        little.append(len(office.vacancies) / horizon_h * float(np.mean(filled)))
        assert any(v.reason == "election" and v.stockout for v in office.vacancies)  # waves do hit the pool
    diff_mean, diff_low, diff_high = t_interval(np.asarray(observed) - np.asarray(little))
    assert diff_low - 0.02 <= 0 <= diff_high + 0.02  # edge effect: vacancies still open at the end
    assert abs(diff_mean) < 0.01 * np.mean(observed) + 0.02


# --------------------------------------------------------------------------- readiness


def test_a_candidate_still_on_probation_cannot_fill_a_post():
    secretaries = Secretaries(resignation_per_year=1.0, filing_delay_days=10, search_delay_days=200)
    pool = ReservePool(ratio_to_communities=2, initial_ratio=0,
                       readiness=Readiness(enabled=True, probation_days=300))
    office = simulate_succession(secretaries, pool, 20, 250)  # the first class ends on day 30, eligible on day 330
    assert office.vacancies and len(office.pool) > 0
    assert all(v.route == "search" and v.stockout for v in office.vacancies)


def test_vetting_passes_about_its_pass_rate():
    pool = ReservePool(ratio_to_communities=10, readiness=Readiness(enabled=True, probation_days=10, pass_rate=0.6,
                                                                    initial_ready_share=0.0))
    office = simulate_succession(Secretaries(), pool, 100, 30)
    failed = office.flows["failed_vetting"]
    assert 1000 * 0.6 - 60 < 1000 - failed < 1000 * 0.6 + 60  # 1,000 vetted: binomial sd about 15


# --------------------------------------------------------------------------- the fast path and the full model


WAVES = ["horizon_days=120", "secretaries.resignation_per_year=2", "secretaries.search_delay_days=40",
         "secretaries.filing_delay_days=10", "secretaries.elections.next_day=30",
         "secretaries.elections.term_years=0.2",
         "secretaries.elections.share_min=0.25", "secretaries.elections.share_max=0.75",
         "reserve_pool.ratio_to_communities=0.5", "reserve_pool.scope=subdistrict",
         "reserve_pool.readiness.enabled=true", "reserve_pool.readiness.probation_days=20",
         "reserve_pool.cohorts.interval_days=20", "reserve_pool.cohorts.duration_days=10"]


def test_the_fast_path_and_the_full_model_run_the_same_succession():
    """Same streams, same office: the succession KPIs of every replication agree exactly (and so in distribution)."""
    scenario = small_scenario(*WAVES)
    fast = succession_study([scenario], 4, seed=11)
    for replication in range(4):
        full = run_replication(scenario, 11, replication).extensions["succession"]["measures"]
        rows = fast[fast["replication"] == replication].set_index("kpi")["value"]
        for kpi, value in full.items():
            assert rows[kpi] == pytest.approx(value, rel=1e-12, nan_ok=True), kpi
    assert fast[fast["kpi"] == "secretary_vacancies_opened"]["value"].min() > 0


def test_the_fast_path_and_the_full_model_agree_in_distribution_with_acting_secretaries():
    """With acting secretaries the full model moves workers; the vacancies it measures still come from the same
    process: the mean vacancy days of the two paths agree within their intervals."""
    scenario = small_scenario(*WAVES, "secretaries.acting.enabled=true")
    fast = succession_study([scenario], 6, seed=4)
    fast_days = fast[fast["kpi"] == "secretary_vacancy_days_per_community_year"]["value"].to_numpy()
    full_days = np.array([run_replication(scenario, 4, r).extensions["succession"]["measures"][
        "secretary_vacancy_days_per_community_year"] for r in range(6)])
    d_mean, d_low, d_high = t_interval(full_days - fast_days)
    assert d_low <= 0 <= d_high or d_low == d_high == 0


# --------------------------------------------------------------------------- acting secretaries


ACTING = ["secretaries.resignation_per_year=6", "reserve_pool.ratio_to_communities=0",
          "secretaries.search_delay_days=10", "workforce.community_workers_per_community=5"]


def test_an_acting_secretary_takes_one_community_worker_off_case_work_until_the_post_is_filled():
    scenario = small_scenario(*ACTING, "secretaries.acting.enabled=true")
    district = District(scenario, 5, 0, MECHANISMS)
    district.run()
    succession = district.mechanism("succession")
    vacant = [c for c in range(district.territory.n_communities) if not succession.office.serving[c]]
    for community, station in enumerate(district.community_stations):
        assert station.workers == len(succession.workers[community]) - (community in vacant)
        assert (community in succession.acting_worker) == (community in vacant)
    assert sum(v.acting for v in succession.office.vacancies) == len(succession.office.vacancies) > 0


def test_an_acting_secretary_slows_the_community_less_than_an_empty_post():
    common = [*ACTING, "secretaries.vacancy_work_multiplier=3"]
    empty = run_replication(small_scenario(*common), 5)
    acting = run_replication(small_scenario(*common, "secretaries.acting.enabled=true",
                                            "secretaries.acting.work_multiplier=1"), 5)
    assert acting.extensions["succession"]["measures"] == empty.extensions["succession"]["measures"] | {
        "secretary_acting_days_per_community_year":
            acting.extensions["succession"]["measures"]["secretary_acting_days_per_community_year"]}
    assert acting.busy_h["community_worker"] < empty.busy_h["community_worker"]


def test_acting_days_are_the_vacancy_days_when_every_post_is_covered():
    secretaries = Secretaries(resignation_per_year=0.5, search_delay_days=100, acting=ActingSecretaries(enabled=True))
    m = succession_measures(simulate_succession(secretaries, ReservePool(ratio_to_communities=0), 10, DAYS),
                            (0.0, DAYS * 24.0))
    acting, vacant = m["secretary_acting_days_per_community_year"], m["secretary_vacancy_days_per_community_year"]
    assert acting == pytest.approx(vacant)
    assert m["secretary_acting_days_per_community_year"] > 0


# --------------------------------------------------------------------------- the policy answer


def test_the_shipped_family_differs_only_in_the_pool_ratio_and_has_elections_on():
    names = ["0x", "0.5x", "1x", "2x", "3x"]
    scenarios = [load_scenario(PARAMS / f"reserve_pool_{n}.yaml") for n in names]
    assert [m.ratio for m in family(scenarios)] == [0, 0.5, 1, 2, 3]
    assert all(s.secretaries.elections.on for s in scenarios)


def test_a_family_with_another_difference_is_refused():
    a = load_scenario(PARAMS / "reserve_pool_1x.yaml")
    b = load_scenario(PARAMS / "reserve_pool_2x.yaml", ["secretaries.search_delay_days=90"])
    with pytest.raises(ValueError, match="more than reserve_pool.ratio_to_communities"):
        family([a, b])


def rows(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": s, "replication": r, "kpi": k, "value": v}
                         for s, kpis in values.items() for k, series in kpis.items() for r, v in enumerate(series)])


def test_the_findings_claim_a_difference_only_where_its_interval_excludes_zero():
    members = [Member("one", 1.0, 10), Member("two", 2.0, 10), Member("three", 3.0, 10)]
    data = rows({
        "one": {"secretary_vacancy_days_per_community_year": [6.0, 7.0, 6.5, 6.8],
                "reserve_pool_stockout_probability_election": [1.0, 0.0, 1.0, 0.0]},
        "two": {"secretary_vacancy_days_per_community_year": [5.0, 5.5, 5.2, 5.4],
                "reserve_pool_stockout_probability_election": [0.0, 0.0, 1.0, 0.0]},
        "three": {"secretary_vacancy_days_per_community_year": [5.0, 5.5, 5.2, 5.4 + 1e-13],
                  "reserve_pool_stockout_probability_election": [0.0, 0.0, 1.0, 0.0]},
    })
    findings = standard_findings(data, members, ("secretary_vacancy_days_per_community_year",
                                                 "reserve_pool_stockout_probability_election"))
    assert findings[0].startswith("From 1 x to 2 x the pool makes a difference (95 % CI excludes 0): "
                                  "secretary vacancy days per community-year -1.3 days")
    assert "From 1 x to 2 x no difference" in findings[1] and "at an election" in findings[1]
    assert findings[2].startswith("From 2 x to 3 x no difference") and "vacancy days" in findings[2]
    assert len(findings) == 3


def test_the_cost_per_vacancy_day_avoided_is_the_ratio_of_the_paired_differences():
    small, large = Member("small", 1.0, 10), Member("large", 2.0, 10)
    data = rows({"small": {"annual_cost_training_yuan": [100.0, 110.0, 90.0],
                           "secretary_vacancy_days_per_community_year": [5.0, 6.0, 5.5]},
                 "large": {"annual_cost_training_yuan": [300.0, 320.0, 280.0],
                           "secretary_vacancy_days_per_community_year": [4.0, 4.5, 4.5]}})
    result = cost_per_vacancy_day_avoided(data, small, large)
    assert result["yuan_per_day"] == pytest.approx(200 / (10 * (1.0 + 1.5 + 1.0) / 3))
    assert result["ci_low"] < result["yuan_per_day"] < result["ci_high"]
    same = rows({"small": {"annual_cost_training_yuan": [1.0, 2.0], "secretary_vacancy_days_per_community_year":
                           [5.0, 5.0]},
                 "large": {"annual_cost_training_yuan": [3.0, 5.0], "secretary_vacancy_days_per_community_year":
                           [5.0, 5.0 + 1e-14]}})
    assert math.isnan(cost_per_vacancy_day_avoided(same, small, large)["yuan_per_day"])


def test_the_succession_command_compares_the_family_and_writes_the_stockout_chart(tmp_path, capsys):
    from sim.cli import main

    files = [str(PARAMS / f"reserve_pool_{n}.yaml") for n in ("1x", "2x", "3x")]
    shorter = ["--set", "horizon_days=500", "--set", "secretaries.elections.next_day=200"]
    code = main(["succession", *files, "-n", "3", *shorter, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Cost per vacancy-day avoided" in out and "Where the 2 x standard (seed 000) matters" in out
    assert "From 1 x to 2 x" in out and "From 2 x to 3 x" in out
    for name in ("succession_replications.csv", "succession_summary.csv", "reserve_pool_costs.csv",
                 "reserve_pool_findings.txt", "reserve_pool_stockouts.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "reserve_pool_stockouts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_a_pool_family_gets_the_pool_comparison(tmp_path, capsys):
    from sim.cli import main

    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {PARAMS / 'reserve_pool_2x.yaml'}\nname: other\n"
                     "secretaries: {filing_delay_days: 5}\n", encoding="utf-8")
    family_run = main(["succession", str(PARAMS / "reserve_pool_1x.yaml"), str(PARAMS / "reserve_pool_2x.yaml"),
                       "-n", "2", "--set", "secretaries.search_delay_days=90", "--set", "horizon_days=200", "--json"])
    assert family_run == 0 and "reserve_pool" in json.loads(capsys.readouterr().out)  # one override on both
    mixed = main(["succession", str(PARAMS / "reserve_pool_1x.yaml"), str(other), "-n", "2",
                  "--set", "horizon_days=200", "--json"])
    assert mixed == 0 and "reserve_pool" not in json.loads(capsys.readouterr().out)
