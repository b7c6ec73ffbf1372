"""Reading a case log: the file (CSV, plain or gzip, UTF-8 or GBK, or Excel), its timestamps, and the rows left out.

`read_case_log` finds the columns (see `columns`), parses the timestamps with a given format or
the one of `TIME_FORMATS` that reads most of a sample of the values, and keeps the rows it can
use as a `CaseLog`. A row it cannot use (no or unparseable creation time, unparseable closure or
deadline, closed more than a minute before created, deadline before creation) is counted under
its reason, never dropped silently, and kept aside (`dropped`) so that the fit report can show
what leaving it out does to the observed figures. A case the log itself voids (its status says
cancelled, duplicate, transferred...; `VOID_WORDS` or the values given) is left out the same way,
counted by status value. A closure recorded up to a minute before creation is a clock
difference: the case is an instant closure, kept and counted (`adjusted`).
A file with no usable row is an error saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .columns import detect_columns
from .log_file import read_log_table

TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "ISO8601", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分%S秒", "%Y年%m月%d日%H时%M分", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y",
)
# A status value containing one of these words voids the case (compared in lower case).
VOID_WORDS = ("cancel", "duplicate", "transfer", "void", "invalid", "withdrawn", "作废", "撤销", "取消", "重复",
              "转办", "无效")
INSTANT_CLOSURE_S = 60.0  # a closure up to this long before creation is an instant closure, not an error
INSTANT = "closed up to a minute before created (kept as instant closures)"


@dataclass
class CaseLog:
    """The usable rows of a case log, which columns and time formats they were read with, and the rows left out."""

    path: str
    frame: pd.DataFrame  # created, closed, due (Timestamps, NaT when absent), category, source, unit (str)
    columns: dict[str, str | None]  # role -> column name in the file
    time_formats: dict[str, str]
    rows_read: int
    excluded: dict[str, int]
    dropped: pd.DataFrame | None = None  # rows left out that have a creation time: created, closed, due, reason
    adjusted: dict[str, int] | None = None  # rows kept after a correction, by what was corrected
    void_values: tuple[str, ...] = ()  # the status values (or words) that void a case

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    @property
    def start(self) -> pd.Timestamp:
        return self.frame["created"].min().normalize()

    @property
    def end(self) -> pd.Timestamp:
        """The first midnight after the last creation: the end of the arrival period."""
        return self.frame["created"].max().normalize() + pd.Timedelta(days=1)

    @property
    def snapshot(self) -> pd.Timestamp:
        """When the log was taken: its latest timestamp of creation or closure, at least the end of the period."""
        latest = max(self.frame["created"].max(), self.frame["closed"].max() if self.frame["closed"].notna().any()
                     else self.frame["created"].max())
        return max(latest, self.end)

    @property
    def days(self) -> int:
        return int((self.end - self.start) / pd.Timedelta(days=1))

    def citation(self) -> str:
        return (f"case log {Path(self.path).name} ({self.rows_used:,} of {self.rows_read:,} rows used; "
                f"cases created {self.start.date()} to {(self.end - pd.Timedelta(days=1)).date()})")


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (plain, gzip or zipped; UTF-8, GB18030 or Latin-1) or Excel file, every column as text (see `log_file`)."""
    frame, _ = read_log_table(Path(path))
    if frame.empty:
        raise InputError(f"the file has a header ({', '.join(map(str, frame.columns))}) but no cases", where=str(path))
    return frame


def parse_times(values: pd.Series, time_format: str | None) -> tuple[pd.Series, str]:
    """Timestamps from text (or from Excel datetimes); unparseable values become NaT. Returns the format used."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values, "native"
    if values.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64))).all():
        return pd.to_datetime(values, errors="coerce"), "native"
    text = values.astype("string").str.strip()
    if time_format:
        return _to_datetime(text, time_format), time_format
    sample = text.dropna()
    sample = sample.iloc[:: max(1, len(sample) // 2000)]
    if sample.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"), "none"
    best, best_count = None, -1
    for fmt in TIME_FORMATS:
        count = int(_to_datetime(sample, fmt).notna().sum())
        if count > best_count:
            best, best_count = fmt, count
    if best_count == 0:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"), "none"
    return _to_datetime(text, best), best


_UTC_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """Timestamps as local wall-clock time. A UTC offset is dropped after reading (as one offset always was), so
    ISO times whose offset changes at daylight saving (-05:00 in winter, -04:00 in summer) keep their local hour."""
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError) as error:
        if "%" in fmt and not _is_mixed_offsets(error):
            raise InputError(f"--time-format {fmt!r} is not a valid strftime format ({error}); use directives "
                             "such as %Y-%m-%d %H:%M:%S") from None
        parsed = _without_offsets(text, fmt)
    if parsed.dtype == object:  # offsets that differ between values, parsed one by one
        parsed = _without_offsets(text, fmt)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _without_offsets(text: pd.Series, fmt: str) -> pd.Series:
    wall_clock = text.str.replace(_UTC_OFFSET, "", regex=True)
    return pd.to_datetime(wall_clock, format=fmt.replace("%z", "").replace("%Z", "").rstrip(), errors="coerce")


def _is_mixed_offsets(error: Exception) -> bool:
    text = str(error).lower()
    return "timezone" in text or "offset" in text or "tz" in text


def check_time_format(time_format: str) -> None:
    """Refuse a --time-format that is not a strftime format before any file is read."""
    if "%" not in time_format and time_format.upper() not in ("ISO8601", "MIXED"):
        raise InputError(f"--time-format {time_format!r} has no % directive; use a strftime format such as "
                         "'%Y-%m-%d %H:%M:%S' (or ISO8601)")
    try:
        pd.to_datetime(pd.Series(["2024-01-01 00:00:00"]), format=time_format, errors="coerce")
    except (ValueError, TypeError) as error:
        raise InputError(f"--time-format {time_format!r} is not a valid strftime format ({error}); use "
                         "directives such as %Y %m %d %H %M %S") from None


def read_case_log(path: str | Path, *, created: str | None = None, closed: str | None = None, due: str | None = None,
                  category: str | None = None, source: str | None = None, unit: str | None = None,
                  status: str | None = None, void_status: list[str] | None = None,
                  time_format: str | None = None) -> CaseLog:
    """Read and clean a case log; rows that cannot be used are counted by reason, never silently dropped.

    `void_status`: the status values (compared whole, in lower case) that void a case; default: a value
    containing one of `VOID_WORDS`.
    """
    path = Path(path)
    if time_format is not None:
        check_time_format(time_format)
    roles = {role: column for role, column in (("created", created), ("closed", closed), ("due", due),
                                               ("category", category), ("source", source), ("unit", unit))
             if column is not None}
    for role, column in roles.items():
        same = [other for other, name in roles.items() if name == column and other != role]
        if same:
            raise InputError(f"--{role} and --{same[0]} both name the column {column!r}; each role needs a column "
                             "of its own (a case is not closed when it is created)")
    table = read_table(path)
    given = {"created": created, "closed": closed, "due": due, "category": category, "source": source, "unit": unit,
             "status": status}
    if void_status is not None and not [v for v in void_status if v.strip()]:
        raise InputError("--void-status needs at least one status value, e.g. --void-status cancelled,duplicate",
                         where=str(path))
    columns = detect_columns([str(c) for c in table.columns], given, str(path))
    table.columns = [str(c) for c in table.columns]
    rows_read = len(table)
    frame = pd.DataFrame(index=table.index)
    formats: dict[str, str] = {}
    excluded: dict[str, int] = {}
    for role in ("created", "closed", "due"):
        if columns[role] is None:
            frame[role] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
            continue
        raw = table[columns[role]]
        frame[role], formats[role] = parse_times(raw, time_format)
        present = raw.notna() & (raw.astype("string").str.strip() != "")
        bad = present & frame[role].isna()
        if role == "created":
            _exclude(excluded, "no creation time", ~present)
        _exclude(excluded, f"unparseable {role} time ({columns[role]})", bad)
    for role, default in (("category", "unknown"), ("source", "unknown"), ("unit", "all")):
        if columns[role] is None:
            frame[role] = default
        else:
            text = table[columns[role]].astype("string").str.strip()
            frame[role] = text.fillna(default).replace("", default).astype(str)
    keep = pd.Series(True, index=frame.index)
    keep &= frame["created"].notna()
    for role in ("closed", "due"):
        if columns[role] is not None:
            raw = table[columns[role]]
            present = raw.notna() & (raw.astype("string").str.strip() != "")
            keep &= ~(present & frame[role].isna())
    reason = pd.Series("", index=frame.index, dtype=object)
    reason[~keep & frame["created"].notna()] = "unparseable closure or deadline"
    early = frame["created"] - frame["closed"]
    instant = keep & frame["closed"].notna() & (early > pd.Timedelta(0)) \
        & (early <= pd.Timedelta(seconds=INSTANT_CLOSURE_S))
    frame.loc[instant, "closed"] = frame.loc[instant, "created"]
    adjusted = {INSTANT: int(instant.sum())} if instant.any() else {}
    before = keep & frame["closed"].notna() & (frame["closed"] < frame["created"])
    _exclude(excluded, "closed more than a minute before created", before)
    reason[before] = "closed more than a minute before created"
    keep &= ~before
    due_before = keep & frame["due"].notna() & (frame["due"] < frame["created"])
    _exclude(excluded, "deadline before creation", due_before)
    reason[due_before] = "deadline before creation"
    keep &= ~due_before
    words = tuple(v.strip().lower() for v in void_status if v.strip()) if void_status else VOID_WORDS
    if columns["status"] is not None:
        values = table[columns["status"]].astype("string").str.strip().fillna("")
        lower = values.str.lower()
        voids = lower.isin(words) if void_status else lower.map(lambda v: any(w in v for w in words)).astype(bool)
        voids &= keep
        for value, count in values[voids].value_counts().items():
            excluded[f"voided by the log ({columns['status']} = {value})"] = int(count)
        reason[voids] = "voided: " + values[voids]
        keep &= ~voids
    dropped = frame[~keep & (reason != "")].assign(reason=reason[~keep & (reason != "")])
    frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        reasons = "; ".join(f"{n:,} {r}" for r, n in excluded.items()) or "no rows"
        raise InputError(f"no usable cases among {rows_read:,} rows ({reasons})", where=str(path))
    return CaseLog(str(path), frame, columns, formats, rows_read, {k: v for k, v in excluded.items() if v},
                   dropped=dropped.reset_index(drop=True), adjusted=adjusted, void_values=words)


def _exclude(excluded: dict[str, int], reason: str, mask: pd.Series) -> None:
    count = int(mask.sum())
    if count:
        excluded[reason] = excluded.get(reason, 0) + count
