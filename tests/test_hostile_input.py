"""Hostile and careless input (issue 17): no hang, no traceback, nothing written outside the output folder.

One test per class of defect, each with several members, all through the command line in a child
process with a watchdog (`tests.cli_driver`), so that a hang fails the test instead of blocking
the suite. Every refusal must be exit status 2 with one specific message naming the file or the
option, the value and what is allowed; never the CLI's generic "unexpected ... bug" line, which
would mean the case was not foreseen.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from sim.results import store

from .cli_driver import run_calls
from .conftest import PARAMS, SMALL

BASELINE = PARAMS / "luzhou_baseline.yaml"
BATCHES = PARAMS / "batches"


def refused(result: dict, *fragments: str) -> None:
    """Exit 2, one specific message holding every fragment, no traceback, no hang."""
    where = f"{result['argv']}:\n{result['stderr']}{result['escaped']}"
    assert not result["escaped"], where
    assert result["code"] == 2, where
    assert "Traceback" not in result["stderr"], where
    assert "This is a bug" not in result["stderr"], where
    assert "gridgov: error:" in result["stderr"], where
    for fragment in fragments:
        assert fragment in result["stderr"], (fragment, where)


def call(*argv: object, cwd: Path | None = None) -> dict:
    return {"argv": [str(a) for a in argv], "cwd": str(cwd or Path.cwd())}


def listing(root: Path, skip: Path | None = None) -> dict[str, tuple]:
    """Every entry under root (not following links) with its kind, size and content hash: a before/after picture."""
    picture = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = here / name
            if skip is not None and path == skip:
                continue
            if path.is_symlink():
                picture[str(path.relative_to(root))] = ("link", os.readlink(path))
            elif path.is_file():
                picture[str(path.relative_to(root))] = ("file", path.stat().st_size, store.file_sha256(path))
            elif path.is_dir():
                picture[str(path.relative_to(root))] = ("dir",)
            else:
                picture[str(path.relative_to(root))] = ("special",)
    return picture


def batch_file(folder: Path, body: str, name: str = "batch.yaml") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def small_batch(scenario: Path, extra: str = "", entry: str = "") -> str:
    sets = "".join(f"\n  - {s}" for s in SMALL)
    return (f"name: hostile\nreplications: 1\nset:{sets}\nscenarios:\n  - name: base\n    file: {scenario}\n{entry}"
            f"{extra}")


# --------------------------------------------------------------------------- files the run did not write


def test_files_the_run_did_not_write_are_never_damaged(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim_dir = tmp_path / "victim_dir"
    victim_dir.mkdir()
    (victim_dir / "mine.txt").write_text("mine")
    lock_out = tmp_path / "lock_out"
    lock_out.mkdir()
    (lock_out / ".gridgov.lock").symlink_to(victim)
    work_out = tmp_path / "work_out"
    work_out.mkdir()
    (work_out / ".gridgov").symlink_to(victim_dir)
    log = tmp_path / "log.csv"
    log.write_text("created,closed,type\n2024-01-01 10:00,2024-01-02 10:00,a\n")
    notebooks = tmp_path / "with_notebooks"
    notebooks.mkdir()
    (notebooks / "scenario.ipynb").write_text((PARAMS.parent / "notebooks" / "scenario.ipynb").read_text())
    own_batch = batch_file(tmp_path, small_batch(BASELINE,
                                                 extra="notebooks: {scenario: with_notebooks/scenario.ipynb}\n"))
    before = listing(tmp_path)
    run = ["run", BASELINE, "-n", "1", "--no-progress", "--executor", "local"]
    results = run_calls([
        call(*run, "--out", lock_out),
        call(*run, "--out", work_out),
        call(*run, "--out", ""),
        call("calibrate", log, "--out", log),
        call("calibrate", log, "--report", tmp_path, "--out", tmp_path / "x.yaml", "--name", "x"),
        call("batch", own_batch, "--out", notebooks, "--no-progress"),
        call(*run, "--out", BASELINE),
    ], timeout_s=450)
    refused(results[0], str(lock_out), ".gridgov.lock is a symbolic link")
    refused(results[1], str(work_out), ".gridgov is a symbolic link")
    refused(results[2], "--out", "empty name")
    refused(results[3], "--out", str(log), "input file")
    refused(results[5], "--out", "input file", "scenario.ipynb")
    refused(results[6], "--out", str(BASELINE))
    assert results[4]["code"] == 2  # a one-row log: refused, and nothing was written for it
    assert listing(tmp_path) == before
    assert victim.read_text() == "precious" and sorted(p.name for p in victim_dir.iterdir()) == ["mine.txt"]


def test_clean_up_removes_only_gridgov_temporaries_in_gridgov_folders(tmp_path):
    from sim.results import manifest

    out = tmp_path / "out"
    (out / "mine" / "deep").mkdir(parents=True)
    theirs = [out / ".notes.abcd1234.tmp", out / "mine" / ".summary.csv.k2j_x9q1.tmp",
              out / "mine" / "deep" / ".summary.csv.gridgov-k2j_x9q1.tmp", out / "mine" / "x.tmp"]
    for path in theirs:
        path.write_text("the user's")
    ours = out / ".summary.csv.gridgov-ab_c1234.tmp"
    ours.write_text("half-written by a killed run")
    manifest.begin_results(out)
    assert not ours.exists()
    assert all(path.read_text() == "the user's" for path in theirs)


def test_a_scenario_named_compare_keeps_its_executed_notebook(tmp_path):
    from sim.batch.plan import plan_batch
    from sim.batch.runner import COMPARE_NOTEBOOK

    entries = "".join(f"  - name: {n}\n    file: {BASELINE}\n" for n in ("compare", "report", "notebooks"))
    path = batch_file(tmp_path, f"name: b\nreplications: 1\nscenarios:\n{entries}")
    plan = plan_batch(path, tmp_path / "out")
    notebooks = [item.notebook.name for item in plan.scenarios]
    assert COMPARE_NOTEBOOK not in notebooks and len(set(notebooks)) == 3


def test_own_folders_inside_the_output_folder_are_never_symlinks(tmp_path):
    from sim.errors import OutputError

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "scenarios").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="scenarios is a symbolic link"):
        store.own_folder(out, out / "scenarios" / "base")
    (out / "notebooks").write_text("a file")
    with pytest.raises(OutputError, match="notebooks is not a folder"):
        store.own_folder(out, out / "notebooks")
    assert list(elsewhere.iterdir()) == []


def test_a_run_writes_nothing_outside_its_output_folder(tmp_path):
    """One real (small) run with a 120-character Chinese name, a user's own .tmp files in --out, cwd elsewhere."""
    work = tmp_path / "cwd"
    work.mkdir()
    out = tmp_path / "out"
    (out / "mine").mkdir(parents=True)
    own = [out / ".notes.abcd1234.tmp", out / "mine" / ".summary.csv.k2j_x9q1.tmp", out / "mine" / "draft.txt"]
    for path in own:
        path.write_text("the user's")
    name = "城市网格治理压力测试" * 12
    before = listing(tmp_path, skip=out)
    sets = [a for s in SMALL + ["horizon_days=21", f"name={name}"] for a in ("--set", s)]
    simulation = call("run", BASELINE, *sets, "-n", "1", "--no-progress", "--executor", "local", "--out", out, cwd=work)
    [result] = run_calls([{**simulation, "watchdog_s": 400}], timeout_s=450)  # a real run: slow on a loaded machine
    assert result["code"] == 0, result["stderr"] + result["escaped"]
    assert listing(tmp_path, skip=out) == before
    assert all(path.read_text() == "the user's" for path in own)
    assert any(name[:30] in p.name for p in out.iterdir())
    assert all(len(p.name.encode()) <= 255 for p in out.rglob("*"))


# --------------------------------------------------------------------------- special files


@pytest.fixture
def specials(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    return {"fifo": (fifo, "FIFO"), "device": (Path("/dev/zero"), "character device"),
            "loop": (loop, "symbolic link loop"), "folder": (folder, "folder")}


def test_special_files_are_refused_by_name_wherever_a_file_is_read(tmp_path, specials):
    calls, expected = [], []
    for kind, (path, words) in specials.items():
        child = tmp_path / f"extends_{kind}.yaml"
        child.write_text(f"extends: {path}\n")
        batch = batch_file(tmp_path, small_batch(path), name=f"batch_{kind}.yaml")
        verify = tmp_path / f"verify_{kind}"
        verify.mkdir()
        if kind != "loop":
            (verify / "manifest.json").symlink_to(path)
        else:
            (verify / "manifest.json").symlink_to(verify / "manifest.json")
        lock_out = tmp_path / f"lock_{kind}"
        lock_out.mkdir()
        if kind == "fifo":
            os.mkfifo(lock_out / ".gridgov.lock")
        for argv in (["provenance", path], ["provenance", child], ["succession", path], ["batch", path],
                     ["batch", batch, "--out", tmp_path / f"b_{kind}"], ["calibrate", path]):
            calls.append(call(*argv))
            expected.append((str(path), words))
        calls.append(call("verify", verify))
        expected.append(("manifest.json", ""))
        if kind == "fifo":
            calls.append(call("run", BASELINE, "-n", "1", "--out", lock_out, "--executor", "local"))
            expected.append((".gridgov.lock", "FIFO"))
    results = run_calls(calls, timeout_s=450)
    for result, (name, words) in zip(results, expected, strict=True):
        if result["argv"][0] == "verify":
            assert not result["escaped"] and result["code"] == 1, result
            assert "manifest.json" in result["stderr"] and "Traceback" not in result["stderr"]
            continue
        refused(result, name, words)


# --------------------------------------------------------------------------- unbounded work


def test_every_count_and_expansion_is_limited_before_the_work(tmp_path):
    bomb = "[&a0 [1,1,1,1,1,1,1,1,1,1]," + ",".join(
        f"&a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)) + "]"
    assert len(bomb) < 400
    wide = (f"  - name: s\n    file: {BASELINE}\n    sweep:\n      horizon_days: "
            f"[{', '.join(str(30 + j) for j in range(100))}]\n      warm_up_days: "
            f"[{', '.join(str(j) for j in range(100))}]\n")
    sweep_batch = batch_file(tmp_path, f"name: wide\nreplications: 1\nscenarios:\n{wide}")
    chain = tmp_path / "chain"
    chain.mkdir()
    (chain / "f0.yaml").write_text(f"extends: {BASELINE}\n")
    for i in range(1, 2000):
        (chain / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    big = tmp_path / "big.yaml"
    big.write_text("x: [" + ", ".join(["1"] * 1_600_000) + "]\n")
    results = run_calls([
        call("provenance", BASELINE, "--set", f"cases.hourly_profile={bomb}"),
        call("succession", BASELINE, "-n", "100000000"),
        call("calibrate", BASELINE, "--search-steps", "1000000000"),
        call("batch", sweep_batch, "--out", tmp_path / "o"),
        call("provenance", chain / "f1999.yaml"),
        call("provenance", big),
        call("run", BASELINE, "--replications", "9" * 40),
    ])
    refused(results[0], "--set cases.hourly_profile", "more than 10,000 values")
    assert len(results[0]["stderr"]) < 600  # the expansion is never printed
    refused(results[1], "--replications", "at most 10,000")
    refused(results[2], "--search-steps", "at most 50")
    refused(results[3], str(sweep_batch), "more than 1,000 scenarios", "100 x 100")
    refused(results[4], "f1999.yaml", "longer than 20 files")
    refused(results[5], "big.yaml", "at most 1,000,000 bytes")
    refused(results[6], "--replications", "whole number")


# --------------------------------------------------------------------------- YAML 1.1 surprises


def test_yaml_1_1_surprises_are_refused_not_read_silently(tmp_path):
    hours = tmp_path / "hours.yaml"
    hours.write_text(f"extends: {BASELINE}\nworkforce:\n  grid_worker_hours: [{{days: [mon], start_h: 8:30, "
                     "end_h: 12}]\n")
    twice = tmp_path / "twice.yaml"
    twice.write_text(f"extends: {BASELINE}\nworkforce:\n  grid_workers: 100\n  grid_workers: 200\n")
    octal = tmp_path / "octal.yaml"
    octal.write_text(f"extends: {BASELINE}\nworkforce:\n  grid_workers: 0123\n")
    batch_twice = batch_file(tmp_path, f"name: b\nreplications: 1\nreplications: 2\nscenarios:\n"
                                       f"  - name: a\n    file: {BASELINE}\n")
    results = run_calls([
        call("provenance", BASELINE, "--set", "workforce.grid_workers=0123"),
        call("provenance", BASELINE, "--set", "horizon_days=1:00"),
        call("provenance", hours),
        call("provenance", twice),
        call("provenance", octal),
        call("provenance", BASELINE, "--set", "departments={a: {staff: 1}, a: {staff: 2}}"),
        call("batch", batch_twice, "--out", tmp_path / "o"),
    ])
    refused(results[0], "--set workforce.grid_workers", "'0123'", "leading zero", "octal", "123")
    refused(results[1], "--set horizon_days", "'1:00'", "base-60")
    refused(results[2], "hours.yaml", "'8:30'", "8.5")
    refused(results[3], "twice.yaml", "'grid_workers'", "twice", "line 3 and line 4")
    refused(results[4], "octal.yaml", "'0123'", "leading zero")
    refused(results[5], "--set departments", "'a'", "twice")
    refused(results[6], "batch.yaml", "'replications'", "twice")


def test_quoted_or_plain_numbers_still_read_as_written(tmp_path):
    from sim.params import load_scenario

    scenario = load_scenario(BASELINE, ["workforce.grid_workers=123", "description='8:30'", "horizon_days=400"])
    assert scenario.workforce.grid_workers == 123 and scenario.description == "8:30"


# --------------------------------------------------------------------------- tracebacks


def _notebook_files(folder: Path) -> dict[str, Path]:
    files = {"yaml": b"cells: []\n", "binary": b"\x00\xff\xfe\x89PNG", "list": b"[1, 2, 3]",
             "cells-not-list": b'{"cells": 5}',
             "not-python": json.dumps({"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
                                                  "source": "replications = (\n"}]}).encode()}
    paths = {}
    for kind, content in files.items():
        path = folder / f"{kind}.ipynb"
        path.write_bytes(content)
        paths[kind] = path
    return paths


def test_malformed_inputs_give_a_message_not_a_traceback(tmp_path):
    calls = []
    for kind, notebook in _notebook_files(tmp_path).items():
        batch = batch_file(tmp_path, f"name: b\nreplications: 1\nnotebooks: {{scenario: {notebook.name}, "
                                     f"compare: null}}\nscenarios:\n  - name: a\n    file: {BASELINE}\n",
                           name=f"nb_{kind}.yaml")
        calls.append(call("batch", batch, "--out", tmp_path / f"o_{kind}"))
    formats = ["{deadline_h.__class__}", "{deadline_h:99999999999}", "{other}", "{deadline_h!r}", "{"]
    for index, name_format in enumerate(formats):
        batch = batch_file(tmp_path, f"name: b\nreplications: 1\nscenarios:\n  - name: a\n    file: {BASELINE}\n"
                                     f"    sweep:\n      cases.categories.sanitation.deadline_h: [24, 48]\n"
                                     f"    name_format: {json.dumps(name_format)}\n", name=f"fmt_{index}.yaml")
        calls.append(call("batch", batch, "--out", tmp_path / f"f_{index}"))
    results = run_calls(calls)
    for result in results[:5]:
        refused(result, ".ipynb", "notebook")
    refused(results[4], "parameters cell is not Python")
    for result in results[5:]:
        refused(result, "name_format")


def test_malformed_manifests_are_reported_by_verify(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not in the folder")
    cases = {
        "deep": "[" * 100_000 + "]" * 100_000,
        "run-not-a-mapping": json.dumps({"format": "gridgov-manifest/1", "complete": True, "run": [1, 2],
                                         "files": {}}),
        "files-a-list": json.dumps({"format": "gridgov-manifest/1", "files": []}),
        "linked-out": json.dumps({"format": "gridgov-manifest/1", "complete": True, "run": {},
                                  "files": {"a.txt": {"sha256": store.file_sha256(outside), "bytes": 17}}}),
        "not-utf8": b"\xff\xfe{",
    }
    calls = []
    for kind, content in cases.items():
        folder = tmp_path / kind
        folder.mkdir()
        target = folder / "manifest.json"
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
        if kind == "linked-out":
            (folder / "a.txt").symlink_to(outside)
        calls.append(call("verify", folder))
    for result in run_calls(calls):
        assert not result["escaped"] and result["code"] == 1, result
        assert "Traceback" not in result["stderr"] and "This is a bug" not in result["stderr"], result
        assert "manifest" in result["stderr"] or "missing: a.txt" in result["stderr"], result


def _log(path: Path, rows: list[str], header: str = "created,closed,type") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_case_logs_of_every_kind_are_read_or_refused_clearly(tmp_path):
    from sim.calibration import read_case_log

    dst = _log(tmp_path / "dst.csv", ["2024-03-09T10:00:00-05:00,2024-03-11T10:00:00-04:00,pothole",
                                      "2024-03-12T23:30:00-04:00,2024-03-13T01:00:00-04:00,noise"])
    log = read_case_log(dst)
    assert [t.hour for t in log.frame["created"]] == [10, 23]  # local wall-clock hours, across the change
    assert (log.frame["closed"] - log.frame["created"]).min() > __import__("pandas").Timedelta(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("data.bin", "x")
    (tmp_path / "fake.xlsx").write_bytes(buffer.getvalue())
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    folder = tmp_path / "existing"
    folder.mkdir()
    results = run_calls([
        call("calibrate", dst, "--time-format", "%Q %Y"),
        call("calibrate", tmp_path / "fake.xlsx"),
        call("calibrate", tmp_path / "old.xls"),
        call("calibrate", dst, "--out", folder),
        call("calibrate", dst, "--created", "created", "--closed", "created"),
        call("calibrate", dst, "--name", "名" * 121),
        call("calibrate", dst),
    ], timeout_s=300)
    refused(results[0], "--time-format", "'%Q %Y'", "bad directive")
    refused(results[1], "fake.xlsx", "not an Excel workbook", "readme.txt")
    refused(results[2], "old.xls", ".xls", ".xlsx or CSV")
    refused(results[3], "--out", str(folder), "existing folder")
    assert "search run" not in results[3]["stderr"]  # refused before the calibration ran
    refused(results[4], "--created", "--closed", "'created'")
    refused(results[5], "--name", "1 to 120 characters", "121")
    refused(results[6], "dst.csv", "2 usable case(s)", "at least 30 cases")


def test_a_latin_1_log_is_not_read_as_gb18030_and_a_gbk_log_still_is(tmp_path):
    from sim.calibration import read_case_log

    latin = tmp_path / "latin.csv"
    latin.write_bytes("created,closed,type\n2024-01-01 10:00,2024-01-02 10:00,Café crème\n"
                      "2024-01-01 11:00,2024-01-02 10:00,Ordures ménagères\n".encode("latin-1"))
    assert read_case_log(latin).frame["category"].tolist() == ["Café crème", "Ordures ménagères"]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("created,closed,类别\n2024-01-01 10:00,2024-01-02 10:00,道路破损\n".encode("gb18030"))
    assert read_case_log(gbk).frame["category"].tolist() == ["道路破损"]


# --------------------------------------------------------------------------- misleading messages


def test_messages_blame_the_right_file_and_say_what_is_wrong(tmp_path):
    bad_value = batch_file(tmp_path, f"name: b\nreplications: 1\nset: [workforce.grid_workers=-5]\nscenarios:\n"
                                     f"  - name: a\n    file: {BASELINE}\n", name="bad_value.yaml")
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    long_name = tmp_path / "long.yaml"
    long_name.write_text(f"extends: {BASELINE}\nname: {'网' * 121}\n")
    results = run_calls([
        call("batch", bad_value, "--out", tmp_path / "o"),
        call("calibrate", fifo),
        call("provenance", long_name),
        call("verify", tmp_path / "nowhere"),
        call("verify", fifo),
        call("verify", tmp_path / "loop"),
    ])
    refused(results[0], "bad_value.yaml", "scenarios[0]", "workforce.grid_workers", "-5")
    assert not results[0]["stderr"].split("error: ", 1)[1].startswith(str(BASELINE))
    refused(results[1], "log.csv", "FIFO")
    assert "empty" not in results[1]["stderr"]
    refused(results[2], "long.yaml", "name", "120 characters")
    refused(results[3], "nowhere", "no such folder")
    refused(results[4], "log.csv", "is a FIFO (named pipe), not a results folder")
    refused(results[5], "loop", "is a symbolic link loop, not a results folder")


def test_names_are_cut_in_bytes_so_every_file_name_fits():
    name = store.safe_name("城" * 120)
    assert len(name.encode()) <= store.MAX_NAME_BYTES and name == "城" * (store.MAX_NAME_BYTES // 3)
    assert len(f".case_log_{name}_rep0.parquet.gridgov-abcdefgh.tmp".encode()) <= 255
    assert store.safe_name("é" * 200).encode().decode() == "é" * (store.MAX_NAME_BYTES // 2)
