"""Wiring, KPIs and tables of the prevention and participation mechanisms (issue 7).

`Mechanisms` is built by `model.District` before its stations: it fixes the split of a shift
(`prevention.time_shares`), and starts whichever of patrols and latent problems
(`prevention.Prevention`), mediation (`mediation.Mediation`) and micro-wishes
(`participation.MicroWishes`) the scenario switches on. With all of them off it does nothing
and draws nothing, so existing scenarios give exactly the results they gave before.

`kpis(raw)` adds the mechanisms' KPIs (only those of mechanisms that are on); `tables(raw,
case_log)` gives the three-level scorecards, the worker time accounting per role and the logs
of latent problems, mediations and micro-wishes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis import scorecards as assessment
from .mediation import Mediation
from .micro_wishes import STATES, FULFILLED, MicroWishes
from .prevention import ERUPTED, FOUND_INFORMANT, FOUND_PATROL, OUTCOMES, PENDING, Prevention, time_shares
from ..core.workforce import WEEK_H, Calendar

KPI_UNITS = {
    "patrol_coverage": "share",
    "patrol_visits_per_grid_week": "visits",
    "latent_problems": "problems",
    "latent_found_before_eruption_share": "share",
    "latent_erupted": "problems",
    "latent_found_by_patrol": "problems",
    "informant_reports": "problems",
    "mediations": "cases",
    "mediation_success_rate": "share",
    "micro_wishes_posted": "wishes",
    "micro_wish_fulfilment_rate": "share",
    "micro_wish_wait_p50_h": "h",
    "micro_wish_lapsed_share": "share",
    "burden_hours_per_worker_week": "h",
    "burden_hours_per_community_worker_week": "h",
    "burden_hours_freed": "h",
    "burden_funding_yuan_per_year": "yuan",
    "grid_worker_patrol_share": "share",
}


class Mechanisms:
    """The mechanisms of one replication that the scenario switches on."""

    def __init__(self, district):
        s = district.scenario
        self.shares = time_shares(s)
        self.grid_case_time_share = self.shares["grid_case"]
        self.community_case_time_share = self.shares["community_case"]
        self.parts = []
        self.staggered_share = s.staggered_hours.share_of_grid_posts if s.staggered_hours.enabled else 0.0
        self.staggered_calendar = Calendar(s.staggered_hours.hours)
        self._grid_staffing: list = []
        if s.patrol.enabled or s.latent.enabled:
            self.parts.append(Prevention(district))
        if s.mediation.enabled:
            self.parts.append(Mediation(district))
        if s.micro_wishes.enabled:
            self.parts.append(MicroWishes(district))

    # -- staggered hours (错时服务, seed 001) --------------------------------------------------

    def grid_post_calendar(self, post: int, n_posts: int, office: Calendar) -> Calendar:
        """The calendar of a grid post: the staggered one for an evenly spread share of posts."""
        share = self.staggered_share
        if share <= 0 or math.floor((post + 1) * share) == math.floor(post * share):
            return office
        return self.staggered_calendar

    def grid_posts_staffed(self, now: float, stations: list, workers_per_post: list[int]) -> None:
        """Remember who works which calendar from now on (for the shift hours under staggered hours)."""
        if self.staggered_share > 0:
            self._grid_staffing.append((now, [(st.calendar, n) for st, n in zip(stations, workers_per_post)]))

    def grid_on_duty(self, t: float, head: int, office: Calendar) -> int:
        """Grid workers on shift at t (posts on the staggered calendar counted on theirs)."""
        if self.staggered_share <= 0 or not self._grid_staffing:
            return head * office.on_shift(t)
        return sum(n for calendar, n in self._grid_staffing[-1][1] if calendar.on_shift(t))

    def shift_hours(self, shift_h: dict[str, float], window: tuple[float, float]) -> dict[str, float]:
        """Grid workers' shift hours in the window, post by post, when posts work different calendars."""
        if self.staggered_share <= 0:
            return shift_h
        a, b = window
        total = 0.0
        for k, (since, posts) in enumerate(self._grid_staffing):
            until = self._grid_staffing[k + 1][0] if k + 1 < len(self._grid_staffing) else math.inf
            lo, hi = max(a, since), min(b, until)
            if hi > lo:
                total += sum(n * calendar.hours_between(lo, hi) for calendar, n in posts)
        return {**shift_h, "grid_worker": total}

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def results(self) -> dict:
        out: dict = {"time_shares": dict(self.shares)} if self.parts or _time_budget(self) else {}
        for part in self.parts:
            out.update(part.results())
        return out


def _time_budget(mechanisms: Mechanisms) -> bool:
    return mechanisms.shares["grid_burden"] > 0 or mechanisms.shares["community_burden"] > 0


# --------------------------------------------------------------------------- KPIs


def kpis(raw) -> dict[str, float]:
    """KPIs of the mechanisms that are on (none when all are off)."""
    s = raw.scenario
    ext = raw.extensions
    start, end = raw.window_h
    out: dict[str, float] = {}
    if s.patrol.enabled:
        visits = ext["patrol_weekly_visits"]
        weeks = [w for w in range(visits.shape[0]) if w * WEEK_H >= start and (w + 1) * WEEK_H <= end]
        out["patrol_coverage"] = float((visits[weeks] > 0).mean()) if weeks else math.nan
        out["patrol_visits_per_grid_week"] = float(visits[weeks].mean()) if weeks else math.nan
        use = time_use(raw).set_index("role")
        shift = use.loc["grid_worker", "shift_h"]
        out["grid_worker_patrol_share"] = float(use.loc["grid_worker", "patrol_h"] / shift) if shift > 0 else math.nan
    if s.latent.enabled:
        latent = ext["latent"]
        inside = (latent["onset_h"] >= start) & (latent["onset_h"] < end)
        outcome = latent["outcome"][inside]
        found = np.isin(outcome, (FOUND_PATROL, FOUND_INFORMANT))
        erupted = outcome == ERUPTED
        decided = int(found.sum() + erupted.sum())
        out["latent_problems"] = float(inside.sum())
        out["latent_erupted"] = float(erupted.sum())
        out["latent_found_by_patrol"] = float((outcome == FOUND_PATROL).sum())
        out["informant_reports"] = float((outcome == FOUND_INFORMANT).sum())
        out["latent_found_before_eruption_share"] = float(found.sum()) / decided if decided else math.nan
    if s.mediation.enabled:
        med = ext["mediation"]
        arrived = raw.cases["arrived_h"][med["case_id"]] if len(med["case_id"]) else np.array([])
        inside = (arrived >= start) & (arrived < end)
        out["mediations"] = float(inside.sum())
        out["mediation_success_rate"] = float(med["agreed"][inside].mean()) if inside.any() else math.nan
    if s.burden.enabled:
        use = time_use(raw).set_index("role")
        for role, key, name in (("grid_worker", "grid", "burden_hours_per_worker_week"),
                                ("community_worker", "community", "burden_hours_per_community_worker_week")):
            worker_weeks = use.loc[role, "shift_h"] / _week_hours(raw, role)
            out[name] = float(use.loc[role, "burden_h"] / worker_weeks) if worker_weeks > 0 else math.nan
        out["burden_hours_freed"] = float(use["burden_freed_h"].sum())
        years = (end - start) / (365.0 * 24.0)
        out["burden_funding_yuan_per_year"] = float(use["burden_h"].sum() * s.burden.funding_yuan_per_hour / years)
    if s.micro_wishes.enabled:
        w = ext["micro_wishes"]
        inside = (w["posted_h"] >= start) & (w["posted_h"] < end)
        fulfilled = inside & (w["state"] == FULFILLED)
        out["micro_wishes_posted"] = float(inside.sum())
        out["micro_wish_fulfilment_rate"] = float(fulfilled.sum() / inside.sum()) if inside.any() else math.nan
        out["micro_wish_lapsed_share"] = float((inside & (w["state"] == 3)).sum() / inside.sum()) if inside.any() else math.nan
        waits = (w["fulfilled_h"] - w["posted_h"])[fulfilled]
        out["micro_wish_wait_p50_h"] = float(np.median(waits)) if len(waits) else math.nan
    return out


def _week_hours(raw, role: str) -> float:
    wf = raw.scenario.workforce
    hours = {"grid_worker": wf.grid_worker_hours, "community_worker": wf.community_worker_hours}[role]
    return Calendar(hours).week_hours


# --------------------------------------------------------------------------- tables


def time_use(raw) -> pd.DataFrame:
    """Worker time accounting per role in the window: shift = cases + patrol + burden + other + idle.

    Cases and patrol are focused hours (the work itself); burden and other duties are their shares
    of every shift hour; idle is what is left. `burden_freed_h` is the burden the reduction removed.
    """
    s = raw.scenario
    shares = raw.extensions.get("time_shares") or time_shares(s)
    patrol_h = raw.extensions.get("patrol_visits_in_window", 0) * s.patrol.visit_h if s.patrol.enabled else 0.0
    rows = []
    for role, key in (("grid_worker", "grid"), ("community_worker", "community"), ("department_staff", None)):
        shift = raw.shift_h[role]
        case_share = shares[f"{key}_case"] if key else 1.0
        burden = shares[f"{key}_burden"] * shift if key else 0.0
        other = shares[f"{key}_other"] * shift if key else 0.0
        cases = raw.busy_h[role] * case_share
        patrol = patrol_h if role == "grid_worker" else 0.0
        freed = 0.0
        if key and s.burden.enabled:
            hours = s.burden.grid_worker_hours_per_week if key == "grid" else s.burden.community_worker_hours_per_week
            freed = hours * shift / _week_hours(raw, role) - burden
        rows.append({"role": role, "shift_h": shift, "cases_h": cases, "patrol_h": patrol, "burden_h": burden,
                     "other_h": other, "idle_h": shift - cases - patrol - burden - other, "burden_freed_h": freed})
    return pd.DataFrame(rows)


def weekly_visited(raw) -> np.ndarray | None:
    visits = raw.extensions.get("patrol_weekly_visits")
    return None if visits is None else visits > 0


def tables(raw, case_log: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Scorecards, time accounting and the mechanisms' logs of one replication."""
    s = raw.scenario
    out = assessment.three_level_scorecards(
        case_log, raw.territory, s.horizon_days, weekly_visited=weekly_visited(raw),
        month_weeks=s.assessment.month_weeks, quarter_weeks=s.assessment.quarter_weeks,
        on_time_threshold=s.assessment.on_time_threshold)
    out = {f"scorecard_{name}": frame for name, frame in out.items()}
    out["time_use"] = time_use(raw)
    ext = raw.extensions
    if "latent" in ext:
        latent = pd.DataFrame(ext["latent"])
        latent["outcome"] = pd.Categorical.from_codes(latent["outcome"], categories=list(OUTCOMES))
        latent["category"] = pd.Categorical.from_codes(latent["category"], categories=s.category_names())
        out["latent_problems"] = latent
    if "mediation" in ext:
        med = ext["mediation"]
        out["mediations"] = pd.DataFrame({k: med[k] for k in ("case_id", "ended_h", "agreed")})
    if "micro_wishes" in ext:
        w = ext["micro_wishes"]
        frame = pd.DataFrame({k: w[k] for k in ("posted_h", "community", "work_h", "accepted_h", "fulfilled_h")})
        frame["state"] = pd.Categorical.from_codes(w["state"], categories=list(STATES))
        out["micro_wishes"] = frame
    return out


__all__ = ["Mechanisms", "KPI_UNITS", "kpis", "tables", "time_use", "PENDING"]
