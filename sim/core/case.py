"""A case while it is open: the named record the handling layer moves, built in one place.

The case log keeps every case's static columns (arrival, category, source, grid...) as numpy
columns; while a case is open the model needs a small mutable record of what drives its
handling, and `Case` is it (slots, so a district-year of records stays small and fast). Its
random draws (work content at each level, whether it escalates, the uniform deciding reopening) were
made when its arrival block was drawn, so scenarios that differ only in staff or rules see the
same cases. `cases_of_block` makes the records of one arrival block (`arrivals_of_block` a chunk
at a time); nothing else builds one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .arrivals import ArrivalBlock

NOT_YET = -1.0  # a time not reached yet (started, whistled, accepted): NaN in the case log


class Case:
    """One open case. `level`: 0 grid, 1 community, 2 department (see `handling`)."""

    __slots__ = ("id", "due", "grid", "category", "level", "escalations", "token", "work", "escalates", "u_reopen",
                 "reopened", "rework", "started", "whistled", "accepted", "department", "delay",
                 "resolution_limit")

    def __init__(self, case_id: int, due: float, grid: int, category: int, level: int, work: Sequence[float],
                 escalates: int, u_reopen: float, department: int):
        self.id = case_id
        self.due = due  # hours since time 0; inf without a deadline
        self.grid = grid
        self.category = category
        self.level = level
        self.escalations = 0
        self.token = 0  # the queue entry that holds the case (0: not queued); see `queues`
        self.work = work  # hours of focused work at grid, community, department (a row of the block's draws)
        self.escalates = escalates  # bit 0: it escalates from the grid level, bit 1: from the community level
        self.u_reopen = u_reopen
        self.reopened = False
        self.rework = False
        self.started = NOT_YET
        self.whistled = NOT_YET
        self.accepted = NOT_YET
        self.department = department  # the department it is whistled to, if it gets there
        self.delay = 0.0  # hours it waits when whistled, holding no staff, before it queues (external_delay)
        self.resolution_limit = 0.0  # the department's limit if whistled, drawn per case (0: its category's)

    def closure(self, now: float) -> tuple:
        """The columns written to the case log when the case closes (see `log.CLOSE_COLUMNS`)."""
        return (self.id, now, self.level, self.escalations, self.reopened, self.due, self.started, self.whistled,
                self.accepted)


def cases_of_block(block: ArrivalBlock, first_id: int, start: int = 0, stop: int | None = None) -> list[Case]:
    """The records of a block's cases start .. stop - 1 (all by default), ids first_id + start, ... in arrival order."""
    stop = len(block) if stop is None else stop
    part = slice(start, stop)
    # each case's work as one tuple, zipped from the columns (a row of tolist() would be a list: two allocations
    # where a tuple is one, on every case of a district-year)
    work = zip(*(column.tolist() for column in block.work[part].T), strict=True)
    cases = list(map(Case, range(first_id + start, first_id + stop), block.due[part].tolist(),
                     block.grid[part].tolist(), block.category[part].tolist(), block.level[part].tolist(), work,
                     block.escalates[part].tolist(), block.u_reopen[part].tolist(), block.department[part].tolist()))
    if block.delay is not None:
        for case, delay in zip(cases, block.delay[part].tolist(), strict=True):
            case.delay = delay
    if block.resolution_limit is not None:
        for case, limit in zip(cases, block.resolution_limit[part].tolist(), strict=True):
            case.resolution_limit = limit
    return cases


def arrivals_of_block(block: ArrivalBlock, first_id: int, chunk: int = 1024) -> Iterator[tuple[float, Case]]:
    """(arrival time, record) of a block's cases in arrival order, the records made `chunk` at a time as they come.

    A week of a district's cases is some 30,000 records; made all at once they sit in memory for
    the week, and the larger the district the more of the process's working set they are (the
    cost per case grew with the district). Made a chunk at a time, only the next chunk waits.
    The records are the same either way.
    """
    times = block.time.tolist()
    for start in range(0, len(times), chunk):
        stop = min(start + chunk, len(times))
        yield from zip(times[start:stop], cases_of_block(block, first_id, start, stop), strict=True)
