"""Uncertainty ranges in scenario files: validated against the schema, shown in provenance, applied to a future."""

from __future__ import annotations

import pytest
import yaml

from sim.errors import InputError
from sim.experiment.futures import draw_futures, future_scenario
from sim.params import load_scenario, provenance
from sim.params.uncertainty import Uncertainty

from .conftest import PARAMS, SMALL

RATE = "cases.categories.*.rate_per_household_per_year"


def _scenario_with(tmp_path, uncertainties: dict, extends: str = "luzhou_baseline.yaml"):
    path = tmp_path / "uncertain.yaml"
    path.write_text(yaml.safe_dump({"extends": str(PARAMS / extends), "uncertainties": uncertainties}))
    return load_scenario(path, SMALL)


def _range(**fields):
    return {"reason": "a range for the test", **fields}


def test_a_factor_range_over_every_category_names_each_category_rate(tmp_path):
    scenario = _scenario_with(tmp_path, {RATE: _range(low=0.6, high=1.4, scale="factor")})
    rows = {r["parameter"]: r for r in provenance(scenario) if r["range"]}
    assert set(rows) == {f"cases.categories.{c}.rate_per_household_per_year" for c in scenario.cases.categories}
    assert all(r["range"].startswith("x [0.6, 1.4] uniform: a range for the test") for r in rows.values())


def test_a_parameter_without_a_range_has_an_empty_range_in_provenance(tmp_path):
    scenario = _scenario_with(tmp_path, {"dispatch.acceptance_deadline_h": _range(low=4, high=12)})
    rows = {r["parameter"]: r["range"] for r in provenance(scenario)}
    assert rows["dispatch.acceptance_deadline_h"].startswith("[4, 12] uniform")
    assert rows["dispatch.resolution_deadline_h"] == ""


def test_ranges_leave_the_content_hash_alone(tmp_path):
    with_range = _scenario_with(tmp_path, {RATE: _range(low=0.6, high=1.4, scale="factor")})
    assert with_range.content_hash() == load_scenario(PARAMS / "luzhou_baseline.yaml", SMALL).content_hash()


@pytest.mark.parametrize("uncertainties, message", [
    ({"cases.categories.*.rate_per_househld_per_year": _range(low=0.5, high=2, scale="factor")}, "names no parameter"),
    ({"dispatch.queue_discipline": _range(low=0, high=1)}, "not a number"),
    ({"dispatch.acceptance_deadline_h": _range(low=12, high=4)}, "must be below high"),
    ({"dispatch.acceptance_deadline_h": _range(low=10, high=12)}, "lies outside the range"),
    ({RATE: _range(low=1.1, high=1.4, scale="factor")}, "must hold 1"),
    ({"cases.categories.sanitation.routing.grid": _range(low=0.5, high=0.99)}, "gives an invalid scenario"),
    ({"departments.*.staff": _range(low=0.0, high=1.2, scale="factor")}, "at 0 gives an invalid scenario"),
    ({"dispatch.acceptance_deadline_h": {"low": 4, "high": 12}}, "reason"),
    ({"dispatch.acceptance_deadline_h": _range(low=4, high=12, distribution="triangular")}, "needs its mode"),
])
def test_a_bad_range_is_refused_with_the_parameter_named(tmp_path, uncertainties, message):
    with pytest.raises(InputError, match=message):
        _scenario_with(tmp_path, uncertainties)


def test_the_shipped_hiring_scenarios_share_their_ranges():
    files = ["hiring_none", "hiring_1500", "hiring_2034_two_batches", "hiring_2500"]
    ranges = [load_scenario(PARAMS / f"{name}.yaml").uncertainties for name in files]
    assert all(r == ranges[0] for r in ranges) and len(ranges[0]) == 3


def test_a_future_multiplies_every_value_a_factor_names_and_rounds_head_counts(tmp_path):
    scenario = _scenario_with(tmp_path, {"departments.*.staff": _range(low=0.75, high=1.25, scale="factor"),
                                         "cases.categories.*.work.*.mean_h": _range(low=0.5, high=1.5,
                                                                                    scale="factor")})
    futures = draw_futures(scenario.uncertainties, 5, "lhs", seed=3)
    for i in range(5):
        drawn = dict(zip(futures.names, futures.values[i], strict=True))
        staff_factor, work_factor = drawn["departments.*.staff"], drawn["cases.categories.*.work.*.mean_h"]
        future = future_scenario(scenario, futures, i)
        for name, department in scenario.departments.items():
            assert future.departments[name].staff == round(department.staff * staff_factor)
        grid = scenario.cases.categories["sanitation"].work.grid
        assert future.cases.categories["sanitation"].work.grid.mean_h == pytest.approx(grid.mean_h * work_factor)
        assert future.cases.categories["sanitation"].work.grid.cv == grid.cv
        assert future.uncertainties == {}


@pytest.mark.parametrize("distribution, extra", [("uniform", {}), ("loguniform", {}),
                                                 ("triangular", {"mode": 3.0})])
def test_quantiles_span_the_range_in_order(distribution, extra):
    u = Uncertainty(low=1.0, high=5.0, distribution=distribution, reason="test", **extra)
    values = [u.quantile(q) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert values[0] == pytest.approx(1.0) and values[-1] == pytest.approx(5.0)
    assert values == sorted(values)
