"""Numbers as people read them: a KPI's value in its unit, a mean with its interval, a paired difference.

Shares are shown as percentages and their differences in percentage points; yuan without
decimals; an estimate from one replication says it has no interval, a constant says it is one,
and only a real interval can carry the `*` of a difference distinguishable from zero.
"""

from __future__ import annotations

import math

from ..analysis import messages, registry

NO_INTERVAL = messages.text("no_interval")
CONSTANT = messages.text("constant")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(value: float, kpi: str, language: str = "en") -> str:
    """A KPI's value in its unit, formatted for the language."""
    if _missing(value):
        return messages.text("n_a", language)
    unit = registry.find(kpi).unit if registry.find(kpi) else ""
    if unit == "share":
        return messages.percent(value, language)
    if unit.startswith("yuan") or abs(value) >= 1e5:
        return messages.number(value, language, 0)
    return messages.number(value, language, 1)


def estimate_text(mean: float, low: float, high: float, interval: str, kpi: str, language: str = "en") -> str:
    """'mean [low, high]', or the mean with why it has no interval."""
    if _missing(mean):
        return messages.text("n_a", language)
    shown = value_text(mean, kpi, language)
    if interval == "single":
        return f"{shown} ({messages.text('no_interval', language)})"
    if interval == "constant":
        return f"{shown} ({messages.text('constant', language)})"
    return f"{shown} [{value_text(low, kpi, language)}, {value_text(high, kpi, language)}]"


def _decimals(values: tuple[float, ...], base: int) -> int:
    """The fewest decimals (at least `base`, at most 4 more) that show a non-zero value as non-zero
    and the two ends of an interval apart: a real difference never reads '+0.0 [+0.0, +0.0] *'."""
    for decimals in range(base, base + 5):
        shown = [round(value, decimals) for value in values]
        if all(s != 0 or v == 0 for s, v in zip(shown, values, strict=True)) and (
                len(values) < 3 or values[1] == values[2] or shown[1] != shown[2]):
            return decimals
    return base + 4


def _signed(values: tuple[float, ...], kpi: str, significant: bool = False, language: str = "en") -> list[str]:
    """Each value with its sign in the KPI's unit of difference, all with the same decimals (more of
    them for a significant difference too small to be seen with the usual ones)."""
    share = registry.is_share(kpi)
    shown = tuple(100 * value for value in values) if share else values
    base = 0 if registry.find(kpi) and registry.find(kpi).unit.startswith("yuan") else 1
    decimals = _decimals(shown, base) if significant else base
    unit = ((" " if language == "en" else "") + messages.text("unit.pp", language)) if share else ""
    return [_no_negative_zero(f"{value:+,.{decimals}f}") + unit for value in shown]


def _no_negative_zero(shown: str) -> str:
    """'-0.0' -> '+0.0': a rounded zero has no sign to show."""
    return "+" + shown[1:] if shown.startswith("-") and not shown.strip("-0.,") else shown


def difference_text(difference: float, low: float, high: float, interval: str, significant: bool, kpi: str,
                    language: str = "en") -> str:
    """'+d [low, high] *' for a paired difference; '*' when its interval excludes 0."""
    if _missing(difference):
        return messages.text("n_a", language)
    if interval == "single":
        return f"{_signed((difference,), kpi, language=language)[0]} ({messages.text('no_interval', language)})"
    if interval == "constant":
        return f"{_signed((difference,), kpi, language=language)[0]} ({messages.text('constant', language)})"
    mean, lower, upper = _signed((difference, low, high), kpi, significant, language)
    return f"{mean} [{lower}, {upper}]" + (" *" if significant else "")
