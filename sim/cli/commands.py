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
from .calibrate_command import cmd_calibrate
from .json_output import json_default


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
    if args.precision:
        from ..experiment.precision import parse_precision

        try:
            args.precision_rule = parse_precision(args.precision)
        except ValueError as error:
            raise InputError(str(error)) from None
    out = args.out or Path("outputs") / store.safe_name(default_out.format(name=scenarios[0].name))
    _check_out_is_not_an_input(out, paths)
    with folder_lock(out) as out, _executor(args) as executor:
        try:
            results, differences = _simulate_into(out, args, scenarios, executor)
        except KeyboardInterrupt as interrupt:
            interrupt.resume_hint = (f"finished replications are kept in {out}/{WORK}/ and {out} is not "
                                     "marked complete. Run the same command again to complete it.")
            raise
    return _print_results(args, scenarios, results, differences, out)


def _check_out_is_not_an_input(out: Path, inputs: list[Path]) -> None:
    """--out is a folder: refuse it when it is one of the scenario files (or a file at all)."""
    from ..safe_io import check_not_an_input

    check_not_an_input(out, inputs, "--out")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is an existing file; --out names the results folder")


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
    if args.precision:
        from ..experiment.precision import replicate_to_precision

        kpi, width = args.precision_rule
        results, args.precision_result = replicate_to_precision(
            scenarios, kpi, width, seed=args.seed, cap=args.max_replications, jobs=args.jobs, keep_case_log=True,
            executor=executor, progress=not args.no_progress, resume=resume)
        args.replications = args.precision_result.replications
    else:
        results = replicate_many(scenarios, args.replications, args.seed, jobs=args.jobs,
                                 progress=not args.no_progress, keep_case_log=True, resume=resume,
                                 executor=executor)
    baseline = scenarios[0].name
    differences = paired_differences(results.per_replication, baseline) if len(scenarios) > 1 else None
    command = "gridgov " + " ".join(sys.argv[1:]) if argv_is_cli() else "gridgov (library call)"
    write_results(out, results, scenarios, seed=args.seed, replications=args.replications,
                  differences=differences, command=command, language=args.language)
    _warn_about_warm_up(scenarios, results.timeseries, args.seed)
    return results, differences


def _warn_about_warm_up(scenarios, timeseries, seed: int) -> None:
    """A warning on stderr for every scenario whose warm_up_days is shorter than MSER-5 finds (gridgov warmup)."""
    from ..experiment.warm_up_check import warm_up_warnings

    for warning in warm_up_warnings(scenarios, timeseries, seed):
        print(f"gridgov: warning: {warning} (see gridgov warmup)", file=sys.stderr)


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
        precision = getattr(args, "precision_result", None)
        if precision is not None:
            payload["precision"] = {"kpi": precision.kpi, "half_width_target": precision.half_width,
                                    "half_width": precision.achieved, "met": precision.met, "cap": precision.cap,
                                    "replications": precision.replications}
        if len(scenarios) > 1:
            payload["marginal_cost_per_on_time_point"] = _marginal_costs(results, scenarios)
        if differences is not None:
            payload["differences"] = {
                name: {r["kpi"]: {"difference": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
                       for _, r in group.iterrows()}
                for name, group in differences.groupby("scenario", sort=False)
            }
        print(json.dumps(payload, indent=2, default=json_default))
        return 0
    language = args.language
    print(messages.text("cli.sizing", language, scenarios=len(scenarios), replications=args.replications,
                        seed=args.seed) + "\n")
    precision = getattr(args, "precision_result", None)
    if precision is not None:
        outcome = (messages.text("cli.precision_met", language) if precision.met
                   else messages.text("cli.precision_not_met", language, cap=precision.cap))
        print(messages.text("cli.precision", language, kpi=precision.kpi, half_width=f"{precision.half_width:g}",
                            outcome=outcome, replications=precision.replications,
                            achieved=f"{precision.achieved:.4g}") + "\n")
    print(report.kpi_tables(results.summary, language))
    if differences is not None:
        print("\n" + messages.text("cli.paired", language, baseline=baseline) + "\n")
        print(report.differences_tables(differences, language))
        print("\n" + messages.text("cli.marginal", language) + "\n")
        print(report.marginal_cost_table(_marginal_costs(results, scenarios)))
    print("\n" + messages.text("cli.written", language, out=f"{out}/"))
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
    except (ValueError, TypeError) as error:
        raise InputError(f"--scheduler {args.scheduler!r} is not a scheduler address ({error}); allowed: "
                         "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786") from None


def _marginal_costs(results, scenarios) -> dict:
    from ..analysis.statistics import marginal_cost_per_point

    baseline = scenarios[0].name
    return {s.name: marginal_cost_per_point(results.per_replication, baseline, s.name) for s in scenarios[1:]}


def argv_is_cli() -> bool:
    return bool(sys.argv) and Path(sys.argv[0]).name in ("gridgov", "__main__.py")


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
    pool = _pool_family(scenarios, per_replication)
    if args.out is not None:
        _write_succession(args.out, per_replication, summary, pool, args.replications)
    if args.json:
        payload = {"scenarios": names, "replications": args.replications, "seed": args.seed,
                   "kpis": {n: report.json_summary(summary, n) for n in names}}
        if pool is not None:
            payload["reserve_pool"] = {"cost_per_vacancy_day_avoided": pool["costs"], "findings": pool["findings"]}
        print(json.dumps(payload, indent=2, default=json_default))
        return 0
    print(f"Secretary succession alone (no cases, no split): {len(names)} scenario(s) x {args.replications} "
          f"replication(s), seed {args.seed}; mean [95 % confidence interval]\n")
    print(report.kpi_tables(summary))
    if pool is not None:
        print("\nCost per vacancy-day avoided (extra yearly training cost / secretary vacancy-days a year avoided "
              "across the district; paired, 95 % CI):\n")
        print(_pool_cost_table(pool["costs"]))
        if pool["findings"]:
            print("\nWhere the 2 x standard (seed 000) matters:\n")
            print("\n".join(f"- {sentence}" for sentence in pool["findings"]))
    if args.out is not None:
        print(f"\nTables and the stock-out chart written to {args.out}")
    return 0


def _pool_family(scenarios: list, per_replication) -> dict | None:
    """The pool-ratio comparison, when the scenarios are a family differing only in the pool ratio."""
    from ..analysis.reserve_pool import family, standard_findings, step_costs

    if len(scenarios) < 2:
        return None
    try:
        members = family(scenarios)
    except ValueError:
        return None
    if len({m.ratio for m in members}) != len(members):
        return None
    return {"members": members, "costs": step_costs(per_replication, members),
            "findings": standard_findings(per_replication, members)}


def _pool_cost_table(costs: list[dict]) -> str:
    import math

    import pandas as pd

    def figure(value: float) -> str:
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"  # small effects keep their digits

    def number(value: float, low: float, high: float) -> str:
        if math.isnan(value):
            return "n/a"
        return figure(value) + ("" if math.isnan(low) else f" [{figure(low)}, {figure(high)}]")

    rows = [{"pool": f"{c['larger']} over {c['smaller']}",
             "extra training (yuan/year)": number(c["cost_difference_yuan"], c["cost_ci_low"], c["cost_ci_high"]),
             "vacancy-days avoided a year": number(c["days_avoided_per_year"], c["days_ci_low"], c["days_ci_high"]),
             "yuan per vacancy-day avoided": number(c["yuan_per_day"], c["ci_low"], c["ci_high"])
             if not math.isnan(c["yuan_per_day"]) else "no days avoided the CI can tell from 0"}
            for c in costs]
    return pd.DataFrame(rows).to_string(index=False)


def _write_succession(out: Path, per_replication, summary, pool: dict | None, replications: int) -> None:
    import pandas as pd

    from ..reporting.reserve_pool_chart import write_stockout_chart
    from ..results.store import prepare_folder

    folder = prepare_folder(out)
    per_replication.to_csv(folder / "succession_replications.csv", index=False)
    summary.to_csv(folder / "succession_summary.csv", index=False)
    if pool is None:
        return
    pd.DataFrame(pool["costs"]).to_csv(folder / "reserve_pool_costs.csv", index=False)
    (folder / "reserve_pool_findings.txt").write_text("\n".join(pool["findings"]) + "\n", encoding="utf-8")
    write_stockout_chart(summary, pool["members"], replications, folder / "reserve_pool_stockouts.png")


def cmd_batch(args: Namespace) -> int:
    from ..batch.runner import run_batch, summary_text

    result = run_batch(args.file, args.out, jobs=args.jobs, progress=not args.no_progress, force=args.force,
                       precision=_batch_precision(args))
    _warn_about_batch_warm_up(result)
    _print_batch_kpis(result.out)
    print(summary_text(result))
    return 0 if result.ok else 1


def _warn_about_batch_warm_up(result) -> None:
    """The warm-up warning of `run` for every completed scenario of a batch, from the time series it wrote."""
    import pandas as pd

    frames, scenarios = [], []
    for item in result.plan.scenarios:
        path = item.folder / "timeseries.parquet"
        if item.status != "failed" and path.is_file() and not path.is_symlink():
            try:
                frames.append(pd.read_parquet(path).assign(scenario=item.name))
            except (OSError, ValueError):
                continue
            scenarios.append(item.scenario)
    if frames:
        _warn_about_warm_up(scenarios, pd.concat(frames, ignore_index=True), result.plan.batch.seed)


def _batch_precision(args: Namespace):
    """--precision and --max-replications of `gridgov batch` as a precision block replacing the batch file's, or
    None (the file's own, if any, applies)."""
    if not args.precision and args.max_replications is None:
        return None
    from ..batch.schema import read_batch

    own = read_batch(args.file).precision
    cap = args.max_replications or (own.max_replications if own else 50)
    if cap < 2:
        raise InputError(f"--max-replications {cap}: the precision rule needs at least 2 replications for an interval")
    if not args.precision:
        if own is None:
            raise InputError("--max-replications is the cap of the precision rule, and the batch file gives none: "
                             "give --precision KPI=HALF_WIDTH too")
        return own.model_copy(update={"max_replications": cap, "min_replications": min(own.min_replications, cap)})
    from ..batch.schema import BatchPrecision
    from ..experiment.precision import parse_precision

    try:
        kpi, width = parse_precision(args.precision)
    except ValueError as error:
        raise InputError(str(error)) from None
    return BatchPrecision(kpi=kpi, half_width=width, max_replications=cap, min_replications=2)


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


def cmd_robustness(args: Namespace) -> int:
    import time

    from ..batch.ensemble import plan_ensemble, run_ensemble, summary_lines, unit_count

    ensemble = plan_ensemble(args.file, args.out, futures=args.futures, sampler=args.sampler, targets=args.target,
                             replications=args.replications)
    units, todo = unit_count(ensemble)
    if not args.json:
        print(f"gridgov: {units} future x policy units, {units - todo} already finished in {ensemble.out}",
              file=sys.stderr)
    start = time.perf_counter()
    with _executor(args) as executor:
        try:
            tables = run_ensemble(ensemble, jobs=args.jobs, executor=executor, progress=not args.no_progress)
        except KeyboardInterrupt as interrupt:
            interrupt.resume_hint = (f"finished units are kept in {ensemble.out}/runs/; run the same command again "
                                     "to compute only the missing ones.")
            raise
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"out": str(ensemble.out), "futures": len(ensemble.futures), "policies": ensemble.policies,
                          "units": units, "computed": todo, "seconds": round(seconds, 1),
                          "robustness": tables["robustness"].to_dict("records")}, indent=2, default=json_default))
        return 0
    print("\n".join(summary_lines(ensemble, tables)))
    print(f"\n{todo} unit(s) computed in {seconds:.0f} s; tables and robustness.html in {ensemble.out}/")
    return 0


def cmd_warmup(args: Namespace) -> int:
    from ..experiment.warm_up_check import check_warm_up
    from ..reporting.warm_up_chart import write_warm_up_chart
    from ..results import store
    from ..results.lock import folder_lock

    scenario = _load([args.scenario], args.overrides)[0]
    out = args.out or Path("outputs") / f"{store.safe_name(scenario.name)}_warmup"
    check = check_warm_up(scenario, args.replications, args.seed, jobs=args.jobs, progress=not args.no_progress)
    summary = {"scenario": scenario.name, "replications": check.replications, "seed": check.seed,
               "rule": "MSER-5 on the hourly backlog, mean over replications", "truncation_h": check.truncation_h,
               "needed_days": check.needed_days, "warm_up_days": check.warm_up_days, "settled": check.settled,
               "short": check.short, "scenario_hash": scenario.content_hash()}
    with folder_lock(out) as out:
        chart = write_warm_up_chart(check, out / "warmup.png")
        store.write_json({**summary, "chart": chart.name}, out / "warmup.json")
    if check.short:
        print(f"gridgov: warning: {check.message()}", file=sys.stderr)
    if args.json:
        print(json.dumps({**summary, "chart": str(chart)}, indent=2))
    else:
        print(check.message())
        print(f"chart: {chart}")
    return 0


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


def cmd_app(args: Namespace) -> int:
    """Serve the explorer as a web page (Voilà) on 127.0.0.1 until Ctrl-C."""
    from ..reporting.app import serve

    return serve(args.port, args.language, {"replications": args.replications})


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "provenance": cmd_provenance, "validate": cmd_validate,
            "verify": cmd_verify, "succession": cmd_succession, "calibrate": cmd_calibrate, "batch": cmd_batch,
            "report": cmd_report, "robustness": cmd_robustness, "warmup": cmd_warmup,
            "app": cmd_app}
