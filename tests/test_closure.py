"""How fast cases close, for every replication: the closure curve (`analysis.closure`), kept by every run, written
with the results, recalled by a resumed run, and drawn as the time-to-close chart's band across replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import closure
from sim.experiment.runs import replicate_many, simulate
from sim.reporting import charts
from sim.reporting.results_folder import CLOSURE_FILE, write_results
from sim.results import manifest
from sim.results.resume import ReplicationLog

from .conftest import small_scenario

SHORT = ("horizon_days=21", "warm_up_days=7", "drain_days=7")


@pytest.fixture(scope="module")
def three():
    return replicate_many([small_scenario(*SHORT)], 3, seed=5, keep_case_log=True)


def test_the_grid_is_the_same_in_every_run_a_longer_one_only_adds_points():
    short, long = closure.hours_grid(100.0), closure.hours_grid(1000.0)
    np.testing.assert_array_equal(long[:len(short)], short)
    assert short[0] == closure.FIRST_HOUR and short[-1] >= 100.0 > short[-2]
    assert len(long) - len(short) == pytest.approx(closure.POINTS_PER_DECADE, abs=1)


def test_the_share_closed_counts_closed_cases_within_each_hour_and_never_the_open_ones():
    arrived = np.array([0.0, 0.0, 10.0, 10.0])
    closed = np.array([1.0, 5.0, 12.0, np.nan])  # times to close 1, 5, 2; the last case stays open
    curve = closure.share_closed_within(arrived, closed, 10.0).set_index("hours")["share_closed"]
    assert curve[curve.index < 1].max() == 0
    assert curve.loc[curve.index[curve.index >= 5][0]] == 0.75
    assert curve.iloc[-1] == 0.75 and curve.is_monotonic_increasing


def test_a_run_keeps_the_curve_of_the_cases_arriving_in_the_measurement_window():
    scenario = small_scenario(*SHORT)
    run = simulate(scenario, seed=3)
    log = run.case_log
    start, end = scenario.warm_up_days * 24.0, scenario.horizon_days * 24.0
    window = log[(log["arrived_h"] >= start) & (log["arrived_h"] < end)]
    expected = closure.share_closed_within(window["arrived_h"].to_numpy(), window["closed_h"].to_numpy(),
                                           (scenario.horizon_days + scenario.drain_days) * 24.0 - start)
    pd.testing.assert_frame_equal(run.closure, expected)
    assert run.closure["cases"].iloc[0] == len(window)


def test_every_replication_keeps_its_curve_not_only_the_one_with_a_case_log(three):
    assert set(three.case_logs) == {"luzhou_baseline"}  # the case log: replication 0 only
    assert sorted(three.closure["replication"].unique()) == [0, 1, 2]
    by_replication = three.closure.pivot(index="hours", columns="replication", values="share_closed")
    assert not np.allclose(by_replication[0], by_replication[1])  # replications differ, so a band means something


def test_the_curves_are_written_with_the_results_and_listed_in_the_manifest(three, tmp_path):
    scenario = small_scenario(*SHORT)
    written = write_results(tmp_path, three, [scenario], seed=5, replications=3, with_charts=False)
    assert tmp_path / CLOSURE_FILE in written
    stored = pd.read_csv(tmp_path / CLOSURE_FILE)
    assert len(stored) == len(three.closure) and stored["replication"].nunique() == 3
    assert CLOSURE_FILE in manifest.read_manifest(tmp_path)["files"]  # so `gridgov verify` checks it


def test_a_resumed_run_recalls_the_curve(tmp_path):
    scenario = small_scenario(*SHORT)
    run = simulate(scenario, seed=2, replication=1, case_log=False)
    log = ReplicationLog(tmp_path)
    log.save(scenario, run)
    recalled = log.load(scenario, 2, 1, False)
    pd.testing.assert_frame_equal(recalled.closure, run.closure)


def _bands(figure) -> int:
    return sum(type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection") for c in figure.axes[0].collections)


def test_the_chart_draws_a_95_percent_band_across_replications_and_says_so(three):
    figure = charts.time_to_close(three.closure, "en", [72.0])
    assert _bands(figure) == 1
    assert "mean over 3 replications with 95 % band" in figure.axes[0].get_title()
    line = figure.axes[0].get_lines()[0]
    mean = three.closure.groupby("hours")["share_closed"].mean()
    np.testing.assert_allclose(line.get_ydata(), mean.to_numpy())
    charts.plt.close(figure)


def test_one_replication_draws_no_band_and_says_why(three):
    figure = charts.time_to_close(three.closure[three.closure["replication"] == 0], "zh", [72.0])
    assert _bands(figure) == 0 and "仅一次重复" in figure.axes[0].get_title()
    charts.plt.close(figure)


def test_replications_that_agree_draw_no_band(three):
    first = three.closure[three.closure["replication"] == 0]
    same = pd.concat([first, first.assign(replication=1)], ignore_index=True)
    figure = charts.time_to_close(same, "en", [72.0])
    assert _bands(figure) == 0 and "the same in every replication" in figure.axes[0].get_title()
    charts.plt.close(figure)


def test_results_with_only_a_case_log_are_drawn_and_labelled_as_replication_0(three):
    figure = charts.time_to_close(three.case_logs, "en", [72.0])
    assert _bands(figure) == 0 and "Replication 0 only" in figure.axes[0].get_title()
    charts.plt.close(figure)
