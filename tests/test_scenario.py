"""Scenario files: loading, `extends:`, overrides, provenance, and a clear error for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.errors import InputError
from sim.params import load_scenario, merge_scenario, provenance

from .conftest import PARAMS

SCENARIOS = sorted(p for p in PARAMS.glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path):
    assert load_scenario(path).name == path.stem


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_parameter_of_a_shipped_scenario_cites_a_seed_or_states_an_assumption(path):
    unlabelled = [row["parameter"] for row in provenance(load_scenario(path)) if row["kind"] == "unlabelled"]
    assert unlabelled == []


def test_seed_citations_name_their_seed_file():
    for path in SCENARIOS:
        for row in provenance(load_scenario(path)):
            if row["kind"].startswith("seed"):
                assert "seed 00" in row["source"], (path.name, row)


def test_a_child_scenario_overrides_only_what_it_names():
    baseline = load_scenario(PARAMS / "luzhou_baseline.yaml")
    reform = load_scenario(PARAMS / "luzhou_2034.yaml")
    assert reform.workforce.final_grid_workers == baseline.workforce.grid_workers + 2034
    assert reform.cases == baseline.cases
    assert reform.territory == baseline.territory


def test_the_luzhou_reform_hires_2034_in_two_batches():
    reform = load_scenario(PARAMS / "luzhou_2034.yaml")
    assert [b.size for b in reform.workforce.hiring_batches] == [1017, 1017]


def test_a_replaced_value_loses_its_inherited_citation():
    parent = {"workforce": {"grid_workers": 5}, "sources": {"workforce.grid_workers": "seed 000"}}
    child = {"workforce": {"grid_workers": 7}}
    assert "workforce.grid_workers" not in merge_scenario(parent, child)["sources"]


def test_an_override_sets_a_dotted_parameter():
    scenario = load_scenario(PARAMS / "luzhou_baseline.yaml", ["workforce.grid_workers=1800"])
    assert scenario.workforce.grid_workers == 1800


def test_an_override_reaches_into_a_named_category():
    scenario = load_scenario(PARAMS / "luzhou_baseline.yaml", ["cases.categories.sanitation.deadline_h=24"])
    assert scenario.cases.categories["sanitation"].deadline_h == 24


def test_content_hash_ignores_the_name_but_not_the_parameters():
    a = load_scenario(PARAMS / "luzhou_baseline.yaml")
    b = load_scenario(PARAMS / "luzhou_baseline.yaml", ["name=other"])
    c = load_scenario(PARAMS / "luzhou_baseline.yaml", ["workforce.grid_workers=1001"])
    assert a.content_hash() == b.content_hash() != c.content_hash()


# --------------------------------------------------------------------------- bad input


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def child_of_baseline(tmp_path: Path, body: dict) -> Path:
    return write(tmp_path, yaml.safe_dump({"extends": str(PARAMS / "luzhou_baseline.yaml"), **body}))


def error_of(path: Path, overrides=()) -> str:
    with pytest.raises(InputError) as info:
        load_scenario(path, list(overrides))
    return str(info.value)


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = error_of(child_of_baseline(tmp_path, {"workforce": {"grid_workerz": 5}}))
    assert "workforce.grid_workerz" in message and "did you mean 'grid_workers'" in message


def test_wrong_type_names_the_parameter_and_value(tmp_path):
    message = error_of(child_of_baseline(tmp_path, {"workforce": {"grid_workers": "many"}}))
    assert "workforce.grid_workers" in message and "'many'" in message


def test_negative_head_count_is_rejected_with_the_bound(tmp_path):
    message = error_of(child_of_baseline(tmp_path, {"workforce": {"grid_workers": -5}}))
    assert "workforce.grid_workers" in message and "-5" in message and "greater than or equal to 0" in message


def test_routing_shares_must_sum_to_one(tmp_path):
    body = {"cases": {"categories": {"sanitation": {"routing": {"grid": 0.9, "community": 0.3, "department": 0.0}}}}}
    message = error_of(child_of_baseline(tmp_path, body))
    assert "cases.categories.sanitation.routing" in message and "sum to 1" in message


def test_a_category_must_name_an_existing_department(tmp_path):
    body = {"cases": {"categories": {"sanitation": {"department": "fire_brigade"}}}}
    assert "fire_brigade" in error_of(child_of_baseline(tmp_path, body))


def test_department_shares_must_sum_to_one_and_name_departments(tmp_path):
    body = {"cases": {"categories": {"sanitation": {"department": {"urban_management": 0.5, "housing": 0.6}}}}}
    message = error_of(child_of_baseline(tmp_path, body))
    assert "cases.categories.sanitation.department" in message and "sum to 1" in message and "1.1" in message
    body = {"cases": {"categories": {"sanitation": {"department": {"urban_management": 0.5, "fire_brigade": 0.5}}}}}
    assert "fire_brigade" in error_of(child_of_baseline(tmp_path, body))


def test_department_work_may_only_name_departments_that_get_the_category(tmp_path):
    work = {"mean_h": 2.0, "cv": 1.0, "distribution": "exponential"}
    body = {"cases": {"categories": {"sanitation": {"department_work": {"housing": work}}}}}
    message = error_of(child_of_baseline(tmp_path, body))
    assert "cases.categories.sanitation.department_work" in message and "housing" in message


def test_warm_up_must_be_shorter_than_the_horizon(tmp_path):
    message = error_of(child_of_baseline(tmp_path, {"horizon_days": 10, "warm_up_days": 20}))
    assert "warm_up_days" in message


def test_missing_file_is_named(tmp_path):
    assert "not found" in error_of(tmp_path / "nope.yaml")


def test_missing_parent_is_named(tmp_path):
    message = error_of(write(tmp_path, "extends: ghost.yaml\n"))
    assert "ghost.yaml" in message and "not found" in message


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    assert "cycle" in error_of(tmp_path / "a.yaml")


def test_invalid_yaml_reports_line_and_column(tmp_path):
    message = error_of(write(tmp_path, "horizon_days: 10\nterritory: [unclosed\n"))
    assert "invalid YAML" in message and "line" in message and "column" in message


def test_empty_file_is_reported(tmp_path):
    assert "empty" in error_of(write(tmp_path, ""))


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "UTF-8" in error_of(path)


def test_yaml_object_construction_is_refused(tmp_path):
    message = error_of(write(tmp_path, "!!python/object/apply:os.system ['echo hacked']\n"))
    assert "invalid YAML" in message


def test_a_huge_district_is_rejected_with_the_limit(tmp_path):
    message = error_of(child_of_baseline(tmp_path, {"territory": {"residential_grids": 10**9}}))
    assert "territory.residential_grids" in message and "1000000" in message.replace(",", "")


def test_bad_override_path_is_named_with_a_suggestion():
    message = error_of(PARAMS / "luzhou_baseline.yaml", ["workforce.grid_worker=5"])
    assert "workforce.grid_worker" in message and "did you mean 'grid_workers'" in message


def test_override_without_equals_sign_is_explained():
    assert "PATH=VALUE" in error_of(PARAMS / "luzhou_baseline.yaml", ["workforce.grid_workers"])


def test_override_value_is_validated_like_the_file():
    message = error_of(PARAMS / "luzhou_baseline.yaml", ["workforce.grid_workers=-1"])
    assert "workforce.grid_workers" in message and "-1" in message
