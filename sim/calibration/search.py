"""Calibration by simulation: each work key's delay searched until the simulated log matches the observed one.

`calibrate` reads off the log what it says directly (arrivals, season, sources, deadlines,
working hours and days, throughput), splits each work key's time to close into work that holds
staff, bounded by its quickest closures, and a delay that holds none (see `work_content`), then
searches the delay's lognormal: a grid on the spread, damped fixed-point steps on the median at
each spread, a refinement around the best spread and a last trade-off step on the median. Then
the departments' response to their deadlines is searched jointly with the delays (`response`,
`ResponseSearch`): each candidate, no response among them, is simulated from the best delays with
their medians moved again (a partial pacing's delays searched again), and the run nearest the log
on the deadline ratios and the time to close wins. Every
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
from .categories import INSTANT_SUFFIX, INTAKE, assign_groups, fixed_part, work_keys
from .departments import fit_units
from .logs import CaseLog
from .moments import moments, to_hours
from .response import (
    NO_RESPONSE,
    PACING_CENTRES_H,
    PACING_SPREADS_H,
    PILE_UP_SE,
    RESPONSE_MARGIN,
    RESPONSES,
    SCREEN_SHARE,
    Response,
    fitted_share,
    run_score,
    share_fit,
    shows_pile_up,
    tenth_shares,
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

    def evaluate(response: Response = NO_RESPONSE, move_median: bool = True,
                 best: dict[str, WorkFit] | None = None) -> tuple[dict, dict[str, WorkFit]]:
        raw = response.apply(scenario_dict(log, arrivals, units, work, settings, name))
        simulated = simulate_log(validate_scenario(raw, where="calibrated scenario"), settings)
        used: dict[str, WorkFit] = {}
        for key, fit in work.items():
            sim = simulated["by_work_key"].get(key)
            fit.loss = fit_loss(observed["by_work_key"][key], sim)
            used[key] = fit.copy()
            if best is not None and (key not in best or fit.loss < best[key].loss):
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

    def search_delays(response: Response) -> dict[str, WorkFit]:
        """Each work key's best fit, its delay searched with `response` on, from the fits as they are."""
        found: dict[str, WorkFit] = {}
        for sigma in SIGMA_GRID:
            for fit in searched.values():
                fit.set_sigma(sigma)
            for _ in range(search_steps):
                evaluate(response, best=found)
        for delta in REFINE_STEPS:
            for key, fit in searched.items():
                _restore(fit, found[key])
                fit.set_sigma(found[key].delay_sigma + delta)
            for _ in range(max(1, search_steps - 1)):
                evaluate(response, best=found)
        # Where the median and the on-time rate cannot both be met, trade one against the other.
        for factor in TRADE_OFF_FACTORS:
            for key, fit in searched.items():
                _restore(fit, found[key])
                fit.set_delay_median(found[key].delay_median_h * factor)
            evaluate(response, move_median=False, best=found)
        return found

    best = search_delays(NO_RESPONSE)
    # The response to deadlines (none among the candidates), searched jointly with the delays: each
    # candidate starts from the best delays without one and moves their medians, and the run nearest
    # the log on the deadline ratios and the time to close wins.
    candidates = responses if responses is not None else RESPONSES
    paced_units = [unit for unit in units if unit != INTAKE]  # cases the log closed at once were not worked to due
    if len(paced_units) < len(units):
        candidates = tuple(candidate.for_departments(paced_units) for candidate in candidates
                           if paced_units or not candidate.fits_share)
    search = ResponseSearch(observed, work, {key: fit.copy() for key, fit in best.items()}, evaluate, search_delays,
                            response_steps)
    for candidate in candidates:
        search.try_response(candidate)
    response, fitted = search.chosen()
    if fitted:
        best = fitted
    tried = search.tried
    raw = response.apply(scenario_dict(log, arrivals, units, best, settings, name, response=response,
                                       responses_tried=len({row["response"] for row in tried if "score" in row}),
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


class ResponseSearch:
    """The search of the response to deadlines: each candidate's runs from the best delays found without one.

    Every run is scored (`response.run_score`) and recorded in `tried`; the lowest score wins, unless it beats
    the best run without a response by less than `RESPONSE_MARGIN`. A candidate gets `response_steps` runs that
    move the delays' medians, then one with every work key at its best fit among them (the keys are independent
    queues). A partial pacing is tried only where the log's closures pile up before the due time beyond what no
    response gives (`response.shows_pile_up`): the centre and spread of its start slacks and its work are screened,
    one run per cell at `SCREEN_SHARE` with the share read off each (`response.share_fit`); the delays are searched
    again with the nearest cell on, and its share read off again, before its steps.
    """

    def __init__(self, observed: dict, work: dict[str, WorkFit], start: dict[str, WorkFit],
                 evaluate: Callable[..., tuple[dict, dict[str, WorkFit]]],
                 search_delays: Callable[[Response], dict[str, WorkFit]], response_steps: int):
        self.observed, self.work, self.start = observed, work, start
        self.evaluate, self.search_delays, self.response_steps = evaluate, search_delays, response_steps
        self.tried: list[dict] = []
        self.fits: list[dict[str, WorkFit]] = []  # the fits of each run, by row of tried
        self.candidate = NO_RESPONSE  # the candidate being tried

    def try_response(self, candidate: Response) -> None:
        plain_spike = self._plain_spike()
        if candidate.fits_share and not shows_pile_up(self.observed, plain_spike):
            spike = self.observed.get("deadline_spike_ratio", math.nan)
            why = (f"the log's deadline_spike_ratio {spike:.2f} is within {PILE_UP_SE:g} standard errors of no "
                   f"response's {plain_spike:.2f}" if np.isfinite(spike)
                   else "the log has no closures around the due time")
            self.tried.append({"response": candidate.name, "step": 0, "chosen": False, "note": f"not tried: {why}"})
            self.fits.append({})
            return
        self.candidate = candidate
        response = candidate
        if candidate.fits_share:
            response = self._screen(candidate)
            response = response.with_share(fitted_share(self.observed, self._with_delays_searched(response)))
        else:
            self._reset(response)
        first = len(self.tried)
        for _ in range(self.response_steps):
            self._run(response)
        rows = range(first, len(self.tried))  # the runs of this response as fitted, the delays moving
        for key, fit in self.work.items():
            _restore(fit, min((self.fits[i][key] for i in rows), key=lambda f: f.loss))
        self._run(response, move_median=False, step="each work key at its best")

    def _screen(self, candidate: Response) -> Response:
        """The pacing (centre and spread of the start slacks, work kept short or as fitted) whose screening run, with
        the share fitted to it, comes nearest the log's ratios, at that share."""
        screened = []
        for within in (False, True):
            zero = self._zero_counts(candidate.with_slack(0.0, 0.0, within).with_share(0.0))
            for spread in PACING_SPREADS_H:
                for centre in PACING_CENTRES_H:
                    response = candidate.with_slack(centre, spread, within).with_share(SCREEN_SHARE)
                    self._reset(response)
                    counts = self._run(response, move_median=False)[1]
                    share, gap = share_fit(self.observed, [(0.0, zero), (SCREEN_SHARE, counts)])
                    screened.append((gap, share, response))
        gap, share, response = min(screened, key=lambda entry: entry[:2])
        return response.with_share(share)

    def _with_delays_searched(self, response: Response) -> list[tuple[float, np.ndarray]]:
        """The delays searched again with this pacing on, and the points its share is fitted from next: runs from
        those delays with no case paced and at its share.

        The delays were fitted with no case paced, so they already hold part of the paced cases' wait: pacing on top
        of them needs too large a share for the log's ratios, and closes the other cases too late.
        """
        self._reset(response)
        found = self.search_delays(response)
        for key, fit in self.work.items():
            _restore(fit, found[key])
        zero = self._run(response.with_share(0.0), move_median=False)[1]
        return [(0.0, zero), (response.share, self._run(response, move_median=False)[1])]

    def _zero_counts(self, unpaced: Response) -> np.ndarray:
        """Closures around the due time with no case paced, the work taken as `unpaced` takes it: the first run
        without a response where that is the work as fitted, else a run of its own."""
        plain = [row for row in self.tried if row["response"] == NO_RESPONSE.name and row["step"] == 1]
        if plain and unpaced.work_slack_h is None:
            return plain[0]["counts"]
        self._reset(unpaced)
        return self._run(unpaced, move_median=False)[1]

    def _run(self, response: Response, move_median: bool = True, step: str | None = None) -> tuple[dict, np.ndarray]:
        simulated, used = self.evaluate(response, move_median=move_median)
        score = run_score(self.observed, simulated, {k: f.loss for k, f in used.items()},
                          fit_loss(self.observed["overall"], simulated["overall"]))
        counts = tenth_shares(simulated["deadline_positions"])
        name = self.candidate.name
        done = sum(1 for row in self.tried if row["response"] == name)
        self.tried.append({"response": name, "step": step or done + 1, "share": response.share,
                           "start_slack_h": response.start_slack_h if response.fits_share else math.nan,
                           "spread_h": response.spread_h, "work_slack_h": response.work_slack_h, "score": score,
                           "deadline_spike_ratio": simulated["deadline_spike_ratio"],
                           "deadline_drop_ratio": simulated["deadline_drop_ratio"],
                           "on_time_rate": simulated["overall"]["on_time_rate"],
                           "ttc_p50_h": simulated["overall"]["ttc_p50_h"],
                           "ttc_p10_h": simulated["overall"]["ttc_p10_h"], "counts": counts, "chosen": False,
                           "run": response})
        self.fits.append(used)
        return simulated, counts

    def chosen(self) -> tuple[Response, dict[str, WorkFit]]:
        """The winning response and the fits of its run (no response and {} when nothing was run)."""
        scored = [i for i, row in enumerate(self.tried) if "score" in row]
        if not scored:
            return NO_RESPONSE, {}
        row = min(scored, key=lambda i: self.tried[i]["score"])
        plain = [i for i in scored if self.tried[i]["response"] == NO_RESPONSE.name]
        if plain and self.tried[row]["response"] != NO_RESPONSE.name:
            best_plain = min(plain, key=lambda i: self.tried[i]["score"])
            if self.tried[best_plain]["score"] - self.tried[row]["score"] < RESPONSE_MARGIN:
                row = best_plain  # a response has to earn its place
        self.tried[row]["chosen"] = True
        return self.tried[row]["run"], self.fits[row]

    def _reset(self, response: Response) -> None:
        """The fits back at the start, the work kept within half the response's slack where it says so."""
        for key, fit in self.work.items():
            _restore(fit, self.start[key])
            if response.work_slack_h is not None and not fit.fixed:
                late_start_work(fit, response.work_slack_h)

    def _plain_spike(self) -> float:
        plain = [row for row in self.tried if row["response"] == NO_RESPONSE.name and "score" in row]
        return min(plain, key=lambda row: row["score"])["deadline_spike_ratio"] if plain else math.nan


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
