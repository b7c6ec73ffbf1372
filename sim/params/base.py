"""The base of every schema section: strict models, the limits that catch typos, shares of a whole.

Every file gridgov reads (scenario and batch files) is validated by models built on `Strict`:
unknown keys are errors, numbers must be finite, and `true`/`false` is never a number.
"""

from __future__ import annotations

import math
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Limits that keep one replication within memory and time on a laptop; a value beyond them is
# almost certainly a typo (an extra zero), and is rejected with the limit named.
MAX_HORIZON_DAYS = 3_650
MAX_HOUSEHOLDS = 20_000_000
MAX_STAFF = 1_000_000
MAX_CASES_PER_HOUSEHOLD_YEAR = 10_000.0
# A scenario file is a few kilobytes; these stop a wrong file or a YAML alias bomb from exhausting memory.
MAX_FILE_BYTES = 5_000_000
MAX_YAML_VALUES = 1_000_000


class Strict(BaseModel):
    """Base for every schema section: unknown keys are errors, values are checked on assignment.

    Numbers must be finite (YAML `.nan`, `.inf` are rejected; a missing deadline is `null`), and
    `true`/`false` is not accepted where a number is expected.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info) -> Any:
        annotation = unwrap_optional(cls.model_fields[info.field_name].annotation)
        numeric = annotation in (int, float)
        numeric_list = get_origin(annotation) is list and get_args(annotation)[0] in (int, float)
        if (numeric and isinstance(value, bool)) or (
            numeric_list and isinstance(value, list) and any(isinstance(v, bool) for v in value)
        ):
            raise ValueError(f"got {value!r}; expected a number, not true/false")
        return value


class LocalText(Strict):
    """A text a reader sees, in English and Simplified Chinese (a scenario's or a batch's title, question,
    description)."""

    en: str = Field(min_length=1, max_length=2000)
    zh: str = Field(min_length=1, max_length=2000)

    def __call__(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def in_language(value: str | LocalText | None, language: str, default: str = "") -> str:
    """A plain text, or a LocalText's text in the language; the default when there is none."""
    if value is None or value == "":
        return default
    return value if isinstance(value, str) else value(language)


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    """Shares of a whole: each between 0 and 1, summing to 1."""
    for name, share in shares.items():
        if not 0 <= share <= 1:
            raise ValueError(f"{what} share {name} = {share} must be between 0 and 1")
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} shares must sum to 1, got {total:.6g}")
    return shares



def unwrap_optional(annotation: Any) -> Any:
    """X for `X | None` and `Optional[X]`; any other annotation as it is."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
