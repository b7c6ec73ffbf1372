"""Participation: order-dispatch-accept micro-wishes (群众点单、社区派单、党员接单, seeds 000, 001, 003).

Residents post small requests ("micro-wishes") at a rate per household; the community dispatches
each after `dispatch_delay_h`; registered party members and volunteers accept them in their
limited hours. Each community's volunteer pool is served as full-time-equivalent servers on the
volunteers' calendar: volunteers x active share x hours each per week / calendar hours per week,
rounded (possibly zero: then nothing is accepted). A wish nobody accepts within `expiry_days` of
posting lapses. Wishes are not governance cases: they do not enter the case log or take any
staff time; they have their own log.

Accounting: every wish posted is fulfilled, lapsed, in service or waiting at the end.
Randomness: the `wishes.*` streams, drawn a week at a time.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..core.arrivals import work_from_uniform
from ..core.calendar import Calendar
from ..core.hooks import Mechanism
from ..core.outcomes import Kpi
from ..units import HOURS_PER_WEEK as WEEK_H
from ..units import HOURS_PER_YEAR

WAITING, IN_SERVICE, FULFILLED, LAPSED = 0, 1, 2, 3
STATES = ("waiting", "in_service", "fulfilled", "lapsed")


class MicroWishes(Mechanism):
    """The micro-wish market of one replication."""

    name = section = "micro_wishes"
    kpis = (
        Kpi("micro_wishes_posted", "wishes", "neither", "participation", "Micro-wishes posted", "微心愿发布数"),
        Kpi("micro_wish_fulfilment_rate", "share", "higher", "participation", "Micro-wishes fulfilled",
            "微心愿实现率"),
        Kpi("micro_wish_wait_p50_h", "h", "lower", "participation", "Median wait until a micro-wish is fulfilled (h)",
            "微心愿实现等待时间中位数(小时)"),
        Kpi("micro_wish_lapsed_share", "share", "lower", "participation", "Micro-wishes that lapsed", "微心愿过期比例"),
    )

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.spec = spec = s.micro_wishes
        self.env = district.env
        self.streams = district.streams
        self.horizon_h = s.horizon_days * 24.0
        territory = district.territory
        self.calendar = Calendar(spec.hours)
        households = territory.community_households()
        self.community_cdf = np.cumsum(households) / households.sum()
        self.rate_per_week = spec.rate_per_household_per_year * households.sum() * WEEK_H / HOURS_PER_YEAR
        volunteer_hours = spec.volunteers_per_community * spec.active_share * spec.hours_per_volunteer_week
        servers = volunteer_hours / self.calendar.week_hours
        self.servers_per_community = int(round(servers))
        n = territory.n_communities
        self.queues = [deque() for _ in range(n)]
        self.idle = [self.servers_per_community] * n
        self.wishes: list[list] = []  # [posted_h, community, work_h, state, accepted_h, done_h]

    def start(self) -> None:
        self.env.process(self._blocks())

    def _blocks(self):
        env = self.env
        week = 0
        while week * WEEK_H < self.horizon_h:
            start = week * WEEK_H
            length = min(WEEK_H, self.horizon_h - start)
            self._draw(start, length)
            week += 1
            yield env.timeout(min(week * WEEK_H, self.horizon_h) - env.now)

    def _draw(self, start: float, length: float) -> None:
        st = self.streams
        n = int(st["wishes.count"].poisson(self.rate_per_week * length / WEEK_H))
        if n == 0:
            return
        posted = np.sort(start + st["wishes.time"].random(n) * length)
        community = np.minimum(np.searchsorted(self.community_cdf, st["wishes.community"].random(n), side="right"),
                               len(self.community_cdf) - 1)
        work = work_from_uniform(self.spec.work, st["wishes.work"].random(n))
        for t, c, w in zip(posted.tolist(), community.tolist(), work.tolist(), strict=True):
            wish = [t, c, w, WAITING, math.nan, math.nan]
            self.wishes.append(wish)
            self.env.timeout(t + self.spec.dispatch_delay_h - self.env.now).callbacks.append(
                lambda event, wish=wish: self._dispatched(wish))

    def _dispatched(self, wish: list) -> None:
        c = wish[1]
        if self.idle[c] > 0:
            self.idle[c] -= 1
            self._accept(wish)
        else:
            self.queues[c].append(wish)

    def _accept(self, wish: list) -> None:
        now = self.env.now
        begin = now if self.calendar.on_shift(now) else self.calendar.finish(now, 1e-9)
        if begin > wish[0] + self.spec.expiry_days * 24.0:
            # Nobody was on hand before it lapsed (accepting happens only in volunteers' hours).
            wish[3] = LAPSED
            self._next(wish[1])
            return
        wish[3], wish[4] = IN_SERVICE, begin
        end = self.calendar.finish(now, wish[2])
        self.env.timeout(end - now).callbacks.append(lambda event, wish=wish: self._done(wish))

    def _done(self, wish: list) -> None:
        wish[3], wish[5] = FULFILLED, self.env.now
        self._next(wish[1])

    def _next(self, c: int) -> None:
        queue = self.queues[c]
        now = self.env.now
        while queue:
            wish = queue.popleft()
            if now > wish[0] + self.spec.expiry_days * 24.0:
                wish[3] = LAPSED
                continue
            self._accept(wish)
            return
        self.idle[c] += 1

    def results(self) -> dict:
        rows = self.wishes
        expiry = self.spec.expiry_days * 24.0
        now = self.env.now
        for wish in rows:  # a wish still queued past its expiry has lapsed
            if wish[3] == WAITING and now > wish[0] + expiry:
                wish[3] = LAPSED
        return {
            "posted_h": np.array([r[0] for r in rows], dtype=float),
            "community": np.array([r[1] for r in rows], dtype=np.int64),
            "work_h": np.array([r[2] for r in rows], dtype=float),
            "state": np.array([r[3] for r in rows], dtype=np.int8),
            "accepted_h": np.array([r[4] for r in rows], dtype=float),
            "fulfilled_h": np.array([r[5] for r in rows], dtype=float),
            "servers_per_community": self.servers_per_community,
        }

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        w = raw.extensions["micro_wishes"]
        start, end = raw.window_h
        inside = (w["posted_h"] >= start) & (w["posted_h"] < end)
        fulfilled = inside & (w["state"] == FULFILLED)
        posted = int(inside.sum())
        waits = (w["fulfilled_h"] - w["posted_h"])[fulfilled]
        return {
            "micro_wishes_posted": float(posted),
            "micro_wish_fulfilment_rate": float(fulfilled.sum() / posted) if posted else math.nan,
            "micro_wish_lapsed_share": float((inside & (w["state"] == LAPSED)).sum() / posted) if posted else math.nan,
            "micro_wish_wait_p50_h": float(np.median(waits)) if len(waits) else math.nan,
        }

    @classmethod
    def tables(cls, raw, case_log) -> dict:
        import pandas as pd

        w = raw.extensions["micro_wishes"]
        frame = pd.DataFrame({k: w[k] for k in ("posted_h", "community", "work_h", "accepted_h", "fulfilled_h")})
        frame["state"] = pd.Categorical.from_codes(w["state"], categories=list(STATES))
        return {"micro_wishes": frame}
