"""`gridgov run` results folders: killed at any moment and re-run, they end complete and equal to an uninterrupted run.

Specifications tested end to end on a small district:
- a second command on the same --out is refused while the first runs, and the first is unharmed;
- SIGKILL at a random moment never leaves a folder `gridgov verify` accepts; re-running the
  same command completes it, redoing only unfinished replications, with identical results;
- Ctrl-C and SIGTERM stop with a message saying how to resume, and no traceback;
- a full disk or an output path that cannot be a folder gives one clear error and no manifest;
- scenario names never place files outside the output folder.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from sim.results import manifest, store
from sim.results.folder import WORK
from sim.results.lock import lock_holder
from sim.results.worklog import WorkLog

from .conftest import PARAMS, ROOT, SMALL

REPLICATIONS = "4"
DATA_FILES = ("summary.csv", "kpis_per_replication.csv", "timeseries.parquet", "case_log_luzhou_baseline_rep0.parquet",
              "provenance_luzhou_baseline.csv")


def run_args(out: Path, jobs: int = 1, replications: str = REPLICATIONS) -> list[str]:
    small = [a for override in SMALL for a in ("--set", override)]
    return ["run", str(PARAMS / "luzhou_baseline.yaml"), *small, "-n", replications, "--seed", "11", "-j", str(jobs),
            "--no-progress", "--out", str(out)]


def start(out: Path, jobs: int = 1, replications: str = REPLICATIONS) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sim", *run_args(out, jobs, replications)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_interrupt)


def _default_interrupt() -> None:
    """The run starts with Ctrl-C at its default, as from a terminal, whatever this test process inherited.

    A test process started as a shell's background job ignores SIGINT, and one whose thread blocks it
    passes the mask on: either way the run would never see the Ctrl-C and would finish normally.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


def signal_state(pid: int) -> str:
    """The signal lines of a running process's /proc status (blocked, ignored, caught), for a failure message."""
    with contextlib.suppress(OSError):
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        return "; ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
    return "(not readable)"


def wait_for(condition, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def finished_replications(out: Path) -> int:
    return len(WorkLog(out).done_units())


def assert_same_results(folder: Path, reference: Path) -> None:
    for name in DATA_FILES:
        if name.endswith(".csv"):
            assert (folder / name).read_bytes() == (reference / name).read_bytes(), name
        else:
            pd.testing.assert_frame_equal(pd.read_parquet(folder / name), pd.read_parquet(reference / name))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, float]:
    """An uninterrupted run, during which a second command on the same folder is refused.

    Returns the folder and the run's wall time (the range for random kill moments).
    """
    out = tmp_path_factory.mktemp("reference")
    began = time.monotonic()
    first = start(out)
    wait_for(lambda: lock_holder(out) == first.pid or first.poll() is not None)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        REFUSALS.append((main(run_args(out)), stderr.getvalue(), first.poll()))
    _, first_stderr = first.communicate(timeout=300)
    elapsed = time.monotonic() - began
    assert first.returncode == 0, first_stderr
    return out, elapsed


REFUSALS: list[tuple[int, str, int | None]] = []


def test_a_second_run_on_the_same_folder_is_refused_and_the_first_is_unharmed(reference):
    out, _ = reference
    status, stderr, first_status = REFUSALS[0]
    assert first_status is None, "the first run ended before the second started; the test proved nothing"
    assert status == 2
    assert "in use by another gridgov process" in stderr and "Traceback" not in stderr
    assert manifest.verify(out).ok


@pytest.mark.parametrize("repeat", range(2))
def test_sigkill_at_a_random_moment_then_rerun_gives_the_uninterrupted_results(tmp_path, capsys, reference, repeat):
    folder, duration = reference
    out = tmp_path / "out"
    process = start(out)
    time.sleep(random.Random(6000 + repeat).uniform(0.0, duration))
    process.kill()
    process.wait()
    if out.exists() and manifest.verify(out).ok:  # killed after its manifest: then it must really be complete
        assert_same_results(out, folder)
    assert main(run_args(out)) == 0
    assert manifest.verify(out).ok
    assert_same_results(out, folder)


def test_sigkill_after_some_replications_redoes_only_the_rest(tmp_path, capsys, reference):
    folder, _ = reference
    out = tmp_path / "out"
    process = start(out)
    wait_for(lambda: finished_replications(out) >= 1 or process.poll() is not None)
    process.kill()
    process.wait()
    kept = finished_replications(out)
    assert 1 <= kept < int(REPLICATIONS) and not manifest.verify(out).ok
    capsys.readouterr()
    assert main(run_args(out)) == 0
    assert f"{kept} replication(s) already finished" in capsys.readouterr().err
    assert manifest.verify(out).ok and not (out / WORK).exists()
    assert_same_results(out, folder)


@pytest.mark.parametrize(
    "signal_number, status, jobs",
    [(signal.SIGINT, 130, 2), (signal.SIGTERM, 143, 1)],
    ids=["ctrl-c-to-the-process-group-with-workers", "sigterm"],
)
def test_an_interrupted_run_stops_cleanly_and_says_how_to_resume(tmp_path, signal_number, status, jobs):
    out = tmp_path / "out"
    process = start(out, jobs, replications="40")  # so that the signal always comes mid-run
    wait_for(lambda: finished_replications(out) >= 1 or process.poll() is not None)
    before = f"exit status before the signal: {process.poll()}; {signal_state(process.pid)}"
    os.killpg(process.pid, signal_number)  # as a terminal's Ctrl-C does: the command and its workers
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, f"{before}\n{stderr}"
    assert "Run the same command again" in stderr and "Traceback" not in stderr
    assert not manifest.verify(out).ok and finished_replications(out) >= 1
    assert not list(out.rglob("*.tmp"))


def test_a_full_disk_gives_one_clear_error_and_no_manifest(tmp_path, capsys, monkeypatch):
    real_replace = os.replace

    def replace(source, target):
        if Path(target).name == "timeseries.parquet":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(store.os, "replace", replace)
    out = tmp_path / "out"
    assert main(run_args(out)) == 2
    message = capsys.readouterr().err
    assert "No space left on device" in message and str(out) in message and "NOT marked complete" in message
    assert "Traceback" not in message
    assert not (out / manifest.MANIFEST).exists() and not manifest.verify(out).ok
    assert finished_replications(out) == int(REPLICATIONS)  # the work done is kept for the re-run


def test_an_output_path_under_a_file_gives_one_clear_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(run_args(tmp_path / "file" / "out")) == 2
    message = capsys.readouterr().err
    assert "cannot create the output folder" in message and "Traceback" not in message


def test_verify_exit_status_is_0_when_intact_1_when_altered_2_when_no_folder(tmp_path, capsys, reference):
    folder, _ = reference
    assert main(["verify", str(folder)]) == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in folder.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    (copy / "summary.csv").write_text("tampered\n")
    assert main(["verify", str(copy)]) == 1
    assert "altered: summary.csv" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nowhere")]) == 2


def test_a_hostile_scenario_name_stays_inside_the_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = [a for override in SMALL for a in ("--set", override)]
    assert main(["run", str(PARAMS / "luzhou_baseline.yaml"), *small, "--set", "name=../../a/../escape", "-n", "1",
                 "-j", "1", "--no-progress", "--set", "horizon_days=14", "--set", "drain_days=3"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["outputs"]
    (folder,) = (tmp_path / "outputs").iterdir()
    assert folder.name == store.safe_name("../../a/../escape") and manifest.verify(folder).ok


@given(st.text(max_size=40))
def test_a_safe_name_is_one_plain_file_name(name):
    cleaned = store.safe_name(name)
    assert cleaned and "/" not in cleaned and "\\" not in cleaned and ".." not in cleaned
    assert not cleaned.startswith(".") and len(cleaned) <= 100
