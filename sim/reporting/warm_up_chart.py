"""The warm-up chart: the hourly backlog (mean over replications) with the warm-up MSER-5 finds and the scenario's own.

Two panels: the backlog over the horizon, with the truncation point (solid) and `warm_up_days`
(dashed); and the MSER statistic against the hours dropped, whose minimum is the truncation point.
"""

from __future__ import annotations

from pathlib import Path

from ..experiment.warm_up_check import BATCH, WarmUpCheck
from ..results import store
from ..units import HOURS_PER_DAY


def warm_up_figure(check: WarmUpCheck):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=False)
    days = check.series["t_h"] / HOURS_PER_DAY
    top.plot(days, check.series["backlog"], color="#4C72B0", linewidth=0.8, label="open cases (mean over replications)")
    top.axvline(check.truncation_h / HOURS_PER_DAY, color="#C44E52", label=f"MSER-5: {check.needed_days} day(s)")
    top.axvline(check.warm_up_days, color="#333", linestyle="--", label=f"warm_up_days = {check.warm_up_days}")
    top.set_xlabel("day")
    top.set_ylabel("open cases")
    top.legend(loc="lower right", fontsize=8)
    top.set_title(f"{check.scenario}: warm-up by MSER-5 on the hourly backlog")
    dropped = [d * BATCH / HOURS_PER_DAY for d in range(len(check.statistic))]
    bottom.plot(dropped, check.statistic, color="#55A868")
    bottom.axvline(check.truncation_h / HOURS_PER_DAY, color="#C44E52")
    bottom.axvline(len(check.series) / 2 / HOURS_PER_DAY, color="#999", linestyle=":")
    bottom.set_xlabel("days dropped (the warm-up is searched for left of the dotted line, half the horizon)")
    bottom.set_ylabel("MSER statistic")
    figure.tight_layout()
    return figure


def write_warm_up_chart(check: WarmUpCheck, path: Path) -> Path:
    """The chart as a PNG (or SVG, by the suffix), written atomically."""
    return store.write_figure(warm_up_figure(check), Path(path))
