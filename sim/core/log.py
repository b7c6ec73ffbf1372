"""The case log of one replication as growable numpy columns, filled block by block and at each closure.

Static columns (arrival, category, source, grid, triage level, department) are written when an
arrival block is drawn; the columns of `CLOSE_COLUMNS` when a case closes (`Case.closure`), and
at the end of the run for every case still open (its level, start, whistle and acceptance so far;
`closed_h` stays NaN).
The log is handed over as a dict of numpy arrays: no pandas in the model (see
`analysis.case_log` for the table).
"""

from __future__ import annotations

import numpy as np

from .arrivals import ArrivalBlock
from .case import NOT_YET

# Columns written when a case closes, in the order of Case.closure() after the id.
CLOSE_COLUMNS = ("closed_h", "level", "escalations", "reopened", "due_h", "started_h", "whistled_h", "accepted_h")
CLOSE_DTYPES = (float, np.int8, np.int8, bool, float, float, float, float)


class CaseColumns:
    """The case log as growable numpy columns, filled block by block and at each closure."""

    STATIC = (("arrived_h", float), ("category", np.int16), ("source", np.int8), ("grid", np.int32), ("initial_level",
                                                                                                      np.int8),
              ("department", np.int16))

    def __init__(self, capacity: int):
        self.n = 0
        self.columns = {name: np.empty(capacity, dtype) for name, dtype in self.STATIC}
        for name, dtype in zip(CLOSE_COLUMNS, CLOSE_DTYPES, strict=True):
            self.columns[name] = np.empty(capacity, dtype)

    def add_block(self, block: ArrivalBlock) -> int:
        """Append a block's static columns; returns the id of its first case."""
        first, n = self.n, len(block)
        if first + n > len(self.columns["arrived_h"]):
            self._grow(max(2 * len(self.columns["arrived_h"]), first + n))
        c = self.columns
        c["arrived_h"][first:first + n] = block.time
        c["category"][first:first + n] = block.category
        c["source"][first:first + n] = block.source
        c["grid"][first:first + n] = block.grid
        c["initial_level"][first:first + n] = block.level
        c["department"][first:first + n] = block.department
        c["closed_h"][first:first + n] = np.nan
        c["level"][first:first + n] = block.level
        c["escalations"][first:first + n] = 0
        c["reopened"][first:first + n] = False
        c["due_h"][first:first + n] = block.due
        c["started_h"][first:first + n] = np.nan
        c["whistled_h"][first:first + n] = np.nan
        c["accepted_h"][first:first + n] = np.nan
        self.n += n
        return first

    def record_closures(self, closed: list[tuple]) -> None:
        if not closed:
            return
        rows = list(zip(*closed, strict=True))
        ids = np.fromiter(rows[0], dtype=np.int64, count=len(closed))
        for name, values in zip(CLOSE_COLUMNS, rows[1:], strict=True):
            column = self.columns[name]
            column[ids] = np.fromiter(values, dtype=column.dtype, count=len(ids))
        closed.clear()

    def _grow(self, capacity: int) -> None:
        for name, column in self.columns.items():
            grown = np.empty(capacity, column.dtype)
            grown[: self.n] = column[: self.n]
            self.columns[name] = grown

    def finished(self) -> dict[str, np.ndarray]:
        """Hand the columns over, trimmed to the cases logged; the log is empty afterwards."""
        # Trim one column at a time, dropping the full-capacity one as we go: peak memory is the
        # log plus one column, not two copies of the log.
        out = {}
        for name in list(self.columns):
            column = self.columns.pop(name)
            out[name] = column if len(column) == self.n else column[: self.n].copy()
            del column
        for name in ("started_h", "whistled_h", "accepted_h"):
            out[name][out[name] == NOT_YET] = np.nan
        return out
