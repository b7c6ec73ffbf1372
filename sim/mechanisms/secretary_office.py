"""Community party secretaries, their succession, and the reserve pool refilled by training cohorts.

Each community has one secretary (社区党组织书记). A serving secretary leaves after an
exponential tenure (resignation and promotion are competing hazards; one stream per community,
so community c's k-th tenure is the same in every scenario), in a promotion round, or at a
general election (换届, `secretaries.elections`): every `term_years` from `next_day`, a share of
the posts drawn between `share_min` and `share_max` changes, and exactly round(share x posts)
vacancies open together on election day (posts chosen at random among the serving ones).

A vacancy is filled from the reserve pool (后备人才) if it holds an eligible candidate: the
oldest one takes office after the filing delay. With `reserve_pool.scope: subdistrict` each
candidate belongs to a subdistrict, which keeps ratio x its communities; a vacancy draws on its
own subdistrict first and, with `transfer: after_delay`, on the subdistrict with the most
eligible candidates after `transfer_delay_days` more (when that is sooner than the search). If
no candidate can be had the vacancy meets a stock-out and an external search starts, which
takes much longer; should a candidate become eligible while the search runs, and take office
sooner, the candidate fills it instead. A candidate is used once. Candidates also leave the
pool (a hazard). Training cohorts start every `interval_days`: a class is sized to bring each
pool, counting those in training and on probation at their pass rates, up to its target, at
most `max_size` in all (the largest shortfalls first); after the class a binomial share passes.
With `readiness` on, a graduate serves `probation_days` and is then vetted (`pass_rate`;
failures leave the pool) before being eligible; part of the initial pool is still on probation.
Candidates not yet eligible are in the pool but cannot fill a post.

While a post is vacant, the community works slower (`vacancy_work_multiplier` slows its station,
so a service started during the vacancy takes longer); with `secretaries.acting` on, a community
worker covers as acting secretary: the community is slowed by the acting multiplier instead, and
that worker takes no cases until the post is filled. A community split off opens a vacancy of its
own. The office runs on any SimPy environment, with or without cases, so it can be studied alone
(`simulate_succession`, the fast `gridgov succession` path); `Succession` is the mechanism that
runs it in the model. New levers draw from their own streams (`secretaries.elections`,
`pool.readiness`), so with them off every other draw is unchanged. No I/O.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import Timeout

from ..core.steps import step_integral
from ..core.streams import Streams
from ..params.people import ReservePool, Secretaries
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR


@dataclass(eq=False)  # identity, not field equality: two vacancies are never the same
class Vacancy:
    """One vacant secretary post, from departure (or creation) to the new secretary taking office."""

    community: int
    start_h: float
    reason: str  # resignation, promotion, promotion_round, election, new_community
    route: str = ""  # pool or search
    fill_due_h: float = math.inf
    filled_h: float = math.nan
    stockout: bool = False  # no eligible candidate it could draw on when it opened
    candidate: int = -1
    candidate_group: int = -1  # the pool (subdistrict, or 0 for the district) the candidate came from
    transfer: bool = False  # filled by a candidate of another subdistrict
    acting: bool = False  # an acting secretary (a community worker) covers it


@dataclass(eq=False)
class Candidate:
    """A reserve candidate: the subdistrict (or the district, group 0) it belongs to, and whether it is eligible."""

    group: int
    ready: bool


class SuccessionOffice:
    """Secretaries, vacancies, the reserve pool and its training cohorts on one SimPy environment.

    `community_group` gives the pool each community draws on first: all 0 for a district-wide
    pool, the community's subdistrict with `scope: subdistrict`.
    """

    def __init__(
        self,
        env: simpy.Environment,
        streams: Streams,
        n_communities: int,
        secretaries: Secretaries,
        pool: ReservePool,
        *,
        community_subdistrict: Sequence[int] | None = None,
        on_vacancy: Callable[[int], None] | None = None,
        on_fill: Callable[[int], None] | None = None,
    ):
        self.env = env
        self.streams = streams
        self.spec = secretaries
        self.pool_spec = pool
        self.on_vacancy = on_vacancy or (lambda community: None)
        self.on_fill = on_fill or (lambda community: None)
        self.departure_rate_per_h = (secretaries.resignation_per_year + secretaries.promotion_per_year) / HOURS_PER_YEAR
        self.promotion_share = (
            secretaries.promotion_per_year / (secretaries.resignation_per_year + secretaries.promotion_per_year)
            if self.departure_rate_per_h > 0 else 0.0
        )
        by_subdistrict = pool.scope == "subdistrict"
        if community_subdistrict is not None and len(community_subdistrict) != n_communities:
            raise ValueError(f"community_subdistrict has {len(community_subdistrict)} entries for {n_communities} "
                             "communities")
        groups = [int(g) for g in community_subdistrict] if by_subdistrict and community_subdistrict is not None \
            else [0] * n_communities
        self.n_groups = max(groups, default=0) + 1
        self.transfers = by_subdistrict and pool.transfer == "after_delay"
        readiness = pool.readiness
        self.vetting_rate = readiness.pass_rate if readiness.enabled else 1.0
        self.n_communities = 0
        self.group_of: list[int] = []
        self.serving: list[bool] = []
        self.tenure: list[int] = []  # bumped at every departure, so a stale departure event is ignored
        self.vacancies: list[Vacancy] = []
        self.waiting: deque[Vacancy] = deque()  # vacancies on an external search, oldest first
        self.pool: dict[int, Candidate] = {}  # every candidate in the pool, eligible or on probation
        self.ready: list[dict[int, None]] = [{} for _ in range(self.n_groups)]  # eligible, by seniority
        self.next_candidate = 0
        self.used: list[int] = []
        self.flows = self._new_flows()
        self.group_flows = [self._new_flows() for _ in range(self.n_groups)]
        self.cohorts: list[tuple[float, int, int]] = []  # (start_h, trainees, passed), one per class
        self.classes: list[tuple[float, int, int, int]] = []  # (start_h, group, trainees, passed)
        self.elections: list[tuple[float, float, int]] = []  # (t_h, share drawn, posts opened)
        self.in_training_expected = [0.0] * self.n_groups
        self.in_training = [0] * self.n_groups
        self.log: dict[str, list] = {name: [] for name in (
            "t_h", "communities", "secretaries", "secretary_vacancies", "reserve_pool", "candidates_in_training",
            "candidates_on_probation")}
        self._add_posts(groups, vacant=False)
        initial_ratio = pool.initial_ratio if pool.initial_ratio is not None else pool.ratio_to_communities
        for group in range(self.n_groups):
            for _ in range(round(initial_ratio * self.posts_in(group))):
                self._join_pool(group, initial=True)
        for group, flows in enumerate(self.group_flows):
            flows["initial"] = sum(1 for c in self.pool.values() if c.group == group)
        self.flows["initial"] = len(self.pool)
        self._record()

    @staticmethod
    def _new_flows() -> dict[str, int]:
        return {"initial": 0, "graduated": 0, "used": 0, "left": 0, "failed_vetting": 0, "transferred_out": 0,
                "transferred_in": 0}

    # -- public ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the training cohorts and the elections (departures are scheduled as posts are filled)."""
        if self.pool_spec.ratio_to_communities > 0:
            self.env.process(self._cohorts())
        if self.spec.promotion_round_interval_days is not None and self.spec.promotion_round_share > 0:
            self.env.process(self._promotion_rounds())
        if self.spec.elections.on:
            self.env.process(self._elections())

    def _promotion_rounds(self):
        """Recruitment rounds (seed 004): each serving secretary is promoted with the round's share."""
        interval_h = self.spec.promotion_round_interval_days * HOURS_PER_DAY
        rng = self.streams["secretaries.promotion_rounds"]
        while True:
            yield self.env.timeout(interval_h)
            chosen = rng.random(self.n_communities) < self.spec.promotion_round_share
            for community in np.flatnonzero(chosen).tolist():
                if self.serving[community]:
                    self._leave_post(community, "promotion_round")

    def _elections(self):
        """General elections (换届): a drawn share of the posts changes at once; the vacancies open together."""
        spec = self.spec.elections
        rng = self.streams["secretaries.elections"]
        yield self.env.timeout(spec.next_day * HOURS_PER_DAY)
        while True:
            share = float(rng.uniform(spec.share_min, spec.share_max))
            serving = [c for c in range(self.n_communities) if self.serving[c]]
            k = min(round(share * self.n_communities), len(serving))
            chosen = sorted(rng.choice(serving, size=k, replace=False).tolist()) if k else []
            self.elections.append((self.env.now, share, len(chosen)))
            for community in chosen:
                self._leave_post(community, "election")
            yield self.env.timeout(spec.term_years * HOURS_PER_YEAR)

    def add_communities(self, n: int, subdistricts: Sequence[int] | None = None) -> list[int]:
        """New communities (after a split): each needs a secretary, so each opens a vacancy."""
        first = self.n_communities
        groups = [0] * n
        if self.n_groups > 1 and subdistricts is not None:
            groups = [int(g) for g in subdistricts]
        self._add_posts(groups, vacant=True)
        self._record()
        return list(range(first, first + n))

    def posts_in(self, group: int) -> int:
        return sum(1 for g in self.group_of if g == group)

    def target_of(self, group: int) -> int:
        return round(self.pool_spec.ratio_to_communities * self.posts_in(group))

    @property
    def target(self) -> int:
        return round(self.pool_spec.ratio_to_communities * self.n_communities)

    def ready_count(self, group: int | None = None) -> int:
        if group is None:
            return sum(len(r) for r in self.ready)
        return len(self.ready[group])

    # -- secretaries ----------------------------------------------------------------------------

    def _add_posts(self, groups: list[int], vacant: bool) -> None:
        for group in groups:
            community = self.n_communities
            self.n_communities += 1
            self.group_of.append(group)
            self.serving.append(False)
            self.tenure.append(0)
            if vacant:
                self._vacate(community, "new_community")
            else:
                self._take_office(community)

    def _take_office(self, community: int) -> None:
        self.serving[community] = True
        if self.departure_rate_per_h <= 0:
            return
        rng = self.streams[f"secretaries.departures.{community}"]
        tenure_h = rng.exponential(1.0 / self.departure_rate_per_h)
        reason = "promotion" if rng.random() < self.promotion_share else "resignation"
        Timeout(self.env, tenure_h, (community, reason, self.tenure[community])).callbacks.append(self._depart)

    def _depart(self, event: Timeout) -> None:
        community, reason, tenure = event.value
        if tenure != self.tenure[community] or not self.serving[community]:
            return  # this secretary already left in a promotion round or at an election
        self._leave_post(community, reason)

    def _leave_post(self, community: int, reason: str) -> None:
        self.tenure[community] += 1
        self.serving[community] = False
        self._vacate(community, reason)
        self._record()

    def _vacate(self, community: int, reason: str) -> None:
        vacancy = Vacancy(community, self.env.now, reason, acting=self.spec.acting.enabled)
        self.vacancies.append(vacancy)
        self.serving[community] = False
        self.on_vacancy(community)
        group = self.group_of[community]
        donor = self._donor(group) if self._transfer_sooner(self.env.now + self.spec.search_delay_days
                                                            * HOURS_PER_DAY) else None
        if self.ready[group]:
            self._appoint(vacancy, group)
        elif donor is not None:
            self._appoint(vacancy, donor)
        else:
            vacancy.stockout = True
            vacancy.route = "search"
            self._schedule_fill(vacancy, self.spec.search_delay_days * HOURS_PER_DAY)
            self.waiting.append(vacancy)

    def _transfer_sooner(self, due_h: float) -> bool:
        """Whether a candidate of another subdistrict would take office before `due_h`."""
        delay = (self.spec.filing_delay_days + self.pool_spec.transfer_delay_days) * HOURS_PER_DAY
        return self.transfers and self.env.now + delay < due_h

    def _donor(self, group: int) -> int | None:
        """The other subdistrict with the most eligible candidates (the lowest index on a tie), if any has one."""
        best = None
        for other, ready in enumerate(self.ready):
            if other != group and ready and (best is None or len(ready) > len(self.ready[best])):
                best = other
        return best

    def _appoint(self, vacancy: Vacancy, group: int) -> None:
        """The oldest eligible candidate of `group` takes the post after the filing (and any transfer) delay."""
        vacancy.route = "pool"
        vacancy.candidate = self._take_candidate(group)
        vacancy.candidate_group = group
        home = self.group_of[vacancy.community]
        vacancy.transfer = group != home
        delay = self.spec.filing_delay_days
        if vacancy.transfer:
            delay += self.pool_spec.transfer_delay_days
            self.group_flows[group]["transferred_out"] += 1
            self.group_flows[home]["transferred_in"] += 1
        self._schedule_fill(vacancy, delay * HOURS_PER_DAY)

    def _schedule_fill(self, vacancy: Vacancy, delay_h: float) -> None:
        vacancy.fill_due_h = self.env.now + delay_h
        Timeout(self.env, delay_h, (vacancy, vacancy.fill_due_h)).callbacks.append(self._fill)

    def _fill(self, event: Timeout) -> None:
        vacancy, due = event.value
        if due != vacancy.fill_due_h or not math.isnan(vacancy.filled_h):
            return  # superseded by a faster route
        vacancy.filled_h = self.env.now
        if vacancy in self.waiting:
            self.waiting.remove(vacancy)
        self._take_office(vacancy.community)
        self.on_fill(vacancy.community)
        self._record()

    # -- reserve pool ---------------------------------------------------------------------------

    def _join_pool(self, group: int, initial: bool = False) -> int:
        candidate = self.next_candidate
        self.next_candidate += 1
        readiness = self.pool_spec.readiness
        self.pool[candidate] = Candidate(group, ready=not readiness.enabled)
        if self.pool_spec.leave_per_year > 0:
            stay_h = self.streams["pool.leaving"].exponential(HOURS_PER_YEAR / self.pool_spec.leave_per_year)
            Timeout(self.env, stay_h, candidate).callbacks.append(self._leave_pool)
        if not readiness.enabled:
            self.ready[group][candidate] = None
            return candidate
        rng = self.streams["pool.readiness"]
        probation_h = readiness.probation_days * HOURS_PER_DAY
        if initial:
            if rng.random() < readiness.initial_ready_share:
                self._become_ready(candidate)
                return candidate
            probation_h *= rng.random()  # part-way through probation on day 0
        Timeout(self.env, probation_h, candidate).callbacks.append(self._probation_ends)
        return candidate

    def _probation_ends(self, event: Timeout) -> None:
        candidate = event.value
        found = self.pool.get(candidate)
        if found is None:
            return  # left the pool during probation
        if self.streams["pool.readiness"].random() < self.pool_spec.readiness.pass_rate:
            self._become_ready(candidate)
            self._serve_waiting_search(found.group)
        else:
            del self.pool[candidate]
            self.flows["failed_vetting"] += 1
            self.group_flows[found.group]["failed_vetting"] += 1
        self._record()

    def _become_ready(self, candidate: int) -> None:
        found = self.pool[candidate]
        found.ready = True
        self.ready[found.group][candidate] = None

    def _leave_pool(self, event: Timeout) -> None:
        found = self.pool.pop(event.value, None)
        if found is not None:
            self.ready[found.group].pop(event.value, None)
            self.flows["left"] += 1
            self.group_flows[found.group]["left"] += 1
            self._record()

    def _take_candidate(self, group: int) -> int:
        candidate = next(iter(self.ready[group]))
        del self.ready[group][candidate]
        del self.pool[candidate]
        self.used.append(candidate)
        self.flows["used"] += 1
        self.group_flows[group]["used"] += 1
        return candidate

    def _graduate(self, group: int, passed: int) -> None:
        for _ in range(passed):
            self._join_pool(group)
            self.flows["graduated"] += 1
            self.group_flows[group]["graduated"] += 1
            if not self.pool_spec.readiness.enabled:
                self._serve_waiting_search(group)

    def _serve_waiting_search(self, group: int) -> None:
        """A newly eligible candidate fills the oldest search-route vacancy it can fill sooner than the search:
        in its own subdistrict first, then (with transfers) in another one."""
        sooner = self.env.now + self.spec.filing_delay_days * HOURS_PER_DAY
        for vacancy in self.waiting:
            if self.group_of[vacancy.community] == group and sooner < vacancy.fill_due_h:
                self.waiting.remove(vacancy)
                self._appoint(vacancy, group)
                return
        for vacancy in self.waiting:
            if self._transfer_sooner(vacancy.fill_due_h):
                self.waiting.remove(vacancy)
                self._appoint(vacancy, group)
                return

    def _shortfall(self, group: int) -> float:
        """The target less the eligible candidates, those on probation at the vetting rate, and the trainees at
        both pass rates."""
        on_probation = sum(1 for c in self.pool.values() if c.group == group and not c.ready)
        return (self.target_of(group) - len(self.ready[group]) - on_probation * self.vetting_rate
                - self.in_training_expected[group])

    def _cohorts(self):
        spec = self.pool_spec.cohorts
        env = self.env
        rate = spec.pass_rate * self.vetting_rate
        if spec.first_day > 0:
            yield env.timeout(spec.first_day * HOURS_PER_DAY)
        while True:
            shortfalls = [self._shortfall(g) for g in range(self.n_groups)]
            seats = spec.max_size
            sizes = [0] * self.n_groups
            for group in sorted(range(self.n_groups), key=lambda g: -shortfalls[g]):  # stable: lowest index on a tie
                if shortfalls[group] > 0 and seats > 0:
                    sizes[group] = min(seats, math.ceil(shortfalls[group] / rate - 1e-9))
                    seats -= sizes[group]
            if any(sizes):
                passed = [int(self.streams["pool.cohorts"].binomial(n, spec.pass_rate)) if n else 0 for n in sizes]
                self.cohorts.append((env.now, sum(sizes), sum(passed)))
                for group, (n, p) in enumerate(zip(sizes, passed, strict=True)):
                    if n:
                        self.classes.append((env.now, group, n, p))
                        self.in_training[group] += n
                        self.in_training_expected[group] += n * rate
                Timeout(env, spec.duration_days * HOURS_PER_DAY, (sizes, passed)).callbacks.append(self._class_ends)
                self._record()
            yield env.timeout(spec.interval_days * HOURS_PER_DAY)

    def _class_ends(self, event: Timeout) -> None:
        sizes, passed = event.value
        rate = self.pool_spec.cohorts.pass_rate * self.vetting_rate
        for group, (n, p) in enumerate(zip(sizes, passed, strict=True)):
            if not n:
                continue
            self.in_training[group] -= n
            self.in_training_expected[group] -= n * rate
            if self.in_training[group] == 0:
                self.in_training_expected[group] = 0.0  # no float drift once nobody is in training
            self._graduate(group, p)
        self._record()

    # -- record ---------------------------------------------------------------------------------

    def _record(self) -> None:
        log = self.log
        serving = sum(self.serving)
        ready = self.ready_count()
        for name, value in (
            ("t_h", self.env.now), ("communities", self.n_communities), ("secretaries", serving),
            ("secretary_vacancies", self.n_communities - serving), ("reserve_pool", ready),
            ("candidates_in_training", sum(self.in_training)), ("candidates_on_probation", len(self.pool) - ready),
        ):
            log[name].append(value)


# --------------------------------------------------------------------------- measures


def succession_measures(office: SuccessionOffice, window_h: tuple[float, float]) -> dict[str, float]:
    """Secretary vacancy and reserve pool KPIs over the window [a, b).

    A stock-out is a vacancy that found no eligible candidate it could draw on (it went to the
    external search). "At an election": the chance that the posts opened at one election meet
    at least one stock-out, over the elections in the window (NaN without one); "between
    elections": the chance that a vacancy opened on any other day meets one, in the window.
    The longest vacancy counts a post still vacant at the end of the window up to that end.
    """
    a, b = window_h
    log = {name: np.asarray(values, dtype=float) for name, values in office.log.items()}
    t = log["t_h"]
    # Several changes at one instant: the last one holds.
    keep = np.append(t[1:] != t[:-1], True)
    t = t[keep]
    community_years = step_integral(t, log["communities"][keep], a, b) / HOURS_PER_YEAR
    vacancy_days = step_integral(t, log["secretary_vacancies"][keep], a, b) / HOURS_PER_DAY
    pool = log["reserve_pool"][keep]
    empty_days = step_integral(t, (pool == 0).astype(float), a, b) / HOURS_PER_DAY
    opened = [v for v in office.vacancies if a <= v.start_h < b]
    fill_days = np.array([(v.filled_h - v.start_h) / HOURS_PER_DAY for v in opened if not math.isnan(v.filled_h)])
    trainees = sum(size for start, size, _ in office.cohorts if a <= start < b)
    election_times = [when for when, _, _ in office.elections if a <= when < b]
    at_election = [any(v.stockout for v in opened if v.reason == "election" and v.start_h == when)
                   for when in election_times]
    between = [v for v in opened if v.reason != "election"]
    live = [v for v in office.vacancies if v.start_h < b and (math.isnan(v.filled_h) or v.filled_h > a)]
    spans = [((b if math.isnan(v.filled_h) else min(v.filled_h, b)) - max(v.start_h, a)) / HOURS_PER_DAY
             for v in live]
    acting_days = sum(span for v, span in zip(live, spans, strict=True) if v.acting)
    per_community_year = (lambda days: days / community_years) if community_years > 0 else (lambda days: math.nan)
    return {
        "secretary_vacancy_days_per_community_year": per_community_year(vacancy_days),
        "secretary_vacancies_opened": float(len(opened)),
        "secretary_time_to_fill_mean_days": float(fill_days.mean()) if len(fill_days) else math.nan,
        "secretary_time_to_fill_p90_days": float(np.quantile(fill_days, 0.9)) if len(fill_days) else math.nan,
        "secretary_longest_vacancy_days": max(spans, default=0.0),
        "secretary_acting_days_per_community_year": per_community_year(acting_days),
        "reserve_pool_stockout_probability": float(any(v.stockout for v in opened)),
        "reserve_pool_stockout_probability_election": float(np.mean(at_election)) if at_election else math.nan,
        "reserve_pool_stockout_probability_between": float(any(v.stockout for v in between)),
        "reserve_pool_stockouts": float(sum(v.stockout for v in opened)),
        "reserve_pool_stockout_days": empty_days,
        "reserve_pool_transfers": float(sum(v.transfer for v in opened)),
        "reserve_pool_mean": step_integral(t, pool, a, b) / (b - a),
        "reserve_pool_trainees": float(trainees),
    }


def simulate_succession(
    secretaries: Secretaries,
    pool: ReservePool,
    n_communities: int,
    days: float,
    seed: int = 0,
    replication: int = 0,
    community_subdistrict: Sequence[int] | None = None,
) -> SuccessionOffice:
    """Run the succession process alone (no cases) for `days`; cheap, for studies and tests."""
    env = simpy.Environment()
    office = SuccessionOffice(env, Streams(seed, replication), n_communities, secretaries, pool,
                              community_subdistrict=community_subdistrict)
    office.start()
    env.run(until=days * HOURS_PER_DAY)
    return office
