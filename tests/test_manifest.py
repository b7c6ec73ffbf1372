"""Results-folder conventions (sim/results/): the lock, the manifest written last, verification, the work log.

These are the building blocks `gridgov run`, `compare` and the batch runner share; they are
tested here on plain files, without simulating anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pandas as pd
import pytest

from sim.errors import InputError, OutputError
from sim.results import lock, manifest, store
from sim.results.folder import LOCK_HOLDER, WORK, writing_errors
from sim.results.worklog import WorkLog


def write_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    table = store.write_table(pd.DataFrame({"a": [1, 2, 3]}), folder / "table.csv")
    nested = folder / "scenario_a"
    nested.mkdir(exist_ok=True)
    frame = store.write_table(pd.DataFrame({"x": [0.1, 0.2]}), nested / "series.parquet")
    note = store.atomic_write(folder / "note.txt", lambda tmp: tmp.write_text("hello"))
    return [table, frame, note]


def test_manifest_lists_every_file_with_checksum_size_and_rows(tmp_path):
    files = write_files(tmp_path)
    manifest.write_manifest(tmp_path, {"seed": 3}, files)
    written = json.loads((tmp_path / manifest.MANIFEST).read_text())
    assert written["complete"] is True and written["run"] == {"seed": 3}
    assert set(written["files"]) == {"table.csv", "scenario_a/series.parquet", "note.txt"}
    assert written["files"]["table.csv"]["rows"] == 3
    assert written["files"]["scenario_a/series.parquet"]["rows"] == 2
    assert written["files"]["note.txt"]["sha256"] == store.file_sha256(tmp_path / "note.txt")


def test_a_folder_with_an_intact_manifest_verifies(tmp_path):
    manifest.write_manifest(tmp_path, {}, write_files(tmp_path))
    result = manifest.verify(tmp_path)
    assert result.ok and result.checked == 3 and not result.extra


def test_verify_reports_missing_altered_and_extra_files(tmp_path):
    manifest.write_manifest(tmp_path, {}, write_files(tmp_path))
    (tmp_path / "note.txt").write_text("hellO")
    (tmp_path / "scenario_a" / "series.parquet").unlink()
    (tmp_path / "stray.csv").write_text("x\n")
    result = manifest.verify(tmp_path)
    assert not result.ok
    assert result.altered == ["note.txt"] and result.missing == ["scenario_a/series.parquet"]
    assert result.extra == ["stray.csv"]


def test_a_folder_without_manifest_is_not_complete(tmp_path):
    write_files(tmp_path)
    result = manifest.verify(tmp_path)
    assert not result.ok and "not complete" in result.problems[0] and "run the same command again" in result.problems[0]


def test_a_hand_edited_manifest_is_detected(tmp_path):
    manifest.write_manifest(tmp_path, {"seed": 1}, write_files(tmp_path))
    data = json.loads((tmp_path / manifest.MANIFEST).read_text())
    data["run"]["seed"] = 2
    (tmp_path / manifest.MANIFEST).write_text(json.dumps(data))
    assert any("edited" in p for p in manifest.verify(tmp_path).problems)


def test_a_corrupt_manifest_fails_verification_without_a_traceback(tmp_path):
    (tmp_path / manifest.MANIFEST).write_text("{not json")
    assert "unreadable" in manifest.verify(tmp_path).problems[0]


def test_verify_of_a_missing_folder_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        manifest.verify(tmp_path / "nope")


def test_begin_results_removes_the_manifest_and_stale_temporaries(tmp_path):
    manifest.write_manifest(tmp_path, {}, write_files(tmp_path))
    (tmp_path / ".summary.csv.gridgov-ab_c1234.tmp").write_text("half")
    manifest.begin_results(tmp_path)
    assert not (tmp_path / manifest.MANIFEST).exists()
    assert not (tmp_path / ".summary.csv.gridgov-ab_c1234.tmp").exists()


def test_atomic_write_leaves_no_file_and_no_temporary_when_writing_fails(tmp_path):
    def fail(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        store.atomic_write(tmp_path / "summary.csv", fail)
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_usual_permissions_not_private_ones(tmp_path):
    previous = os.umask(0o022)
    try:
        path = store.atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_full_disk_becomes_one_clear_output_error(tmp_path):
    with pytest.raises(OutputError) as info:
        with writing_errors(tmp_path):
            raise OSError(28, "No space left on device", str(tmp_path / "x"))
    message = str(info.value)
    assert str(tmp_path) in message and "No space left" in message and "NOT marked complete" in message


def test_the_lock_is_reentrant_within_one_process(tmp_path):
    with lock.folder_lock(tmp_path):
        with lock.folder_lock(tmp_path):
            pass
        assert lock.lock_holder(tmp_path)  # still held by the outer block


def test_the_lock_is_released_on_exit(tmp_path):
    with lock.folder_lock(tmp_path):
        pass
    assert lock.lock_holder(tmp_path) is None


def test_the_lock_is_reentrant_across_the_threads_of_one_process(tmp_path):
    taken = []

    def take_again() -> None:
        with lock.folder_lock(tmp_path):
            taken.append(True)

    with lock.folder_lock(tmp_path):
        thread = threading.Thread(target=take_again)
        thread.start()
        thread.join(timeout=10)
    assert taken == [True] and lock.lock_holder(tmp_path) is None


def test_the_lock_and_its_holder_file_are_not_results(tmp_path):
    with lock.folder_lock(tmp_path):
        assert (tmp_path / LOCK_HOLDER).read_text().strip() == str(os.getpid())
        manifest.write_manifest(tmp_path, {}, None)
        assert manifest.read_manifest(tmp_path)["files"] == {}
    assert not (tmp_path / LOCK_HOLDER).exists()


HOLD = textwrap.dedent("""
    import sys, time
    from sim.results.lock import folder_lock
    with folder_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
""")


def test_a_second_process_is_refused_while_the_first_holds_the_folder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(lock.FolderInUse) as info:
            with lock.folder_lock(tmp_path):
                pass
        assert f"pid {holder.pid}" in str(info.value) and "choose another --out" in str(info.value)
        assert "still writing" in manifest.verify(tmp_path).problems[0]
    finally:
        holder.kill()
        holder.wait()
    with lock.folder_lock(tmp_path):  # SIGKILL released it
        pass


def test_work_log_recalls_finished_units_exactly(tmp_path):
    log = WorkLog(tmp_path)
    frame = pd.DataFrame({"t": [0.1, 1 / 3, float("nan")], "n": [1, 2, 3]})
    log.save_frames("replication|a|rep=0", {"series": frame})
    assert log.is_done("replication|a|rep=0") and not log.is_done("replication|a|rep=1")
    pd.testing.assert_frame_equal(log.load_frames("replication|a|rep=0")["series"], frame)
    assert log.done_units() == ["replication|a|rep=0"]


def test_a_unit_without_its_marker_is_not_done(tmp_path):
    log = WorkLog(tmp_path)
    log.save_frames("u", {"series": pd.DataFrame({"a": [1]})})
    next(log.dir.glob("*.done")).unlink()  # killed after the tables, before the marker
    assert not log.is_done("u") and log.load_frames("u") is None


def test_finishing_the_results_clears_the_work_log(tmp_path):
    WorkLog(tmp_path).mark_done("u")
    manifest.finish_results(tmp_path, {}, write_files(tmp_path))
    assert not (tmp_path / WORK).exists() and manifest.verify(tmp_path).ok


def test_a_folder_filled_unit_by_unit_resumes_after_an_interruption_and_completes_with_the_manifest(tmp_path):
    ran = []

    def fill(stop_after: int | None) -> None:
        with lock.folder_lock(tmp_path), writing_errors(tmp_path):
            manifest.begin_results(tmp_path)
            work = WorkLog(tmp_path)
            for unit in ("a", "b", "c"):
                if work.is_done(unit):
                    continue
                if stop_after is not None and len(ran) == stop_after:
                    raise KeyboardInterrupt
                store.atomic_write(tmp_path / f"{unit}.txt", lambda tmp, u=unit: tmp.write_text(u))
                work.mark_done(unit)
                ran.append(unit)
            manifest.finish_results(tmp_path, {"units": 3})

    with pytest.raises(KeyboardInterrupt):
        fill(stop_after=2)
    assert not manifest.verify(tmp_path).ok
    fill(stop_after=None)
    assert ran == ["a", "b", "c"] and manifest.verify(tmp_path).ok
    assert manifest.read_manifest(tmp_path)["files"].keys() == {"a.txt", "b.txt", "c.txt"}


def test_only_our_own_temporaries_are_cleaned(tmp_path):
    (tmp_path / ".editor-backup.tmp").write_text("the user's")
    (tmp_path / ".summary.csv.gridgov-k2j_x9q1.tmp").write_text("ours, half-written")
    assert manifest.clean_temporaries(tmp_path) == [tmp_path / ".summary.csv.gridgov-k2j_x9q1.tmp"]
    assert (tmp_path / ".editor-backup.tmp").exists()
