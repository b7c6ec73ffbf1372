"""The fit report of a calibration as one HTML page, with its charts, and the files that go with it.

The page (rendered from `fit_report.html.j2`) shows the headline figures, where the fit is
poor, the charts and the full fit table of `calibration.acceptance`, which also judges the fit.
Charts follow the house style of `charts` and are embedded as PNG, so the page is one file.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..calibration import Calibration
from ..calibration.acceptance import (
    QUANTILE_TOLERANCE,
    RATE_TOLERANCE,
    VOLUME_TOLERANCE,
    acceptance,
    figure_text,
    fit_table,
    hour_of_week_correlation,
    poor_fits,
)
from ..calibration.diagnostics import (
    bounds_table,
    deadline_distribution,
    deadline_position_table,
    half_staff_table,
    known_limits,
    parameter_table,
    poor_fit_summary,
    response_table,
)
from ..calibration.exclusions import exclusion_effects
from ..results import store
from .charts import PALETTE, SLIDE_SIZE, new_figure, style

TEMPLATE = "fit_report.html.j2"


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


def chart_deadline_positions(calibration: Calibration) -> str:
    """Closures by tenth of the allowed time, observed and simulated (the due time at 1)."""
    table = deadline_position_table(calibration).iloc[:-1]  # the bar beyond twice the allowed time is left out
    obs, sim = calibration.observed, calibration.simulated
    with style():
        fig, ax = new_figure((13.33, 5))
        x = table["from"].to_numpy() + 0.05
        ax.bar(x - 0.022, table["observed share"], width=0.04, color=PALETTE[0], label="observed")
        ax.bar(x + 0.022, table["simulated share"], width=0.04, color=PALETTE[1], label="simulated")
        ax.axvline(1.0, color="0.3", lw=1.2, ls=":")
        ax.set_xlabel("Closure time / allowed time (1 = due)")
        ax.set_ylabel("Share of closed cases with a deadline")
        ax.set_title(f"Closures around the deadline: spike ratio {obs.get('deadline_spike_ratio', math.nan):.2f} "
                     f"observed, {sim.get('deadline_spike_ratio', math.nan):.2f} simulated; drop ratio "
                     f"{obs.get('deadline_drop_ratio', math.nan):.2f}, {sim.get('deadline_drop_ratio', math.nan):.2f}",
                     fontsize=13)
        ax.legend(frameon=False)
    return _png(fig)


CHARTS = (("cases per day", chart_daily), ("hour of week", chart_hour_of_week), ("time to close", chart_quantiles),
          ("units", chart_units), ("closures around the deadline", chart_deadline_positions))


# --------------------------------------------------------------------------- the page


def write_fit_report(calibration: Calibration, folder: Path, scenario_path: Path | None = None) -> dict:
    """Write report.html, fit_table.csv, parameters.csv, bounds_hit.csv, half_staff.csv, exclusions.csv,
    poor_fits.csv, deadline_positions.csv, responses.csv, search_history.csv and acceptance.json; return the
    acceptance figures."""
    folder = store.prepare_folder(Path(folder))
    table = fit_table(calibration)
    figures = acceptance(calibration)
    tables = diagnostic_tables(calibration, table)
    store.write_table(table, folder / "fit_table.csv")
    for name, frame in tables.items():
        store.write_table(frame, folder / f"{name}.csv")
    store.write_table(pd.DataFrame(calibration.history), folder / "search_history.csv")
    log = calibration.log
    store.write_json({"log": log.path, "rows_read": log.rows_read, "rows_used": log.rows_used,
                      "excluded": log.excluded, "adjusted": log.adjusted, "columns": log.columns,
                      "time_formats": log.time_formats, "void_values": list(log.void_values),
                      "settings": calibration.settings, "acceptance": figures,
                      "scenario": str(scenario_path) if scenario_path else None}, folder / "acceptance.json")
    page = render_page(calibration, table, figures, scenario_path, tables)
    store.atomic_write(folder / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return figures


def diagnostic_tables(calibration: Calibration, table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables an analyst checks besides the fit table, by file stem."""
    return {"parameters": parameter_table(calibration), "bounds_hit": bounds_table(calibration),
            "poor_fits": poor_fit_summary(calibration, table), "deadlines": deadline_distribution(calibration),
            "half_staff": half_staff_table(calibration), "exclusions": exclusion_effects(calibration.log),
            "deadline_positions": deadline_position_table(calibration), "responses": response_table(calibration)}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with its numbers as text: shares as percentages, other numbers to three significant places."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            share = any(word in column for word in ("share", "load", "on time", "rate", "weighted"))
            shown[column] = shown[column].map(lambda v, s=share: "" if not np.isfinite(v) else f"{v:.1%}" if s
                                              else figure_text(v))
    return shown.fillna("")


def render_page(calibration: Calibration, table: pd.DataFrame, figures: dict, scenario_path: Path | None,
                tables: dict[str, pd.DataFrame] | None = None) -> str:
    """The report page: every text from the log or the scenario is escaped by the template."""
    log = calibration.log
    tables = tables if tables is not None else diagnostic_tables(calibration, table)
    shown = table.copy()
    for column in ("observed", "simulated"):
        shown[column] = shown[column].map(figure_text)
    shown["gap"] = shown["gap"].map(lambda g: "" if not np.isfinite(g) else f"{g:.3f}")
    return _environment().get_template(TEMPLATE).render(
        scenario_name=calibration.scenario.name, log=log, first_day=log.start.date(),
        last_day=(log.end - pd.Timedelta(days=1)).date(), settings=calibration.settings, scenario_path=scenario_path,
        figures=figures, poor=poor_fits(table), table=shown,
        tables={name: _shown(frame) for name, frame in tables.items()}, limits=known_limits(calibration),
        season=calibration.details.get("season"), adjusted=log.adjusted or {}, void_values=log.void_values,
        response=figures["deadline_response"],
        charts=[(alt, chart(calibration)) for alt, chart in CHARTS],
        rate_tolerance=RATE_TOLERANCE, quantile_tolerance=QUANTILE_TOLERANCE, volume_tolerance=VOLUME_TOLERANCE)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("sim.reporting", "."), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["fmt"] = format  # {{ value | fmt(",.1f") }}: Python's format specification
    return environment
