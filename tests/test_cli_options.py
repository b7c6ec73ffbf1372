"""Options that several commands share are declared once: the same name, type and limits for every command.

Only parsing is exercised here: an argument beyond its limit is refused before any work starts,
with exit status 2 and one message naming the option, the limit and the value.
"""

from __future__ import annotations

import pytest

from sim.children import default_jobs
from sim.cli import build_parser, main

from .conftest import PARAMS

SCENARIO = str(PARAMS / "luzhou_baseline.yaml")
# Each command that takes the option, with the arguments it needs besides it.
TAKES_REPLICATIONS = {
    "run": ["run", SCENARIO],
    "compare": ["compare", SCENARIO, SCENARIO],
    "succession": ["succession", SCENARIO],
    "calibrate": ["calibrate", "log.csv"],
    "validate mmc": ["validate", "mmc", "--servers", "2", "--arrival-rate", "1", "--service-rate", "1"],
}
TAKES_JOBS = {
    "run": ["run", SCENARIO],
    "compare": ["compare", SCENARIO, SCENARIO],
    "batch": ["batch", "batch.yaml"],
    "validate mmc": TAKES_REPLICATIONS["validate mmc"],
}
TAKES_SEED = {name: TAKES_REPLICATIONS[name] for name in ("run", "compare", "succession", "calibrate", "validate mmc")}
TAKES_OVERRIDES = {"run": ["run", SCENARIO], "compare": ["compare", SCENARIO], "provenance": ["provenance", SCENARIO],
                   "succession": ["succession", SCENARIO]}


def refused(args: list[str], capsys) -> str:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return captured.err


@pytest.mark.parametrize("command", TAKES_REPLICATIONS)
def test_every_command_refuses_more_than_10000_replications_with_the_same_message(command, capsys):
    message = refused(TAKES_REPLICATIONS[command] + ["--replications", "10001"], capsys)
    assert "--replications must be at most 10,000, got 10,001" in message


@pytest.mark.parametrize("command", TAKES_REPLICATIONS)
def test_every_command_refuses_zero_replications_with_the_same_message(command, capsys):
    assert "--replications must be at least 1, got 0" in refused(TAKES_REPLICATIONS[command] + ["-n", "0"], capsys)


@pytest.mark.parametrize("command", TAKES_JOBS)
def test_every_command_refuses_more_than_1024_jobs_with_the_same_message(command, capsys):
    assert "--jobs must be at most 1,024, got 1,025" in refused(TAKES_JOBS[command] + ["--jobs", "1025"], capsys)


@pytest.mark.parametrize("command", TAKES_JOBS)
def test_every_command_runs_on_all_cores_by_default(command):
    assert build_parser().parse_args(TAKES_JOBS[command]).jobs == default_jobs()


@pytest.mark.parametrize("command", TAKES_SEED)
def test_every_command_refuses_a_negative_seed_with_the_same_message(command, capsys):
    message = refused(TAKES_SEED[command] + ["--seed", "-1"], capsys)
    assert "--seed must be between 0 and 2**63 - 1, got -1" in message


@pytest.mark.parametrize("command", TAKES_OVERRIDES)
def test_every_command_collects_repeated_overrides_in_order(command):
    args = build_parser().parse_args(TAKES_OVERRIDES[command] + ["--set", "a=1", "--set", "b=2"])
    assert args.overrides == ["a=1", "b=2"]


@pytest.mark.parametrize("command, default", [("run", 5), ("compare", 5), ("succession", 200), ("calibrate", 3),
                                              ("validate mmc", None)])
def test_each_command_keeps_its_own_default_replications(command, default):
    assert build_parser().parse_args(TAKES_REPLICATIONS[command]).replications == default
