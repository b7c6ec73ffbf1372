"""The model's groups of a logged case: its category, its department and what its work content is fitted for.

The K largest categories of the log keep their names and the rest are merged into "other"; a
category where only some cases have a deadline is split in two ("... (no deadline)"). A named
category goes to the unit handling most of its cases, while each case of "other" keeps its own
unit. Names become parameter path steps (`key_name`), and units with too few cases are merged.
"""

from __future__ import annotations

import re

import pandas as pd

from .logs import CaseLog

OTHER = "other"
NO_DEADLINE_SUFFIX = " (no deadline)"
OTHERS = (OTHER, OTHER + NO_DEADLINE_SUFFIX)
UNIT_SEPARATOR = " @ "  # between "other" and the unit in a work key (see work_key)
MIN_UNIT_SHARE = 0.005  # units with fewer cases than this share are merged into "other"


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
