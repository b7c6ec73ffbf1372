"""The three-level assessment: scorecards count what happened, and aggregate grid -> community ->
subdistrict -> district without losing or double-counting anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.scorecards import WEEK_H, scorecard
from sim.experiment.runs import simulate

from .conftest import small_scenario


@pytest.fixture(scope="module")
def run_with_patrols():
    return simulate(small_scenario("patrol.enabled=true", "latent.enabled=true"), seed=5)


def test_grid_community_and_subdistrict_scorecards_sum_to_the_district_totals(run_with_patrols):
    tables, log = run_with_patrols.tables, run_with_patrols.case_log
    horizon_h = 42 * 24.0
    closed = log["closed_h"].to_numpy()
    due = log["due_h"].to_numpy()
    is_closed = ~np.isnan(closed) & (closed < horizon_h)
    late = np.isfinite(due) & (due < horizon_h) & (np.isnan(closed) | (closed > due))
    district = {
        "arrived": int((log["arrived_h"] < horizon_h).sum()),  # hidden problems may erupt after the horizon
        "closed": int(is_closed.sum()),
        "on_time": int((is_closed & (closed <= due)).sum()),
        "overdue": int(late.sum()),
        "decided": int((is_closed & (closed <= due)).sum() + late.sum()),
    }
    for name in ("scorecard_grid_weekly", "scorecard_community_monthly", "scorecard_subdistrict_quarterly"):
        totals = tables[name][list(district)].sum()
        assert totals.to_dict() == district, name


def test_backlog_of_the_grids_at_a_month_end_is_the_community_and_district_backlog(run_with_patrols):
    tables, log = run_with_patrols.tables, run_with_patrols.case_log
    grid, community = tables["scorecard_grid_weekly"], tables["scorecard_community_monthly"]
    t = 4 * WEEK_H
    closed = log["closed_h"].fillna(np.inf).to_numpy()
    open_then = int(((log["arrived_h"].to_numpy() < t) & (closed >= t)).sum())
    assert grid[grid["period"] == 3]["backlog_end"].sum() == open_then
    assert community[community["period"] == 0]["backlog_end"].sum() == open_then


def test_patrol_coverage_aggregates_from_grid_weeks(run_with_patrols):
    tables = run_with_patrols.tables
    grid, sub = tables["scorecard_grid_weekly"], tables["scorecard_subdistrict_quarterly"]
    assert grid["grid_weeks_visited"].sum() == sub["grid_weeks_visited"].sum() > 0
    assert grid["patrol_coverage"].isin([0.0, 1.0]).all()


def test_a_scorecard_counts_on_time_overdue_and_backlog_by_when_they_happen():
    log = pd.DataFrame({
        "grid": [0, 0, 1],
        "arrived_h": [1.0, 2.0, 3.0],
        "closed_h": [10.0, 200.0, np.nan],  # on time; late (due 50) in week 1; still open
        "due_h": [20.0, 50.0, 100.0],
        "reopened": [False, True, False],
    })
    frame = scorecard(log, "grid", 2, 1, 21).set_index(["unit", "period"])
    assert frame.loc[(0, 0), ["arrived", "closed", "on_time", "overdue", "backlog_end"]].tolist() == [2, 1, 1, 1, 1]
    assert frame.loc[(0, 1), ["closed", "decided", "reopened_closed", "backlog_end"]].tolist() == [1, 0, 1, 0]
    assert frame.loc[(1, 0), ["overdue", "backlog_end"]].tolist() == [1, 1]
    assert frame.loc[(0, 0), "on_time_rate"] == 0.5  # one closed on time, one past due: the KPI's definition
    assert frame.loc[(0, 1), "satisfaction"] == 0.0 and np.isnan(frame.loc[(0, 1), "on_time_rate"])
    assert bool(frame.loc[(0, 0), "below_threshold"])


def test_scorecards_come_with_every_run_even_with_all_mechanisms_off(small):
    run = simulate(small, seed=2)
    assert {"scorecard_grid_weekly", "scorecard_community_monthly", "scorecard_subdistrict_quarterly",
            "time_use"} <= set(run.tables)
    assert run.tables["scorecard_grid_weekly"]["patrol_coverage"].isna().all()


def test_a_scorecard_counted_in_chunks_of_cases_equals_one_counted_at_once(run_with_patrols, monkeypatch):
    from sim.analysis import scorecards

    log = run_with_patrols.case_log
    supervised = np.where(np.arange(len(log)) % 7 == 0, log["arrived_h"].to_numpy(), np.nan)
    whole = scorecard(log, "community", int(log["community"].max()) + 1, 4, 42, supervised_h=supervised)
    monkeypatch.setattr(scorecards, "CHUNK_CASES", 97)  # many chunks, the last one short
    chunked = scorecard(log, "community", int(log["community"].max()) + 1, 4, 42, supervised_h=supervised)
    assert len(log) > 10 * 97
    pd.testing.assert_frame_equal(chunked, whole)
