"""Provenance: every parameter with its value and where it comes from (a seed document, an assumption, a default)."""

from __future__ import annotations

import json
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from .base import unwrap_optional
from .scenario import Scenario
from .uncertainty import expand_path


def provenance(scenario: Scenario) -> list[dict[str, str]]:
    """Every leaf parameter with its value and where it comes from: seed, assumption or schema default.

    A citation in `sources` or `assumptions` covers its path and everything below it; the most
    specific one wins. A parameter left at its schema default takes the reason in the schema.
    """
    rows = []
    data = scenario.model_dump(mode="json", exclude={"sources", "assumptions", "name", "title", "description",
                                                     "uncertainties"})
    ranges = _ranges(scenario)
    for path, value in _leaf_items(data):
        kind, note = _citation(scenario, path)
        rows.append({"parameter": path, "value": json.dumps(value, ensure_ascii=False), "kind": kind, "source": note,
                     "range": ranges.get(path, "")})
    return rows


def _ranges(scenario: Scenario) -> dict[str, str]:
    """Concrete parameter path -> its uncertainty range and the reason for it (`uncertainties:`)."""
    ranges: dict[str, str] = {}
    for pattern, uncertainty in scenario.uncertainties.items():
        for path in expand_path(scenario, pattern):
            ranges[path] = f"{uncertainty.describe()}: {uncertainty.reason}"
    return ranges


def _leaf_items(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(tree, dict) and tree:
        items: list[tuple[str, Any]] = []
        for key, value in tree.items():
            items += _leaf_items(value, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        items = []
        for i, value in enumerate(tree):
            items += _leaf_items(value, f"{prefix}.{i}")
        return items
    return [(prefix, tree)]


def _citation(scenario: Scenario, path: str) -> tuple[str, str]:
    found = []
    for kind, table in (("seed", scenario.sources), ("assumption", scenario.assumptions)):
        keys = [key for key in table if path == key or path.startswith(key + ".")]
        if keys:
            key = max(keys, key=len)
            found.append((len(key), kind, table[key]))
    if found:
        longest = max(length for length, _, _ in found)
        best = [(kind, note) for length, kind, note in found if length == longest]
        return " + ".join(k for k, _ in best), " | ".join(n for _, n in best)
    description = _schema_description(path)
    if description:
        kind = next((k for k in ("seed", "assumption") if description.startswith(k)), "default")
        return kind, description
    return "unlabelled", ""


def _schema_description(path: str) -> str:
    """The schema's description of a parameter; a labelled container (a default list or section, such as a
    default calendar) labels everything inside it."""
    annotation: Any = Scenario
    description = ""
    covering = ""
    for part in path.split("."):
        if description.startswith(("assumption", "seed")) and not covering:
            covering = description
        annotation = unwrap_optional(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return ""
            description = field.description or ""
            annotation = field.annotation
        elif origin in (dict, list):
            annotation = get_args(annotation)[-1]
            description = ""
        else:
            return covering
    return covering or description
