"""The `gridgov` command: argument parsing and error messages only; the work is done in the library.

Bad input ends with one line on stderr naming the file, the parameter, the bad value and what
is allowed, and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from ..errors import InputError


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that clean-up runs as for Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: same form and status as ours
        self.print_usage(sys.stderr)
        raise InputError(message)


# Counts beyond these would exhaust memory building task lists; they are typos, not plans.
MAX_REPLICATIONS = 10_000
MAX_JOBS = 1_024


def _positive_int(name: str, maximum: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be at most {maximum:,}, got {value:,}")
        return value
    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be between 0 and 2**63 - 1, got {value}")
    return value


def _positive_float(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{name} must be a positive finite number, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    from ..experiment.executors import default_jobs

    parser = _Parser(prog="gridgov", description="Simulate urban grassroots governance scenarios.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p, replications_default: int):
        p.add_argument("--replications", "-n", type=_positive_int("--replications", MAX_REPLICATIONS),
                       default=replications_default)
        p.add_argument("--seed", type=_seed, default=0)
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                       help="override a parameter, e.g. workforce.grid_workers=1800 (repeatable)")
        p.add_argument("--jobs", "-j", type=_positive_int("--jobs", MAX_JOBS), default=default_jobs(),
                       help="processes for replications (default: all cores)")
        p.add_argument("--executor", choices=["local", "process", "dask"], default=None,
                       help="where replications run: in this process, a local process pool (default), or Dask")
        p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="Dask scheduler, e.g. tcp://HOST:8786 (implies --executor dask; without it, "
                            "--executor dask starts a LocalCluster of --jobs workers)")
        p.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.add_argument("--language", choices=["en", "zh"], default="en", help="chart labels")
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    run = commands.add_parser("run", help="simulate one scenario with replications")
    run.add_argument("scenario", type=Path)
    common(run, 5)

    compare = commands.add_parser("compare", help="compare scenarios on the same replications (paired)")
    compare.add_argument("scenarios", type=Path, nargs="+")
    common(compare, 5)

    prov = commands.add_parser("provenance", help="print where every parameter of a scenario comes from")
    prov.add_argument("scenario", type=Path)
    prov.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")

    succession = commands.add_parser(
        "succession", help="secretary vacancies and the reserve pool alone (no cases): fast, many replications")
    succession.add_argument("scenarios", type=Path, nargs="+")
    succession.add_argument("--replications", "-n", type=_positive_int("--replications"), default=200)
    succession.add_argument("--seed", type=_seed, default=0)
    succession.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    succession.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    batch = commands.add_parser("batch", help="run a batch of scenarios through the notebooks; report as HTML")
    batch.add_argument("file", type=Path, help="batch file, e.g. params/batches/luzhou_policies.yaml")
    batch.add_argument("--jobs", "-j", type=_positive_int("--jobs"), default=default_jobs(),
                       help="scenarios run in parallel (default: all cores)")
    batch.add_argument("--out", type=Path, help="results folder (default: outputs/<batch name>)")
    batch.add_argument("--force", action="store_true", help="recompute scenarios even if complete and current")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    validate = commands.add_parser("validate", help="check the model against queueing theory")
    checks = validate.add_subparsers(dest="check", required=True, parser_class=_Parser)
    mmc = checks.add_parser("mmc", help="the M/M/c reduction against Erlang C")
    mmc.add_argument("--servers", type=_positive_int("--servers"), required=True)
    mmc.add_argument("--arrival-rate", type=_positive_float("--arrival-rate"), required=True, help="per hour")
    mmc.add_argument("--service-rate", type=_positive_float("--service-rate"), required=True, help="per hour")
    mmc.add_argument("--replications", "-n", type=_positive_int("--replications", MAX_REPLICATIONS), default=None,
                     help="default: until the mean wait's 95%% half-width is within 5%%")
    mmc.add_argument("--seed", type=_seed, default=0)
    mmc.add_argument("--jobs", "-j", type=_positive_int("--jobs", MAX_JOBS), default=default_jobs())
    mmc.add_argument("--json", action="store_true")

    verify = commands.add_parser("verify", help="check a results folder against its manifest")
    verify.add_argument("folder", type=Path)
    verify.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    calibrate = commands.add_parser("calibrate", help="fit a scenario to a district's case log and report the fit")
    calibrate.add_argument("log", type=Path, help="case log: CSV (plain or gzip) or Excel, one row per case")
    for role, what in (("created", "when the case was reported"), ("closed", "when it was closed"),
                       ("due", "its deadline"), ("category", "its category"), ("source", "its channel"),
                       ("unit", "the unit that handled it")):
        calibrate.add_argument(f"--{role}", metavar="COL", help=f"column holding {what} (default: detected)")
    calibrate.add_argument("--time-format", metavar="FMT", help="strftime format of the timestamps (default: inferred)")
    calibrate.add_argument("--top-categories", type=_positive_int("--top-categories"), default=20, metavar="K",
                           help="categories beyond the K largest are merged into 'other' (default 20)")
    calibrate.add_argument("--out", type=Path, metavar="SCENARIO.yaml",
                           help="scenario file to write (default: outputs/<log>_calibrated/<log>_calibrated.yaml)")
    calibrate.add_argument("--report", type=Path, metavar="DIR", help="fit report folder (default: the scenario's folder)")
    calibrate.add_argument("--name", help="scenario name (default: <log>_calibrated)")
    calibrate.add_argument("--seed", type=_seed, default=0)
    calibrate.add_argument("--replications", "-n", type=_positive_int("--replications"), default=3,
                           help="replications pooled for the fit report (default 3)")
    calibrate.add_argument("--search-steps", type=_positive_int("--search-steps"), default=3,
                           help="median-work steps per spread tried in the search (default 3)")
    calibrate.add_argument("--warm-up-days", type=_positive_int("--warm-up-days"), default=28,
                           help="simulated days before the log's period starts, so queues fill (default 28)")
    calibrate.add_argument("--json", action="store_true", help="print the acceptance figures as JSON")
    calibrate.add_argument("--no-progress", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    previous = _install_sigterm()
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as error:
        print(f"gridgov: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        hint = getattr(interrupt, "resume_hint", "nothing half-written was left behind. Run the same command again.")
        print(f"gridgov: {what}; {hint}", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_sigterm():
    """Treat SIGTERM like Ctrl-C (clean stop, resume message); returns the handler to restore."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a notebook's worker thread)
        return None


def _load(paths: list[Path], overrides: list[str]):
    from ..params import load_scenario

    scenarios = [load_scenario(path, overrides) for path in paths]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"scenario names must be distinct to be compared, got {names}")
    from ..results.store import distinct_file_names

    distinct_file_names(names)
    return scenarios


def _simulate(args, paths: list[Path], default_out: str) -> int:
    from ..results import manifest
    from ..results import store

    scenarios = _load(paths, args.overrides)
    out = args.out or Path("outputs") / store.safe_name(default_out.format(name=scenarios[0].name))
    with manifest.folder_lock(out) as out, _executor(args) as executor:
        try:
            results, differences = _simulate_into(out, args, scenarios, executor)
        except KeyboardInterrupt as interrupt:
            interrupt.resume_hint = (f"finished replications are kept in {out}/{manifest.WORK}/ and {out} is not "
                                     "marked complete. Run the same command again to complete it.")
            raise
    return _print_results(args, scenarios, results, differences, out)


def _simulate_into(out: Path, args, scenarios, executor):
    """Replications (recalling those an interrupted earlier run finished), then the results folder."""
    from ..results import manifest
    from ..analysis.statistics import paired_differences
    from ..reporting import tables as report
    from ..experiment.runs import replicate_many
    from ..results.resume import ReplicationLog

    manifest.begin_results(out)
    resume = ReplicationLog(out)
    finished = len(resume.log.done_units())
    if finished:
        print(f"gridgov: resuming in {out}: {finished} replication(s) already finished there", file=sys.stderr)
    results = replicate_many(scenarios, args.replications, args.seed, jobs=args.jobs,
                             progress=not args.no_progress, keep_case_log=True, resume=resume,
                             executor=executor)
    baseline = scenarios[0].name
    differences = paired_differences(results.per_replication, baseline) if len(scenarios) > 1 else None
    command = "gridgov " + " ".join(sys.argv[1:]) if argv_is_cli() else "gridgov (library call)"
    from ..reporting.results_folder import write_results

    write_results(out, results, scenarios, seed=args.seed, replications=args.replications,
                         differences=differences, command=command, language=args.language)
    return results, differences


def _print_results(args, scenarios, results, differences, out: Path) -> int:
    from ..reporting import tables as report

    baseline = scenarios[0].name
    if args.json:
        payload = {
            "scenario": baseline if len(scenarios) == 1 else [s.name for s in scenarios],
            "replications": args.replications,
            "seed": args.seed,
            "scenario_hash": {s.name: s.content_hash() for s in scenarios},
            "kpis": report.json_summary(results.summary, baseline) if len(scenarios) == 1
            else {s.name: report.json_summary(results.summary, s.name) for s in scenarios},
            "outputs": str(out),
        }
        if len(scenarios) > 1:
            payload["marginal_cost_per_on_time_point"] = _marginal_costs(results, scenarios)
        if differences is not None:
            payload["differences"] = {
                name: {r["kpi"]: {"difference": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
                       for _, r in group.iterrows()}
                for name, group in differences.groupby("scenario", sort=False)
            }
        print(json.dumps(payload, indent=2, default=_json_default))
        return 0
    print(f"{len(scenarios)} scenario(s) x {args.replications} replication(s), seed {args.seed}; "
          "mean [95 % confidence interval]\n")
    print(report.kpi_tables(results.summary))
    if differences is not None:
        print(f"\nPaired differences against {baseline} (same seeds; * = CI excludes 0):\n")
        print(report.differences_tables(differences))
        print("\nMarginal cost per percentage point of on-time rate (paired; delta-method 95 % CI):\n")
        print(report.marginal_cost_table(_marginal_costs(results, scenarios)))
    print(f"\nTables, charts and metadata written to {out}/")
    return 0


def _executor(args):
    """The executor chosen by --executor / --scheduler / --jobs; refuses an inconsistent choice."""
    from ..experiment.executors import make_executor

    kind = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and kind != "dask":
        raise InputError(f"--scheduler {args.scheduler} needs --executor dask, got --executor {kind}")
    try:
        return make_executor(kind, jobs=args.jobs, scheduler=args.scheduler)
    except ImportError as error:
        raise InputError(str(error)) from None
    except OSError as error:
        raise InputError(f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({error})") from None


def _marginal_costs(results, scenarios) -> dict:
    from ..analysis.statistics import marginal_cost_per_point

    baseline = scenarios[0].name
    return {s.name: marginal_cost_per_point(results.per_replication, baseline, s.name) for s in scenarios[1:]}


def argv_is_cli() -> bool:
    return bool(sys.argv) and Path(sys.argv[0]).name in ("gridgov", "__main__.py")


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def cmd_run(args) -> int:
    return _simulate(args, [args.scenario], "{name}")


def cmd_compare(args) -> int:
    return _simulate(args, args.scenarios, "compare_{name}")


def cmd_provenance(args) -> int:
    from ..reporting.tables import provenance_frame
    from ..params import load_scenario

    frame = provenance_frame(load_scenario(args.scenario, args.overrides))
    with_pd_options = frame.to_string(index=False, max_colwidth=90)
    print(with_pd_options)
    return 0


def cmd_validate(args) -> int:
    from pydantic import ValidationError

    from ..params import describe_validation_error
    from ..experiment.validation import validate_mmc

    try:
        result = validate_mmc(args.servers, args.arrival_rate, args.service_rate, replications=args.replications,
                              seed=args.seed, jobs=args.jobs, progress=not args.json)
    except ValidationError as error:
        raise InputError("these rates and servers need an M/M/c model beyond the limits of the schema: "
                         + describe_validation_error(error).replace("\n", "; ")) from None
    except ValueError as error:
        raise InputError(str(error)) from None
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if result["passed"] else 1
    sim, theory = result["simulated"], result["analytical"]
    print(f"M/M/{result['servers']}: arrival rate {result['arrival_rate']:g}/h, service rate {result['service_rate']:g}/h, "
          f"utilisation {result['utilisation']:.3f}")
    print(f"{result['replications']} replications x {result['horizon_days']} days "
          f"({result['customers']:,} customers after warm-up)\n")
    print(f"{'measure':<22}{'simulated':>12}{'95 % CI':>26}{'Erlang C':>12}  check")
    rows = [("P(wait > 0)", sim["p_wait"], sim["p_wait_ci"], theory["p_wait"], result["checks"]["p_wait"]),
            ("mean wait (h)", sim["mean_wait_h"], sim["mean_wait_h_ci"], theory["mean_wait_h"],
             result["checks"]["mean_wait_h"])]
    for t in sim["p_wait_gt"]:
        rows.append((f"P(wait > {t} h)", sim["p_wait_gt"][t], sim["p_wait_gt_ci"][t], theory["p_wait_gt"][t],
                     result["checks"][f"p_wait_gt_{t}"]))
    for name, value, ci, exact, ok in rows:
        print(f"{name:<22}{value:>12.4f}   [{ci[0]:>9.4f}, {ci[1]:>9.4f}]{exact:>12.4f}  {'pass' if ok else 'FAIL'}")
    print("\nall checks pass" if result["passed"] else "\nsome checks FAIL")
    return 0 if result["passed"] else 1


def cmd_verify(args) -> int:
    from ..results.manifest import verify

    result = verify(args.folder)
    if args.json:
        print(json.dumps({"folder": str(args.folder), "ok": result.ok, "checked": result.checked,
                          "problems": result.problems, "missing": result.missing, "altered": result.altered,
                          "extra": result.extra}, indent=2))
    else:
        stream = sys.stdout if result.ok else sys.stderr
        for line in result.lines():
            print(f"{args.folder}: {line}", file=stream)
    return 0 if result.ok else 1


def cmd_succession(args) -> int:
    from ..analysis.statistics import summarise
    from ..reporting import tables as report
    from ..experiment.studies import succession_study

    scenarios = _load(args.scenarios, args.overrides)
    per_replication = succession_study(scenarios, args.replications, args.seed)
    summary = summarise(per_replication)
    names = [s.name for s in scenarios]
    if args.json:
        print(json.dumps({"scenarios": names, "replications": args.replications, "seed": args.seed,
                          "kpis": {n: report.json_summary(summary, n) for n in names}}, indent=2, default=_json_default))
        return 0
    print(f"Secretary succession alone (no cases, no split): {len(names)} scenario(s) x {args.replications} "
          f"replication(s), seed {args.seed}; mean [95 % confidence interval]\n")
    print(report.kpi_tables(summary))
    return 0


def cmd_calibrate(args) -> int:
    from ..calibration.fit import calibrate, read_case_log, write_scenario
    from ..reporting.fit_report import poor_fits, fit_table, write_fit_report
    from ..results.store import prepare_folder, safe_name

    log = read_case_log(args.log, created=args.created, closed=args.closed, due=args.due, category=args.category,
                        source=args.source, unit=args.unit, time_format=args.time_format)
    if not args.json:
        excluded = "; ".join(f"{n:,} {reason}" for reason, n in log.excluded.items()) or "none"
        print(f"{log.rows_read:,} rows read, {log.rows_used:,} used (left out: {excluded}); columns "
              + ", ".join(f"{role}={name}" for role, name in log.columns.items()), file=sys.stderr)

    def progress(run: int, simulated: dict) -> None:
        if not args.no_progress and not args.json:
            overall = simulated["overall"]
            print(f"  search run {run}: on-time {overall['on_time_rate']:.3f}, median time to close "
                  f"{overall['ttc_p50_h']:.1f} h", file=sys.stderr)

    result = calibrate(log, top_categories=args.top_categories, search_steps=args.search_steps, seed=args.seed,
                       replications=args.replications, warm_up_days=args.warm_up_days, name=args.name,
                       progress=progress)
    stem = safe_name(result.scenario.name)
    out = args.out or Path("outputs") / stem / f"{stem}.yaml"
    prepare_folder(out.parent)
    write_scenario(result, out)
    report = args.report or out.parent
    figures = write_fit_report(result, report, out)
    if args.json:
        print(json.dumps({"scenario": str(out), "report": str(report / "report.html"), "rows_read": log.rows_read,
                          "rows_used": log.rows_used, "excluded": log.excluded, "acceptance": figures},
                         indent=2, default=_json_default, ensure_ascii=False))
        return 0
    print(f"On-time rate {figures['on_time_rate_simulated']:.1%} simulated vs {figures['on_time_rate_observed']:.1%} observed; "
          f"median time to close {figures['ttc_p50_h_simulated']:.1f} h vs {figures['ttc_p50_h_observed']:.1f} h; "
          f"cases per day {figures['cases_per_day_simulated']:.1f} vs {figures['cases_per_day_observed']:.1f}; "
          f"hour-of-week correlation {figures['hour_of_week_correlation']:.3f}")
    poor = poor_fits(fit_table(result))
    if poor:
        print(f"{len(poor)} figure(s) fitted poorly (see the report), e.g. " + poor[0])
    print(f"Scenario written to {out}; fit report in {report}/report.html")
    return 0


def cmd_batch(args) -> int:
    from ..batch.runner import run_batch, summary_text

    result = run_batch(args.file, args.out, jobs=args.jobs, progress=not args.no_progress, force=args.force)
    _print_batch_kpis(result.out)
    print(summary_text(result))
    return 0 if result.ok else 1


def _print_batch_kpis(out: Path) -> None:
    """The batch's KPI comparison on the terminal: means with 95 % CIs, paired differences from the baseline."""
    from ..reporting import tables as report
    from ..reporting.notebook import load_batch

    try:
        batch = load_batch(out)
    except (FileNotFoundError, RuntimeError):
        return  # nothing completed: the summary says why
    print("mean [95 % confidence interval]\n")
    print(report.kpi_tables(batch.results.summary))
    if batch.differences is not None:
        print(f"\nPaired differences against {batch.baseline} (same seeds; * = CI excludes 0):\n")
        print(report.differences_table(batch.differences, report.HEADLINE_KPIS))
    print()


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "provenance": cmd_provenance, "validate": cmd_validate,
            "verify": cmd_verify, "succession": cmd_succession, "calibrate": cmd_calibrate, "batch": cmd_batch}


if __name__ == "__main__":
    sys.exit(main())
