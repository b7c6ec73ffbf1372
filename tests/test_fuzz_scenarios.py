"""Property: a randomly damaged scenario file runs or fails with one clear InputError; never a traceback, never a hang.

Hypothesis mutates a valid (small) scenario: deletes keys, renames them, replaces values by
numbers (negative, zero, huge, NaN, infinite), strings, booleans, nulls, lists and mappings, or
damages the YAML text itself. Each mutated file is loaded; a file that validates is simulated
when it is small enough to run in a moment. Derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.experiment.runs import simulate
from sim.params import Scenario, load_scenario

from .conftest import PARAMS, SMALL

TINY = SMALL + ["horizon_days=21", "warm_up_days=3", "drain_days=7"]
BASE = load_scenario(PARAMS / "luzhou_baseline.yaml", TINY).model_dump(mode="json", exclude={"sources", "assumptions"})
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
MAX_SIMULATED_CASES = 5_000


def paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a nested dict/list, inner nodes included."""
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found += paths(value, prefix + (i,))
    return found


PATHS = paths(BASE)

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
numbers = st.one_of(
    st.integers(min_value=-10, max_value=10),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 0.5, 1.0000001, 1e308, -1e-300, 10**30]),
)
values = st.recursive(
    st.one_of(numbers, text, st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)
mutation = st.tuples(st.sampled_from(["delete", "replace", "rename", "scale"]), st.sampled_from(PATHS), values,
                     st.sampled_from([-1, 0, 1e-9, 3, 1e12]))
text_damage = st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=8), text)


def container(tree: Any, path: tuple) -> tuple[Any, Any] | None:
    node = tree
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and path[-1] in node or isinstance(node, list) and path[-1] < len(node):
        return node, path[-1]
    return None


def mutate(tree: dict, change: tuple) -> None:
    kind, path, value, factor = change
    found = container(tree, path)
    if found is None:
        return
    node, key = found
    if kind == "delete":
        if isinstance(node, dict):
            del node[key]
        else:
            node.pop(key)
    elif kind == "rename" and isinstance(node, dict):
        node[f"{key}x"] = node.pop(key)
    elif kind == "scale" and isinstance(node[key], (int, float)) and not isinstance(node[key], bool):
        node[key] = node[key] * factor
    else:
        node[key] = value


def damage(text_: str, change: tuple) -> str:
    at, length, insert = change
    at %= max(1, len(text_))
    return text_[:at] + insert + text_[at + length:]


def expected_cases(scenario: Scenario) -> float:
    t = scenario.territory
    households = t.residential_grids * (t.households_per_grid_min + t.households_per_grid_max) / 2
    households += t.dedicated_grids * t.dedicated_grid_household_equivalent
    rate = sum(c.rate_per_household_per_year for c in scenario.cases.categories.values())
    return households * rate * scenario.horizon_days / 365.0


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=200, derandomize=True, deadline=10_000, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(mutation, min_size=1, max_size=3), text_changes=st.lists(text_damage, max_size=1))
def test_a_damaged_scenario_runs_or_fails_with_one_clear_message(folder, changes, text_changes):
    tree = copy.deepcopy(BASE)
    for change in changes:
        mutate(tree, change)
    content = yaml.dump(tree, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    for change in text_changes:
        content = damage(content, change)
    path = folder / "mutated.yaml"
    path.write_text(content, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except InputError as error:
        message = str(error)
        assert message.startswith(str(path)) and len(message) > len(str(path)) + 5, message
        assert "Traceback" not in message
        return
    if expected_cases(scenario) <= MAX_SIMULATED_CASES and scenario.horizon_days + scenario.drain_days <= 60:
        run = simulate(scenario, seed=1, case_log=False)
        assert math.isfinite(run.kpis["cases_per_day"])


numeric_change = st.tuples(
    st.sampled_from([p for p in PATHS if isinstance(container(BASE, p)[0][p[-1]], (int, float))
                     and not isinstance(container(BASE, p)[0][p[-1]], bool)]),
    st.one_of(st.sampled_from([0, 0.5, 2, 10, -1]), st.floats(min_value=0, max_value=5)),
)


@settings(max_examples=60, derandomize=True, deadline=10_000, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(numeric_change, min_size=1, max_size=3))
def test_a_scenario_with_changed_numbers_runs_or_fails_with_one_clear_message(folder, changes):
    tree = copy.deepcopy(BASE)
    for path, factor in changes:
        node, key = container(tree, path)
        node[key] = type(node[key])(node[key] * factor) if isinstance(node[key], int) and factor == int(factor) \
            else node[key] * factor
    path = folder / "scaled.yaml"
    path.write_text(yaml.dump(tree, Dumper=DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except InputError as error:
        assert str(error).startswith(str(path)) and "Traceback" not in str(error)
        return
    if expected_cases(scenario) <= 4 * MAX_SIMULATED_CASES:
        run = simulate(scenario, seed=2, case_log=False)
        assert 0 <= run.kpis["backlog_end"] and math.isfinite(run.kpis["cases_per_day"])


dotted = st.sampled_from([".".join(str(part) for part in p) for p in PATHS])
override_text = st.one_of(
    st.tuples(dotted, st.sampled_from(["", "x", ".9", "99"]), text).map(lambda t: f"{t[0]}{t[1]}={t[2]}"),
    st.tuples(dotted, numbers).map(lambda t: f"{t[0]}={t[1]}"),
    text,
)


@settings(max_examples=50, derandomize=True, deadline=10_000, database=None)
@given(overrides=st.lists(override_text, min_size=1, max_size=2))
def test_random_overrides_apply_or_fail_with_one_clear_message(overrides):
    try:
        load_scenario(PARAMS / "luzhou_baseline.yaml", TINY + overrides)
    except InputError as error:
        assert str(error).startswith(str(PARAMS / "luzhou_baseline.yaml")) and "Traceback" not in str(error)
