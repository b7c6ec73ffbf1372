"""The SimPy environment of a district: cheap scheduled calls and an arrival feed that needs no events.

`Engine` is a `simpy.Environment`: processes, timeouts and every other SimPy event work as
before. It adds two things for the hot path, both ordered exactly as the SimPy events they
replace would have been (same time, priority and event id: each takes its id from the
environment's own counter at the moment the event would have been created), so a replication
gives the same numbers, bit for bit:

- `call_in(delay, call)`: a `Call` (a function and its argument) run after `delay` hours, at
  normal priority, as a `Timeout` with that callback would be, without building the event, its
  callback list and its value; a worker's end of service reuses one `Call` made when it is hired;
- `feed(arrivals, handler)`: a time-ordered iterator of (time, item), each handed to `handler`
  at its time, without an event on the heap: the next arrival waits beside the heap and the
  run loop compares the two. The time of each arrival is reached as a chain of timeouts reaches
  it (now + (time - now)) and its id is drawn when the previous arrival has been handled, as the
  chained timeout used to be.

`run` is SimPy's loop with `step` inlined; any event other than a `Call` is processed exactly
as `simpy.Environment.step` processes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, Timeout

INFINITY = float("inf")


class Call:
    """A function and its argument, scheduled on the event heap in place of a Timeout with one callback."""

    __slots__ = ("fn", "arg")

    def __init__(self, fn: Callable[[Any], None], arg: Any):
        self.fn = fn
        self.arg = arg


class Engine(simpy.Environment):
    """A SimPy environment with scheduled calls and an event-free arrival feed (see the module docstring)."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self._feed: Iterator[tuple[float, Any]] | None = None
        self._feed_handler: Callable[[Any], None] | None = None
        self._feed_at = INFINITY  # time of the next arrival (inf: none waiting)
        self._feed_eid = 0
        self._feed_item: Any = None

    # -- scheduling ----------------------------------------------------------------------------

    def call_in(self, delay: float, call: Call) -> None:
        """Run `call.fn(call.arg)` after `delay` hours, ordered as a Timeout created now would be."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), call))

    def feed(self, arrivals: Iterator[tuple[float, Any]], handler: Callable[[Any], None]) -> None:
        """Hand each (time, item) of a time-ordered iterator to `handler` at its time (the previous feed is done)."""
        if self._feed_at != INFINITY:
            raise RuntimeError("a new arrival feed started before the previous one was exhausted")
        self._feed, self._feed_handler = arrivals, handler
        self._advance_feed()

    def _advance_feed(self) -> None:
        upcoming = next(self._feed, None)  # type: ignore[arg-type]
        if upcoming is None:
            self._feed_at, self._feed_item = INFINITY, None
            return
        now = self._now
        self._feed_at = now + (upcoming[0] - now)  # as Timeout(env, time - now) schedules it
        self._feed_eid = next(self._eid)
        self._feed_item = upcoming[1]

    def _feed_first(self) -> bool:
        """Whether the waiting arrival comes before the top of the heap (as its Timeout would sort there)."""
        at = self._feed_at
        if at == INFINITY:
            return False
        queue = self._queue
        if not queue:
            return True
        top = queue[0]
        return at < top[0] or (at == top[0] and (NORMAL, self._feed_eid) < (top[1], top[2]))

    def _arrive(self) -> None:
        self._now = self._feed_at
        item = self._feed_item
        self._feed_handler(item)  # type: ignore[misc]
        self._advance_feed()

    # -- simpy.Environment ---------------------------------------------------------------------

    def peek(self) -> float:
        at = super().peek()
        return self._feed_at if self._feed_first() else at

    def step(self) -> None:
        if self._feed_first():
            self._arrive()
            return
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        if event.__class__ is Call:
            event.fn(event.arg)
            return
        self._process(event)

    def _process(self, event: Event) -> None:
        """What `simpy.Environment.step` does with an event once it is popped."""
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        try:
            for callback in callbacks:  # type: ignore[union-attr]
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1:]  # type: ignore[union-attr]
            self.schedule(event, URGENT - 1)  # type: ignore[arg-type]
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def run(self, until: float | Event | None = None) -> Any:
        """SimPy's `run`, its loop over `step` inlined for scheduled calls and arrivals."""
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current simulation time")
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        queue, process, eid = self._queue, self._process, self._eid
        try:
            while True:
                at = self._feed_at
                if at != INFINITY and (not queue or at < queue[0][0] or (
                        at == queue[0][0] and (NORMAL, self._feed_eid) < (queue[0][1], queue[0][2]))):
                    self._now = at  # an arrival, handled as its Timeout's callback would have been
                    self._feed_handler(self._feed_item)  # type: ignore[misc]
                    upcoming = next(self._feed, None)  # type: ignore[arg-type]
                    if upcoming is None:
                        self._feed_at, self._feed_item = INFINITY, None
                    else:
                        self._feed_at = at + (upcoming[0] - at)
                        self._feed_eid = next(eid)
                        self._feed_item = upcoming[1]
                    continue
                try:
                    self._now, _, _, event = heappop(queue)
                except IndexError:
                    raise EmptySchedule from None
                if event.__class__ is Call:
                    event.fn(event.arg)
                else:
                    process(event)
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            if until is not None:
                assert not until.triggered
                raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}') from None
        return None


def scheduler(env: simpy.Environment) -> Callable[[float, Call], None]:
    """`env.call_in` on an `Engine`; on a plain SimPy environment, the same through a Timeout (for tests)."""
    if isinstance(env, Engine):
        return env.call_in

    def call_in(delay: float, call: Call) -> None:
        Timeout(env, delay).callbacks.append(lambda event: call.fn(call.arg))

    return call_in
