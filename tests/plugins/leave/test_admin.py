"""HR administration through HTTP: types, HR records, adjustments with an audited reason, the yearly
roll-over, statistics with XLSX export, the team calendar's scope, and the schema."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playhouse.schema_diff import diff_models

from officium.core.audit import AuditEntry
from officium.core.identity.models import Unit
from officium.core.notifications import Notification
from officium.plugins.leave.models import HrRecord, LeaveAdjustment, LeaveRequest, LeaveType
from officium.testing import add_user

from .conftest import Site


def test_migrations_match_the_models(site: Site):
    assert not diff_models(site.app.db, site.app.registry.models["leave"])


def test_national_defaults_are_there(site: Site):
    types = {t["code"]: t for t in site("zhangsan").get("/api/v1/leave/types").json()["items"]}
    assert types["annual"]["balance_required"] and types["annual"]["counting"] == "working"
    assert types["home_visit"]["counting"] == "calendar"
    assert types["maternity"]["max_days"] == 98 and types["marriage"]["max_days"] == 3
    assert types["sick"]["document_required"] and not types["marriage"]["half_day"]


def test_hr_edits_a_type(site: Site):
    hr = site("hr")
    paternity = LeaveType.get(LeaveType.code == "paternity")
    page = hr.submit(
        f"/leave/admin/types/{paternity.id}", {"name": "", "counting": "calendar", "max_days": "7"}
    )
    assert page.status_code == 400 and 'id="f-name-error"' in page.text
    assert LeaveType.get_by_id(paternity.id).max_days == 15
    page = hr.submit(
        f"/leave/admin/types/{paternity.id}",
        {
            "name": "护理假",
            "counting": "calendar",
            "max_days": "7",
            "yearly_quota": "0",
            "active": "1",
            "paid": "1",
        },
    )
    assert page.status_code == 303
    changed = LeaveType.get_by_id(paternity.id)
    assert (changed.name, changed.max_days, changed.half_day) == ("护理假", 7, False)
    refused = site("zhaoliu").post(
        "/api/v1/leave/requests",
        {"leave_type": "paternity", "start_date": "2026-05-11", "end_date": "2026-05-18", "reason": "陪产"},
    )
    assert refused.status_code == 400 and "最多 7 天" in refused.json()["error"]["fields"]["end_date"]
    assert AuditEntry.select().where(AuditEntry.action == "leave.type.update").count() == 1
    assert site("zhaoliu").post("/api/v1/leave/types/paternity", {"max_days": 30}).status_code == 403


def test_hr_record_is_checked_and_audited(site: Site):
    hr = site("hr")
    bad = hr.post(
        "/api/v1/leave/hr/zhengshi", {"work_start": "2030-01-01", "service_start": "x", "rank": "将军"}
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"work_start", "service_start", "rank"}
    assert HrRecord.get_or_none(HrRecord.user == site("zhengshi").user) is None
    page = hr.submit(
        "/leave/admin/people/zhengshi/record",
        {"work_start": "2001-09-01", "service_start": "2020-03-01", "rank": "处级"},
    )
    assert page.status_code == 303
    assert hr.get("/api/v1/leave/hr/zhengshi").json() == {
        "user": "zhengshi",
        "name": "zhengshi",
        "work_start": "2001-09-01",
        "service_start": "2020-03-01",
        "rank": "处级",
    }
    assert AuditEntry.select().where(AuditEntry.action == "leave.hr_record.update").count() >= 1
    people = hr.page("/leave/admin/people?q=zhengshi")
    assert "处级" in people.text and "15 天" in people.text


def test_adjustments_need_a_reason_and_are_audited_and_notified(site: Site):
    hr = site("hr")
    before = LeaveAdjustment.select().count()
    page = hr.submit(
        "/leave/admin/people/wangwu/adjust",
        {"year": "2026", "leave_type": "comp", "days": "1.5", "reason": ""},
    )
    assert page.status_code == 400 and 'id="f-reason-error"' in page.text
    bad = hr.post(
        "/api/v1/leave/hr/wangwu/adjustments",
        {"leave_type": "comp", "year": 2026, "days": 0.3, "reason": "x"},
    )
    assert bad.status_code == 400 and "days" in bad.json()["error"]["fields"]
    assert LeaveAdjustment.select().count() == before
    page = hr.submit(
        "/leave/admin/people/wangwu/adjust",
        {"year": "2026", "leave_type": "comp", "days": "1.5", "reason": "3月7日加班"},
    )
    assert page.status_code == 303
    items = site("wangwu").get("/api/v1/leave/balances?year=2026").json()["items"]
    assert next(i for i in items if i["type"] == "comp")["available"] == 1.5
    assert AuditEntry.select().where(AuditEntry.action == "leave.adjust").count() == 1
    assert (
        Notification.select()
        .where((Notification.user == site("wangwu").user) & (Notification.kind == "leave.adjusted"))
        .count()
        == 1
    )
    # now 调休 can be taken, half a day at a time
    assert (
        site.file("wangwu", leave_type="comp", start_date="2026-05-06", end_date="2026-05-06", end_half="am")[
            "days"
        ]
        == 0.5
    )
    assert "3月7日加班" in hr.page("/leave/admin/people/wangwu").text


def test_yearly_rollover_carries_unused_annual_leave_once(site: Site):
    site.set_record("zhouba", "2015-03-01")
    site.set_record("chener", "2024-01-01")
    hr = site("hr")
    first = hr.post("/api/v1/leave/rollover", {"year": 2025})
    assert first.status_code == 200
    carried = {c["user"]: c["days"] for c in first.json()["carried"]}
    assert carried.get("chener") == 5  # 5 unused days of 2025, at most 5
    assert carried.get("zhouba") == 5  # 9 years in 2025: 5 days
    items = site("chener").get("/api/v1/leave/balances?year=2026").json()["items"]
    annual = next(i for i in items if i["type"] == "annual")
    assert annual["carried"] == 5
    again = hr.post("/api/v1/leave/rollover", {"year": 2025})
    assert again.json()["carried"] == []
    page = hr.submit("/leave/admin/rollover", {"year": "abc"})
    assert page.status_code == 400
    assert AuditEntry.select().where(AuditEntry.action == "leave.rollover").count() == 2


def test_reports_per_unit_type_month_and_xlsx(site: Site):
    leave = site.file("zhaoliu", leave_type="personal", start_date="2026-07-06", end_date="2026-07-07")
    site.approve_all(leave["id"])
    hr = site("hr")
    report = hr.get("/api/v1/leave/reports?year=2026&unit=XXH&type=personal&month=7").json()
    assert {"unit": "信息化处", "type": "事假", "month": "2026-07", "count": 1, "days": 2.0} in report[
        "items"
    ]
    page = hr.page("/leave/admin/reports?year=2026&unit=XXH")
    assert page.status_code == 200 and "2026-07" in page.text
    download = hr.page("/leave/admin/reports?year=2026&unit=XXH&type=personal&month=7&format=xlsx")
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("单位", "假别", "月份", "人次", "天数")
    assert ("信息化处", "事假", "2026-07", 1, 2) in rows
    assert site("zhaoliu").page("/leave/admin/reports").status_code == 403
    assert site("zhaoliu").get("/api/v1/leave/reports").status_code == 403


def test_team_calendar_scope(site: Site):
    leave = site.file("keyuan", leave_type="personal", start_date="2026-08-03", end_date="2026-08-04")
    staff = site("zhaoliu")
    page = staff.page("/leave/calendar?unit=XXH&month=2026-08")
    assert page.status_code == 200 and 'data-user="keyuan"' in page.text  # sections are part of the division
    assert staff.page("/leave/calendar?unit=RSC").status_code == 404
    assert staff.get("/api/v1/leave/calendar?unit=RSC").status_code == 404
    cal = site("hr").get("/api/v1/leave/calendar?unit=XXH&month=2026-08").json()
    keyuan = next(p for p in cal["people"] if p["user"] == "keyuan")
    assert keyuan["days"]["3"] == [{"type": "事假", "status": "pending", "id": leave["id"]}]


def test_pages_render(site: Site):
    staff = site("zhaoliu")
    for path in ("/leave/", "/leave/new", "/leave/calendar", "/leave/?year=2025&status=approved"):
        assert staff.page(path).status_code == 200, path
    hr = site("hr")
    for path in ("/leave/admin/", "/leave/admin/people", "/leave/admin/rollover", "/leave/admin/rules/new"):
        assert hr.page(path).status_code == 200, path
    assert "休假管理（人事处）" in hr.page("/").text
    assert "休假管理（人事处）" not in staff.page("/").text


def test_hr_changes_a_rule_on_its_page(site: Site):
    hr = site("hr")
    rule = hr.post(
        "/api/v1/leave/rules", {"rank": "科级及以下", "min_days": 10, "steps": ["unit", "hr"]}
    ).json()
    page = hr.page(f"/leave/admin/rules/{rule['id']}")
    assert page.status_code == 200 and 'value="10"' in page.text
    bad = hr.submit(
        f"/leave/admin/rules/{rule['id']}", {"rank": "科级及以下", "min_days": "-1", "steps": "unit"}
    )
    assert bad.status_code == 400 and 'id="f-min_days-error"' in bad.text
    done = hr.submit(
        f"/leave/admin/rules/{rule['id']}",
        {"rank": "科级及以下", "min_days": "10", "steps": ["unit", "supervising"]},
    )
    assert done.status_code == 303
    changed = next(r for r in hr.get("/api/v1/leave/rules").json()["items"] if r["id"] == rule["id"])
    assert changed["steps"] == ["unit", "supervising"] and changed["min_days"] == 10
    assert AuditEntry.select().where(AuditEntry.action == "leave.rule.update").count() == 1
    by_api = hr.post(f"/api/v1/leave/rules/{rule['id']}", {"leave_type": "sick", "steps": ["hr"]})
    assert by_api.status_code == 200, by_api.text
    assert (by_api.json()["leave_type"], by_api.json()["steps"], by_api.json()["min_days"]) == (
        "sick",
        ["hr"],
        10,
    )
    assert hr.post(f"/api/v1/leave/rules/{rule['id']}", {"steps": []}).status_code == 400
    assert hr.post(f"/api/v1/leave/rules/{rule['id']}/delete").status_code == 200


def test_hr_request_register_filters_and_exports(site: Site):
    site.file("sunqi", leave_type="personal", start_date="2026-11-02", end_date="2026-11-03", reason="搬家")
    hr = site("hr")
    page = hr.page("/leave/admin/requests?year=2026&q=sunqi&type=personal")
    assert page.status_code == 200 and "2026-11-02" in page.text
    assert "2026-11-02" not in hr.page("/leave/admin/requests?year=2026&q=sunqi&type=sick").text
    download = hr.page("/leave/admin/requests?year=2026&q=sunqi&format=xlsx")
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and any(row[8] == "搬家" for row in rows[1:])
    assert site("sunqi").page("/leave/admin/requests").status_code == 403
    listed = hr.get("/api/v1/leave/requests?scope=all&unit=XXH&type=personal&year=2026&per_page=100").json()
    assert any(r["reason"] == "搬家" for r in listed["items"])
    assert all(r["type"] == "personal" and r["unit"] == "XXH" for r in listed["items"])
    assert hr.get("/api/v1/leave/requests?scope=all&unit=NOPE").status_code == 400
    assert site("sunqi").get("/api/v1/leave/requests?scope=all").status_code == 400


def test_people_list_leaves_out_the_three_administrators(site: Site):
    add_user(site.app, "xtgly", name="系统管理员甲", unit=Unit.get(Unit.code == "RSC"), roles=["sysadmin"])
    add_user(site.app, "rsgb", name="人事干部乙", unit=Unit.get(Unit.code == "RSC"))
    hr = site("hr")
    assert "系统管理员甲" not in hr.page("/leave/admin/people?q=xtgly").text
    assert "人事干部乙" in hr.page("/leave/admin/people?q=rsgb").text


def test_the_request_list_reads_people_unit_and_type_with_the_rows(site: Site):
    """The JSON list runs the same statements for one request as for four (no lazy reads per row)."""
    hr = site("hr")

    def statements() -> int:
        seen: list[str] = []
        real = site.app.db.execute_sql

        def recording(sql, *args, **kwargs):
            seen.append(sql)
            return real(sql, *args, **kwargs)

        site.app.db.execute_sql = recording
        try:
            listed = hr.get("/api/v1/leave/requests?scope=all&status=approved&per_page=100").json()
        finally:
            del site.app.db.execute_sql
        assert all(r["name"] and r["type_name"] and r["filed_by"] for r in listed["items"])
        return len(listed["items"]), len(seen)

    def approved(start: str, end: str) -> None:
        site.file("sunqi", leave_type="personal", start_date=start, end_date=end, reason="家事")
        LeaveRequest.update(status="approved").where(LeaveRequest.start_date == start).execute()

    approved("2026-12-07", "2026-12-07")
    statements()  # the first request of a session writes its own bookkeeping
    before = statements()
    for start in ("2026-12-14", "2026-12-21", "2026-12-28"):
        approved(start, start)
    after = statements()
    assert after[0] == before[0] + 3 and after[1] == before[1]
