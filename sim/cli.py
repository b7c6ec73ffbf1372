"""The `gridgov` command: argument parsing and error messages only; the work is done in the library.

Bad input ends with one line on stderr naming the file, the parameter, the bad value and what
is allowed, and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: same form and status as ours
        self.print_usage(sys.stderr)
        raise InputError(message)


def _positive_int(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
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
    from .experiment import default_jobs

    parser = _Parser(prog="gridgov", description="Simulate urban grassroots governance scenarios.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p, replications_default: int):
        p.add_argument("--replications", "-n", type=_positive_int("--replications"), default=replications_default)
        p.add_argument("--seed", type=_seed, default=0)
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                       help="override a parameter, e.g. workforce.grid_workers=1800 (repeatable)")
        p.add_argument("--jobs", "-j", type=_positive_int("--jobs"), default=default_jobs(),
                       help="processes for replications (default: all cores)")
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
    mmc.add_argument("--replications", "-n", type=_positive_int("--replications"), default=None,
                     help="default: until the mean wait's 95%% half-width is within 5%%")
    mmc.add_argument("--seed", type=_seed, default=0)
    mmc.add_argument("--jobs", "-j", type=_positive_int("--jobs"), default=default_jobs())
    mmc.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as error:
        print(f"gridgov: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gridgov: interrupted; nothing half-written was left behind. Run the same command again.", file=sys.stderr)
        return 130


def _load(paths: list[Path], overrides: list[str]):
    from .scenario import load_scenario

    scenarios = [load_scenario(path, overrides) for path in paths]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError(f"scenario names must be distinct to be compared, got {names}")
    return scenarios


def _simulate(args, paths: list[Path], default_out: str) -> int:
    from . import metrics, report, store
    from .experiment import replicate_many

    scenarios = _load(paths, args.overrides)
    out = args.out or Path("outputs") / store.safe_name(default_out.format(name=scenarios[0].name))
    store.prepare_folder(out)
    results = replicate_many(scenarios, args.replications, args.seed, jobs=args.jobs,
                             progress=not args.no_progress, keep_case_log=True)
    baseline = scenarios[0].name
    differences = metrics.paired_differences(results.per_replication, baseline) if len(scenarios) > 1 else None
    command = "gridgov " + " ".join(sys.argv[1:]) if argv_is_cli() else "gridgov (library call)"
    report.write_results(out, results, scenarios, seed=args.seed, replications=args.replications,
                         differences=differences, command=command, language=args.language)
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
    print(report.kpi_table(results.summary))
    if differences is not None:
        print(f"\nPaired differences against {baseline} (same seeds; * = CI excludes 0):\n")
        print(report.differences_table(differences))
    print(f"\nTables, charts and metadata written to {out}/")
    return 0


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
    from .report import provenance_frame
    from .scenario import load_scenario

    frame = provenance_frame(load_scenario(args.scenario, args.overrides))
    with_pd_options = frame.to_string(index=False, max_colwidth=90)
    print(with_pd_options)
    return 0


def cmd_validate(args) -> int:
    from .validate import validate_mmc

    try:
        result = validate_mmc(args.servers, args.arrival_rate, args.service_rate, replications=args.replications,
                              seed=args.seed, jobs=args.jobs, progress=not args.json)
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


def cmd_batch(args) -> int:
    from .batch import run_batch, summary_text

    result = run_batch(args.file, args.out, jobs=args.jobs, progress=not args.no_progress, force=args.force)
    print(summary_text(result))
    return 0 if result.ok else 1


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "provenance": cmd_provenance, "validate": cmd_validate,
            "batch": cmd_batch}


if __name__ == "__main__":
    sys.exit(main())
