"""Replications by precision: the rule stops at the first replication count whose half-widths meet the target."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.experiment.precision import replicate_to_precision
from sim.experiment.runs import replicate_many

from .conftest import PARAMS, SMALL, small_scenario

CAP = 7


def _half_width(values) -> float:
    values = np.asarray(values, float)
    return stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))


@pytest.fixture(scope="module")
def pair():
    return [small_scenario("name=fewer"), small_scenario("name=more", "workforce.grid_workers=18")]


@pytest.fixture(scope="module")
def table(pair) -> pd.DataFrame:
    """The per-replication table of CAP replications, run the ordinary way."""
    return replicate_many(pair, CAP, seed=3).per_replication


def _widest(table: pd.DataFrame, kpi: str, n: int) -> float:
    wide = table[(table["kpi"] == kpi) & (table["replication"] < n)].pivot(index="replication", columns="scenario",
                                                                           values="value")
    return max(_half_width(wide["fewer"]), _half_width(wide["more"]), _half_width(wide["more"] - wide["fewer"]))


def test_the_rule_stops_at_the_first_count_meeting_the_target_of_means_and_paired_differences(pair, table):
    widths = {n: _widest(table, "ttc_p90_h", n) for n in range(2, CAP + 1)}
    target = widths[5] * 1.0001  # met at 5 replications at the latest
    expected = min(n for n, w in widths.items() if w <= target)
    results, precision = replicate_to_precision(pair, "ttc_p90_h", target, seed=3, cap=CAP, step=2)
    assert precision.met and precision.replications == expected
    assert results.per_replication["replication"].max() == expected - 1
    assert precision.achieved == pytest.approx(widths[expected])
    same = table[table["replication"] < expected].reset_index(drop=True)
    pd.testing.assert_frame_equal(results.per_replication.reset_index(drop=True), same)


def test_the_rule_gives_the_same_replications_whatever_the_round_size(pair, table):
    target = _widest(table, "ttc_p90_h", 4) * 1.0001
    one = replicate_to_precision(pair, "ttc_p90_h", target, seed=3, cap=CAP, step=1)
    three = replicate_to_precision(pair, "ttc_p90_h", target, seed=3, cap=CAP, step=3)
    assert one[1].replications == three[1].replications
    pd.testing.assert_frame_equal(one[0].per_replication, three[0].per_replication)


def test_an_unreachable_target_stops_at_the_cap_and_says_it_was_not_met(pair):
    _, precision = replicate_to_precision(pair[:1], "ttc_p90_h", 1e-9, seed=3, cap=3)
    assert precision.replications == 3 and not precision.met


def test_run_with_precision_reports_the_replications_it_needed_in_the_json(tmp_path, capsys):
    args = ["run", str(PARAMS / "luzhou_baseline.yaml"), "--out", str(tmp_path / "run"), "--json", "--no-progress",
            "--jobs", "1", "--precision", "on_time_rate=0.5", "--max-replications", "4"]
    for override in SMALL:
        args += ["--set", override]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    needed = payload["precision"]["replications"]
    assert payload["replications"] == needed and 2 <= needed <= 4
    assert payload["precision"]["met"] and payload["precision"]["half_width"] <= 0.5
    metadata = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert metadata["replications"] == needed
    per_replication = pd.read_csv(tmp_path / "run" / "kpis_per_replication.csv")
    assert per_replication["replication"].nunique() == needed


@pytest.mark.parametrize("rule, message", [("on_time=0.01", "not a KPI"), ("on_time_rate=-1", "positive"),
                                           ("on_time_rate", "KPI=HALF_WIDTH")])
def test_a_bad_precision_rule_is_refused_with_exit_2(tmp_path, capsys, rule, message):
    assert main(["run", str(PARAMS / "luzhou_baseline.yaml"), "--out", str(tmp_path / "r"), "--precision", rule]) == 2
    assert message in capsys.readouterr().err
