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
cases put aside until a few working hours of slack are left (`deadline_response.pacing`), at each of
`PACED_SLACK_H`, whose share is fitted (`fitted_share`): first runs at `TRIAL_SHARES`, then twice the share
at which the closures in the three tenths around the due time, counted in the last two runs and taken
as linear in the share (each case is paced or not, by its own uniform), give the log's two ratios.
What the log cannot tell (the
overtime's pay, a compressed case's rejection by the resident: the log records no reopening) keeps
its schema assumption, or none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

START_SLACK_H = (2.0, 8.0, 24.0)  # working hours of slack at which a department starts a case (late starts)
# partial pacing (its share fitted): at 2 working hours of slack with the work kept within half of it, as the late
# starts are; and at 0 and 8 h with the work as fitted (a paced case started when the time left is its category's
# expected work, plus that slack: closures spread around the due time, on both sides)
PACED_SLACK_H = ((2.0, True), (0.0, False), (8.0, False))
TRIAL_SHARES = (0.1, 0.4)  # the shares of cases paced in a partial-pacing candidate's first runs
SHARE_GRID = np.linspace(0.0, 1.0, 401)  # the shares the fit of a partial pacing looks at
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
        """Partial pacing: the share of cases paced is fitted to the log (`fitted_share`)."""
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

    def with_share(self, share: float) -> Response:
        """This partial pacing with a share of its cases paced, named for it."""
        pacing = {**self.deadline_response["pacing"], "share": float(share)}
        slack = pacing["start_slack_h"]
        work = "" if self.work_within_slack else " (the work as fitted)"
        return Response(f"partial pacing: {share:.1%} of the cases put aside until {slack:g} working hours of "
                        f"slack{work}", dict(self.dispatch), {**self.deadline_response, "pacing": pacing},
                        self.work_within_slack)

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
    *(Response(f"partial pacing: a share of the cases put aside until {slack:g} working hours of slack"
               + ("" if within else " (the work as fitted)"), {},
               {"enabled": True, "pacing": {"enabled": True, "share": TRIAL_SHARES[0], "start_slack_h": slack}},
               within) for slack, within in PACED_SLACK_H),
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


def fitted_share(observed: dict, runs: list[tuple[float, np.ndarray]]) -> float:
    """The share of cases paced that brings the deadline ratios nearest the log's, from the runs so far.

    `runs` are (share, `tenth_counts`) of earlier runs of the candidate, at least two (two at one share give that
    share). Each case is paced or not by its own uniform, so the closures in each tenth
    move about linearly with the share between the last two runs; the share on `SHARE_GRID` whose counts give
    ratios nearest the observed ones (sum of the absolute gaps; the lowest share among equals) is returned.
    """
    (a, counts_a), (b, counts_b) = runs[-2], runs[-1]
    if a == b:
        return b
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
    return float(SHARE_GRID[int(np.argmin(gap))])


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
        how += ("; its share fitted as the one whose closures in the three tenths around the due time, taken as "
                "linear in the share between two runs, give the log's ratios")
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
