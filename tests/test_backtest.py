"""Back-test: every shipped scenario gives the KPIs stored in backtest_expected.json (see tests/backtest.py)."""

from __future__ import annotations

import json

import pytest

from .backtest import EXPECTED, run_all, same, scenario_files

STORED = json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, float]]:
    return run_all()  # every scenario at once, on both cores


def test_every_shipped_scenario_has_stored_figures():
    assert sorted(STORED) == [path.stem for path in scenario_files()]


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_a_shipped_scenario_gives_its_stored_kpis(path, current):
    expected, actual = STORED[path.stem], current[path.stem]
    assert sorted(actual) == sorted(expected), "the scenario's KPIs are not the stored ones"
    changed = {kpi: (expected[kpi], value) for kpi, value in actual.items() if not same(expected[kpi], value)}
    assert not changed, f"changed (stored, now): {changed}; if intended, run python -m tests.backtest --update"
