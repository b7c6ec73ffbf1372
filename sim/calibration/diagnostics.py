"""What an analyst needs to trust a fit: every fitted parameter, its bounds hit, poor fits, what staff mean.

`parameter_table` lists every fitted value (units: staff, working days and hours, load;
work keys: deadlines, work, delay, the bounds each ended at); `bounds_table` keeps the bounds
hit, by parameter; `poor_fit_summary` weighs the poor verdicts of `acceptance.fit_table` by the
cases of each unit and category; `deadline_distribution` compares the deadlines the log gives
with the simulated ones; `half_staff_table` says what halving each unit's fitted staff does in
the simulation, next to the load that explains it; `deadline_position_table` and `response_table`
show the closures around the deadline and the responses to it the search tried;
`daily_autocorrelation` checks the time
structure of daily counts; `known_limits` states the limits in the direction the fit shows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..params.calendar import DAY_NAMES
from .categories import base_category
from .departments import MAX_STAFF_FITTED
from .result import Calibration
from .work_content import WorkFit

LAGS = (1, 7)
DEADLINE_RATIO_GAP = 0.15  # a deadline ratio further than this from the log's is a stated limit


def _median(work: dict | None) -> float:
    if not work:
        return math.nan
    return work["mean_h"] / math.sqrt(1 + work["cv"] ** 2)


def unit_load(calibration: Calibration, unit: str, staff: int) -> float:
    """Share of the unit's working hours its staff would spend on the log's cases: cases x mean work / capacity."""
    fit = calibration.details.get("units", {}).get(unit)
    if fit is None:
        return math.nan
    work: dict[str, WorkFit] = calibration.details["work"]
    cases = calibration.observed["by_department"].get(unit, {}).get("cases", 0)
    weeks = calibration.observed["days"] / 7.0
    mean_work = sum(share * work[key].work_mean_h() for key, share in fit.work_shares.items())
    return float(cases * mean_work / max(staff * fit.hours_per_week * weeks, 1e-9))


def parameter_table(calibration: Calibration) -> pd.DataFrame:
    """Every fitted parameter: one row per unit and one per work key, with the bounds each ended at."""
    rows = []
    scenario = calibration.scenario
    for unit, department in scenario.departments.items():
        block = department.hours[0]
        staff = department.staff
        bounds = [f"staff at the fitted maximum {MAX_STAFF_FITTED:,}"] if staff >= MAX_STAFF_FITTED else []
        rows.append({"kind": "unit", "name": unit, "staff": staff,
                     "working days": " ".join(d for d in DAY_NAMES if d in block.days),
                     "hours": f"{block.start_h:g}-{block.end_h:g}", "load at fitted staff": unit_load(calibration,
                                                                                                     unit, staff),
                     "bounds hit": "; ".join(bounds)})
    work: dict[str, WorkFit] = calibration.details.get("work", {})
    owners = calibration.details.get("owners", {})
    mixtures = calibration.details.get("deadline_mixtures", {})
    for key, fit in work.items():
        category, unit = owners.get(key, (key, ""))
        mixture = mixtures.get(base_category(category), [])
        deadlines = ", ".join(f"{p['hours']:g} h ({p['share']:.0%})" for p in mixture) or "none"
        rows.append({"kind": "work key", "name": key, "unit": unit, "deadlines": deadlines,
                     "work median (h)": fit.work_median_h, "work cv": fit.work_cv(),
                     "work cap (h)": fit.work_cap_h, "delay median (h)": fit.delay_median_h,
                     "delay cv": fit.delay_cv(), "bounds hit": "; ".join(fit.bounds_hit())})
    return pd.DataFrame(rows)


def bounds_table(calibration: Calibration) -> pd.DataFrame:
    """Every bound the fit ended at, by parameter (empty: none)."""
    rows = []
    for _, row in parameter_table(calibration).iterrows():
        for bound in filter(None, str(row.get("bounds hit") or "").split("; ")):
            rows.append({"parameter": f"{row['kind']} {row['name']}", "bound": bound})
    if calibration.scenario.cases.daily_rate_cv >= 5.0:
        rows.append({"parameter": "cases.daily_rate_cv", "bound": "at the schema's limit of 5"})
    note = calibration.settings.get("drain_note", "")
    if "horizon limit" in note:
        rows.append({"parameter": "drain_days", "bound": note})
    return pd.DataFrame(rows, columns=["parameter", "bound"])


def poor_fit_summary(calibration: Calibration, table: pd.DataFrame) -> pd.DataFrame:
    """Units and categories by their poor verdicts weighed by their share of the cases, worst first."""
    obs = calibration.observed
    total = max(obs["cases"], 1)
    rows = []
    for scope, group in table.groupby("scope"):
        if scope == "overall":
            continue
        kind, _, name = str(scope).partition(": ")
        source = obs["by_department"] if kind == "unit" else obs["by_category"]
        cases = source.get(name, {}).get("cases", 0)
        poor = group[group["verdict"] == "poor"]["measure"].tolist()
        share = cases / total
        rows.append({"scope": scope, "cases": cases, "share of cases": share, "poor figures": len(poor),
                     "weighted": share * len(poor), "which": "; ".join(poor)})
    frame = pd.DataFrame(rows, columns=["scope", "cases", "share of cases", "poor figures", "weighted", "which"])
    return frame.sort_values(["weighted", "cases"], ascending=False).reset_index(drop=True)


def deadline_distribution(calibration: Calibration) -> pd.DataFrame:
    """Deadlines of the cases that have one, observed and simulated: quantiles and the share at each category's."""
    rows = []
    for name, source in (("observed", calibration.observed), ("simulated", calibration.simulated)):
        offsets = source.get("deadline_offsets_h", np.array([]))
        row = {"log": name, "cases with a deadline": len(offsets)}
        for q in (10, 25, 50, 75, 90):
            row[f"p{q} (h)"] = float(np.quantile(offsets, q / 100)) if len(offsets) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def half_staff_table(calibration: Calibration) -> pd.DataFrame:
    """Each unit at its fitted staff and at half of it: load, median and p90 time to close, on-time rate."""
    half = calibration.details.get("half_staff")
    if not half:
        return pd.DataFrame()
    rows = []
    for unit, department in calibration.scenario.departments.items():
        full = calibration.simulated["by_department"].get(unit, {})
        cut = half["simulated"]["by_department"].get(unit, {})
        staff_half = half["staff"][unit]
        rows.append({"unit": unit, "staff": department.staff, "half staff": staff_half,
                     "load": unit_load(calibration, unit, department.staff),
                     "load at half": unit_load(calibration, unit, staff_half),
                     "median ttc (h)": full.get("ttc_p50_h", math.nan),
                     "median ttc at half (h)": cut.get("ttc_p50_h", math.nan),
                     "p90 ttc (h)": full.get("ttc_p90_h", math.nan), "p90 ttc at half (h)": cut.get("ttc_p90_h",
                                                                                                    math.nan),
                     "on time": full.get("on_time_rate", math.nan), "on time at half": cut.get("on_time_rate",
                                                                                               math.nan)})
    return pd.DataFrame(rows)


POSITION_EDGES = np.round(np.arange(0.0, 2.01, 0.1), 10)  # tenths of the allowed time, up to twice it


def deadline_position_table(calibration: Calibration) -> pd.DataFrame:
    """Where closures fall relative to the deadline, observed and simulated: the share of the closed cases with a
    deadline in each tenth of the allowed time (0 = created, 1 = due), and beyond twice it."""
    edges = np.append(POSITION_EDGES, np.inf)
    frame = pd.DataFrame({"from": edges[:-1], "to": edges[1:]})
    for name, source in (("observed", calibration.observed), ("simulated", calibration.simulated)):
        position = np.asarray(source.get("deadline_positions", np.array([])), dtype=float)
        counts, _ = np.histogram(position, bins=edges)
        frame[f"{name} closures"] = counts
        frame[f"{name} share"] = counts / len(position) if len(position) else math.nan
    return frame


def response_table(calibration: Calibration) -> pd.DataFrame:
    """Every response to deadlines the search tried, each run with its deadline ratios, fit and score (lower wins)."""
    rows = calibration.details.get("responses_tried", [])
    return pd.DataFrame(rows, columns=["response", "step", "share", "start_slack_h", "spread_h", "work_slack_h",
                                       "deadline_spike_ratio",
                                       "deadline_drop_ratio", "on_time_rate", "ttc_p50_h", "ttc_p10_h", "score",
                                       "chosen", "note"])


def daily_autocorrelation(counts: np.ndarray, weekday: np.ndarray, lags: tuple[int, ...] = LAGS) -> dict[int, float]:
    """Autocorrelation of daily counts at the given lags, after dividing out the day-of-week means."""
    counts = np.asarray(counts, dtype=float)
    means = np.array([counts[weekday == w].mean() if (weekday == w).any() else 1.0 for w in range(7)])
    residual = counts / np.maximum(means[weekday], 1e-9) - 1.0
    residual = residual - residual.mean()
    scale = float((residual**2).sum())
    return {lag: float((residual[lag:] * residual[:-lag]).sum() / scale) if scale > 0 and len(residual) > lag
            else math.nan for lag in lags}


def known_limits(calibration: Calibration) -> list[str]:
    """The limits of the fit, each stated in the direction the fit shows."""
    obs, sim = calibration.observed["overall"], calibration.simulated["overall"]
    lines = []
    low_o, low_s = obs["ttc_p10_h"], sim["ttc_p10_h"]
    if np.isfinite(low_o) and np.isfinite(low_s) and max(low_o, low_s) >= 1.0:
        way = "too short" if low_s < low_o else "too long"
        lines.append(f"The lowest quantile of time to close comes out {way}: p10 {low_s:,.1f} h simulated against "
                     f"{low_o:,.1f} h observed.")
    high_o, high_s = obs["ttc_p90_h"], sim["ttc_p90_h"]
    if np.isfinite(high_o) and np.isfinite(high_s):
        way = "too short" if high_s < high_o else "too long"
        lines.append(f"The upper tail comes out {way}: p90 {high_s:,.0f} h simulated against {high_o:,.0f} h "
                     "observed.")
    open_o, open_s = obs["open_share"], sim["open_share"]
    if np.isfinite(open_o) and np.isfinite(open_s) and abs(open_o - open_s) >= 0.01:
        way = "too low" if open_s < open_o else "too high"
        lines.append(f"The share of cases still open when the log was taken is {way}: {open_s:.1%} simulated "
                     f"against {open_o:.1%} observed.")
    for name, what in (("deadline_spike_ratio", "The pile-up of closures just before the due time"),
                       ("deadline_drop_ratio", "The fall of closures just after the due time")):
        o, s = calibration.observed.get(name, math.nan), calibration.simulated.get(name, math.nan)
        if np.isfinite(o) and np.isfinite(s) and abs(s - o) > DEADLINE_RATIO_GAP:
            way = "too weak" if (s < o) == (name == "deadline_spike_ratio") else "too strong"
            fitted = calibration.details.get("responses_tried")
            lines.append(f"{what} comes out {way}: {name} {s:.2f} simulated against {o:.2f} observed"
                         + (", with the response to deadlines fitted (partial pacing among the candidates: a share "
                            "of the cases worked to the deadline, their start slacks screened on a grid, the same "
                            "for every unit and category)." if fitted else "; no response to deadlines was fitted."))
    lines.append("Timestamps alone cannot tell staff work from waiting below the bound the quickest closures set: "
                 "the work, and the staff tied to it, are upper bounds; the rest of the time to close is a delay that "
                 "holds no staff.")
    return lines
