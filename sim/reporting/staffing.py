"""How many grid workers? Sweep the head count over the same replications and find the smallest that meets a target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..experiment.runs import replicate_many
from ..params import load_scenario
from . import charts
from .notebook import as_overrides


def staffing_sweep(scenario_file: str | Path, overrides: list[str] | dict[str, Any], head_counts: list[int], *,
                   replications: int,
                   seed: int = 0, jobs: int = 1, progress: bool = False) -> pd.DataFrame:
    """On-time rate and annual cost (means, 95 % CIs) for each grid worker head count.

    Every head count is run over the same replications and seeds (common random numbers).
    """
    counts = sorted(set(int(n) for n in head_counts))
    scenarios = [load_scenario(scenario_file, as_overrides(overrides) + [f"workforce.grid_workers={n}",
                                                               f"name=grid_workers_{n}"]) for n in counts]
    results = replicate_many(scenarios, replications, seed, jobs=jobs, progress=progress)
    return staffing_table(results.summary, dict(zip((s.name for s in scenarios), counts, strict=True)))


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
                            f"{prefix}_ci_high": match.iloc[0]["ci_high"]})
        rows.append(row)
    return pd.DataFrame(rows).sort_values("head_count").reset_index(drop=True)


def smallest_meeting_target(table: pd.DataFrame, target: float) -> int | None:
    """The smallest head count whose on-time rate meets the target with confidence (the CI's lower end >= target)."""
    meets = table[table["on_time_ci_low"] >= target]
    return int(meets["head_count"].min()) if not meets.empty else None


def staffing_verdict(table: pd.DataFrame, target: float, reference: int | None = None,
                     reference_label: str = "") -> str:
    """The sentence a meeting needs: which head count meets the target, and where the reference sits."""
    best = smallest_meeting_target(table, target)
    lines = []
    if best is None:
        lines.append(f"No head count in the sweep ({table['head_count'].min():,}-{table['head_count'].max():,}) meets "
                     f"an on-time rate of {target:.0%} with confidence (lower end of the 95 % CI at or above it).")
    else:
        row = table[table["head_count"] == best].iloc[0]
        lines.append(f"The smallest head count in the sweep that meets an on-time rate of {target:.0%} with confidence "
                     f"is **{best:,}** grid workers (on-time rate {row['on_time_mean']:.1%}, "
                     f"95 % CI {row['on_time_ci_low']:.1%}-{row['on_time_ci_high']:.1%}). The sweep's step limits "
                     "the precision: the true minimum lies between the previous head count and this one.")
    if reference is not None:
        at = table[table["head_count"] == reference]
        where = (f"on-time rate {at.iloc[0]['on_time_mean']:.1%} (95 % CI {at.iloc[0]['on_time_ci_low']:.1%}-"
                 f"{at.iloc[0]['on_time_ci_high']:.1%})" if not at.empty else "not a point of the sweep")
        status = ("meets" if best is not None and reference >= best else "does not meet")
        lines.append(f"{reference_label or 'Reference'} ({reference:,} grid workers): {where}; it {status} the "
                     "target with confidence.")
    return "  \n".join(lines)
