"""Queue disciplines of a station: first come first served (plain or supervised), earliest due, least slack.

"fifo": first come, first served, except that a case already past its due time is supervised
(督办) and served first, earliest due first. "fcfs": plain first come, first served, overdue or
not. "edf": earliest deadline first throughout; cases without a deadline come last. "lsf":
least slack first, the slack of a case being the time left before its due time less the work it
is expected to need at the station (its category's mean work content at that level, which staff
can judge; its actual work is not known before it is done); with `start_slack_h` set, a case is
not started at all while its slack exceeds that many hours (work starts late when a limit is
generous). Ties (equal due times or slacks) go to the case that joined the queue first.
Entries are removed lazily: a case's `token` names the entry that holds it, so a case
taken through one index is skipped in the other. Tokens are unique across every queue of the
process: a stale entry left in one queue can never match a case that has since joined another
(with a counter per queue it could, and the case was then served twice).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from heapq import heappop, heappush
from itertools import count, islice

from .calendar import Calendar
from .case import Case

INFINITY = math.inf
_tokens = count(1)  # increasing, so within a queue they also order equal due times by arrival


class FifoQueue:
    """First come, first served; supervised (overdue) cases jump ahead, earliest due first.

    A case goes into the supervision heap only once it may be overdue: the cases that joined since
    the heap was last filled (the last `unheaped` of the deque) wait outside it, with a lower bound
    of their due times (`unheaped_due`); while that bound is not before now, none of them can be
    overdue, and they join the heap the first time it is. Most cases are served in turn before
    they could be overdue and never enter the heap. The order of service is that of a heap holding
    every case: it depends only on the overdue cases' keys (due, token), all of them in the heap
    whenever one may be served.
    """

    __slots__ = ("fifo", "overdue", "size", "unheaped", "unheaped_due")
    paced = False  # whether pop may hold back a queued case (see LsfQueue)

    def __init__(self):
        self.fifo: deque = deque()
        self.overdue: list = []
        self.size = 0
        self.unheaped = 0  # the deque's last entries not yet in the supervision heap
        self.unheaped_due = INFINITY  # no more than the due time of any of them

    def __len__(self) -> int:
        return self.size

    def push(self, case: Case) -> None:
        token = case.token = next(_tokens)
        self.size += 1
        self.fifo.append((token, case))
        self.unheaped += 1
        due = case.due
        if due < self.unheaped_due:
            self.unheaped_due = due

    def _heap_unheaped(self) -> None:
        """Put the cases that joined since the heap was last filled into it (those still queued)."""
        overdue = self.overdue
        if len(overdue) > 2 * self.size + 64:
            self._compact()
            overdue = self.overdue
        # the deque's last `unheaped` entries (all of them when fewer are left: the older ones were served in turn)
        for seq, case in islice(reversed(self.fifo), self.unheaped):
            due = case.due
            if case.token == seq and due != INFINITY:
                heappush(overdue, (due, seq, case))
        self.unheaped, self.unheaped_due = 0, INFINITY

    def _compact(self) -> None:
        """Drop the stale supervision entries (cases since served first come, first served).

        A case served in turn leaves its entry in the supervision heap until the entry reaches the
        top; at a busy station (a department takes every whistled case of the district) that is
        every case of the last deadline's worth of days, so the heap, and the cost of each push and
        pop, grew with the district. Kept to at most about twice the cases queued, the heap stays
        small; the order of service is unchanged (it depends only on the live entries' keys).
        """
        self.overdue = [entry for entry in self.overdue if entry[2].token == entry[1]]
        heapq.heapify(self.overdue)

    def pop(self, now: float) -> Case | None:
        """The next case at time now, or None if the queue is empty."""
        if self.unheaped_due < now:
            self._heap_unheaped()
        overdue = self.overdue
        while overdue:
            due, seq, case = overdue[0]
            if case.token != seq:
                heappop(overdue)
            elif due < now:
                heappop(overdue)
                case.token = 0
                self.size -= 1
                return case
            else:
                break
        fifo = self.fifo
        while fifo:
            seq, case = fifo.popleft()
            if case.token == seq:
                case.token = 0  # taken
                self.size -= 1
                return case
        return None

    def waiting(self) -> list[Case]:
        """The queued cases, in the order they joined (for a mechanism looking at the queue)."""
        return [case for seq, case in self.fifo if case.token == seq]

    def drain(self) -> list[Case]:
        """Remove and return every queued case, in the order they joined."""
        cases = [case for seq, case in self.fifo if case.token == seq]
        for case in cases:
            case.token = 0
        self.fifo.clear()
        self.overdue.clear()
        self.size = 0
        self.unheaped, self.unheaped_due = 0, INFINITY
        return cases


class EdfQueue:
    """Earliest deadline first; cases without a deadline come last, in the order they joined."""

    __slots__ = ("heap", "size")
    paced = False

    def __init__(self):
        self.heap: list = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def push(self, case: Case) -> None:
        token = case.token = next(_tokens)
        self.size += 1
        heapq.heappush(self.heap, (case.due, token, case))

    def pop(self, now: float) -> Case | None:
        heap = self.heap
        while heap:
            _, seq, case = heapq.heappop(heap)
            if case.token == seq:
                case.token = 0
                self.size -= 1
                return case
        return None

    def waiting(self) -> list[Case]:
        """The queued cases, in no particular order (for a mechanism looking at the queue)."""
        return [case for _, seq, case in self.heap if case.token == seq]

    def drain(self) -> list[Case]:
        """Remove and return every queued case, in the order they joined."""
        cases = [case for _, seq, case in sorted(self.heap, key=lambda entry: entry[1]) if case.token == seq]
        for case in cases:
            case.token = 0
        self.heap.clear()
        self.size = 0
        return cases


class FcfsQueue(FifoQueue):
    """Plain first come, first served: overdue cases wait their turn like the others (no supervision)."""

    __slots__ = ()

    def push(self, case: Case) -> None:
        token = case.token = next(_tokens)
        self.size += 1
        self.fifo.append((token, case))


class LsfQueue(EdfQueue):
    """Least slack first: served by working hours left before due less expected work; no deadline last.

    Slack is counted in the station's working hours (`calendar`): a case due on Monday morning
    has little slack on Friday evening. `expected_h[category]` is the shift hours a case of that
    category is expected to take at the station. The key of a case, its working-hour clock at due
    less its expected work, does not change while it waits, so the queue is a heap.
    """

    __slots__ = ("expected_h", "start_slack_h", "calendar")

    def __init__(self, expected_h: list[float], calendar: Calendar, start_slack_h: float | None = None):
        super().__init__()
        self.expected_h = expected_h
        self.calendar = calendar
        self.start_slack_h = start_slack_h

    def push(self, case: Case) -> None:
        token = case.token = next(_tokens)
        self.size += 1
        key = math.inf if case.due == math.inf else self.calendar.worked(case.due) - self.expected_h[case.category]
        heapq.heappush(self.heap, (key, token, case))


class PacedLsfQueue(LsfQueue):
    """Least slack first, a case started only once its slack falls to `start_slack_h` working hours."""

    __slots__ = ()
    paced = True

    def ready_at(self) -> float:
        """When the case of least slack may be started (inf: the queue is empty or holds no case with a deadline)."""
        heap = self.heap
        while heap:
            key, seq, case = heap[0]
            if case.token == seq:
                return -math.inf if key == math.inf else self.calendar.at_worked(key - self.start_slack_h)
            heapq.heappop(heap)
        return math.inf

    def pop(self, now: float) -> Case | None:
        if self.ready_at() > now:
            return None
        return super().pop(now)


def make_queue(discipline: str, calendar: Calendar | None = None, expected_h: list[float] | None = None,
               start_slack_h: float | None = None):
    """A station's queue of this discipline (least slack needs the station's calendar and expected work)."""
    if discipline != "lsf":
        return QUEUES[discipline]()
    if expected_h is None or calendar is None:
        raise ValueError("a least-slack-first queue needs its station's calendar and the expected work of each case "
                         "category")
    return (PacedLsfQueue if start_slack_h is not None else LsfQueue)(expected_h, calendar, start_slack_h)


QUEUES = {"fifo": FifoQueue, "fcfs": FcfsQueue, "edf": EdfQueue, "lsf": LsfQueue}
