"""A batch sized by precision: every scenario on the same replications, as many as the rule needs, resumable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import sim.experiment.runs as runs_module
from sim.batch.plan import plan_batch
from sim.batch.precision import SizingStore, size_batch
from sim.batch.runner import run_batch
from sim.cli import main
from sim.experiment.precision import widest_half_width
from sim.experiment.runs import replicate_many, simulate
from sim.params import load_scenario
from sim.reporting import brief
from sim.reporting.batch_results import load_batch
from sim.reporting.notebook import run_scenario
from sim.results import manifest
from sim.results.resume import ReplicationLog

from .conftest import PARAMS, SMALL

CAP = 5
KPI = "on_time_rate"


def batch_text(precision: str, extra: str = "") -> str:
    sets = "\n".join(f"  - {s}" for s in SMALL)
    return (f"name: sized\nseed: 3\ntimeout_minutes: 5\n{precision}{extra}set:\n{sets}\nscenarios:\n"
            f"  - name: more\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n    set: [workforce.grid_workers=18]\n"
            f"  - name: fewer\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
            "baseline: fewer\n")


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory):
    """The per-replication table of CAP replications of the batch's scenarios, run the ordinary way."""
    folder = tmp_path_factory.mktemp("ordinary")
    path = folder / "batch.yaml"
    path.write_text(batch_text("replications: 1\n"))
    scenarios = [item.scenario for item in plan_batch(path, folder / "out").scenarios]
    return replicate_many(scenarios, CAP, seed=3).per_replication


@pytest.fixture(scope="module")
def target(ordinary) -> tuple[float, int]:
    """A half-width met first at 3 or 4 replications, and that count."""
    widths = {n: widest_half_width(ordinary, KPI, n, "fewer") for n in range(2, CAP + 1)}
    width = min(widths[3], widths[4]) * 1.0001
    return width, min(n for n, w in widths.items() if w <= width)


@pytest.fixture(scope="module")
def sized_batch(tmp_path_factory, target):
    folder = tmp_path_factory.mktemp("sized")
    path = folder / "batch.yaml"
    path.write_text(batch_text(f"precision: {{kpi: {KPI}, half_width: {target[0]!r}, max_replications: {CAP}}}\n"))
    out = folder / "out"
    return path, out, run_batch(path, out, jobs=2, progress=False, report=False)


def test_a_batch_sized_by_precision_stops_at_the_first_count_meeting_the_target_of_means_and_differences(
        sized_batch, target):
    _, out, result = sized_batch
    assert result.ok and result.precision["met"]
    assert result.precision["replications"] == target[1] == result.plan.replications
    content = json.loads((out / "batch.json").read_text())
    assert content["replications"] == target[1] and content["precision"]["baseline"] == "fewer"
    widths = json.loads((out / "precision" / "precision.json").read_text())["widest_half_width_by_replications"]
    assert [n for n, w in widths.items() if w <= target[0]] == [str(target[1])]  # the last count only


def test_every_scenario_of_a_sized_batch_holds_the_ordinary_replications_of_the_same_seed(sized_batch, ordinary,
                                                                                         target):
    _, out, result = sized_batch
    for name in ("fewer", "more"):
        table = pd.read_csv(out / "scenarios" / name / "kpis_per_replication.csv")
        expected = ordinary[(ordinary["scenario"] == name) & (ordinary["replication"] < target[1])]
        assert table["replication"].nunique() == target[1]
        merged = table.merge(expected, on=["replication", "kpi"], suffixes=("", "_ordinary"))
        assert len(merged) == len(expected)
        assert (merged["value"].isna() & merged["value_ordinary"].isna()
                | (merged["value"] - merged["value_ordinary"]).abs().le(1e-9)).all()
    assert manifest.verify(out).ok
    assert manifest.read_manifest(out)["run"]["precision"]["replications"] == target[1]


def test_the_brief_of_a_sized_batch_says_a_precision_rule_chose_the_replication_count(sized_batch, target):
    _, out, _ = sized_batch
    batch = load_batch(out)
    english, chinese = brief.sizing(batch, "en"), brief.sizing(batch, "zh")
    assert any("precision rule" in line and f"after {target[1]} replications" in line for line in english)
    assert any("精度规则" in line and f"共{target[1]}次重复" in line for line in chinese)


def test_a_rerun_of_a_sized_batch_simulates_nothing(sized_batch, monkeypatch):
    path, out, _ = sized_batch

    def no_simulation(task):
        raise AssertionError(f"simulated {task[0].name} replication {task[2]} again")

    monkeypatch.setattr(runs_module, "_task", no_simulation)
    again = run_batch(path, out, jobs=1, progress=False, report=False)
    assert all(s.status.startswith("skipped") for s in again.plan.scenarios)
    assert again.precision == json.loads((out / "precision" / "precision.json").read_text())


def test_an_interrupted_sizing_resumes_with_the_replications_it_had_and_the_same_result(tmp_path, target,
                                                                                       monkeypatch):
    path = tmp_path / "batch.yaml"
    path.write_text(batch_text(f"precision: {{kpi: {KPI}, half_width: {target[0]!r}, max_replications: {CAP}}}\n"))
    out = tmp_path / "out"
    out.mkdir()
    calls = []
    real = runs_module._task

    def interrupted_after_three(task):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(task[2])
        return real(task)

    monkeypatch.setattr(runs_module, "_task", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        size_batch(plan_batch(path, out), out)
    assert len(SizingStore(out).kpis) == 3  # the three finished replications were kept
    monkeypatch.setattr(runs_module, "_task", lambda task: (calls.append(task[2]), real(task))[1])
    plan = plan_batch(path, out)
    reached = size_batch(plan, out)
    assert reached["replications"] == target[1] and plan.replications == target[1]
    assert len(calls) == 2 * target[1]  # three before the interruption, the rest after: none twice


def test_the_scenario_notebook_recalls_replications_from_the_batch_work_log(tmp_path):
    scenario_file = PARAMS / "luzhou_baseline.yaml"
    scenario = load_scenario(scenario_file, SMALL)
    run = simulate(scenario, 3, 0, case_log=True)
    run.kpis = {**run.kpis, KPI: 0.123456}  # a value no simulation gives: recalled, not recomputed
    ReplicationLog(tmp_path).save(scenario, run)
    recalled = run_scenario(scenario_file, SMALL, replications=1, seed=3, work_dir=str(tmp_path))
    assert recalled.results.kpi(KPI)["mean"] == pytest.approx(0.123456)


@pytest.mark.parametrize("precision, message", [
    ("precision: {kpi: on_time, half_width: 0.01}\n", "not a KPI"),
    ("precision: {kpi: on_time_rate, half_width: 0}\n", "half_width"),
    ("precision: {kpi: on_time_rate, half_width: 0.01, max_replications: 3, min_replications: 4}\n",
     "must not exceed"),
    ("", "replications is required"),
])
def test_a_bad_precision_block_in_a_batch_file_exits_2_naming_it(tmp_path, capsys, precision, message):
    path = tmp_path / "batch.yaml"
    path.write_text(batch_text(precision))
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [(["--precision", "on_time_rate=-1"], "positive"),
                                              (["--max-replications", "5"], "give --precision"),
                                              (["--precision", "on_time_rate=0.1", "--max-replications", "1"],
                                               "at least 2")])
def test_a_bad_precision_option_on_batch_exits_2(tmp_path, capsys, options, message):
    path = tmp_path / "batch.yaml"
    path.write_text(batch_text("replications: 2\n"))
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--no-progress", *options]) == 2
    assert message in capsys.readouterr().err


def _kpis_of(out) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in sorted((out / "scenarios").glob("*/kpis_per_replication.csv"))}


def test_a_sized_batch_killed_during_its_sizing_completes_on_rerun_with_identical_results(sized_batch, tmp_path):
    path, reference, _ = sized_batch
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "-j", "2", "--no-progress"]
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    table = out / "precision" / "kpis_per_replication.parquet"
    deadline = time.monotonic() + 300
    while not table.exists() and time.monotonic() < deadline:  # killed once the sizing has kept something
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert not (out / "scenarios" / "fewer" / "complete.json").exists()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert _kpis_of(out) == _kpis_of(reference)
    assert json.loads((out / "precision" / "precision.json").read_text()) == json.loads(
        (reference / "precision" / "precision.json").read_text())
    assert manifest.verify(out).ok
