"""Scenario files: reading YAML safely, following `extends:`, merging, applying `--set` overrides, validating.

A file may `extends:` another and override a few values: mappings merge key by key, anything
else replaces. Every problem is one InputError naming the file, the parameter, the value and
what is allowed.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError
from ..safe_io import read_bytes
from .messages import describe_validation_error
from .overrides import apply_override
from .scenario import Scenario
from .strict_yaml import MAX_YAML_VALUES, load_yaml

__all__ = ["MAX_EXTENDS", "MAX_FILE_BYTES", "MAX_YAML_VALUES", "load_scenario", "merge_scenario", "read_yaml",
           "validate_scenario"]

# A scenario file is a few kilobytes (the largest shipped one 8 kB): a file over 1 MB is a wrong file,
# refused before it is parsed. A YAML alias bomb is refused by strict_yaml before it is expanded.
MAX_FILE_BYTES = 1_000_000
MAX_EXTENDS = 20  # files in one extends: chain


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file (following `extends:`), apply `path=value` overrides, validate.

    Raises InputError with the file, parameter path, bad value and what is allowed.
    """
    path = Path(path)
    try:
        raw = _resolve_extends(path, chain=())
        raw.setdefault("name", path.stem)
        for override in overrides:
            try:
                apply_override(raw, override)
            except InputError as error:
                raise InputError(str(error), where=error.where or str(path)) from None
        return validate_scenario(raw, where=str(path))
    except RecursionError:
        raise InputError("is nested too deeply to be a scenario", where=str(path)) from None


def validate_scenario(raw: dict, where: str = "scenario") -> Scenario:
    """Validate a plain dict as a Scenario, turning pydantic errors into one clear InputError."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, raw), where=where) from None


def read_yaml(path: Path, what: str = "scenario file") -> dict:
    """Load one YAML mapping safely (regular file only, size limit, strict YAML: see `strict_yaml`)."""
    data = read_bytes(path, limit=MAX_FILE_BYTES, what=what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"is not UTF-8 text (byte {error.start}); save it as UTF-8", where=str(path)) from None
    content = load_yaml(text, where=str(path))
    if content is None:
        raise InputError(f"the file is empty; a {what} needs its parameters (a scenario: at least horizon_days and "
                         "its sections)", where=str(path))
    if not isinstance(content, dict):
        raise InputError(f"must hold a mapping of parameters, not a {type(content).__name__}", where=str(path))
    return content


def _resolve_extends(path: Path, chain: tuple[Path, ...]) -> dict:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: read_bytes names it
        resolved = path.absolute()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in chain + (resolved,))
        raise InputError(f"extends: forms a cycle ({cycle})", where=str(path))
    if len(chain) >= MAX_EXTENDS:
        raise InputError(f"extends: the chain of parent files is longer than {MAX_EXTENDS} files (from "
                         f"{chain[0].name} through {chain[-1].name}); a scenario extends a few at most",
                         where=str(chain[0]))
    raw = read_yaml(path)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw
    if not isinstance(parent_name, str) or not parent_name:
        raise InputError(f"extends: must be a file name, got {parent_name!r}", where=str(path))
    parent_path = (path.parent / parent_name)
    if not os.path.lexists(parent_path):
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
        if not isinstance(child.get(key, {}) or {}, dict) or not isinstance(parent.get(key, {}) or {}, dict):
            continue  # not a mapping: left as it is for validation to report
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
