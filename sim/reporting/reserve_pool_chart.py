"""The reserve-pool chart: the chance the pool runs dry against the pool ratio, at an election and between elections.

Drawn from a `summarise` table of a pool-ratio family (`analysis.reserve_pool.family`): one point
per ratio with its 95 % interval (a constant has no bar; a single replication is drawn without
one), the 2 x standard of seed 000 marked. Kept apart from `charts.py` so that it reads only
matplotlib and the summary.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from ..analysis import registry
from ..analysis.reserve_pool import STANDARD_RATIO, Member

SERIES = ("reserve_pool_stockout_probability_election", "reserve_pool_stockout_probability_between")


def _point(summary: pd.DataFrame, scenario: str, kpi: str) -> tuple[float, float, float]:
    row = summary[(summary["scenario"] == scenario) & (summary["kpi"] == kpi)]
    if row.empty:
        return math.nan, math.nan, math.nan
    r = row.iloc[0]
    low, high = (r["ci_low"], r["ci_high"]) if r["interval"] in ("interval", "constant") else (r["mean"], r["mean"])
    return float(r["mean"]), float(low), float(high)


def stockout_against_ratio(summary: pd.DataFrame, members: list[Member], replications: int):
    """A figure: stock-out probability (per election, between elections) against the pool ratio, with 95 % CIs."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    ratios = [m.ratio for m in members]
    for kpi, marker in zip(SERIES, ("o", "s"), strict=True):
        points = [_point(summary, m.name, kpi) for m in members]
        mean = [100 * p[0] for p in points]
        below = [100 * (p[0] - p[1]) for p in points]
        above = [100 * (p[2] - p[0]) for p in points]
        ax.errorbar(ratios, mean, yerr=[below, above], marker=marker, capsize=4, label=registry.label(kpi))
    ax.axvline(STANDARD_RATIO, color="grey", linestyle=":", label="seed 000 standard (2 x)")
    ax.set_xlabel("reserve pool (candidates per community)")
    ax.set_ylabel("chance the pool runs dry (%)")
    ax.set_ylim(-5, 105)
    ax.set_xticks(ratios, [f"{r:g} x" for r in ratios])
    ax.set_title(f"Reserve pool stock-outs against the pool ratio ({replications} replications, 95 % CI)")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def write_stockout_chart(summary: pd.DataFrame, members: list[Member], replications: int, path) -> None:
    """Draw `stockout_against_ratio` and save it (PNG) at `path`."""
    fig = stockout_against_ratio(summary, members, replications)
    try:
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
