"""The message catalogue: every text a reader sees (brief, slides, charts, tables, KPI units, CLI tables, notebook and
explorer labels), in English and Simplified Chinese, and numbers formatted for the language.

Texts live in `messages.yaml` beside this module, one key per text with an `en` and a `zh`
entry (a test checks that every key has both); KPI names are declared with the KPI in the
registry and read through `kpi_label`. Numbers are formatted with Babel for the locale of the
language (`en`, `zh_Hans_CN`), never as a negative zero.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
CATALOGUE = Path(__file__).with_name("messages.yaml")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key of messages.yaml with its texts by language."""
    with CATALOGUE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    return language


def text(key: str, language: str = "en", **fields: Any) -> str:
    """The text of a key in a language, with {fields} filled in; KeyError naming the key if it is not catalogued."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"message {key!r} is not in {CATALOGUE.name}")
    template = entry[check_language(language)]
    return template.format(**fields) if fields else template


def has(key: str) -> bool:
    return key in catalogue()


def _clean(value: float, decimals: int) -> float:
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded  # no negative zero


def number(value: float, language: str = "en", decimals: int = 0, signed: bool = False) -> str:
    """A number with the locale's grouping and decimal marks, `decimals` after the point; '+' shown if signed."""
    from babel.numbers import format_decimal

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("n_a", language)
    value = _clean(value, decimals)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    shown = format_decimal(abs(value), format=pattern, locale=LOCALES[check_language(language)])
    sign = "-" if value < 0 else "+" if signed and value > 0 else ""
    return sign + shown


def percent(share: float, language: str = "en", decimals: int = 1) -> str:
    """A share as a percentage: '82.5 %' in English, '82.5%' in Chinese."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return text("n_a", language)
    return text("percent", language, value=number(100 * share, language, decimals))


def points(difference: float, language: str = "en", decimals: int = 1, signed: bool = True) -> str:
    """A difference of shares in percentage points: '+10.5 points' / '+10.5个百分点'."""
    return text("points", language, value=number(100 * difference, language, decimals, signed=signed))


def unit_text(unit: str, language: str = "en") -> str:
    """A registry unit as a reader sees it ('share' is shown as '%')."""
    return text(f"unit.{unit}", language)


def kpi_label(name: str, language: str = "en") -> str:
    """A KPI's name in the language: declared with the KPI (registry), the catalogue's own label otherwise."""
    from . import registry

    if registry.find(name) is not None:
        return registry.label(name, language)
    return text(f"label.{name}", language)


def kpi_name(name: str, language: str = "en") -> str:
    """A KPI's label without the unit in brackets at its end, for places that show the unit beside it."""
    return re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", kpi_label(name, language))
