"""Calibration by simulation: each work key's delay searched until the simulated log matches the observed one.

`calibrate` reads off the log what it says directly (arrivals, season, sources, deadlines,
working hours and days, throughput), splits each work key's time to close into work that holds
staff, bounded by its quickest closures, and a delay that holds none (see `work_content`), then
searches the delay's lognormal: a grid on the spread, damped fixed-point steps on the median at
each spread, a refinement around the best spread and a last trade-off step on the median. Then
the departments' response to their deadlines is searched jointly with the delays (`response`):
each candidate, no response among them, is simulated from the best delays with their medians
moved again, and the run nearest the log on the deadline ratios and the time to close wins. Every
run simulates the log's period after a warm-up and summarises it like the observed log
(`moments`), with common random numbers across runs. A last run with every unit's staff halved
says what the fitted staffing means (`details["half_staff"]`).
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
from .categories import INSTANT_SUFFIX, assign_groups, fixed_part, work_keys
from .departments import fit_units
from .logs import CaseLog
from .moments import moments, to_hours
from .response import (
    NO_RESPONSE,
    RESPONSE_MARGIN,
    RESPONSES,
    TRIAL_SHARES,
    Response,
    fitted_share,
    run_score,
    tenth_counts,
)
from .result import Calibration
from .scenario_file import scenario_dict
from .work_content import MAX_WORK_SIGMA, MIN_DELAY_MEDIAN_H, WorkFit, first_guess, fixed_fit

SIGMA_GRID = (0.5, 1.0, 1.5, 1.9, MAX_WORK_SIGMA)
TRADE_OFF_FACTORS = (0.125, 0.25, 0.5, 2.0)  # median delay tried at the best spread, without the median step
REFINE_STEPS = (-0.2, 0.2)
RESPONSE_STEPS = 2  # runs per response candidate: as the delays were, then with their medians moved once
ON_TIME_WEIGHT = 8.0  # 0.1 of on-time rate weighs as much as a factor e^0.8 in the median time to close
TAIL_WEIGHT = 0.3  # weight of the log-ratios of p10 and p90 of time to close (times under an hour count as one)


def calibrate(log: CaseLog, *, top_categories: int = 20, search_steps: int = 3, seed: int = 0,
              warm_up_days: int = 28, replications: int = 1, name: str | None = None,
              progress: Callable[[int, dict], None] | None = None, responses: tuple[Response, ...] | None = None,
              response_steps: int = RESPONSE_STEPS) -> Calibration:
    """Fit a scenario to a case log; each category's work content is searched by simulation until the log is matched.

    The spread of the work content (lognormal sigma) is searched on a grid, refined around each
    category's best value; at every spread, `search_steps` damped fixed-point steps move the
    median work until the simulated median time to close matches. Last, lower and higher median
    work is tried at the best spread, for categories whose median and on-time rate cannot both be
    matched. All runs share their random numbers and units are independent queues whose capacity
    keeps them well clear of saturation, so each category keeps its best (lowest-loss) parameters;
    the final run checks the combination and is what the fit report shows. Then each response to deadlines
    of `responses` (default `response.RESPONSES`, no response first; empty: none is fitted) gets
    `response_steps` runs from those delays, moving their medians, and the lowest-scoring run
    (`response.run_score`) gives the scenario its response and delays.
    """
    if search_steps < 1:
        raise InputError(f"search steps must be at least 1, got {search_steps}")
    if response_steps < 1:
        raise InputError(f"response steps must be at least 1, got {response_steps}")
    frame = assign_groups(log, top_categories)
    observed_cases = to_hours(log, frame)
    days = log.days
    snapshot_h = (log.snapshot - log.start) / pd.Timedelta(hours=1)
    first_weekday = int(log.start.day_of_week)
    observed = moments(observed_cases, (np.arange(days) + first_weekday) % 7, snapshot_h)
    units = fit_units(log, frame)
    work = {key: fixed_fit(observed["by_work_key"][key], fixed_part(key) == INSTANT_SUFFIX) if fixed_part(key)
            else first_guess(observed["by_work_key"][key], unit.hours_per_week)
            for unit in units.values() for key in unit.work_shares}
    searched = {key: fit for key, fit in work.items() if not fit.fixed}
    # The simulated window starts on the same weekday as the log, after a warm-up.
    warm = warm_up_days + (first_weekday % 7)
    if warm + days > MAX_HORIZON_DAYS:
        raise InputError(f"the log covers {days} days; with a {warm}-day warm-up at most {MAX_HORIZON_DAYS - warm} "
                         f"days can be simulated (--warm-up-days sets the warm-up)", where=log.path)
    drain_days, drain_note = drain_needed(observed_cases, days, snapshot_h, MAX_HORIZON_DAYS - warm - days)
    settings = {"seed": seed, "warm_up_days": warm, "horizon_days": warm + days, "drain_days": drain_days,
                "drain_note": drain_note, "snapshot_gap_h": snapshot_h - days * 24,
                "top_categories": top_categories, "search_steps": search_steps, "replications": replications}
    arrivals = fit_arrivals(log, frame, observed)
    best: dict[str, WorkFit] = {}
    history: list[dict] = []
    runs = [0]
    owners = {key: (category, department) for key, category, department
              in frame[["work_key", "category", "department"]].drop_duplicates("work_key").itertuples(index=False)}

    response = NO_RESPONSE

    def evaluate(move_median: bool = True, keep_best: bool = True) -> tuple[dict, dict[str, WorkFit]]:
        raw = response.apply(scenario_dict(log, arrivals, units, work, settings, name))
        simulated = simulate_log(validate_scenario(raw, where="calibrated scenario"), settings)
        used: dict[str, WorkFit] = {}
        for key, fit in work.items():
            sim = simulated["by_work_key"].get(key)
            fit.loss = fit_loss(observed["by_work_key"][key], sim)
            used[key] = fit.copy()
            if keep_best and (key not in best or fit.loss < best[key].loss):
                best[key] = fit.copy()
            category, unit = owners[key]
            history.append({"run": runs[0], "response": response.name, "category": category, "department": unit,
                            "work_median_h": fit.work_median_h, "work_sigma": fit.work_sigma,
                            "delay_median_h": fit.delay_median_h, "delay_sigma": fit.delay_sigma, "loss": fit.loss,
                            "sim_on_time_rate": (sim or {}).get("on_time_rate", math.nan),
                            "sim_ttc_p50_h": (sim or {}).get("ttc_p50_h", math.nan)})
            if move_median and not fit.fixed:
                update_median(fit, observed["by_work_key"][key], sim)
        runs[0] += 1
        if progress:
            progress(runs[0], simulated)
        return simulated, used

    for sigma in SIGMA_GRID:
        for fit in searched.values():
            fit.set_sigma(sigma)
        for _ in range(search_steps):
            evaluate()
    for delta in REFINE_STEPS:
        for key, fit in searched.items():
            _restore(fit, best[key])
            fit.set_sigma(best[key].delay_sigma + delta)
        for _ in range(max(1, search_steps - 1)):
            evaluate()
    # Where the median and the on-time rate cannot both be met, trade one against the other.
    for factor in TRADE_OFF_FACTORS:
        for key, fit in searched.items():
            _restore(fit, best[key])
            fit.set_delay_median(best[key].delay_median_h * factor)
        evaluate(move_median=False)
    # The response to deadlines (none among the candidates), searched jointly with the delays: each
    # candidate starts from the best delays without one and moves their medians, and the run nearest
    # the log on the deadline ratios and the time to close wins.
    tried: list[dict] = []
    chosen: tuple[float, Response, dict[str, WorkFit], int] | None = None  # score, response, fits, row of tried
    plain_fits: dict[int, dict[str, WorkFit]] = {}  # the fits of each run without a response, by row of tried
    counts: list[np.ndarray] = []  # closures in the tenths around due of each run, by row of tried
    start = {key: fit.copy() for key, fit in best.items()}
    for candidate in (responses if responses is not None else RESPONSES):
        response = candidate
        for key, fit in work.items():
            _restore(fit, start[key])
            if candidate.start_slack_h is not None and candidate.work_within_slack and not fit.fixed:
                late_start_work(fit, candidate.start_slack_h)
        # a partial pacing's share is fitted: runs at the trial shares, then the share fitted to the last two runs
        points: list[tuple[float, np.ndarray]] = []
        steps = len(TRIAL_SHARES) + response_steps if candidate.fits_share else response_steps
        for step in range(steps):
            if candidate.fits_share:
                response = candidate.with_share(TRIAL_SHARES[step] if step < len(TRIAL_SHARES)
                                                else fitted_share(observed, points))
            simulated, used = evaluate(keep_best=False)
            score = run_score(observed, simulated, {k: f.loss for k, f in used.items()},
                              fit_loss(observed["overall"], simulated["overall"]))
            tried.append({"response": candidate.name, "step": step + 1, "share": response.share, "score": score,
                          "deadline_spike_ratio": simulated["deadline_spike_ratio"],
                          "deadline_drop_ratio": simulated["deadline_drop_ratio"],
                          "on_time_rate": simulated["overall"]["on_time_rate"],
                          "ttc_p50_h": simulated["overall"]["ttc_p50_h"],
                          "ttc_p10_h": simulated["overall"]["ttc_p10_h"]})
            counts.append(tenth_counts(simulated["deadline_positions"]))
            points.append((response.share, counts[-1]))
            plain_fits[len(tried) - 1] = used if candidate.none else {}
            if chosen is None or score < chosen[0]:
                chosen = (score, response, used, len(tried) - 1)
    if chosen is not None and not chosen[1].none:
        # A response has to earn its place: within RESPONSE_MARGIN of the best run without one, none is kept.
        plain = [(row["score"], i) for i, row in enumerate(tried) if row["response"] == NO_RESPONSE.name]
        if plain and min(plain)[0] - chosen[0] < RESPONSE_MARGIN:
            chosen = (min(plain)[0], NO_RESPONSE, plain_fits[min(plain)[1]], min(plain)[1])
    if chosen is not None:
        _, response, fitted, row_chosen = chosen
        best = fitted
        for i, row in enumerate(tried):
            row["chosen"] = i == row_chosen
    else:
        response = NO_RESPONSE
    raw = response.apply(scenario_dict(log, arrivals, units, best, settings, name, response=response,
                                       responses_tried=len({row["response"] for row in tried}),
                                       observed=observed))
    scenario = validate_scenario(raw, where="calibrated scenario")
    simulated = simulate_log(scenario, settings, replications)
    half = scenario.model_copy(deep=True)
    for department in half.departments.values():
        department.staff = max(1, department.staff // 2)
    details = {"deadline_mixtures": arrivals.deadline_mixtures, "work": best, "owners": owners,
               "season": arrivals.season, "units": units, "response": response, "responses_tried": tried,
               "half_staff": {"staff": {u: d.staff for u, d in half.departments.items()},
                              "simulated": simulate_log(half, settings, replications)}}
    return Calibration(log, raw, scenario, observed, simulated, history, settings, details)


LATE_START_WORK_SHARE = 0.5  # with late starts, the mean work is at most this share of the start slack


def late_start_work(fit: WorkFit, start_slack_h: float) -> None:
    """The work of a key tried with late starts (of every case, or of a share: partial pacing): its mean at most half
    the start slack.

    Without a response, the wait before a case closes is work or delay, and the work is as long as the quickest
    closures allow; in a log with late starts the quickest closures come late, so that bound is long and a case
    expected to take that long is started at once: the start rule would never bind. Under late starts the wait is
    the pacing's, and the work is what is done after the start, well within the slack the start leaves.
    """
    ceiling = LATE_START_WORK_SHARE * start_slack_h * math.exp(-fit.work_sigma**2 / 2)
    fit.set_work_median(min(fit.work_median_h, ceiling))


def _restore(fit: WorkFit, best: WorkFit) -> None:
    fit.work_median_h, fit.work_sigma = best.work_median_h, best.work_sigma
    fit.delay_median_h, fit.delay_sigma = best.delay_median_h, best.delay_sigma


DRAIN_QUANTILE = 0.999  # the simulation runs on until this share of the log's closed cases would have closed


def drain_needed(cases: pd.DataFrame, days: int, snapshot_h: float, room_days: int) -> tuple[int, str]:
    """Days simulated after the period so that the fitted cases close as they do in the log, and why.

    Cases closed in the log took at most their longest time to close; a simulated case still open that
    long after the period counts as open, as its logged twin does. So the drain is the snapshot gap or
    the 99.9th percentile of the logged times to close, whichever is shorter, within the horizon limit.
    """
    gap_days = max(0, int(math.ceil((snapshot_h - days * 24) / 24)))
    ttc = (cases["closed_h"] - cases["arrived_h"]).dropna().to_numpy(float)
    longest_days = int(math.ceil(np.quantile(ttc, DRAIN_QUANTILE) / 24)) + 1 if len(ttc) else 0
    drain = min(gap_days, longest_days)
    note = (f"the log was taken {gap_days} days after its period; {DRAIN_QUANTILE:.1%} of its closed cases closed "
            f"within {longest_days} days of creation, so {drain} days are simulated after the period")
    if drain > room_days:
        note += (f"; only {room_days} fit within the {MAX_HORIZON_DAYS}-day horizon limit, so simulated cases "
                 "closing later count as open")
        drain = max(0, room_days)
    return drain, note


def fit_loss(observed: dict, simulated: dict | None) -> float:
    """Distance of a category's simulated cases from its logged ones: log-ratio of medians plus weighted on-time gap."""
    if simulated is None or not np.isfinite(simulated["ttc_p50_h"]):
        return math.inf
    loss = abs(math.log(max(simulated["ttc_p50_h"], 1e-3) / max(observed["ttc_p50_h"], 1e-3)))
    if np.isfinite(observed["on_time_rate"]) and np.isfinite(simulated["on_time_rate"]):
        loss += ON_TIME_WEIGHT * abs(simulated["on_time_rate"] - observed["on_time_rate"])
    else:
        loss += 0.5 * abs(_spread(simulated) - _spread(observed))
    for q in ("ttc_p10_h", "ttc_p90_h"):
        if np.isfinite(simulated[q]) and np.isfinite(observed[q]):
            loss += TAIL_WEIGHT * abs(math.log(max(simulated[q], 1.0) / max(observed[q], 1.0)))
    return loss


def _spread(stats: dict) -> float:
    return math.log(max(stats["ttc_p90_h"], 1e-3) / max(stats["ttc_p50_h"], 1e-3))


def update_median(fit: WorkFit, observed: dict, simulated: dict | None) -> None:
    """One damped fixed-point step on the median delay, from the ratio of observed to simulated median time to close.

    When the delay is already at its floor (no delay) and the cases still close too late, the work is too
    long: the step moves the median work instead, never above its cap.
    """
    if simulated is None:
        return
    ratio = float(np.clip(max(observed["ttc_p50_h"], 1e-3) / max(simulated["ttc_p50_h"], 1e-3), 0.05, 20.0))
    if ratio < 1 and fit.delay_median_h <= MIN_DELAY_MEDIAN_H * 1.001:
        fit.set_work_median(fit.work_median_h * ratio**0.9)
    else:
        fit.set_delay_median(fit.delay_median_h * ratio**0.9)


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
