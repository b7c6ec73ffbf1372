"""The calibrated scenario as a file: every value, and its `sources:` or `assumptions:` label saying where it is from.

Fitted values cite the log (file, rows used, period) in `sources:`; what the log cannot tell
(households, grid workers, routing, reopening) is notional or unused, and says so in
`assumptions:`. Every case goes straight to its logged unit, at department level; its time to
close is work that holds the unit's staff and an external delay that holds none.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import yaml

from ..params.base import MAX_HORIZON_DAYS
from ..results.store import atomic_write
from .arrivals import Arrivals
from .categories import work_key
from .departments import Unit
from .logs import CaseLog
from .response import NO_RESPONSE, Response
from .response import labels as response_labels
from .result import Calibration
from .work_content import MIN_DELAY_MEDIAN_H, WorkFit

UNUSED_WORK = {"mean_h": 1.0, "cv": 1.0, "distribution": "exponential"}
NO_DEADLINE_H = 24.0 * MAX_HORIZON_DAYS


def scenario_dict(log: CaseLog, arrivals: Arrivals, units: dict[str, Unit], work: dict[str, WorkFit],
                  settings: dict, name: str | None, *, response: Response = NO_RESPONSE, responses_tried: int = 0,
                  observed: dict | None = None) -> dict:
    """The calibrated scenario as a plain dict, every value labelled with its source or reason.

    With `responses_tried`, the response to deadlines was fitted (`response`, against the `observed`
    deadline ratios) and is set and labelled as fitted; the caller applies it (`Response.apply`).
    """
    cite = log.citation()
    shares = np.array(list(arrivals.sources.values()))
    sources = {k: float(v) for k, v in zip(arrivals.sources, (shares / shares.sum()).round(6), strict=True)}
    drift = 1.0 - sum(sources.values())
    first = next(iter(sources))
    sources[first] = float(round(sources[first] + drift, 6))
    categories = {}
    season = arrivals.season
    trend = season.trend_per_year if season else 0.0
    # The model's trend runs from day 0; the log's rates are its mean, at the middle of its period.
    level = (1.0 + trend) ** (-(settings["warm_up_days"] + log.days / 2) / 365.0)
    for category, rate in arrivals.rates.items():
        department = arrivals.departments[category]
        units_of = [department] if isinstance(department, str) else list(department)
        fits = {unit: work[work_key(category, unit)] for unit in units_of}
        fit = fits[units_of[0]]  # the largest unit's; with several units, each has its own in department_work
        deadline = arrivals.deadlines[category]
        categories[category] = {
            "rate_per_household_per_year": round(rate * level, 6),
            "deadline_h": deadline,
            "resolution_deadline_h": deadline if deadline is not None else NO_DEADLINE_H,
            "routing": {"grid": 0.0, "community": 0.0, "department": 1.0},
            "escalation_probability": {"grid": 0.0, "community": 0.0},
            "work": {"grid": dict(UNUSED_WORK), "community": dict(UNUSED_WORK),
                     "department": _lognormal(fit)},
            "department": department,
            "external_delay": None if len(units_of) == 1 and _delay(fit) == NO_DELAY else _delay(fit),
        }
        mixture = arrivals.deadline_mixtures.get(category, [])
        if deadline is not None and len(mixture) > 1:
            # each case draws its deadline; the unit's limit, which counts for a case whistled at once, the same way
            parts = mixture_shares(mixture)
            categories[category]["deadline_mix"] = parts
            categories[category]["resolution_deadline_mix"] = [dict(part) for part in parts]
            del categories[category]["resolution_deadline_h"]
        if len(units_of) > 1:
            categories[category]["department_work"] = {unit: _lognormal(unit_fit) for unit, unit_fit in fits.items()}
            categories[category]["department_external_delay"] = {unit: _delay(unit_fit)
                                                                 for unit, unit_fit in fits.items()}
    raw = {
        "name": name or re.sub(r"[^\w\-]+", "_", Path(log.path).name.split(".")[0]) + "_calibrated",
        "description": f"Calibrated from {cite}",
        "horizon_days": settings["horizon_days"],
        "warm_up_days": settings["warm_up_days"],
        "drain_days": settings["drain_days"],
        "territory": {"subdistricts": 1, "communities": 1, "residential_grids": 1, "dedicated_grids": 0,
                      "households_per_grid_min": arrivals.households, "households_per_grid_max": arrivals.households,
                      "community_size_cv": 0.0},
        "workforce": {"grid_workers": 1, "community_workers_per_community": 1},
        "departments": {name: {"staff": unit.staff(work), "hours": unit.hours} for name, unit in units.items()},
        "dispatch": {"resolution_deadline_h": NO_DEADLINE_H},
        "cases": {"categories": categories, "sources": sources, "hourly_profile": arrivals.hourly,
                  "weekly_profile": arrivals.weekly, "hour_of_week_profile": arrivals.hour_of_week,
                  "daily_rate_cv": arrivals.daily_cv, "reopen_probability": 0.0},
    }
    if season and season.weekly is not None:
        raw["cases"]["seasonal_profile"] = model_weeks(season.weekly, settings["warm_up_days"])
    if trend:
        raw["cases"]["trend_per_year"] = trend
    raw["sources"], raw["assumptions"] = _labels(log, arrivals, units, settings, cite)
    if responses_tried:
        fitted, unknown = response_labels(response, cite, responses_tried, observed or {})
        raw["sources"].update(fitted)
        raw["assumptions"].update(unknown)
    return raw


def mixture_shares(mixture: list[dict[str, float]]) -> list[dict[str, float]]:
    """A deadline mixture [{hours, share}] as the schema's [{deadline_h, share}], the shares summing to 1 exactly."""
    parts = [{"deadline_h": float(p["hours"]), "share": float(p["share"])} for p in mixture]
    parts[0]["share"] = round(1.0 - sum(p["share"] for p in parts[1:]), 6)
    return parts


def model_weeks(log_weeks: list[float], warm_up_days: int) -> list[float]:
    """The log's week-of-year profile (from its first day) as the model's (from day 0, the warm-up's start)."""
    n = len(log_weeks)
    return [log_weeks[((7 * j + 3 - warm_up_days) // 7) % n] for j in range(n)]


def _lognormal(fit: WorkFit) -> dict:
    return {"mean_h": max(1e-4, round(fit.work_mean_h(), 4)), "cv": round(fit.work_cv(), 4),
            "distribution": fit.work_distribution()}


NO_DELAY = {"mean_h": 1e-4, "cv": 0.0, "distribution": "fixed"}  # a third of a second: no delay


def _delay(fit: WorkFit) -> dict:
    """The fit's delay; none at all at the floor (a lognormal of median 0.01 h would add a minute or so to cases
    closed at once, whose whole time to close is that long)."""
    if fit.delay_median_h <= MIN_DELAY_MEDIAN_H * 1.001:
        return dict(NO_DELAY)
    return {"mean_h": max(1e-4, round(fit.delay_mean_h(), 4)), "cv": round(fit.delay_cv(), 4),
            "distribution": "lognormal"}


def _labels(log: CaseLog, arrivals: Arrivals, units: dict[str, Unit], settings: dict,
            cite: str) -> tuple[dict[str, str], dict[str, str]]:
    """The `sources:` of every fitted value and the `assumptions:` behind every other one."""
    sources = {
        "cases.sources": f"{cite}: share of cases by the {log.columns['source'] or '(no source column)'} column",
        "cases.hour_of_week_profile": f"{cite}: cases created in each hour of the week per such hour in the period",
        "cases.hourly_profile": f"{cite}: mean of the hour-of-week profile by hour of day (not used: the 168-value "
                                f"profile is)",
        "cases.weekly_profile": f"{cite}: mean of the hour-of-week profile by day (not used: the 168-value profile is)",
        "cases.daily_rate_cv": f"{cite}: method of moments on daily counts after removing day-of-week means "
                               "and the season (variance = mean + cv^2 mean^2)",
    }
    if arrivals.season and arrivals.season.weekly is not None:
        sources["cases.seasonal_profile"] = f"{cite}: {arrivals.season.note}"
        sources["cases.trend_per_year"] = f"{cite}: {arrivals.season.note}"
    assumptions = {
        "horizon_days": f"the log's {log.days} days after a warm-up",
        "warm_up_days": "an empty district fills its queues before the measured period; the period starts on the log's "
                        "weekday",
        "drain_days": settings.get("drain_note", "the time between the end of the log's period and when it was taken"),
        "territory": "notional: the log has no households; one grid of 10,000 notional households whose rates "
                     "reproduce the logged volume (households x rate = cases per year)",
        "workforce": "unused: every case of the log is handled by its unit (department level); one notional grid "
                     "worker",
        "dispatch": "no dispatch-wide deadline: each category carries its own (resolution_deadline_h); categories "
                    "without a deadline get the 10-year maximum so the model never marks them late",
        "cases.reopen_probability": "the log records no reopening; reopened cases are in their time to close",
        "cases.reopen_delay_h": "unused: no reopening",
        "cases.rework_share": "unused: no reopening",
    }
    for category, count in arrivals.counts.items():
        path = f"cases.categories.{category}"
        sources[f"{path}.rate_per_household_per_year"] = f"{cite}: {count:,} cases in {log.days} days"
        sources[f"{path}.deadline_h"] = f"{cite}: {arrivals.deadline_notes[category]}"
        if arrivals.deadlines[category] is not None and len(arrivals.deadline_mixtures.get(category, [])) > 1:
            sources[f"{path}.deadline_mix"] = (
                f"{cite}: share of the category's cases with a deadline in each of its deadline groups (cut where one "
                "deadline is over 1.5 times the one before; a group needs 5 % of them and 20 cases), at its median")
            sources[f"{path}.resolution_deadline_mix"] = (f"{cite}: the category's deadline mixture, applied when "
                                                          "its unit takes the case")
        else:
            sources[f"{path}.resolution_deadline_h"] = (f"{cite}: the category's deadline, applied when its unit "
                                                        "takes the case")
        sources[f"{path}.department"] = (f"{cite}: the unit handling most of the category's cases"
                                         if isinstance(arrivals.departments[category], str)
                                         else f"{cite}: share of the category's cases handled by each unit")
        sources[f"{path}.work.department"] = (
            f"{cite}: lognormal work that holds staff, its median at most the p25 of the category's time to close in "
            "working hours (no case's work takes longer than its time to close)")
        sources[f"{path}.external_delay"] = (
            f"calibrated by simulation against {cite}: lognormal delay holding no staff, searched to match the "
            "category's time to close (median, p10, p90) and on-time rate")
        if not isinstance(arrivals.departments[category], str):
            sources[f"{path}.work.department"] += " (the largest unit's; department_work has every unit's)"
            sources[f"{path}.external_delay"] += " (the largest unit's; department_external_delay has every unit's)"
            sources[f"{path}.department_work"] = (
                f"{cite}: work of the category's cases at each unit, bounded by their p25 time to close there")
            sources[f"{path}.department_external_delay"] = (
                f"calibrated by simulation against {cite}: delay of the category's cases at each unit, searched to "
                "match their time to close and on-time rate there")
        assumptions[f"{path}.routing"] = "every case goes straight to the unit named in the log"
        assumptions[f"{path}.escalation_probability"] = "no escalation: the log names the unit that handled the case"
        assumptions[f"{path}.work.grid"] = "unused: no case is handled at grid level"
        assumptions[f"{path}.work.community"] = "unused: no case is handled at community level"
    for unit, fit in units.items():
        if fit.notional:
            assumptions[f"departments.{unit}.staff"] = (
                f"notional: one member per case of the desk's busiest days ({fit.peak_per_day:.0f}, the 90th "
                f"percentile of closures at once per day in {cite}), so that a case closed on intake waits for none")
        else:
            sources[f"departments.{unit}.staff"] = (
                f"calibrated by simulation against {cite}: capacity = the unit's 90th-percentile closures per working "
                f"day ({fit.peak_per_day:.1f}) x mean work / working hours a day")
        if fit.hours_note.startswith("assumption"):
            assumptions[f"departments.{unit}.hours"] = fit.hours_note.removeprefix("assumption: ")
        else:
            sources[f"departments.{unit}.hours"] = f"{cite}: {fit.hours_note}"
    return sources, assumptions


def write_scenario(calibration: Calibration, path: Path) -> Path:
    """Write the calibrated scenario as YAML, headed by the log it was calibrated from."""
    text = "# Calibrated by `gridgov calibrate` from " + calibration.log.citation() + "\n"
    text += deadline_mixture_comment(calibration.details.get("deadline_mixtures", {}))
    response = calibration.details.get("response")
    if calibration.details.get("responses_tried"):
        text += (f"# Response to deadlines, fitted to the log's closures around the due time: {response.name} "
                 f"(deadline_spike_ratio {calibration.observed['deadline_spike_ratio']:.2f} and deadline_drop_ratio "
                 f"{calibration.observed['deadline_drop_ratio']:.2f} observed; see sources: dispatch)\n")
    text += yaml.safe_dump(_plain(calibration.raw), allow_unicode=True, sort_keys=False, width=120)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def deadline_mixture_comment(mixtures: dict[str, list[dict[str, float]]]) -> str:
    """The categories' empirical deadline mixtures as YAML comments, for a model that reads per-case deadlines.

    The model gives every case of a category one deadline, so a category with several deadline groups is
    written as one category per group ("... (deadline 720.0 h)"), sharing the work content; the mixture
    itself, [{hours, share}], is what a per-case deadline draw would take.
    """
    mixed = {name: parts for name, parts in mixtures.items() if len(parts) > 1}
    if not mixed:
        return ""
    lines = ["# Deadline mixtures (share of the category's cases with a deadline, by deadline): each category",
             "# below draws its cases' deadlines from its mixture (deadline_mix, resolution_deadline_mix).",
             "# deadline_mixtures:"]
    for name, parts in mixed.items():
        lines.append(f"#   {name}: " + ", ".join(f"{{hours: {p['hours']:g}, share: {p['share']:g}}}" for p in parts))
    return "\n".join(lines) + "\n"


def _plain(tree):
    """The same tree with numpy scalars turned into Python numbers, so YAML can write it."""
    if isinstance(tree, dict):
        return {str(k): _plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_plain(v) for v in tree]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree
