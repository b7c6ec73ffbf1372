"""The explorer's levers, generated from the scenario schema: type, bounds and choices from the schema's fields,
labels (en, zh) and units from the message catalogue, the KPIs each lever moves from the KPI registry.

A lever is declared by its parameter path and, where the schema does not say it, the rule that
tells whether anything in a scenario reads it (`acts`). Whatever a widget needs is read off the
schema: an integer or a number with its `ge`/`le` bounds, a `Literal` with its choices (only those
that give a valid scenario are offered), the unit from the name (`_h` hours, `_days` days) or the
declaration. A lever whose parameter nothing reads in a scenario is not offered there; the page
lists it with the reason instead. No widget toolkit is imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..analysis import messages, registry
from ..params import Scenario
from ..params.base import unwrap_optional


@dataclass(frozen=True)
class LeverSpec:
    """What the schema cannot say about a lever: when it acts, a practical range, steps, the KPI groups it moves."""

    path: str
    acts: Callable[[Scenario], bool] = lambda scenario: True
    hidden_because: str = ""  # catalogue key of the reason shown where the lever does not act
    choices: tuple[float, ...] = ()  # a number offered as a few values (the scenario's own is added)
    step: float = 1
    at_most_times: float = 3.0  # the slider ends at this many times the scenario's value ...
    at_least_up_to: float = 0  # ... or at this value, whichever is larger (within the schema's bounds)
    unit: str = ""  # registry unit where the name does not tell it
    kpi_groups: tuple[str, ...] = ("service", "flow", "workload")


def deadline_is_read(scenario: Scenario) -> bool:
    """Whether anyone works differently under another department time limit: the departments respond to it
    (overtime, compression, supervision), pace their starts by slack, or the limit reorders cases because some
    categories keep limits of their own (under earliest deadline or least slack first). Otherwise a shorter limit
    moves the yardstick (the share counted late) and, first come first served, only which overdue cases are served
    first: the lever is not offered."""
    if scenario.deadline_response.enabled or scenario.dispatch.start_slack_h is not None:
        return True
    own_limits = any(c.resolution_deadline_h is not None for c in scenario.cases.categories.values())
    return own_limits and scenario.dispatch.queue_discipline in ("edf", "lsf")


def expected_departures(scenario: Scenario) -> float:
    """Secretaries expected to leave within the horizon: resignations and promotions (hazards per secretary-year),
    promotion rounds and a general election that fall inside it (their smallest share of the posts)."""
    s, communities, days = scenario.secretaries, scenario.territory.communities, scenario.horizon_days
    expected = communities * (s.resignation_per_year + s.promotion_per_year) * days / 365
    if s.promotion_round_interval_days is not None:
        expected += communities * s.promotion_round_share * int(days // s.promotion_round_interval_days)
    if s.elections.on and s.elections.next_day is not None and s.elections.next_day < days:
        expected += communities * s.elections.share_min
    return expected


def secretaries_leave(scenario: Scenario) -> bool:
    """Whether at least one secretary is expected to leave within the horizon: only then is a reserve candidate
    called on, and only then can the pool's size change anything."""
    return scenario.secretaries.leave and expected_departures(scenario) >= 1


LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("workforce.grid_workers", step=10, at_least_up_to=100, unit="people",
              kpi_groups=("service", "flow", "workload", "cost")),
    LeverSpec("dispatch.resolution_deadline_h", acts=deadline_is_read, hidden_because="app.hidden_deadline",
              choices=(24, 48, 72, 120, 168)),
    LeverSpec("dispatch.queue_discipline"),
    LeverSpec("reserve_pool.ratio_to_communities", acts=secretaries_leave, hidden_because="app.hidden_reserve",
              step=0.5, at_least_up_to=4, unit="ratio_to_communities", kpi_groups=("service", "flow", "workforce")),
)


@dataclass
class Lever:
    """A lever resolved for one scenario: what a widget shows and what it may be set to."""

    path: str
    label: str
    unit: str  # as a reader sees it ('' when none)
    kind: Literal["int", "float", "choice"]
    value: Any
    low: float | None = None
    high: float | None = None
    step: float = 1
    options: list[tuple[str, Any]] = field(default_factory=list)  # (label, value) for a choice
    description: str = ""  # the schema's description of the parameter (its default's reason)

    def hint(self, language: str = "en") -> str:
        """The range (or the count of choices) and the scenario's own value, for beside the widget."""
        if self.kind == "choice":
            shown = next((label for label, value in self.options if value == self.value), str(self.value))
            return messages.text("app.hint_choice", language, value=shown)
        decimals = 0 if float(self.step).is_integer() else 1
        return messages.text("app.hint_range", language, low=messages.number(self.low, language, decimals),
                             high=messages.number(self.high, language, decimals),
                             value=messages.number(self.value, language, decimals))


def field_of(path: str) -> FieldInfo:
    """The schema's field at a dotted path (KeyError naming the part that is not a field)."""
    model: Any = Scenario
    info: FieldInfo | None = None
    for part in path.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            raise KeyError(f"{path!r} is not a parameter of the scenario schema (at {part!r})")
        info = model.model_fields[part]
        model = unwrap_optional(info.annotation)
    assert info is not None
    return info


def bounds(info: FieldInfo) -> tuple[float | None, float | None, bool]:
    """The schema's lower and upper bound of a number and whether the lower one is excluded (gt)."""
    low = high = None
    strict = False
    for rule in info.metadata:
        if getattr(rule, "ge", None) is not None:
            low = rule.ge
        if getattr(rule, "gt", None) is not None:
            low, strict = rule.gt, True
        if getattr(rule, "le", None) is not None:
            high = rule.le
        if getattr(rule, "lt", None) is not None:
            high = rule.lt
    return low, high, strict


def value_at(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def unit_of(spec: LeverSpec) -> str:
    """The registry unit of a lever: from the parameter's name (`_h`, `_days`, `_yuan`) or its declaration."""
    name = spec.path.rsplit(".", 1)[-1]
    for suffix, unit in (("_h", "h"), ("_days", "days"), ("_yuan", "yuan")):
        if name.endswith(suffix):
            return unit
    return spec.unit


def _valid(scenario: Scenario, path: str, value: Any) -> bool:
    try:
        scenario.with_values({path: value})
    except ValueError:
        return False
    return True


def resolve(spec: LeverSpec, scenario: Scenario, language: str = "en") -> Lever:
    """The lever of a spec for one scenario, in the language."""
    info = field_of(spec.path)
    annotation = unwrap_optional(info.annotation)
    value = value_at(scenario, spec.path)
    unit = unit_of(spec)
    common = {"path": spec.path, "label": messages.text(f"lever.{spec.path}", language),
              "unit": messages.unit_text(unit, language) if unit else "", "value": value,
              "description": info.description or ""}
    if get_origin(annotation) is Literal:
        options = [(messages.text(f"lever.{spec.path}.{choice}", language), choice) for choice in get_args(annotation)
                   if choice == value or _valid(scenario, spec.path, choice)]
        return Lever(kind="choice", options=options, **common)
    low, high, strict = bounds(info)
    if spec.choices:
        values = sorted({*(c for c in spec.choices if (low is None or c > low or (c == low and not strict))
                           and (high is None or c <= high)), value})
        options = [(messages.number(v, language, 0 if float(v).is_integer() else 1), type(value)(v)) for v in values]
        return Lever(kind="choice", options=options, **common)
    low = (low or 0) + (spec.step if strict else 0)
    top = max(spec.at_most_times * value, spec.at_least_up_to, value)
    high = min(top, high) if high is not None else top
    kind: Literal["int", "float"] = "int" if annotation is int else "float"
    return Lever(kind=kind, low=low, high=high, step=spec.step, **common)


def levers(scenario: Scenario, language: str = "en") -> tuple[list[Lever], list[tuple[str, str]]]:
    """The levers that act in this scenario, and (label, reason) for each one that does not."""
    shown, hidden = [], []
    for spec in LEVERS:
        if spec.acts(scenario):
            shown.append(resolve(spec, scenario, language))
        else:
            hidden.append(hidden_text(spec, language))
    return shown, hidden


def hidden_text(spec: LeverSpec, language: str = "en") -> tuple[str, str]:
    """(label, reason) of a lever that does not act in a scenario."""
    return messages.text(f"lever.{spec.path}", language), messages.text(spec.hidden_because, language)


SPECS = {spec.path: spec for spec in LEVERS}


def kpis_moved(scenario: Scenario) -> list[str]:
    """The registry groups the acting levers of a scenario move, in the registry's order."""
    groups = {group for spec in LEVERS if spec.acts(scenario) for group in spec.kpi_groups}
    return [group for group in registry.GROUPS if group in groups]
