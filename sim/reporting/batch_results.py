"""A finished batch's results as read back from its folder: the manifest, each complete scenario's replications
and scenario, the failures, and the paired differences from the baseline; what the brief and the comparison
notebook both start from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis.statistics import paired_differences, summarise
from ..experiment.runs import Replications
from ..params import Scenario
from ..results import store
from ..results.markers import MARKER
from .results_folder import CLOSURE_FILE


def deadlines_of(scenarios: list[Scenario]) -> list[float]:
    """Every deadline that applies to cases: category deadlines and the departments' resolution limits."""
    values = {c.deadline_h for s in scenarios for c in s.cases.categories.values() if c.deadline_h}
    values |= {s.dispatch.resolution_deadline_h for s in scenarios}
    return sorted(values)


@dataclass
class BatchResults:
    """A batch's collected results: the manifest, the completed scenarios' replications, and the failures."""

    manifest: dict
    results: Replications
    scenarios: dict[str, Scenario]
    baseline: str
    failed: list[dict]
    differences: pd.DataFrame | None
    folder: Path = Path()

    def titles(self, language: str = "en") -> dict[str, str]:
        """Scenario name -> its title in the language (the batch file's, the scenario file's, else the name)."""
        return {entry["name"]: (entry.get("title") or {}).get(language) or entry["name"]
                for entry in self.manifest["scenarios"]}

    def descriptions(self, language: str = "en") -> dict[str, str]:
        return {entry["name"]: (entry.get("description") or {}).get(language, "")
                for entry in self.manifest["scenarios"]}

    def batch_text(self, key: str, language: str = "en") -> str:
        """The batch's title, question or description in the language ('' when it has none)."""
        value = self.manifest.get(key) or ""
        return value.get(language, "") if isinstance(value, dict) else str(value)

    @property
    def names(self) -> list[str]:
        """The completed scenarios, in the batch's order."""
        return list(self.scenarios)


def load_batch(results_dir: str | Path) -> BatchResults:
    """Read every complete scenario of a batch folder (OUT/batch.json and OUT/scenarios/*)."""
    results_dir = Path(results_dir)
    manifest_path = results_dir / "batch.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path}: no batch manifest; run `gridgov batch FILE --out {results_dir}` "
                                f"first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    per_rep, series, closure, logs, scenarios, failed = [], [], [], {}, {}, []
    for entry in manifest["scenarios"]:
        folder = results_dir / entry["folder"]
        marker = folder / MARKER
        if not marker.is_file() or json.loads(marker.read_text()).get("key") != entry["key"]:
            failed.append(entry)
            continue
        per_rep.append(pd.read_csv(folder / "kpis_per_replication.csv"))
        series.append(pd.read_parquet(folder / "timeseries.parquet"))
        stored = json.loads((folder / "scenario.json").read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(stored["scenario"])
        scenarios[scenario.name] = scenario
        if (folder / CLOSURE_FILE).is_file():
            closure.append(pd.read_csv(folder / CLOSURE_FILE))
        log = folder / f"case_log_{store.safe_name(scenario.name)}_rep0.parquet"
        if log.is_file():
            logs[scenario.name] = pd.read_parquet(log, columns=["arrived_h", "closed_h", "due_h"])
    if not per_rep:
        raise RuntimeError(f"{results_dir}: no scenario of batch {manifest['batch']} completed")
    per_replication = pd.concat(per_rep, ignore_index=True)
    results = Replications(per_replication, summarise(per_replication), pd.concat(series, ignore_index=True), logs,
                           closure=pd.concat(closure, ignore_index=True) if closure else None)
    baseline = manifest.get("baseline") or next(iter(scenarios))
    if baseline not in scenarios:
        baseline = next(iter(scenarios))
    differences = paired_differences(per_replication, baseline) if len(scenarios) > 1 else None
    return BatchResults(manifest, results, scenarios, baseline, failed, differences, results_dir)
