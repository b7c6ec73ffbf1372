"""Community party secretaries, their succession, and the reserve pool refilled by training cohorts.

Each community has one secretary (社区党组织书记). A serving secretary leaves after an
exponential tenure (resignation and promotion are competing hazards; one stream per community,
so community c's k-th tenure is the same in every scenario). A vacancy is filled from the
reserve pool (后备人才) if it holds a candidate: the oldest candidate takes office after the
filing delay. If the pool is empty the vacancy meets a stock-out and an external search starts,
which takes much longer; should a trained candidate join the pool while the search runs, and
take office sooner through the filing route, the candidate fills it instead. A candidate is
used once. Candidates also leave the pool (a hazard). Training cohorts start every
`interval_days`: a cohort is sized to bring the pool, counting those already in training at
their pass rate, up to its target (ratio x communities), at most `max_size`; after the class,
a binomial share passes and joins the pool.

While a post is vacant, the community works slower (`vacancy_work_multiplier` slows its station,
so a service started during the vacancy takes longer); a community split off opens a vacancy
of its own. The office runs on any SimPy environment, with or without cases, so it can be
studied alone (`simulate_succession`); `Succession` is the mechanism that runs it in the model.
No I/O.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import Timeout

from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.steps import step_at, step_integral
from ..core.streams import Streams
from ..params.people import ReservePool, Secretaries
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR


@dataclass(eq=False)  # identity, not field equality: two vacancies are never the same
class Vacancy:
    """One vacant secretary post, from departure (or creation) to the new secretary taking office."""

    community: int
    start_h: float
    reason: str  # resignation, promotion, new_community
    route: str = ""  # pool or search
    fill_due_h: float = math.inf
    filled_h: float = math.nan
    stockout: bool = False  # the pool was empty when the vacancy opened
    candidate: int = -1


class SuccessionOffice:
    """Secretaries, vacancies, the reserve pool and its training cohorts on one SimPy environment."""

    def __init__(
        self,
        env: simpy.Environment,
        streams: Streams,
        n_communities: int,
        secretaries: Secretaries,
        pool: ReservePool,
        *,
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
        self.n_communities = 0
        self.serving: list[bool] = []
        self.tenure: list[int] = []  # bumped at every departure, so a stale departure event is ignored
        self.vacancies: list[Vacancy] = []
        self.waiting: deque[Vacancy] = deque()  # vacancies on an external search, oldest first
        self.pool: dict[int, float] = {}  # candidate id -> time joined (insertion order = seniority)
        self.next_candidate = 0
        self.used: list[int] = []
        self.flows = {"initial": 0, "graduated": 0, "used": 0, "left": 0}
        self.cohorts: list[tuple[float, int, int]] = []  # (start_h, trainees, passed)
        self.in_training_expected = 0.0
        self.in_training = 0
        self.log: dict[str, list] = {name: [] for name in (
            "t_h", "communities", "secretaries", "secretary_vacancies", "reserve_pool", "candidates_in_training")}
        self._add_posts(n_communities, vacant=False)
        initial_ratio = pool.initial_ratio if pool.initial_ratio is not None else pool.ratio_to_communities
        for _ in range(round(initial_ratio * n_communities)):
            self._join_pool()
        self.flows["initial"] = len(self.pool)
        self._record()

    # -- public ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the training cohorts (departures are scheduled as posts are filled)."""
        if self.pool_spec.ratio_to_communities > 0:
            self.env.process(self._cohorts())
        if self.spec.promotion_round_interval_days is not None and self.spec.promotion_round_share > 0:
            self.env.process(self._promotion_rounds())

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

    def add_communities(self, n: int) -> list[int]:
        """New communities (after a split): each needs a secretary, so each opens a vacancy."""
        first = self.n_communities
        self._add_posts(n, vacant=True)
        self._record()
        return list(range(first, first + n))

    @property
    def target(self) -> int:
        return round(self.pool_spec.ratio_to_communities * self.n_communities)

    # -- secretaries ----------------------------------------------------------------------------

    def _add_posts(self, n: int, vacant: bool) -> None:
        for _ in range(n):
            community = self.n_communities
            self.n_communities += 1
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
            return  # this secretary already left in a promotion round
        self._leave_post(community, reason)

    def _leave_post(self, community: int, reason: str) -> None:
        self.tenure[community] += 1
        self.serving[community] = False
        self._vacate(community, reason)
        self._record()

    def _vacate(self, community: int, reason: str) -> None:
        vacancy = Vacancy(community, self.env.now, reason)
        self.vacancies.append(vacancy)
        self.serving[community] = False
        self.on_vacancy(community)
        if self.pool:
            self._appoint(vacancy, self._take_candidate())
        else:
            vacancy.stockout = True
            vacancy.route = "search"
            self._schedule_fill(vacancy, self.spec.search_delay_days * HOURS_PER_DAY)
            self.waiting.append(vacancy)

    def _appoint(self, vacancy: Vacancy, candidate: int) -> None:
        vacancy.route = "pool"
        vacancy.candidate = candidate
        self._schedule_fill(vacancy, self.spec.filing_delay_days * HOURS_PER_DAY)

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

    def _join_pool(self) -> None:
        candidate = self.next_candidate
        self.next_candidate += 1
        self.pool[candidate] = self.env.now
        if self.pool_spec.leave_per_year > 0:
            stay_h = self.streams["pool.leaving"].exponential(HOURS_PER_YEAR / self.pool_spec.leave_per_year)
            Timeout(self.env, stay_h, candidate).callbacks.append(self._leave_pool)

    def _leave_pool(self, event: Timeout) -> None:
        if self.pool.pop(event.value, None) is not None:
            self.flows["left"] += 1
            self._record()

    def _take_candidate(self) -> int:
        candidate = next(iter(self.pool))
        del self.pool[candidate]
        self.used.append(candidate)
        self.flows["used"] += 1
        return candidate

    def _graduate(self, passed: int) -> None:
        for _ in range(passed):
            self._join_pool()
            self.flows["graduated"] += 1
            self._serve_waiting_search()

    def _serve_waiting_search(self) -> None:
        """A new candidate fills the oldest search-route vacancy it can fill sooner than the search."""
        sooner = self.env.now + self.spec.filing_delay_days * HOURS_PER_DAY
        for vacancy in self.waiting:
            if sooner < vacancy.fill_due_h:
                self.waiting.remove(vacancy)
                self._appoint(vacancy, self._take_candidate())
                return

    def _cohorts(self):
        spec = self.pool_spec.cohorts
        env = self.env
        if spec.first_day > 0:
            yield env.timeout(spec.first_day * HOURS_PER_DAY)
        while True:
            shortfall = self.target - len(self.pool) - self.in_training_expected
            if shortfall > 0:
                size = min(spec.max_size, math.ceil(shortfall / spec.pass_rate - 1e-9))
                passed = int(self.streams["pool.cohorts"].binomial(size, spec.pass_rate))
                self.cohorts.append((env.now, size, passed))
                self.in_training += size
                self.in_training_expected += size * spec.pass_rate
                Timeout(env, spec.duration_days * HOURS_PER_DAY, (size, passed)).callbacks.append(self._class_ends)
                self._record()
            yield env.timeout(spec.interval_days * HOURS_PER_DAY)

    def _class_ends(self, event: Timeout) -> None:
        size, passed = event.value
        self.in_training -= size
        self.in_training_expected -= size * self.pool_spec.cohorts.pass_rate
        if self.in_training == 0:
            self.in_training_expected = 0.0  # no float drift once nobody is in training
        self._graduate(passed)
        self._record()

    # -- record ---------------------------------------------------------------------------------

    def _record(self) -> None:
        log = self.log
        serving = sum(self.serving)
        for name, value in (
            ("t_h", self.env.now), ("communities", self.n_communities), ("secretaries", serving),
            ("secretary_vacancies", self.n_communities - serving), ("reserve_pool", len(self.pool)),
            ("candidates_in_training", self.in_training),
        ):
            log[name].append(value)


# --------------------------------------------------------------------------- measures


def succession_measures(office: SuccessionOffice, window_h: tuple[float, float]) -> dict[str, float]:
    """Secretary vacancy and reserve pool KPIs over the window [a, b)."""
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
    return {
        "secretary_vacancy_days_per_community_year": vacancy_days / community_years if community_years > 0
        else math.nan,
        "secretary_vacancies_opened": float(len(opened)),
        "secretary_time_to_fill_mean_days": float(fill_days.mean()) if len(fill_days) else math.nan,
        "secretary_time_to_fill_p90_days": float(np.quantile(fill_days, 0.9)) if len(fill_days) else math.nan,
        "reserve_pool_stockout_probability": float(any(v.stockout for v in opened)),
        "reserve_pool_stockouts": float(sum(v.stockout for v in opened)),
        "reserve_pool_stockout_days": empty_days,
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
) -> SuccessionOffice:
    """Run the succession process alone (no cases) for `days`; cheap, for studies and tests."""
    env = simpy.Environment()
    office = SuccessionOffice(env, Streams(seed, replication), n_communities, secretaries, pool)
    office.start()
    env.run(until=days * HOURS_PER_DAY)
    return office


class Succession(Mechanism):
    """The secretaries and the reserve pool of one replication, slowing a community while its post is vacant."""

    name = "succession"
    section = "secretaries"
    kpis = (
        Kpi("secretary_vacancy_days_per_community_year", "days", "lower", "workforce",
            "Secretary vacancy days per community-year", "书记岗位空缺天数(每社区每年)"),
        Kpi("secretary_vacancies_opened", "vacancies", "neither", "workforce", "Secretary vacancies opened",
            "书记岗位出缺次数"),
        Kpi("secretary_time_to_fill_mean_days", "days", "lower", "workforce", "Mean time to fill a secretary vacancy "
                                                                              "(days)",
            "书记空缺平均补齐天数"),
        Kpi("secretary_time_to_fill_p90_days", "days", "lower", "workforce",
            "90th percentile time to fill a secretary vacancy (days)", "书记空缺补齐天数(90分位)"),
        Kpi("reserve_pool_stockout_probability", "share", "lower", "workforce", "Chance the reserve pool runs dry",
            "后备人才库断档概率"),
        Kpi("reserve_pool_stockouts", "vacancies", "lower", "workforce", "Vacancies that found the reserve pool empty",
            "遇后备人才库为空的空缺数"),
        Kpi("reserve_pool_stockout_days", "days", "lower", "workforce", "Days the reserve pool is empty",
            "后备人才库为空天数"),
        Kpi("reserve_pool_mean", "people", "neither", "workforce", "Reserve pool candidates on average",
            "后备人才平均储备人数"),
        Kpi("reserve_pool_trainees", "people", "neither", "workforce", "Reserve pool trainees", "后备人才培训人数"),
    )

    @classmethod
    def applies(cls, scenario) -> bool:
        return True  # every community has a secretary; with no departures nothing happens and nothing is drawn

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.multiplier = s.secretaries.vacancy_work_multiplier
        self.office = SuccessionOffice(district.env, district.streams, district.territory.n_communities, s.secretaries,
                                       s.reserve_pool, on_vacancy=self._vacant, on_fill=self._filled)

    def attach(self, hooks: Hooks) -> None:
        hooks.communities_added.append(lambda new, parent: self.office.add_communities(len(new)))

    def start(self) -> None:
        self.office.start()

    def _vacant(self, community: int) -> None:
        self.district.community_stations[community].set_factor(self.name, self.multiplier)

    def _filled(self, community: int) -> None:
        self.district.community_stations[community].set_factor(self.name, 1.0)

    def results(self) -> dict:
        return {"measures": succession_measures(self.office, self.district.window)}

    def series(self, at: np.ndarray) -> dict[str, np.ndarray]:
        log = self.office.log
        t = np.asarray(log["t_h"], dtype=float)
        return {name: step_at(t, np.asarray(log[name]), at) for name in (
            "communities", "secretaries", "secretary_vacancies", "reserve_pool", "candidates_in_training")}

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        return dict(raw.extensions["succession"]["measures"])
