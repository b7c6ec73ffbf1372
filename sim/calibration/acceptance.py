"""Whether the calibrated scenario reproduces its log: the fit table, its verdicts, the headline figures, the poor fits.

The table compares the case log with the simulated log on the same definitions (see `moments`):
cases per day (mean and variance, with the Poisson variance for reference, and the
autocorrelation of daily counts at lags of 1 and 7 days), the hour-of-week arrival profile,
closures around the deadline (`deadline_spike_ratio`, `deadline_drop_ratio`),
time-to-close quantiles, the on-time rate and the share of cases still open when the log was
taken; overall, for the largest categories and for every unit. Each row gets a verdict (good /
fair / poor) against the stated tolerances.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .diagnostics import daily_autocorrelation
from .result import Calibration

# Tolerances of the verdicts: (good, fair) as absolute share-point gaps or relative gaps.
RATE_TOLERANCE = (0.03, 0.10)
QUANTILE_TOLERANCE = (0.25, 0.60)
VOLUME_TOLERANCE = (0.05, 0.15)
VARIANCE_TOLERANCE = (0.25, 0.50)  # of the day-to-day variance of the number of cases, relative
PROFILE_CORRELATION = (0.9, 0.8)  # the least correlation of the hour-of-week profiles that is good, fair
AUTOCORRELATION_TOLERANCE = (0.1, 0.25)  # absolute gap of the autocorrelations of daily counts
DEADLINE_RATIO_TOLERANCE = (0.15, 0.30)  # absolute gap of deadline_spike_ratio and deadline_drop_ratio
LARGEST_CATEGORIES = 8


DEADLINE_RATIOS = {
    "deadline_spike_ratio": "deadline_spike_ratio: closures in the last tenth of the allowed time / the tenth before",
    "deadline_drop_ratio": "deadline_drop_ratio: closures in the first tenth after due / the last tenth before",
}


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
    """Correlation of the observed and simulated arrival rates over the 168 hours of the week."""
    return float(np.corrcoef(calibration.observed["hour_of_week_rate"], calibration.simulated["hour_of_week_rate"])[0,
                                                                                                                    1])


def fit_table(calibration: Calibration) -> pd.DataFrame:
    """One row per compared figure: scope, measure, observed, simulated, gap, verdict."""
    obs, sim = calibration.observed, calibration.simulated
    rows = []

    def add(scope: str, measure: str, o: float, s: float, kind: str) -> None:
        if kind == "rate":
            gap = abs(s - o) if np.isfinite(o) and np.isfinite(s) else math.nan
            verdict = _verdict(gap, RATE_TOLERANCE)
        elif kind == "volume":
            gap = _relative(o, s)
            verdict = _verdict(gap, VOLUME_TOLERANCE)
        elif kind == "variance":
            gap = _relative(o, s)
            verdict = _verdict(gap, VARIANCE_TOLERANCE)
        elif kind == "quantile":
            gap = _relative(o, s, floor=1.0)  # hours; below an hour, differences of minutes do not count
            verdict = _verdict(gap, QUANTILE_TOLERANCE)
        else:
            gap, verdict = math.nan, "info"
        rows.append({"scope": scope, "measure": measure, "observed": o, "simulated": s, "gap": gap, "verdict": verdict})

    add("overall", "cases per day, mean", obs["cases_per_day_mean"], sim["cases_per_day_mean"], "volume")
    add("overall", "cases per day, variance", obs["cases_per_day_var"], sim["cases_per_day_var"], "variance")
    add("overall", "cases per day, Poisson variance (reference)", obs["cases_per_day_mean"], math.nan, "info")
    corr = hour_of_week_correlation(calibration)
    good, fair = PROFILE_CORRELATION
    rows.append({"scope": "overall", "measure": "hour-of-week profile, correlation", "observed": 1.0, "simulated": corr,
                 "gap": 1 - corr, "verdict": "good" if corr >= good else "fair" if corr >= fair else "poor"})
    obs_acf = daily_autocorrelation(obs["daily_counts"], obs["weekday"])
    sim_acf = daily_autocorrelation(sim["daily_counts"], sim["weekday"])
    for lag, value in obs_acf.items():
        gap = abs(sim_acf[lag] - value) if np.isfinite(value) and np.isfinite(sim_acf[lag]) else math.nan
        rows.append({"scope": "overall", "measure": f"daily counts, autocorrelation at lag {lag} d", "observed": value,
                     "simulated": sim_acf[lag], "gap": gap, "verdict": _verdict(gap, AUTOCORRELATION_TOLERANCE)})
    for name, measure in DEADLINE_RATIOS.items():
        o, s = obs.get(name, math.nan), sim.get(name, math.nan)
        gap = abs(s - o) if np.isfinite(o) and np.isfinite(s) else math.nan
        rows.append({"scope": "overall", "measure": measure, "observed": o, "simulated": s, "gap": gap,
                     "verdict": _verdict(gap, DEADLINE_RATIO_TOLERANCE)})
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
            add(scope, "cases per day, mean", o["cases"] / obs["days"], s.get("cases", math.nan) / sim["days"],
                "volume")
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
        "ttc_p10_h_observed": obs["overall"]["ttc_p10_h"],
        "ttc_p10_h_simulated": sim["overall"]["ttc_p10_h"],
        "ttc_p10_relative_gap": _relative(obs["overall"]["ttc_p10_h"], sim["overall"]["ttc_p10_h"]),
        "ttc_p90_h_observed": obs["overall"]["ttc_p90_h"],
        "ttc_p90_h_simulated": sim["overall"]["ttc_p90_h"],
        "ttc_p90_relative_gap": _relative(obs["overall"]["ttc_p90_h"], sim["overall"]["ttc_p90_h"]),
        **{f"{name}_{side}": source.get(name, math.nan) for name in DEADLINE_RATIOS
           for side, source in (("observed", obs), ("simulated", sim))},
        "deadline_response": getattr(calibration.details.get("response"), "name", "not fitted"),
    }


def poor_fits(table: pd.DataFrame) -> list[str]:
    """Plain sentences for every figure the calibrated scenario reproduces poorly."""
    lines = []
    for _, row in table[table["verdict"] == "poor"].iterrows():
        lines.append(f"{row['scope']}: {row['measure']} is {figure_text(row['simulated'])} simulated against "
                     f"{figure_text(row['observed'])} observed.")
    return lines


def figure_text(value: float) -> str:
    """An observed or simulated figure as the fit report shows it."""
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
