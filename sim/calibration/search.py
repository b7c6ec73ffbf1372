"""Calibration by simulation: each work key's work content searched until the simulated log matches the observed one.

`calibrate` reads off the log what it says directly (arrivals, sources, deadlines, working
hours, throughput), then searches each work key's lognormal work content: a grid on the spread,
damped fixed-point steps on the median at each spread, a refinement around the best spread and
a last trade-off step on the median. Every run simulates the log's period after a warm-up and
summarises it like the observed log (`moments`), with common random numbers across runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import InputError
from ..mechanisms import run_replication
from ..params import Scenario, validate_scenario
from ..params.base import MAX_HORIZON_DAYS
from .arrivals import fit_arrivals
from .categories import assign_groups, work_keys
from .departments import fit_units
from .logs import CaseLog
from .moments import moments, to_hours
from .result import Calibration
from .scenario_file import scenario_dict
from .work_content import MAX_WORK_SIGMA, WorkFit, first_guess

SIGMA_GRID = (0.5, 1.0, 1.5, 1.9, MAX_WORK_SIGMA)
TRADE_OFF_FACTORS = (0.125, 0.25, 0.5, 2.0)  # median work tried at the best spread, without the median step
REFINE_STEPS = (-0.2, 0.2)
ON_TIME_WEIGHT = 8.0  # 0.1 of on-time rate weighs as much as a factor e^0.8 in the median time to close
MAX_MEDIAN_WORK_H = 2_000.0  # the bound of the search's moves of the median work


def calibrate(log: CaseLog, *, top_categories: int = 20, search_steps: int = 3, seed: int = 0,
              warm_up_days: int = 28, replications: int = 1, name: str | None = None,
              progress: Callable[[int, dict], None] | None = None) -> Calibration:
    """Fit a scenario to a case log; each category's work content is searched by simulation until the log is matched.

    The spread of the work content (lognormal sigma) is searched on a grid, refined around each
    category's best value; at every spread, `search_steps` damped fixed-point steps move the
    median work until the simulated median time to close matches. Last, lower and higher median
    work is tried at the best spread, for categories whose median and on-time rate cannot both be
    matched. All runs share their random numbers and units are independent queues whose capacity
    keeps them well clear of saturation, so each category keeps its best (lowest-loss) parameters;
    the final run checks the combination and is what the fit report shows.
    """
    if search_steps < 1:
        raise InputError(f"search steps must be at least 1, got {search_steps}")
    frame = assign_groups(log, top_categories)
    observed_cases = to_hours(log, frame)
    days = log.days
    snapshot_h = (log.snapshot - log.start) / pd.Timedelta(hours=1)
    first_weekday = int(log.start.day_of_week)
    observed = moments(observed_cases, (np.arange(days) + first_weekday) % 7, snapshot_h)
    units = fit_units(log, frame)
    work = {key: first_guess(observed["by_work_key"][key], unit.hours_per_week)
            for unit in units.values() for key in unit.work_shares}
    # The simulated window starts on the same weekday as the log, after a warm-up.
    warm = warm_up_days + (first_weekday % 7)
    settings = {"seed": seed, "warm_up_days": warm, "horizon_days": warm + days,
                "drain_days": int(math.ceil((snapshot_h - days * 24) / 24)), "snapshot_gap_h": snapshot_h - days * 24,
                "top_categories": top_categories, "search_steps": search_steps, "replications": replications}
    if settings["horizon_days"] + settings["drain_days"] > MAX_HORIZON_DAYS:
        raise InputError(f"the log covers {days} days; at most {MAX_HORIZON_DAYS - warm} can be simulated",
                         where=log.path)
    arrivals = fit_arrivals(log, frame, observed)
    best: dict[str, WorkFit] = {}
    history: list[dict] = []
    runs = [0]
    owners = {key: (category, department) for key, category, department
              in frame[["work_key", "category", "department"]].drop_duplicates("work_key").itertuples(index=False)}

    def evaluate(move_median: bool = True) -> None:
        raw = scenario_dict(log, arrivals, units, work, settings, name)
        simulated = simulate_log(validate_scenario(raw, where="calibrated scenario"), settings)
        for key, fit in work.items():
            sim = simulated["by_work_key"].get(key)
            fit.loss = fit_loss(observed["by_work_key"][key], sim)
            if key not in best or fit.loss < best[key].loss:
                best[key] = WorkFit(**fit.__dict__)
            category, unit = owners[key]
            history.append({"run": runs[0], "category": category, "department": unit,
                            "work_median_h": fit.work_median_h, "work_sigma": fit.work_sigma, "loss": fit.loss,
                            "sim_on_time_rate": (sim or {}).get("on_time_rate", math.nan),
                            "sim_ttc_p50_h": (sim or {}).get("ttc_p50_h", math.nan)})
            if move_median:
                update_median(fit, observed["by_work_key"][key], sim)
        runs[0] += 1
        if progress:
            progress(runs[0], simulated)

    for sigma in SIGMA_GRID:
        for fit in work.values():
            fit.set_sigma(sigma)
        for _ in range(search_steps):
            evaluate()
    for delta in REFINE_STEPS:
        for key, fit in work.items():
            fit.work_median_h = best[key].work_median_h
            fit.set_sigma(best[key].work_sigma + delta)
        for _ in range(max(1, search_steps - 1)):
            evaluate()
    # Where the median and the on-time rate cannot both be met, trade one against the other.
    for factor in TRADE_OFF_FACTORS:
        for key, fit in work.items():
            fit.work_median_h = float(np.clip(best[key].work_median_h * factor, 1e-3, MAX_MEDIAN_WORK_H))
            fit.set_sigma(best[key].work_sigma)
        evaluate(move_median=False)
    raw = scenario_dict(log, arrivals, units, best, settings, name)
    scenario = validate_scenario(raw, where="calibrated scenario")
    simulated = simulate_log(scenario, settings, replications)
    return Calibration(log, raw, scenario, observed, simulated, history, settings)


def fit_loss(observed: dict, simulated: dict | None) -> float:
    """Distance of a category's simulated cases from its logged ones: log-ratio of medians plus weighted on-time gap."""
    if simulated is None or not np.isfinite(simulated["ttc_p50_h"]):
        return math.inf
    loss = abs(math.log(max(simulated["ttc_p50_h"], 1e-3) / max(observed["ttc_p50_h"], 1e-3)))
    if np.isfinite(observed["on_time_rate"]) and np.isfinite(simulated["on_time_rate"]):
        loss += ON_TIME_WEIGHT * abs(simulated["on_time_rate"] - observed["on_time_rate"])
    else:
        loss += 0.5 * abs(_spread(simulated) - _spread(observed))
    return loss


def _spread(stats: dict) -> float:
    return math.log(max(stats["ttc_p90_h"], 1e-3) / max(stats["ttc_p50_h"], 1e-3))


def update_median(fit: WorkFit, observed: dict, simulated: dict | None) -> None:
    """One damped fixed-point step on the median work, from the ratio of observed to simulated median time to close."""
    if simulated is None:
        return
    ratio = max(observed["ttc_p50_h"], 1e-3) / max(simulated["ttc_p50_h"], 1e-3)
    fit.work_median_h = float(np.clip(fit.work_median_h * np.clip(ratio, 0.05, 20.0) ** 0.9, 1e-3, MAX_MEDIAN_WORK_H))


def simulate_log(scenario: Scenario, settings: dict, replications: int = 1) -> dict:
    """Replications of a calibrated scenario, pooled end to end and summarised like the observed log."""
    start_h = settings["warm_up_days"] * 24.0
    days = settings["horizon_days"] - settings["warm_up_days"]
    names = np.array(scenario.category_names(), dtype=object)
    department = np.array(list(scenario.departments), dtype=object)
    no_deadline = np.array([cat.deadline_h is None for cat in scenario.cases.categories.values()])
    frames = []
    for replication in range(replications):
        c = run_replication(scenario, settings["seed"], replication).cases
        keep = (c["arrived_h"] >= start_h) & (c["arrived_h"] < start_h + days * 24)
        category = c["category"][keep]
        arrived = c["arrived_h"][keep]
        offset = replication * days * 24.0 - start_h
        frames.append(pd.DataFrame({
            "arrived_h": arrived + offset,
            "closed_h": c["closed_h"][keep] + offset,
            "due_h": np.where(no_deadline[category], np.inf, c["due_h"][keep] + offset),
            "hour_of_week": np.floor(arrived).astype(int) % 168,
            "category": names[category],
            "department": department[c["department"][keep]],
            "work_key": work_keys(pd.Series(names[category]), pd.Series(department[c["department"][keep]])).to_numpy(),
            "snapshot_h": days * 24.0 + settings["snapshot_gap_h"] + replication * days * 24.0,
        }))
    weekday = np.tile((np.arange(days) + settings["warm_up_days"]) % 7, replications)
    return moments(pd.concat(frames, ignore_index=True), weekday, math.nan)
