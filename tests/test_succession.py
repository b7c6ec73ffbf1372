"""Community secretaries and the reserve pool, run alone (no cases): accounting, fill times, Little's law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.statistics import t_interval
from sim.core.steps import step_integral
from sim.mechanisms.secretary_office import simulate_succession, succession_measures
from sim.params.people import ReservePool, Secretaries, TrainingCohorts
from sim.units import HOURS_PER_DAY

DAYS = 5 * 365


def busy_office(seed: int = 0, replication: int = 0):
    """A small pool under pressure: many departures, candidates leaving, small cohorts."""
    secretaries = Secretaries(resignation_per_year=0.4, promotion_per_year=0.2, promotion_round_interval_days=365,
                              promotion_round_share=0.3, filing_delay_days=20, search_delay_days=150)
    pool = ReservePool(ratio_to_communities=0.5, leave_per_year=0.5,
                       cohorts=TrainingCohorts(interval_days=90, duration_days=30, max_size=4, pass_rate=0.7))
    return simulate_succession(secretaries, pool, 30, DAYS, seed, replication)


@pytest.mark.parametrize("replication", range(3))
def test_the_pool_is_never_negative(replication):
    office = busy_office(replication=replication)
    assert min(office.log["reserve_pool"]) >= 0


@pytest.mark.parametrize("replication", range(3))
def test_no_candidate_is_used_twice(replication):
    office = busy_office(replication=replication)
    assert len(office.used) == len(set(office.used)) > 0


@pytest.mark.parametrize("replication", range(3))
def test_pool_stock_and_flows_balance(replication):
    office = busy_office(replication=replication)
    f = office.flows
    assert f["initial"] + f["graduated"] - f["used"] - f["left"] == len(office.pool)
    assert f["graduated"] == sum(passed for start, _, passed in office.cohorts if start + 30 * 24 < DAYS * 24)
    assert f["used"] == sum(v.route == "pool" for v in office.vacancies)


def test_the_busy_pool_runs_dry_sometimes_so_the_accounting_tests_bite():
    office = busy_office()
    routes = {v.route for v in office.vacancies}
    assert routes == {"pool", "search"}


def test_with_a_pool_that_never_runs_out_every_vacancy_lasts_the_filing_delay():
    secretaries = Secretaries(resignation_per_year=0.5, filing_delay_days=25, search_delay_days=200)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=20), 20, DAYS)
    filled = [v for v in office.vacancies if not math.isnan(v.filled_h)]
    assert len(filled) > 50
    assert all(v.filled_h - v.start_h == pytest.approx(25 * HOURS_PER_DAY) for v in filled)
    assert not any(v.stockout for v in office.vacancies)


def test_with_no_pool_every_vacancy_lasts_the_search_delay():
    secretaries = Secretaries(resignation_per_year=0.5, filing_delay_days=25, search_delay_days=200)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=0), 20, DAYS)
    filled = [v for v in office.vacancies if not math.isnan(v.filled_h)]
    assert len(filled) > 30
    assert all(v.filled_h - v.start_h == pytest.approx(200 * HOURS_PER_DAY) for v in filled)
    assert all(v.stockout for v in office.vacancies)


def test_a_candidate_trained_during_a_search_fills_the_vacancy_sooner():
    secretaries = Secretaries(resignation_per_year=1.0, filing_delay_days=10, search_delay_days=300)
    pool = ReservePool(ratio_to_communities=1, initial_ratio=0,
                       cohorts=TrainingCohorts(interval_days=60, duration_days=20, max_size=10, pass_rate=1.0))
    office = simulate_succession(secretaries, pool, 10, 3 * 365)
    rescued = [v for v in office.vacancies if v.stockout and v.route == "pool" and not math.isnan(v.filled_h)]
    assert rescued and all(v.filled_h - v.start_h < 300 * HOURS_PER_DAY for v in rescued)


def test_a_promotion_round_with_share_one_empties_every_post():
    secretaries = Secretaries(promotion_round_interval_days=100, promotion_round_share=1.0, filing_delay_days=5)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=0), 12, 150)
    assert sum(v.reason == "promotion_round" for v in office.vacancies) == 12


def test_mean_vacant_posts_follow_littles_law():
    """Poisson departures at rate lam per serving secretary, fixed fill time F (no pool: the search).

    Little's law: mean vacant posts = departure rate x F; and here, per post, the vacant share
    is lam F / (1 + lam F). Checked over 20 replications of 40 communities for 30 years."""
    lam, fill_days, n, years = 0.3, 120.0, 40, 30
    secretaries = Secretaries(resignation_per_year=lam, search_delay_days=fill_days)
    horizon_h = years * 8760.0
    little, observed = [], []
    for replication in range(20):
        office = simulate_succession(secretaries, ReservePool(ratio_to_communities=0), n, years * 365, 5, replication)
        t = np.asarray(office.log["t_h"], float)
        mean_vacant = step_integral(t, np.asarray(office.log["secretary_vacancies"], float), 0, horizon_h) / horizon_h
        departures_per_h = len(office.vacancies) / horizon_h
        observed.append(mean_vacant)
        little.append(departures_per_h * fill_days * HOURS_PER_DAY)
    diff_mean, diff_low, diff_high = t_interval(np.asarray(observed) - np.asarray(little))
    assert diff_low - 0.05 <= 0 <= diff_high + 0.05  # edge effects: vacancies open at the end
    theory = n * lam * fill_days / 365 / (1 + lam * fill_days / 365)
    mean, low, high = t_interval(np.asarray(observed))
    assert low <= theory <= high


def test_measures_count_vacancy_days_per_community_year():
    secretaries = Secretaries(resignation_per_year=0.5, search_delay_days=100)
    office = simulate_succession(secretaries, ReservePool(ratio_to_communities=0), 10, 2 * 365)
    m = succession_measures(office, (0.0, 2 * 8760.0))
    in_window = sum(min(v.filled_h if not math.isnan(v.filled_h) else 2 * 8760.0, 2 * 8760.0) - v.start_h
                    for v in office.vacancies) / 24
    assert m["secretary_vacancy_days_per_community_year"] == pytest.approx(in_window / 20)
    assert m["reserve_pool_stockout_probability"] == 1.0
    assert m["reserve_pool_stockout_days"] == pytest.approx(2 * 365)
