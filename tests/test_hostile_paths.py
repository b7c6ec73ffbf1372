"""A property of every path the command line takes: whatever kind of file is there, one clear message, no hang.

Hypothesis picks a command and the place in it that takes a path (a scenario, an `extends:`
parent, a batch file or a batch's `file:`, a case log, a results folder for `verify`, an
`--out`, calibrate's `--report`), a kind of file to put there (regular with junk, empty, folder, FIFO, symlink,
symlink loop, dangling symlink, a device such as /dev/zero) and a file name (Chinese, spaces,
long). The command must end within its watchdog (60 s) with exit status 1 or 2, a message that is not
the generic "bug" line, no traceback, and nothing written anywhere (before/after listing).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

from .conftest import PARAMS
from .test_hostile_input import listing

BASELINE = PARAMS / "luzhou_baseline.yaml"
KINDS = ["junk", "yaml-list", "empty", "folder", "fifo", "symlink", "loop", "dangling", "device"]
SLOTS = ["run", "provenance", "succession", "compare-second", "extends", "batch", "batch-file", "calibrate", "verify",
         "run-out", "calibrate-out", "calibrate-report"]


class Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise Hang()


def make(kind: str, path: Path) -> Path:
    """Put a file of the given kind at path (for a device: return /dev/zero itself)."""
    if kind == "junk":
        path.write_bytes(b"\x00\xff\xfe junk: [\n")
    elif kind == "yaml-list":
        path.write_text("- 1\n- 2\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        target = path.with_name("target_" + path.name)
        target.write_bytes(b"\x00 not a scenario")
        path.symlink_to(target)
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "dangling":
        path.symlink_to(path.with_name("nowhere_" + path.name))
    elif kind == "device":
        return Path("/dev/zero")
    return path


def command(slot: str, path: Path, folder: Path) -> list[str]:
    log = folder / "small_log.csv"
    log.write_text("created,closed,type\n2024-01-01 10:00,2024-01-02 10:00,a\n")
    if slot == "extends":
        child = folder / "child.yaml"
        child.write_text(f"extends: {path}\n")
        return ["provenance", str(child)]
    if slot == "batch-file":
        batch = folder / "batch.yaml"
        batch.write_text(f"name: b\nreplications: 1\nscenarios:\n  - name: a\n    file: {path}\n")
        return ["batch", str(batch), "--out", str(folder / "never")]
    return {
        "run": ["run", str(path), "-n", "1", "--executor", "local", "--out", str(folder / "never")],
        "provenance": ["provenance", str(path)],
        "succession": ["succession", str(path), "-n", "1"],
        "compare-second": ["compare", str(BASELINE), str(path), "-n", "1", "--out", str(folder / "never")],
        "batch": ["batch", str(path), "--out", str(folder / "never")],
        "calibrate": ["calibrate", str(path)],
        "verify": ["verify", str(path)],
        "run-out": ["run", str(BASELINE), "-n", "1", "--executor", "local", "--out", str(path)],
        "calibrate-out": ["calibrate", str(log), "--out", str(path)],
        "calibrate-report": ["calibrate", str(log), "--out", str(folder / "never" / "x.yaml"), "--report", str(path)],
    }[slot]


names = st.text(alphabet=st.sampled_from(list("abcXYZ_-. 0123网格治理城市é")), min_size=1, max_size=40).map(
    lambda text: text.strip(". ") or "x").filter(lambda text: "/" not in text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slot=st.sampled_from(SLOTS), kind=st.sampled_from(KINDS), name=names)
def test_any_kind_of_file_at_any_path_gives_one_clear_message(slot, kind, name):
    if slot == "run-out" and kind == "folder":
        kind = "fifo"  # a folder is a valid --out (it would run); every other kind must be refused before the run
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = make(kind, folder / (name + ".yaml"))
        argv = command(slot, path, folder)
        before = listing(folder)
        stderr = io.StringIO()
        previous = os.getcwd()
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(60)
        try:
            os.chdir(folder)
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                code = main(argv)
        except Hang:
            raise AssertionError(f"{argv}: still running after 60 s") from None
        finally:
            signal.alarm(0)
            os.chdir(previous)
        message = stderr.getvalue()
        assert code in (1, 2), (argv, code, message)
        assert "Traceback" not in message and "This is a bug" not in message, (argv, message)
        assert "gridgov: error:" in message or (slot == "verify" and code == 1), (argv, message)
        if code == 2 and slot not in ("run-out", "calibrate-out", "calibrate-report", "verify"):
            assert path.name in message or Path(argv[1]).name in message, (argv, message)
        assert listing(folder) == before, argv
