"""Prevention: hidden (latent) problems, grid patrols that find them, informants who report them.

**Latent problems.** Hazards, illegal construction, broken facilities start hidden in a grid (a
Poisson stream per household, drawn a week at a time from the `latent.*` streams). Each has an
eruption delay (lognormal). A patrol visit of its grid finds it with the detection probability;
an informant reports it after an exponential time whose rate adds up the informant groups (see
below); whatever comes first turns it into a case. Found by a patrol: source "patrol"; by an
informant: source "informant"; the case has its category's routing, work and deadline.
Not found by its eruption time, it erupts as a resident complaint (source "resident_report")
with `eruption_work_factor` times the work and `eruption_deadline_factor` times the deadline.

**Patrols, and the trade-off with case load.** With patrols on, a grid worker who is on shift
and has no queued case walks the next grid of its post (round robin) for `visit_h` of focused
time instead of idling; a grid walked less than `revisit_interval_h` ago is skipped, and if all
the post's grids were, the worker idles until the first is due again. Off shift a worker idles;
at the start of every shift idle workers set out. A visit is not interrupted: a case arriving
during a visit waits in the post's queue until the visit ends (at most `visit_h` of focused
time). So patrol time is what case work leaves: when the case load rises, coverage falls,
without any assumed split.

The split of a shift between cases, patrol, burden and other duties is `time_budget`'s.

**Informants.** Each informant group (couriers, delivery riders, area / group / neighbour chiefs)
has a density (per 1,000 households), a patch (households each one passes), passes per week and
a probability of noticing and reporting a hidden problem on one pass. Informants covering a given
spot: density x patch / 1,000; reports arrive as a Poisson process of rate
sum(covering x passes per week / 168 x report probability) per hour, so the time to the first
report is exponential. Uses the `latent.informant` stream (unit exponentials scaled by the
rate, so doubling informants halves every report delay under common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ..core.arrivals import ArrivalBlock, escalation_bits, escalation_probabilities, work_from_uniform
from ..core.case import cases_of_block
from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import GRID
from ..params.cases import LEVELS
from ..params.derived import informant_rate_per_h
from ..units import HOURS_PER_WEEK, HOURS_PER_YEAR

PENDING, FOUND_PATROL, FOUND_INFORMANT, ERUPTED = 0, 1, 2, 3
OUTCOMES = ("pending", "found_patrol", "found_informant", "erupted")
PATROLLING = object()  # worker.case while a worker walks a grid (not None, so re-posting does not idle it)


@dataclass(slots=True, eq=False)
class LatentProblem:
    """A hidden problem, with the draws that make it a case once it is found or erupts."""

    onset_h: float
    grid: int
    category: int
    erupts_h: float
    u_triage: float
    u_work: np.ndarray  # (3,) uniforms of the work content at each level
    u_escalate: np.ndarray  # (2,)
    u_reopen: float
    department: int
    outcome: int = PENDING
    resolved_h: float = math.nan
    case_id: int = -1


def lognormal_from_uniform(mean: float, cv: float, u: np.ndarray) -> np.ndarray:
    if cv == 0:
        return np.full(len(u), mean)
    sigma2 = math.log1p(cv**2)
    return np.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))


class Prevention(Mechanism):
    """Latent problems, patrols and informants of one replication."""

    name = "prevention"
    section = "patrol"
    kpis = (
        Kpi("patrol_coverage", "share", "higher", "prevention", "Patrol coverage (grid-weeks with a visit)",
            "巡查覆盖率(有巡查的网格周)"),
        Kpi("patrol_visits_per_grid_week", "visits", "higher", "prevention", "Patrol visits per grid per week",
            "每网格每周巡查次数"),
        Kpi("grid_worker_patrol_share", "share", "neither", "prevention", "Share of grid workers' shifts spent on "
                                                                          "patrol",
            "网格员巡查时间占比"),
        Kpi("latent_problems", "problems", "neither", "prevention", "Hidden problems arising", "新生隐患问题数"),
        Kpi("latent_found_before_eruption_share", "share", "higher", "prevention",
            "Hidden problems found before they erupt", "隐患提前发现率"),
        Kpi("latent_erupted", "problems", "lower", "prevention", "Hidden problems that erupted", "隐患爆发数"),
        Kpi("latent_found_by_patrol", "problems", "higher", "prevention", "Hidden problems found by patrols",
            "巡查发现隐患数"),
        Kpi("informant_reports", "problems", "higher", "prevention", "Hidden problems reported by informants",
            "信息员报告隐患数"),
    )

    @classmethod
    def applies(cls, scenario) -> bool:
        return scenario.patrol.enabled or scenario.latent.enabled

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.scenario = s
        self.env = district.env
        self.handling = district.handling
        self.streams = district.streams
        self.territory = district.territory
        self.patrol_on = s.patrol.enabled
        self.latent_on = s.latent.enabled
        n_grids = self.territory.n_grids
        self.n_weeks = math.ceil(district.end_h / HOURS_PER_WEEK) + 1
        self.weekly_visits = np.zeros((self.n_weeks, n_grids), dtype=np.int32) if self.patrol_on else None
        self.visits_in_window = 0
        self.pending: list[list[LatentProblem]] = [[] for _ in range(n_grids)] if self.latent_on else []
        self.problems: list[LatentProblem] = []
        self._posts_of: list | None = None
        self._post_grids: dict = {}
        self._pointer: dict = {}
        self._waking: set = set()
        self.last_visit = np.full(n_grids, -math.inf)
        self.revisit_h = s.patrol.revisit_interval_h
        self.categories = list(s.cases.categories.values())
        self.department_names = list(s.departments)
        names = list(s.cases.categories)
        sources = list(s.cases.sources)
        if self.latent_on:
            self.source_code = {k: sources.index(k) for k in ("patrol", "informant", "resident_report")}
            self.latent_category = np.array([names.index(n) for n in s.latent.categories])
            self.latent_cdf = np.cumsum(list(s.latent.categories.values()))
            self.grid_cdf = np.cumsum(self.territory.grid_load) / float(self.territory.grid_load.sum())
            self.rate_per_week = (s.latent.rate_per_household_per_year * float(self.territory.grid_load.sum())
                                  * HOURS_PER_WEEK / HOURS_PER_YEAR)
            self.informant_rate = informant_rate_per_h(s.informants)
        self.detect = self.streams["patrol.detect"]

    # -- wiring -------------------------------------------------------------------------------

    def attach(self, hooks: Hooks) -> None:
        if self.patrol_on:
            hooks.idle.append(self._on_idle)
            hooks.shift_start.append(self._shift_start)

    def start(self) -> None:
        if self.latent_on:
            self.env.process(self._latent_blocks())

    # -- patrols ------------------------------------------------------------------------------

    def _post_grid_list(self, station) -> list[int]:
        if self._posts_of is not self.handling.grid_station_of:
            self._posts_of = self.handling.grid_station_of
            self._post_grids = {}
            for grid, post in enumerate(self._posts_of):
                self._post_grids.setdefault(post, []).append(grid)
            self._pointer = {}
        return self._post_grids.get(station, [])

    def _on_idle(self, worker) -> bool:
        station = worker.station
        if station.role != GRID or not station.calendar.on_shift(self.env.now):
            return False
        return self._patrol(worker)

    def _patrol(self, worker) -> bool:
        """Send a worker to the next grid of its post not walked within the revisit interval; False if none."""
        station = worker.station
        grids = self._post_grid_list(station)
        if not grids:
            return False
        now = self.env.now
        i = self._pointer.get(station, 0)
        for step in range(len(grids)):
            grid = grids[(i + step) % len(grids)]
            if self.last_visit[grid] <= now - self.revisit_h:
                break
        else:
            self._wake_later(worker, min(self.last_visit[g] for g in grids) + self.revisit_h)
            return False
        self._pointer[station] = (i + step + 1) % len(grids)
        self.last_visit[grid] = now
        worker.case = PATROLLING
        if self.district.window[0] <= now < self.district.window[1]:
            self.visits_in_window += 1
        end = station.calendar.finish(now, self.scenario.patrol.visit_h * station.stretch)
        self.env.timeout(end - now).callbacks.append(lambda event, w=worker, g=grid: self._visit_done(w, g))
        return True

    def _wake_later(self, worker, at: float) -> None:
        """An idle worker whose grids were all walked recently sets out again when one is due."""
        if id(worker) in self._waking:
            return
        self._waking.add(id(worker))
        self.env.timeout(max(0.0, at - self.env.now) + 1e-9).callbacks.append(lambda event, w=worker: self._wake(w))

    def _wake(self, worker) -> None:
        self._waking.discard(id(worker))
        idle = worker.station.idle
        for k, other in enumerate(idle):
            if other is worker:
                if worker.station.calendar.on_shift(self.env.now) and self._patrol(worker):
                    del idle[k]
                return

    def _visit_done(self, worker, grid: int) -> None:
        now = self.env.now
        worker.case = None
        self.weekly_visits[min(int(now // HOURS_PER_WEEK), self.n_weeks - 1), grid] += 1
        if self.latent_on and self.pending[grid]:
            p = self.scenario.patrol.detection_probability
            still = []
            for problem in self.pending[grid]:
                if problem.onset_h <= now and self.detect.random() < p:
                    self._resolve(problem, FOUND_PATROL)
                else:
                    still.append(problem)
            self.pending[grid] = still
        self.handling.next_case(worker)

    def _shift_start(self, calendar) -> None:
        """A shift begins: the idle grid workers of posts on this calendar set out on patrol."""
        for station in dict.fromkeys(self.handling.grid_station_of):  # grid order, never by id
            if station.calendar is not calendar:
                continue
            while station.idle:
                worker = station.idle.pop()
                if not self._patrol(worker):
                    station.idle.append(worker)
                    break

    # -- latent problems ----------------------------------------------------------------------

    def _latent_blocks(self):
        env, s = self.env, self.scenario
        horizon_h = s.horizon_days * 24.0
        week = 0
        while week * HOURS_PER_WEEK < horizon_h:
            start = week * HOURS_PER_WEEK
            length = min(HOURS_PER_WEEK, horizon_h - start)
            self._draw_block(start, length)
            week += 1
            yield env.timeout(min(week * HOURS_PER_WEEK, horizon_h) - env.now)

    def _draw_block(self, start: float, length: float) -> None:
        st, latent = self.streams, self.scenario.latent
        n = int(st["latent.count"].poisson(self.rate_per_week * length / HOURS_PER_WEEK))
        if n == 0:
            return
        onset = np.sort(start + st["latent.onset"].random(n) * length)
        grid = np.minimum(np.searchsorted(self.grid_cdf, st["latent.grid"].random(n), side="right"),
                          len(self.grid_cdf) - 1)
        which = np.minimum(np.searchsorted(self.latent_cdf, st["latent.category"].random(n), side="right"),
                           len(self.latent_cdf) - 1)
        category = self.latent_category[which]
        delay = lognormal_from_uniform(latent.eruption_delay_mean_h, latent.eruption_delay_cv,
                                       st["latent.eruption"].random(n))
        report = st["latent.informant"].exponential(1.0,
                                                    n) / self.informant_rate if self.informant_rate > 0 else np.full(n,
                                                                                                                     np.inf)
        u_triage = st["latent.triage"].random(n)
        u_work = np.column_stack([st[f"latent.work.{name}"].random(n) for name in LEVELS])
        u_esc = np.column_stack([st["latent.escalation.grid"].random(n), st["latent.escalation.community"].random(n)])
        u_reopen = st["latent.reopen"].random(n)
        source = self.district.source
        department = source.department_of(category,
                                          st["latent.department"].random(n) if source.departments_drawn else None)
        for i in range(n):
            problem = LatentProblem(float(onset[i]), int(grid[i]), int(category[i]), float(onset[i] + delay[i]),
                                    float(u_triage[i]), u_work[i], u_esc[i], float(u_reopen[i]), int(department[i]))
            self.problems.append(problem)
            self.pending[problem.grid].append(problem)
            first_h = min(delay[i], report[i])
            how = FOUND_INFORMANT if report[i] < delay[i] else ERUPTED
            self.env.timeout(onset[i] + first_h - self.env.now).callbacks.append(
                lambda event, pr=problem, how=how: self._deadline_event(pr, how))

    def _deadline_event(self, problem: LatentProblem, how: int) -> None:
        if problem.outcome != PENDING:
            return
        pending = self.pending[problem.grid]
        for i, other in enumerate(pending):
            if other is problem:
                del pending[i]
                break
        self._resolve(problem, how)

    def _resolve(self, problem: LatentProblem, how: int) -> None:
        """Turn a latent problem into a case, now."""
        now = self.env.now
        s = self.scenario
        problem.outcome, problem.resolved_h = how, now
        c = problem.category
        spec = self.categories[c]
        routing = np.cumsum(spec.routing.shares())
        level = int((problem.u_triage >= routing[:2]).sum())
        department = self.department_names[problem.department]
        specs = [spec.work.grid, spec.work.community, spec.work_at(department)]
        work = [float(work_from_uniform(specs[j], np.array([problem.u_work[j]]))[0]) for j in range(len(LEVELS))]
        deadline = math.inf if spec.deadline_h is None else spec.deadline_h
        if how == ERUPTED:
            work = [w * s.latent.eruption_work_factor for w in work]
            deadline *= s.latent.eruption_deadline_factor
            source = self.source_code["resident_report"]
        else:
            source = self.source_code["patrol" if how == FOUND_PATROL else "informant"]
        block = ArrivalBlock(
            time=np.array([now]), category=np.array([c]), source=np.array([source]), grid=np.array([problem.grid]),
            level=np.array([level]), department=np.array([problem.department]), due=np.array([now + deadline]),
            work=np.array([work]), u_reopen=np.array([problem.u_reopen]),
            escalates=escalation_bits(np.array([problem.u_escalate]), escalation_probabilities([spec])),
        )
        problem.case_id = self.district.log.add_block(block)
        self.handling.arrive(cases_of_block(block, problem.case_id)[0])

    # -- results ------------------------------------------------------------------------------

    def results(self) -> dict:
        out: dict = {}
        if self.patrol_on:
            out["patrol_weekly_visits"] = self.weekly_visits
            out["patrol_visits_in_window"] = self.visits_in_window
        if self.latent_on:
            rows = self.problems
            out["latent"] = {
                "onset_h": np.array([r.onset_h for r in rows], dtype=float),
                "grid": np.array([r.grid for r in rows], dtype=np.int64),
                "category": np.array([r.category for r in rows], dtype=np.int64),
                "erupts_h": np.array([r.erupts_h for r in rows], dtype=float),
                "outcome": np.array([r.outcome for r in rows], dtype=np.int8),
                "resolved_h": np.array([r.resolved_h for r in rows], dtype=float),
                "case_id": np.array([r.case_id for r in rows], dtype=np.int64),
            }
        return out

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        s, ext = raw.scenario, raw.extensions["prevention"]
        start, end = raw.window_h
        out: dict[str, float] = {}
        if s.patrol.enabled:
            visits = ext["patrol_weekly_visits"]
            weeks = [w for w in range(visits.shape[0])
                     if w * HOURS_PER_WEEK >= start and (w + 1) * HOURS_PER_WEEK <= end]
            out["patrol_coverage"] = float((visits[weeks] > 0).mean()) if weeks else math.nan
            out["patrol_visits_per_grid_week"] = float(visits[weeks].mean()) if weeks else math.nan
            shift = raw.shift_h["grid_worker"]
            patrol_h = ext["patrol_visits_in_window"] * s.patrol.visit_h
            out["grid_worker_patrol_share"] = float(patrol_h / shift) if shift > 0 else math.nan
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
        return out

    @classmethod
    def tables(cls, raw, case_log) -> dict:
        import pandas as pd

        ext = raw.extensions["prevention"]
        if "latent" not in ext:
            return {}
        latent = pd.DataFrame(ext["latent"])
        latent["outcome"] = pd.Categorical.from_codes(latent["outcome"], categories=list(OUTCOMES))
        latent["category"] = pd.Categorical.from_codes(latent["category"], categories=raw.scenario.category_names())
        return {"latent_problems": latent}
