"""The Engine's scheduled calls and arrival feed run in the order SimPy's Timeouts would have, ties included."""

import random

import pytest
import simpy
from simpy.events import Timeout

from sim.core.engine import Call, Engine


def _arrival_times(rng: random.Random, n: int) -> list[float]:
    # whole and half hours only, so arrivals tie with each other and with the calls they schedule
    return sorted(rng.choice([0.5, 1.0, 2.0, 3.0, 3.5]) * rng.randint(0, 6) + 0.5 for _ in range(n))


def _with_timeouts(times: list[float], seed: int) -> list[tuple]:
    """The old hot path: a chain of Timeouts for the arrivals, a Timeout with a callback per service."""
    env, rng, log = simpy.Environment(), random.Random(seed), []

    def served(event):
        log.append((env.now, "served", event.value))
        if rng.random() < 0.3:
            Timeout(env, rng.choice([0.0, 0.5, 1.0]), event.value + 1000).callbacks.append(served)

    def arrive(item):
        log.append((env.now, "arrived", item))
        Timeout(env, rng.choice([0.0, 0.5, 1.0, 2.0]), item).callbacks.append(served)

    pending = iter(list(enumerate(times)))

    def on_arrival(event):
        arrive(event.value)
        upcoming = next(pending, None)
        if upcoming is not None:
            Timeout(env, upcoming[1] - env.now, upcoming[0]).callbacks.append(on_arrival)

    def ticker():
        while True:
            log.append((env.now, "tick", None))
            yield env.timeout(0.5)

    env.process(ticker())
    first = next(pending)
    Timeout(env, first[1] - env.now, first[0]).callbacks.append(on_arrival)
    env.run(until=40)
    return log


def _with_engine(times: list[float], seed: int) -> list[tuple]:
    """The same model on the Engine: a feed for the arrivals, scheduled calls for the services."""
    env, rng, log = Engine(), random.Random(seed), []

    def served(item):
        log.append((env.now, "served", item))
        if rng.random() < 0.3:
            env.call_in(rng.choice([0.0, 0.5, 1.0]), Call(served, item + 1000))

    def arrive(item):
        log.append((env.now, "arrived", item))
        env.call_in(rng.choice([0.0, 0.5, 1.0, 2.0]), Call(served, item))

    def ticker():
        while True:
            log.append((env.now, "tick", None))
            yield env.timeout(0.5)

    env.process(ticker())
    env.feed(((t, i) for i, t in enumerate(times)), arrive)
    env.run(until=40)
    return log


@pytest.mark.parametrize("seed", range(20))
def test_calls_and_the_arrival_feed_run_in_the_order_of_the_timeouts_they_replace(seed):
    times = _arrival_times(random.Random(seed), 40)
    assert _with_engine(times, seed) == _with_timeouts(times, seed)


def test_a_new_feed_before_the_previous_is_exhausted_is_refused():
    env = Engine()
    env.feed(iter([(1.0, "a"), (2.0, "b")]), lambda item: None)
    with pytest.raises(RuntimeError, match="previous one"):
        env.feed(iter([(3.0, "c")]), lambda item: None)


def test_step_and_peek_see_the_waiting_arrival():
    env, seen = Engine(), []
    env.call_in(2.0, Call(seen.append, "call"))
    env.feed(iter([(1.0, "arrival")]), seen.append)
    assert env.peek() == 1.0
    env.step()
    env.step()
    assert seen == ["arrival", "call"] and env.now == 2.0
