"""System pages for time limits and background work: 后台任务 (/admin/jobs), 工作日历 (/admin/calendar) and
超期统计 (/reports/overdue)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
from starlette.requests import Request
from starlette.responses import Response

from officium.core import audit
from officium.core.deadlines import overdue_report, report_csv
from officium.core.jobs import JobRun, describe_backend, describe_schedule, last_run
from officium.core.registry import MenuItem, Page
from officium.core.web.views import current_user, form_value, redirect, render
from officium.core.workcalendar import CalendarOverride

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
DAY_KINDS = {"work": "工作日", "rest": "休息日", "holiday": "法定节假日", "makeup": "调休上班"}
#: A consumer that recorded no run for this long is probably not running (core.send_email runs every minute).
STALE_AFTER = timedelta(minutes=10)


# ------------------------------------------------------------------------------------------- jobs


def jobs_page(request: Request) -> Response:
    """后台任务: each registered job with its schedule and last run, then the latest runs."""
    app = request.state.app
    now = app.clock()
    jobs = [(job, describe_schedule(job), last_run(name)) for name, job in sorted(app.registry.jobs.items())]
    recent = list(JobRun.select().order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(50))
    latest = max((r.started_at for _, _, r in jobs if r is not None), default=None)
    return render(
        request,
        "core/ops/jobs.html",
        jobs=jobs,
        recent=recent,
        backend=describe_backend(app),
        stale=latest is None or now - latest > STALE_AFTER,
        latest=latest,
    )


# --------------------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class Day:
    """One day of the calendar page."""

    day: date
    in_month: bool
    workday: bool
    kind: str
    label: str
    override: CalendarOverride | None


def known_year(year: int) -> bool:
    """Whether chinese_calendar has the State Council's holiday arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _day(day: date, overrides: dict[date, CalendarOverride], known: bool) -> tuple[bool, str, str]:
    name = None
    if known:
        base = chinese_calendar.is_workday(day)
        name = chinese_calendar.get_holiday_detail(day)[1]
    else:
        base = day.weekday() < 5
    override = overrides.get(day)
    workday = override.workday if override is not None else base
    holiday = HOLIDAY_NAMES.get(name or "", name or "")
    if override is not None and override.note:
        holiday = override.note
    if workday:
        if day.weekday() >= 5:
            return workday, "makeup", f"调休上班{f'（{holiday}）' if holiday else ''}"
        return workday, "work", ""
    if holiday or (override is not None and day.weekday() < 5):
        return workday, "holiday", holiday or "休息"
    return workday, "rest", ""


def year_view(year: int) -> tuple[list[tuple[int, list[list[Day]]]], dict[date, CalendarOverride]]:
    """Twelve months of weeks (Monday first) with each day's status, and the year's overrides."""
    overrides = {
        o.day: o
        for o in CalendarOverride.select().where(
            (CalendarOverride.day >= date(year, 1, 1)) & (CalendarOverride.day <= date(year, 12, 31))
        )
    }
    known = known_year(year)
    months = []
    for month in range(1, 13):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row = []
            for day in week:
                workday, kind, label = _day(day, overrides, known) if day.month == month else (False, "", "")
                row.append(Day(day, day.month == month, workday, kind, label, overrides.get(day)))
            weeks.append(row)
        months.append((month, weeks))
    return months, overrides


def _year(raw: str, default: int) -> int:
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else default


def calendar_page(request: Request) -> Response:
    """工作日历: a year's working days (national calendar + overrides); add or remove overrides."""
    app = request.state.app
    year = _year(request.query_params.get("year", ""), app.clock().year)
    errors: dict[str, str] = {}
    values = {"day": "", "workday": "0", "note": ""}
    if request.method == "POST":
        action = form_value(request, "action")
        if action == "remove":
            raw_id = form_value(request, "id")
            override = (
                CalendarOverride.get_or_none(CalendarOverride.id == int(raw_id)) if raw_id.isdigit() else None
            )
            if override is not None:
                audit.record(
                    app,
                    "core.calendar.remove",
                    request=request,
                    object_type="calendar_override",
                    object_id=override.day.isoformat(),
                    summary=f"删除工作日历调整：{override.day:%Y-%m-%d}（{'上班' if override.workday else '休息'}）",
                )
                override.delete_instance()
                year = override.day.year
            return redirect(f"/admin/calendar?year={year}")
        values = {key: form_value(request, key) for key in values}
        try:
            day = datetime.strptime(values["day"], "%Y-%m-%d").date()
        except ValueError:
            errors["day"] = "请按 YYYY-MM-DD 填写日期。"
        else:
            if not 2000 <= day.year <= 2100:
                errors["day"] = "日期应在 2000 至 2100 年之间。"
        if values["workday"] not in ("0", "1"):
            errors["workday"] = "请选择上班或休息。"
        if len(values["note"]) > 100:
            errors["note"] = "说明最多 100 个字。"
        if not errors:
            workday = values["workday"] == "1"
            existing = CalendarOverride.get_or_none(CalendarOverride.day == day)
            if existing is not None:
                existing.workday, existing.note = workday, values["note"]
                existing.save()
            else:
                CalendarOverride.create(day=day, workday=workday, note=values["note"])
            audit.record(
                app,
                "core.calendar.set",
                request=request,
                object_type="calendar_override",
                object_id=day.isoformat(),
                summary=f"设置 {day:%Y-%m-%d} 为{'上班' if workday else '休息'}"
                + (f"（{values['note']}）" if values["note"] else ""),
            )
            return redirect(f"/admin/calendar?year={day.year}")
    months, overrides = year_view(year)
    return render(
        request,
        "core/ops/calendar.html",
        status_code=400 if errors else 200,
        year=year,
        months=months,
        overrides=sorted(overrides.values(), key=lambda o: o.day),
        known=known_year(year),
        kinds=DAY_KINDS,
        errors=errors,
        values=values,
        month_names=month_names(),
        workdays=sum(1 for _, weeks in months for week in weeks for d in week if d.in_month and d.workday),
    )


# ----------------------------------------------------------------------------------- overdue report


def _date(raw: str, default: date) -> tuple[date, str]:
    if not raw:
        return default, ""
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date(), ""
    except ValueError:
        return default, "请按 YYYY-MM-DD 填写日期。"


def overdue_page(request: Request) -> Response:
    """超期统计: open items overdue now and items finished late in a period, per unit and per person.

    Leaders and 分管领导 see the units they hold the role for and the units below; the 流程管理员 sees all.
    ``format=csv`` (with ``by=unit`` or ``by=person``) downloads the table.
    """
    app = request.state.app
    now = app.clock()
    today = now.date()
    errors: dict[str, str] = {}
    start, errors["start"] = _date(request.query_params.get("start", ""), today.replace(day=1))
    end, errors["end"] = _date(request.query_params.get("end", ""), today)
    if not errors["start"] and not errors["end"] and end < start:
        errors["end"] = "结束日期不能早于开始日期。"
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        start, end = today.replace(day=1), today
    report = overdue_report(current_user(request), start, end, now)
    if request.query_params.get("format") == "csv" and not errors:
        by = "unit" if request.query_params.get("by") == "unit" else "person"
        name = f"overdue-{by}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
        return Response(
            report_csv(report, by),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render(
        request,
        "core/ops/overdue.html",
        status_code=400 if errors else 200,
        report=report,
        errors=errors,
        start=request.query_params.get("start", "") if errors else start.isoformat(),
        end=request.query_params.get("end", "") if errors else end.isoformat(),
        query=f"start={start.isoformat()}&end={end.isoformat()}",
    )


def month_names() -> dict[int, str]:
    """一月 … 十二月."""
    return {i: f"{n}月" for i, n in enumerate("一二三四五六七八九十", start=1)} | {11: "十一月", 12: "十二月"}


ROUTES = [
    Page("/admin/jobs", jobs_page, "admin_jobs", "core.accounts.manage"),
    Page("/admin/calendar", calendar_page, "admin_calendar", "core.calendar.manage", methods=("GET", "POST")),
    Page("/reports/overdue", overdue_page, "overdue_report", "core.reports.overdue"),
]

MENU = [
    MenuItem("后台任务", "/admin/jobs", "系统管理", "core.accounts.manage", order=400),
    MenuItem("工作日历", "/admin/calendar", "系统管理", "core.calendar.manage", order=410),
    MenuItem("超期统计", "/reports/overdue", "快捷操作", "core.reports.overdue", order=200),
]
