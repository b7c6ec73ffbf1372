"""Theory as the judge: Erlang C for the M/M/c reduction, Little's law and conservation of cases.

Each check runs the full model, reduced or not, with fixed seeds, and compares with a formula
or an exact identity.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment.validation import erlang_c, mmc_theory, validate_mmc
from sim.mechanisms import run_replication

from .conftest import small_scenario


def test_erlang_c_of_one_server_is_the_utilisation():
    assert erlang_c(1, 0.7, 1.0) == pytest.approx(0.7)


def test_erlang_c_matches_a_textbook_value():
    # c = 2, offered load 1 Erlang: P(wait) = 1/3.
    assert erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)


def test_erlang_c_mean_wait_follows_from_p_wait():
    theory = mmc_theory(5, 4.0, 1.0, [1.0])
    assert theory["mean_wait_h"] == pytest.approx(theory["p_wait"] / (5 - 4))


def _within(ci: list[float], value: float, widen: float = 1.5) -> bool:
    """Inside the 95 % CI widened 1.5 times (about a 99.7 % interval): a miss is a bias, not chance."""
    centre, half = (ci[0] + ci[1]) / 2, (ci[1] - ci[0]) / 2
    return abs(value - centre) <= widen * half


@pytest.mark.parametrize(
    "servers, arrival_rate",
    [(1, 0.5), (2, 1.6), (5, 4.5), (20, 19.0)],
    ids=["c1-rho0.5", "c2-rho0.8", "c5-rho0.9", "c20-rho0.95"],
)
def test_mmc_reduction_matches_erlang_c(servers, arrival_rate):
    result = validate_mmc(servers, arrival_rate, 1.0, replications=24, seed=11, jobs=2)
    simulated, exact = result["simulated"], result["analytical"]
    assert _within(simulated["p_wait_ci"], exact["p_wait"]), (simulated["p_wait_ci"], exact["p_wait"])
    assert _within(simulated["mean_wait_h_ci"], exact["mean_wait_h"]), (simulated["mean_wait_h_ci"],
                                                                        exact["mean_wait_h"])
    for t, ci in simulated["p_wait_gt_ci"].items():
        assert _within(ci, exact["p_wait_gt"][t]), (t, ci, exact["p_wait_gt"][t])


def test_mmc_relative_error_is_small_at_high_utilisation():
    result = validate_mmc(10, 9.0, 1.0, replications=24, seed=3, jobs=2)
    simulated, exact = result["simulated"]["mean_wait_h"], result["analytical"]["mean_wait_h"]
    assert abs(simulated - exact) / exact < 0.08


@pytest.fixture(scope="module")
def raw():
    return run_replication(small_scenario("workforce.grid_workers=10"), seed=5)


def test_every_arrived_case_is_closed_or_still_open(raw):
    closed = ~np.isnan(raw.cases["closed_h"])
    assert closed.sum() + raw.stats["open_at_end"] == len(raw.cases["arrived_h"])


def test_no_case_is_counted_twice(raw):
    ids = np.arange(len(raw.cases["arrived_h"]))
    assert len(np.unique(ids)) == len(ids)
    assert np.all(np.diff(raw.cases["arrived_h"]) >= 0), "case ids follow arrival order"


def test_no_case_closes_before_it_arrives_or_starts(raw):
    closed = ~np.isnan(raw.cases["closed_h"])
    assert np.all(raw.cases["closed_h"][closed] >= raw.cases["started_h"][closed])
    assert np.all(raw.cases["started_h"][closed] >= raw.cases["arrived_h"][closed])


def test_backlog_series_equals_open_cases_from_the_log(raw):
    arrived, closed = raw.cases["arrived_h"], np.nan_to_num(raw.cases["closed_h"], nan=np.inf)
    for t, backlog in zip(raw.timeseries["t_h"][::97], raw.timeseries["backlog"][::97], strict=True):
        assert backlog == np.count_nonzero((arrived < t) & (closed >= t)) or backlog == np.count_nonzero(
            (arrived <= t) & (closed > t)
        )


def test_littles_law_holds_on_the_outputs(raw):
    """Time-average number in system = arrival rate x mean time in system, over the whole run."""
    arrived = raw.cases["arrived_h"]
    closed = np.nan_to_num(raw.cases["closed_h"], nan=raw.end_h)
    sojourn_total = float(np.sum(np.minimum(closed, raw.end_h) - arrived))
    step = raw.timeseries["t_h"][1] - raw.timeseries["t_h"][0]
    area = float(raw.timeseries["backlog"].sum() * step)  # L x T from hourly samples
    assert area == pytest.approx(sojourn_total, rel=0.02)


def test_a_case_still_open_at_the_end_keeps_what_happened_to_it():
    raw = run_replication(small_scenario("workforce.grid_workers=6", "drain_days=0"), seed=5)
    c = raw.cases
    still_open = np.isnan(c["closed_h"])
    assert still_open.sum() == raw.stats["open_at_end"] > 0
    started = still_open & ~np.isnan(c["started_h"])
    assert started.any(), "work had started on some of the open cases"
    assert np.all(c["started_h"][started] >= c["arrived_h"][started])
    assert np.all(c["level"][still_open] >= c["initial_level"][still_open])  # where they are now
    whistled = still_open & ~np.isnan(c["whistled_h"])
    assert np.all(c["level"][whistled] == 2)
