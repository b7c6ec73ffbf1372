"""The KPI registry: every outcome declared once (name, unit, better direction, group, English and Chinese labels).

The core's KPIs are declared in `analysis.kpis`, each mechanism's in its own module; this
module collects them. Tables, charts, the reports, the notebooks and the explorer read units,
labels and directions here and nowhere else.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from ..core.outcomes import Kpi
from ..mechanisms import MECHANISMS
from .kpis import CORE_KPIS

GROUPS = {
    "service": ("Service to residents", "服务成效"),
    "flow": ("Case flow", "案件流转"),
    "workload": ("Workload", "工作负荷"),
    "prevention": ("Prevention", "源头治理"),
    "participation": ("Participation", "群众参与"),
    "time_use": ("Time use and burden", "时间分配与减负"),
    "workforce": ("Workforce", "队伍建设"),
    "cost": ("Cost", "成本"),
}
LEVEL_NAMES_ZH = {"grid": "网格", "community": "社区", "department": "职能部门"}


def _declared() -> dict[str, Kpi]:
    declared: dict[str, Kpi] = {}
    for declaration in CORE_KPIS + tuple(k for mechanism in MECHANISMS for k in mechanism.kpis):
        if declaration.name in declared:
            raise ValueError(f"KPI {declaration.name} is declared twice")
        if declaration.group not in GROUPS:
            raise ValueError(f"KPI {declaration.name}: group {declaration.group!r} is not one of {list(GROUPS)}")
        declared[declaration.name] = declaration
    return declared


DECLARED = _declared()
FAMILIES = [k for k in DECLARED.values() if k.is_family]


@cache
def find(name: str) -> Kpi | None:
    """The declaration of a KPI (a family member gets its family's, labels filled in), or None."""
    if name in DECLARED and not DECLARED[name].is_family:
        return DECLARED[name]
    for family in FAMILIES:
        prefix = family.name[:-1]
        if name.startswith(prefix) and len(name) > len(prefix):
            member = name[len(prefix):]
            return replace(family, name=name, en=family.en.format(member.replace("_", " ")),
                           zh=family.zh.format(LEVEL_NAMES_ZH.get(member, member)))
    return None


def kpi(name: str) -> Kpi:
    """The declaration of a KPI; KeyError naming it if it was never declared."""
    found = find(name)
    if found is None:
        raise KeyError(f"KPI {name!r} is not declared (core KPIs in sim/analysis/kpis.py, a mechanism's in its module)")
    return found


def unit(name: str) -> str:
    return kpi(name).unit


def is_share(name: str) -> bool:
    found = find(name)
    return found is not None and found.unit == "share"


def label(name: str, language: str = "en") -> str:
    """The KPI's label in that language ("en" or "zh"); an undeclared name is shown as it is."""
    found = find(name)
    if found is None:
        return name
    return found.zh if language == "zh" else found.en


def in_group(group: str) -> list[str]:
    """The names of the declared KPIs of a group (families left out), in declaration order."""
    return [k.name for k in DECLARED.values() if k.group == group and not k.is_family]
