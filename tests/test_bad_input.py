"""Every bad scenario file or override ends in one InputError naming the file, the path, the value and what is allowed.

Complements tests/test_scenario.py (unknown keys, wrong types, sums, cycles, YAML syntax, empty
and non-UTF-8 files): here the values that slip through a lax schema (NaN, infinity, true/false,
huge numbers), malformed citation maps, `extends:` at things that are not scenario files,
list indices in `--set`, and files built to exhaust memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.params import load_scenario
from sim.params.files import MAX_FILE_BYTES, MAX_YAML_VALUES

from .conftest import PARAMS

BASELINE = PARAMS / "luzhou_baseline.yaml"


def child(tmp_path: Path, body: str, name: str = "child.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASELINE}\n{body}", encoding="utf-8")
    return path


def error_of(path: Path, overrides=()) -> str:
    with pytest.raises(InputError) as info:
        load_scenario(path, list(overrides))
    return str(info.value)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("cases:\n  categories:\n    sanitation:\n      rate_per_household_per_year: .nan\n",
         ["cases.categories.sanitation.rate_per_household_per_year", "nan", "finite number"]),
        ("cases:\n  categories:\n    sanitation:\n      deadline_h: .inf\n",
         ["cases.categories.sanitation.deadline_h", "inf", "finite number"]),
        ("cases:\n  hourly_profile: [" + ", ".join(["1e308"] * 24) + "]\n",
         ["cases.hourly_profile", "finite"]),
        ("cases:\n  hourly_profile: [1, 2, 3]\n", ["cases.hourly_profile", "at least 24 items"]),
        ("cases:\n  weekly_profile: [1, 1, 1, 1, 1, 1, x]\n", ["cases.weekly_profile.6", "'x'", "valid number"]),
        ("workforce:\n  grid_workers: true\n", ["workforce.grid_workers", "True", "not true/false"]),
        ("cases:\n  categories:\n    sanitation:\n      deadline_h: true\n",
         ["cases.categories.sanitation.deadline_h", "True", "not true/false"]),
        ("workforce:\n  grid_workers: 1000000000000000000000000000000\n",
         ["workforce.grid_workers", "less than or equal to 1000000"]),
        ("workforce:\n  grid_case_time_share: 1.0e+308\n", ["workforce.grid_case_time_share",
                                                            "less than or equal to 1"]),
        ("cases:\n  reopen_probability: 1.5\n", ["cases.reopen_probability", "1.5", "less than or equal to 1"]),
        ("cases:\n  categories:\n    sanitation:\n      escalation_probability: {grid: -0.1, community: 0.2}\n",
         ["cases.categories.sanitation.escalation_probability.grid", "-0.1", "greater than or equal to 0"]),
        ("cases:\n  sources: {patrol: 0.5, resident_report: 0.2, hotline: 0.2, informant: 0.2}\n",
         ["cases.sources", "sum to 1"]),
        ("dispatch:\n  resolution_deadline_h: -1\n", ["dispatch.resolution_deadline_h", "-1", "greater than 0"]),
        ("territory:\n  subdistricts: 0\n", ["territory.subdistricts", "0", "greater than or equal to 1"]),
        ("horizon_days: 5\nwarm_up_days: 5\n", ["warm_up_days (5) must be shorter than horizon_days (5)"]),
        ("workforce:\n  hiring_batches: [{size: 3, start_day: 1}, 5]\n",
         ["workforce.hiring_batches.1", "5", "valid dictionary"]),
        ("workforce:\n  grid_worker_hours: [{days: [mon, funday], start_h: 8, end_h: 12}]\n",
         ["workforce.grid_worker_hours.0.days.1", "funday", "'mon'"]),
        ("sources: [a, b]\n", ["sources", "valid dictionary"]),
        ("assumptions: just trust me\n", ["assumptions", "valid dictionary"]),
        ("horizon_days: 2020-01-01\n", ["horizon_days", "2020", "valid integer"]),
        ("5: x\n", ["5", "keys should be strings"]),
    ],
    ids=["nan", "inf", "profile-overflow", "profile-length", "string-in-list", "boolean-count",
         "boolean-optional-number", "huge-int", "huge-float", "probability-above-1", "negative-probability",
         "shares-sum", "negative-deadline", "zero-count", "horizon-equals-warm-up", "wrong-type-in-list",
         "unknown-day", "sources-list", "assumptions-string", "date-for-int", "non-string-key"],
)
def test_bad_value_names_file_path_value_and_what_is_allowed(tmp_path, body, expected):
    path = child(tmp_path, body)
    message = error_of(path)
    assert message.startswith(str(path)), message
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_a_null_deadline_still_means_no_deadline(tmp_path):
    path = child(tmp_path, "cases:\n  categories:\n    sanitation:\n      deadline_h: null\n")
    assert load_scenario(path).cases.categories["sanitation"].deadline_h is None


def test_extends_pointing_at_a_folder_is_reported(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("extends: .\n")
    assert "is a folder" in error_of(path)


def test_extends_pointing_at_a_binary_file_is_reported(tmp_path):
    (tmp_path / "blob.yaml").write_bytes(b"\x00\xff\xfe binary")
    path = tmp_path / "s.yaml"
    path.write_text("extends: blob.yaml\n")
    message = error_of(path)
    assert "blob.yaml" in message and "UTF-8" in message


def test_a_scalar_file_is_not_a_scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("42\n")
    assert "must hold a mapping" in error_of(path)


def test_a_file_too_large_to_be_a_scenario_is_rejected_with_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    message = error_of(path)
    assert "big.yaml" in message and f"{MAX_FILE_BYTES:,}" in message


def test_a_yaml_alias_bomb_is_rejected_without_expanding_it(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    message = error_of(path)
    assert "bomb.yaml" in message and f"{MAX_YAML_VALUES:,} values" in message


def test_a_deeply_nested_file_is_rejected(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert "nested too deeply" in error_of(path)


@pytest.mark.parametrize(
    "override, expected",
    [
        ("cases.hourly_profile.30=1", ["cases.hourly_profile.30", "out of range", "0-23"]),
        ("workforce.hiring_batches.0.size=3", ["workforce.hiring_batches.0", "out of range", "empty"]),
        ("workforce.grid_worker_hours.0.start_h=9", ["workforce.grid_worker_hours", "default applies", "whole list"]),
        ("cases.hourly_profile.first=1", ["cases.hourly_profile.first", "list index"]),
        ("cases.reopen_probability=.nan", ["cases.reopen_probability", "finite number"]),
        ("workforce.grid_workers=yes", ["workforce.grid_workers", "not true/false"]),
        ("horizon_days=1e999", ["horizon_days", "valid integer"]),
    ],
    ids=["index-beyond-end", "index-into-empty-list", "index-into-default", "non-numeric-index", "nan", "boolean",
         "overflowing-number"],
)
def test_bad_override_names_the_file_and_the_path(override, expected):
    message = error_of(BASELINE, [override])
    assert message.startswith(str(BASELINE)), message
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_an_override_may_replace_one_item_of_a_list():
    scenario = load_scenario(BASELINE, ["cases.hourly_profile.23=5"])
    assert scenario.cases.hourly_profile[23] == 5


def test_a_hiring_batch_override_reaches_into_the_list(tmp_path):
    path = child(tmp_path, "workforce:\n  hiring_batches: [{size: 3, start_day: 10}]\n")
    assert load_scenario(path, ["workforce.hiring_batches.0.size=7"]).workforce.hiring_batches[0].size == 7


def test_yaml_anchors_within_limits_still_work(tmp_path):
    path = child(tmp_path, "workforce:\n  grid_worker_hours: [&h {days: [mon], start_h: 8, end_h: 12}]\n"
                           "  community_worker_hours: [*h]\n")
    assert load_scenario(path).workforce.community_worker_hours[0].end_h == 12


def test_work_too_small_to_register_never_finishes_before_it_starts():
    # Found by tests/test_fuzz_scenarios.py: work_h of 1e-100 off shift gave simpy a negative delay.
    from sim.core.calendar import Calendar
    from sim.params.calendar import office_hours

    calendar = Calendar(office_hours())
    starts = [t / 7 for t in range(1, 2_000)]
    assert all(calendar.finish(t, 1e-100) >= t for t in starts)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", str(BASELINE), "-n", "99999999"], "--replications must be at most 10,000"),
        (["run", str(BASELINE), "-j", "100000"], "--jobs must be at most 1,024"),
        (["run", str(BASELINE), "--set", "cases.hourly_profile.24=1"], "out of range"),
        (["validate", "mmc", "--servers", "1", "--arrival-rate", "0.0001", "--service-rate", "1"],
         "horizon_days: got 9166667; input should be less than or equal to 3650"),
        (["verify", str(BASELINE)], "is a file, not a results folder"),
    ],
    ids=["huge-replications", "huge-jobs", "override-index", "mmc-beyond-limits", "verify-a-file"],
)
def test_bad_command_line_exits_2_with_one_line_and_no_traceback(args, expected, capsys):
    from sim.cli import main

    assert main(args) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_compared_names_that_would_share_a_file_name_are_refused(tmp_path, capsys):
    from sim.cli import main

    first = child(tmp_path, "name: a_b\n", "a.yaml")
    second = child(tmp_path, "name: a/b\n", "b.yaml")
    assert main(["compare", str(first), str(second), "--out", str(tmp_path / "out")]) == 2
    message = capsys.readouterr().err
    assert "'a_b'" in message and "'a/b'" in message and "rename one" in message
    assert not (tmp_path / "out").exists()
