"""Validation errors as sentences: the parameter path, the bad value and what is allowed, one line per problem."""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .base import unwrap_optional
from .scenario import Scenario


def allowed_keys(loc: tuple, root: type[BaseModel] | None = None) -> list[str]:
    annotation: Any = root or Scenario
    for part in loc[:-1]:
        annotation = unwrap_optional(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif origin in (dict, list):
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def unknown_key_message(path: str, key: str, allowed: list[str], what: str = "") -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    prefix = f"{what} " if what else ""
    return f"{prefix}{path}: unknown parameter {key!r}{hint}; allowed: {', '.join(sorted(allowed))}"


MAX_PROBLEMS_SHOWN = 20  # one message, not a screenful per list item


def describe_validation_error(error: ValidationError, raw: dict | None = None,
                              root: type[BaseModel] | None = None) -> str:
    """One readable line per problem: path, bad value, what is allowed (keys of `root`, default the Scenario)."""
    lines = []
    problems = error.errors(include_url=False)
    for item in problems[:MAX_PROBLEMS_SHOWN]:
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(unknown_key_message(path, str(loc[-1]), allowed_keys(loc, root)))
            continue
        if item["type"] == "missing":
            lines.append(f"{path}: required parameter is missing")
            continue
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        shown = _short(value)
        if loc and item["type"] != "value_error":
            lines.append(f"{path}: got {shown}; {message.lower()}")
        else:
            lines.append(f"{path}: {message}" if loc else message)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN:,} more problem(s) of the same kind")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, (list, dict, tuple, set)) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value):,} items"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
