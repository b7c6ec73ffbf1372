"""The house style for figures: meeting-ready, colour-blind safe, confidence intervals wherever a mean varies.

Every chart function takes tidy tables (from `experiment.Replications`) and returns a matplotlib
Figure sized for a 16:9 slide (`save` writes it as a 1920 x 1080 PNG or an SVG). Texts come from
the message catalogue in English or Chinese (`language="zh"`); the fonts (`fonts`) are shipped
with the project's dependencies and set as concrete families, so a figure saved after its style
context has closed still finds every glyph. Scenarios are shown by their titles (`titles`:
scenario name -> title), never by their identifiers.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd

from ..analysis import closure, messages, registry
from ..analysis.statistics import estimate, t_interval
from ..results import store
from . import fonts

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
REFERENCE_COLOUR = "#333333"  # targets, references and deadlines: never one of the series' colours
SLIDE_SIZE = (40 / 3, 7.5)  # inches: 16:9
CHART_DPI = 144  # 13.33 x 7.5 in at 144 dpi = 1920 x 1080 px
COST_KPI = "annual_cost_yuan"

fonts.install_fallback()


def text(key: str, language: str = "en", **fields) -> str:
    return messages.text(key, language, **fields)


def label(key: str, language: str = "en") -> str:
    """A chart text: a KPI's label from the registry, or one of the catalogue's labels."""
    return messages.kpi_label(key, language)


def style(language: str = "en"):
    """A matplotlib rc context with the house style and the language's fonts; draw a whole figure inside it."""
    rc = {
        "font.size": 15, "axes.titlesize": 19, "axes.labelsize": 16, "xtick.labelsize": 14, "ytick.labelsize": 14,
        "legend.fontsize": 14, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.3, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "font.family": fonts.families(language), "axes.unicode_minus": True,
        "axes.formatter.use_mathtext": False, "axes.formatter.limits": (-9, 9),
    }
    return plt.rc_context(rc)


def new_figure(size=SLIDE_SIZE, **kwargs):
    return plt.subplots(figsize=size, layout="constrained", **kwargs)


def save(figure, path: Path, close: bool = True, fmt: str | None = None) -> Path:
    """Write a figure as PNG (exactly 1920 x 1080) or SVG, by `fmt` or else the file's suffix."""
    try:
        figure.savefig(path, dpi=CHART_DPI, format=fmt or Path(path).suffix.lstrip("."))
    finally:
        if close:
            plt.close(figure)
    return Path(path)


def write(figure, path: Path, close: bool = True) -> Path:
    """Save a figure atomically (see `store.atomic_write`) as PNG or SVG by the path's suffix."""
    fmt = Path(path).suffix.lstrip(".")
    try:
        return store.atomic_write(Path(path), lambda tmp: save(figure, tmp, close=False, fmt=fmt))
    finally:
        if close:
            plt.close(figure)


def _title_of(name: str, titles: Mapping[str, str] | None) -> str:
    return (titles or {}).get(name, name)


def _wrap(title: str, language: str, width: int = 18) -> str:
    return _wrap_to(title, language, width, max(6, width * 2 // 3))


def _wrap_to(text: str, language: str, width: int, zh_width: int) -> str:
    """Lines of at most `width` characters, or `zh_width` in Chinese (a character there is about two wide)."""
    return "\n".join(_wrap_clauses(text, zh_width) if language == "zh" else textwrap.wrap(text, width=width))


def _wrap_clauses(title: str, width: int) -> list[str]:
    """Chinese lines of at most `width` characters, broken after a comma where one falls, not inside a word."""
    lines: list[str] = []
    for clause in re.split(r"(?<=[，、；：])", title):
        if lines and len(lines[-1]) + len(clause) <= width:
            lines[-1] += clause
        else:
            lines += textwrap.wrap(clause, width=width, break_on_hyphens=False) or [clause]
    return [line for line in lines if line]


def _value_text(value: float, kpi: str, language: str) -> str:
    if registry.is_share(kpi):
        return messages.percent(value, language)
    return messages.number(value, language, 0 if abs(value) >= 100 else 1)


def _percent_axis(axis, language: str) -> None:
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: messages.percent(v, language, 0)))


def _plain_axis(axis, language: str, scale: float = 1.0) -> None:
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: messages.number(v / scale, language, 0 if abs(v / scale) >= 10 or v == 0 else 1)))


# --------------------------------------------------------------------------- one KPI per scenario


def kpi_bars(summary: pd.DataFrame, kpi: str, language: str = "en", target: float | None = None,
             titles: Mapping[str, str] | None = None):
    """One bar per scenario: the mean of a KPI with its 95 % CI as error bars (none from one replication)."""
    rows = summary[summary["kpi"] == kpi].reset_index(drop=True)
    with style(language):
        fig, ax = new_figure()
        _draw_kpi_bars(ax, rows, kpi, language, target, titles)
    return fig


def _draw_kpi_bars(ax, rows: pd.DataFrame, kpi: str, language: str, target: float | None, titles) -> None:
    x = np.arange(len(rows))
    varies = rows["interval"].eq("interval").to_numpy()
    low = np.where(varies, (rows["mean"] - rows["ci_low"]).clip(lower=0), 0)
    high = np.where(varies, (rows["ci_high"] - rows["mean"]).clip(lower=0), 0)
    ax.bar(x, rows["mean"], color=[PALETTE[i % len(PALETTE)] for i in x], width=0.6, zorder=2)
    if varies.any():
        ax.errorbar(x[varies], rows["mean"][varies], yerr=[low[varies], high[varies]], fmt="none", ecolor="#222222",
                    capsize=8, elinewidth=2, zorder=3)
    for i, value in enumerate(rows["mean"]):
        top = value + high[i]
        ax.annotate(_value_text(value, kpi, language), (i, top), textcoords="offset points", xytext=(0, 6),
                    ha="center", va="bottom", zorder=4,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    if target is not None:
        ax.axhline(target, color=REFERENCE_COLOUR, linestyle="--", linewidth=1.5, zorder=1)
        ax.annotate(text("chart.target", language, value=messages.percent(target, language, 0)), (1.0, target),
                    xycoords=("axes fraction", "data"), textcoords="offset points", xytext=(8, 0), ha="left",
                    va="center", color=REFERENCE_COLOUR, annotation_clip=False)
    # narrower lines under more bars, so that neighbouring names never run into each other
    width = max(10, min(18, 84 // max(1, len(rows))))
    ax.set_xticks(x, [_wrap(_title_of(n, titles), language, width) for n in rows["scenario"]])
    name = messages.kpi_name(kpi, language)
    ax.set_ylabel(f"{name} ({messages.unit_text(registry.unit(kpi), language)})"
                  if registry.find(kpi) and not registry.is_share(kpi) else name)
    single = not varies.any() and rows["interval"].eq("single").all()
    ax.set_title(text("chart.kpi_single" if single else "chart.kpi_title", language, kpi=name))
    ax.grid(axis="x", visible=False)
    if registry.is_share(kpi):
        ax.set_ylim(0, 1.12)
        _percent_axis(ax.yaxis, language)
    else:
        ax.set_ylim(0, max(1e-9, float(np.nanmax(rows["mean"] + high))) * 1.15)
        _plain_axis(ax.yaxis, language)


# --------------------------------------------------------------------------- open cases over time


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)


def _merge_identical(curves: dict[str, np.ndarray]) -> list[list[str]]:
    """Scenario names grouped by identical curves, in order of first appearance."""
    groups: list[list[str]] = []
    for name, values in curves.items():
        for group in groups:
            if _same(curves[group[0]], values):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def _joined(names: list[str], language: str) -> str:
    return messages.text("brief.list_sep", language).join(names)


def backlog_over_time(series: pd.DataFrame, language: str = "en", column: str = "backlog",
                      titles: Mapping[str, str] | None = None, scenarios: Mapping | None = None):
    """Open cases over time, one panel per scenario (identical ones merged, with a note): mean over replications
    and a 95 % band where replications differ; warm-up, hiring days and the drain marked when `scenarios`
    (name -> Scenario) are given."""
    series = series.assign(day_index=np.floor(series["day"]).astype(int))
    daily = series.groupby(["scenario", "replication", "day_index"], sort=False,
                           observed=True)[column].mean().reset_index()
    stats = {}
    for scenario, group in daily.groupby("scenario", sort=False, observed=True):
        wide = group.pivot(index="day_index", columns="replication", values=column)
        stats[scenario] = wide.apply(lambda row: pd.Series(t_interval(row.to_numpy())), axis=1)
    groups = _merge_identical({name: frame.to_numpy() for name, frame in stats.items()})
    columns = min(3, len(groups))
    rows = int(np.ceil(len(groups) / columns))
    with style(language):
        fig, axes = new_figure(sharex=True, sharey=True, nrows=rows, ncols=columns, squeeze=False)
        for i, group in enumerate(groups):
            ax = axes.flat[i]
            frame = stats[group[0]]
            color = PALETTE[i % len(PALETTE)]
            ax.plot(frame.index, frame[0], color=color, linewidth=2.2)
            if (frame[2] - frame[1]).fillna(0).gt(0).any():
                ax.fill_between(frame.index, frame[1], frame[2], color=color, alpha=0.25, linewidth=0)
            title = _joined([_title_of(n, titles) for n in group], language)
            ax.set_title(_wrap(title, language, 40 if columns == 1 else 34), fontsize=14 if columns > 1 else 17)
            if scenarios and group[0] in scenarios:
                _mark_periods(ax, scenarios[group[0]], language, legend=(i == 0))
        for ax in axes.flat[len(groups):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel(label("day", language))
        for ax in axes[:, 0]:
            ax.set_ylabel(label(column, language))
            _plain_axis(ax.yaxis, language)
        for ax in axes.flat:
            ax.set_ylim(bottom=0)
        heading = text("chart.backlog_title", language)
        if any(len(g) > 1 for g in groups):
            heading += "\n" + text("chart.same_curve", language, names="; ".join(
                _joined([_title_of(n, titles) for n in g], language) for g in groups if len(g) > 1))
        fig.suptitle(heading, fontsize=17)
    return fig


def _mark_periods(ax, scenario, language: str, legend: bool) -> None:
    """Shade the warm-up and the drain; a line at each hiring day."""
    start, end = scenario.warm_up_days, scenario.horizon_days
    ax.axvspan(0, start, color="#999999", alpha=0.18, linewidth=0,
               label=text("chart.warm_up", language) if legend else None)
    if scenario.drain_days:
        ax.axvspan(end, end + scenario.drain_days, color="#999999", alpha=0.08, linewidth=0, hatch="//",
                   label=text("chart.drain", language) if legend else None)
    for batch in scenario.workforce.hiring_batches:
        ax.axvline(batch.start_day, color=REFERENCE_COLOUR, linestyle=":", linewidth=1.5)
        ax.annotate(text("chart.hiring", language, count=messages.number(batch.size, language)),
                    (batch.start_day, 1.0), xycoords=("data", "axes fraction"), textcoords="offset points",
                    xytext=(3, -3), ha="left", va="top", fontsize=11, color=REFERENCE_COLOUR)
    if legend:
        ax.legend(frameon=False, loc="upper right", fontsize=11)


# --------------------------------------------------------------------------- time to close


def time_to_close(curves: pd.DataFrame | Mapping[str, pd.DataFrame], language: str = "en", deadlines_h=(),
                  titles: Mapping[str, str] | None = None):
    """Share of cases closed within each time since arrival: the mean over replications, with a 95 % band where
    replications differ; one line per distinct curve (scenarios with identical curves merged and said to
    coincide), each deadline marked and named.

    `curves`: every replication's closure curve (`Replications.closure`: scenario, replication, hours,
    share_closed); or, from results that kept no such table, {scenario: case log of replication 0}
    (then the chart says it shows replication 0). `deadlines_h`: hours, or (hours, what) pairs with
    what = "category" or "department".
    """
    from_logs = not isinstance(curves, pd.DataFrame)
    table = (pd.concat([closure.from_case_log(log).assign(scenario=name, replication=0)
                        for name, log in curves.items()], ignore_index=True) if from_logs
             else cast("pd.DataFrame", curves))
    stats, wide = {}, {}
    for scenario, group in table.groupby("scenario", sort=False):
        frame = group.pivot(index="hours", columns="replication", values="share_closed").sort_index()
        wide[scenario] = np.concatenate([frame.to_numpy().ravel(), [group["cases"].iloc[0]]])
        stats[scenario] = pd.DataFrame([_share_estimate(row) for row in frame.to_numpy()], index=frame.index,
                                       columns=["mean", "low", "high"])
    groups = _merge_identical(wide)
    replications = int(table.groupby("scenario")["replication"].nunique().max()) if len(table) else 0
    with style(language):
        fig, ax = new_figure()
        banded = False
        for i, group in enumerate(groups):
            frame, color = stats[group[0]], PALETTE[i % len(PALETTE)]
            names = _joined([_title_of(n, titles) for n in group], language)
            if len(group) > 1:
                names = text("chart.same_curve", language, names=names)
            ax.plot(frame.index, frame["mean"], color=color, linewidth=2.5, zorder=3,
                    label=_wrap_to(names, language, 70, 36))
            if (frame["high"] - frame["low"]).fillna(0).gt(0).any():  # bands under every line
                ax.fill_between(frame.index, frame["low"], frame["high"], color=color, alpha=0.15, linewidth=0,
                                zorder=1)
                banded = True
        for deadline, what in _deadlines(deadlines_h):  # labels low down, where the curves have not yet risen
            ax.axvline(deadline, color=REFERENCE_COLOUR, linestyle=":", linewidth=1.3, zorder=2)
            ax.annotate(text("chart.deadline", language, value=messages.number(deadline, language),
                             what=text(f"chart.deadline_{what}", language)),
                        (deadline, 0.02), xytext=(-2, 0), textcoords="offset points", rotation=90, va="bottom",
                        ha="right", fontsize=11, color=REFERENCE_COLOUR, zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                              "alpha": 0.8})
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.25, 0.5, 1, 2, 4, 8, 12, 24, 48, 72, 120, 168,
                                                                   336, 720, 1440, 2160]))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: messages.number(v, language, 0 if v >= 1 else 2 if v < 0.5 else 1)))
        ax.set_xlim(*_hours_shown(stats.values(), [d for d, _ in _deadlines(deadlines_h)]))
        ax.set_xlabel(label("hours", language))
        ax.set_ylabel(label("share_closed", language))
        ax.set_ylim(0, 1.02)
        _percent_axis(ax.yaxis, language)
        if from_logs:
            note = text("chart.ttc_replication_0", language)
        elif replications < 2:
            note = text("chart.ttc_single", language)
        else:
            note = text("chart.ttc_band" if banded else "chart.ttc_no_spread", language,
                        replications=messages.number(replications, language))
        ax.set_title(f"{text('chart.ttc_title', language)}\n{note}", fontsize=17)
        ax.legend(frameon=False, loc="upper left", fontsize=13)
    return fig


def _share_estimate(values: np.ndarray) -> tuple[float, float, float]:
    e = estimate(values, bounds=(0.0, 1.0))
    return e.mean, e.low, e.high


def _hours_shown(stats, deadlines: list[float]) -> tuple[float, float]:
    """From the first grid hour where some curve has closed a case to a little beyond the last hour where a curve
    still rises (and every deadline)."""
    first, last = [], list(deadlines)
    for frame in stats:
        rising = frame.index[frame["mean"].to_numpy() > 0]
        if len(rising):
            first.append(float(rising[0]))
        final = frame["mean"].iloc[-1]
        reached = frame.index[frame["mean"].to_numpy() >= final - 1e-9]
        last.append(float(reached[0]) if len(reached) else float(frame.index[-1]))
    low = max(closure.FIRST_HOUR, min(first, default=1.0) / 1.2)
    high = max([2.0, *last]) * 1.3
    longest = max((float(frame.index[-1]) for frame in stats), default=high)
    return low, max(min(high, longest), low * 2)


def _deadlines(deadlines_h) -> list[tuple[float, str]]:
    pairs = [(float(d), "category") if not isinstance(d, tuple) else (float(d[0]), d[1]) for d in deadlines_h]
    seen: dict[float, str] = {}
    for hours, what in pairs:
        seen.setdefault(hours, what)
    return sorted(seen.items())


# --------------------------------------------------------------------------- cost


def _varies(row) -> bool:
    """Whether a summary row has a real interval (not one replication, not a constant)."""
    return row.get("interval", "interval") == "interval"


def _error_bar(row, scale: float = 1.0):
    """matplotlib's [[below], [above]] for a summary row's 95 % CI, or None where nothing varies."""
    if not _varies(row):
        return None
    return [[max(row["mean"] - row["ci_low"], 0) / scale], [max(row["ci_high"] - row["mean"], 0) / scale]]


def cost_vs_on_time(summary: pd.DataFrame, language: str = "en", titles: Mapping[str, str] | None = None):
    """Each scenario as a point, labelled directly: annual cost (its CI only if the cost varies) against the
    on-time rate with its 95 % CI; None without a cost KPI."""
    cost = summary[summary["kpi"] == COST_KPI].set_index("scenario")
    rate = summary[summary["kpi"] == "on_time_rate"].set_index("scenario")
    names = [n for n in dict.fromkeys(summary["scenario"]) if n in cost.index and n in rate.index]
    if not names or cost.loc[names, "mean"].isna().all():
        return None
    scale = 1e6 if language == "en" else 1e4  # million yuan; 万元
    with style(language):
        fig, ax = new_figure()
        xs = cost.loc[names, "mean"].to_numpy(float) / scale
        ys = rate.loc[names, "mean"].to_numpy(float)
        dodge = _dodge(xs)
        for i, name in enumerate(names):
            c, r = cost.loc[name], rate.loc[name]
            xerr, yerr = _error_bar(c, scale), _error_bar(r)
            moved = matplotlib.transforms.offset_copy(ax.transData, fig=fig, x=dodge[i], y=0, units="points")
            ax.errorbar(xs[i], ys[i], xerr=xerr, yerr=yerr, fmt="o", markersize=11, capsize=6,
                        color=PALETTE[i % len(PALETTE)], transform=moved)
        _direct_labels(ax, xs, ys, [_title_of(n, titles) for n in names], language,
                       offset_points=14 + float(np.max(dodge)))
        span = max(float(np.ptp(xs)), 0.05 * float(np.max(np.abs(xs))) or 1.0)
        ax.set_xlim(float(np.min(xs)) - 0.25 * span, float(np.max(xs)) + 0.9 * span)
        low = float(np.nanmin(rate.loc[names, "ci_low"].fillna(rate.loc[names, "mean"])))
        high = float(np.nanmax(rate.loc[names, "ci_high"].fillna(rate.loc[names, "mean"])))
        pad = max(0.02, 0.15 * (high - low))
        ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
        _percent_axis(ax.yaxis, language)
        _plain_axis(ax.xaxis, language)
        ax.set_xlabel(text("chart.cost_axis", language))
        ax.set_ylabel(label("on_time_rate", language))
        fig.suptitle(text("chart.cost_title", language), fontsize=19)
        note = text("chart.cost_note", language)
        if dodge.any():
            note += text("chart.cost_dodged", language)
        ax.set_title(note, fontsize=13, color="#444444")
    return fig


DODGE_POINTS = 16  # how far apart points of the same cost are drawn side by side


def _dodge(xs: np.ndarray) -> np.ndarray:
    """Horizontal offsets (points) that set points of the same x side by side, so that their error bars do not
    hide each other; 0 for a point alone at its x."""
    offsets = np.zeros(len(xs))
    groups: dict[float, list[int]] = {}
    for i, x in enumerate(xs):
        key = next((k for k in groups if abs(k - x) <= 1e-9 * max(1.0, abs(x))), float(x))
        groups.setdefault(key, []).append(i)
    for members in groups.values():
        for j, i in enumerate(members):
            offsets[i] = (j - (len(members) - 1) / 2) * DODGE_POINTS
    return offsets


def _direct_labels(ax, xs: np.ndarray, ys: np.ndarray, names: list[str], language: str,
                   right_xs: np.ndarray | None = None, offset_points: float = 14) -> None:
    """A label right of each point (of right_xs, where its marker or error bar ends, offset_points further);
    labels of points at about the same place are stacked so that none overlaps."""
    gap = 0.06 * max(float(np.ptp(ys)), 0.02)
    near_x = 0.1 * max(float(np.ptp(xs)), 1e-9) + 1e-9
    anchors = xs if right_xs is None else right_xs
    shifted = matplotlib.transforms.offset_copy(ax.transData, fig=ax.figure, x=offset_points, y=0, units="points")
    placed: list[tuple[float, float]] = []
    for i in np.argsort(ys, kind="stable"):
        y = float(ys[i])
        while any(abs(px - xs[i]) < near_x and abs(py - y) < gap for px, py in placed):
            y += gap
        placed.append((float(xs[i]), y))
        ax.text(anchors[i], y, _wrap_to(names[i], language, 40, 20), transform=shifted,
                fontsize=13, va="center", ha="left")


# --------------------------------------------------------------------------- staffing


def staffing_curve(table: pd.DataFrame, target: float | None = None, reference: int | None = None,
                   reference_label: str = "", language: str = "en"):
    """On-time rate (mean, 95 % band) against head count, the target and the reference in one neutral colour;
    the annual cost on a second axis from zero when the table has it."""
    with style(language):
        fig, ax = new_figure()
        x = table["head_count"].to_numpy()
        handles = ax.plot(x, table["on_time_mean"], marker="o", color=PALETTE[0], linewidth=2.5,
                          label=label("on_time_rate", language))
        ax.fill_between(x, table["on_time_ci_low"], table["on_time_ci_high"], color=PALETTE[0], alpha=0.2,
                        linewidth=0)
        if target is not None:
            handles.append(ax.axhline(target, color=REFERENCE_COLOUR, linestyle="--", linewidth=1.5,
                                      label=text("chart.target", language,
                                                 value=messages.percent(target, language, 0))))
        if reference is not None:
            handles.append(ax.axvline(reference, color=REFERENCE_COLOUR, linestyle=":", linewidth=2,
                                      label=text("chart.reference", language,
                                                 label=reference_label or text("chart.reference_default", language),
                                                 count=messages.number(reference, language))))
        ax.set_xlabel(label("head_count", language))
        ax.set_ylabel(label("on_time_rate", language))
        ax.set_ylim(0, 1.05)
        _percent_axis(ax.yaxis, language)
        _plain_axis(ax.xaxis, language)
        ax.set_title(text("chart.staffing_title", language))
        if "cost_mean" in table and table["cost_mean"].notna().any():
            scale = 1e6 if language == "en" else 1e4
            twin = ax.twinx()
            handles += twin.plot(x, table["cost_mean"] / scale, marker="s", color=PALETTE[1], linewidth=2,
                                 label=text("chart.cost_line", language))
            if (table["cost_ci_high"] - table["cost_ci_low"]).fillna(0).gt(0).any():
                twin.fill_between(x, table["cost_ci_low"] / scale, table["cost_ci_high"] / scale, color=PALETTE[1],
                                  alpha=0.15, linewidth=0)
            twin.set_ylabel(text("chart.cost_axis", language))
            twin.set_ylim(0, float(np.nanmax(table["cost_mean"])) / scale * 1.1)
            _plain_axis(twin.yaxis, language)
            twin.grid(False)
            twin.spines["right"].set_visible(True)
        ax.legend(handles=handles, frameon=False, loc="lower center")
    return fig


def deadline_trade_off(summary: pd.DataFrame, language: str = "en", titles: Mapping[str, str] | None = None):
    """Each scenario as a bubble, labelled directly: overtime pay against on-time rate (95 % CIs where they vary),
    area by reopen rate; None without overtime."""
    cost = summary[summary["kpi"] == "annual_cost_overtime_yuan"].set_index("scenario")
    rate = summary[summary["kpi"] == "on_time_rate"].set_index("scenario")
    reopen = summary[summary["kpi"] == "reopen_rate"].set_index("scenario")
    names = [n for n in dict.fromkeys(summary["scenario"]) if n in cost.index and n in rate.index and n in reopen.index]
    if not names:
        return None
    largest = max(float(reopen.loc[names, "mean"].max()), 1e-9)
    scale = 1e6 if language == "en" else 1e4  # million yuan; 万元
    with style(language):
        fig, ax = new_figure()
        xs = cost.loc[names, "mean"].to_numpy(float) / scale
        ys = rate.loc[names, "mean"].to_numpy(float)
        right_xs = xs.copy()
        for i, name in enumerate(names):
            c, r, colour = cost.loc[name], rate.loc[name], PALETTE[i % len(PALETTE)]
            ax.scatter(xs[i], ys[i], s=2500 * reopen.loc[name, "mean"] / largest, color=colour, alpha=0.45)
            if _varies(c):
                right_xs[i] = max(xs[i], float(c["ci_high"]) / scale)
            xerr, yerr = _error_bar(c, scale), _error_bar(r)
            ax.errorbar(xs[i], ys[i], xerr=xerr, yerr=yerr, fmt="none", capsize=6, color=colour)
        _direct_labels(ax, xs, ys, [text("chart.trade_off_label", language, scenario=_title_of(n, titles),
                                         reopen=messages.percent(float(reopen.loc[n, "mean"]), language, 1))
                                    for n in names], language, right_xs, offset_points=30)
        span = max(float(np.ptp(xs)), 0.05 * float(np.max(np.abs(xs))) or 1.0)
        ax.set_xlim(float(np.min(xs)) - 0.25 * span, float(np.max(xs)) + 0.9 * span)
        _percent_axis(ax.yaxis, language)
        _plain_axis(ax.xaxis, language)
        ax.set_xlabel(text("chart.overtime_axis", language))
        ax.set_ylabel(label("on_time_rate", language))
        fig.suptitle(text("chart.trade_off_title", language), fontsize=19)
        ax.set_title(text("chart.trade_off_note", language), fontsize=13, color="#444444")
    return fig
