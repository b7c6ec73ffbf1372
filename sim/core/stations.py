"""Stations and workers, and the one factory that builds every station of a replication.

A *station* is a queue served by workers on one calendar: a grid post (its grid worker or
workers), a community's workers, a functional department's team, or a mechanism's own servers
(mediators). Its `stretch` is the shift hours one hour of case work takes (1 / the share of a
shift that goes to cases), times any slowdown (a vacant secretary post slows a community).

`StationFactory` is the only place a station is made: at the start, on hiring, on attrition and
when communities are split, so the mechanisms' hooks (a post's calendar, a role's case-time
share) shape every station, whenever it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .calendar import Calendar
from .engine import Call
from .queues import make_queue

if TYPE_CHECKING:
    from .case import Case

GRID, COMMUNITY, DEPARTMENT = 0, 1, 2
ROLES = ("grid_worker", "community_worker", "department_staff")


class Station:
    """A queue and the workers who serve it on one calendar."""

    __slots__ = ("role", "index", "queue", "idle", "calendar", "base_stretch", "stretch", "factors", "workers")

    def __init__(self, role: int, index: int, discipline: str, calendar: Calendar, case_time_share: float,
                 expected_h: list[float] | None = None, start_slack_h: float | None = None):
        self.role = role
        self.index = index
        self.idle: list[Worker] = []
        self.calendar = calendar
        self.base_stretch = 1.0 / case_time_share  # shift hours per hour of case work
        expected_shift_h = None if expected_h is None else [h * self.base_stretch for h in expected_h]
        self.queue = make_queue(discipline, calendar, expected_shift_h, start_slack_h)
        self.stretch = self.base_stretch
        self.factors: dict[str, float] = {}  # who makes work here slower or faster, and by how much
        self.workers = 0

    def set_factor(self, source: str, multiplier: float) -> None:
        """From now on work here takes `multiplier` times as long on `source`'s account (1: its effect ends).

        Factors of different sources multiply, so one mechanism never undoes another's (a vacant
        secretary post and corrective support may act on the same community at once).
        """
        if multiplier == 1.0:
            self.factors.pop(source, None)
        else:
            self.factors[source] = multiplier
        stretch = self.base_stretch
        for factor in self.factors.values():
            stretch *= factor
        self.stretch = stretch


class Worker:
    """One member of staff; `done` (on_done(worker)) is made once, so each service costs one scheduled call."""

    __slots__ = ("station", "case", "done", "active", "pace")

    def __init__(self, station: Station, on_done: Callable[[Worker], None]):
        self.station = station
        self.case: Case | object | None = None  # the case in hand, or a mechanism's own work (a patrol)
        self.active = True
        self.pace = 1.0  # shift hours per hour of a fully productive worker's time (> 1 while ramping up)
        self.done = Call(on_done, self)


class StationFactory:
    """Builds the stations of one replication, each shaped by the mechanisms' hooks."""

    def __init__(self, discipline: str, calendars: dict[str, Calendar], department_calendars: list[Calendar],
                 case_time_shares: dict[int, float], *,
                 post_calendar: list[Callable[[int, int, Calendar], Calendar]],
                 case_time_share: list[Callable[[int, float], float]],
                 expected_work: Callable[[int, int], list[float]] | None = None, start_slack_h: float | None = None,
                 paced_roles: frozenset[int] = frozenset({DEPARTMENT})):
        self.discipline = discipline
        self.paced_roles = paced_roles  # the roles whose stations start a case only once its slack is low
        self.expected_work = expected_work  # (role, index) -> expected work per category (least slack first)
        self.start_slack_h = start_slack_h
        self.post_calendar_hooks = post_calendar  # the hook lists themselves: mechanisms may add to them later
        self.case_time_share_hooks = case_time_share
        self.calendars = calendars
        self.department_calendars = department_calendars
        self.in_use: dict[Calendar, None] = {}  # every calendar a station was built with, in order
        self.case_time_shares = case_time_shares  # the schema's, before the hooks

    def case_time_share(self, role: int) -> float:
        share = self.case_time_shares.get(role, 1.0)
        for hook in self.case_time_share_hooks:
            share = hook(role, share)
        return share

    def grid_posts(self, n_posts: int) -> list[Station]:
        """The grid posts 0 .. n_posts - 1, each on its calendar (office hours unless a hook says otherwise)."""
        share = self.case_time_share(GRID)
        stations = []
        for post in range(n_posts):
            calendar = self.calendars["grid_worker"]
            for hook in self.post_calendar_hooks:
                calendar = hook(post, n_posts, calendar)
            stations.append(self._station(GRID, post, calendar, share))
        return stations

    def community(self, index: int) -> Station:
        return self._station(COMMUNITY, index, self.calendars["community_worker"], self.case_time_share(COMMUNITY))

    def department(self, index: int) -> Station:
        return self._station(DEPARTMENT, index, self.department_calendars[index], self.case_time_share(DEPARTMENT))

    def station(self, role: int, index: int, calendar: Calendar) -> Station:
        """A mechanism's own station (mediators): all of their time goes to its cases."""
        return self._station(role, index, calendar, 1.0)

    def _station(self, role: int, index: int, calendar: Calendar, share: float) -> Station:
        self.in_use[calendar] = None
        expected = self.expected_work(role, index) if self.expected_work and self.discipline == "lsf" else None
        # pacing (start when slack is low) is a response to time limits: of the departments, and of grid and
        # community workers where their levels respond (deadline_response.levels)
        start_slack_h = self.start_slack_h if role in self.paced_roles else None
        return Station(role, index, self.discipline, calendar, share, expected, start_slack_h)
