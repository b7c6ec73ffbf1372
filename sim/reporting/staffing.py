"""How many grid workers? Sweep the head count over the same replications and find the smallest that meets a target.

A sweep is computed once: its table is kept in a cache folder (`GRIDGOV_CACHE`, default
`~/.cache/gridgov/staffing`) under a key of every swept scenario's content hash, the
replications, the seed and the code version, and read back by the next call with the same key
(the notebook, the live staffing view, another session).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import messages
from ..experiment.runs import replicate_many
from ..params import Scenario, load_scenario
from ..results import store
from ..results.code_version import code_version
from . import charts, page
from .notebook import as_overrides


def sweep_scenarios(base: Scenario, head_counts: list[int]) -> list[Scenario]:
    """The base scenario at each head count (all on duty from day 0), named grid_workers_N."""
    return [base.with_values({"workforce.grid_workers": n, "workforce.hiring_batches": []}, name=f"grid_workers_{n}")
            for n in sorted(set(int(n) for n in head_counts))]


def head_count_of(scenarios: list[Scenario]) -> dict[str, int]:
    return {s.name: s.workforce.grid_workers for s in scenarios}


def cache_folder() -> Path:
    return page.cache_folder() / "staffing"


def sweep_key(scenarios: list[Scenario], replications: int, seed: int) -> str:
    """What decides a sweep's results: each scenario's content, the replications, the seed, the code version."""
    payload = json.dumps({"scenarios": [s.content_hash() for s in scenarios], "replications": replications,
                          "seed": seed, "code": code_version()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def cached(key: str) -> pd.DataFrame | None:
    """A sweep's table computed before with this key, or None."""
    path = cache_folder() / f"{key}.csv"
    try:
        return pd.read_csv(path)
    except (OSError, ValueError):
        return None


def remember(key: str, table: pd.DataFrame) -> None:
    """Keep a sweep's table for the next call with the same key (written atomically; a cache that cannot be written
    is skipped)."""
    try:
        folder = cache_folder()
        folder.mkdir(parents=True, exist_ok=True)
        store.write_table(table, folder / f"{key}.csv")
    except OSError:
        pass


def staffing_sweep(scenario_file: str | Path, overrides: list[str] | dict[str, Any], head_counts: list[int], *,
                   replications: int,
                   seed: int = 0, jobs: int = 1, progress: bool = False, cache: bool = True) -> pd.DataFrame:
    """On-time rate and annual cost (means, 95 % CIs) for each grid worker head count.

    Every head count is run over the same replications and seeds (common random numbers). With
    cache, a sweep computed before (same scenarios, replications, seed and code) is read back.
    """
    counts = sorted(set(int(n) for n in head_counts))
    scenarios = [load_scenario(scenario_file, as_overrides(overrides) + [f"workforce.grid_workers={n}",
                                                               f"name=grid_workers_{n}"]) for n in counts]
    key = sweep_key(scenarios, replications, seed)
    if cache and (table := cached(key)) is not None:
        return table
    results = replicate_many(scenarios, replications, seed, jobs=jobs, progress=progress)
    table = staffing_table(results.summary, head_count_of(scenarios))
    if cache:
        remember(key, table)
    return table


def staffing_frame(table: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """The sweep's table as a reader sees it: head count, on-time rate and annual cost with their 95 % CIs."""
    from .formatting import estimate_text

    t = lambda key: messages.text(key, language)  # noqa: E731
    rows = []
    for _, r in table.iterrows():
        row = {t("label.head_count"): messages.number(r["head_count"], language)}
        for prefix, kpi in (("on_time", "on_time_rate"), ("cost", charts.COST_KPI)):
            if f"{prefix}_mean" in table:
                interval = r.get(f"{prefix}_interval", "interval")
                row[messages.kpi_label(kpi, language)] = estimate_text(
                    r[f"{prefix}_mean"], r[f"{prefix}_ci_low"], r[f"{prefix}_ci_high"], interval, kpi, language)
        rows.append(row)
    return pd.DataFrame(rows)


def head_count_after_hiring(scenario_file: str | Path) -> int:
    """The scenario file's grid workers once every hiring batch is on duty (the staffing chart's reference)."""
    return load_scenario(scenario_file).workforce.final_grid_workers


def staffing_table(summary: pd.DataFrame, head_count_of: dict[str, int]) -> pd.DataFrame:
    rows = []
    for name, count in head_count_of.items():
        row = {"head_count": count}
        for kpi, prefix in (("on_time_rate", "on_time"), (charts.COST_KPI, "cost")):
            match = summary[(summary["scenario"] == name) & (summary["kpi"] == kpi)]
            if not match.empty:
                row.update({f"{prefix}_mean": match.iloc[0]["mean"], f"{prefix}_ci_low": match.iloc[0]["ci_low"],
                            f"{prefix}_ci_high": match.iloc[0]["ci_high"],
                            f"{prefix}_interval": match.iloc[0]["interval"]})
        rows.append(row)
    return pd.DataFrame(rows).sort_values("head_count").reset_index(drop=True)


def smallest_meeting_target(table: pd.DataFrame, target: float) -> int | None:
    """The smallest head count whose on-time rate meets the target with confidence (the CI's lower end >= target)."""
    meets = table[table["on_time_ci_low"] >= target]
    return int(meets["head_count"].min()) if not meets.empty else None


def staffing_verdict(table: pd.DataFrame, target: float, reference: int | None = None,
                     reference_label: str = "", language: str = "en") -> str:
    """The sentence a meeting needs: which head count meets the target, and where the reference sits."""
    t = lambda key, **fields: messages.text(key, language, **fields)  # noqa: E731
    n = lambda value: messages.number(value, language)  # noqa: E731
    p = lambda share: messages.percent(share, language)  # noqa: E731
    best = smallest_meeting_target(table, target)
    lines = []
    if best is None:
        lines.append(t("staffing.none_meets", low=n(table["head_count"].min()), high=n(table["head_count"].max()),
                       target=messages.percent(target, language, 0)))
    else:
        row = table[table["head_count"] == best].iloc[0]
        lines.append(t("staffing.smallest", target=messages.percent(target, language, 0), count=n(best),
                       mean=p(row["on_time_mean"]), low=p(row["on_time_ci_low"]), high=p(row["on_time_ci_high"])))
    if reference is not None:
        at = table[table["head_count"] == reference]
        where = (t("staffing.reference_at", mean=p(at.iloc[0]["on_time_mean"]), low=p(at.iloc[0]["on_time_ci_low"]),
                   high=p(at.iloc[0]["on_time_ci_high"])) if not at.empty else t("staffing.not_swept"))
        meets = best is not None and reference >= best
        lines.append(t("staffing.reference", label=reference_label or t("chart.reference_default"), count=n(reference),
                       where=where, status=t("staffing.meets" if meets else "staffing.does_not_meet")))
    return "  \n".join(lines)
