"""Grid workers and community workers: weekly working calendars and the assignment of grids to posts.

A `Calendar` turns a weekly pattern of working hours into arithmetic on the simulation clock:
how many working hours lie between two instants, and when a given amount of work started now
will be finished (work pauses outside working hours). `assign_posts` shares the district's
grids among the grid workers on duty: each worker (post) covers a contiguous run of grids of
balanced load; with more workers than grids, grids share the spare workers by load.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right

import numpy as np

from ..params.calendar import DAY_NAMES, WorkingHours

WEEK_H = 168.0


class Calendar:
    """A weekly working calendar; time 0 is Monday 00:00."""

    def __init__(self, blocks: list[WorkingHours]):
        intervals = sorted(
            (DAY_NAMES.index(day) * 24 + block.start_h, DAY_NAMES.index(day) * 24 + block.end_h)
            for block in blocks
            for day in block.days
        )
        merged: list[list[float]] = []
        for start, end in intervals:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.lengths = [e - s for s, e in merged]
        self.cum = [0.0]
        for length in self.lengths[:-1]:
            self.cum.append(self.cum[-1] + length)
        self.cum_end = [c + l for c, l in zip(self.cum, self.lengths)]
        self.week_hours = sum(self.lengths)
        self.always = self.week_hours >= WEEK_H

    def worked(self, t: float) -> float:
        """Working hours between time 0 and t."""
        if self.always:
            return t
        week, r = divmod(t, WEEK_H)
        i = bisect_right(self.starts, r) - 1
        partial = 0.0 if i < 0 else self.cum[i] + min(r - self.starts[i], self.lengths[i])
        return week * self.week_hours + partial

    def at_worked(self, w: float) -> float:
        """The earliest time by which w working hours have elapsed since time 0."""
        if self.always:
            return w
        week, r = divmod(w, self.week_hours)
        if r == 0 and week > 0:
            week, r = week - 1, self.week_hours
        i = bisect_left(self.cum_end, r)
        i = min(i, len(self.starts) - 1)
        return week * WEEK_H + self.starts[i] + (r - self.cum[i])

    def finish(self, t: float, work_h: float) -> float:
        """When work of work_h hours started at t is done, pausing outside working hours."""
        if self.always:
            return t + work_h
        # Never before t: a work_h lost in rounding leaves worked() unchanged, and at_worked() of an
        # unchanged value off shift is the end of the last shift, which lies before t.
        return max(t, self.at_worked(self.worked(t) + work_h))

    def on_shift(self, t: float) -> bool:
        if self.always:
            return True
        r = t % WEEK_H
        i = bisect_right(self.starts, r) - 1
        return i >= 0 and r < self.ends[i]

    def hours_between(self, a: float, b: float) -> float:
        return max(0.0, self.worked(b) - self.worked(a))


def assign_posts(grid_load: np.ndarray, head_count: int) -> tuple[np.ndarray, list[int]]:
    """Share grids among grid workers.

    Returns the post index of every grid and the number of workers at each post. Grids are in
    territory order (by community), so a post covers neighbouring grids. With no workers, every
    grid belongs to one unstaffed post and its cases wait.
    """
    n_grids = len(grid_load)
    if head_count <= 0:
        return np.zeros(n_grids, dtype=np.int64), [0]
    n_posts = min(head_count, n_grids)
    cumulative = np.cumsum(grid_load) - grid_load / 2.0
    total = float(grid_load.sum()) or 1.0
    slots = np.minimum((cumulative / total * n_posts).astype(np.int64), n_posts - 1)
    _, post_of_grid = np.unique(slots, return_inverse=True)
    post_load = np.bincount(post_of_grid, weights=grid_load)
    workers = [1] * len(post_load)
    spare = head_count - len(post_load)
    if spare > 0:
        # Give each spare worker to the post with the highest load per worker.
        heap = [(-load, i) for i, load in enumerate(post_load)]
        heapq.heapify(heap)
        for _ in range(spare):
            _, i = heapq.heappop(heap)
            workers[i] += 1
            heapq.heappush(heap, (-post_load[i] / workers[i], i))
    return post_of_grid.astype(np.int64), workers


def grid_head_count_segments(initial: int, batches: list[tuple[float, int]], end_h: float) -> list[tuple[float, float, int]]:
    """Piecewise-constant head count: [(from_h, to_h, head), ...] covering [0, end_h)."""
    changes = sorted(batches)
    segments = []
    head, t = initial, 0.0
    for start_h, size in changes:
        if start_h > t:
            segments.append((t, min(start_h, end_h), head))
        head += size
        t = max(t, start_h)
    if t < end_h:
        segments.append((t, end_h, head))
    return [s for s in segments if s[1] > s[0]]
