"""Queue disciplines of a station (`sim.core.queues`): which waiting case is served next.

"fifo": first come, first served, except that a supervised case (overdue: its due time before
now) is served first, earliest due first. "edf": earliest deadline first; cases without a
deadline last, in the order they joined. Equal due times go to the case that joined first.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.case import Case
from sim.core.queues import QUEUES, EdfQueue, FcfsQueue, FifoQueue, LsfQueue

NO_DEADLINE = math.inf


def case(case_id: int, due: float = NO_DEADLINE) -> Case:
    return Case(case_id, due, grid=0, category=0, level=0, work=(1.0, 1.0, 1.0), escalates=0, u_reopen=0.5,
                department=0)


def queue_of(kind, *cases: Case):
    queue = kind()
    for c in cases:
        queue.push(c)
    return queue


def served(queue, now: float) -> list[int]:
    """Ids of the cases in the order the queue serves them, all at time now, until it is empty."""
    ids = []
    while (c := queue.pop(now)) is not None:
        ids.append(c.id)
    return ids


# --------------------------------------------------------------------------- first come, first served


def test_fifo_serves_cases_in_the_order_they_joined_when_none_is_overdue():
    queue = queue_of(FifoQueue, case(3, due=300), case(1, due=100), case(2), case(4, due=200))
    assert served(queue, now=50) == [3, 1, 2, 4]


def test_fifo_serves_overdue_cases_first_earliest_due_first_then_resumes_in_joining_order():
    queue = queue_of(FifoQueue, case(1, due=100), case(2, due=50), case(3), case(4, due=10), case(5, due=80))
    # at 60, cases 4 (due 10) and 2 (due 50) are overdue; 1 (due 100) and 5 (due 80) are not.
    assert served(queue, now=60) == [4, 2, 1, 3, 5]


def test_fifo_a_case_due_exactly_now_is_not_yet_overdue():
    queue = queue_of(FifoQueue, case(1, due=100), case(2, due=60))
    assert served(queue, now=60) == [1, 2]


def test_fifo_a_case_without_a_deadline_is_never_supervised():
    queue = queue_of(FifoQueue, case(1, due=1e9), case(2))
    assert served(queue, now=1e8) == [1, 2]


def test_fifo_a_case_without_a_deadline_waits_behind_overdue_cases_that_joined_after_it():
    queue = queue_of(FifoQueue, case(1), case(2, due=10))
    assert served(queue, now=1e12) == [2, 1]


def test_fifo_overdue_cases_with_equal_due_times_go_in_joining_order():
    queue = queue_of(FifoQueue, case(9, due=100), case(5, due=10), case(2, due=10), case(7, due=10))
    assert served(queue, now=50) == [5, 2, 7, 9]


def test_fifo_a_case_taken_as_overdue_is_not_served_again_from_the_joining_order():
    queue = queue_of(FifoQueue, case(1, due=10), case(2))
    assert queue.pop(now=20).id == 1
    assert queue.pop(now=20).id == 2
    assert queue.pop(now=20) is None


def test_fifo_a_case_taken_in_joining_order_is_not_served_again_as_overdue():
    queue = queue_of(FifoQueue, case(1, due=100), case(2))
    assert queue.pop(now=0).id == 1  # not overdue yet: taken in joining order
    assert served(queue, now=1000) == [2]  # case 1's overdue entry is stale


def test_fifo_a_case_queued_again_after_being_served_is_served_once_more_not_twice():
    first = case(1, due=10)
    queue = queue_of(FifoQueue, first, case(2))
    assert queue.pop(now=20) is first
    queue.push(first)  # e.g. reopened: it joins again, at the back
    assert served(queue, now=20) == [1, 2]  # overdue again, so first; its old entries are stale


# --------------------------------------------------------------------------- earliest deadline first


def test_edf_serves_the_earliest_due_case_first_whatever_the_time():
    queue = queue_of(EdfQueue, case(1, due=30), case(2, due=10), case(3, due=20))
    assert served(queue, now=0) == [2, 3, 1]


def test_edf_serves_cases_without_a_deadline_last_in_the_order_they_joined():
    queue = queue_of(EdfQueue, case(4), case(1, due=50), case(2), case(3, due=5), case(0))
    assert served(queue, now=0) == [3, 1, 4, 2, 0]


def test_edf_cases_with_equal_due_times_go_in_joining_order():
    queue = queue_of(EdfQueue, case(8, due=10), case(3, due=10), case(5, due=10))
    assert served(queue, now=0) == [8, 3, 5]


def test_edf_a_case_queued_again_after_being_served_is_served_once():
    first = case(1, due=10)
    queue = queue_of(EdfQueue, first, case(2, due=20))
    assert queue.pop(now=0) is first
    queue.push(first)
    assert served(queue, now=0) == [1, 2]


# --------------------------------------------------------------------------- both disciplines


@pytest.mark.parametrize("kind", [FifoQueue, EdfQueue], ids=["fifo", "edf"])
def test_drain_returns_the_waiting_cases_in_the_order_they_joined_and_empties_the_queue(kind):
    queue = queue_of(kind, case(1, due=30), case(2), case(3, due=10), case(4, due=20))
    drained = queue.drain()
    assert [c.id for c in drained] == [1, 2, 3, 4]
    assert len(queue) == 0
    assert queue.pop(now=100) is None


@pytest.mark.parametrize("kind", [FifoQueue, EdfQueue], ids=["fifo", "edf"])
def test_drain_leaves_out_the_cases_already_served(kind):
    queue = queue_of(kind, case(1, due=30), case(2), case(3, due=10), case(4, due=20))
    assert queue.pop(now=15).id == 3  # overdue under fifo, earliest due under edf
    assert [c.id for c in queue.drain()] == [1, 2, 4]


@pytest.mark.parametrize("kind", [FifoQueue, EdfQueue], ids=["fifo", "edf"])
def test_a_drained_case_queued_again_is_served_once(kind):
    first = case(1, due=10)
    queue = queue_of(kind, first, case(2, due=20))
    queue.drain()
    queue.push(first)
    assert served(queue, now=100) == [1]


@pytest.mark.parametrize("kind", [FifoQueue, EdfQueue], ids=["fifo", "edf"])
def test_len_counts_the_cases_waiting_not_the_stale_entries(kind):
    queue = queue_of(kind, case(1, due=10), case(2), case(3, due=5))
    assert len(queue) == 3
    queue.pop(now=20)
    queue.pop(now=20)
    assert len(queue) == 1
    queue.push(case(4, due=1))
    assert len(queue) == 2
    queue.pop(now=20)
    queue.pop(now=20)
    assert len(queue) == 0
    assert queue.pop(now=20) is None
    assert len(queue) == 0


def test_the_disciplines_are_named_fifo_fcfs_edf_and_lsf():
    assert QUEUES == {"fifo": FifoQueue, "fcfs": FcfsQueue, "edf": EdfQueue, "lsf": LsfQueue}


# --------------------------------------------------------------------------- against a reference


def reference_next(waiting: list[tuple[int, Case]], discipline: str, now: float) -> Case | None:
    """The specification, directly: waiting holds (joining number, case)."""
    if not waiting:
        return None
    if discipline == "fifo":
        overdue = [(c.due, joined, c) for joined, c in waiting if c.due < now]
        if overdue:
            return min(overdue, key=lambda entry: entry[:2])[2]
        return min(waiting, key=lambda entry: entry[0])[1]
    return min(waiting, key=lambda entry: (entry[1].due, entry[0]))[1]


operations = st.lists(st.one_of(
    st.tuples(st.just("push"), st.one_of(st.just(NO_DEADLINE), st.integers(0, 20).map(float))),
    st.tuples(st.just("pop"), st.integers(0, 25).map(float)),
    st.tuples(st.just("drain"), st.just(0.0)),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(discipline=st.sampled_from(["fifo", "edf"]), ops=operations)
def test_every_sequence_of_pushes_pops_and_drains_follows_the_specification(discipline, ops):
    queue, waiting, joined, cases = QUEUES[discipline](), [], 0, []
    for op, value in ops:
        if op == "push":
            # queue again a case served before (if any), as a reopened case would, or a new one
            free = [c for c in cases if all(c is not w for _, w in waiting)]
            c = free[0] if free and joined % 3 == 2 else case(len(cases), due=value)
            if c not in cases:
                cases.append(c)
            joined += 1
            queue.push(c)
            waiting.append((joined, c))
        elif op == "pop":
            expected = reference_next(waiting, discipline, value)
            assert queue.pop(value) is expected
            waiting = [(j, w) for j, w in waiting if w is not expected]
        else:
            assert queue.drain() == [w for _, w in sorted(waiting, key=lambda entry: entry[0])]
            waiting = []
        assert len(queue) == len(waiting)


@pytest.mark.parametrize("discipline", ["fifo", "edf"])
def test_a_long_run_at_a_busy_station_follows_the_specification(discipline):
    """Thousands of cases, time moving on, many served in turn before and after falling overdue (the heap is
    filled late and compacted along the way)."""
    import random

    rng, queue, waiting, now = random.Random(7), QUEUES[discipline](), [], 0.0
    for joined in range(6000):
        now += rng.expovariate(1.0)
        c = case(joined, due=now + rng.choice([NO_DEADLINE, 4.0, 24.0, 72.0]))
        queue.push(c)
        waiting.append((joined, c))
        while waiting and rng.random() < 0.45 + 0.1 * (len(waiting) > 200):
            expected = reference_next(waiting, discipline, now)
            assert queue.pop(now) is expected
            waiting = [(j, w) for j, w in waiting if w is not expected]
        assert len(queue) == len(waiting)
