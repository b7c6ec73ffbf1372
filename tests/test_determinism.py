"""Reproducibility: the same scenario and seed give identical results in any process, and
scenarios that differ in a policy lever see the same random cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.core.streams import Streams
from sim.experiment.runs import replicate, replicate_many, simulate
from sim.mechanisms import run_replication


def test_same_seed_gives_identical_case_logs(small):
    a, b = simulate(small, seed=7), simulate(small, seed=7)
    pd.testing.assert_frame_equal(a.case_log, b.case_log)
    np.testing.assert_equal(a.kpis, b.kpis)  # NaN equals NaN


def test_different_seeds_give_different_results(small):
    a, b = simulate(small, seed=7), simulate(small, seed=8)
    assert a.kpis["cases_per_day"] != b.kpis["cases_per_day"]


def test_replications_are_identical_in_one_or_two_processes(small):
    one = replicate(small, 4, seed=3, jobs=1).per_replication
    two = replicate(small, 4, seed=3, jobs=2).per_replication
    pd.testing.assert_frame_equal(one, two)


def test_scenarios_differing_in_staff_see_the_same_cases(small):
    more = small.model_copy(update={"name": "more"}, deep=True)
    more.workforce.grid_workers = 30
    a, b = run_replication(small, 4), run_replication(more, 4)
    for column in ("arrived_h", "category", "grid", "initial_level"):
        np.testing.assert_array_equal(a.cases[column], b.cases[column])


def test_more_grid_workers_raise_the_on_time_rate_with_common_random_numbers(small):
    fewer = small.model_copy(update={"name": "fewer"}, deep=True)
    fewer.workforce.grid_workers = 8
    results = replicate_many([fewer, small], 3, seed=1)
    rates = results.summary[results.summary["kpi"] == "on_time_rate"].set_index("scenario")["mean"]
    assert rates[small.name] > rates["fewer"]


def test_a_stream_depends_on_its_name_not_on_the_order_streams_are_created():
    first = Streams(1, 0)
    first["work.grid"].random(5)
    value = first["arrivals.counts"].random()
    second = Streams(1, 0)
    assert second["arrivals.counts"].random() == value


def test_replication_number_changes_the_streams():
    assert Streams(1, 0)["arrivals.counts"].random() != Streams(1, 1)["arrivals.counts"].random()
