"""The house style for figures: meeting-ready, colour-blind safe, confidence intervals wherever a mean is shown.

Every chart function takes tidy tables (from `experiment.Replications`) and returns a matplotlib
Figure; saving is left to the caller. Figures are sized for a 16:9 slide. Labels come in
English or Chinese (`language="zh"`); Chinese needs an installed CJK font, and if none is found
the charts say so once (a warning) and fall back to English rather than draw empty boxes.
"""

from __future__ import annotations

import warnings
from functools import cache

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib import font_manager

from ..analysis import registry
from ..analysis.statistics import t_interval

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SLIDE_SIZE = (40 / 3, 7.5)  # inches: 16:9 (1920 x 1080 px at 144 dpi)
COST_KPI = "annual_cost_yuan"
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN"]

LABELS = {
    "en": {
        "backlog": "Open cases",
        "day": "Day",
        "hours": "Time to close (h)",
        "share_closed": "Share of cases closed",
        "kpi_title": "{kpi}: mean and 95 % confidence interval",
        "backlog_title": "Open cases over time (mean over replications, 95 % band)",
        "ttc_title": "Time to close, against deadlines",
        "deadline": "deadline",
        "scenario": "Scenario",
        "cost_title": "Cost against on-time closure rate (means, 95 % CI both ways)",
        "head_count": "Grid workers (head count)",
        "staffing_title": "On-time closure rate against grid worker head count (mean, 95 % band)",
        "target": "target {target:.0%}",
        "reference": "{label}: {count:,}",
    },
    "zh": {
        "backlog": "未结案件",
        "day": "天",
        "hours": "办结时间(小时)",
        "share_closed": "已办结比例",
        "kpi_title": "{kpi}:均值及95%置信区间",
        "backlog_title": "未结案件随时间变化(各次重复均值,95%区间)",
        "ttc_title": "办结时间与时限",
        "deadline": "时限",
        "scenario": "情景",
        "cost_title": "成本与按时办结率(均值,双向95%置信区间)",
        "head_count": "网格员人数",
        "staffing_title": "按时办结率与网格员人数(均值,95%区间)",
        "target": "目标 {target:.0%}",
        "reference": "{label}:{count:,}",
    },
}


@cache
def cjk_font() -> str | None:
    """The first installed CJK font family, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@cache
def resolve_language(language: str) -> str:
    if language == "zh" and cjk_font() is None:
        warnings.warn("No CJK font found (Noto Sans CJK, WenQuanYi, SimHei, ...): charts fall back to English labels.",
                      stacklevel=3)
        return "en"
    return language if language in LABELS else "en"


def label(key: str, language: str = "en") -> str:
    """A chart text: a KPI's label from the registry, or one of the charts' own texts."""
    language = resolve_language(language)
    if registry.find(key) is not None:
        return registry.label(key, language)
    return LABELS[language].get(key, LABELS["en"].get(key, key.replace("_", " ")))


def style(language: str = "en"):
    """A matplotlib rc context with the house style; draw a whole figure inside it."""
    rc = {
        "font.size": 15, "axes.titlesize": 19, "axes.labelsize": 16, "xtick.labelsize": 14, "ytick.labelsize": 14,
        "legend.fontsize": 14, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.3, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    }
    if resolve_language(language) == "zh":
        rc["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
        rc["axes.unicode_minus"] = False
    return plt.rc_context(rc)


def new_figure(size=SLIDE_SIZE):
    return plt.subplots(figsize=size, layout="constrained")


def kpi_bars(summary: pd.DataFrame, kpi: str, language: str = "en", target: float | None = None):
    """One bar per scenario: the mean of a KPI with its 95 % CI as error bars."""
    rows = summary[summary["kpi"] == kpi].reset_index(drop=True)
    with style(language):
        fig, ax = new_figure()
        _draw_kpi_bars(ax, rows, kpi, language, target)
    return fig


def _draw_kpi_bars(ax, rows: pd.DataFrame, kpi: str, language: str, target: float | None) -> None:
    x = np.arange(len(rows))
    low = (rows["mean"] - rows["ci_low"]).clip(lower=0)
    high = (rows["ci_high"] - rows["mean"]).clip(lower=0)
    ax.bar(x, rows["mean"], color=[PALETTE[i % len(PALETTE)] for i in x], yerr=[low, high], capsize=8,
           error_kw={"elinewidth": 2})
    for i, (value, top) in enumerate(zip(rows["mean"], rows["ci_high"], strict=True)):
        above = top if np.isfinite(top) else value
        ax.annotate(_format(value, kpi), (i, above), textcoords="offset points", xytext=(0, 6), ha="center",
                    va="bottom")
    if target is not None:
        ax.axhline(target, color="#444444", linestyle="--", linewidth=1.5)
        ax.annotate(label("target", language).format(target=target), (1.0, target), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(0, 4), ha="right", va="bottom", color="#444444")
    ax.set_xticks(x, rows["scenario"], rotation=15 if len(rows) > 3 else 0)
    ax.set_ylabel(label(kpi, language))
    ax.set_title(label("kpi_title", language).format(kpi=label(kpi, language)))
    if registry.is_share(kpi):
        ax.set_ylim(0, 1.1)


def backlog_over_time(series: pd.DataFrame, language: str = "en", column: str = "backlog"):
    """Open cases over time per scenario: mean over replications with a 95 % band (daily resolution)."""
    with style(language):
        fig, ax = new_figure()
        _draw_backlog(ax, series, language, column)
    return fig


def _draw_backlog(ax, series: pd.DataFrame, language: str, column: str) -> None:
    series = series.assign(day_index=np.floor(series["day"]).astype(int))
    daily = series.groupby(["scenario", "replication", "day_index"], sort=False,
                           observed=True)[column].mean().reset_index()
    for i, (scenario, group) in enumerate(daily.groupby("scenario", sort=False)):
        stats = group.groupby("day_index")[column].apply(lambda v: t_interval(v.to_numpy())).apply(pd.Series)
        color = PALETTE[i % len(PALETTE)]
        ax.plot(stats.index, stats[0], color=color, linewidth=2.5, label=scenario)
        ax.fill_between(stats.index, stats[1], stats[2], color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel(label("day", language))
    ax.set_ylabel(label(column, language))
    ax.set_title(label("backlog_title", language))
    ax.legend(frameon=False)


def time_to_close(case_logs: dict[str, pd.DataFrame], language: str = "en", deadlines_h: list[float] = ()):
    """Cumulative share of cases closed against hours since arrival, per scenario, with deadlines marked."""
    with style(language):
        fig, ax = new_figure()
        _draw_time_to_close(ax, case_logs, language, deadlines_h)
    return fig


def _draw_time_to_close(ax, case_logs: dict[str, pd.DataFrame], language: str, deadlines_h) -> None:
    for i, (scenario, log) in enumerate(case_logs.items()):
        hours = (log["closed_h"] - log["arrived_h"]).dropna().to_numpy()
        if len(hours) == 0:
            continue
        hours = np.sort(hours)
        share = np.arange(1, len(hours) + 1) / len(log)
        step = max(1, len(hours) // 2000)
        ax.plot(hours[::step], share[::step], color=PALETTE[i % len(PALETTE)], linewidth=2.5, label=scenario)
    for deadline in sorted(set(deadlines_h)):
        ax.axvline(deadline, color="#777777", linestyle=":", linewidth=1.2)
        ax.annotate(f"{deadline:g} h", (deadline, 0.02), rotation=90, va="bottom", ha="right", color="#555555")
    ax.set_xscale("log")
    ax.set_xlabel(label("hours", language))
    ax.set_ylabel(label("share_closed", language))
    ax.set_ylim(0, 1.02)
    ax.set_title(label("ttc_title", language))
    ax.legend(frameon=False, loc="upper left")


def _format(value: float, kpi: str) -> str:
    if registry.is_share(kpi):
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def cost_vs_on_time(summary: pd.DataFrame, language: str = "en"):
    """Each scenario as a point: annual cost against on-time rate, 95 % CIs both ways; None without a cost KPI."""
    cost = summary[summary["kpi"] == COST_KPI].set_index("scenario")
    rate = summary[summary["kpi"] == "on_time_rate"].set_index("scenario")
    names = [n for n in dict.fromkeys(summary["scenario"]) if n in cost.index and n in rate.index]
    if not names or cost.loc[names, "mean"].isna().all():
        return None
    with style(language):
        fig, ax = new_figure()
        for i, name in enumerate(names):
            c, r = cost.loc[name], rate.loc[name]
            ax.errorbar(c["mean"], r["mean"], xerr=[[max(c["mean"] - c["ci_low"], 0)], [max(c["ci_high"] - c["mean"],
                                                                                            0)]],
                        yerr=[[max(r["mean"] - r["ci_low"], 0)], [max(r["ci_high"] - r["mean"], 0)]], fmt="o",
                        markersize=11, capsize=6, color=PALETTE[i % len(PALETTE)], label=name)
        ax.set_xlabel(label(COST_KPI, language))
        ax.set_ylabel(label("on_time_rate", language))
        ax.set_title(label("cost_title", language))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.legend(frameon=False)
    return fig


def staffing_curve(table: pd.DataFrame, target: float | None = None, reference: int | None = None,
                   reference_label: str = "", language: str = "en"):
    """On-time rate (mean, 95 % band) against head count; cost on a second axis when the table has it."""
    with style(language):
        fig, ax = new_figure()
        x = table["head_count"].to_numpy()
        ax.plot(x, table["on_time_mean"], marker="o", color=PALETTE[0], linewidth=2.5, label=label("on_time_rate",
                                                                                                   language))
        ax.fill_between(x, table["on_time_ci_low"], table["on_time_ci_high"], color=PALETTE[0], alpha=0.2, linewidth=0)
        if target is not None:
            ax.axhline(target, color="#444444", linestyle="--", linewidth=1.5,
                       label=label("target", language).format(target=target))
        if reference is not None:
            ax.axvline(reference, color=PALETTE[3], linestyle=":", linewidth=2,
                       label=label("reference", language).format(label=reference_label or "reference", count=reference))
        ax.set_xlabel(label("head_count", language))
        ax.set_ylabel(label("on_time_rate", language))
        ax.set_ylim(0, 1.05)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_title(label("staffing_title", language))
        if "cost_mean" in table and table["cost_mean"].notna().any():
            twin = ax.twinx()
            twin.plot(x, table["cost_mean"], marker="s", color=PALETTE[1], linewidth=2, label=label(COST_KPI, language))
            twin.fill_between(x, table["cost_ci_low"], table["cost_ci_high"], color=PALETTE[1], alpha=0.15, linewidth=0)
            twin.set_ylabel(label(COST_KPI, language))
            twin.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            twin.grid(False)
            twin.legend(frameon=False, loc="lower right")
        ax.legend(frameon=False, loc="lower left" if "cost_mean" not in table else "upper left")
    return fig


TRADE_OFF_TITLE = {"en": "On time against overtime cost (means, 95 % CI both ways; bubble area: reopen rate)",
                   "zh": "按时办结率与加班费(均值,双向95%置信区间;气泡面积:重新办理比例)"}


def deadline_trade_off(summary: pd.DataFrame, language: str = "en"):
    """Each scenario as a bubble: overtime pay against on-time rate, area by reopen rate; None without overtime."""
    cost = summary[summary["kpi"] == "annual_cost_overtime_yuan"].set_index("scenario")
    rate = summary[summary["kpi"] == "on_time_rate"].set_index("scenario")
    reopen = summary[summary["kpi"] == "reopen_rate"].set_index("scenario")
    names = [n for n in dict.fromkeys(summary["scenario"]) if n in cost.index and n in rate.index and n in reopen.index]
    if not names:
        return None
    largest = max(float(reopen.loc[names, "mean"].max()), 1e-9)
    with style(language):
        fig, ax = new_figure()
        for i, name in enumerate(names):
            c, r, colour = cost.loc[name], rate.loc[name], PALETTE[i % len(PALETTE)]
            ax.scatter(c["mean"], r["mean"], s=2500 * reopen.loc[name, "mean"] / largest, color=colour, alpha=0.45,
                       label=f"{name} ({reopen.loc[name, 'mean']:.1%})")
            ax.errorbar(c["mean"], r["mean"],
                        xerr=[[max(c["mean"] - c["ci_low"], 0)], [max(c["ci_high"] - c["mean"], 0)]],
                        yerr=[[max(r["mean"] - r["ci_low"], 0)], [max(r["ci_high"] - r["mean"], 0)]], fmt="none",
                        capsize=6, color=colour)
        ax.set_xlabel(label("annual_cost_overtime_yuan", language))
        ax.set_ylabel(label("on_time_rate", language))
        ax.set_title(TRADE_OFF_TITLE[resolve_language(language)])
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.legend(frameon=False, markerscale=0.3)
    return fig
