"""YAML read as a person means it: no silent YAML 1.1 surprises, no duplicate keys, no alias bombs.

PyYAML follows YAML 1.1, which reads `0123` as octal 83, `1:00` as sexagesimal 60 and `8:30`
as 510, and keeps the last of two equal keys. A scenario author means none of these, so
`load_yaml` composes the document into its node graph first (with libyaml when available, so a
large file is refused fast), checks it, and only then builds the values:

- a number with a leading zero (`0123`) or with colons (`1:00`, `8:30`) is an error saying how
  to write it (`123`, `8.5`);
- a key given twice in one mapping is an error naming the key and both lines;
- the size of the document with every alias expanded, and its depth, are computed on the node
  graph without expanding anything (each shared node is counted once per use by memoisation),
  and refused beyond MAX_YAML_VALUES / MAX_YAML_DEPTH with a message that does not print them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import InputError

MAX_YAML_VALUES = 100_000  # a scenario has a few hundred values; a batch sweep a few thousand
MAX_YAML_DEPTH = 64  # a scenario nests about 6 deep

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")


def load_yaml(text: str, where: str, *, max_values: int = MAX_YAML_VALUES) -> Any:
    """The value of one YAML document, checked as described above; InputError(where=where) otherwise."""
    if text.count(",") + text.count("\n") - text.count("\n\n") > 2 * max_values:
        # Fast refusal before parsing (parsing a megabyte takes seconds): each value needs a line or a comma.
        raise InputError(f"holds far more than {max_values:,} values (lines and list items); a scenario has a few "
                         "hundred", where=where)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            raise InputError(_yaml_problem(error), where=where) from None
        except RecursionError:
            raise InputError("invalid YAML: nested too deeply (a scenario nests about 6 levels)", where=where) from None
        if node is None:
            return None
        check_nodes(node, where, max_values=max_values)
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as error:
            raise InputError(_yaml_problem(error), where=where) from None
        except RecursionError:
            raise InputError("invalid YAML: nested too deeply (a scenario nests about 6 levels)", where=where) from None
    finally:
        loader.dispose()


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if "nesting depth" in problem:
        return f"invalid YAML{at}: nested too deeply (a scenario nests about 6 levels)"
    return f"invalid YAML{at}: {problem}"


def _line(node: Node) -> str:
    return f"line {node.start_mark.line + 1}"


def check_nodes(root: Node, where: str, *, max_values: int = MAX_YAML_VALUES) -> None:
    """Refuse ambiguous numbers, duplicate keys, and documents too large or deep once aliases are expanded."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # Iterative post-order walk over the node graph (a DAG when aliases share nodes).
    stack: list[tuple[Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            size = 1 + sum(sizes[id(c)] for c in children)
            depth = 1 + max((depths[id(c)] for c in children), default=0)
            on_path.discard(key)
            if size > max_values:
                raise InputError(f"holds more than {max_values:,} values (each use of a YAML alias *name "
                                 "counted with everything it repeats); a scenario has a few hundred", where=where)
            if depth > MAX_YAML_DEPTH:
                raise InputError(f"is nested more than {MAX_YAML_DEPTH} levels deep; a scenario nests about 6",
                                 where=where)
            sizes[key], depths[key] = size, depth
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InputError("holds a YAML alias that contains itself", where=where)
        if isinstance(node, ScalarNode):
            _check_scalar(node, where)
            sizes[key], depths[key] = 1, 1
            continue
        if isinstance(node, MappingNode):
            _check_duplicate_keys(node, where)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_scalar(node: ScalarNode, where: str) -> None:
    if node.tag not in (_INT, _FLOAT) or node.style:  # quoted: a string, as the author wrote it
        return
    text = node.value
    if _SEXAGESIMAL.match(text):
        hours, _, rest = text.partition(":")
        hint = ""
        if rest.isdigit() and hours.lstrip("+-").isdigit():
            hint = f" (for {text} as a time of day write {int(hours) + int(rest) / 60:g})"
        raise InputError(f"{_line(node)}: the value {text!r} is ambiguous: YAML 1.1 would read it as the base-60 "
                         f"number {_yaml11(text)}. Write hours as a decimal number{hint}, or quote it as text",
                         where=where)
    if _LEADING_ZERO.match(text):
        raise InputError(f"{_line(node)}: the value {text!r} has a leading zero, which YAML 1.1 reads as the octal "
                         f"number {_yaml11(text)}. Write {text.lstrip('+-').lstrip('0_') or '0'} without the "
                         "leading zero, or quote it as text", where=where)


def _yaml11(text: str) -> str:
    try:
        return str(yaml.safe_load(text))
    except yaml.YAMLError:
        return "?"


def _check_duplicate_keys(node: MappingNode, where: str) -> None:
    seen: dict[str, Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            continue
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        name = key_node.value
        if name in seen:
            raise InputError(f"the key {name!r} is given twice in one mapping ({_line(seen[name])} and "
                             f"{_line(key_node)}); keep one of them", where=where)
        seen[name] = key_node
