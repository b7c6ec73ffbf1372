"""Named random streams: one generator per purpose, derived from one seed.

Each stream is keyed by its *name* (a stable hash of "arrivals.counts", "work.grid", ...) and by
the replication number, never by its position in a list. So replication r of every scenario
sees the same arrivals (common random numbers), and adding a mechanism with a new stream never
shifts the draws of the existing ones.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (Python's own hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


class Streams:
    """The random streams of one replication: `streams["work.grid"]` is a numpy Generator."""

    def __init__(self, seed: int, replication: int):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator
