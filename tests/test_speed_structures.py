"""The hot path's memory-bounded structures (issue 19) behave exactly as the simple ones they replace."""

from __future__ import annotations

import numpy as np

from sim.core.arrivals import CaseSource
from sim.core.case import Case, arrivals_of_block, cases_of_block
from sim.core.outcomes import time_to_close
from sim.core.queues import FifoQueue
from sim.core.streams import Streams
from sim.core.territory import build_territory

from .conftest import small_scenario

SLOTS = Case.__slots__
FACILITIES = "cases.categories.public_facilities"


class _Case:
    __slots__ = ("id", "due", "token")

    def __init__(self, case_id: int, due: float):
        self.id, self.due, self.token = case_id, due, 0


def _reference_pop(waiting: list, now: float):
    """Supervised FIFO by brute force: the earliest-due overdue case, else the first in line."""
    overdue = [c for c in waiting if c.due < now]
    case = min(overdue, key=lambda c: (c.due, waiting.index(c))) if overdue else waiting[0]
    waiting.remove(case)
    return case


def test_the_supervision_heap_stays_small_while_cases_are_served_in_turn():
    queue = FifoQueue()
    for i in range(5_000):
        queue.push(_Case(i, 1_000.0 + i))
        assert queue.pop(0.0).id == i  # served in turn: its supervision entry goes stale
    assert len(queue.overdue) <= 2 * len(queue) + 65


def test_compacting_the_supervision_heap_leaves_the_order_of_service_unchanged():
    rng = np.random.default_rng(3)
    queue, waiting, now = FifoQueue(), [], 0.0
    for i in range(3_000):
        case = _Case(i, now + float(rng.exponential(20.0)))
        queue.push(case)
        waiting.append(case)
        now += float(rng.exponential(1.0))
        if rng.random() < 0.45 and waiting:
            assert queue.pop(now).id == _reference_pop(waiting, now).id
    while waiting:
        now += 1.0
        assert queue.pop(now).id == _reference_pop(waiting, now).id


def test_case_records_made_a_chunk_at_a_time_equal_those_made_for_the_whole_block():
    # every per-case column of the block (external delay, a drawn department limit too) must follow the chunk
    scenario = small_scenario(f"{FACILITIES}.external_delay={{mean_h: 2, cv: 1}}",
                              f"{FACILITIES}.resolution_deadline_mix=[{{deadline_h: 720, share: 0.13}}, "
                              "{deadline_h: 73.5, share: 0.87}]")
    streams = Streams(4, 0)
    block = CaseSource(scenario, build_territory(scenario.territory, streams), streams).block(0, 7)
    assert block.delay is not None and block.resolution_limit is not None and len(block) > 3 * 7
    whole = cases_of_block(block, 100)
    chunked = list(arrivals_of_block(block, 100, chunk=7))
    assert [t for t, _ in chunked] == block.time.tolist()
    assert [[getattr(c, s) for s in SLOTS] for _, c in chunked] == [[getattr(c, s) for s in SLOTS] for c in whole]


def test_time_to_close_counts_open_cases_at_their_age_then():
    arrived = np.array([1.0, 2.0, 3.0, 4.0])
    closed = np.array([5.0, np.nan, 4.5, np.nan])
    np.testing.assert_array_equal(time_to_close(arrived, closed, 10.0), [4.0, 8.0, 1.5, 6.0])
    np.testing.assert_array_equal(time_to_close(arrived, closed, np.array([9.0, 9.0, 9.0, 5.0])), [4.0, 7.0, 1.5, 1.0])
