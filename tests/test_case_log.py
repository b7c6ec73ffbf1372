"""The case log table (`analysis.case_log`): what its on-time column says and what it costs in memory."""

import numpy as np
import pytest

from sim.analysis.case_log import case_log
from sim.core import outcomes
from sim.mechanisms import run_replication

from .conftest import small_scenario


@pytest.fixture(scope="module")
def raw():
    return run_replication(small_scenario(), 3, 0)


def test_on_time_is_missing_exactly_for_the_cases_not_yet_decided(raw):
    log = case_log(raw)
    decided = outcomes.decided(raw.cases["closed_h"], raw.cases["due_h"], raw.end_h)
    assert log["on_time"].isna().to_numpy().tolist() == (~decided).tolist()
    on_time = outcomes.on_time(raw.cases["closed_h"], raw.cases["due_h"])
    assert log["on_time"][decided].to_numpy(bool).tolist() == on_time[decided].tolist()


def test_the_case_log_holds_the_model_columns_without_copying_them(raw):
    log = case_log(raw)
    for column in ("arrived_h", "closed_h", "due_h", "started_h", "grid", "escalations"):
        assert np.shares_memory(log[column].to_numpy(), raw.cases[column]), column


def test_a_case_carries_its_grids_community_and_subdistrict_in_four_bytes(raw):
    log = case_log(raw)
    grid = raw.cases["grid"]
    assert log["community"].dtype == np.int32 and log["subdistrict"].dtype == np.int32
    assert (log["community"].to_numpy() == raw.territory.grid_community[grid]).all()
    assert (log["subdistrict"].to_numpy() == raw.territory.grid_subdistrict()[grid]).all()
