"""The `gridgov` command line's arguments: every command, with each shared option declared once as a parent parser.

An option that several commands take (`--set`, `--seed`, `--json`, `--replications`, `--jobs`,
`--executor`/`--scheduler`, `--out`, `--language`, `--no-progress`) is built by one function
here, so it has the same name, type and limits everywhere; only its default and help may differ
by command. Building the parser imports only the standard library and `sim`'s foundations, so
`gridgov --help` and a bad argument answer at once.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ..children import default_jobs
from ..errors import InputError
from ..limits import MAX_JOBS, MAX_REPLICATIONS, MAX_SEARCH_STEPS, MAX_SERVERS, MAX_TOP_CATEGORIES, MAX_WARM_UP_DAYS


class Parser(argparse.ArgumentParser):
    """argparse whose own errors take the same form and exit status as every other bad input."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        raise InputError(message)


# --------------------------------------------------------------------------- value types


def positive_int(name: str, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number from 1 to maximum (no maximum when None), with the option's name in every message."""
    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 30 else int("x")
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text[:40]!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be at most {maximum:,}, got {value:,}")
        return value
    return parse


def seed_number(text: str) -> int:
    """A seed: a whole number from 0 to 2**63 - 1 (what numpy's SeedSequence takes without surprise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be between 0 and 2**63 - 1, got {value}")
    return value


def positive_float(name: str) -> Callable[[str], float]:
    """A positive finite number, with the option's name in every message."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{name} must be a positive finite number, got {text}")
        return value
    return parse


def path_argument(name: str) -> Callable[[str], Path]:
    """A path: not empty (an empty --out would mean the current folder), no NUL byte, a name the system can hold."""
    def parse(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{name} must name a file or folder, got an empty name {text!r}")
        if "\0" in text:
            raise argparse.ArgumentTypeError(f"{name} must not contain a NUL character, got {text!r}")
        too_long = [part for part in Path(text).parts if len(part.encode("utf-8", "surrogateescape")) > 255]
        if too_long:
            raise argparse.ArgumentTypeError(f"{name}: the name {too_long[0][:40]!r}... is "
                                             f"{len(too_long[0].encode('utf-8', 'surrogateescape'))} bytes long; "
                                             "a file name may be at most 255 bytes")
        return Path(text)
    return parse


SCENARIO_FILE = path_argument("scenario file")


def scheduler_address(text: str) -> str:
    """A Dask scheduler address: PROTOCOL://HOST:PORT (checked before anything is created)."""
    if not re.fullmatch(r"[a-z]+://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+):\d{1,5}", text or ""):
        raise argparse.ArgumentTypeError(f"--scheduler must be an address PROTOCOL://HOST:PORT, e.g. "
                                         f"tcp://10.0.0.5:8786, got {text[:80]!r}")
    return text


# --------------------------------------------------------------------------- shared options


def _option(*names: str, **settings) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(*names, **settings)
    return parent


def overrides_option() -> argparse.ArgumentParser:
    return _option("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a parameter, e.g. workforce.grid_workers=1800 (repeatable)")


def seed_option() -> argparse.ArgumentParser:
    return _option("--seed", type=seed_number, default=0, help="random seed (default 0)")


def json_option(help: str = "print one JSON object on stdout") -> argparse.ArgumentParser:
    return _option("--json", action="store_true", help=help)


def replications_option(default: int | None, help: str = "replications per scenario (default %(default)s)"
                        ) -> argparse.ArgumentParser:
    return _option("--replications", "-n", type=positive_int("--replications", MAX_REPLICATIONS), default=default,
                   help=help)


def jobs_option(help: str = "processes for replications (default: all cores)") -> argparse.ArgumentParser:
    return _option("--jobs", "-j", type=positive_int("--jobs", MAX_JOBS), default=default_jobs(), help=help)


def executor_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--executor", choices=["local", "process", "dask"], default=None,
                        help="where replications run: in this process, a local process pool (default), or Dask")
    parent.add_argument("--scheduler", metavar="ADDRESS", default=None, type=scheduler_address,
                        help="Dask scheduler, e.g. tcp://HOST:8786 (implies --executor dask; without it, "
                             "--executor dask starts a LocalCluster of --jobs workers)")
    return parent


def out_option(help: str, metavar: str | None = None) -> argparse.ArgumentParser:
    return _option("--out", type=path_argument("--out"), metavar=metavar, help=help)


def language_option() -> argparse.ArgumentParser:
    return _option("--language", choices=["en", "zh"], default="en", help="language of tables and charts")


def progress_option() -> argparse.ArgumentParser:
    return _option("--no-progress", action="store_true", help="no progress on stderr")


def precision_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--precision", metavar="KPI=HALF_WIDTH", default=None,
                        help="add replications until the KPI's 95 %% half-width (and each paired difference's) is at "
                             "most HALF_WIDTH, e.g. on_time_rate=0.005; --replications is then ignored")
    parent.add_argument("--max-replications", type=positive_int("--max-replications", MAX_REPLICATIONS), default=50,
                        help="cap on replications with --precision (default %(default)s)")
    return parent


def simulation_options() -> list[argparse.ArgumentParser]:
    """What `run` and `compare` take besides their scenario files."""
    return [replications_option(5), seed_option(), overrides_option(), jobs_option(), executor_options(),
            out_option("results folder (default: outputs/<name>)"), json_option(), language_option(),
            progress_option(), precision_options()]


# --------------------------------------------------------------------------- the commands


def build_parser() -> argparse.ArgumentParser:
    """The `gridgov` parser: one sub-command per task (run, compare, provenance, succession, batch, report, validate,
    verify, calibrate)."""
    parser = Parser(prog="gridgov", description="Simulate urban grassroots governance scenarios.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="simulate one scenario with replications", parents=simulation_options())
    run.add_argument("scenario", type=SCENARIO_FILE)

    compare = commands.add_parser("compare", help="compare scenarios on the same replications (paired)",
                                  parents=simulation_options())
    compare.add_argument("scenarios", type=SCENARIO_FILE, nargs="+")

    provenance = commands.add_parser("provenance", help="print where every parameter of a scenario comes from",
                                     parents=[overrides_option()])
    provenance.add_argument("scenario", type=SCENARIO_FILE)

    succession = commands.add_parser(
        "succession", help="secretary vacancies and the reserve pool alone (no cases): fast, many replications",
        parents=[replications_option(200), seed_option(), overrides_option(), json_option(),
                 out_option("folder for the tables and the stock-out chart (default: print only)")])
    succession.add_argument("scenarios", type=SCENARIO_FILE, nargs="+")

    batch = commands.add_parser(
        "batch", help="run a batch of scenarios through the notebooks; report as HTML",
        parents=[jobs_option("scenarios run in parallel (default: all cores)"),
                 out_option("results folder (default: outputs/<batch name>)"), progress_option()])
    batch.add_argument("file", type=path_argument("batch file"),
                       help="batch file, e.g. params/batches/luzhou_policies.yaml")
    batch.add_argument("--force", action="store_true", help="recompute scenarios even if complete and current")
    batch.add_argument("--precision", metavar="KPI=HALF_WIDTH", default=None,
                       help="replications by precision, replacing the batch file's: every scenario on the same "
                            "replications until the KPI's 95 %% half-width (means and paired differences from the "
                            "baseline) is at most HALF_WIDTH, e.g. on_time_rate=0.005")
    batch.add_argument("--max-replications", type=positive_int("--max-replications", MAX_REPLICATIONS), default=None,
                       help="cap on replications with --precision (default: the batch file's precision cap, else 50)")

    _add_robustness(commands)

    warmup = commands.add_parser(
        "warmup", help="the warm-up a scenario needs (MSER-5 on its hourly backlog); warns if warm_up_days is shorter",
        parents=[replications_option(3), seed_option(), overrides_option(), jobs_option(), json_option(),
                 out_option("folder for warmup.png and warmup.json (default: outputs/<name>_warmup)"),
                 progress_option()])
    warmup.add_argument("scenario", type=SCENARIO_FILE)

    report = commands.add_parser(
        "report", help="write the meeting brief (report.html, report.pptx) of a finished batch, without simulating",
        parents=[out_option("folder for the brief and its charts (default: the batch folder)")])
    report.add_argument("folder", type=path_argument("BATCH_DIR"), metavar="BATCH_DIR",
                        help="a batch's results folder (gridgov batch --out)")
    report.add_argument("--language", choices=["en", "zh"], default=None,
                        help="language of the brief (default: the batch file's)")

    validate = commands.add_parser("validate", help="check the model against queueing theory")
    checks = validate.add_subparsers(dest="check", required=True, parser_class=Parser)
    mmc = checks.add_parser(
        "mmc", help="the M/M/c reduction against Erlang C",
        parents=[replications_option(None, "default: until the mean wait's 95%% half-width is within 5%%"),
                 seed_option(), jobs_option(), json_option()])
    mmc.add_argument("--servers", type=positive_int("--servers", MAX_SERVERS), required=True)
    mmc.add_argument("--arrival-rate", type=positive_float("--arrival-rate"), required=True, help="per hour")
    mmc.add_argument("--service-rate", type=positive_float("--service-rate"), required=True, help="per hour")

    verify = commands.add_parser("verify", help="check a results folder against its manifest", parents=[json_option()])
    verify.add_argument("folder", type=path_argument("folder"))

    _add_calibrate(commands)
    app = commands.add_parser("app", help="serve the explorer as a web page on this machine (Voilà), no code shown",
                              parents=[language_option()])
    app.add_argument("--port", type=positive_int("--port", 65535), default=8866,
                     help="port on 127.0.0.1 (default %(default)s)")
    app.add_argument("--replications", type=positive_int("--replications", 10), default=4,
                     help="replications of each run at first (default %(default)s; the page offers 1-10)")
    return parser


def _add_robustness(commands) -> None:
    robustness = commands.add_parser(
        "robustness", help="every policy of a batch in futures drawn over the scenarios' uncertainty ranges",
        parents=[jobs_option("processes for the future x policy units (default: all cores)"), executor_options(),
                 out_option("results folder (default: outputs/<batch name>_robustness)"), progress_option(),
                 json_option("print the tables' summary as JSON")])
    robustness.add_argument("file", type=path_argument("batch file"),
                            help="batch file whose scenarios declare `uncertainties:`")
    robustness.add_argument("--futures", "-N", type=positive_int("--futures", 65_536), default=16,
                            help="futures (lhs), base sample N, a power of 2 (sobol: N x (k+2) futures) or "
                                 "trajectories (morris: N x (k+1) futures); default 16")
    robustness.add_argument("--sampler", choices=["lhs", "sobol", "morris"], default="lhs",
                            help="design over the uncertainties (default lhs); sobol gives Sobol indices, morris "
                                 "elementary effects for a small budget")
    robustness.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                            help="a target each policy should meet in a future, e.g. on_time_rate>=0.95 "
                                 "(repeatable; default: the batch's target_on_time_rate)")
    robustness.add_argument("--replications", "-n", type=positive_int("--replications", MAX_REPLICATIONS),
                            default=None, help="replications per future and policy (default: the batch's)")


def _add_calibrate(commands) -> None:
    calibrate = commands.add_parser(
        "calibrate", help="fit a scenario to a district's case log and report the fit",
        parents=[out_option("scenario file to write (default: outputs/<log>_calibrated/<log>_calibrated.yaml)",
                            metavar="SCENARIO.yaml"),
                 seed_option(), replications_option(3, "replications pooled for the fit report (default 3)"),
                 json_option("print the acceptance figures as JSON"), progress_option()])
    calibrate.add_argument("log", type=path_argument("case log"),
                           help="case log: CSV (plain, gzip or zip) or Excel, one row per case")
    for role, what in (("created", "when the case was reported"), ("closed", "when it was closed"),
                       ("due", "its deadline"), ("category", "its category"), ("source", "its channel"),
                       ("unit", "the unit that handled it"),
                       ("status", "its status; cases it voids (cancelled, duplicate, transferred) are left out")):
        calibrate.add_argument(f"--{role}", metavar="COL", help=f"column holding {what} (default: detected)")
    calibrate.add_argument("--void-status", metavar="V1,V2", type=lambda text: text.split(","),
                           help="status values that void a case, comma-separated (default: values containing "
                                "cancel, duplicate, transfer, void, invalid, withdrawn, 作废, 撤销, 取消, 重复, "
                                "转办, 无效)")
    calibrate.add_argument("--time-format", metavar="FMT", help="strftime format of the timestamps (default: inferred)")
    calibrate.add_argument("--top-categories", type=positive_int("--top-categories", MAX_TOP_CATEGORIES), default=20,
                           metavar="K",
                           help="categories beyond the K largest are merged into 'other' (default 20)")
    calibrate.add_argument("--report", type=path_argument("--report"), metavar="DIR",
                           help="fit report folder (default: the scenario's folder)")
    calibrate.add_argument("--name", help="scenario name (default: <log>_calibrated)")
    calibrate.add_argument("--search-steps", type=positive_int("--search-steps", MAX_SEARCH_STEPS), default=3,
                           help="median-work steps per spread tried in the search (default 3)")
    calibrate.add_argument("--deadline-response", choices=("fit", "none"), default="fit",
                           help="fit: try the departments' responses to deadlines (none among them) and keep the one "
                                "nearest the log's closures around the due time (default); none: assume none")
    calibrate.add_argument("--warm-up-days", type=positive_int("--warm-up-days", MAX_WARM_UP_DAYS), default=28,
                           help="simulated days before the log's period starts, so queues fill (default 28)")
