"""Intervals that do not lie: no interval from one replication, shares stay in [0, 1], constants are constants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.statistics import estimate, paired_differences, summarise
from sim.reporting.formatting import difference_text, estimate_text
from sim.reporting.tables import marginal_cost_table


def tidy(values: dict[str, list[float]], kpi: str) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": name, "replication": r, "kpi": kpi, "value": v}
                         for name, series in values.items() for r, v in enumerate(series)])


def test_one_replication_has_no_interval():
    e = estimate([0.8])
    assert e.interval == "single" and e.mean == 0.8 and math.isnan(e.low) and math.isnan(e.high)


def test_a_difference_from_one_replication_is_never_significant():
    frame = paired_differences(tidy({"a": [0.5], "b": [0.9]}, "on_time_rate"), "a")
    row = frame.iloc[0]
    assert row["difference"] == pytest.approx(0.4) and row["interval"] == "single" and not row["significant"]


def test_the_t_interval_is_the_textbook_one():
    values = [1.0, 2.0, 4.0, 7.0]
    e = estimate(values)
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert (e.low, e.high) == pytest.approx((3.5 - half, 3.5 + half)) and e.method == "t"


def test_a_share_from_two_replications_stays_within_zero_and_one():
    row = summarise(tidy({"a": [0.05, 0.45]}, "acceptance_overdue_rate")).iloc[0]
    assert 0.0 <= row["ci_low"] < row["mean"] < row["ci_high"] <= 1.0
    assert row["ci_low"] == 0.0 and row["method"] == "t, clipped to [0, 1]"


def test_a_time_or_count_from_two_replications_never_has_an_interval_below_zero():
    for kpi in ("ttc_p50_h", "backlog_mean"):
        row = summarise(tidy({"a": [0.05, 0.45]}, kpi)).iloc[0]
        assert row["ci_low"] == 0.0 and row["ci_high"] > row["mean"] and row["method"] == "t, clipped to [0, inf]"


def test_a_quantity_with_negative_values_is_not_clipped():
    row = summarise(tidy({"a": [-0.05, 0.45]}, "ttc_p50_h")).iloc[0]
    assert row["ci_low"] < -0.05 and row["method"] == "t"


def test_an_interval_inside_its_bounds_is_not_called_clipped():
    row = summarise(tidy({"a": [0.40, 0.45, 0.42]}, "on_time_rate")).iloc[0]
    assert row["method"] == "t"


def test_a_difference_of_shares_stays_within_minus_one_and_one():
    frame = paired_differences(tidy({"a": [0.0, 0.9], "b": [1.0, 0.1]}, "on_time_rate"), "a")
    assert -1.0 <= frame.iloc[0]["ci_low"] and frame.iloc[0]["ci_high"] <= 1.0


def test_a_value_that_never_varies_is_a_constant_not_an_interval():
    row = summarise(tidy({"a": [1.25e8, 1.25e8, 1.25e8 * (1 + 1e-15)]}, "annual_cost_yuan")).iloc[0]
    assert row["interval"] == "constant" and row["ci_low"] == row["ci_high"] == row["mean"]


def test_a_constant_difference_is_exact_and_not_called_significant():
    frame = paired_differences(tidy({"a": [100.0, 100.0, 100.0], "b": [150.0, 150.0, 150.0]}, "annual_cost_yuan"), "a")
    row = frame.iloc[0]
    assert row["interval"] == "constant" and row["difference"] == 50.0 and not row["significant"]


def test_a_difference_whose_interval_excludes_zero_is_significant():
    frame = paired_differences(tidy({"a": [0.50, 0.52, 0.49, 0.51], "b": [0.60, 0.63, 0.58, 0.61]}, "on_time_rate"),
                               "a")
    assert frame.iloc[0]["significant"]


def test_a_single_replication_is_shown_as_having_no_interval():
    assert estimate_text(0.8, math.nan, math.nan, "single", "on_time_rate") == "80.0 % (one replication: no interval)"


def test_a_constant_is_shown_as_a_constant_in_whole_yuan():
    assert estimate_text(125e6, 125e6, 125e6, "constant",
                         "annual_cost_yuan") == "125,000,000 (same in every replication)"


def test_only_a_real_interval_carries_the_significance_star():
    assert difference_text(0.1, 0.05, 0.15, "interval", True, "on_time_rate") == "+10.0 pp [+5.0 pp, +15.0 pp] *"
    assert "*" not in difference_text(0.1, math.nan, math.nan, "single", False, "on_time_rate")
    assert "*" not in difference_text(5.0, 5.0, 5.0, "constant", False, "annual_cost_yuan")


def test_a_small_significant_difference_shows_enough_decimals_to_be_seen():
    assert difference_text(-0.31, -0.42, -0.2, "interval", True, "cost_per_on_time_case_yuan") == "-0.3 [-0.4, -0.2] *"
    assert difference_text(2e-5, 1e-5, 3e-5, "interval", True, "on_time_rate") == "+0.002 pp [+0.001 pp, +0.003 pp] *"


def test_a_difference_of_whole_numbers_keeps_its_usual_decimals():
    assert difference_text(-120.4, -180.0, -60.9, "interval", True, "annual_cost_yuan") == "-120 [-180, -61] *"


def test_a_scenario_costing_the_same_has_no_cost_per_point():
    same_cost = {"support": {"baseline": "base", "cost_difference_yuan": 0.0, "on_time_difference_pp": 0.13,
                             "yuan_per_pp": 0.0, "ci_low": 0.0, "ci_high": 0.0}}
    assert marginal_cost_table(same_cost) == "support vs base: +0 yuan/year, +0.13 pp on time -> no cost difference"
