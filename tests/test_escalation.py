"""Escalation: a case handled at the grid or the community level escalates a level when its uniform
there is below its category's escalation probability. The uniforms are drawn with the case's arrival
block, and the decision is made there (`sim.core.arrivals.escalation_bits`), as triage is."""

from __future__ import annotations

import numpy as np

from sim.core.arrivals import ESCALATES_FROM, escalation_bits, escalation_probabilities
from sim.mechanisms import run_replication

from .conftest import small_scenario


def test_a_case_escalates_from_a_level_exactly_where_its_uniform_is_below_the_probability():
    u = np.array([[0.1, 0.1], [0.5, 0.9], [0.9, 0.1], [0.9, 0.9], [0.2, 0.3]])
    p = np.array([[0.5, 0.5]] * 4 + [[0.2, 0.3]])
    grid, community = ESCALATES_FROM
    assert escalation_bits(u, p).tolist() == [grid | community, 0, community, 0, 0]  # equal: no escalation


def test_the_share_of_grid_cases_escalated_is_their_categories_probability():
    scenario = small_scenario()
    cases = run_replication(scenario, 3, 0).cases
    p_grid = escalation_probabilities(list(scenario.cases.categories.values()))[:, 0]
    decided = (cases["initial_level"] == 0) & ~np.isnan(cases["closed_h"])  # closed: the grid level was done
    escalated = cases["escalations"][decided] > 0
    expected = p_grid[cases["category"][decided]]
    standard_error = np.sqrt((expected * (1 - expected)).sum()) / decided.sum()
    assert decided.sum() > 1_000
    assert abs(escalated.mean() - expected.mean()) < 4 * standard_error
