"""Uncertainty ranges: the plausible values of an assumption, with the reason for the range.

A scenario's `uncertainties:` section maps parameter paths to a range, for example

    uncertainties:
      cases.categories.*.rate_per_household_per_year:
        {low: 0.6, high: 1.4, scale: factor, reason: "case volumes ±40 %: bounded by ..."}
      dispatch.acceptance_deadline_h: {low: 4, high: 12, reason: "..."}

A path may hold `*` for every key (or index) at that step, so one uncertainty can move the rate
of every category together. `scale: value` (the default) gives the range of the parameter
itself, which must hold the scenario's value; `scale: factor` multiplies the scenario's value(s)
and its range must hold 1. The distribution over the range is `uniform` (default), `triangular`
(with `mode`, same scale as low and high) or `loguniform` (low > 0). Integer parameters are
rounded to the nearest whole number when a future is applied.

Each path must name numeric parameters of the scenario, and the scenario must still be valid at
both ends of the range (checked when the scenario is loaded: a range that would give a negative
staff count or a share above 1 is rejected with the parameter named). The ranges play no part
in a single run (`content_hash` leaves them out); `gridgov robustness` draws futures over them.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .base import Strict, unwrap_optional

WILDCARD = "*"


class Uncertainty(Strict):
    """The plausible range of one parameter (or of a factor on several), its distribution and its reason."""

    low: float
    high: float
    scale: Literal["value", "factor"] = Field(
        "value", description="value: the range of the parameter itself; factor: a multiplier of its value(s)")
    distribution: Literal["uniform", "triangular", "loguniform"] = "uniform"
    mode: float | None = Field(None, description="the most likely value, for a triangular distribution")
    reason: str = Field(min_length=3, description="why this range: the evidence bounding it")

    @model_validator(mode="after")
    def _legal_bounds(self) -> Uncertainty:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.distribution == "triangular":
            if self.mode is None:
                raise ValueError("a triangular distribution needs its mode")
            if not self.low <= self.mode <= self.high:
                raise ValueError(f"mode ({self.mode:g}) must lie in [low, high] = [{self.low:g}, {self.high:g}]")
        elif self.mode is not None:
            raise ValueError(f"mode is only for a triangular distribution, not {self.distribution}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform range needs low > 0, got {self.low:g}")
        if self.scale == "factor" and self.low < 0:
            raise ValueError(f"a factor cannot be negative, got low = {self.low:g}")
        return self

    def quantile(self, u: float) -> float:
        """The value at the u-quantile (u in [0, 1]) of the distribution over [low, high]."""
        low, high = self.low, self.high
        if self.distribution == "uniform":
            return low + u * (high - low)
        if self.distribution == "loguniform":
            return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        mode = float(self.mode if self.mode is not None else (low + high) / 2)
        cut = (mode - low) / (high - low)
        if u < cut:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - mode))

    def describe(self) -> str:
        """One line for the provenance table, e.g. 'x [0.6, 1.4] uniform'."""
        prefix = "x " if self.scale == "factor" else ""
        shape = f"triangular (mode {self.mode:g})" if self.distribution == "triangular" else self.distribution
        return f"{prefix}[{self.low:g}, {self.high:g}] {shape}"


def expand_path(scenario: BaseModel, path: str) -> list[str]:
    """The concrete parameter paths a path with `*` names in this scenario (the path itself without `*`)."""
    concrete = [""]
    nodes: list[Any] = [scenario]
    for part in path.split("."):
        next_paths, next_nodes = [], []
        for prefix, node in zip(concrete, nodes, strict=True):
            for key, child in _children(node, part):
                next_paths.append(f"{prefix}.{key}" if prefix else key)
                next_nodes.append(child)
        concrete, nodes = next_paths, next_nodes
    return concrete


def _children(node: Any, part: str) -> list[tuple[str, Any]]:
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        keys = list(fields) if part == WILDCARD else [part] if part in fields else []
        return [(k, getattr(node, k)) for k in keys]
    if isinstance(node, dict):
        keys = list(node) if part == WILDCARD else [part] if part in node else []
        return [(str(k), node[k]) for k in keys]
    if isinstance(node, list):
        indices = range(len(node)) if part == WILDCARD else [int(part)] if part.isdigit() and int(part) < len(
            node) else []
        return [(str(i), node[i]) for i in indices]
    return []


def get_value(scenario: BaseModel, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    return node


def is_integer_parameter(scenario: BaseModel, path: str) -> bool:
    """Whether the schema declares the parameter at a concrete path as a whole number."""
    node: Any = scenario
    annotation: Any = None
    for part in path.split("."):
        if isinstance(node, BaseModel):
            annotation = unwrap_optional(type(node).model_fields[part].annotation)
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node[part]
            annotation = type(node)
        else:
            node = node[int(part)]
            annotation = type(node)
    return annotation is int


def numeric_targets(scenario: BaseModel, path: str) -> list[str]:
    """The concrete numeric parameters a path names; ValueError naming the path when there are none or one is not
    a number."""
    concrete = expand_path(scenario, path)
    if not concrete:
        raise ValueError(f"uncertainties: {path!r} names no parameter of this scenario")
    for item in concrete:
        value = get_value(scenario, item)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"uncertainties: {path!r} names {item} = {value!r}, which is not a number; "
                             "a range needs a numeric parameter")
    return concrete


def future_values(scenario: BaseModel, path: str, uncertainty: Uncertainty, drawn: float) -> dict[str, float | int]:
    """The value of every concrete parameter a path names when the uncertainty takes the value drawn."""
    values: dict[str, float | int] = {}
    for item in numeric_targets(scenario, path):
        value = drawn * get_value(scenario, item) if uncertainty.scale == "factor" else drawn
        values[item] = int(round(value)) if is_integer_parameter(scenario, item) else float(value)
    return values


def check_nominal(scenario: BaseModel, path: str, uncertainty: Uncertainty) -> None:
    """The scenario's own value lies in the range (a factor range holds 1)."""
    if uncertainty.scale == "factor":
        if not uncertainty.low <= 1 <= uncertainty.high:
            raise ValueError(f"uncertainties: {path!r} is a factor range [{uncertainty.low:g}, {uncertainty.high:g}] "
                             "that must hold 1 (the scenario's own values)")
        return
    for item in numeric_targets(scenario, path):
        value = get_value(scenario, item)
        if not uncertainty.low <= value <= uncertainty.high:
            raise ValueError(f"uncertainties: {path!r}: the scenario's value {item} = {value:g} lies outside the "
                             f"range [{uncertainty.low:g}, {uncertainty.high:g}]")
