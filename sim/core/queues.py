"""Queue disciplines of a station: first come first served with supervision of overdue cases, or earliest due first.

"fifo": first come, first served, except that a case already past its due time is supervised
(督办) and served first, earliest due first. "edf": earliest deadline first throughout; cases
without a deadline come last. Ties (equal due times) go to the case that joined the queue
first. Entries are removed lazily: a case's `token` names the entry that holds it, so a case
taken through one index is skipped in the other. Tokens are unique across every queue of the
process: a stale entry left in one queue can never match a case that has since joined another
(with a counter per queue it could, and the case was then served twice).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from itertools import count

from .case import Case

_tokens = count(1)  # increasing, so within a queue they also order equal due times by arrival


class FifoQueue:
    """First come, first served; supervised (overdue) cases jump ahead, earliest due first."""

    __slots__ = ("fifo", "overdue", "size")

    def __init__(self):
        self.fifo: deque = deque()
        self.overdue: list = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def push(self, case: Case) -> None:
        token = case.token = next(_tokens)
        self.size += 1
        self.fifo.append((token, case))
        if case.due != math.inf:
            heapq.heappush(self.overdue, (case.due, token, case))

    def pop(self, now: float) -> Case | None:
        """The next case at time now, or None if the queue is empty."""
        overdue = self.overdue
        while overdue:
            due, seq, case = overdue[0]
            if case.token != seq:
                heapq.heappop(overdue)
            elif due < now:
                heapq.heappop(overdue)
                return self._taken(case)
            else:
                break
        fifo = self.fifo
        while fifo:
            seq, case = fifo.popleft()
            if case.token == seq:
                return self._taken(case)
        return None

    def _taken(self, case: Case) -> Case:
        case.token = 0
        self.size -= 1
        return case

    def drain(self) -> list[Case]:
        """Remove and return every queued case, in the order they joined."""
        cases = [case for seq, case in self.fifo if case.token == seq]
        for case in cases:
            case.token = 0
        self.fifo.clear()
        self.overdue.clear()
        self.size = 0
        return cases


class EdfQueue:
    """Earliest deadline first; cases without a deadline come last, in the order they joined."""

    __slots__ = ("heap", "size")

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

    def drain(self) -> list[Case]:
        """Remove and return every queued case, in the order they joined."""
        cases = [case for _, seq, case in sorted(self.heap, key=lambda entry: entry[1]) if case.token == seq]
        for case in cases:
            case.token = 0
        self.heap.clear()
        self.size = 0
        return cases


QUEUES = {"fifo": FifoQueue, "edf": EdfQueue}
