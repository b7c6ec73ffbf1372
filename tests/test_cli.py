"""The gridgov command: JSON output, comparisons, the Erlang C check, and clean failures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim.cli import main

from .conftest import PARAMS, SMALL


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300)


def small_args() -> list[str]:
    return [a for override in SMALL for a in ("--set", override)]


def test_run_json_has_the_promised_kpis(tmp_path, capsys):
    code = main(["run", str(PARAMS / "luzhou_baseline.yaml"), *small_args(), "-n", "2", "--seed", "4",
                 "--out", str(tmp_path), "--json", "--no-progress", "-j", "1"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert payload["scenario"] == "luzhou_baseline" and payload["replications"] == 2 and payload["seed"] == 4
    for kpi in ("on_time_rate", "ttc_p50_h", "ttc_p90_h", "ttc_p99_h", "overdue_cases", "backlog_end",
                "cases_per_day", "grid_worker_utilisation", "cases_per_grid_worker_day"):
        entry = payload["kpis"][kpi]
        assert entry["ci_low"] <= entry["mean"] <= entry["ci_high"]


def test_run_writes_tables_charts_and_metadata(tmp_path, capsys):
    main(["run", str(PARAMS / "luzhou_baseline.yaml"), *small_args(), "-n", "2", "--out", str(tmp_path),
          "--no-progress", "-j", "1"])
    assert "on_time_rate" in capsys.readouterr().out
    for name in ("summary.csv", "kpis_per_replication.csv", "timeseries.parquet", "metadata.json",
                 "on_time_rate.png", "backlog.png", "case_log_luzhou_baseline_rep0.parquet"):
        assert (tmp_path / name).exists(), name
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["seed"] == 0 and meta["scenarios"][0]["content_hash"]


def test_compare_reports_paired_differences(tmp_path, capsys):
    code = main(["compare", str(PARAMS / "luzhou_baseline.yaml"), str(PARAMS / "luzhou_2034.yaml"), *small_args(),
                 "--set", "workforce.hiring_batches=[{size: 10, start_day: 7}]",
                 "-n", "3", "--out", str(tmp_path), "--json", "--no-progress", "-j", "2"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    difference = payload["differences"]["luzhou_2034"]["on_time_rate"]
    assert difference["ci_low"] <= difference["difference"] <= difference["ci_high"]
    assert (tmp_path / "differences.csv").exists()


def test_validate_mmc_json_compares_with_erlang_c(capsys):
    code = main(["validate", "mmc", "--servers", "3", "--arrival-rate", "2", "--service-rate", "1",
                 "--replications", "8", "--json", "-j", "2"])
    payload = json.loads(capsys.readouterr().out)
    assert code == (0 if payload["passed"] else 1)
    for side in ("simulated", "analytical"):
        assert {"p_wait", "mean_wait_h"} <= payload[side].keys()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "missing.yaml"], "missing.yaml: file not found"),
        (["run", str(PARAMS / "luzhou_baseline.yaml"), "--set", "workforce.grid_workers=-3"], "workforce.grid_workers"),
        (["run", str(PARAMS / "luzhou_baseline.yaml"), "--set", "workforce.nope=3"], "unknown parameter 'nope'"),
        (["run", str(PARAMS / "luzhou_baseline.yaml"), "--replications", "0"], "--replications must be at least 1"),
        (["validate", "mmc", "--servers", "2", "--arrival-rate", "3", "--service-rate", "1"], "must be below 1"),
        (["frobnicate"], "invalid choice"),
    ],
    ids=["missing-file", "negative-head-count", "unknown-override", "zero-replications", "unstable-queue",
         "bad-command"],
)
def test_bad_input_exits_2_with_one_clear_message_and_no_traceback(args, expected):
    result = run_cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_run_json_has_the_prevention_and_participation_kpis_and_writes_scorecards(tmp_path, capsys):
    code = main(["run", str(PARAMS / "luzhou_prevention.yaml"), *small_args(), "--set", "workforce.hiring_batches=[]",
                 "-n", "1", "--out", str(tmp_path), "--json", "--no-progress", "-j", "1"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    for kpi in ("patrol_coverage", "latent_found_before_eruption_share", "latent_erupted", "informant_reports",
                "micro_wish_fulfilment_rate", "micro_wish_wait_p50_h", "mediation_success_rate",
                "burden_hours_per_worker_week", "burden_hours_freed"):
        assert payload["kpis"][kpi]["mean"] is not None, kpi
    for name in ("scorecard_grid_weekly", "scorecard_community_monthly", "scorecard_subdistrict_quarterly"):
        assert (tmp_path / f"{name}_luzhou_prevention_rep0.parquet").exists()
    assert (tmp_path / "time_use_luzhou_prevention_rep0.csv").exists()
