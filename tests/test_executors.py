"""Executors: the same replications give the same results bit for bit wherever they run, on a Dask
cluster too, and a worker that dies mid-batch neither loses nor duplicates a result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiment.executors import make_executor
from sim.experiment.runs import _task, replicate

from .conftest import ROOT, small_scenario

distributed = pytest.importorskip("distributed")

SHORT = ("horizon_days=21", "warm_up_days=7", "drain_days=7")


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two single-threaded worker processes, shared by this module's tests."""
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        yield cluster


def _run_or_kill_worker(task: tuple) -> object:
    """Simulate a replication; the first attempt at replication 1 kills its own worker process."""
    scenario, seed, replication, keep_log, marker = task
    if replication == 1 and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)
    return _task((scenario, seed, replication, keep_log))


def test_a_batch_on_a_dask_cluster_equals_the_local_run(cluster):
    scenario = small_scenario(*SHORT)
    local = replicate(scenario, 4, seed=5, executor=make_executor("local"))
    with make_executor("dask", scheduler=cluster.scheduler_address) as executor:
        remote = replicate(scenario, 4, seed=5, executor=executor)
    pd.testing.assert_frame_equal(local.per_replication, remote.per_replication)
    pd.testing.assert_frame_equal(local.timeseries, remote.timeseries)


def test_a_worker_killed_mid_batch_neither_loses_nor_duplicates_results(cluster, tmp_path):
    scenario = small_scenario(*SHORT)
    marker = str(tmp_path / "killed")
    tasks = [(scenario, 2, r, False, marker) for r in range(4)]
    with make_executor("dask", scheduler=cluster.scheduler_address) as executor:
        runs = executor.map(_run_or_kill_worker, tasks)
    assert os.path.exists(marker), "no worker was killed: the test did not test anything"
    assert [run.replication for run in runs] == [0, 1, 2, 3]
    expected = [_task((scenario, 2, r, False)) for r in range(4)]
    np.testing.assert_equal([run.kpis for run in runs], [run.kpis for run in expected])  # NaN equals NaN


def test_results_come_back_in_task_order_whatever_the_executor():
    scenario = small_scenario(*SHORT)
    tasks = [(scenario, 1, r, False) for r in (3, 0, 2, 1)]
    for kind in ("local", "process"):
        with make_executor(kind, jobs=2) as executor:
            assert [run.replication for run in executor.map(_task, tasks)] == [3, 0, 2, 1]


def test_an_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="executor must be one of"):
        make_executor("threads")


def test_cli_refuses_a_scheduler_with_a_non_dask_executor(tmp_path, capsys):
    status = main(["run", str(ROOT / "params" / "luzhou_baseline.yaml"), "--executor", "process",
                   "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "out"), "--no-progress"])
    assert status == 2
    assert "--scheduler tcp://127.0.0.1:1 needs --executor dask" in capsys.readouterr().err


def test_the_quick_benchmark_reports_every_figure():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_model.py"), "--quick", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    keys = {"load_average_start", "load_average_rounds", "load_average_end", "ref_cases_per_cpu_s", "mmc_ratio_cpu",
            "mmc_ratio_wall", "full_cases", "full_cpu_seconds", "full_ratio_cpu", "full_ratio_wall",
            "full_peak_rss_bytes", "full_bytes_per_case", "scaling", "scaling_growth", "horizon_scaling",
            "horizon_growth", "speedup_2proc", "dask_speedup", "dask_identical"}
    assert keys <= set(result)
    assert len(result["load_average_rounds"]) == result["rounds"] == 2
    for ratio in ("mmc_ratio_cpu", "full_ratio_cpu", "scaling_growth", "horizon_growth"):
        spread = result[ratio]
        assert spread["rounds"] == 2 and spread["min"] <= spread["median"] <= spread["max"]
        assert isinstance(spread["too_wide"], bool)
    assert [set(point) >= {"households", "cases", "cpu_seconds", "peak_rss_bytes"} for point in result["scaling"]] \
        == [True] * 3
    assert [point["years"] for point in result["horizon_scaling"]] == [1, 2]
    assert all(set(point) >= {"years", "cases", "cpu_seconds"} for point in result["horizon_scaling"])
    assert result["horizon_scaling"][1]["cases"] > result["horizon_scaling"][0]["cases"]
    assert result["full_cases"] > 0 and result["dask_identical"] is True


# --------------------------------------------------------------------------- a cluster from the command line

SMALL_SETS = [f"--set={s}" for s in SHORT] + [
    "--set=territory.subdistricts=2", "--set=territory.communities=4", "--set=territory.residential_grids=40",
    "--set=territory.dedicated_grids=4", "--set=workforce.grid_workers=14",
    "--set=workforce.community_workers_per_community=2", "--set=departments.urban_management.staff=4",
    "--set=departments.housing.staff=2", "--set=departments.emergency_management.staff=2",
    "--set=departments.public_security.staff=1", "--set=departments.market_regulation.staff=2",
    "--set=departments.civil_affairs.staff=1",
]


def _dask_cli(*args: str) -> subprocess.Popen:
    dask = Path(sys.executable).with_name("dask")
    return subprocess.Popen([str(dask), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition, seconds: float, what: str):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _gridgov_run(out: Path, *extra: str) -> subprocess.Popen:
    gridgov = Path(sys.executable).with_name("gridgov")
    return subprocess.Popen([str(gridgov), "run", str(ROOT / "params" / "luzhou_baseline.yaml"), "-n", "6", "--seed",
                             "11", *SMALL_SETS, "--out", str(out), "--no-progress", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not Path(sys.executable).with_name("dask").exists(), reason="the dask command is not installed")
def test_the_readme_cluster_recipe_survives_a_worker_killed_mid_run(tmp_path):
    """README "To run a batch on a cluster": `dask scheduler`, two `dask worker` processes, `gridgov run
    --scheduler`; one worker is killed (SIGKILL) while it runs a replication, and the results equal a local run."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [_dask_cli("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                           "--scheduler-file", str(scheduler_file))]
    try:
        _wait_for(scheduler_file.exists, 60, "the scheduler to write its address")
        address = _wait_for(lambda: json.loads(scheduler_file.read_text() or "{}").get("address"), 30,
                            "the scheduler's address")
        processes += [_dask_cli("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard")
                      for _ in range(2)]
        client = distributed.Client(address, timeout=60)
        try:
            client.wait_for_workers(2, timeout=60)
            remote = _gridgov_run(tmp_path / "remote", "--executor", "dask", "--scheduler", address)
            busy = _wait_for(lambda: [w for w, keys in client.processing().items() if keys], 120,
                             "a worker to start a replication")
            victim = client.run(os.getpid, workers=busy[:1])[busy[0]]
            killed = next(process for process in processes[1:] if process.pid == victim)
            os.kill(victim, 9)
            assert killed.wait(timeout=30) == -9
            assert remote.wait(timeout=600) == 0, remote.stderr.read()
        finally:
            client.close()
    finally:
        for process in processes:
            process.kill()
            process.wait()
    local = _gridgov_run(tmp_path / "local", "--executor", "local")
    assert local.wait(timeout=600) == 0, local.stderr.read()
    remote_kpis = pd.read_csv(tmp_path / "remote" / "kpis_per_replication.csv")
    local_kpis = pd.read_csv(tmp_path / "local" / "kpis_per_replication.csv")
    assert sorted(remote_kpis["replication"].unique().tolist()) == list(range(6))
    pd.testing.assert_frame_equal(remote_kpis, local_kpis)
