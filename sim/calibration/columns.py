"""Which column of a case log holds what: the roles a column can play and how each is recognised.

A column is found by the name given on the command line, else by a recognised name (the
English names of common 311 / CRM exports, then the names of Chinese grid-management platform
exports), else by a word in its name ("channel", "agency", 部门). The created, closed and
category columns are required; the deadline, source, unit and status are optional. A column
whose name says it is a channel ("caller type", "channel type") is never taken as the category.
"""

from __future__ import annotations

import re

from ..errors import InputError

ROLES = ("created", "closed", "due", "category", "source", "unit", "status")
REQUIRED = ("created", "closed", "category")

# Compared after `normalise_name`: lower case, no spaces, underscores, hyphens, dots or brackets.
CANDIDATES: dict[str, list[str]] = {
    "created": ["opendt", "datetimeinit", "created",
                "createdat", "createddate", "createdtime", "opened", "opendate", "opentime",
                "reported", "reportedat", "reporttime", "requesteddatetime", "requestdate", "datereported",
                "creationdate",
                "createdate", "createddt", "submitteddate", "receiveddate", "datereceived",
                "上报时间", "受理时间", "创建时间", "立案时间", "登记时间", "发现时间", "报告时间", "接收时间",
                "来电时间",
                "诉求时间", "提交时间", "工单创建时间"],
    "closed": ["closeddt", "datetimeclosed", "closed",
               "closedat", "closeddate", "closedtime", "closedate", "closetime", "resolved",
               "resolvedat", "completed", "completedat", "resolutiondate", "completiondate", "dateclosed", "结案时间",
               "办结时间",
               "关闭时间", "处置完成时间", "完成时间", "归档时间", "实际办结时间", "处理完成时间"],
    "due": ["targetdt", "prjcompletedate", "projectedcompletiondate", "projectedcompletedate",
            "due", "duedate", "dueat", "duetime", "deadline", "target", "targetdate", "slatarget",
            "duedt", "sladuedate", "sladate", "expectedclosedate", "targetclosedate", "处置截止时间", "截止时间",
            "办理时限",
            "处置时限", "期限", "应办结时间", "限办时间", "要求办结时间", "办结时限", "截止日期"],
    "category": ["type", "casetype", "category", "requesttype", "servicename", "complainttype", "subject",
                 "srtype", "servicerequesttype", "problemtype", "issuetype", "problemcode", "problem", "requestcode",
                 "事项类别", "类别", "事件类型", "案件类型",
                 "问题类型",
                 "事项类型", "小类", "大类", "诉求类型", "诉求分类", "问题分类", "工单类型", "事件分类"],
    "source": ["source", "channel", "origin", "requestsource", "opendatachanneltype", "channeltype", "methodreceived",
               "callertype", "contacttype", "intakemethod",
               "来源", "案件来源", "事项来源", "渠道", "上报渠道", "上报来源", "诉求渠道", "来源渠道", "受理渠道"],
    "unit": ["department", "unit", "agency", "dept", "queue", "owner", "responsibleagency", "ownerdepartment",
             "division",
             "assignedto", "assignto", "submitto", "submittedto", "routedto",
             "处置部门", "责任部门", "承办部门", "处置单位", "办理部门", "责任单位",
             "承办单位",
             "处理部门", "主办单位"],
    "status": ["casestatus", "status", "requeststatus", "srstatus", "ticketstatus", "closurereason",
               "工单状态", "状态", "办理状态", "案件状态", "处置状态"],
}

# When no column has a recognised name, a column whose name contains one of these words (earlier
# words first); the time roles also need a word saying it is a time. Roles are tried in this order,
# so that "Open Data Channel Type" is the source before it can be taken for the category.
KEYWORDS: dict[str, list[str]] = {
    "created": ["creat", "init", "open", "report", "receiv", "submit",
                "上报", "受理", "创建", "登记", "来电", "提交", "发现"],
    "closed": ["clos", "resolv", "complet", "finish", "结案", "办结", "完成", "关闭"],
    "due": ["due", "deadline", "target", "sla", "prj", "projected", "expected", "截止", "时限", "期限"],
    "source": ["channel", "source", "origin", "method", "caller", "contact", "intake", "来源", "渠道"],
    "unit": ["agency", "department", "dept", "division", "queue", "owner", "assign", "submitto", "routed",
             "部门", "单位"],
    "category": ["type", "category", "problem", "subject", "topic", "class", "类别", "类型", "分类"],
    "status": ["status", "状态"],
}
# Words that make a column a channel, never the category (CALLERTYPE, Channel Type).
CHANNEL_WORDS = ("channel", "source", "origin", "caller", "contact", "intake", "method", "来源", "渠道")
TIME_WORD = re.compile(r"(date|time|dt$|at$|时间|日期|时限|期限)")


def normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-.()（）]+", "", str(name)).lower()


def detect_columns(columns: list[str], given: dict[str, str | None], where: str) -> dict[str, str | None]:
    """The column of every role: the one given, else the first recognised name, else a name with a role's
    keyword; required roles must be found."""
    found: dict[str, str | None] = {}
    by_norm = {normalise_name(c): c for c in columns}
    for role in ROLES:
        name = given.get(role)
        if name is not None:
            if name not in columns:
                raise InputError(f"--{role} {name!r} is not a column; the columns are: {', '.join(map(str, columns))}",
                                 where=where)
            found[role] = name
            continue
        found[role] = next((by_norm[c] for c in CANDIDATES[role] if c in by_norm and by_norm[c] not in found.values()),
                           None)
    for role in ("created", "closed", "due", "source", "unit", "category", "status"):
        if found[role] is None:
            found[role] = _by_keyword(role, by_norm, taken=set(found.values()))
    missing = [role for role in REQUIRED if found[role] is None]
    if missing:
        flags = " ".join(f"--{role} COLUMN" for role in missing)
        raise InputError(
            f"cannot tell which column holds the {', '.join(missing)} of a case; the columns are: "
            f"{', '.join(map(str, columns))}. Name them with {flags}", where=where)
    return found


def _by_keyword(role: str, by_norm: dict[str, str], taken: set) -> str | None:
    for word in KEYWORDS[role]:
        for norm, column in by_norm.items():
            if word not in norm or column in taken:
                continue
            if role == "category" and any(channel in norm for channel in CHANNEL_WORDS):
                continue
            if role == "status" and any(w in norm for w in ("ontime", "sla", "overdue")):
                continue  # OnTime_Status says whether a case was late, not whether it counts
            if role in ("source", "unit", "category", "status") or TIME_WORD.search(norm):
                return column
    return None
