"""Calibrating a district from its own case log: reading, fitting, calibration by simulation, the scenario file.

A case log (a grid platform's or a hotline's export) has one row per case: when it was
reported, its deadline, when it was closed, its category, its channel and the unit that
handled it. `read_case_log` finds those columns (by the names given, or by detection, in
English or Chinese), parses the timestamps (with a given format or one inferred from the
values) and counts every row it cannot use, by reason. `calibrate` turns the log into a
scenario that reproduces it:

- arrivals: the rate of every category (the K largest; the rest merged into "other", whose
  cases go to their units in the logged shares), a 168-value hour-of-week profile, and a gamma day-level rate
  multiplier whose coefficient of variation is the day-to-day variance beyond Poisson (method
  of moments after removing the day-of-week pattern);
- the share of each source, and each category's deadline (the median offset from creation to
  due; categories where most cases have no deadline get none);
- every handling unit becomes a department. Its working hours are fitted from the hours at
  which it closes cases. Its capacity and its cases' work content are not in the log, so they
  are found by simulation: the unit's capacity is tied to the throughput it demonstrably
  achieved (the 90th percentile of its closures per working day), and the median and spread
  of each category's work content (lognormal; "other"'s unit by unit, since it mixes kinds of
  case) are searched until the simulated median time to close and on-time rate of the category
  match the observed ones. Cases queue for staff who work to a calendar, so a change of staff
  changes the times to close; nothing replays observed durations.

Observed and simulated logs are summarised by the same function (`moments`), on the same
definitions: a case still open at the end of the log counts in the time to close at its age
then (a lower bound); the on-time rate is the share of cases with a deadline, closed or past
due at the end of the log, that closed by their deadline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import InputError
from ..params import Scenario, validate_scenario
from ..params.base import MAX_HORIZON_DAYS
from ..params.calendar import DAY_NAMES

ROLES = ("created", "closed", "due", "category", "source", "unit")
REQUIRED = ("created", "closed", "category")

# Column names recognised when none is given, compared after lower-casing and removing
# spaces, underscores, hyphens and dots. English names of common 311 / CRM exports first,
# then the names of Chinese grid-management platform exports.
CANDIDATES: dict[str, list[str]] = {
    "created": ["opendt", "created", "createdat", "createddate", "createdtime", "opened", "opendate", "opentime",
                "reported", "reportedat", "reporttime", "requesteddatetime", "requestdate", "datereported", "creationdate",
                "createdate", "createddt", "submitteddate", "receiveddate", "datereceived",
                "上报时间", "受理时间", "创建时间", "立案时间", "登记时间", "发现时间", "报告时间", "接收时间", "来电时间",
                "诉求时间", "提交时间", "工单创建时间"],
    "closed": ["closeddt", "closed", "closedat", "closeddate", "closedtime", "closedate", "closetime", "resolved",
               "resolvedat", "completed", "completedat", "resolutiondate", "completiondate", "dateclosed", "结案时间", "办结时间",
               "关闭时间", "处置完成时间", "完成时间", "归档时间", "实际办结时间", "处理完成时间"],
    "due": ["targetdt", "due", "duedate", "dueat", "duetime", "deadline", "target", "targetdate", "slatarget",
            "duedt", "sladuedate", "sladate", "expectedclosedate", "targetclosedate", "处置截止时间", "截止时间", "办理时限",
            "处置时限", "期限", "应办结时间", "限办时间", "要求办结时间", "办结时限", "截止日期"],
    "category": ["type", "casetype", "category", "requesttype", "servicename", "complainttype", "subject",
                 "srtype", "servicerequesttype", "problemtype", "issuetype", "事项类别", "类别", "事件类型", "案件类型", "问题类型",
                 "事项类型", "小类", "大类", "诉求类型", "诉求分类", "问题分类", "工单类型", "事件分类"],
    "source": ["source", "channel", "origin", "requestsource", "opendatachanneltype", "channeltype", "methodreceived",
               "来源", "案件来源", "事项来源", "渠道", "上报渠道", "上报来源", "诉求渠道", "来源渠道", "受理渠道"],
    "unit": ["department", "unit", "agency", "dept", "queue", "owner", "responsibleagency", "ownerdepartment", "division",
             "assignedto", "assignto", "处置部门", "责任部门", "承办部门", "处置单位", "办理部门", "责任单位", "承办单位",
             "处理部门", "主办单位"],
}

TIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "ISO8601", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分%S秒", "%Y年%m月%d日%H时%M分", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y",
)

OTHER = "other"
NO_DEADLINE_SUFFIX = " (no deadline)"
OTHERS = (OTHER, OTHER + NO_DEADLINE_SUFFIX)
UNIT_SEPARATOR = " @ "  # between "other" and the unit in a work key (see work_key)
MIN_UNIT_SHARE = 0.005  # units with fewer cases than this share are merged into "other"
MAX_WORK_SIGMA = math.sqrt(math.log1p(10.0**2))  # the schema's work cv limit of 10
MAX_MEAN_WORK_H = 9_000.0


# --------------------------------------------------------------------------- reading the log


@dataclass
class CaseLog:
    """A case log in model units: hours since the first day of the log, and the counts of rows left out."""

    path: str
    frame: pd.DataFrame  # created, closed, due (Timestamps, NaT when absent), category, source, unit (str)
    columns: dict[str, str | None]  # role -> column name in the file
    time_formats: dict[str, str]
    rows_read: int
    excluded: dict[str, int]

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


def normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-.()（）]+", "", str(name)).lower()


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (plain or gzip, UTF-8 or GBK) or Excel file, every column as text."""
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a case log", where=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty: a case log needs a header row and at least one case", where=str(path))
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, dtype=object)
        else:
            frame = _read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty: a case log needs a header row and at least one case", where=str(path)) from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as error:
        raise InputError(f"cannot read it as CSV or Excel: {str(error).splitlines()[0]}", where=str(path)) from None
    if frame.empty:
        raise InputError(f"the file has a header ({', '.join(map(str, frame.columns))}) but no cases", where=str(path))
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding,
                               sep=None, engine="python") if _needs_sniffing(path) else \
                pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("is neither UTF-8 nor GBK text", where=str(path))


def _needs_sniffing(path: Path) -> bool:
    """Whether the first line has no comma (a tab- or semicolon-separated export)."""
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            first = handle.readline()
    except (OSError, EOFError):
        return False
    return b"," not in first and (b"\t" in first or b";" in first)


# When no column has a recognised name, a column whose name contains one of these words (earlier
# words first); the time roles also need a word saying it is a time. Roles are tried in this order,
# so that "Open Data Channel Type" is the source before it can be taken for the category.
KEYWORDS: dict[str, list[str]] = {
    "created": ["creat", "open", "report", "receiv", "submit", "上报", "受理", "创建", "登记", "来电", "提交", "发现"],
    "closed": ["clos", "resolv", "complet", "finish", "结案", "办结", "完成", "关闭"],
    "due": ["due", "deadline", "target", "sla", "截止", "时限", "期限"],
    "source": ["channel", "source", "origin", "method", "来源", "渠道"],
    "unit": ["agency", "department", "dept", "division", "queue", "owner", "assign", "部门", "单位"],
    "category": ["type", "category", "subject", "topic", "class", "类别", "类型", "分类"],
}
TIME_WORD = re.compile(r"(date|time|dt$|at$|时间|日期|时限|期限)")


def detect_columns(columns: list[str], given: dict[str, str | None], where: str) -> dict[str, str | None]:
    """The column of every role: the one given, else the first recognised name, else a name with a role's
    keyword; required roles must be found."""
    found: dict[str, str | None] = {}
    by_norm = {normalise_name(c): c for c in columns}
    for role in ROLES:
        name = given.get(role)
        if name is not None:
            if name not in columns:
                raise InputError(f"--{role} {name!r} is not a column; the columns are: {', '.join(map(str, columns))}",
                                 where=where)
            found[role] = name
            continue
        found[role] = next((by_norm[c] for c in CANDIDATES[role] if c in by_norm and by_norm[c] not in found.values()),
                           None)
    for role in KEYWORDS:
        if found[role] is None:
            found[role] = _by_keyword(role, by_norm, taken=set(found.values()))
    missing = [role for role in REQUIRED if found[role] is None]
    if missing:
        flags = " ".join(f"--{role} COLUMN" for role in missing)
        raise InputError(
            f"cannot tell which column holds the {', '.join(missing)} of a case; the columns are: "
            f"{', '.join(map(str, columns))}. Name them with {flags}", where=where)
    return found


def _by_keyword(role: str, by_norm: dict[str, str], taken: set) -> str | None:
    for word in KEYWORDS[role]:
        for norm, column in by_norm.items():
            if word in norm and column not in taken and (role in ("source", "unit", "category") or TIME_WORD.search(norm)):
                return column
    return None


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


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def read_case_log(path: str | Path, *, created: str | None = None, closed: str | None = None, due: str | None = None,
                  category: str | None = None, source: str | None = None, unit: str | None = None,
                  time_format: str | None = None) -> CaseLog:
    """Read and clean a case log; rows that cannot be used are counted by reason, never silently dropped."""
    path = Path(path)
    table = read_table(path)
    given = {"created": created, "closed": closed, "due": due, "category": category, "source": source, "unit": unit}
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
    before = keep & frame["closed"].notna() & (frame["closed"] < frame["created"])
    _exclude(excluded, "closed before created", before)
    keep &= ~before
    due_before = keep & frame["due"].notna() & (frame["due"] < frame["created"])
    _exclude(excluded, "deadline before creation", due_before)
    keep &= ~due_before
    frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        reasons = "; ".join(f"{n:,} {r}" for r, n in excluded.items()) or "no rows"
        raise InputError(f"no usable cases among {rows_read:,} rows ({reasons})", where=str(path))
    return CaseLog(str(path), frame, columns, formats, rows_read, {k: v for k, v in excluded.items() if v})


def _exclude(excluded: dict[str, int], reason: str, mask: pd.Series) -> None:
    count = int(mask.sum())
    if count:
        excluded[reason] = excluded.get(reason, 0) + count


# --------------------------------------------------------------------------- the model's view of the log


def key_name(text: str) -> str:
    """A category or unit name usable as a parameter path step (no dots, not empty)."""
    cleaned = re.sub(r"\s+", " ", str(text)).strip().replace(".", "_")
    return cleaned or "unknown"


def assign_groups(log: CaseLog, top_categories: int) -> pd.DataFrame:
    """Model category and department of every case: the K largest categories; the rest merged into 'other'."""
    frame = log.frame.copy()
    frame["unit"] = frame["unit"].map(key_name)
    unit_share = frame["unit"].value_counts(normalize=True)
    small = set(unit_share[unit_share < MIN_UNIT_SHARE].index)
    if small and len(small) < len(unit_share):
        frame.loc[frame["unit"].isin(small), "unit"] = OTHER
    frame["type"] = frame["category"].map(key_name)
    top = list(frame["type"].value_counts().index[:top_categories])
    frame["category"] = frame["type"].where(frame["type"].isin(top), OTHER)
    # A category where some cases have a deadline and others not is split in two, so the
    # simulated cases with a deadline are the same mix as the logged ones.
    has_due = frame["due"].notna()
    share = has_due.groupby(frame["category"]).transform("mean")
    size = frame.groupby("category")["category"].transform("size")
    split = (share >= 0.1) & (share <= 0.9) & (size * share.clip(upper=0.5) >= 30) & ~has_due
    frame.loc[split, "category"] = frame.loc[split, "category"] + NO_DEADLINE_SUFFIX
    # A named category goes to the unit handling most of its cases; "other" mixes many kinds of case,
    # so each of its cases keeps its own unit (the scenario gives "other" a share by unit).
    department = frame.groupby("category")["unit"].agg(lambda u: u.value_counts().index[0])
    frame["department"] = frame["category"].map(department).where(~frame["category"].isin(OTHERS), frame["unit"])
    frame["work_key"] = work_keys(frame["category"], frame["department"])
    return frame


def work_key(category: str, unit: str) -> str:
    """What a case's work content is fitted for: its named category, or "other" at its unit.

    "other" mixes kinds of case that each unit handles its own way, so its work content is fitted
    unit by unit (the scenario's `department_work`); a named category has one work content.
    """
    return category + UNIT_SEPARATOR + unit if category in OTHERS else category


def work_keys(category: pd.Series, department: pd.Series) -> pd.Series:
    """work_key of every case, vectorised."""
    return category.where(~category.isin(OTHERS), category + UNIT_SEPARATOR + department)


def to_hours(log: CaseLog, frame: pd.DataFrame) -> pd.DataFrame:
    """Observed cases in model time: hours since the first midnight of the log; hour of week from Monday 00:00."""
    start = log.start
    hours = lambda t: (t - start) / pd.Timedelta(hours=1)  # noqa: E731
    created = frame["created"]
    return pd.DataFrame({
        "arrived_h": hours(created).to_numpy(float),
        "closed_h": hours(frame["closed"]).to_numpy(float),
        "due_h": np.nan_to_num(hours(frame["due"]).to_numpy(float), nan=np.inf),
        "hour_of_week": (created.dt.day_of_week * 24 + created.dt.hour).to_numpy(int),
        "category": frame["category"].to_numpy(),
        "department": frame["department"].to_numpy(),
        "work_key": frame["work_key"].to_numpy(),
    })


# --------------------------------------------------------------------------- moments (observed = simulated)


QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def moments(cases: pd.DataFrame, weekday: np.ndarray, snapshot_h: float | np.ndarray) -> dict:
    """Arrival and closure statistics of a log in model time.

    Day i of the log is [24 i, 24 (i + 1)) h and falls on `weekday[i]` (0 = Monday); the log was
    taken at `snapshot_h` (one value, or one per case when replications are pooled end to end).
    """
    days = len(weekday)
    counts = np.bincount(np.floor(cases["arrived_h"].to_numpy() / 24).astype(int), minlength=days)[:days]
    hours_of_week = np.repeat(np.bincount(weekday, minlength=7), 24)
    how_rate = np.bincount(cases["hour_of_week"].to_numpy(), minlength=168) / np.maximum(hours_of_week, 1)
    if "snapshot_h" not in cases:
        cases = cases.assign(snapshot_h=float(snapshot_h))
    out = {
        "cases": len(cases),
        "days": days,
        "daily_counts": counts,
        "weekday": weekday,
        "cases_per_day_mean": float(counts.mean()),
        "cases_per_day_var": float(counts.var(ddof=1)) if days > 1 else math.nan,
        "hour_of_week_rate": how_rate,
        "overall": closure_moments(cases),
    }
    out["by_category"] = {name: closure_moments(group) for name, group in cases.groupby("category")}
    out["by_department"] = {name: closure_moments(group) for name, group in cases.groupby("department")}
    out["by_work_key"] = {name: closure_moments(group) for name, group in cases.groupby("work_key")}
    return out


def closure_moments(cases: pd.DataFrame) -> dict:
    """Time-to-close quantiles (open cases at their age at the snapshot) and the on-time rate of decided cases."""
    snapshot_h = cases["snapshot_h"].to_numpy(float)
    arrived = cases["arrived_h"].to_numpy(float)
    closed = cases["closed_h"].to_numpy(float)
    due = cases["due_h"].to_numpy(float)
    is_closed = ~np.isnan(closed) & (closed <= snapshot_h)
    ttc = np.where(is_closed, closed - arrived, snapshot_h - arrived)
    has_deadline = np.isfinite(due)
    decided = has_deadline & (is_closed | (due < snapshot_h))
    on_time = decided & is_closed & (closed <= due)
    closed_with_deadline = has_deadline & is_closed
    result = {"cases": int(len(cases)), "open_share": float(1 - is_closed.mean()) if len(cases) else math.nan,
              "on_time_rate_closed": float(on_time.sum() / closed_with_deadline.sum()) if closed_with_deadline.any()
              else math.nan,
              "decided": int(decided.sum()),
              "on_time_rate": float(on_time.sum() / decided.sum()) if decided.any() else math.nan,
              "deadline_h": float(np.median(due[has_deadline] - arrived[has_deadline])) if has_deadline.any() else math.nan}
    for q in QUANTILES:
        result[f"ttc_p{int(q * 100)}_h"] = float(np.quantile(ttc, q)) if len(ttc) else math.nan
    return result


# --------------------------------------------------------------------------- fitting arrivals


def daily_rate_cv(counts: np.ndarray, weekday: np.ndarray) -> float:
    """Coefficient of variation of a day-level rate multiplier, by the method of moments.

    With day d's count Poisson given a rate mu_w(d) G_d, E G = 1, Var G = cv^2, the count has
    variance mu + cv^2 mu^2. The day-of-week means mu_w are removed first.
    """
    excess, weight = 0.0, 0.0
    for w in range(7):
        group = counts[weekday == w].astype(float)
        if len(group) < 2 or group.mean() <= 0:
            continue
        mu = group.mean()
        excess += (group.var(ddof=1) - mu) * (len(group) - 1)
        weight += mu**2 * (len(group) - 1)
    if weight <= 0:
        return 0.0
    return float(min(5.0, math.sqrt(max(0.0, excess / weight))))


def working_hours(closed: pd.Series) -> tuple[list[dict], str]:
    """A unit's weekly working hours from when it closes cases.

    Work pauses outside working hours, so a unit closes next to nothing then: its hours are the
    span of weekday hours with at least 5 % of the busiest hour's closures, and it works weekends
    if it closes at least 15 % as many cases per weekend day as per weekday.
    """
    closed = closed.dropna()
    if len(closed) < 50:
        return [{"days": list(DAY_NAMES[:5]), "start_h": 8.5, "end_h": 17.5}], \
            f"assumption: office hours 08:30-17:30 on weekdays (only {len(closed)} closures to fit from)"
    weekday = closed.dt.day_of_week < 5
    by_hour = np.bincount(closed[weekday].dt.hour, minlength=24)
    busy = np.flatnonzero(by_hour >= 0.05 * by_hour.max())
    start, end = int(busy.min()), int(busy.max()) + 1
    per_weekday = weekday.sum() / 5.0
    per_weekend_day = (~weekday).sum() / 2.0
    days = list(DAY_NAMES) if per_weekend_day >= 0.15 * per_weekday else list(DAY_NAMES[:5])
    if end - start >= 20:
        start, end = 0, 24
    note = (f"fitted: {len(closed):,} closures; weekday hours with at least 5 % of the busiest hour's "
            f"closures; weekend closures per day {per_weekend_day / max(per_weekday, 1e-9):.0%} of weekday ones")
    return [{"days": days, "start_h": float(start), "end_h": float(end)}], note


def peak_throughput(closed: pd.Series, working_days: list[str], start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Closures per working day the unit demonstrably achieves: the 90th percentile over working days in the period."""
    closed = closed.dropna()
    closed = closed[(closed >= start) & (closed < end)]
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    working = [d for d in days if DAY_NAMES[d.day_of_week] in working_days] or list(days)
    per_day = closed.dt.normalize().value_counts().reindex(working, fill_value=0)
    return float(max(1.0, np.quantile(per_day.to_numpy(), 0.9))) if len(per_day) else 1.0


# --------------------------------------------------------------------------- calibration by simulation


@dataclass
class WorkFit:
    """The searched work content of one category: lognormal median and spread."""

    work_median_h: float
    work_sigma: float
    loss: float = math.inf

    def work_mean_h(self) -> float:
        return min(MAX_MEAN_WORK_H, self.work_median_h * math.exp(self.work_sigma**2 / 2))

    def work_cv(self) -> float:
        return min(10.0, math.sqrt(math.expm1(self.work_sigma**2)))

    def set_sigma(self, sigma: float) -> None:
        """Set the spread of the work content, within the schema's limits on cv and mean."""
        self.work_sigma = float(np.clip(sigma, 0.05, MAX_WORK_SIGMA))
        while self.work_mean_h() >= MAX_MEAN_WORK_H and self.work_sigma > 0.05:
            self.work_sigma *= 0.95


@dataclass
class Unit:
    """A handling unit: working hours fitted from its closures, capacity tied to its peak throughput."""

    peak_per_day: float
    hours: list[dict]
    hours_note: str
    hours_per_week: float
    work_shares: dict[str, float]  # share of the unit's cases by work key (see work_keys)

    def staff(self, work: dict[str, WorkFit]) -> int:
        """Staff so that the unit's capacity equals its peak daily throughput: peak x mean work / working hours a day."""
        working_days = len(self.hours[0]["days"])
        hours_per_day = self.hours_per_week / max(working_days, 1)
        mean_work = sum(share * work[key].work_mean_h() for key, share in self.work_shares.items())
        return int(min(MAX_STAFF_FITTED, max(1, math.ceil(self.peak_per_day * mean_work / hours_per_day))))


MAX_STAFF_FITTED = 200_000


@dataclass
class Calibration:
    """Everything `gridgov calibrate` produces: the scenario, observed and simulated moments, the search history."""

    log: CaseLog
    raw: dict
    scenario: Scenario
    observed: dict
    simulated: dict
    history: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


SIGMA_GRID = (0.5, 1.0, 1.5, 1.9, MAX_WORK_SIGMA)
TRADE_OFF_FACTORS = (0.125, 0.25, 0.5, 2.0)  # median work tried at the best spread, without the median step
REFINE_STEPS = (-0.2, 0.2)
ON_TIME_WEIGHT = 8.0  # 0.1 of on-time rate weighs as much as a factor e^0.8 in the median time to close


def calibrate(log: CaseLog, *, top_categories: int = 20, search_steps: int = 3, seed: int = 0,
              warm_up_days: int = 28, replications: int = 1, name: str | None = None, progress=None) -> Calibration:
    """Fit a scenario to a case log; each category's work content is searched by simulation until the log is matched.

    The spread of the work content (lognormal sigma) is searched on a grid, refined around each
    category's best value; at every spread, `search_steps` damped fixed-point steps move the
    median work until the simulated median time to close matches. Last, lower and higher median
    work is tried at the best spread, for categories whose median and on-time rate cannot both be
    matched. All runs share their random numbers and units are independent queues whose capacity
    keeps them well clear of saturation, so each category keeps its best (lowest-loss) parameters;
    the final run checks the combination and is what the fit report shows.
    """
    if search_steps < 1:
        raise InputError(f"search steps must be at least 1, got {search_steps}")
    frame = assign_groups(log, top_categories)
    observed_cases = to_hours(log, frame)
    days = log.days
    snapshot_h = (log.snapshot - log.start) / pd.Timedelta(hours=1)
    first_weekday = int(log.start.day_of_week)
    observed = moments(observed_cases, (np.arange(days) + first_weekday) % 7, snapshot_h)
    units, work = _initial_fits(log, frame, observed)
    # The simulated window starts on the same weekday as the log, after a warm-up.
    warm = warm_up_days + (first_weekday % 7)
    settings = {"seed": seed, "warm_up_days": warm, "horizon_days": warm + days,
                "drain_days": int(math.ceil((snapshot_h - days * 24) / 24)), "snapshot_gap_h": snapshot_h - days * 24,
                "top_categories": top_categories, "search_steps": search_steps, "replications": replications}
    if settings["horizon_days"] + settings["drain_days"] > MAX_HORIZON_DAYS:
        raise InputError(f"the log covers {days} days; at most {MAX_HORIZON_DAYS - warm} can be simulated", where=log.path)
    arrivals = fit_arrivals(log, frame, observed)
    best: dict[str, WorkFit] = {}
    history: list[dict] = []
    runs = [0]
    owners = {key: (category, department) for key, category, department
              in frame[["work_key", "category", "department"]].drop_duplicates("work_key").itertuples(index=False)}

    def evaluate(move_median: bool = True) -> None:
        raw = scenario_dict(log, arrivals, units, work, settings, name)
        simulated = simulate_log(validate_scenario(raw, where="calibrated scenario"), settings)
        for key, fit in work.items():
            sim = simulated["by_work_key"].get(key)
            fit.loss = fit_loss(observed["by_work_key"][key], sim)
            if key not in best or fit.loss < best[key].loss:
                best[key] = WorkFit(**fit.__dict__)
            category, unit = owners[key]
            history.append({"run": runs[0], "category": category, "department": unit,
                            "work_median_h": fit.work_median_h, "work_sigma": fit.work_sigma, "loss": fit.loss,
                            "sim_on_time_rate": (sim or {}).get("on_time_rate", math.nan),
                            "sim_ttc_p50_h": (sim or {}).get("ttc_p50_h", math.nan)})
            if move_median:
                update_median(fit, observed["by_work_key"][key], sim)
        runs[0] += 1
        if progress:
            progress(runs[0], simulated)

    for sigma in SIGMA_GRID:
        for fit in work.values():
            fit.set_sigma(sigma)
        for _ in range(search_steps):
            evaluate()
    for delta in REFINE_STEPS:
        for key, fit in work.items():
            fit.work_median_h = best[key].work_median_h
            fit.set_sigma(best[key].work_sigma + delta)
        for _ in range(max(1, search_steps - 1)):
            evaluate()
    # Where the median and the on-time rate cannot both be met, trade one against the other.
    for factor in TRADE_OFF_FACTORS:
        for key, fit in work.items():
            fit.work_median_h = float(np.clip(best[key].work_median_h * factor, 1e-3, 2_000.0))
            fit.set_sigma(best[key].work_sigma)
        evaluate(move_median=False)
    raw = scenario_dict(log, arrivals, units, best, settings, name)
    scenario = validate_scenario(raw, where="calibrated scenario")
    simulated = simulate_log(scenario, settings, replications)
    return Calibration(log, raw, scenario, observed, simulated, history, settings)


def _initial_fits(log: CaseLog, frame: pd.DataFrame, observed: dict) -> tuple[dict[str, Unit], dict[str, WorkFit]]:
    units, work = {}, {}
    for unit in sorted(frame["department"].unique()):
        rows = frame[frame["department"] == unit]
        hours, note = working_hours(rows["closed"])
        week = sum(len(b["days"]) * (b["end_h"] - b["start_h"]) for b in hours)
        shares = rows["work_key"].value_counts(normalize=True).to_dict()
        units[unit] = Unit(peak_per_day=peak_throughput(rows["closed"], hours[0]["days"], log.start, log.end),
                           hours=hours, hours_note=note, hours_per_week=week, work_shares=shares)
        for key in shares:
            stats = observed["by_work_key"][key]
            median = max(stats["ttc_p50_h"], 0.05)
            spread = math.log(max(stats["ttc_p90_h"], median * 1.01) / median) / 1.2816
            work[key] = WorkFit(work_median_h=float(np.clip(median * week / 168.0 / 2, 1e-3, 500.0)),
                                work_sigma=float(np.clip(spread, 0.3, MAX_WORK_SIGMA)))
    return units, work


def fit_loss(observed: dict, simulated: dict | None) -> float:
    """Distance of a category's simulated cases from its logged ones: log-ratio of medians plus weighted on-time gap."""
    if simulated is None or not np.isfinite(simulated["ttc_p50_h"]):
        return math.inf
    loss = abs(math.log(max(simulated["ttc_p50_h"], 1e-3) / max(observed["ttc_p50_h"], 1e-3)))
    if np.isfinite(observed["on_time_rate"]) and np.isfinite(simulated["on_time_rate"]):
        loss += ON_TIME_WEIGHT * abs(simulated["on_time_rate"] - observed["on_time_rate"])
    else:
        loss += 0.5 * abs(_spread(simulated) - _spread(observed))
    return loss


def _spread(stats: dict) -> float:
    return math.log(max(stats["ttc_p90_h"], 1e-3) / max(stats["ttc_p50_h"], 1e-3))


def update_median(fit: WorkFit, observed: dict, simulated: dict | None) -> None:
    """One damped fixed-point step on the median work, from the ratio of observed to simulated median time to close."""
    if simulated is None:
        return
    ratio = max(observed["ttc_p50_h"], 1e-3) / max(simulated["ttc_p50_h"], 1e-3)
    fit.work_median_h = float(np.clip(fit.work_median_h * np.clip(ratio, 0.05, 20.0) ** 0.9, 1e-3, 2_000.0))


def simulate_log(scenario: Scenario, settings: dict, replications: int = 1) -> dict:
    """Replications of a calibrated scenario, pooled end to end and summarised like the observed log."""
    from ..mechanisms import run_replication

    start_h = settings["warm_up_days"] * 24.0
    days = settings["horizon_days"] - settings["warm_up_days"]
    names = np.array(scenario.category_names(), dtype=object)
    department = np.array(list(scenario.departments), dtype=object)
    no_deadline = np.array([cat.deadline_h is None for cat in scenario.cases.categories.values()])
    frames = []
    for replication in range(replications):
        c = run_replication(scenario, settings["seed"], replication).cases
        keep = (c["arrived_h"] >= start_h) & (c["arrived_h"] < start_h + days * 24)
        category = c["category"][keep]
        arrived = c["arrived_h"][keep]
        offset = replication * days * 24.0 - start_h
        frames.append(pd.DataFrame({
            "arrived_h": arrived + offset,
            "closed_h": c["closed_h"][keep] + offset,
            "due_h": np.where(no_deadline[category], np.inf, c["due_h"][keep] + offset),
            "hour_of_week": np.floor(arrived).astype(int) % 168,
            "category": names[category],
            "department": department[c["department"][keep]],
            "work_key": work_keys(pd.Series(names[category]), pd.Series(department[c["department"][keep]])).to_numpy(),
            "snapshot_h": days * 24.0 + settings["snapshot_gap_h"] + replication * days * 24.0,
        }))
    weekday = np.tile((np.arange(days) + settings["warm_up_days"]) % 7, replications)
    return moments(pd.concat(frames, ignore_index=True), weekday, math.nan)


# --------------------------------------------------------------------------- the scenario file


@dataclass
class Arrivals:
    households: int
    rates: dict[str, float]  # cases per household per year
    counts: dict[str, int]
    deadlines: dict[str, float | None]
    deadline_notes: dict[str, str]
    departments: dict[str, str | dict[str, float]]
    sources: dict[str, float]
    hour_of_week: list[float]
    hourly: list[float]
    weekly: list[float]
    daily_cv: float


NOTIONAL_HOUSEHOLDS = 10_000


def _department_of(units: pd.Series) -> str | dict[str, float]:
    """A category's department: its one unit, or the shares of its cases by unit (rounded, summing to 1)."""
    shares = units.value_counts(normalize=True)
    if len(shares) == 1:
        return str(shares.index[0])
    rounded = {str(k): float(round(v, 6)) for k, v in shares.items()}
    first = next(iter(rounded))
    rounded[first] = float(round(rounded[first] + 1.0 - sum(rounded.values()), 6))
    return rounded


def fit_arrivals(log: CaseLog, frame: pd.DataFrame, observed: dict) -> Arrivals:
    """Rates, deadlines, sources and the arrival pattern, straight from the log."""
    days = log.days
    counts = frame["category"].value_counts()
    rates = {name: float(n / days * 365.0 / NOTIONAL_HOUSEHOLDS) for name, n in counts.items()}
    deadlines, notes = {}, {}
    for name, rows in frame.groupby("category"):
        offsets = (rows["due"] - rows["created"]).dropna() / pd.Timedelta(hours=1)
        share = len(offsets) / len(rows)
        if share >= 0.5 and offsets.median() > 0:
            deadlines[name] = float(round(offsets.median(), 2))
            notes[name] = f"median creation-to-due offset of {len(offsets):,} cases ({share:.0%} of the category have a deadline)"
        else:
            deadlines[name] = None
            notes[name] = f"no deadline: only {share:.0%} of the category's {len(rows):,} cases have one"
    department = {name: _department_of(rows) for name, rows in frame.groupby("category")["department"]}
    sources = frame["source"].map(key_name).value_counts(normalize=True)
    how = observed["hour_of_week_rate"]
    how = how / how.mean() if how.mean() > 0 else np.ones(168)
    grid = how.reshape(7, 24)
    daily_cv = daily_rate_cv(observed["daily_counts"], observed["weekday"])
    return Arrivals(
        households=NOTIONAL_HOUSEHOLDS, rates=rates, counts=counts.to_dict(), deadlines=deadlines,
        deadline_notes=notes, departments=department,
        sources={k: float(v) for k, v in sources.items()},
        hour_of_week=[round(float(v), 5) for v in how],
        hourly=[round(float(v), 5) for v in grid.mean(axis=0) + 1e-9],
        weekly=[round(float(v), 5) for v in grid.mean(axis=1) + 1e-9],
        daily_cv=round(daily_cv, 4),
    )


UNUSED_WORK = {"mean_h": 1.0, "cv": 1.0, "distribution": "exponential"}
NO_DEADLINE_H = 24.0 * MAX_HORIZON_DAYS


def scenario_dict(log: CaseLog, arrivals: Arrivals, units: dict[str, Unit], work: dict[str, WorkFit],
                  settings: dict, name: str | None) -> dict:
    """The calibrated scenario as a plain dict, every value labelled with its source or reason."""
    cite = log.citation()
    shares = np.array(list(arrivals.sources.values()))
    sources = {k: float(v) for k, v in zip(arrivals.sources, (shares / shares.sum()).round(6))}
    drift = 1.0 - sum(sources.values())
    first = next(iter(sources))
    sources[first] = float(round(sources[first] + drift, 6))
    categories = {}
    for category, rate in arrivals.rates.items():
        department = arrivals.departments[category]
        units_of = [department] if isinstance(department, str) else list(department)
        fits = {unit: work[work_key(category, unit)] for unit in units_of}
        fit = fits[units_of[0]]  # the largest unit's; with several units, each has its own in department_work
        deadline = arrivals.deadlines[category]
        categories[category] = {
            "rate_per_household_per_year": round(rate, 6),
            "deadline_h": deadline,
            "resolution_deadline_h": deadline if deadline is not None else NO_DEADLINE_H,
            "routing": {"grid": 0.0, "community": 0.0, "department": 1.0},
            "escalation_probability": {"grid": 0.0, "community": 0.0},
            "work": {"grid": dict(UNUSED_WORK), "community": dict(UNUSED_WORK),
                     "department": _lognormal(fit)},
            "department": department,
        }
        if len(units_of) > 1:
            categories[category]["department_work"] = {unit: _lognormal(unit_fit) for unit, unit_fit in fits.items()}
    raw = {
        "name": name or re.sub(r"[^\w\-]+", "_", Path(log.path).name.split(".")[0]) + "_calibrated",
        "description": f"Calibrated from {cite}",
        "horizon_days": settings["horizon_days"],
        "warm_up_days": settings["warm_up_days"],
        "drain_days": settings["drain_days"],
        "territory": {"subdistricts": 1, "communities": 1, "residential_grids": 1, "dedicated_grids": 0,
                      "households_per_grid_min": arrivals.households, "households_per_grid_max": arrivals.households,
                      "community_size_cv": 0.0},
        "workforce": {"grid_workers": 1, "community_workers_per_community": 1},
        "departments": {name: {"staff": unit.staff(work), "hours": unit.hours} for name, unit in units.items()},
        "dispatch": {"resolution_deadline_h": NO_DEADLINE_H},
        "cases": {"categories": categories, "sources": sources, "hourly_profile": arrivals.hourly,
                  "weekly_profile": arrivals.weekly, "hour_of_week_profile": arrivals.hour_of_week,
                  "daily_rate_cv": arrivals.daily_cv, "reopen_probability": 0.0},
    }
    raw["sources"], raw["assumptions"] = _labels(log, arrivals, units, settings, cite)
    return raw


def _lognormal(fit: WorkFit) -> dict:
    return {"mean_h": round(fit.work_mean_h(), 4), "cv": round(fit.work_cv(), 4), "distribution": "lognormal"}


def _labels(log: CaseLog, arrivals: Arrivals, units: dict[str, Unit], settings: dict, cite: str):
    sources = {
        "cases.sources": f"{cite}: share of cases by the {log.columns['source'] or '(no source column)'} column",
        "cases.hour_of_week_profile": f"{cite}: cases created in each hour of the week per such hour in the period",
        "cases.hourly_profile": f"{cite}: mean of the hour-of-week profile by hour of day (not used: the 168-value profile is)",
        "cases.weekly_profile": f"{cite}: mean of the hour-of-week profile by day (not used: the 168-value profile is)",
        "cases.daily_rate_cv": f"{cite}: method of moments on daily counts after removing day-of-week means "
                               "(variance = mean + cv^2 mean^2)",
    }
    assumptions = {
        "horizon_days": f"the log's {log.days} days after a warm-up",
        "warm_up_days": "an empty district fills its queues before the measured period; the period starts on the log's weekday",
        "drain_days": "the time between the end of the log's period and its last timestamp (when the log was taken)",
        "territory": "notional: the log has no households; one grid of 10,000 notional households whose rates "
                     "reproduce the logged volume (households x rate = cases per year)",
        "workforce": "unused: every case of the log is handled by its unit (department level); one notional grid worker",
        "dispatch": "no dispatch-wide deadline: each category carries its own (resolution_deadline_h); categories "
                    "without a deadline get the 10-year maximum so the model never marks them late",
        "cases.reopen_probability": "the log records no reopening; reopened cases are in their time to close",
        "cases.reopen_delay_h": "unused: no reopening",
        "cases.rework_share": "unused: no reopening",
    }
    for category, count in arrivals.counts.items():
        path = f"cases.categories.{category}"
        sources[f"{path}.rate_per_household_per_year"] = f"{cite}: {count:,} cases in {log.days} days"
        sources[f"{path}.deadline_h"] = f"{cite}: {arrivals.deadline_notes[category]}"
        sources[f"{path}.resolution_deadline_h"] = f"{cite}: the category's deadline, applied when its unit takes the case"
        sources[f"{path}.department"] = (f"{cite}: the unit handling most of the category's cases"
                                         if isinstance(arrivals.departments[category], str)
                                         else f"{cite}: share of the category's cases handled by each unit")
        sources[f"{path}.work.department"] = (f"calibrated by simulation against {cite}: lognormal work content, "
                                              "searched to match the category's median time to close and on-time rate")
        if not isinstance(arrivals.departments[category], str):
            sources[f"{path}.work.department"] += " (the largest unit's; department_work has every unit's)"
            sources[f"{path}.department_work"] = (
                f"calibrated by simulation against {cite}: lognormal work content of the category's cases at each "
                "unit, searched to match their median time to close and on-time rate there")
        assumptions[f"{path}.routing"] = "every case goes straight to the unit named in the log"
        assumptions[f"{path}.escalation_probability"] = "no escalation: the log names the unit that handled the case"
        assumptions[f"{path}.work.grid"] = "unused: no case is handled at grid level"
        assumptions[f"{path}.work.community"] = "unused: no case is handled at community level"
    for unit, fit in units.items():
        sources[f"departments.{unit}.staff"] = (
            f"calibrated by simulation against {cite}: capacity = the unit's 90th-percentile closures per working day "
            f"({fit.peak_per_day:.1f}) x mean work / working hours a day")
        if fit.hours_note.startswith("assumption"):
            assumptions[f"departments.{unit}.hours"] = fit.hours_note.removeprefix("assumption: ")
        else:
            sources[f"departments.{unit}.hours"] = f"{cite}: {fit.hours_note}"
    return sources, assumptions


def write_scenario(calibration: Calibration, path: Path) -> Path:
    from ..results.store import atomic_write

    text = "# Calibrated by `gridgov calibrate` from " + calibration.log.citation() + "\n"
    text += yaml.safe_dump(_plain(calibration.raw), allow_unicode=True, sort_keys=False, width=120)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _plain(tree):
    """The same tree with numpy scalars turned into Python numbers, so YAML can write it."""
    if isinstance(tree, dict):
        return {str(k): _plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_plain(v) for v in tree]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree
