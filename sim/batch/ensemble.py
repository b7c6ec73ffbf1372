"""A robustness ensemble: every policy (scenario) of a batch in every future drawn over the uncertainties, resumable.

`plan_ensemble` resolves a batch file (as `gridgov batch` does: sweeps, overrides, the batch's
horizon) into its policies, takes the uncertainty ranges they share (`uncertainties:` of their
scenario files; every policy must declare the same ones, or the futures would not be the same for
all), and draws the futures (`sim.experiment.futures`). `run_ensemble` runs every
future x policy unit on the executor (process pool, Dask or in-process), each with the batch's
replications on the batch's seed: common random numbers across policies *and* futures, so a
difference between two policies in a future, and a difference between two futures, is the
policy's or the future's, not noise of the draws.

Resumable: each unit is written atomically to `OUT/runs/f<future>/<policy>.json` with its key
(the future scenario's content hash, seed, replications, code version). A killed ensemble run
again recomputes only the units without a current file; the tables are always built from the
files, so they are bit-identical however the units were computed and on whichever executor.

    OUT/runs/f0000/<policy>.json   one unit: key, the future's values, the KPIs of every replication
    OUT/futures.parquet            one row per future and policy: uncertainties, KPIs, regret, targets met
    OUT/robustness.csv             per policy and target: share of futures meeting it, Wilson 95 % interval
    OUT/regret.csv                 per policy and KPI: mean and largest regret, share of futures where best
    OUT/sensitivity.csv            per policy, KPI and uncertainty: index kind, value, 95 % interval
    OUT/discovery.csv              per policy and target: the PRIM box where it fails, coverage and density
    OUT/ensemble.json              what ran: batch, seed, sampler, futures, uncertainties, code version
    OUT/robustness.html            the brief section with its charts (`robustness_report`)
    OUT/manifest.json              written last
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis import prim, sensitivity
from ..analysis.robustness import Target, parse_target, regret, regret_table, robustness_table
from ..errors import InputError
from ..experiment.executors import Executor, run_tasks
from ..experiment.futures import SAMPLERS, Futures, draw_futures, future_scenario
from ..experiment.runs import simulate
from ..params import Scenario
from ..params.uncertainty import Uncertainty
from ..results import manifest, store
from ..results.code_version import code_version
from ..results.lock import folder_lock
from .plan import plan_batch

RUNS = "runs"
SENSITIVITY_KPIS = ("on_time_rate", "ttc_p90_h", "backlog_mean")  # with every target's KPI


@dataclass
class Unit:
    """One policy in one future."""

    future: int
    policy: str
    scenario: Scenario
    key: str
    path: Path


@dataclass
class Ensemble:
    """A batch's policies over its futures: the units to run and what the tables need."""

    batch_name: str
    batch_file: Path
    out: Path
    policies: list[str]
    uncertainties: dict[str, Uncertainty]
    futures: Futures
    targets: list[Target]
    replications: int
    seed: int
    code_version: str
    units: list[Unit] = field(default_factory=list)


def plan_ensemble(path: str | Path, out: Path | None = None, *, futures: int = 16, sampler: str = "lhs",
                  targets: list[str] | tuple[str, ...] = (), replications: int | None = None) -> Ensemble:
    """Resolve a batch file into the units of its robustness ensemble (InputError for anything wrong)."""
    path = Path(path)
    if sampler not in SAMPLERS:
        raise InputError(f"--sampler {sampler!r}: allowed: {', '.join(SAMPLERS)}")
    plan = plan_batch(path, out)
    out = Path(out) if out is not None else Path("outputs") / f"{store.safe_name(plan.batch.name)}_robustness"
    parsed = []
    for text in targets or [f"on_time_rate>={plan.batch.target_on_time_rate:g}"]:
        try:
            parsed.append(parse_target(text))
        except ValueError as error:
            raise InputError(str(error)) from None
    uncertainties = shared_uncertainties(plan.scenarios, path)
    try:
        drawn = draw_futures(uncertainties, futures, sampler, plan.batch.seed)
    except ValueError as error:
        raise InputError(f"--futures {futures} with --sampler {sampler}: {error}") from None
    reps = replications or plan.batch.replications
    if reps is None:
        raise InputError("the batch file gives precision, not a replication count, and robustness runs a fixed count "
                         "per future and policy: give --replications N", where=str(path))
    version = code_version()
    ensemble = Ensemble(plan.batch.name, path.resolve(), out, [p.name for p in plan.scenarios], uncertainties, drawn,
                        parsed, reps, plan.batch.seed, version)
    names = store.distinct_file_names(ensemble.policies)
    for i in range(len(drawn)):
        for item in plan.scenarios:
            try:
                scenario = future_scenario(item.scenario, drawn, i)
            except ValueError as error:  # a pydantic ValidationError is a ValueError
                raise InputError(f"future {i} of policy {item.name} is not a valid scenario: "
                                 f"{str(error).splitlines()[0]}") from None
            ensemble.units.append(Unit(i, item.name, scenario, unit_key(scenario, reps, plan.batch.seed, version),
                                       out / RUNS / f"f{i:04d}" / f"{names[item.name]}.json"))
    return ensemble


def shared_uncertainties(planned, where: Path) -> dict[str, Uncertainty]:
    """The uncertainties every policy declares alike; InputError naming the policies that differ."""
    first = planned[0]
    reference = first.scenario.uncertainties
    if not reference:
        raise InputError(f"scenario {first.name} declares no uncertainties; add an `uncertainties:` section "
                         "(parameter path -> {low, high, reason}) to its file", where=str(where))
    for item in planned[1:]:
        if item.scenario.uncertainties != reference:
            theirs, ours = set(item.scenario.uncertainties), set(reference)
            detail = (f"only {first.name} has {sorted(ours - theirs)}" if ours - theirs else
                      f"only {item.name} has {sorted(theirs - ours)}" if theirs - ours else
                      "the same paths with different ranges")
            raise InputError(f"policies {first.name} and {item.name} declare different uncertainties ({detail}); "
                             "every policy must face the same futures", where=str(where))
    return dict(reference)


def unit_key(scenario: Scenario, replications: int, seed: int, version: str) -> str:
    """What a unit's numbers depend on: the future scenario's content, replications, seed and code version."""
    payload = json.dumps({"content_hash": scenario.content_hash(), "replications": replications, "seed": seed,
                          "code_version": version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _run_unit(task: tuple[Scenario, int, int]) -> list[dict[str, float]]:
    scenario, seed, replications = task
    return [simulate(scenario, seed, r, case_log=False).kpis for r in range(replications)]


def _load_unit(unit: Unit) -> list[dict[str, float]] | None:
    try:
        content = json.loads(unit.path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("key") != unit.key:
        return None
    return content["replications"]


def _save_unit(ensemble: Ensemble, unit: Unit, kpis: list[dict[str, float]]) -> None:
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    values = {name: float(v) for name, v in zip(ensemble.futures.names, ensemble.futures.values[unit.future],
                                                   strict=True)}
    store.write_json({"key": unit.key, "future": unit.future, "policy": unit.policy, "seed": ensemble.seed,
                      "uncertainties": values, "scenario_hash": unit.scenario.content_hash(),
                      "replications": [{k: _json_number(v) for k, v in r.items()} for r in kpis]}, unit.path)


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def pending_units(ensemble: Ensemble) -> list[Unit]:
    """The units without a current result file."""
    return [unit for unit in ensemble.units if _load_unit(unit) is None]


def run_ensemble(ensemble: Ensemble, *, jobs: int = 1, executor: Executor | None = None,
                 progress: bool = False) -> dict[str, pd.DataFrame]:
    """Run the missing units, then write the tables (and the manifest, last); returns the tables."""
    out = ensemble.out
    with folder_lock(out):
        manifest.begin_results(out)
        todo = pending_units(ensemble)
        run_tasks([(u.scenario, ensemble.seed, ensemble.replications) for u in todo], _run_unit, jobs=jobs,
                  progress=progress, description="futures x policies", executor=executor,
                  on_result=lambda i, kpis: _save_unit(ensemble, todo[i], kpis))
        tables = ensemble_tables(ensemble)
        written = write_tables(ensemble, tables)
        from .robustness_report import write_report

        written += write_report(ensemble, tables, out)
        written += [u.path for u in ensemble.units]
        manifest.finish_results(out, {"command": "gridgov robustness", "batch": ensemble.batch_name,
                                      "seed": ensemble.seed, "code_version": ensemble.code_version}, written)
    return tables


def futures_frame(ensemble: Ensemble) -> pd.DataFrame:
    """One row per future and policy, read from the unit files: the future's values, then the mean KPIs."""
    rows = []
    for unit in ensemble.units:
        replications = _load_unit(unit)
        if replications is None:
            raise RuntimeError(f"unit {unit.path} is missing; run the ensemble again")
        kpis = pd.DataFrame(replications).astype(float).mean(axis=0, skipna=False).to_dict()
        row = {"future": unit.future, "policy": unit.policy}
        row.update({name: float(v) for name, v in zip(ensemble.futures.names, ensemble.futures.values[unit.future],
                                                      strict=True)})
        row.update(kpis)
        rows.append(row)
    return pd.DataFrame(rows)


def regret_kpis(ensemble: Ensemble) -> list[str]:
    from ..analysis import registry

    kpis = [t.kpi for t in ensemble.targets] + ["on_time_rate"]
    return [k for k in dict.fromkeys(kpis) if registry.kpi(k).better in ("higher", "lower")]


def ensemble_tables(ensemble: Ensemble) -> dict[str, pd.DataFrame]:
    """The ensemble's tables (futures, robustness, regret, sensitivity, discovery), from the unit files."""
    frame = futures_frame(ensemble)
    for kpi in regret_kpis(ensemble):
        frame[f"regret_{kpi}"] = regret(frame, kpi)
    for target in ensemble.targets:
        frame[f"meets {target.text}"] = target.met(frame[target.kpi])
    return {"futures": frame, "robustness": robustness_table(frame, ensemble.targets),
            "regret": regret_table(frame, regret_kpis(ensemble)), "sensitivity": sensitivity_table(ensemble, frame),
            "discovery": discovery_table(ensemble, frame)}


def sensitivity_table(ensemble: Ensemble, frame: pd.DataFrame) -> pd.DataFrame:
    """Per policy, the sensitivity of each KPI (targets' and the headline ones) to each uncertainty."""
    futures = ensemble.futures
    kpis = list(dict.fromkeys([t.kpi for t in ensemble.targets] + list(SENSITIVITY_KPIS)))
    parts = []
    for policy in ensemble.policies:
        rows = frame[frame["policy"] == policy].sort_values("future")
        for kpi in kpis:
            if kpi not in rows:
                continue
            table = sensitivity.indices(futures.problem(), futures.sampler, futures.unit, rows[kpi].to_numpy(), kpi,
                                        seed=ensemble.seed)
            parts.append(table.assign(policy=policy))
    if not parts:
        return pd.DataFrame(columns=["policy", *sensitivity.COLUMNS])
    result = pd.concat(parts, ignore_index=True)
    return result[["policy", *sensitivity.COLUMNS]]


DISCOVERY_COLUMNS = ["policy", "target", "failures", "futures", "coverage", "density", "box_futures", "uncertainty",
                     "low", "high", "note"]


def discovery_table(ensemble: Ensemble, frame: pd.DataFrame) -> pd.DataFrame:
    """Per policy and target: PRIM's box of the futures where the policy fails it, one row per limit of the box."""
    rows = []
    names = ensemble.futures.names
    full = {name: (ensemble.uncertainties[name].low, ensemble.uncertainties[name].high) for name in names}
    for policy in ensemble.policies:
        group = frame[frame["policy"] == policy].sort_values("future")
        for target in ensemble.targets:
            failed = ~target.met(group[target.kpi]).to_numpy()
            base = {"policy": policy, "target": target.text, "failures": int(failed.sum()), "futures": len(group)}
            box = prim.discover(group[names].to_numpy(), failed, names, bounds=full)
            if box is None:
                note = "fails in no future" if not failed.any() else "fails in every future"
                rows.append({**base, "coverage": math.nan, "density": math.nan, "box_futures": 0, "uncertainty": "",
                             "low": math.nan, "high": math.nan, "note": note})
                continue
            limits = box.restricted(full) or {"(none)": (math.nan, math.nan)}
            for name, (low, high) in limits.items():
                rows.append({**base, "coverage": box.coverage, "density": box.density, "box_futures": box.futures,
                             "uncertainty": name, "low": low, "high": high,
                             "note": "" if name != "(none)" else "no box denser than the whole space"})
    return pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)


def write_tables(ensemble: Ensemble, tables: dict[str, pd.DataFrame]) -> list[Path]:
    out = ensemble.out
    written = [store.write_table(tables["futures"], out / "futures.parquet")]
    for name in ("robustness", "regret", "sensitivity", "discovery"):
        written.append(store.write_table(tables[name], out / f"{name}.csv"))
    written.append(store.write_json(describe(ensemble), out / "ensemble.json"))
    return written


def describe(ensemble: Ensemble) -> dict:
    """What ran, for ensemble.json: everything the tables depend on."""
    return {"batch": ensemble.batch_name, "batch_file": str(ensemble.batch_file), "seed": ensemble.seed,
            "replications_per_future": ensemble.replications, "sampler": ensemble.futures.sampler,
            "base_sample": ensemble.futures.base, "futures": len(ensemble.futures), "policies": ensemble.policies,
            "targets": [t.text for t in ensemble.targets], "code_version": ensemble.code_version,
            "uncertainties": {name: u.model_dump() for name, u in ensemble.uncertainties.items()},
            "units": len(ensemble.units)}


def summary_lines(ensemble: Ensemble, tables: dict[str, pd.DataFrame]) -> list[str]:
    """The terminal summary: each policy's share of futures meeting each target, and the uncertainty that matters."""
    lines = [f"{ensemble.batch_name}: {len(ensemble.policies)} policies x {len(ensemble.futures)} futures "
             f"({ensemble.futures.sampler}, seed {ensemble.seed}) x {ensemble.replications} replication(s)", ""]
    for _, row in tables["robustness"].iterrows():
        lines.append(f"  {row['policy']:<28} {row['target']:<22} {row['met']:>4}/{row['futures']:<4} futures  "
                     f"{row['share']:6.1%}  [{row['ci_low']:.1%}, {row['ci_high']:.1%}] (Wilson 95 %)")
    sens = tables["sensitivity"]
    if len(sens):
        lines.append("")
        for kpi in dict.fromkeys(t.kpi for t in ensemble.targets):
            rows = sens[(sens["kpi"] == kpi) & (sens["index"] == sens["index"].iloc[0])]
            if len(rows):
                mean = rows.groupby("uncertainty")["value"].mean()
                mean = mean.reindex(mean.abs().sort_values(ascending=False).index)
                lines.append(f"  {kpi}: {rows['index'].iloc[0]} by uncertainty (mean over policies, largest first): "
                             + ", ".join(f"{name} {value:.2f}" for name, value in mean.items()))
    return lines


def unit_count(ensemble: Ensemble) -> tuple[int, int]:
    """(units, units still to run)."""
    return len(ensemble.units), len(pending_units(ensemble))
