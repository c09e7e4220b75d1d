"""在线考勤 pages, CSV downloads, the JSON API and the dashboard notice.

Who sees what: ``attendance.report`` opens the unit report, limited to the units the viewer leads (and their
sub-units) unless they also hold ``attendance.report_all``; ``attendance.own`` opens one's own month.  A
person page of someone outside the viewer's reach answers 404, as if it did not exist.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium import AUTHENTICATED, Api, Page, Widget
from officium.core import audit
from officium.core.web.api import ApiError, page_params
from officium.core.web.views import current_user, redirect, render
from officium.core.workcalendar import is_workday
from officium.plugins.attendance import report
from officium.plugins.attendance.csvfile import csv_response
from officium.plugins.attendance.report import MARKS, OWN, REPORT, RESULTS, WEEKDAYS, Person, PersonDays
from officium.plugins.attendance.rules import Rules, rules

URL = "/attendance/"
BAD_DATE = "日期应写成 YYYY-MM-DD（如 2026-03-02），月份应写成 YYYY-MM（如 2026-03）。"
BAD_UNIT = "单位参数应为单位编号。"
_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


class BadQuery(ValueError):
    """A query parameter the report cannot use; the message is for people."""


def _in_range(day: date) -> date:
    if not 2000 <= day.year <= 2099:
        raise BadQuery(BAD_DATE)
    return day


def parse_day(text: str) -> date:
    """``2026-03-02`` as a date."""
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return _in_range(date.fromisoformat(text))
    except ValueError as exc:
        raise BadQuery(BAD_DATE) from exc


def parse_month(text: str) -> date:
    """``2026-03`` as the first day of that month."""
    match = _MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise BadQuery(BAD_DATE)
    return _in_range(date(int(match.group(1)), int(match.group(2)), 1))


def period_of(request: Request) -> tuple[str, date]:
    """``("month", first day)`` for ``?month=``, else ``("day", day)`` for ``?date=`` (default today)."""
    month = request.query_params.get("month", "").strip()
    if month:
        return "month", parse_month(month)
    day = request.query_params.get("date", "").strip()
    return "day", parse_day(day) if day else request.state.app.clock().date()


def days_of(kind: str, anchor: date) -> list[date]:
    """The working days a report covers: the day (if it is one), or the month's."""
    if kind == "day":
        return [anchor] if is_workday(anchor) else []
    return report.working_days(*report.month_bounds(anchor))


def unit_filter(request: Request, scope: report.Scope) -> int | None:
    """The ``?unit=`` id, refused with 404 when it is outside the viewer's units."""
    raw = request.query_params.get("unit", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadQuery(BAD_UNIT)
    unit_id = int(raw)
    if not scope.allows_unit(unit_id) or not any(u.id == unit_id for u, _ in report.visible_units(scope)):
        raise HTTPException(404)
    return unit_id


def _page_query(request: Request) -> tuple[str, date]:
    try:
        return period_of(request)
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from exc


def _month_label(first: date) -> str:
    return f"{first.year} 年 {first.month} 月"


def _shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _person_or_404(request: Request) -> Person:
    person = report.person_in_report(request.state.app, request.path_params["id"])
    if person is None or not report.may_see_person(request.state.ctx, person):
        raise HTTPException(404)
    return person


def _audit_export(request: Request, summary: str) -> None:
    # Downloads of personal data are recorded, although a GET changes nothing.
    audit.record(request.state.app, "attendance.export", request=request, summary=summary)


# --------------------------------------------------------------------------------------------- report


def _unit_report(request: Request) -> dict[str, Any]:
    app = request.state.app
    kind, anchor = _page_query(request)
    scope = report.scope_of(request.state.ctx)
    try:
        unit_id = unit_filter(request, scope)
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from exc
    the_rules = rules(app)
    days = days_of(kind, anchor)
    data = report.build(the_rules, report.people(app, scope, unit_id), days, app.clock())
    return {
        "kind": kind,
        "anchor": anchor,
        "unit_id": unit_id,
        "scope": scope,
        "rules": the_rules,
        "days": days,
        "data": data,
    }


def report_page(request: Request) -> Response:
    """The unit report for a day (``?date=``) or a month (``?month=``), optionally for one unit (``?unit=``)."""
    r = _unit_report(request)
    anchor: date = r["anchor"]
    return render(
        request,
        "attendance/report.html",
        kind=r["kind"],
        anchor=anchor,
        day_label=f"{anchor.isoformat()}（星期{WEEKDAYS[anchor.weekday()]}）",
        month_label=_month_label(anchor.replace(day=1)),
        month_value=anchor.strftime("%Y-%m"),
        working=bool(r["days"]),
        units=report.visible_units(r["scope"]),
        unit_id=r["unit_id"],
        rules=r["rules"],
        window_keys={p.key for p in r["rules"].windows},
        half_keys={p.key for p in r["rules"].halves},
        data=r["data"],
        marks=MARKS,
        results=RESULTS,
        query=request.url.query,
    )


def _day_rows(rules_: Rules, data: list[PersonDays]) -> tuple[list[str], list[list[object]]]:
    header = [
        "日期",
        "单位",
        "姓名",
        "用户名",
        "角色",
        *(f"{p.label}（综合人员）" for p in rules_.windows),
        *(f"{p.label}（{p.span}）" for p in rules_.halves),
        "结果",
    ]
    rows = [
        [
            row.day.isoformat(),
            e.person.unit_name,
            e.person.user.name,
            e.person.user.username,
            e.person.roles,
            *(MARKS[row.marks[p.key]] for p in rules_.periods),
            RESULTS[row.result],
        ]
        for e in data
        for row in e.rows
    ]
    return header, rows


def _month_rows(rules_: Rules, data: list[PersonDays], days: int) -> tuple[list[str], list[list[object]]]:
    windows = {p.key for p in rules_.windows}
    halves = {p.key for p in rules_.halves}
    header = [
        "单位",
        "姓名",
        "用户名",
        "角色",
        "工作日数",
        "已统计天数",
        "达标天数",
        "未达标天数",
        "缺综合人员时段数",
        "缺上午/下午数",
    ]
    rows = [
        [
            e.person.unit_name,
            e.person.user.name,
            e.person.user.username,
            e.person.roles,
            days,
            e.counted_days,
            e.ok_days,
            e.missed_days,
            e.missed(windows) if e.person.clerk else "—",
            e.missed(halves),
        ]
        for e in data
    ]
    return header, rows


def report_csv(request: Request) -> Response:
    """The unit report as CSV: one row per person and day, or per person for a month."""
    r = _unit_report(request)
    anchor: date = r["anchor"]
    if r["kind"] == "day":
        header, rows = _day_rows(r["rules"], r["data"])
        name = f"attendance-{anchor.isoformat()}.csv"
    else:
        header, rows = _month_rows(r["rules"], r["data"], len(r["days"]))
        name = f"attendance-{anchor.strftime('%Y-%m')}.csv"
    _audit_export(request, f"导出在线考勤报表 {name}（{len(r['data'])} 人）")
    return csv_response(name, header, rows)


def my_attendance(request: Request) -> Response:
    """本人考勤: the signed-in user's own month."""
    return redirect(f"{URL}people/{current_user(request).id}")


def _person_month(request: Request) -> dict[str, Any]:
    person = _person_or_404(request)
    app = request.state.app
    raw = request.query_params.get("month", "").strip()
    try:
        first = parse_month(raw) if raw else app.clock().date().replace(day=1)
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from exc
    the_rules = rules(app)
    days = report.working_days(*report.month_bounds(first))
    (entry,) = report.build(the_rules, [person], days, app.clock())
    return {"person": person, "first": first, "rules": the_rules, "entry": entry, "days": days}


def person_page(request: Request) -> Response:
    """One person's month (``?month=YYYY-MM``, default this month): each working day's periods."""
    r = _person_month(request)
    first: date = r["first"]
    the_rules: Rules = r["rules"]
    entry: PersonDays = r["entry"]
    shown = [p for p in the_rules.periods if r["person"].clerk or p not in the_rules.windows]
    return render(
        request,
        "attendance/person.html",
        person=r["person"],
        month_label=_month_label(first),
        month_value=first.strftime("%Y-%m"),
        previous=_shift_month(first, -1).strftime("%Y-%m"),
        following=_shift_month(first, 1).strftime("%Y-%m"),
        periods=shown,
        entry=entry,
        missed_windows=entry.missed({p.key for p in the_rules.windows}),
        missed_halves=entry.missed({p.key for p in the_rules.halves}),
        marks=MARKS,
        results=RESULTS,
        is_self=r["person"].user.id == current_user(request).id,
        can_report=REPORT in request.state.ctx.permissions,
    )


def person_csv(request: Request) -> Response:
    """One person's month as CSV."""
    r = _person_month(request)
    the_rules: Rules = r["rules"]
    person: Person = r["person"]
    header, rows = _day_rows(the_rules, [r["entry"]])
    name = f"attendance-{person.user.username}-{r['first'].strftime('%Y-%m')}.csv"
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        name = f"attendance-{person.user.id}-{r['first'].strftime('%Y-%m')}.csv"
    _audit_export(request, f"导出 {person.user.name} 的在线考勤 {r['first'].strftime('%Y-%m')}")
    return csv_response(name, header, rows)


# ------------------------------------------------------------------------------------------------ api


def _periods_json(the_rules: Rules) -> list[dict[str, Any]]:
    windows = {p.key for p in the_rules.windows}
    return [
        {
            "key": p.key,
            "label": p.label,
            "start": f"{p.start // 60:02d}:{p.start % 60:02d}",
            "end": f"{p.end // 60:02d}:{p.end % 60:02d}",
            "clerks_only": p.key in windows,
        }
        for p in the_rules.periods
    ]


def _person_json(entry: PersonDays, the_rules: Rules) -> dict[str, Any]:
    person = entry.person
    return {
        "id": person.user.id,
        "username": person.user.username,
        "name": person.user.name,
        "unit": person.unit_name,
        "roles": person.roles,
        "clerk": person.clerk,
        "days": [{"date": r.day.isoformat(), "marks": r.marks, "result": r.result} for r in entry.rows],
        "ok_days": entry.ok_days,
        "missed_days": entry.missed_days,
        "missed_windows": entry.missed({p.key for p in the_rules.windows}) if person.clerk else 0,
        "missed_halves": entry.missed({p.key for p in the_rules.halves}),
    }


def _api_query(request: Request) -> tuple[str, date]:
    try:
        return period_of(request)
    except BadQuery as exc:
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"date": str(exc)}) from exc


def api_report(request: Request) -> dict[str, Any]:
    """The unit report (``date`` or ``month``, optional ``unit``): people paginated, each with their days."""
    app = request.state.app
    kind, anchor = _api_query(request)
    scope = report.scope_of(request.state.ctx)
    try:
        unit_id = unit_filter(request, scope)
    except BadQuery as exc:
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"unit": str(exc)}) from exc
    except HTTPException as exc:
        raise ApiError(404, "not_found", "找不到该单位，或您无权查看它的考勤。") from exc
    page, per_page = page_params(request)
    persons = report.people(app, scope, unit_id)
    the_rules = rules(app)
    days = days_of(kind, anchor)
    chosen = persons[(page - 1) * per_page : page * per_page]
    data = report.build(the_rules, chosen, days, app.clock())
    return {
        "kind": kind,
        **({"date": anchor.isoformat()} if kind == "day" else {"month": anchor.strftime("%Y-%m")}),
        "unit": unit_id,
        "periods": _periods_json(the_rules),
        "working_days": [d.isoformat() for d in days],
        "items": [_person_json(e, the_rules) for e in data],
        "page": page,
        "per_page": per_page,
        "total": len(persons),
    }


def api_person(request: Request) -> dict[str, Any]:
    """One person's month (``month``, default this month)."""
    try:
        r = _person_month(request)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise ApiError(404, "not_found", "找不到该人员，或您无权查看其考勤。") from exc
        raise ApiError(400, "invalid_query", "查询参数不正确。", {"month": BAD_DATE}) from exc
    return {
        "month": r["first"].strftime("%Y-%m"),
        "periods": _periods_json(r["rules"]),
        "working_days": [d.isoformat() for d in r["days"]],
        **_person_json(r["entry"], r["rules"]),
    }


# --------------------------------------------------------------------------------------------- widget


def missed_today_widget(request: Request) -> list[Widget]:
    """The dashboard notice for a clerk who missed a window earlier today; nothing otherwise."""
    ctx = request.state.ctx
    if report.CLERK_ROLE not in ctx.roles:
        return []
    app = request.state.app
    now: datetime = app.clock()
    memo = app.process_state.setdefault("attendance.missed_today", {})
    missed = report.missed_windows_today(rules(app), ctx.user, now, memo)
    if not missed:
        return []
    labels = "、".join(p.label for p in missed)

    def render_panel(request: Request) -> Markup:
        return Markup(
            '<p class="error attendance-alert" role="status">您今天 {} 时段未登录系统。</p>'
            '<p class="hint">按规定，综合人员工作日须在规定时段内登录。<a href="{}">查看本人考勤</a></p>'
        ).format(labels, f"{URL}me")

    return [Widget("attendance_missed", "在线考勤提醒", render_panel, OWN, order=5)]


ROUTES = [
    Page("/", report_page, "index", REPORT),
    Page("/export.csv", report_csv, "export", REPORT),
    Page("/me", my_attendance, "me", OWN),
    Page("/people/{id:int}", person_page, "person", AUTHENTICATED),
    Page("/people/{id:int}/export.csv", person_csv, "person_export", AUTHENTICATED),
    Api("/report", api_report, "report", REPORT, summary="单位在线考勤报表（某日或某月）"),
    Api("/people/{id:int}", api_person, "person", AUTHENTICATED, summary="某人某月的在线考勤"),
]
