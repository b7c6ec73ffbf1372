"""Warm-up by MSER-5: a known transient is found, a stationary series needs none, a drifting one is flagged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.analysis.warmup import mser
from sim.cli import main

from .conftest import PARAMS, SMALL


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mser5_finds_the_end_of_a_known_transient(seed):
    transient = np.linspace(30, 0, 200, endpoint=False)  # settles at observation 200
    series = np.concatenate([transient, np.zeros(1800)]) + _noise(2000, seed)
    found = mser(series)
    assert found.settled
    assert 160 <= found.truncation <= 250  # within a quarter of the transient
    assert found.truncation % 5 == 0


def test_mser5_drops_little_of_a_series_that_starts_in_steady_state():
    found = mser(10 + _noise(1000, 3))
    assert found.settled and found.truncation <= 100


def test_mser5_says_a_series_that_keeps_growing_has_not_settled():
    found = mser(np.linspace(0, 100, 1000) + _noise(1000, 4))
    assert not found.settled


def test_mser5_refuses_a_series_too_short_to_judge():
    with pytest.raises(ValueError, match="at least 20"):
        mser(np.zeros(12))


def test_warmup_command_reports_the_warm_up_and_warns_when_the_scenario_s_is_shorter(tmp_path, capsys):
    args = ["warmup", str(PARAMS / "luzhou_baseline.yaml"), "--out", str(tmp_path), "--json", "--no-progress",
            "--replications", "2", "--jobs", "1"]
    for override in SMALL + ["warm_up_days=0", "workforce.grid_workers=24"]:
        args += ["--set", override]
    assert main(args) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["warm_up_days"] == 0 and payload["needed_days"] >= 1
    assert payload["short"] and "warning" in captured.err
    assert (tmp_path / "warmup.png").stat().st_size > 0
    assert json.loads((tmp_path / "warmup.json").read_text())["needed_days"] == payload["needed_days"]


def _run_small(tmp_path, capsys, *overrides: str) -> str:
    args = ["run", str(PARAMS / "luzhou_baseline.yaml"), "--out", str(tmp_path), "--json", "--no-progress",
            "--replications", "2", "--jobs", "1"]
    for override in SMALL + ["workforce.grid_workers=40", *overrides]:  # 40: a backlog that settles (MSER: 20 days)
        args += ["--set", override]
    assert main(args) == 0
    return capsys.readouterr().err


def test_run_warns_when_warm_up_days_is_shorter_than_mser5_finds_on_its_own_replications(tmp_path, capsys):
    err = _run_small(tmp_path / "short", capsys, "warm_up_days=0")
    assert "gridgov: warning:" in err and "warm_up_days = 0 is shorter" in err and "MSER-5" in err
    assert "warning" not in _run_small(tmp_path / "long", capsys, "warm_up_days=21")
