"""Shared fixtures: a small district that runs in about a second, built from the shipped baseline."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest

from sim.params import load_scenario

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"

# The Luzhou baseline shrunk to 40 grids, with departments scaled to match the load.
SMALL = [
    "horizon_days=42", "warm_up_days=7", "drain_days=21",
    "territory.subdistricts=2", "territory.communities=4", "territory.residential_grids=40",
    "territory.dedicated_grids=4",
    "workforce.grid_workers=14", "workforce.community_workers_per_community=2",
    "departments.urban_management.staff=4", "departments.housing.staff=2", "departments.emergency_management.staff=2",
    "departments.public_security.staff=1", "departments.market_regulation.staff=2", "departments.civil_affairs.staff=1",
]


def small_scenario(*overrides: str):
    return load_scenario(PARAMS / "luzhou_baseline.yaml", SMALL + list(overrides))


@pytest.fixture
def small():
    return small_scenario()


def pytest_sessionfinish(session, exitstatus):
    """Stop worker processes a test left running, and say so: this process would wait for them at exit."""
    left = multiprocessing.active_children()
    for child in left:
        child.kill()
        child.join(timeout=10)
    if left:
        print(f"\ntests left {len(left)} child process(es) running; killed: {', '.join(c.name for c in left)}",
              file=sys.stderr)
