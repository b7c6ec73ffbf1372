"""The model's groups of a logged case: its category, its department and what its work content is fitted for.

The K largest categories of the log keep their names and the rest are merged into "other"; a
category where only some cases have a deadline is split in two ("... (no deadline)"), and one
whose deadlines fall into distinct groups (13 % at 720 h, 87 % at 73.5 h) keeps that empirical
mixture as the category's per-case mixture (`deadline_mix`, and `resolution_deadline_mix` for
the unit's limit, which is the one that counts for a logged case). A named category goes to the
unit handling most of its cases, while each case of "other" keeps its own unit. Names become
parameter path steps (`key_name`), and units with too few cases are merged.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .logs import CaseLog

OTHER = "other"
NO_DEADLINE_SUFFIX = " (no deadline)"
OTHERS = (OTHER, OTHER + NO_DEADLINE_SUFFIX)
UNIT_SEPARATOR = " @ "  # between "other" and the unit in a work key (see work_key)
MIN_UNIT_SHARE = 0.005  # units with fewer cases than this share are merged into "other"
INSTANT_SUFFIX = " (closed at once)"
LEFT_OPEN_SUFFIX = " (left open)"
INTAKE = "intake (closed at once)"  # the notional desk that closes cases on intake, at any hour it did
INSTANT_H = 0.1  # a case closed within 6 minutes of creation was closed on intake
MIN_PART = (0.02, 20)  # a left-open part needs this share of its category and this many cases
MIN_INSTANT_PART = (0.0, 20)  # a closed-at-once part needs only this many: however few, they make the low quantiles
DEADLINE_PART = re.compile(r" \(deadline [0-9_]+ h\)$")
DEADLINE_GAP = 1.5  # deadlines more than 50 % apart, with none between, are distinct groups
MIN_DEADLINE_GROUP = (0.05, 20)  # a group needs this share of the category's deadlines and this many cases


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
    frame["category"] = split_closure_parts(frame, log.snapshot)
    # A named category goes to the unit handling most of its cases; "other" mixes many kinds of case,
    # so each of its cases keeps its own unit (the scenario gives "other" a share by unit).
    base = frame["category"].str.replace(DEADLINE_PART, "", regex=True)
    kind = base.map(category_kind)
    department = frame.groupby(base)["unit"].agg(lambda u: u.value_counts().index[0])
    frame["department"] = base.map(department).where(~kind.isin(OTHERS), frame["unit"])
    frame.loc[base.str.endswith(INSTANT_SUFFIX), "department"] = INTAKE
    frame["work_key"] = work_keys(frame["category"], frame["department"])
    return frame


def split_closure_parts(frame: pd.DataFrame, snapshot: pd.Timestamp) -> pd.Series:
    """The category of every case, with its closed-at-once and left-open cases as parts of their own.

    A case closed within `INSTANT_H` of creation was closed on intake (a note taken, an automatic
    closure): it goes to a notional intake desk, not the unit's queue. A case still open when the log
    was taken, older then than 99 % of its category's closed cases took to close, was left open: it
    gets a delay longer than the log. A left-open part needs `MIN_PART` of its category to be split off and a
    closed-at-once part `MIN_INSTANT_PART` (however small a share, such cases make the low quantiles); a category
    whose cases were all closed on intake goes to the intake desk whole.
    """
    category = frame["category"].copy()
    ttc = (frame["closed"] - frame["created"]) / pd.Timedelta(hours=1)
    age = (snapshot - frame["created"]) / pd.Timedelta(hours=1)
    longest = ttc.groupby(category).transform(lambda t: t.quantile(0.99) if t.notna().any() else 0.0)
    for suffix, mask in ((INSTANT_SUFFIX, ttc <= INSTANT_H), (LEFT_OPEN_SUFFIX, ttc.isna() & (age > longest))):
        share, least = MIN_INSTANT_PART if suffix == INSTANT_SUFFIX else MIN_PART
        count = mask.groupby(category).transform("sum")
        size = category.groupby(category).transform("size")
        # A category closed at once throughout goes to the intake desk whole: left at its unit, its cases
        # would wait for the unit's working hours and staff, which the log shows they never did.
        whole = (count == size) if suffix == INSTANT_SUFFIX else False
        part = mask & (count >= least) & (count >= share * size) & ((count < size) | whole)
        category = category.where(~part, category + suffix)
    return category


def category_kind(category: str) -> str:
    """A category without its closed-at-once or left-open suffix ("other (left open)" -> "other")."""
    for suffix in (INSTANT_SUFFIX, LEFT_OPEN_SUFFIX):
        category = category.removesuffix(suffix)
    return category


def fixed_part(work_key: str) -> str | None:
    """The suffix of a work key whose fit is fixed (closed at once, left open), else None."""
    head = work_key.split(UNIT_SEPARATOR)[0]
    return next((s for s in (INSTANT_SUFFIX, LEFT_OPEN_SUFFIX) if head.endswith(s)), None)


def deadline_groups(offsets_h: np.ndarray) -> list[tuple[float, float, float]]:
    """Distinct groups of a category's deadlines: (lowest, highest, median) offset of each, largest group first.

    Sorted offsets are cut where one is more than `DEADLINE_GAP` times the one before; groups too small
    to fit (`MIN_DEADLINE_GROUP`) join the neighbouring group nearest on a log scale.
    """
    values = np.sort(np.asarray(offsets_h, dtype=float))
    if len(values) == 0:
        return []
    cuts = np.flatnonzero(values[1:] > DEADLINE_GAP * np.maximum(values[:-1], 1e-9)) + 1
    groups = [g for g in np.split(values, cuts) if len(g)]
    share, least = MIN_DEADLINE_GROUP
    while len(groups) > 1:
        sizes = [len(g) for g in groups]
        small = int(np.argmin(sizes))
        if sizes[small] >= max(least, share * len(values)):
            break
        centre = np.log(max(np.median(groups[small]), 1e-9))
        neighbours = [i for i in (small - 1, small + 1) if 0 <= i < len(groups)]
        target = min(neighbours, key=lambda i: abs(np.log(max(np.median(groups[i]), 1e-9)) - centre))
        merged = np.sort(np.concatenate([groups[small], groups[target]]))
        groups[min(small, target)] = merged
        del groups[max(small, target)]
    groups.sort(key=len, reverse=True)
    return [(float(g[0]), float(g[-1]), float(np.median(g))) for g in groups]


def deadline_text(hours: float) -> str:
    """Hours as a name step: no dot, so the name stays a parameter path step (73.5 -> "73_5", 720.0 -> "720")."""
    return f"{hours:.1f}".removesuffix(".0").replace(".", "_")


def base_category(category: str) -> str:
    """The category a deadline part belongs to ("pothole (deadline 720.0 h)" -> "pothole")."""
    return DEADLINE_PART.sub("", category)


def work_key(category: str, unit: str) -> str:
    """What a case's work content is fitted for: its named category, or "other" at its unit.

    "other" mixes kinds of case that each unit handles its own way, so its work content is fitted
    unit by unit (the scenario's `department_work`); a named category has one work content, shared by
    its deadline parts.
    """
    base = base_category(category)
    return base + UNIT_SEPARATOR + unit if category_kind(base) in OTHERS else base


def work_keys(category: pd.Series, department: pd.Series) -> pd.Series:
    """work_key of every case, vectorised."""
    base = category.astype(str).str.replace(DEADLINE_PART, "", regex=True)
    return base.where(~base.map(category_kind).isin(OTHERS), base + UNIT_SEPARATOR + department)
