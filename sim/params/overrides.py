"""`--set PATH=VALUE` overrides: the path is checked against the schema before the value is applied."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from ..errors import InputError
from .base import unwrap_optional
from .messages import unknown_key_message
from .scenario import Scenario
from .strict_yaml import load_yaml

MAX_OVERRIDE_CHARS = 10_000  # a --set is a value or a short list, typed on a command line
MAX_OVERRIDE_VALUES = 10_000  # values in one --set once YAML aliases are expanded


def apply_override(raw: dict, override: str) -> None:
    """Apply one `dotted.path=value` override; the value is parsed as a YAML scalar or list."""
    if "=" not in override:
        raise InputError(f"--set {override!r}: expected PATH=VALUE, for example workforce.grid_workers=1800")
    path, text = override.split("=", 1)
    path = path.strip()
    if len(override) > MAX_OVERRIDE_CHARS:
        raise InputError(f"--set {path[:60]}: the override is {len(override):,} characters long; at most "
                         f"{MAX_OVERRIDE_CHARS:,} are allowed (put long values in a scenario file)")
    value = read_value(path, text)
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise InputError(f"--set {override!r}: the parameter path is empty or malformed")
    kinds = _check_override_path(parts, override)
    node: Any = raw
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if kinds[depth] == "list":
            if not isinstance(node, list):
                raise InputError(f"--set {where}: there is no list to index here; "
                                 f"set the whole list, e.g. {'.'.join(parts[:depth])}=[...]")
            index = int(part)
            if index >= len(node):
                allowed = f"0-{len(node) - 1}" if node else "none: the list is empty"
                raise InputError(f"--set {where}: index {index} is out of range; the list has {len(node)} "
                                 f"item(s) (allowed indices: {allowed})")
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(f"--set {where}: {'.'.join(parts[:depth])} is not a mapping in the scenario file")
        if last:
            node[part] = value
            continue
        if not isinstance(node.get(part), (dict, list)):
            if kinds[depth + 1] == "list":
                raise InputError(f"--set {where}.{parts[depth + 1]}: {where} is not a list in the scenario file "
                                 f"(its default applies), so it has no items to change; set the whole list, "
                                 f"e.g. {where}=[...]")
            node[part] = {}
        node = node[part]


def read_value(path: str, text: str):
    """The value of `--set PATH=TEXT`: one YAML value, read strictly (see `strict_yaml`), or None when empty."""
    if not text.strip():
        return None
    try:
        return load_yaml(text, where=f"--set {path}", max_values=MAX_OVERRIDE_VALUES)
    except InputError as error:
        raise InputError(f"{error} (the value given was {_shown(text)})") from None


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _check_override_path(parts: list[str], override: str) -> list[str]:
    """Reject a path that names no parameter, with the allowed names at the first wrong step.

    Returns, for each part, the kind of container it indexes: "model", "dict" or "list".
    """
    annotation: Any = Scenario
    walked: list[str] = []
    kinds: list[str] = []
    for part in parts:
        annotation = unwrap_optional(annotation)
        origin = get_origin(annotation)
        kinds.append("model" if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                     else "dict" if origin is dict else "list" if origin is list else "value")
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = type.__getattribute__(annotation, "model_fields")
            if part not in fields:
                raise InputError(unknown_key_message(".".join(walked + [part]), part, list(fields), "--set"))
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
    return kinds
