"""Requests through HTTP: half days, counting across National Day 2026 and its 调休 working Saturday,
overlaps, the approval chain by days and rank, filing on behalf, cancellation and 销假 with the balance
restored, who may see a request, the 外出授权 offer and the 病假 certificate."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from officium.core.audit import AuditEntry
from officium.core.notifications import Notification
from officium.plugins.delegation.models import Delegation
from officium.plugins.leave.models import LeaveRequest

from .conftest import PDF, Site, certificate


def count(site: Site, username: str, **params: str) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = site(username).get(f"/api/v1/leave/count?{query}")
    assert response.status_code == 200
    return response.json()


def available(site: Site, username: str, code: str = "annual") -> float:
    items = site(username).get("/api/v1/leave/balances?year=2026").json()["items"]
    return next(i["available"] for i in items if i["type"] == code)


# --------------------------------------------------------------------------------------- counting


def national_day_2026() -> tuple[list[date], date]:
    """The National Day days off of 2026 and the make-up working weekend day after them, from the package."""
    days = [date(2026, 9, 20) + timedelta(days=i) for i in range(40)]
    off = [d for d in days if chinese_calendar.get_holiday_detail(d) == (True, "National Day")]
    make_up = [d for d in days if d.weekday() >= 5 and chinese_calendar.is_workday(d) and d > off[0]]
    return off, make_up[0]


def test_counting_across_national_day_and_its_make_up_saturday(site: Site):
    off, saturday = national_day_2026()
    assert len(off) >= 5 and saturday.weekday() == 5
    start, end = off[0] - timedelta(days=3), saturday
    expected = sum(
        1 for i in range((end - start).days + 1) if chinese_calendar.is_workday(start + timedelta(days=i))
    )
    found = count(
        site, "zhangsan", leave_type="annual", start_date=start.isoformat(), end_date=end.isoformat()
    )
    assert found["ok"] and found["days"] == expected
    assert expected == (end - start).days + 1 - len(off)  # every day off is skipped, the Saturday counts
    # calendar-day types (探亲假) count the holiday too
    found = count(
        site, "zhangsan", leave_type="home_visit", start_date=start.isoformat(), end_date=end.isoformat()
    )
    assert found["days"] == (end - start).days + 1
    # the make-up Saturday alone is one working day; a holiday alone needs no leave
    assert count(site, "zhangsan", leave_type="personal", start_date=saturday.isoformat())["days"] == 1
    holiday = count(site, "zhangsan", leave_type="personal", start_date=off[1].isoformat())
    assert not holiday["ok"] and "无需请假" in holiday["message"]
    # a filed request stores the same count
    site.set_record("zhangsan", "2010-01-01")
    leave = site.file("zhangsan", leave_type="annual", start_date=start.isoformat(), end_date=end.isoformat())
    assert leave["days"] == expected and leave["year"] == 2026


def test_half_days(site: Site):
    # Tuesday afternoon to Wednesday noon: one day
    found = count(
        site,
        "lisi",
        leave_type="personal",
        start_date="2026-03-10",
        start_half="pm",
        end_date="2026-03-11",
        end_half="am",
    )
    assert found["days"] == 1
    one_morning = count(
        site, "lisi", leave_type="personal", start_date="2026-03-10", end_date="2026-03-10", end_half="am"
    )
    assert one_morning["days"] == 0.5
    impossible = count(
        site,
        "lisi",
        leave_type="personal",
        start_date="2026-03-10",
        start_half="pm",
        end_date="2026-03-10",
        end_half="am",
    )
    assert not impossible["ok"] and "end_half" in impossible["fields"]
    # a Friday afternoon to Monday noon is one working day (the weekend is not counted)
    weekend = count(
        site,
        "lisi",
        leave_type="personal",
        start_date="2026-03-13",
        start_half="pm",
        end_date="2026-03-16",
        end_half="am",
    )
    assert weekend["days"] == 1
    # 婚假 is taken in whole days
    refused = site("lisi").post(
        "/api/v1/leave/requests",
        {
            "leave_type": "marriage",
            "start_date": "2026-03-10",
            "end_date": "2026-03-10",
            "end_half": "am",
            "reason": "结婚",
        },
    )
    assert refused.status_code == 400 and "整天" in refused.json()["error"]["fields"]["start_half"]
    filed = site.file(
        "lisi",
        leave_type="personal",
        start_date="2026-03-10",
        start_half="pm",
        end_date="2026-03-11",
        end_half="am",
    )
    assert filed["days"] == 1 and (filed["start_half"], filed["end_half"]) == ("pm", "am")


def test_overlapping_requests_are_refused_half_days_may_touch(site: Site):
    first = site.file(
        "wangwu", leave_type="personal", start_date="2026-03-16", end_date="2026-03-18", end_half="am"
    )
    before = LeaveRequest.select().count()
    clash = site("wangwu").post(
        "/api/v1/leave/requests",
        {"leave_type": "personal", "start_date": "2026-03-17", "end_date": "2026-03-19", "reason": "x"},
    )
    assert clash.status_code == 400
    assert "重叠" in clash.json()["error"]["fields"]["start_date"]
    # the morning of the 18th is taken, the afternoon is free
    morning = site("wangwu").post(
        "/api/v1/leave/requests",
        {
            "leave_type": "personal",
            "start_date": "2026-03-18",
            "end_date": "2026-03-18",
            "end_half": "am",
            "reason": "x",
        },
    )
    assert morning.status_code == 400
    assert LeaveRequest.select().count() == before
    afternoon = site.file(
        "wangwu", leave_type="personal", start_date="2026-03-18", start_half="pm", end_date="2026-03-18"
    )
    assert afternoon["days"] == 0.5
    # the same through the form: the message is beside the field and nothing is stored
    page = site("wangwu").submit(
        "/leave/new",
        {
            "leave_type": "personal",
            "start_date": "2026-03-16",
            "start_half": "am",
            "end_date": "2026-03-16",
            "end_half": "pm",
            "reason": "x",
        },
    )
    assert page.status_code == 400 and "与已有的请假重叠" in page.text
    assert LeaveRequest.select().count() == before + 1
    # a cancelled request frees its days
    cancel = site("wangwu").post(f"/api/v1/leave/requests/{first['id']}/cancel", {"reason": "不去了"})
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    site.file("wangwu", leave_type="personal", start_date="2026-03-17", end_date="2026-03-17")


# --------------------------------------------------------------------------------------- the chain


def test_chain_by_days(site: Site):
    short = site.file("zhaoliu", leave_type="personal", start_date="2026-04-07", end_date="2026-04-09")
    assert short["days"] == 3 and short["chain"] == ["unit", "hr"]
    assert site.handlers(short["id"]) == [("unit", "xxhld")]
    assert "下一步：人事处备案（人事处人事干部）" in site("xxhld").page(f"/leave/{short['id']}").text
    assert site.approve_all(short["id"]) == [("unit", "xxhld"), ("hr", "hr")]
    assert site("zhaoliu").get(f"/api/v1/leave/requests/{short['id']}").json()["status"] == "approved"
    long = site.file("zhaoliu", leave_type="personal", start_date="2026-04-13", end_date="2026-04-16")
    assert long["days"] == 4 and long["chain"] == ["unit", "supervising", "hr"]
    assert site.approve_all(long["id"]) == [("unit", "xxhld"), ("supervising", "fuju"), ("hr", "hr")]


def test_chain_by_rank_and_for_a_leader(site: Site):
    site.set_record("xxhld", "2000-01-01", rank="处级")
    chief = site.file("xxhld", leave_type="personal", start_date="2026-04-07", end_date="2026-04-07")
    assert chief["chain"] == ["supervising", "hr"]  # 处级: the 局领导, even for one day
    assert site.approve_all(chief["id"]) == [("supervising", "fuju"), ("hr", "hr")]
    # a section chief's leave goes to the division's leader, not to himself
    section = site.file("kezhang", leave_type="personal", start_date="2026-04-07", end_date="2026-04-07")
    assert site.handlers(section["id"]) == [("unit", "xxhld")]
    # the 科员 of the section goes to the section chief
    member = site.file("keyuan", leave_type="personal", start_date="2026-04-07", end_date="2026-04-07")
    assert site.handlers(member["id"]) == [("unit", "kezhang")]


def test_hr_edits_the_rules(site: Site):
    hr = site("hr")
    rule = hr.post(
        "/api/v1/leave/rules", {"leave_type": "sick", "min_days": 0, "steps": ["hr"], "note": "病假报人事处"}
    )
    assert rule.status_code == 201, rule.text
    leave = site.file(
        "keyuan",
        leave_type="sick",
        start_date="2026-05-06",
        end_date="2026-05-06",
        reason="感冒",
        attachments=certificate(),
    )
    assert leave["chain"] == ["hr"] and site.handlers(leave["id"]) == [("hr", "hr")]
    bad = hr.post("/api/v1/leave/rules", {"min_days": 0, "steps": []})
    assert bad.status_code == 400 and "steps" in bad.json()["error"]["fields"]
    assert hr.post(f"/api/v1/leave/rules/{rule.json()['id']}/delete").status_code == 200
    again = site.file(
        "keyuan",
        leave_type="sick",
        start_date="2026-05-07",
        end_date="2026-05-07",
        reason="感冒",
        attachments=certificate(),
    )
    assert again["chain"] == ["unit", "hr"]
    # staff may not change rules
    assert site("keyuan").post("/api/v1/leave/rules", {"steps": ["hr"]}).status_code == 403
    assert (
        AuditEntry.select().where(AuditEntry.action.in_(("leave.rule.create", "leave.rule.delete"))).count()
        == 2
    )


def test_clerk_files_on_behalf_and_staff_may_not(site: Site):
    page = site("clerk").submit(
        "/leave/new",
        {
            "user": "chener",
            "leave_type": "personal",
            "start_date": "2026-05-11",
            "start_half": "am",
            "end_date": "2026-05-11",
            "end_half": "pm",
            "reason": "代为请假：发烧",
        },
    )
    assert page.status_code == 303, page.text
    leave = LeaveRequest.get_by_id(int(page.headers["location"].rsplit("/", 1)[1]))
    assert (leave.user.username, leave.filed_by.username) == ("chener", "clerk")
    # the person sees it as theirs
    assert site("chener").get(f"/api/v1/leave/requests/{leave.id}").json()["filed_by"] == "clerk"
    assert "代为请假" in site("chener").page(f"/leave/{leave.id}").text
    refused = site("lisi").post(
        "/api/v1/leave/requests",
        {
            "user": "chener",
            "leave_type": "personal",
            "start_date": "2026-05-12",
            "end_date": "2026-05-12",
            "reason": "x",
        },
    )
    assert refused.status_code == 400 and "user" in refused.json()["error"]["fields"]


def test_others_cannot_see_a_request(site: Site):
    leave = site.file("chener", leave_type="personal", start_date="2026-05-18", end_date="2026-05-18")
    assert site("lisi").get(f"/api/v1/leave/requests/{leave['id']}").status_code == 404
    assert site("lisi").page(f"/leave/{leave['id']}").status_code == 404
    assert (
        site("lisi").post(f"/api/v1/leave/requests/{leave['id']}/cancel", {"reason": "x"}).status_code == 404
    )
    # the approver and HR may
    assert site("xxhld").get(f"/api/v1/leave/requests/{leave['id']}").status_code == 200
    assert site("hr").get(f"/api/v1/leave/requests/{leave['id']}").status_code == 200
    assert site("lisi").page("/leave/admin/").status_code == 403


# ------------------------------------------------------------------------------- cancel and 销假


def test_cancellation_and_return_restore_the_balance(site: Site):
    site.set_record("lisi", "2012-06-01")  # 14 years: 10 days
    assert available(site, "lisi") == 10
    leave = site.file("lisi", leave_type="annual", start_date="2026-04-13", end_date="2026-04-17")
    assert leave["days"] == 5 and available(site, "lisi") == 5  # pending days are held
    # the approver sees the balance beside the request
    assert "可用 5 天" in site("xxhld").page(f"/leave/{leave['id']}").text
    site.approve_all(leave["id"])
    assert available(site, "lisi") == 5
    # before it starts: 销假 is refused, 撤销 gives the days back
    early = site("lisi").post(f"/api/v1/leave/requests/{leave['id']}/end", {})
    assert early.status_code == 400 and "尚未开始" in early.json()["error"]["message"]
    page = site("lisi").submit(f"/leave/{leave['id']}/cancel", {"reason": ""})
    assert page.status_code == 400 and "请填写撤销原因" in page.text
    page = site("lisi").submit(f"/leave/{leave['id']}/cancel", {"reason": "工作需要，不休了"})
    assert page.status_code == 303 and page.headers["location"] == f"/leave/{leave['id']}"
    assert available(site, "lisi") == 10

    second = site.file("lisi", leave_type="annual", start_date="2026-04-20", end_date="2026-04-24")
    site.approve_all(second["id"])
    site.clock.now = datetime(2026, 4, 22, 9, 0)
    site("lisi").relogin()
    # once started it cannot be cancelled, only ended
    refused = site("lisi").post(f"/api/v1/leave/requests/{second['id']}/cancel", {"reason": "x"})
    assert refused.status_code == 400 and "销假" in refused.json()["error"]["message"]
    late = site("lisi").submit(
        f"/leave/{second['id']}/end", {"actual_end_date": "2026-04-27", "actual_end_half": "pm"}
    )
    assert late.status_code == 400 and "不能晚于" in late.text
    ended = site("lisi").submit(
        f"/leave/{second['id']}/end", {"actual_end_date": "2026-04-22", "actual_end_half": "am"}
    )
    assert ended.status_code == 303 and ended.headers["location"] == f"/leave/{second['id']}"
    row = LeaveRequest.get_by_id(second["id"])
    assert (row.status, row.actual_days) == ("ended", 2.5)
    assert available(site, "lisi") == 7.5  # 10 - 2.5: the unused 2.5 days came back
    assert "退回额度 2.5 天" in site("lisi").page(f"/leave/{second['id']}").text
    assert site("lisi").post(f"/api/v1/leave/requests/{second['id']}/end", {}).status_code == 409
    # the team calendar shows the days actually taken
    cal = site("clerk").get("/api/v1/leave/calendar?unit=XXH&month=2026-04").json()
    lisi = next(p for p in cal["people"] if p["user"] == "lisi")
    assert set(lisi["days"]) == {"20", "21", "22"}  # the cancelled 13–17 is not shown
    assert AuditEntry.select().where(AuditEntry.action == "leave.end").count() >= 1


def test_balance_required_types_refuse_more_than_is_left(site: Site):
    site.set_record("chener", "2024-01-01")  # 2 years: 5 days
    refused = site("chener").post(
        "/api/v1/leave/requests",
        {"leave_type": "annual", "start_date": "2026-07-06", "end_date": "2026-07-13", "reason": "旅游"},
    )
    assert refused.status_code == 400 and "可用 5 天" in refused.json()["error"]["fields"]["end_date"]
    comp = site("chener").post(
        "/api/v1/leave/requests",
        {"leave_type": "comp", "start_date": "2026-07-06", "end_date": "2026-07-06", "reason": "调休"},
    )
    assert comp.status_code == 400  # no 调休 days registered


def test_approved_leave_offers_a_delegation_for_its_period(site: Site):
    leave = site.file(
        "zhangsan", leave_type="personal", start_date="2026-04-20", start_half="pm", end_date="2026-04-21"
    )
    site.approve_all(leave["id"])
    page = site("zhangsan").page(f"/leave/{leave['id']}")
    assert "登记外出授权" in page.text
    bad = site("zhangsan").submit(f"/leave/{leave['id']}/delegate", {"delegate": "nobody"})
    assert bad.status_code == 400 and Delegation.select().count() == 0
    done = site("zhangsan").submit(f"/leave/{leave['id']}/delegate", {"delegate": "lisi"})
    assert done.status_code == 303
    delegation = Delegation.get()
    assert (delegation.principal.username, delegation.delegate.username) == ("zhangsan", "lisi")
    assert (delegation.start_at, delegation.end_at) == (datetime(2026, 4, 20, 12), datetime(2026, 4, 22))
    assert LeaveRequest.get_by_id(leave["id"]).delegation_id == delegation.id
    again = site("zhangsan").post(f"/api/v1/leave/requests/{leave['id']}/delegate", {"delegate": "wangwu"})
    assert again.status_code == 409
    # only the person themselves
    assert (
        site("hr").post(f"/api/v1/leave/requests/{leave['id']}/delegate", {"delegate": "wangwu"}).status_code
        == 403
    )


def test_sick_leave_form_needs_a_certificate(site: Site):
    form = {
        "leave_type": "sick",
        "start_date": "2026-09-07",
        "start_half": "am",
        "end_date": "2026-09-07",
        "end_half": "pm",
        "reason": "看病",
    }
    before = LeaveRequest.select().count()
    missing = site("fengyi").submit("/leave/new", form)
    assert missing.status_code == 400 and 'id="f-document-error"' in missing.text
    wrong = site("fengyi").submit(
        "/leave/new", form, files={"document": ("诊断.exe", b"MZ\x90\x00", "application/octet-stream")}
    )
    assert wrong.status_code == 400 and 'id="f-document-error"' in wrong.text
    assert LeaveRequest.select().count() == before
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ok = site("fengyi").submit(
        "/leave/new", form, files={"document": ("诊断证明.pdf", pdf, "application/pdf")}
    )
    assert ok.status_code == 303, ok.text
    leave_id = int(ok.headers["location"].rsplit("/", 1)[1])
    detail = site("fengyi").page(f"/leave/{leave_id}")
    assert "诊断证明.pdf" in detail.text
    from officium.core.files import attachments_of

    (doc,) = attachments_of("leave", "request", leave_id)
    assert site("fengyi").page(f"/leave/{leave_id}/documents/{doc.id}").content == pdf
    assert site("lisi").page(f"/leave/{leave_id}/documents/{doc.id}").status_code == 404


def test_classified_marks_are_refused_and_the_refusal_audited(site: Site):
    before = LeaveRequest.select().count()
    api = site("zhouba").post(
        "/api/v1/leave/requests",
        {
            "leave_type": "personal",
            "start_date": "2026-09-14",
            "end_date": "2026-09-14",
            "reason": "处理机密★10年文件",
        },
    )
    assert api.status_code == 422 and "reason" in api.json()["error"]["fields"]
    page = site("zhouba").submit(
        "/leave/new",
        {
            "leave_type": "personal",
            "start_date": "2026-09-14",
            "start_half": "am",
            "end_date": "2026-09-14",
            "end_half": "pm",
            "reason": "密级：秘密",
        },
    )
    assert page.status_code == 422 and 'id="f-reason-error"' in page.text
    assert LeaveRequest.select().count() == before
    refusals = AuditEntry.select().where(AuditEntry.action == "leave.secrecy_refused")
    assert refusals.count() == 2 and {e.result for e in refusals} == {"refused"}


SICK = {"leave_type": "sick", "start_date": "2026-10-19", "end_date": "2026-10-19", "reason": "发烧就诊"}


def test_the_api_refuses_sick_leave_without_a_certificate(site: Site):
    before = LeaveRequest.select().count()
    missing = site("chener").post("/api/v1/leave/requests", SICK)
    assert missing.status_code == 400, missing.text
    error = missing.json()["error"]
    assert error["message"] == "该假别须上传证明材料（如医院诊断证明），支持 PDF、JPG、PNG。"
    assert error["fields"]["document"] == error["message"]
    wrong = site("chener").post(
        "/api/v1/leave/requests", {**SICK, "attachments": certificate("诊断.exe", b"MZ\x90\x00")}
    )
    assert wrong.status_code == 400 and "document" in wrong.json()["error"]["fields"]
    garbled = site("chener").post(
        "/api/v1/leave/requests", {**SICK, "attachments": [{"filename": "a.pdf", "content_base64": "%%"}]}
    )
    assert garbled.status_code == 400 and "attachments" in garbled.json()["error"]["fields"]
    assert LeaveRequest.select().count() == before
    from officium.core.files import Attachment

    assert (
        not Attachment.select()
        .where(Attachment.plugin == "leave", Attachment.filename == "诊断.exe")
        .exists()
    )


def test_the_api_files_sick_leave_with_a_base64_certificate(site: Site):
    filed = site("chener").post("/api/v1/leave/requests", {**SICK, "attachments": certificate()})
    assert filed.status_code == 201, filed.text
    leave = filed.json()
    (doc,) = leave["documents"]
    assert doc["filename"] == "诊断证明.pdf" and doc["size"] == len(PDF)
    assert site("chener").get(f"/api/v1/leave/requests/{leave['id']}").json()["documents"] == [doc]
    for who in ("chener", "hr"):
        assert site(who).get(doc["url"]).content == PDF
        assert site(who).page(f"/leave/{leave['id']}/documents/{doc['id']}").content == PDF
    assert site("lisi").get(doc["url"]).status_code == 404
    assert site("lisi").page(f"/leave/{leave['id']}/documents/{doc['id']}").status_code == 404
    assert "诊断证明.pdf" in site("hr").page(f"/leave/{leave['id']}").text


def test_a_classified_certificate_is_refused_and_audited(site: Site):
    refusals = AuditEntry.select().where(AuditEntry.action == "leave.secrecy_refused")
    before, audited = LeaveRequest.select().count(), refusals.count()
    marked = {**SICK, "start_date": "2026-10-26", "end_date": "2026-10-26"}
    api = site("chener").post(
        "/api/v1/leave/requests", {**marked, "attachments": certificate("机密★诊断证明.pdf")}
    )
    assert api.status_code == 422 and "document" in api.json()["error"]["fields"], api.text
    page = site("chener").submit(
        "/leave/new",
        {**marked, "start_half": "am", "end_half": "pm"},
        files={"document": ("机密★诊断证明.pdf", PDF, "application/pdf")},
    )
    assert page.status_code == 422 and 'id="f-document-error"' in page.text
    assert LeaveRequest.select().count() == before
    assert refusals.count() == audited + 2


def test_a_request_terminated_by_the_workflow_administrator_is_cancelled(site: Site):
    leave = site.file("zhouba", leave_type="personal", start_date="2026-09-21", end_date="2026-09-21")
    instance = site.instance(leave["id"])
    done = site("monitor").post(f"/api/v1/core/workflow/monitor/{instance.id}/close", {"reason": "重复提交"})
    assert done.status_code == 200, done.text
    row = LeaveRequest.get_by_id(leave["id"])
    assert row.status == "cancelled"
    assert (
        Notification.select()
        .where((Notification.user == site("zhouba").user) & (Notification.kind == "leave.cancelled"))
        .exists()
    )
    # the day is free again
    site.file("zhouba", leave_type="personal", start_date="2026-09-21", end_date="2026-09-21")


def test_maternity_days_follow_the_circumstance(site: Site):
    def ask(end: str, **extra: str):
        body = {
            "leave_type": "maternity",
            "start_date": "2026-06-01",
            "end_date": end,
            "reason": "生育",
            **extra,
        }
        return site("chener").post("/api/v1/leave/requests", body)

    # 98 calendar days from 1 June end on 6 September; one more needs a reason in law
    too_long = ask("2026-09-07")
    assert too_long.status_code == 400 and "最多 98 天" in too_long.json()["error"]["fields"]["end_date"]
    early = ask("2026-06-16", circumstance="miscarriage_early")
    assert early.status_code == 400 and "最多 15 天" in early.json()["error"]["fields"]["end_date"]
    bad = ask("2026-06-10", circumstance="miscarriage_late", extra_babies="1")
    assert bad.status_code == 400 and "extra_babies" in bad.json()["error"]["fields"]
    # a difficult birth of twins: 98 + 15 + 15 = 128 days, to 6 October
    assert (
        count(
            site,
            "chener",
            leave_type="maternity",
            start_date="2026-06-01",
            end_date="2026-10-06",
            circumstance="difficult",
            extra_babies="1",
        )["allowed"]
        == 128
    )
    twins = ask("2026-10-06", circumstance="difficult", extra_babies="1")
    assert twins.status_code == 201, twins.text
    assert twins.json()["days"] == 128 and twins.json()["circumstance"] == "难产；多胞胎（多1个婴儿）"
    assert "难产；多胞胎（多1个婴儿）" in site("chener").page(f"/leave/{twins.json()['id']}").text


def test_marriage_leave_with_travel_days(site: Site):
    def ask(end: str, **extra: str):
        body = {
            "leave_type": "marriage",
            "start_date": "2026-05-11",
            "end_date": end,
            "reason": "结婚",
            **extra,
        }
        return site("zhengshi").post("/api/v1/leave/requests", body)

    five = ask("2026-05-15")  # Monday to Friday: 5 working days
    assert five.status_code == 400 and "最多 3 天" in five.json()["error"]["fields"]["end_date"]
    assert ask("2026-05-15", travel_days="11").json()["error"]["fields"]["travel_days"]
    assert (
        count(
            site,
            "zhengshi",
            leave_type="marriage",
            start_date="2026-05-11",
            end_date="2026-05-15",
            travel_days="2",
        )["allowed"]
        == 5
    )
    ok = ask("2026-05-15", travel_days="2")
    assert ok.status_code == 201, ok.text
    assert ok.json()["circumstance"] == "含路程假 2 天"
    note = site("zhengshi").get("/api/v1/leave/types").json()["items"]
    assert "请假时填写" in next(t["note"] for t in note if t["code"] == "marriage")


def test_people_are_reminded_once_to_register_their_return(site: Site):
    from officium.core.jobs import run_job

    leave = site.file("zhaoliu", leave_type="personal", start_date="2026-03-03", end_date="2026-03-04")
    site.approve_all(leave["id"])
    job = site.app.registry.jobs["leave.remind_return"]
    reminders = Notification.select().where(
        (Notification.user == site("zhaoliu").user) & (Notification.kind == "leave.return_due")
    )
    assert run_job(site.app, job, force=True).ok and reminders.count() == 0  # not over yet
    site.clock.now = datetime(2026, 3, 5, 9, 0)
    outcome = run_job(site.app, job, force=True)
    assert outcome.ok and reminders.count() == 1 and reminders.get().url == f"/leave/{leave['id']}"
    run_job(site.app, job, force=True)
    assert reminders.count() == 1
