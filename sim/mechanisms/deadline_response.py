"""Deadlines that act (限时办理): how departments, and optionally grid and community workers, respond to limits.

Without this mechanism a deadline only measures (the yardstick): the same cases close at the
same times whatever the limit. With it, each response is a lever of its own
(`params.deadlines`), acting at the stations of the levels in `levels` (the departments only,
unless a scenario adds grid and community workers, whose cases carry their categories' limits):

- **overtime** (deadline pressure on effort): every `check_h` a department looks at its queue;
  when the cases waiting with less than `trigger_slack_h` left (overdue ones included) reach
  `trigger_cases_per_staff` per head, the services it starts carry `share` hours of overtime per
  shift hour, so a case takes 1 / (1 + share) of its shift time, until the week's overtime reaches
  `cap_hours_per_staff_week` per head (a service that would pass the cap gets only what is left);
  paid at `yuan_per_hour`. A grid post or a community's workers judge the same trigger whenever
  one of them starts a case, on the cases in hand and queued there (a post has a few cases, and a
  worker knows them; an hourly look at thousands of posts would cost more than it tells);
- **compression** (quality): a case started with slack s < `slack_h` is compressed by
  c = 1 - s / slack_h (1 when due or overdue): it takes (1 - speedup x c) of its time, and the
  resident rejects its result with probability p + (p_full - p) x c, p_full being
  `compression.reopen_probability`, at the same uniform draw as before (common random numbers);
- **supervision** (督办 that escalates, departments only): a case waiting past its due time is
  flagged to the level above; while some case has waited `reinforce_after_h` past its due time
  the department gets `reinforce_staff` supervisors who take cases; the flagged cases count
  against the three-level scorecards of their grid, community and subdistrict (column
  `supervised`, `analysis.scorecards`). The supervisors' time is accounted apart
  (`time_budget.time_use`, row `supervisor`): from their arrival until they are withdrawn or,
  if busy then, until the case in hand is done; their case work is taken out of the
  department's, so the department's own shift balances without them.

- **partial pacing** (working to the deadline, some cases only): a share `pacing.share` of the
  cases with a deadline reaching a responding station is put aside (hook `hold`) until its slack,
  the working hours left before due less the work its category is expected to need there, falls
  to `pacing.start_slack_h` (negative: that many working hours past due), give or take half of
  `pacing.start_slack_spread_h`; it then joins the station's queue like any case (at the
  departments of `pacing.departments` only, when it names some). Which cases are
  paced is decided by a uniform per case id from the `deadline_response.pacing` stream, so a
  larger share paces the same cases and more, and no other draw moves; the spread draws its own
  uniform per case id (`deadline_response.pacing_spread`). A case is paced at most
  once (not again when whistled again or reworked), and one that arrives with less slack is not
  held. Its closures bunch around the due time, while the others close when they would.

Slack-driven pacing of every case is a queue discipline (`dispatch.queue_discipline: lsf`,
`start_slack_h`), not part of this mechanism; it holds at the departments, and at grid and
community stations when their levels respond (`core.district`). The other responses are rules on
the clock and draw no random numbers;
the KPIs `deadline_spike_ratio` and `deadline_drop_ratio` (closures just before against just
after the due time, `core.outcomes.deadline_ratios`) show whether a log's closures cluster
before the deadline, and `on_time_rate_common_yardstick` measures every scenario's whistled
cases against one limit, so that the behaviour part of an on-time difference can be told from
the yardstick part (`analysis.behaviour.yardstick_split`).
"""

from __future__ import annotations

import math

import numpy as np
from simpy.events import Timeout

from ..core import outcomes
from ..core.case import Case
from ..core.hooks import Hooks, Mechanism
from ..core.outcomes import Kpi
from ..core.stations import COMMUNITY, DEPARTMENT, GRID, ROLES, Station, Worker
from ..params.calendar import week_hours
from ..units import HOURS_PER_WEEK, HOURS_PER_YEAR

LEVEL_ROLES = {"grid": GRID, "community": COMMUNITY, "department": DEPARTMENT}
TIME_RESOLUTION_DIGITS = 6  # hours to a millionth (3.6 ms): far below any slack the responses compare


def longest_span_h(calendar, work_h: float) -> float:
    """An upper bound on the hours from a start to the end of `work_h` working hours on a weekly calendar.

    Every 168 hours hold the week's working hours, so work_h of them are done within
    ceil(work_h / week_hours) weeks; an hour's margin covers the rounding of the calendar's arithmetic.
    """
    if calendar.always:
        return work_h + 1.0
    return HOURS_PER_WEEK * (work_h / calendar.week_hours + 1.0) + 1.0


def time_left(due: float, now: float) -> float:
    """Hours from `now` to `due`, rounded to a millionth of an hour.

    A case started the instant it is whistled has exactly its limit left, but (arrival + limit) -
    arrival is the limit only up to one rounding error of either sign. Unrounded, a 24 h limit
    against a 24 h threshold would count about one such case in thirteen as "under 24 h left" at
    random, and which ones would move with the last bit of an arrival time (a numpy release).
    """
    return round(due - now, TIME_RESOLUTION_DIGITS)


class PerCaseUniform:
    """One uniform draw per case id from a stream, drawn in blocks as ids come: `u[case_id]`.

    numpy draws its doubles in sequence, so the k-th uniform is case k's however the blocks fall: the
    draw of a case does not depend on which cases asked before it.
    """

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.drawn = np.empty(0)

    def __getitem__(self, case_id: int) -> float:
        drawn = self.drawn
        if case_id >= len(drawn):
            self.drawn = drawn = np.concatenate(
                [drawn, self.rng.random(max(case_id + 1 - len(drawn), len(drawn), self.BLOCK))])
        return float(drawn[case_id])


class DeadlineResponse(Mechanism):
    """Overtime, compression and escalating supervision at the department stations."""

    name = section = "deadline_response"
    kpis = (
        Kpi("overtime_hours_per_staff_week", "h", "lower", "workload",
            "Overtime per department staff member per week (h)", "职能部门人均每周加班时数"),
        Kpi("annual_cost_overtime_yuan", "yuan/year", "lower", "cost", "Overtime pay (yuan a year)",
            "加班费(元/年)"),
        Kpi("compressed_share", "share", "neither", "flow", "Whistled services started under compression",
            "压缩办理的派单案件比例"),
        Kpi("supervised_cases", "cases", "lower", "service", "Overdue cases flagged for supervision (督办)",
            "超期督办案件数"),
        Kpi("reinforced_cases", "cases", "lower", "service", "Cases overdue long enough to bring in reinforcement",
            "超期升级督办案件数"),
        Kpi("supervisor_hours_per_week", "h", "neither", "workload", "Supervisor hours sent to departments per week",
            "每周增派督办人员时数"),
        Kpi("deadline_spike_ratio", "ratio", "neither", "service",
            "Closures in the last tenth before due / the tenth before", "截止前最后十分之一时段结案数/前一时段"),
        Kpi("deadline_drop_ratio", "ratio", "neither", "service",
            "Closures in the first tenth after due / the last tenth before",
            "超期后首个十分之一时段结案数/截止前最后时段"),
        Kpi("whistled_ttc_mean_h", "h", "lower", "service", "Whistled cases: mean time from whistle to close (h)",
            "派单案件自派单至办结平均时间(小时)"),
        Kpi("whistled_ttc_p90_h", "h", "lower", "service", "Whistled cases: 90th percentile whistle to close (h)",
            "派单案件自派单至办结时间90分位(小时)"),
        Kpi("on_time_rate_common_yardstick", "share", "higher", "service",
            "On-time rate, whistled cases against the common limit", "按统一时限衡量的按时办结率"),
        Kpi("overtime_hours_per_grid_worker_week", "h", "lower", "workload",
            "Overtime per grid worker per week, working to deadlines (h)", "网格员为赶时限人均每周加班时数"),
        Kpi("overtime_hours_per_community_worker_week", "h", "lower", "workload",
            "Overtime per community worker per week, working to deadlines (h)", "社区工作者为赶时限人均每周加班时数"),
        Kpi("compressed_share_grid", "share", "neither", "flow", "Grid services started under compression",
            "网格压缩办理的案件比例"),
        Kpi("compressed_share_community", "share", "neither", "flow",
            "Community services started under compression", "社区压缩办理的案件比例"),
        Kpi("paced_share", "share", "neither", "flow",
            "Cases with a deadline put aside until little slack was left (paced)", "临近时限才开始办理的案件比例"),
    )

    def __init__(self, district):
        super().__init__(district)
        s = district.scenario
        self.spec = s.deadline_response
        self.roles = frozenset(LEVEL_ROLES[level] for level in self.spec.levels)  # the roles that respond
        self.env = district.env
        # the levers' switches and figures, read once: the service hook runs at every service
        self.overtime_on = self.spec.overtime.enabled
        self.adjusts = self.overtime_on or self.spec.compression.enabled
        self.compression_slack_h = self.spec.compression.slack_h if self.spec.compression.enabled else 0.0
        self.speedup = self.spec.compression.speedup
        self.staff = [d.staff for d in s.departments.values()]
        self.p_reopen = s.cases.reopen_probability
        self.window = district.window
        self.pressed: list[bool] = [False] * len(self.staff)
        self.week_overtime: dict[tuple[int, int], float] = {}  # (department, week) -> overtime charged
        self.local_week_overtime: dict[tuple[int, int, int], float] = {}  # (role, station, week) -> overtime
        self.overtime_by_role = [0.0] * len(ROLES)  # overtime hours inside the window (the services' part in it)
        self.case_person_by_role = [0.0] * len(ROLES)  # person-hours of case work inside the window (shift + overtime)
        self.services_by_role = [0] * len(ROLES)
        self.compressed_by_role = [0] * len(ROLES)
        self.compression: dict[int, float] = {}  # case id -> compression of its last department service
        self.flagged: dict[int, float] = {}  # case id -> when it was flagged (waiting past due)
        self.reinforced: dict[int, float] = {}  # case id -> when it brought in reinforcement
        self.supervisors: dict[int, list[Worker]] = {}  # department -> supervisors now there
        self.supervisor_stays: list[tuple[int, float, float]] = []  # (department, arrived, left) of each supervisor
        self.supervisor_joined: dict[Worker, float] = {}
        self.supervisor_busy_until: dict[Worker, float] = {}
        self.supervisor_case_h = 0.0  # supervisors' shift hours on cases inside the window
        self.sending: float | None = None  # while supervisors are being sent: when
        pacing = self.spec.pacing
        self.pacing_u = PerCaseUniform(district.streams["deadline_response.pacing"]) if pacing.enabled else None
        names = s.department_names()
        self.pacing_departments = frozenset(range(len(names)) if pacing.departments is None
                                            else (names.index(name) for name in pacing.departments))
        self.spread_u = (PerCaseUniform(district.streams["deadline_response.pacing_spread"])
                         if pacing.enabled and pacing.start_slack_spread_h > 0 else None)
        self.paced: set[int] = set()  # ids of the cases put aside (each at most once)
        self.pacing_seen = 0  # cases with a deadline reaching a responding station in the window (first time)
        self.pacing_held = 0  # of which put aside
        self.expected_h: dict[tuple[int, int], list[float]] = {}  # (role, station) -> expected work per category

    def attach(self, hooks: Hooks) -> None:
        spec = self.spec
        if spec.overtime.enabled or spec.compression.enabled or spec.supervision.enabled:
            hooks.service.append(self._service)
        if spec.compression.enabled:
            hooks.reopen_probability.append(self._reopen_probability)
        if spec.supervision.enabled:
            hooks.staffed.append(self._staffed)
        if spec.pacing.enabled:
            hooks.hold.append(self._hold)

    def start(self) -> None:
        if self.spec.overtime.enabled or self.spec.supervision.enabled:
            self.district.env.process(self._watch())

    # -- at each service ----------------------------------------------------------------------

    def _service(self, worker: Worker, case: Case, shift_h: float) -> float:
        station = worker.station
        role = station.role
        # sent by supervision: not the staff's
        supervisor = bool(self.supervisor_joined) and role == DEPARTMENT and worker in self.supervisor_joined
        if self.adjusts and role in self.roles:
            now = self.env._now
            if self.compression_slack_h:
                c = 1.0 - round(case.due - now, TIME_RESOLUTION_DIGITS) / self.compression_slack_h  # time_left
                if c > 0.0:
                    c = 1.0 if c > 1.0 else c
                    self.compression[case.id] = c
                    shift_h *= 1.0 - self.speedup * c
                    self.compressed_by_role[role] += 1
                elif self.compression:
                    self.compression.pop(case.id, None)  # its last department service was not compressed
            self.services_by_role[role] += 1
            overtime = 0.0
            if self.overtime_on and not supervisor:
                if role == DEPARTMENT:
                    if self.pressed[station.index]:
                        overtime, shift_h = self._overtime(station, now, shift_h)
                elif self._pressed_here(station, case, now):
                    overtime, shift_h = self._overtime(station, now, shift_h)
            self._account(station, now, shift_h, overtime)
        if supervisor:
            self._supervisor_service(worker, station, shift_h)
        return shift_h

    def _pressed_here(self, station: Station, case: Case, now: float) -> bool:
        """A grid post or community under deadline pressure now: near-due cases in hand and queued, per head."""
        spec = self.spec.overtime
        near = (time_left(case.due, now) < spec.trigger_slack_h) + sum(
            1 for waiting in station.queue.waiting() if time_left(waiting.due, now) < spec.trigger_slack_h)
        return near >= spec.trigger_cases_per_staff * max(station.workers, 1)

    def _overtime(self, station: Station, now: float, shift_h: float) -> tuple[float, float]:
        """(overtime share, shift hours) of a service started under pressure, within the week's cap."""
        spec = self.spec.overtime
        week = int(now // HOURS_PER_WEEK)
        if station.role == DEPARTMENT:
            weeks: dict = self.week_overtime
            key: tuple = (station.index, week)
            staff = self.staff[station.index]
        else:
            weeks, key, staff = self.local_week_overtime, (station.role, station.index, week), max(station.workers, 1)
        left = spec.cap_hours_per_staff_week * staff - weeks.get(key, 0.0)
        if left <= 0:
            return 0.0, shift_h
        # a service of s shift hours at share o takes s / (1 + o) shift hours and s o / (1 + o) of overtime
        share = spec.share if shift_h * spec.share / (1 + spec.share) <= left else left / (shift_h - left)
        weeks[key] = weeks.get(key, 0.0) + shift_h * share / (1 + share)
        return share, shift_h / (1 + share)

    def _account(self, station: Station, now: float, shift_h: float, overtime_share: float) -> None:
        """The service's shift hours inside the window (as the handling layer counts them) and its overtime there."""
        start, end = self.window
        if start <= now and now + longest_span_h(station.calendar, shift_h) < end:
            inside = shift_h  # done inside the window whatever the shifts: no need for the calendar
        else:
            inside = self._inside(station, now, shift_h)[0]
        if inside:
            self.overtime_by_role[station.role] += inside * overtime_share
            self.case_person_by_role[station.role] += inside * (1 + overtime_share)

    def _inside(self, station: Station, now: float, shift_h: float) -> tuple[float, float]:
        """(shift hours of a service inside the window, as the handling layer counts them; when it is done)."""
        start, end = self.window
        done = station.calendar.finish(now, shift_h)
        if start <= now and done <= end:
            return shift_h, done
        if now < end and done > start:
            return station.calendar.hours_between(max(now, start), min(done, end)), done
        return 0.0, done

    def _supervisor_service(self, worker: Worker, station: Station, shift_h: float) -> None:
        now = self.district.env.now
        inside, done = self._inside(station, now, shift_h)
        self.supervisor_case_h += inside
        self.supervisor_busy_until[worker] = done

    def _staffed(self, station: Station, workers: list[Worker]) -> None:
        if self.sending is not None:  # the supervisors being sent, registered before they take a case
            for worker in workers:
                self.supervisor_joined[worker] = self.sending

    def _reopen_probability(self, case: Case, p: float) -> float:
        if not self.compression:
            return p
        c = self.compression.pop(case.id, 0.0)
        return p + (self.spec.compression.reopen_probability - p) * c if c > 0 else p

    # -- partial pacing ------------------------------------------------------------------------

    def _hold(self, case: Case, station: Station) -> bool:
        """Put a paced case aside until its slack is low (then push it again); False: it joins the queue now."""
        if station.role not in self.roles or case.due == math.inf or case.rework or case.id in self.paced:
            return False
        if station.role == DEPARTMENT and station.index not in self.pacing_departments:
            return False
        now = self.district.env.now
        start, end = self.window
        seen = start <= now < end
        self.pacing_seen += seen
        pacing = self.spec.pacing
        if self.pacing_u[case.id] >= pacing.share:
            return False
        slack = pacing.start_slack_h
        if self.spread_u is not None:
            slack += pacing.start_slack_spread_h * (self.spread_u[case.id] - 0.5)
        calendar = station.calendar
        expected = self._expected(station)[case.category]
        release = calendar.at_worked(calendar.worked(case.due) - expected - slack)
        self.paced.add(case.id)
        if release <= now:
            return False  # little slack already: worked at once
        self.pacing_held += seen
        Timeout(self.district.env, release - now, (case, station)).callbacks.append(self._release)
        return True

    def _release(self, event: Timeout) -> None:
        case, station = event.value
        self.district.handling.push(case, station)

    def _expected(self, station: Station) -> list[float]:
        """The work each category is expected to need at a station (as least slack first judges it)."""
        key = (station.role, station.index)
        expected = self.expected_h.get(key)
        if expected is None:
            categories = self.district.scenario.cases.categories.values()
            if station.role == DEPARTMENT:
                department = self.district.scenario.department_names()[station.index]
                expected = [c.work_at(department).mean_h for c in categories]
            elif station.role == GRID:
                expected = [c.work.grid.mean_h for c in categories]
            else:
                expected = [c.work.community.mean_h for c in categories]
            self.expected_h[key] = expected
        return expected

    # -- the hourly look at the queues ----------------------------------------------------------

    def _watch(self):
        env = self.district.env
        stations = self.district.handling.department_stations
        spec = self.spec
        overtime, supervision = spec.overtime.enabled, spec.supervision.enabled
        trigger = spec.overtime.trigger_slack_h
        while True:
            now = env.now
            for station in stations:
                waiting = station.queue.waiting()
                left = [round(case.due - now, TIME_RESOLUTION_DIGITS) for case in waiting]  # time_left, inlined
                if overtime:
                    near = sum(1 for hours in left if hours < trigger)
                    self.pressed[station.index] = near >= spec.overtime.trigger_cases_per_staff * self.staff[
                        station.index]
                if supervision:
                    self._supervise(station, [(case, hours) for case, hours in zip(waiting, left, strict=True)
                                              if hours < 0], now)
            yield env.timeout(spec.check_h)

    def _supervise(self, station: Station, overdue: list[tuple[Case, float]], now: float) -> None:
        """Flag the cases waiting past due, (case, time left) in `overdue`; send or withdraw supervisors."""
        spec = self.spec.supervision
        late = False
        for case, left in overdue:
            self.flagged.setdefault(case.id, now)
            if -left >= spec.reinforce_after_h:
                self.reinforced.setdefault(case.id, now)
                late = True
        present = self.supervisors.get(station.index)
        if late and not present:
            self.sending = now
            self.supervisors[station.index] = self.district.handling.staff(station, spec.reinforce_staff)
            self.sending = None
        elif present and not late:
            for worker in self.supervisors.pop(station.index):
                worker.active = False
                if worker in station.idle:
                    station.idle.remove(worker)
                self._supervisor_leaves(station, worker, now)
            station.workers -= len(present)

    def _supervisor_leaves(self, station: Station, worker: Worker, now: float) -> None:
        """A supervisor withdrawn now stays until the case in hand is done."""
        left = max(now, self.supervisor_busy_until.pop(worker, now)) if worker.case is not None else now
        self.supervisor_stays.append((station.index, self.supervisor_joined.pop(worker), left))

    def supervisor_shift_h(self) -> float:
        """Working hours of the supervisors inside the window, from arrival to departure (or the run's end)."""
        start, end = self.window
        stations = self.district.handling.department_stations
        now = self.district.env.now
        stays = list(self.supervisor_stays)
        for d, workers in self.supervisors.items():  # still there at the end
            stays += [(d, self.supervisor_joined[w], max(now, self.supervisor_busy_until.get(w, now))) for w in workers]
        return sum(stations[d].calendar.hours_between(max(a, start), min(b, end)) for d, a, b in stays
                   if min(b, end) > max(a, start))

    # -- outputs ------------------------------------------------------------------------------

    def results(self) -> dict:
        return {"overtime_h": self.overtime_by_role[DEPARTMENT], "case_person_h": self.case_person_by_role[DEPARTMENT],
                "overtime_h_by_role": dict(zip(ROLES, self.overtime_by_role, strict=True)),
                "case_person_h_by_role": dict(zip(ROLES, self.case_person_by_role, strict=True)),
                "week_overtime": dict(self.week_overtime), "local_week_overtime": dict(self.local_week_overtime),
                "services": self.services_by_role[DEPARTMENT],
                "compressed_services": self.compressed_by_role[DEPARTMENT],
                "services_by_role": dict(zip(ROLES, self.services_by_role, strict=True)),
                "compressed_by_role": dict(zip(ROLES, self.compressed_by_role, strict=True)),
                "flagged": np.array(list(self.flagged.items()), dtype=float).reshape(-1, 2),
                "reinforced": np.array(list(self.reinforced.items()), dtype=float).reshape(-1, 2),
                "supervisor_shift_h": self.supervisor_shift_h(),
                "supervisor_case_h": self.supervisor_case_h,
                "pacing_seen": self.pacing_seen, "pacing_held": self.pacing_held}

    @classmethod
    def measure(cls, raw) -> dict[str, float]:
        s, out = raw.scenario, raw.extensions["deadline_response"]
        start, end = raw.window_h
        weeks = (end - start) / HOURS_PER_WEEK
        staff = sum(d.staff for d in s.departments.values())
        c = raw.cases
        in_window = (c["arrived_h"] >= start) & (c["arrived_h"] < end)
        spike, drop = outcomes.deadline_ratios(outcomes.deadline_position(
            c["arrived_h"][in_window], c["closed_h"][in_window], c["due_h"][in_window]))

        def counted(table: np.ndarray) -> float:
            ids = table[:, 0].astype(np.int64)
            return float(np.count_nonzero(in_window[ids]))

        return {
            "overtime_hours_per_staff_week": out["overtime_h"] / (staff * weeks),
            "annual_cost_overtime_yuan": overtime_hours(out) * s.deadline_response.overtime.yuan_per_hour
            / ((end - start) / HOURS_PER_YEAR),
            "compressed_share": out["compressed_services"] / out["services"] if out["services"] else math.nan,
            "supervised_cases": counted(out["flagged"]),
            "reinforced_cases": counted(out["reinforced"]),
            "supervisor_hours_per_week": out["supervisor_shift_h"] / weeks,
            "deadline_spike_ratio": spike,
            "deadline_drop_ratio": drop,
            "on_time_rate_common_yardstick": common_yardstick_on_time(raw),
            **whistled_times(raw),
            **local_responses(raw),
            **paced_share(raw),
        }


def paced_share(raw) -> dict[str, float]:
    """Share of the window's cases with a deadline reaching a responding station that were put aside (pacing on)."""
    if not raw.scenario.deadline_response.pacing.enabled:
        return {}
    out = raw.extensions["deadline_response"]
    return {"paced_share": out["pacing_held"] / out["pacing_seen"] if out["pacing_seen"] else math.nan}


def overtime_hours(out: dict) -> float:
    """Overtime hours inside the window at every level that responds."""
    return float(sum(out["overtime_h_by_role"].values()))


def local_responses(raw) -> dict[str, float]:
    """Overtime per worker-week and the compressed share at the grid and community levels that respond."""
    s, out = raw.scenario, raw.extensions["deadline_response"]
    wf = s.workforce
    result = {}
    for level, role, hours in (("grid", "grid_worker", wf.grid_worker_hours),
                               ("community", "community_worker", wf.community_worker_hours)):
        if level not in s.deadline_response.levels:
            continue
        worker_weeks = raw.shift_h[role] / week_hours(hours)
        result[f"overtime_hours_per_{role}_week"] = out["overtime_h_by_role"][role] / worker_weeks \
            if worker_weeks > 0 else math.nan
        services = out["services_by_role"][role]
        result[f"compressed_share_{level}"] = out["compressed_by_role"][role] / services if services else math.nan
    return result


def common_yardstick_on_time(raw) -> float:
    """On-time rate of the window's cases, whistled ones measured against whistle + the common limit."""
    c = raw.cases
    start, end = raw.window_h
    in_window = (c["arrived_h"] >= start) & (c["arrived_h"] < end)
    whistled = c["whistled_h"][in_window]
    due = np.where(np.isnan(whistled), c["due_h"][in_window],
                   whistled + raw.scenario.deadline_response.common_yardstick_h)
    closed = c["closed_h"][in_window]
    decided = outcomes.decided(closed, due, raw.end_h)
    n = int(np.count_nonzero(decided))
    return float(np.count_nonzero(decided & outcomes.on_time(closed, due))) / n if n else math.nan


def whistled_times(raw) -> dict[str, float]:
    """Time from whistle to closure of the window's whistled cases (open ones at their age at the end)."""
    c = raw.cases
    start, end = raw.window_h
    whistled = (c["arrived_h"] >= start) & (c["arrived_h"] < end) & ~np.isnan(c["whistled_h"])
    if not whistled.any():
        return {"whistled_ttc_mean_h": math.nan, "whistled_ttc_p90_h": math.nan}
    ttc = outcomes.time_to_close(c["whistled_h"][whistled], c["closed_h"][whistled], raw.end_h)
    return {"whistled_ttc_mean_h": float(ttc.mean()), "whistled_ttc_p90_h": float(np.quantile(ttc, 0.9))}
