"""The `gridgov` commands: each `cmd_*` takes the parsed arguments, calls the library and prints the result.

Every library import is inside the command that needs it, so that parsing the arguments (and
`gridgov --help`) never loads the model. A command returns its exit status; bad input is an
InputError, turned into one line and status 2 by `sim.cli.main`.
"""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from pathlib import Path

from ..errors import InputError


def _load(paths: list[Path], overrides: list[str]):
    from ..params import load_scenario

    scenarios = [load_scenario(path, overrides) for path in paths]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"scenario names must be distinct to be compared, got {names}")
    from ..results.store import distinct_file_names

    distinct_file_names(names)
    return scenarios


def _simulate(args: Namespace, paths: list[Path], default_out: str) -> int:
    from ..results import store
    from ..results.folder import WORK
    from ..results.lock import folder_lock

    scenarios = _load(paths, args.overrides)
    out = args.out or Path("outputs") / store.safe_name(default_out.format(name=scenarios[0].name))
    with folder_lock(out) as out, _executor(args) as executor:
        try:
            results, differences = _simulate_into(out, args, scenarios, executor)
        except KeyboardInterrupt as interrupt:
            interrupt.resume_hint = (f"finished replications are kept in {out}/{WORK}/ and {out} is not "
                                     "marked complete. Run the same command again to complete it.")
            raise
    return _print_results(args, scenarios, results, differences, out)


def _simulate_into(out: Path, args, scenarios, executor):
    """Replications (recalling those an interrupted earlier run finished), then the results folder."""
    from ..analysis.statistics import paired_differences
    from ..experiment.runs import replicate_many
    from ..reporting.results_folder import write_results
    from ..results import manifest
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
    write_results(out, results, scenarios, seed=args.seed, replications=args.replications,
                  differences=differences, command=command, language=args.language)
    return results, differences


def _print_results(args, scenarios, results, differences, out: Path) -> int:
    from ..analysis import messages
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
    language = args.language
    print(messages.text("cli.sizing", language, scenarios=len(scenarios), replications=args.replications,
                        seed=args.seed) + "\n")
    print(report.kpi_tables(results.summary, language))
    if differences is not None:
        print("\n" + messages.text("cli.paired", language, baseline=baseline) + "\n")
        print(report.differences_tables(differences, language))
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


def cmd_run(args: Namespace) -> int:
    return _simulate(args, [args.scenario], "{name}")


def cmd_compare(args: Namespace) -> int:
    return _simulate(args, args.scenarios, "compare_{name}")


def cmd_provenance(args: Namespace) -> int:
    from ..params import load_scenario
    from ..reporting.tables import provenance_frame

    frame = provenance_frame(load_scenario(args.scenario, args.overrides))
    with_pd_options = frame.to_string(index=False, max_colwidth=90)
    print(with_pd_options)
    return 0


def cmd_validate(args: Namespace) -> int:
    from pydantic import ValidationError

    from ..experiment.validation import validate_mmc
    from ..params import describe_validation_error

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
    print(f"M/M/{result['servers']}: arrival rate {result['arrival_rate']:g}/h, service rate "
          f"{result['service_rate']:g}/h, "
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


def cmd_verify(args: Namespace) -> int:
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


def cmd_succession(args: Namespace) -> int:
    from ..analysis.statistics import summarise
    from ..experiment.studies import succession_study
    from ..reporting import tables as report

    scenarios = _load(args.scenarios, args.overrides)
    per_replication = succession_study(scenarios, args.replications, args.seed)
    summary = summarise(per_replication)
    names = [s.name for s in scenarios]
    if args.json:
        print(json.dumps({"scenarios": names, "replications": args.replications, "seed": args.seed,
                          "kpis": {n: report.json_summary(summary, n) for n in names}}, indent=2,
                          default=_json_default))
        return 0
    print(f"Secretary succession alone (no cases, no split): {len(names)} scenario(s) x {args.replications} "
          f"replication(s), seed {args.seed}; mean [95 % confidence interval]\n")
    print(report.kpi_tables(summary))
    return 0


def cmd_calibrate(args: Namespace) -> int:
    from ..calibration import calibrate, read_case_log, write_scenario
    from ..calibration.acceptance import fit_table, poor_fits
    from ..reporting.fit_report import write_fit_report
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
    print(f"On-time rate {figures['on_time_rate_simulated']:.1%} simulated vs {figures['on_time_rate_observed']:.1%} "
          f"observed; "
          f"median time to close {figures['ttc_p50_h_simulated']:.1f} h vs {figures['ttc_p50_h_observed']:.1f} h; "
          f"cases per day {figures['cases_per_day_simulated']:.1f} vs {figures['cases_per_day_observed']:.1f}; "
          f"hour-of-week correlation {figures['hour_of_week_correlation']:.3f}")
    poor = poor_fits(fit_table(result))
    if poor:
        print(f"{len(poor)} figure(s) fitted poorly (see the report), e.g. " + poor[0])
    print(f"Scenario written to {out}; fit report in {report}/report.html")
    return 0


def cmd_batch(args: Namespace) -> int:
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
    from ..analysis import messages

    language = batch.manifest.get("language") or "en"
    print(messages.text("cli.means", language) + "\n")
    print(report.kpi_tables(batch.results.summary, language))
    if batch.differences is not None:
        print("\n" + messages.text("cli.paired", language, baseline=batch.baseline) + "\n")
        print(report.differences_table(batch.differences, report.HEADLINE_KPIS, language))
    print()


def cmd_report(args: Namespace) -> int:
    """Render a finished batch's brief again, in either language, from its results folder."""
    from ..reporting.brief import write_brief
    from ..reporting.notebook import load_batch

    if not (args.folder / "batch.json").is_file():
        raise InputError(f"{args.folder}: not a batch results folder (no batch.json); run `gridgov batch FILE --out "
                         f"{args.folder}` first")
    try:
        batch = load_batch(args.folder)
    except RuntimeError as error:
        raise InputError(str(error)) from None
    language = args.language or batch.manifest.get("language") or "en"
    files = write_brief(batch, args.out or args.folder, language)
    print(f"brief ({language}): {files.html}\nslides: {files.pptx}\ncharts (PNG 1920 x 1080 and SVG): "
          f"{files.html.parent / 'charts'}/")
    return 0


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "provenance": cmd_provenance, "validate": cmd_validate,
            "verify": cmd_verify, "succession": cmd_succession, "calibrate": cmd_calibrate, "batch": cmd_batch,
            "report": cmd_report}
