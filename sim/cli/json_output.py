"""What `--json` output does with values JSON cannot hold (numpy scalars, paths)."""

from __future__ import annotations


def json_default(value):
    """A numpy scalar as its Python value, anything else JSON cannot hold as its text."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
