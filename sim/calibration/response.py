"""Which response to their deadlines, if any, the log's departments show: the candidates a calibration tries.

A log shows the response in where its closures fall relative to the due time (`moments.deadline_closures`):
`deadline_spike_ratio` (closures in the last tenth of the allowed time over the tenth before) and
`deadline_drop_ratio` (the first tenth after due over the last tenth before). Cities differ, so no
response is assumed: the search (`search.calibrate`) simulates each candidate below, the first of
which is no response at all, moving the delays with it (late starts move the median time to close),
and keeps the one whose run comes nearest the log on both ratios and on the time to close and on-time
rate (`run_score`); a response that beats no response by less than `RESPONSE_MARGIN` is not kept
(the log shows none that matters). The candidates are a coarse grid on the model's levers (`params.deadlines`,
`dispatch.queue_discipline` and `start_slack_h`): least slack first; late starts at a few slacks in
working hours; overtime under deadline pressure; work compression; and partial pacing, a share of the
cases put aside until little slack is left (`deadline_response.pacing`), tried only where the log's
closures pile up before due beyond what no response gives (`shows_pile_up`). Its start slacks (centre,
possibly past due, and spread) and whether its work is kept short are screened (`PACING_CENTRES_H` x
`PACING_SPREADS_H`, one run each at `SCREEN_SHARE`), each cell's share fitted (`share_fit`) from the
closures in the three tenths around the due time, taken as linear in the share (each case is paced or
not, by its own uniform); the nearest cell is then run with its share fitted again as the delays move.
What the log cannot tell (the
overtime's pay, a compressed case's rejection by the resident: the log records no reopening) keeps
its schema assumption, or none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

START_SLACK_H = (2.0, 8.0, 24.0)  # working hours of slack at which a department starts a case (late starts)
# partial pacing: its share, the centre and spread of its start slacks and how its work is taken are fitted together,
# by a screen of one run at SCREEN_SHARE per cell, each cell's share fitted from that run
PACING_CENTRES_H = (-8.0, -4.0, -2.0, 0.0, 2.0, 4.0)  # working hours of slack (negative: past due) at the centre
PACING_SPREADS_H = (0.0, 8.0, 24.0)  # the width in working hours of the uniform spread of start slacks
SCREEN_SHARE = 0.2  # the share of cases paced in each screening run
SHORT_WORK_SLACK_H = 2.0  # work kept short: within half the start slack, or half of this where the slack is less
SHARE_GRID = np.linspace(0.0, 1.0, 401)  # the shares the fit of a partial pacing looks at
RATIO_TIE = 0.02  # shares whose ratios come within this of the best are told apart by the closures around due
PILE_UP_SE = 2.0  # pacing is tried only where the log's spike ratio exceeds no response's by this many standard errors
RATIO_WEIGHT = 2.0  # a gap of 0.1 in a ratio weighs as much as 0.2 of the loss of the whole log
RESPONSE_MARGIN = 0.02  # a response is fitted only if its run beats the best one without a response by this much
MAX_KEY_LOSS = 5.0  # a work key that fits very badly (or not at all) counts at most this much


@dataclass(frozen=True)
class Response:
    """A candidate response: the dispatch rule and the deadline_response section it sets (empty: unchanged)."""

    name: str
    dispatch: dict = field(default_factory=dict)
    deadline_response: dict = field(default_factory=dict)
    work_within_slack: bool = True  # late starts: the work tried is kept within half the start slack

    @property
    def none(self) -> bool:
        return not self.dispatch and not self.deadline_response

    @property
    def fits_share(self) -> bool:
        """Partial pacing: the share of cases paced, the centre and spread of their start slacks and how their work is
        taken are fitted to the log (a screen, `search.ResponseSearch`)."""
        return bool(self.deadline_response.get("pacing", {}).get("enabled"))

    @property
    def share(self) -> float:
        """The share of cases paced (partial pacing), NaN for the other responses."""
        return float(self.deadline_response["pacing"]["share"]) if self.fits_share else math.nan

    @property
    def start_slack_h(self) -> float | None:
        """The working hours of slack at which a paced case is started (late starts, partial pacing), else None."""
        if "start_slack_h" in self.dispatch:
            return float(self.dispatch["start_slack_h"])
        return float(self.deadline_response["pacing"]["start_slack_h"]) if self.fits_share else None

    @property
    def work_slack_h(self) -> float | None:
        """The slack within half of which the work tried is kept (late starts; partial pacing with its work kept
        short, at least `SHORT_WORK_SLACK_H`); None: the work as fitted."""
        if not self.work_within_slack or self.start_slack_h is None:
            return None
        return max(self.start_slack_h, SHORT_WORK_SLACK_H) if self.fits_share else self.start_slack_h

    @property
    def spread_h(self) -> float:
        """The spread of a partial pacing's start slacks (working hours), NaN for the other responses."""
        return float(self.deadline_response["pacing"].get("start_slack_spread_h", 0.0)) if self.fits_share else math.nan

    def with_share(self, share: float) -> Response:
        """This partial pacing with a share of its cases paced, named for it."""
        return self._with_pacing(share=float(share))

    def with_slack(self, centre_h: float, spread_h: float, work_within_slack: bool) -> Response:
        """This partial pacing with its start slacks centred on `centre_h`, spread uniformly over `spread_h`, and its
        work kept short (`work_slack_h`) or as fitted."""
        return replace(self, work_within_slack=work_within_slack)._with_pacing(
            start_slack_h=float(centre_h), start_slack_spread_h=float(spread_h))

    def for_departments(self, departments: list[str]) -> Response:
        """This partial pacing at the named departments only, its name unchanged (the other responses unchanged)."""
        if not self.fits_share:
            return self
        pacing = {**self.deadline_response["pacing"], "departments": list(departments)}
        return replace(self, deadline_response={**self.deadline_response, "pacing": pacing})

    def _with_pacing(self, **changes) -> Response:
        pacing = {**self.deadline_response["pacing"], **changes}
        share, slack, spread = pacing["share"], pacing["start_slack_h"], pacing.get("start_slack_spread_h", 0.0)
        when = f"{slack:g} working hours of slack" if slack >= 0 else f"{-slack:g} working hours past due"
        if spread:
            when += f", give or take {spread / 2:g}"
        work = (f", the work within half of {self.work_slack_h:g} h" if self.work_within_slack
                else " (the work as fitted)")
        return replace(self, name=f"partial pacing: {share:.1%} of the cases put aside until {when}{work}",
                       deadline_response={**self.deadline_response, "pacing": pacing})

    def apply(self, raw: dict) -> dict:
        """The scenario dict with this response set."""
        if self.dispatch:
            raw["dispatch"] = {**raw["dispatch"], **self.dispatch}
        if self.deadline_response:
            raw["deadline_response"] = {key: dict(value) if isinstance(value, dict) else value
                                        for key, value in self.deadline_response.items()}
        return raw


NO_RESPONSE = Response("no response")
RESPONSES: tuple[Response, ...] = (
    NO_RESPONSE,
    Response("partial pacing: a share of the cases put aside until a fitted slack, give or take a fitted spread",
             {}, {"enabled": True, "pacing": {"enabled": True, "share": SCREEN_SHARE, "start_slack_h": 0.0,
                                              "start_slack_spread_h": 0.0}}),
    Response("least slack first", {"queue_discipline": "lsf"}),
    *(Response(f"late starts: least slack first, a case started at {slack:g} working hours of slack",
               {"queue_discipline": "lsf", "start_slack_h": slack}) for slack in START_SLACK_H),
    Response("overtime under deadline pressure", {}, {"enabled": True, "overtime": {"enabled": True}}),
    Response("work compression near the due time", {},
             {"enabled": True, "compression": {"enabled": True, "reopen_probability": 0.0}}),
)


def tenth_counts(positions: np.ndarray) -> np.ndarray:
    """Closures in the tenths (0.8, 0.9], (0.9, 1.0] and (1.0, 1.1] of the allowed time (`core.outcomes`)."""
    p = np.asarray(positions, dtype=float)
    p = p[np.isfinite(p)]
    return np.array([np.count_nonzero((p > a) & (p <= b)) for a, b in ((0.8, 0.9), (0.9, 1.0), (1.0, 1.1))],
                    dtype=float)


def tenth_shares(positions: np.ndarray) -> np.ndarray:
    """`tenth_counts` as shares of all the closures with a deadline (zeros when there are none)."""
    closed = np.count_nonzero(np.isfinite(np.asarray(positions, dtype=float)))
    return tenth_counts(positions) / closed if closed else np.zeros(3)


def fitted_share(observed: dict, runs: list[tuple[float, np.ndarray]]) -> float:
    """The share of cases paced that brings the deadline ratios nearest the log's, from the runs so far."""
    return share_fit(observed, runs)[0]


def share_fit(observed: dict, runs: list[tuple[float, np.ndarray]]) -> tuple[float, float]:
    """(share, gap): the share of cases paced that brings the deadline ratios nearest the log's, and the gap left.

    `runs` are (share, `tenth_counts`) of earlier runs of the candidate, at least two (two at one share give that
    share). Each case is paced or not by its own uniform, so the closures in each tenth
    move about linearly with the share between the last two runs; the share on `SHARE_GRID` whose counts give
    ratios nearest the observed ones (sum of the absolute gaps) is returned. The ratios alone cannot tell the
    shares apart where the closures around due are all paced ones (no case paced, none there): among the shares
    within `RATIO_TIE` of the best gap, the one whose closures in the three tenths, as a share of the closures
    with a deadline (`tenth_shares`), come nearest the log's wins, when the runs and `observed` give those shares
    (its `deadline_positions`); else the lowest.
    """
    (a, counts_a), (b, counts_b) = runs[-2], runs[-1]
    if a == b:
        return b, math.inf
    slope = (counts_b - counts_a) / (b - a)
    counts = np.maximum(counts_a[None, :] + (SHARE_GRID[:, None] - a) * slope[None, :], 0.0)
    before, last, after = counts.T
    with np.errstate(divide="ignore", invalid="ignore"):
        spike, drop = last / before, after / last
    gap = np.zeros(len(SHARE_GRID))
    for ratio, name in ((spike, "deadline_spike_ratio"), (drop, "deadline_drop_ratio")):
        o = observed.get(name, math.nan)
        if np.isfinite(o):
            gap += np.where(np.isfinite(ratio), np.abs(ratio - o), np.inf)
    best = int(np.argmin(gap))
    positions = observed.get("deadline_positions")
    if positions is not None and np.isfinite(gap[best]) and counts.sum(axis=1).max() <= 1.0 + 1e-9:
        near = gap <= gap[best] + RATIO_TIE
        best = int(np.argmin(np.where(near, np.abs(counts.sum(axis=1) - tenth_shares(positions).sum()), np.inf)))
    return float(SHARE_GRID[best]), float(gap[best])


def shows_pile_up(observed: dict, plain_spike: float) -> bool:
    """Whether the log's closures pile up before the due time beyond what the model gives with no response: its
    spike ratio above the no-response run's `plain_spike` by `PILE_UP_SE` of the log's standard errors. Without
    the log's ratio (no closures around due) there is nothing to fit; without a no-response run to compare (NaN),
    pacing is tried."""
    spike = observed.get("deadline_spike_ratio", math.nan)
    if not np.isfinite(spike):
        return False
    if not np.isfinite(plain_spike):
        return True
    return bool(spike - plain_spike > PILE_UP_SE * observed.get("deadline_ratio_se", {}).get("deadline_spike_ratio", 0))


def ratio_gap(observed: dict, simulated: dict) -> float:
    """Sum of the absolute gaps of the two deadline ratios beyond the log's own sampling error (its standard error,
    from the counts of closures in the two tenths): a gap the log cannot tell from noise counts nothing. A ratio the
    log has and the run lacks counts 1."""
    gap = 0.0
    errors = observed.get("deadline_ratio_se", {})
    for name in ("deadline_spike_ratio", "deadline_drop_ratio"):
        o, s = observed.get(name, math.nan), simulated.get(name, math.nan)
        if np.isfinite(o):
            gap += max(0.0, abs(s - o) - min(errors.get(name, 0.0), 1.0)) if np.isfinite(s) else 1.0
    return gap


def run_score(observed: dict, simulated: dict, key_losses: dict[str, float], overall_loss: float) -> float:
    """One run's distance from the log: the work keys' losses weighed by their cases, the whole log's, and the
    deadline ratios' gaps (`RATIO_WEIGHT`)."""
    total = max(observed["cases"], 1)
    weighted = sum(observed["by_work_key"][key]["cases"] / total * min(loss, MAX_KEY_LOSS)
                   for key, loss in key_losses.items())
    return float(weighted + min(overall_loss, MAX_KEY_LOSS) + RATIO_WEIGHT * ratio_gap(observed, simulated))


def labels(response: Response, cite: str, tried: int, observed: dict) -> tuple[dict[str, str], dict[str, str]]:
    """The `sources:` and `assumptions:` of the fitted response."""
    spike, drop = observed.get("deadline_spike_ratio", math.nan), observed.get("deadline_drop_ratio", math.nan)
    how = (f"calibrated by simulation against {cite}: of {tried} responses tried (none among them), the one whose "
           f"run, with the delays searched again, comes nearest the log's deadline_spike_ratio {spike:.2f} and "
           f"deadline_drop_ratio {drop:.2f} (closures in the last tenth of the allowed time over the tenth before; "
           "the first tenth after due over the last tenth before) and its time to close and on-time rate: "
           f"{response.name}")
    if response.fits_share:
        how += (f"; the centre and spread of its start slacks, and whether its work is kept short, screened over "
                f"{len(PACING_CENTRES_H)} centres, {len(PACING_SPREADS_H)} spreads and both, one run each at "
                f"{SCREEN_SHARE:.0%} of the cases paced; its share fitted as the one whose closures in the three "
                "tenths around the due time, taken as linear in the share between two runs, give the log's ratios")
    sources = {"dispatch.queue_discipline": how}
    assumptions: dict[str, str] = {}
    if "start_slack_h" in response.dispatch:
        sources["dispatch.start_slack_h"] = how
    if response.deadline_response:
        sources["deadline_response"] = how
        assumptions["deadline_response.overtime.yuan_per_hour"] = "the log records no pay: the schema's assumption"
        assumptions["deadline_response.compression.reopen_probability"] = (
            "the log records no reopening (reopened cases are in their time to close): no rejection of compressed work")
        assumptions["deadline_response.common_yardstick_h"] = "unused by the fit: the schema's assumption"
    return sources, assumptions
