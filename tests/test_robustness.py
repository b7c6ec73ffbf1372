"""`gridgov robustness`: shares of futures with honest intervals, regret, PRIM boxes, resume after SIGKILL, bad
input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis import prim
from sim.analysis.robustness import parse_target, regret, robustness_table, wilson
from sim.cli import main

from .conftest import PARAMS, ROOT

BATCH = PARAMS / "batches" / "robustness_smoke.yaml"
TABLES = ("robustness.csv", "regret.csv", "sensitivity.csv", "discovery.csv", "futures.parquet")


def _gridgov(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The smoke ensemble run once, uninterrupted, on a process pool of 2."""
    out = tmp_path_factory.mktemp("reference")
    assert main(["robustness", str(BATCH), "--futures", "5", "--out", str(out), "--jobs", "2", "--no-progress",
                 "--target", "on_time_rate>=0.9", "--target", "ttc_p90_h<=60"]) == 0
    return out


def test_every_share_lies_in_0_1_with_its_interval_and_matches_the_futures_table(reference):
    robustness = pd.read_csv(reference / "robustness.csv")
    futures = pd.read_parquet(reference / "futures.parquet")
    assert len(futures) == 5 * 2 and len(robustness) == 2 * 2
    for row in robustness.itertuples():
        assert 0 <= row.ci_low <= row.share <= row.ci_high <= 1
        target = parse_target(row.target)
        rows = futures[futures["policy"] == row.policy]
        assert row.futures == len(rows) == 5
        assert row.met == int(target.met(rows[target.kpi]).sum()) == int(rows[f"meets {row.target}"].sum())


def test_the_futures_table_has_one_row_per_future_and_policy_with_the_drawn_values(reference):
    futures = pd.read_parquet(reference / "futures.parquet")
    assert sorted(futures.groupby(["future", "policy"]).size().unique()) == [1]
    paths = ["cases.categories.*.rate_per_household_per_year", "cases.categories.*.work.*.mean_h",
             "departments.*.staff"]
    for path in paths:  # every policy faces the same futures
        assert futures.groupby("future")[path].nunique().max() == 1
    assert ((futures["cases.categories.*.work.*.mean_h"] >= 0.5) & (futures["cases.categories.*.work.*.mean_h"]
                                                                     <= 1.5)).all()


def test_regret_is_zero_for_the_best_policy_of_each_future_and_never_negative(reference):
    futures = pd.read_parquet(reference / "futures.parquet")
    assert (futures["regret_on_time_rate"] >= 0).all()
    best = futures.groupby("future")["regret_on_time_rate"].min()
    assert (best == 0).all()
    worst = futures.groupby("future")["on_time_rate"].agg(lambda v: v.max() - v.min())
    assert np.allclose(futures.groupby("future")["regret_on_time_rate"].max(), worst)


def test_the_brief_section_and_the_manifest_are_written(reference):
    html = (reference / "robustness.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Wilson" in html and "PRIM" in html
    assert main(["verify", str(reference)]) == 0


def test_a_killed_ensemble_redoes_only_the_missing_units_and_gives_identical_tables(reference, tmp_path):
    out = tmp_path / "killed"
    args = _gridgov("robustness", str(BATCH), "--futures", "5", "--out", str(out), "--jobs", "1", "--executor",
                    "local", "--no-progress", "--target", "on_time_rate>=0.9", "--target", "ttc_p90_h<=60")
    child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("runs/*/*.json"))) < 3 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    finished = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*.json")}
    assert 3 <= len(finished) < 10, "the ensemble should have been killed part-way"
    assert not (out / "manifest.json").exists()
    rerun = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(finished)} already finished" in rerun.stderr
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in finished.items())  # kept, not recomputed
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_wilson_interval_stays_in_0_1_and_is_not_degenerate_at_the_ends():
    assert wilson(0, 5)[0] == 0 and 0 < wilson(0, 5)[1] < 1
    assert wilson(5, 5)[1] == 1 and 0 < wilson(5, 5)[0] < 1
    low, high = wilson(3, 10)
    assert low < 0.3 < high


def test_a_missing_kpi_value_does_not_meet_a_target():
    frame = pd.DataFrame({"future": [0, 1, 2], "policy": "p", "on_time_rate": [0.96, float("nan"), 0.5]})
    table = robustness_table(frame, [parse_target("on_time_rate>=0.95")])
    assert table.loc[0, "met"] == 1 and table.loc[0, "futures"] == 3


def test_regret_of_a_lower_is_better_kpi_counts_the_excess_over_the_best():
    frame = pd.DataFrame({"future": [0, 0, 1, 1], "policy": ["a", "b", "a", "b"], "ttc_p90_h": [10.0, 14, 30, 20]})
    assert regret(frame, "ttc_p90_h").tolist() == [0.0, 4.0, 10.0, 0.0]


def test_prim_finds_the_corner_where_a_policy_fails():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(2000, 3))
    failed = (x[:, 0] > 0.7) & (x[:, 1] < 0.4)
    box = prim.discover(x, failed, ["volume", "work", "staff"], alpha=0.05,
                        bounds={n: (0.0, 1.0) for n in ("volume", "work", "staff")})
    limits = box.restricted({n: (0.0, 1.0) for n in ("volume", "work", "staff")})
    assert set(limits) == {"volume", "work"}
    assert limits["volume"][0] == pytest.approx(0.7, abs=0.05) and limits["work"][1] == pytest.approx(0.4, abs=0.05)
    assert box.density > 0.9 and box.coverage > 0.8
    inside = np.all([(x[:, j] >= lo) & (x[:, j] <= hi) for j, (lo, hi) in enumerate(box.limits.values())], axis=0)
    assert box.density == pytest.approx(failed[inside].mean()) and box.coverage == pytest.approx(
        failed[inside].sum() / failed.sum())


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_prim_pasting_wins_back_the_failures_peeling_cut_off_without_lowering_the_density(seed):
    full = {n: (0.0, 1.0) for n in ("volume", "work", "staff")}
    x = np.random.default_rng(seed).uniform(0, 1, size=(400, 3))
    failed = (x[:, 0] > 0.6) & (x[:, 1] < 0.5)  # the known box: volume above 0.6, work below 0.5
    peeled = prim.discover(x, failed, list(full), alpha=0.2, bounds=full, pasting=False)  # coarse peels overshoot
    pasted = prim.discover(x, failed, list(full), alpha=0.2, bounds=full)
    assert pasted.coverage > peeled.coverage and pasted.density >= peeled.density == 1.0
    limits = pasted.restricted(full)
    assert set(limits) == {"volume", "work"}
    assert 0.6 <= limits["volume"][0] <= 0.62 and 0.48 <= limits["work"][1] < 0.5  # out to the edge, not past it
    inside = (x[:, 0] >= limits["volume"][0]) & (x[:, 1] <= limits["work"][1])
    assert pasted.futures == inside.sum() and pasted.coverage == pytest.approx(failed[inside].sum() / failed.sum())


def test_prim_pasting_stops_where_widening_would_take_in_futures_that_do_not_fail():
    x = np.array([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8]])
    failed = np.array([False, False, False, True, True, True, True, False])
    start = prim.Box({"a": (0.5, 0.6)}, 0.5, 1.0, 0.25, 2)
    pasted = prim.paste(x, failed, ["a"], start, alpha=0.3, bounds={"a": (0.0, 1.0)})  # one future a step
    assert pasted.limits == {"a": (0.4, 0.7)} and pasted.density == 1.0 and pasted.coverage == 1.0


def test_the_shipped_sobol_batch_is_a_saltelli_design_over_three_ranges_that_all_act(tmp_path):
    from sim.batch.ensemble import plan_ensemble

    ensemble = plan_ensemble(PARAMS / "batches" / "robustness_sobol.yaml", tmp_path / "out", futures=32,
                             sampler="sobol", targets=[], replications=None)
    assert len(ensemble.uncertainties) == 3 and len(ensemble.futures) == 32 * (3 + 2)
    assert len(ensemble.units) == 2 * len(ensemble.futures)
    staff = "departments.*.staff"
    column = ensemble.futures.names.index(staff)
    low, high = ensemble.futures.values[:, column].argmin(), ensemble.futures.values[:, column].argmax()
    unit = {u.future: u.scenario for u in ensemble.units if u.policy == "none"}
    for name, department in unit[int(low)].departments.items():  # every head count moves within the range
        assert department.staff < unit[int(high)].departments[name].staff, name


def test_prim_has_nothing_to_discover_where_a_policy_never_fails():
    assert prim.discover(np.zeros((10, 2)), np.zeros(10, bool), ["a", "b"]) is None


@pytest.mark.parametrize("args, message", [
    (["--target", "on_time>=0.9"], "not a KPI"),
    (["--target", "on_time_rate>=95"], "between 0 and 1"),
    (["--target", "on_time_rate=0.9"], "expected KPI>=VALUE"),
    (["--sampler", "sobol", "--futures", "6"], "power of 2"),
])
def test_bad_options_are_refused_with_exit_2(tmp_path, capsys, args, message):
    assert main(["robustness", str(BATCH), "--out", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err


def test_policies_with_different_uncertainties_are_refused(tmp_path, capsys):
    batch = yaml.safe_load(BATCH.read_text())
    batch["scenarios"][1]["set"].append("uncertainties={}")
    path = tmp_path / "batch.yaml"
    for entry in batch["scenarios"]:
        entry["file"] = str(PARAMS / entry["file"].removeprefix("../"))
    path.write_text(yaml.safe_dump(batch))
    assert main(["robustness", str(path), "--out", str(tmp_path / "x")]) == 2
    assert "declare different uncertainties" in capsys.readouterr().err


def test_the_ensemble_on_a_dask_cluster_gives_the_same_tables(reference, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    assert main(["robustness", str(BATCH), "--futures", "5", "--out", str(out), "--jobs", "2", "--executor", "dask",
                 "--no-progress", "--target", "on_time_rate>=0.9", "--target", "ttc_p90_h<=60"]) == 0
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
