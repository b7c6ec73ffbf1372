"""A batch sized by precision: how many replications every scenario runs, found before the scenario notebooks run.

With `precision:` in the batch file (or `gridgov batch --precision KPI=HALF_WIDTH`), every scenario
of the batch is replicated together, replication r of each on the random streams of (seed, r)
(common random numbers), until the KPI's 95 % half-width of every scenario's mean and of every
paired difference from the batch's baseline is at most the target, or the cap is reached
(`sim.experiment.precision.replicate_to_precision`). The count found is the batch's
`replications`; the scenario notebooks then run that many, recalling the replications the sizing
computed from the batch folder's work log instead of computing them again.

Kept in the batch folder, so that a re-run redoes only what is missing:

    OUT/precision/kpis_per_replication.parquet   the KPIs of every replication the rule saw, by unit key
    OUT/precision/precision.json                 the rule, the count it stopped at, the widest half-width
                                                 at every count, whether the target was met

A re-run reads the KPIs it already has from the table (a replication's key holds the scenario's
content hash, the seed, the replication and the code version, so nothing stale is reused) and
simulates only replications it has not seen; full replications (time series, case logs) live in
the work log until the batch completes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..experiment.precision import Precision, replicate_to_precision, widest_half_width
from ..experiment.runs import Run
from ..params import Scenario
from ..results import store
from ..results.resume import ReplicationLog
from .plan import Plan, set_replications

FOLDER = "precision"
TABLE = "kpis_per_replication.parquet"
SUMMARY = "precision.json"


class SizingStore:
    """Replications for the precision rule: their KPIs from the batch folder's table, else the work log; each new
    one is saved whole to the work log (for the scenario notebooks) and its KPIs to the table."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.log = ReplicationLog(self.out)
        self.path = self.out / FOLDER / TABLE
        self.kpis: dict[str, dict[str, float]] = {}
        self.rows: list[dict] = []
        if self.path.is_file() and not self.path.is_symlink():
            try:
                frame = pd.read_parquet(self.path)
            except (OSError, ValueError):
                frame = pd.DataFrame()
            if {"unit", "code", "kpi", "value"} <= set(frame.columns):
                frame = frame[frame["code"] == self.log.code]  # rows of other code are dropped, never reused
                self.rows = frame.to_dict("records")
                for row in self.rows:
                    self.kpis.setdefault(row["unit"], {})[row["kpi"]] = float(row["value"])

    def load(self, scenario: Scenario, seed: int, replication: int, case_log: bool) -> Run | None:
        unit = self.log.key(scenario, seed, replication, case_log)
        if unit in self.kpis:
            return Run(scenario.name, seed, replication, dict(self.kpis[unit]), pd.DataFrame())
        run = self.log.load(scenario, seed, replication, case_log)
        if run is not None:
            self._record(scenario, run, unit)
        return run

    def save(self, scenario: Scenario, run: Run) -> None:
        self.log.save(scenario, run)
        self._record(scenario, run, self.log.key(scenario, run.seed, run.replication, run.case_log is not None))

    def _record(self, scenario: Scenario, run: Run, unit: str) -> None:
        self.kpis[unit] = dict(run.kpis)
        self.rows += [{"unit": unit, "scenario": scenario.name, "content_hash": scenario.content_hash(),
                       "seed": run.seed, "replication": run.replication, "code": self.log.code, "kpi": kpi,
                       "value": float(value)} for kpi, value in run.kpis.items()]
        store.own_folder(self.out, self.path.parent)
        store.write_table(pd.DataFrame(self.rows), self.path)


def size_batch(plan: Plan, out: Path, *, jobs: int = 1, progress: bool = False, executor=None) -> dict:
    """Find the replications the batch's precision rule needs, set them (and the scenarios' keys) on the plan, and
    write precision.json; returns what it holds."""
    rule = plan.precision
    assert rule is not None, "size_batch needs a plan with a precision rule"
    # The baseline first: replicate_to_precision takes paired differences from the first scenario.
    scenarios = sorted((item.scenario for item in plan.scenarios), key=lambda s: s.name != plan.baseline)
    sizing = SizingStore(out)
    kept, precision = replicate_to_precision(
        scenarios, rule.kpi, rule.half_width, seed=plan.batch.seed, cap=rule.max_replications, jobs=jobs,
        keep_case_log=True, executor=executor, progress=progress, resume=sizing, minimum=rule.min_replications)
    set_replications(plan, precision.replications)
    baseline = plan.baseline if len(scenarios) > 1 else None
    widths = {n: widest_half_width(kept.per_replication, rule.kpi, n, baseline)
              for n in range(2, precision.replications + 1)}
    content = summary(precision, plan, widths)
    store.write_json(content, store.own_folder(Path(out), Path(out) / FOLDER) / SUMMARY)
    return content


def summary(precision: Precision, plan: Plan, widths: dict[int, float]) -> dict:
    """What the rule asked for and reached, as batch.json, the manifest and precision.json record it."""
    assert plan.precision is not None
    return {"kpi": precision.kpi, "half_width_target": precision.half_width, "half_width": _finite(precision.achieved),
            "met": precision.met, "replications": precision.replications, "cap": precision.cap,
            "min_replications": plan.precision.min_replications, "baseline": plan.baseline,
            "seed": plan.batch.seed, "code_version": plan.code_version,
            "widest_half_width_by_replications": {str(n): _finite(w) for n, w in widths.items()}}


def _finite(value: float) -> float | None:
    """A number as JSON can hold it: None for a missing (NaN) half-width."""
    return None if math.isnan(value) else value
