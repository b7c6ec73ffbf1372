"""What a meeting brief holds, in one language: its findings (each with the chart that shows it and the numbers
behind it) and everything the page and the slides show."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Finding:
    """One finding: its sentence, the chart that shows it, and the numbers behind it (the slides' speaker notes)."""

    text: str
    chart: str
    notes: list[str] = field(default_factory=list)
    claim: bool = False  # whether it states a difference (an interval, or a constant, that excludes zero)
    kpi: str = ""
    interval: str = ""  # the difference's: "interval", "constant", "single", or "" for a note on several scenarios
    significant: bool = False


@dataclass
class Brief:
    """Everything the page and the slides show, in one language."""

    language: str
    title: str
    question: str
    findings: list[Finding]
    sizing: list[str]
    charts: dict[str, Path]
    kpi_table: dict
    scenarios: list[dict]
    audit: dict
    generated: str
