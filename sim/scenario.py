"""The scenario schema: every parameter with its unit, bounds and default, and how files become scenarios.

A scenario is a YAML file validated by the pydantic models below. Units are in the names
(`_h` hours, `_days`, `_per_year`, `_yuan`). A file may `extends:` another file and override a
few values, so a policy scenario is a small diff of a baseline. Every value is labelled: the
`sources:` map cites the seed document a figure comes from, the `assumptions:` map gives the
reason for every figure that is not in the seeds; defaults left in the schema carry their reason
in their description. `provenance()` turns this into one table.

Time zero is a Monday at 00:00; the model runs at hour resolution in continuous time.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVELS = ("grid", "community", "department")

# Limits that keep one replication within memory and time on a laptop; a value beyond them is
# almost certainly a typo (an extra zero), and is rejected with the limit named.
MAX_HORIZON_DAYS = 3_650
MAX_HOUSEHOLDS = 20_000_000
MAX_STAFF = 1_000_000
MAX_CASES_PER_HOUSEHOLD_YEAR = 10_000.0


class Strict(BaseModel):
    """Base for every schema section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


# --------------------------------------------------------------------------- calendars


class WorkingHours(Strict):
    """One block of a weekly calendar: these days, from start_h to end_h (local clock hours)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default=["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    start_h: float = Field(8.5, ge=0, lt=24, description="assumption: office hours 08:30-17:30")
    end_h: float = Field(17.5, gt=0, le=24, description="assumption: office hours 08:30-17:30")

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHours":
        if self.end_h <= self.start_h:
            raise ValueError(
                f"end_h ({self.end_h}) must be later than start_h ({self.start_h}); "
                "split an overnight shift into two blocks"
            )
        return self


def office_hours() -> list[WorkingHours]:
    return [WorkingHours()]


def round_the_clock() -> list[WorkingHours]:
    return [WorkingHours(days=list(DAY_NAMES), start_h=0, end_h=24)]


# --------------------------------------------------------------------------- territory


class Territory(Strict):
    """Subdistricts, communities and grids. Grids are residential (150-200 households) or dedicated."""

    subdistricts: int = Field(ge=1, le=10_000)
    communities: int = Field(ge=1, le=100_000)
    residential_grids: int = Field(ge=1, le=1_000_000)
    dedicated_grids: int = Field(0, ge=0, le=1_000_000, description="assumption: none unless stated")
    households_per_grid_min: int = Field(150, ge=1, le=100_000, description="seed 000: 150-200 households per grid")
    households_per_grid_max: int = Field(200, ge=1, le=100_000, description="seed 000: 150-200 households per grid")
    dedicated_grid_household_equivalent: float = Field(
        175.0,
        ge=0,
        le=100_000,
        description="assumption: a dedicated grid (offices, markets) generates the case load of a mid-sized residential grid",
    )
    community_size_cv: float = Field(
        0.35,
        ge=0,
        le=3,
        description="assumption: communities differ in size with a coefficient of variation of 0.35",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "Territory":
        if self.households_per_grid_max < self.households_per_grid_min:
            raise ValueError(
                f"households_per_grid_max ({self.households_per_grid_max}) must be at least "
                f"households_per_grid_min ({self.households_per_grid_min})"
            )
        if self.communities < self.subdistricts:
            raise ValueError(
                f"communities ({self.communities}) must be at least subdistricts ({self.subdistricts}): "
                "every subdistrict has at least one community"
            )
        if self.residential_grids < self.communities:
            raise ValueError(
                f"residential_grids ({self.residential_grids}) must be at least communities "
                f"({self.communities}): every community has at least one grid"
            )
        households = self.residential_grids * self.households_per_grid_max
        if households > MAX_HOUSEHOLDS:
            raise ValueError(
                f"residential_grids x households_per_grid_max = {households:,} households exceeds "
                f"the limit of {MAX_HOUSEHOLDS:,}"
            )
        return self


# --------------------------------------------------------------------------- workforce


class HiringBatch(Strict):
    size: int = Field(ge=1, le=MAX_STAFF)
    start_day: float = Field(ge=0, le=MAX_HORIZON_DAYS)


class Workforce(Strict):
    """Head counts and working hours of grid workers and community workers."""

    grid_workers: int = Field(ge=0, le=MAX_STAFF, description="grid workers on duty at day 0")
    hiring_batches: list[HiringBatch] = Field(default_factory=list, description="assumption: no hiring")
    grid_worker_hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)
    grid_case_time_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="assumption: 60 % of a grid worker's shift is available for cases; the rest is patrol, meetings and paperwork",
    )
    community_workers_per_community: int = Field(ge=1, le=10_000)
    community_worker_hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)
    community_case_time_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="assumption: half of a community worker's shift goes to escalated cases; the rest to services, meetings and tasks from above",
    )

    def grid_workers_at(self, day: float) -> int:
        """Head count on `day`: the initial workers plus every batch that has started."""
        return self.grid_workers + sum(b.size for b in self.hiring_batches if b.start_day <= day)

    @property
    def final_grid_workers(self) -> int:
        return self.grid_workers + sum(b.size for b in self.hiring_batches)


class Department(Strict):
    """A functional department that takes whistled cases: a team with capacity and working hours."""

    staff: int = Field(ge=1, le=MAX_STAFF)
    hours: list[WorkingHours] = Field(default_factory=office_hours, min_length=1)


class Dispatch(Strict):
    """Whistle-and-dispatch rules (吹哨派单): time limits for departments, and queue discipline."""

    acceptance_deadline_h: float = Field(
        2.0, gt=0, le=24 * MAX_HORIZON_DAYS, description="assumption: a whistled case must be taken up within 2 h"
    )
    resolution_deadline_h: float = Field(gt=0, le=24 * MAX_HORIZON_DAYS)
    queue_discipline: Literal["fifo", "edf"] = Field(
        "fifo", description="assumption: first come, first served, overdue (supervised) cases first"
    )


# --------------------------------------------------------------------------- cases


class Work(Strict):
    """Work content of one handling step, in hours of focused work."""

    mean_h: float = Field(gt=0, le=10_000)
    cv: float = Field(1.0, ge=0, le=10)
    distribution: Literal["exponential", "lognormal", "fixed"] = "lognormal"

    @model_validator(mode="after")
    def _cv_matches(self) -> "Work":
        if self.distribution == "exponential" and self.cv != 1.0:
            raise ValueError(f"an exponential work content has cv 1, not {self.cv}; use lognormal for another cv")
        if self.distribution == "fixed" and self.cv != 0.0 and "cv" in self.model_fields_set:
            raise ValueError(f"a fixed work content has cv 0, not {self.cv}")
        return self


class LevelWork(Strict):
    grid: Work
    community: Work
    department: Work


class Routing(Strict):
    """Share of cases triaged to each handling level at intake; must sum to 1."""

    grid: float = Field(ge=0, le=1)
    community: float = Field(ge=0, le=1)
    department: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> "Routing":
        total = self.grid + self.community + self.department
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(
                f"routing shares grid + community + department must sum to 1, got {total:.6g}"
            )
        return self

    def shares(self) -> list[float]:
        return [self.grid, self.community, self.department]


class Escalation(Strict):
    """Probability that a case handled at a level cannot be closed there and moves up."""

    grid: float = Field(ge=0, le=1)
    community: float = Field(ge=0, le=1)


class Category(Strict):
    """A kind of case: how often it arises, where it is handled, how much work, by when."""

    rate_per_household_per_year: float = Field(ge=0, le=MAX_CASES_PER_HOUSEHOLD_YEAR)
    deadline_h: float | None = Field(gt=0, le=24 * MAX_HORIZON_DAYS, description="None: no deadline")
    routing: Routing
    escalation_probability: Escalation
    work: LevelWork
    department: str = Field(min_length=1)
    resolution_deadline_h: float | None = Field(
        None, gt=0, le=24 * MAX_HORIZON_DAYS, description="None: the dispatch rule's resolution_deadline_h"
    )


class Cases(Strict):
    """Case categories, their arrival pattern, sources and resident feedback."""

    categories: dict[str, Category] = Field(min_length=1)
    sources: dict[str, float] = Field(min_length=1, description="share of cases by channel; sums to 1")
    hourly_profile: list[float] = Field(min_length=24, max_length=24)
    weekly_profile: list[float] = Field(min_length=7, max_length=7)
    hour_of_week_profile: list[float] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="assumption: None = hourly_profile x weekly_profile; 168 weights from Monday 00:00 when a case log gives the full hour-of-week pattern",
    )
    daily_rate_cv: float = Field(
        0.0, ge=0, le=5, description="assumption: 0 = plain Poisson; > 0 draws a gamma day-level rate multiplier"
    )
    reopen_probability: float = Field(
        0.03, ge=0, le=1, description="assumption: 3 % of closures are rejected by the resident and reopened"
    )
    reopen_delay_h: float = Field(
        24.0, ge=0, le=24 * 365, description="assumption: the resident's feedback comes a day after closure"
    )
    rework_share: float = Field(
        0.5, gt=0, le=10, description="assumption: a reopened case needs half its original work again"
    )

    @field_validator("sources")
    @classmethod
    def _sources_sum(cls, value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(f"source share {name} = {share} must be between 0 and 1")
        total = sum(value.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"source shares must sum to 1, got {total:.6g}")
        return value

    @field_validator("hourly_profile", "weekly_profile", "hour_of_week_profile")
    @classmethod
    def _profile(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if any(v < 0 or not math.isfinite(v) for v in value):
            raise ValueError(f"profile weights must be finite and non-negative, got {value}")
        if sum(value) <= 0:
            raise ValueError("profile weights must not all be zero")
        return value


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """One district under one policy: everything a replication needs, nothing else."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    horizon_days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    warm_up_days: int = Field(ge=0, le=MAX_HORIZON_DAYS)
    drain_days: int = Field(
        30,
        ge=0,
        le=MAX_HORIZON_DAYS,
        description="assumption: after the horizon, 30 days without new arrivals let open cases close so their times are known",
    )
    territory: Territory
    workforce: Workforce
    departments: dict[str, Department] = Field(min_length=1)
    dispatch: Dispatch
    cases: Cases
    sources: dict[str, str] = Field(default_factory=dict, description="parameter path -> seed citation")
    assumptions: dict[str, str] = Field(default_factory=dict, description="parameter path -> reason")

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        if self.warm_up_days >= self.horizon_days:
            raise ValueError(
                f"warm_up_days ({self.warm_up_days}) must be shorter than horizon_days ({self.horizon_days})"
            )
        for name, category in self.cases.categories.items():
            if category.department not in self.departments:
                raise ValueError(
                    f"cases.categories.{name}.department = {category.department!r} is not a department; "
                    f"allowed: {sorted(self.departments)}"
                )
        for batch in self.workforce.hiring_batches:
            if batch.start_day >= self.horizon_days:
                raise ValueError(
                    f"a hiring batch starts on day {batch.start_day}, after the horizon of {self.horizon_days} days"
                )
        households = self.territory.residential_grids * (
            self.territory.households_per_grid_min + self.territory.households_per_grid_max
        ) / 2 + self.territory.dedicated_grids * self.territory.dedicated_grid_household_equivalent
        rate = sum(c.rate_per_household_per_year for c in self.cases.categories.values())
        expected = households * rate * (self.horizon_days / 365.0)
        if expected > MAX_EXPECTED_CASES:
            raise ValueError(
                f"this scenario would simulate about {expected:,.0f} cases in one replication; "
                f"the limit is {MAX_EXPECTED_CASES:,}. Shorten horizon_days or lower the rates."
            )
        for path in list(self.sources) + list(self.assumptions):
            if not path_exists(self, path):
                raise ValueError(f"the citation key {path!r} is not a parameter path of this scenario")
        return self

    # Derived views used by the model and the reports.
    def category_names(self) -> list[str]:
        return list(self.cases.categories)

    def department_names(self) -> list[str]:
        return list(self.departments)

    def content_hash(self) -> str:
        """A stable hash of everything that affects results (not the name, description or citations)."""
        payload = self.model_dump(mode="json", exclude={"name", "description", "sources", "assumptions"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


MAX_EXPECTED_CASES = 60_000_000


def path_exists(scenario: BaseModel, path: str) -> bool:
    """Whether a dotted parameter path names a value in this scenario."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                return False
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        else:
            return False
    return True


# --------------------------------------------------------------------------- loading files


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file (following `extends:`), apply `path=value` overrides, validate.

    Raises InputError with the file, parameter path, bad value and what is allowed.
    """
    path = Path(path)
    raw = _resolve_extends(path, chain=())
    raw.setdefault("name", path.stem)
    for override in overrides:
        _apply_override(raw, override)
    return validate_scenario(raw, where=str(path))


def validate_scenario(raw: dict, where: str = "scenario") -> Scenario:
    """Validate a plain dict as a Scenario, turning pydantic errors into one clear InputError."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, raw), where=where) from None


def read_yaml(path: Path) -> dict:
    """Load one YAML mapping safely (no object construction), with clear errors."""
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a YAML file", where=str(path))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"is not UTF-8 text (byte {error.start}); save it as UTF-8", where=str(path)) from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"invalid YAML{at}: {problem}", where=str(path)) from None
    if content is None:
        raise InputError("the file is empty; a scenario needs at least horizon_days and its sections", where=str(path))
    if not isinstance(content, dict):
        raise InputError(f"must hold a mapping of parameters, not a {type(content).__name__}", where=str(path))
    return content


def _resolve_extends(path: Path, chain: tuple[Path, ...]) -> dict:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in chain + (resolved,))
        raise InputError(f"extends: forms a cycle ({cycle})", where=str(path))
    raw = read_yaml(path)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw
    if not isinstance(parent_name, str) or not parent_name:
        raise InputError(f"extends: must be a file name, got {parent_name!r}", where=str(path))
    parent_path = (path.parent / parent_name)
    if not parent_path.exists():
        raise InputError(f"extends: parent file {parent_name!r} not found (looked in {path.parent})", where=str(path))
    parent = _resolve_extends(parent_path, chain + (resolved,))
    return merge_scenario(parent, raw)


def merge_scenario(parent: dict, child: dict) -> dict:
    """Deep-merge a child scenario over its parent.

    Mappings merge key by key; anything else (numbers, lists, null) replaces. A citation the
    parent gave for a value the child replaces is dropped unless the child cites it again, so a
    stale citation never labels a new figure; a broader citation still covers what is unchanged.
    """
    merged = _deep_merge(copy.deepcopy(parent), child)
    changed = [p for p in _leaf_paths(child) if p.split(".")[0] not in ("sources", "assumptions")]
    for key in ("sources", "assumptions"):
        inherited = {
            path: note
            for path, note in (parent.get(key) or {}).items()
            if not any(path == c or path.startswith(c + ".") for c in changed)
        }
        inherited.update(child.get(key) or {})
        merged[key] = inherited
    return merged


def _deep_merge(base: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _leaf_paths(tree: Any, prefix: str = "") -> list[str]:
    if isinstance(tree, dict) and tree:
        paths: list[str] = []
        for key, value in tree.items():
            paths += _leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return paths
    return [prefix] if prefix else []


def _apply_override(raw: dict, override: str) -> None:
    """Apply one `dotted.path=value` override; the value is parsed as a YAML scalar or list."""
    if "=" not in override:
        raise InputError(f"--set {override!r}: expected PATH=VALUE, for example workforce.grid_workers=1800")
    path, text = override.split("=", 1)
    path = path.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise InputError(f"--set {path}: cannot read the value {text!r}") from None
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise InputError(f"--set {override!r}: the parameter path is empty or malformed")
    _check_override_path(parts, override)
    node = raw
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
            continue
        if not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def _check_override_path(parts: list[str], override: str) -> None:
    """Reject a path that names no parameter, with the allowed names at the first wrong step."""
    annotation: Any = Scenario
    walked: list[str] = []
    for part in parts:
        annotation = _unwrap_optional(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = type.__getattribute__(annotation, "model_fields")
            if part not in fields:
                raise InputError(_unknown_key_message(".".join(walked + [part]), part, list(fields), "--set"))
            annotation = fields[part].annotation
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin is list:
            if not part.isdigit():
                raise InputError(f"--set {'.'.join(walked + [part])}: {part!r} must be a list index (0, 1, ...)")
            annotation = get_args(annotation)[0]
        else:
            raise InputError(f"--set {'.'.join(walked)} is a single value; it has no part {part!r}")
        walked.append(part)


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) is Union:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _allowed_keys(loc: tuple) -> list[str]:
    annotation: Any = Scenario
    for part in loc[:-1]:
        annotation = _unwrap_optional(annotation)
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
    annotation = _unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unknown_key_message(path: str, key: str, allowed: list[str], what: str = "") -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    prefix = f"{what} " if what else ""
    return f"{prefix}{path}: unknown parameter {key!r}{hint}; allowed: {', '.join(sorted(allowed))}"


def describe_validation_error(error: ValidationError, raw: dict | None = None) -> str:
    """One readable line per problem: path, bad value, what is allowed."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(_unknown_key_message(path, str(loc[-1]), _allowed_keys(loc)))
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
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- provenance


def provenance(scenario: Scenario) -> list[dict[str, str]]:
    """Every leaf parameter with its value and where it comes from: seed, assumption or schema default.

    A citation in `sources` or `assumptions` covers its path and everything below it; the most
    specific one wins. A parameter left at its schema default takes the reason in the schema.
    """
    rows = []
    data = scenario.model_dump(mode="json", exclude={"sources", "assumptions", "name", "description"})
    for path, value in _leaf_items(data):
        kind, note = _citation(scenario, path)
        rows.append({"parameter": path, "value": json.dumps(value, ensure_ascii=False), "kind": kind, "source": note})
    return rows


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
        kind = "seed" if description.startswith("seed") else "assumption" if description.startswith("assumption") else "default"
        return kind, description
    return "unlabelled", ""


def _schema_description(path: str) -> str:
    annotation: Any = Scenario
    description = ""
    for part in path.split("."):
        annotation = _unwrap_optional(annotation)
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
            return ""
    return description
