"""The fit report of a calibration: observed against simulated, as a table, charts and one HTML page.

The table compares the case log with the calibrated scenario's simulated log on the same
definitions (`calibrate.moments`): cases per day (mean and variance, with the Poisson variance
for reference), the hour-of-week arrival profile, time-to-close quantiles, the on-time rate and
the share of cases still open when the log was taken; overall, for the largest categories and
for every unit. Each row gets a verdict (good / fair / poor) against stated tolerances, and the
page lists the poor ones in plain words. Charts are embedded as PNG, so the page is one file.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..calibration import Calibration
from .charts import PALETTE, SLIDE_SIZE, new_figure, style

# Tolerances of the verdicts: (good, fair) as absolute share-point gaps or relative gaps.
RATE_TOLERANCE = (0.03, 0.10)
QUANTILE_TOLERANCE = (0.25, 0.60)
VOLUME_TOLERANCE = (0.05, 0.15)
LARGEST_CATEGORIES = 8


def _verdict(gap: float, tolerance: tuple[float, float]) -> str:
    if not np.isfinite(gap):
        return "n/a"
    return "good" if gap <= tolerance[0] else "fair" if gap <= tolerance[1] else "poor"


def _relative(observed: float, simulated: float, floor: float = 0.0) -> float:
    if not (np.isfinite(observed) and np.isfinite(simulated)):
        return math.nan
    scale = max(abs(observed), floor)
    return abs(simulated - observed) / scale if scale > 0 else (0.0 if simulated == observed else math.inf)


def hour_of_week_correlation(calibration: Calibration) -> float:
    return float(np.corrcoef(calibration.observed["hour_of_week_rate"], calibration.simulated["hour_of_week_rate"])[0, 1])


def fit_table(calibration: Calibration) -> pd.DataFrame:
    """One row per compared figure: scope, measure, observed, simulated, gap, verdict."""
    obs, sim = calibration.observed, calibration.simulated
    rows = []

    def add(scope: str, measure: str, o: float, s: float, kind: str) -> None:
        if kind == "rate":
            gap, verdict = abs(s - o) if np.isfinite(o) and np.isfinite(s) else math.nan, None
            verdict = _verdict(gap, RATE_TOLERANCE)
        elif kind == "volume":
            gap = _relative(o, s)
            verdict = _verdict(gap, VOLUME_TOLERANCE)
        elif kind == "quantile":
            gap = _relative(o, s, floor=1.0)  # hours; below an hour, differences of minutes do not count
            verdict = _verdict(gap, QUANTILE_TOLERANCE)
        else:
            gap, verdict = math.nan, "info"
        rows.append({"scope": scope, "measure": measure, "observed": o, "simulated": s, "gap": gap, "verdict": verdict})

    add("overall", "cases per day, mean", obs["cases_per_day_mean"], sim["cases_per_day_mean"], "volume")
    add("overall", "cases per day, variance", obs["cases_per_day_var"], sim["cases_per_day_var"], "volume_var")
    rows[-1]["gap"] = _relative(obs["cases_per_day_var"], sim["cases_per_day_var"])
    rows[-1]["verdict"] = _verdict(rows[-1]["gap"], (0.25, 0.5))
    add("overall", "cases per day, Poisson variance (reference)", obs["cases_per_day_mean"], math.nan, "info")
    corr = hour_of_week_correlation(calibration)
    rows.append({"scope": "overall", "measure": "hour-of-week profile, correlation", "observed": 1.0, "simulated": corr,
                 "gap": 1 - corr, "verdict": "good" if corr >= 0.9 else "fair" if corr >= 0.8 else "poor"})
    add("overall", "on-time rate of closed cases only (reference)", obs["overall"]["on_time_rate_closed"],
        sim["overall"]["on_time_rate_closed"], "info")
    largest = sorted(obs["by_category"], key=lambda c: -obs["by_category"][c]["cases"])[:LARGEST_CATEGORIES]
    scopes = [("overall", obs["overall"], sim["overall"])]
    scopes += [(f"category: {c}", obs["by_category"][c], sim["by_category"].get(c)) for c in largest]
    scopes += [(f"unit: {u}", obs["by_department"][u], sim["by_department"].get(u))
               for u in sorted(obs["by_department"], key=lambda u: -obs["by_department"][u]["cases"])]
    for scope, o, s in scopes:
        s = s or {}
        if scope != "overall":
            add(scope, "cases per day, mean", o["cases"] / obs["days"], s.get("cases", math.nan) / sim["days"], "volume")
        add(scope, "on-time rate", o["on_time_rate"], s.get("on_time_rate", math.nan), "rate")
        for q in (10, 25, 50, 75, 90):
            add(scope, f"time to close p{q} (h)", o[f"ttc_p{q}_h"], s.get(f"ttc_p{q}_h", math.nan), "quantile")
        add(scope, "share open at the end of the log", o["open_share"], s.get("open_share", math.nan), "rate")
    return pd.DataFrame(rows)


def acceptance(calibration: Calibration) -> dict:
    """The headline figures: on-time gap (points), median gap (relative), volume gap (relative), profile correlation."""
    obs, sim = calibration.observed, calibration.simulated
    return {
        "on_time_rate_observed": obs["overall"]["on_time_rate"],
        "on_time_rate_simulated": sim["overall"]["on_time_rate"],
        "on_time_gap_points": 100 * abs(sim["overall"]["on_time_rate"] - obs["overall"]["on_time_rate"]),
        "ttc_p50_h_observed": obs["overall"]["ttc_p50_h"],
        "ttc_p50_h_simulated": sim["overall"]["ttc_p50_h"],
        "ttc_p50_relative_gap": _relative(obs["overall"]["ttc_p50_h"], sim["overall"]["ttc_p50_h"]),
        "cases_per_day_observed": obs["cases_per_day_mean"],
        "cases_per_day_simulated": sim["cases_per_day_mean"],
        "cases_per_day_relative_gap": _relative(obs["cases_per_day_mean"], sim["cases_per_day_mean"]),
        "cases_per_day_var_observed": obs["cases_per_day_var"],
        "cases_per_day_var_simulated": sim["cases_per_day_var"],
        "hour_of_week_correlation": hour_of_week_correlation(calibration),
    }


def poor_fits(table: pd.DataFrame) -> list[str]:
    """Plain sentences for every figure the calibrated scenario reproduces poorly."""
    lines = []
    for _, row in table[table["verdict"] == "poor"].iterrows():
        lines.append(f"{row['scope']}: {row['measure']} is {_fmt(row['simulated'])} simulated against "
                     f"{_fmt(row['observed'])} observed.")
    return lines


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"


# --------------------------------------------------------------------------- charts


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def chart_daily(calibration: Calibration) -> str:
    obs, sim = calibration.observed, calibration.simulated
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=SLIDE_SIZE, layout="constrained", width_ratios=[2, 1])
        days = obs["days"]
        left.plot(np.arange(days), obs["daily_counts"], color=PALETTE[0], lw=1.2, label="observed")
        left.plot(np.arange(days), sim["daily_counts"][:days], color=PALETTE[1], lw=1.2, alpha=0.8,
                  label="simulated (replication 1)")
        left.set_xlabel("Day of the log")
        left.set_ylabel("Cases created")
        left.set_title("Cases per day")
        left.legend(frameon=False)
        top = max(obs["daily_counts"].max(), sim["daily_counts"].max())
        bins = np.linspace(0, top + 1, 40)
        right.hist(obs["daily_counts"], bins=bins, density=True, alpha=0.6, color=PALETTE[0], label="observed")
        right.hist(sim["daily_counts"], bins=bins, density=True, alpha=0.6, color=PALETTE[1], label="simulated")
        right.set_xlabel("Cases per day")
        right.set_title(f"var {obs['cases_per_day_var']:,.0f} obs, {sim['cases_per_day_var']:,.0f} sim, "
                        f"{obs['cases_per_day_mean']:,.0f} Poisson", fontsize=12)
        right.legend(frameon=False)
    return _png(fig)


def chart_hour_of_week(calibration: Calibration) -> str:
    obs, sim = calibration.observed, calibration.simulated
    with style():
        fig, ax = new_figure((13.33, 5))
        ax.plot(np.arange(168), obs["hour_of_week_rate"], color=PALETTE[0], lw=2.5, label="observed")
        ax.plot(np.arange(168), sim["hour_of_week_rate"], color=PALETTE[1], lw=1.8, ls="--", label="simulated")
        ax.set_xticks(np.arange(0, 168, 24), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
        ax.set_ylabel("Cases per hour")
        ax.set_title(f"Arrivals by hour of week (correlation {hour_of_week_correlation(calibration):.3f})")
        ax.legend(frameon=False)
    return _png(fig)


def chart_units(calibration: Calibration) -> str:
    obs, sim = calibration.observed, calibration.simulated
    units = sorted(obs["by_department"], key=lambda u: -obs["by_department"][u]["cases"])
    x = np.arange(len(units))
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=SLIDE_SIZE, layout="constrained")
        for offset, source, color, name in ((-0.2, obs, PALETTE[0], "observed"), (0.2, sim, PALETTE[1], "simulated")):
            rates = [source["by_department"].get(u, {}).get("on_time_rate", math.nan) for u in units]
            left.bar(x + offset, np.nan_to_num(rates), width=0.4, color=color, label=name)
            for q, marker in ((50, "o"), (90, "^")):
                values = [source["by_department"].get(u, {}).get(f"ttc_p{q}_h", math.nan) for u in units]
                right.scatter(x + offset, np.maximum(values, 0.01), color=color, marker=marker, s=60,
                              label=f"{name} p{q}")
        left.set_xticks(x, units, rotation=60, ha="right", fontsize=11)
        left.set_ylim(0, 1.05)
        left.set_title("On-time rate by unit")
        left.legend(frameon=False)
        right.set_yscale("log")
        right.set_xticks(x, units, rotation=60, ha="right", fontsize=11)
        right.set_title("Time to close by unit (h): median, p90")
        right.legend(frameon=False, fontsize=10, ncol=2)
    return _png(fig)


def chart_quantiles(calibration: Calibration) -> str:
    obs, sim = calibration.observed, calibration.simulated
    qs = (10, 25, 50, 75, 90)
    with style():
        fig, ax = new_figure((13.33, 5))
        ax.plot(qs, [max(obs["overall"][f"ttc_p{q}_h"], 0.01) for q in qs], "o-", color=PALETTE[0], lw=2.5,
                label="observed")
        ax.plot(qs, [max(sim["overall"][f"ttc_p{q}_h"], 0.01) for q in qs], "s--", color=PALETTE[1], lw=2,
                label="simulated")
        ax.set_yscale("log")
        ax.set_xlabel("Quantile (%)")
        ax.set_ylabel("Time to close (h)")
        ax.set_title("Time to close, all cases (open cases at their age when the log was taken)")
        ax.legend(frameon=False)
    return _png(fig)


# --------------------------------------------------------------------------- the page


def write_fit_report(calibration: Calibration, folder: Path, scenario_path: Path | None = None) -> dict:
    """Write report.html, fit_table.csv, search_history.csv and acceptance.json; return the acceptance figures."""
    from ..results import store

    folder = store.prepare_folder(Path(folder))
    table = fit_table(calibration)
    figures = acceptance(calibration)
    store.write_table(table, folder / "fit_table.csv")
    store.write_table(pd.DataFrame(calibration.history), folder / "search_history.csv")
    log = calibration.log
    store.write_json({"log": log.path, "rows_read": log.rows_read, "rows_used": log.rows_used,
                      "excluded": log.excluded, "columns": log.columns, "time_formats": log.time_formats,
                      "settings": calibration.settings, "acceptance": figures,
                      "scenario": str(scenario_path) if scenario_path else None}, folder / "acceptance.json")
    page = _html(calibration, table, figures, scenario_path)
    store.atomic_write(folder / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return figures


def _html(calibration: Calibration, table: pd.DataFrame, figures: dict, scenario_path: Path | None) -> str:
    log = calibration.log
    esc = html.escape
    poor = poor_fits(table)
    excluded = "".join(f"<li>{esc(reason)}: {count:,}</li>" for reason, count in log.excluded.items()) or "<li>none</li>"
    columns = ", ".join(f"{role}: <code>{esc(str(name))}</code>" for role, name in log.columns.items())
    formats = ", ".join(f"{role}: <code>{esc(fmt)}</code>" for role, fmt in log.time_formats.items())
    headline = (
        f"<li>On-time rate: {figures['on_time_rate_simulated']:.1%} simulated, {figures['on_time_rate_observed']:.1%} "
        f"observed ({figures['on_time_gap_points']:.1f} points apart)</li>"
        f"<li>Median time to close: {figures['ttc_p50_h_simulated']:,.1f} h simulated, "
        f"{figures['ttc_p50_h_observed']:,.1f} h observed ({figures['ttc_p50_relative_gap']:.0%} apart)</li>"
        f"<li>Cases per day: {figures['cases_per_day_simulated']:,.1f} simulated, "
        f"{figures['cases_per_day_observed']:,.1f} observed ({figures['cases_per_day_relative_gap']:.1%} apart); "
        f"variance {figures['cases_per_day_var_simulated']:,.0f} simulated, {figures['cases_per_day_var_observed']:,.0f} "
        f"observed, {figures['cases_per_day_observed']:,.0f} if arrivals were Poisson</li>"
        f"<li>Hour-of-week arrival profile: correlation {figures['hour_of_week_correlation']:.3f}</li>")
    shown = table.copy()
    for column in ("observed", "simulated"):
        shown[column] = shown[column].map(_fmt)
    shown["gap"] = shown["gap"].map(lambda g: "" if not np.isfinite(g) else f"{g:.3f}")
    table_html = shown.to_html(index=False, escape=True, classes="fit", border=0)
    table_html = table_html.replace("<td>poor</td>", '<td class="poor">poor</td>')
    poor_html = "".join(f"<li>{esc(line)}</li>" for line in poor) or "<li>No figure is fitted poorly.</li>"
    s = calibration.settings
    charts = "".join(f'<img alt="{esc(alt)}" src="data:image/png;base64,{chart(calibration)}">' for alt, chart in (
        ("cases per day", chart_daily), ("hour of week", chart_hour_of_week), ("time to close", chart_quantiles),
        ("units", chart_units)))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fit report: {esc(calibration.scenario.name)}</title>
<style>body{{font-family:sans-serif;max-width:1300px;margin:2em auto;line-height:1.4}}
table.fit{{border-collapse:collapse;font-size:13px}} table.fit td,table.fit th{{padding:2px 8px;border-bottom:1px solid #ddd}}
td.poor{{color:#D55E00;font-weight:bold}} img{{max-width:100%}} code{{background:#f4f4f4}}</style></head><body>
<h1>Is this our district? Fit of <code>{esc(calibration.scenario.name)}</code> to its case log</h1>
<p>Log: <code>{esc(log.path)}</code>, {log.rows_read:,} rows read, {log.rows_used:,} used; cases created
{log.start.date()} to {(log.end - pd.Timedelta(days=1)).date()} ({log.days} days); the log was taken at {log.snapshot}.
Columns: {columns}. Time formats: {formats}.</p>
<p>Rows left out, by reason:</p><ul>{excluded}</ul>
<p>Scenario written to: <code>{esc(str(scenario_path) if scenario_path else '(not written)')}</code>. Simulated:
{s['replications']} replication(s) of the log's period after a {s['warm_up_days']}-day warm-up, seed {s['seed']};
the simulated log is taken {s['snapshot_gap_h']:.0f} h after the period ends, like the real one.</p>
<h2>Headline</h2><ul>{headline}</ul>
<h2>Where the fit is poor</h2><ul>{poor_html}</ul>
<p>Definitions (the same for both logs): a case still open when the log was taken counts in the time to close at
its age then (a lower bound). The on-time rate is the share of cases with a deadline, closed or past due when the log
was taken, that closed by the deadline. Verdicts: rates good within {RATE_TOLERANCE[0]:.0%} points, fair within
{RATE_TOLERANCE[1]:.0%}; times to close good within {QUANTILE_TOLERANCE[0]:.0%}, fair within {QUANTILE_TOLERANCE[1]:.0%}
(relative, differences under an hour ignored); volumes good within {VOLUME_TOLERANCE[0]:.0%}.</p>
<p>How the scenario was found: arrivals, sources and deadlines are read off the log; each unit's capacity is tied to
its 90th-percentile closures per working day and its working hours to the hours it closes cases; the median and spread
of each category's (lognormal) work content were searched by simulation to match the category's median time to close
and on-time rate (see search_history.csv). A unit that is never saturated does not show its capacity in its log: the
fitted capacity (its busiest days' throughput) is a lower bound, and the work content stands for all the time a case
occupies the unit's staff. Work contents are capped at a coefficient of variation of 10, so very long tails (cases left open
for months) are only partly reproduced.</p>
<p>Known limits of the mechanism: simulated work waits for the unit's working hours, so cases that the log shows
closed within minutes at any hour (automatic or on-the-spot closures) take longer in the simulation (low quantiles);
cases the log leaves open for months are only partly reproduced, so the upper quantiles and the share still open are
usually too low; a category's deadline applies to all its cases (categories where some cases have one and others not
are split in two when each part is large enough).</p>
<h2>Charts</h2>{charts}
<h2>Observed against simulated</h2>{table_html}
</body></html>
"""
