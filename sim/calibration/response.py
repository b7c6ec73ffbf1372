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
working hours; overtime under deadline pressure; work compression. What the log cannot tell (the
overtime's pay, a compressed case's rejection by the resident: the log records no reopening) keeps
its schema assumption, or none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

START_SLACK_H = (2.0, 8.0, 24.0)  # working hours of slack at which a department starts a case (late starts)
RATIO_WEIGHT = 2.0  # a gap of 0.1 in a ratio weighs as much as 0.2 of the loss of the whole log
RESPONSE_MARGIN = 0.02  # a response is fitted only if its run beats the best one without a response by this much
MAX_KEY_LOSS = 5.0  # a work key that fits very badly (or not at all) counts at most this much


@dataclass(frozen=True)
class Response:
    """A candidate response: the dispatch rule and the deadline_response section it sets (empty: unchanged)."""

    name: str
    dispatch: dict = field(default_factory=dict)
    deadline_response: dict = field(default_factory=dict)

    @property
    def none(self) -> bool:
        return not self.dispatch and not self.deadline_response

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
    Response("least slack first", {"queue_discipline": "lsf"}),
    *(Response(f"late starts: least slack first, a case started at {slack:g} working hours of slack",
               {"queue_discipline": "lsf", "start_slack_h": slack}) for slack in START_SLACK_H),
    Response("overtime under deadline pressure", {}, {"enabled": True, "overtime": {"enabled": True}}),
    Response("work compression near the due time", {},
             {"enabled": True, "compression": {"enabled": True, "reopen_probability": 0.0}}),
)


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
