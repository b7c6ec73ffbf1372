"""`gridgov calibrate`: a city's case log becomes a scenario and a fit report (the checks before the work, the
console summary); the fitting itself is `sim.calibration`."""

from __future__ import annotations

import json
import os
import sys
from argparse import Namespace
from pathlib import Path

from ..errors import InputError
from .json_output import json_default


def cmd_calibrate(args: Namespace) -> int:
    from ..calibration import calibrate, read_case_log, write_scenario
    from ..calibration.acceptance import fit_table, poor_fits
    from ..reporting.fit_report import write_fit_report
    from ..results.store import prepare_folder, safe_name

    name = _calibrated_name(args)
    out = args.out or Path("outputs") / safe_name(name) / f"{safe_name(name)}.yaml"
    report = args.report or out.parent
    _check_calibrate_outputs(args.log, out, report)
    log = read_case_log(args.log, created=args.created, closed=args.closed, due=args.due, category=args.category,
                        source=args.source, unit=args.unit, status=args.status, void_status=args.void_status,
                        time_format=args.time_format)
    _check_enough_cases(args.log, log)
    if not args.json:
        excluded = "; ".join(f"{n:,} {reason}" for reason, n in log.excluded.items()) or "none"
        print(f"{log.rows_read:,} rows read, {log.rows_used:,} used (left out: {excluded}); columns "
              + ", ".join(f"{role}={name}" for role, name in log.columns.items()), file=sys.stderr)

    def progress(run: int, simulated: dict) -> None:
        if not args.no_progress and not args.json:
            overall = simulated["overall"]
            print(f"  search run {run}: on-time {overall['on_time_rate']:.3f}, median time to close "
                  f"{overall['ttc_p50_h']:.1f} h, deadline spike ratio {simulated['deadline_spike_ratio']:.2f}, drop "
                  f"ratio {simulated['deadline_drop_ratio']:.2f}", file=sys.stderr)

    result = calibrate(log, top_categories=args.top_categories, search_steps=args.search_steps, seed=args.seed,
                       replications=args.replications, warm_up_days=args.warm_up_days, name=name,
                       progress=progress, responses=() if args.deadline_response == "none" else None)
    prepare_folder(out.parent)
    write_scenario(result, out)
    figures = write_fit_report(result, report, out)
    if args.json:
        print(json.dumps({"scenario": str(out), "report": str(report / "report.html"), "rows_read": log.rows_read,
                          "rows_used": log.rows_used, "excluded": log.excluded, "acceptance": figures},
                         indent=2, default=json_default, ensure_ascii=False))
        return 0
    print(f"On-time rate {figures['on_time_rate_simulated']:.1%} simulated vs {figures['on_time_rate_observed']:.1%} "
          f"observed; "
          f"median time to close {figures['ttc_p50_h_simulated']:.1f} h vs {figures['ttc_p50_h_observed']:.1f} h; "
          f"cases per day {figures['cases_per_day_simulated']:.1f} vs {figures['cases_per_day_observed']:.1f}; "
          f"hour-of-week correlation {figures['hour_of_week_correlation']:.3f}; deadline spike ratio "
          f"{figures['deadline_spike_ratio_simulated']:.2f} vs {figures['deadline_spike_ratio_observed']:.2f}, drop "
          f"ratio {figures['deadline_drop_ratio_simulated']:.2f} vs {figures['deadline_drop_ratio_observed']:.2f} "
          f"(response fitted: {figures['deadline_response']})")
    poor = poor_fits(fit_table(result))
    if poor:
        print(f"{len(poor)} figure(s) fitted poorly (see the report), e.g. " + poor[0])
    print(f"Scenario written to {out}; fit report in {report}/report.html")
    return 0


MIN_CALIBRATION_CASES = 30  # fewer cases give rates of 0 and on-time rates of "nan %"
MIN_CALIBRATION_DAYS = 7  # a week, so that every weekday of the hour-of-week profile is seen
FIT_REPORT_FILES = ("report.html", "fit_table.csv", "search_history.csv", "acceptance.json")


def _calibrated_name(args: Namespace) -> str:
    """The scenario's name: --name, else <log>_calibrated cut to the schema's length; checked before any work."""
    from ..limits import MAX_NAME_CHARS

    if args.name is not None:
        if not args.name.strip() or len(args.name) > MAX_NAME_CHARS:
            raise InputError(f"--name must be 1 to {MAX_NAME_CHARS} characters, got {len(args.name)} "
                             f"({args.name[:40]!r}{'...' if len(args.name) > 40 else ''})")
        return args.name
    import re

    stem = re.sub(r"[^\w\-]+", "_", args.log.name.split(".")[0]) or "log"
    return stem[: MAX_NAME_CHARS - len("_calibrated")] + "_calibrated"


def _check_calibrate_outputs(log: Path, out: Path, report: Path) -> None:
    """Before the calibration runs: --out must be a file name that is not the log, --report a folder."""
    from ..safe_io import check_not_an_input

    if out.is_dir():
        raise InputError(f"--out {out} is an existing folder; --out names the scenario file to write, e.g. "
                         f"{out / 'calibrated.yaml'}")
    if out.is_symlink() or (os.path.lexists(out) and not out.is_file()):
        from ..safe_io import kind_of

        what = "a symbolic link" if out.is_symlink() else kind_of(os.stat(out).st_mode)
        raise InputError(f"--out {out} is {what}; --out names the scenario file to write (a new or regular file)")
    if out.parent.exists() and not out.parent.is_dir():
        raise InputError(f"--out {out}: {out.parent} is a file, not a folder")
    if os.path.lexists(report) and not report.is_dir():
        raise InputError(f"--report {report} exists and is not a folder; --report names the folder of the fit report")
    check_not_an_input(out, [log], "--out")
    for name in FIT_REPORT_FILES:
        check_not_an_input(report / name, [log], "--report")


def _check_enough_cases(path: Path, log) -> None:
    if log.rows_used < MIN_CALIBRATION_CASES or log.days < MIN_CALIBRATION_DAYS:
        raise InputError(f"has {log.rows_used:,} usable case(s) over {log.days} day(s); a calibration needs at least "
                         f"{MIN_CALIBRATION_CASES} cases over at least {MIN_CALIBRATION_DAYS} days, or its rates "
                         "and on-time rates mean nothing", where=str(path))
