"""A category whose cases are shared among departments (as "other" in a calibrated log)."""

from __future__ import annotations

import numpy as np

from sim.core.arrivals import CaseSource
from sim.core.streams import Streams
from sim.core.territory import build_territory
from sim.experiment.runs import simulate
from sim.mechanisms import run_replication

from .conftest import small_scenario

SHARED = "cases.categories.sanitation.department={urban_management: 0.7, housing: 0.3}"


def test_a_shared_category_sends_its_cases_to_each_department_in_its_share():
    log = simulate(small_scenario(SHARED), seed=2).case_log
    sanitation = log[log["category"] == "sanitation"]
    share = (sanitation["department"] == "urban_management").mean()
    assert set(sanitation["department"]) == {"urban_management", "housing"}
    assert abs(share - 0.7) < 4 * np.sqrt(0.7 * 0.3 / len(sanitation))


def test_whistled_cases_are_handled_by_the_department_drawn_for_them():
    # Housing works six minutes a week: its share of sanitation cases cannot close, urban management's do.
    log = simulate(small_scenario(SHARED, "cases.categories.sanitation.routing={grid: 0, community: 0, department: 1}",
                                  "departments.housing.hours=[{days: [sun], start_h: 0, end_h: 0.1}]"), seed=2).case_log
    sanitation = log[log["category"] == "sanitation"]
    closed = sanitation["closed_h"].notna()
    assert not closed[sanitation["department"] == "housing"].any()
    assert closed[sanitation["department"] == "urban_management"].mean() > 0.5


def test_the_other_categories_keep_their_one_department():
    scenario = small_scenario(SHARED)
    log = simulate(scenario, seed=2).case_log
    for name, category in scenario.cases.categories.items():
        if name != "sanitation":
            assert set(log.loc[log["category"] == name, "department"]) <= {category.department}


def test_sharing_a_category_among_departments_leaves_the_cases_themselves_unchanged():
    one, shared = run_replication(small_scenario(), 4), run_replication(small_scenario(SHARED), 4)
    for column in ("arrived_h", "category", "grid", "source", "initial_level"):
        np.testing.assert_array_equal(one.cases[column], shared.cases[column])


def test_department_work_sets_the_work_of_the_cases_at_that_department_only():
    plain = small_scenario(SHARED)
    special = small_scenario(SHARED, "cases.categories.sanitation.department_work="
                                     "{housing: {mean_h: 50, cv: 0, distribution: fixed}}")
    blocks = []
    for scenario in (plain, special):
        streams = Streams(3, 0)
        blocks.append(CaseSource(scenario, build_territory(scenario.territory, streams), streams).block(0, 14))
    before, after = blocks
    at_housing = (after.category == plain.category_names().index("sanitation")) & (after.department == 1)
    assert list(plain.departments)[1] == "housing" and at_housing.any()
    assert (after.work[at_housing, 2] == 50).all()
    np.testing.assert_array_equal(after.work[~at_housing], before.work[~at_housing])
