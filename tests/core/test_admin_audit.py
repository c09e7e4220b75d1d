"""安全审计员: the audit log and the login records — filters, CSV export, chain verification (pages and API)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from peewee import PostgresqlDatabase

from officium.core import audit
from officium.core.admin.queries import neutralise
from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.identity.models import LoginRecord
from officium.testing import add_user, app_client, csrf_from, login

from .admin_helpers import field_error, last_audit, make_bureau


@pytest.fixture
def org(app):
    return make_bureau(app)


def entry(app, action, *, actor=None, at=None, result="ok", summary=""):
    """Append an audit entry as if ``actor`` did ``action`` (at ``at`` when given)."""
    saved = app.clock
    if at is not None:
        app.clock = lambda: at
    try:
        with write_transaction(app.db):
            return audit.record(app, action, actor=actor, result=result, summary=summary)
    finally:
        app.clock = saved


@pytest.fixture
def history(app, org):
    """A few entries by different people on different days (the auditor's own sign-in comes later)."""
    entry(app, "core.user.create", actor=org.sysadmin, at=datetime(2026, 2, 1, 10), summary="新建账号")
    entry(app, "leave.apply", actor=org.clerk, at=datetime(2026, 2, 10, 9), summary="申请休假")
    entry(
        app, "leave.approve", actor=org.staff, at=datetime(2026, 2, 20, 17), result="refused", summary="审批"
    )
    entry(app, "core.policy.update", actor=org.secadmin, at=datetime(2026, 2, 28, 8), summary="修改安全策略")
    return org


@pytest.fixture
def auditor(app, org):
    with app_client(app) as client:
        login(client, "aud")
        yield client


def actions(page: str) -> list[str]:
    return re.findall(r'<td data-action="([^"]+)">', page)


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text, newline="")))


# ------------------------------------------------------------------------------------------- the log


def test_audit_log_newest_first_with_each_filter(app, history, auditor):
    everything = actions(auditor.get("/admin/audit").text)
    assert everything[-4:] == ["core.policy.update", "leave.approve", "leave.apply", "core.user.create"]
    assert everything[0] == "core.login"  # the auditor's own sign-in, the newest

    def only(**params):
        answer = auditor.get("/admin/audit", params=params)
        assert answer.status_code == 200
        return actions(answer.text)

    assert only(user="周静") == ["leave.apply"]
    assert only(user="hujing") == ["leave.approve"]
    assert only(unit=history.office.id) == ["leave.apply"]  # the clerk's unit
    assert only(unit=history.bureau.id) == ["leave.approve", "leave.apply"]  # units below count too
    assert only(plugin="leave") == ["leave.approve", "leave.apply"]
    assert only(action="core.user") == ["core.user.create"]
    assert only(result="refused") == ["leave.approve"]
    assert only(since="2026-02-10", until="2026-02-20") == ["leave.approve", "leave.apply"]
    assert only(until="2026-02-01") == ["core.user.create"]  # the end date is inclusive
    assert only(user="周静", plugin="core") == []


def test_bad_filters_are_shown_beside_the_fields(app, history, auditor):
    answer = auditor.get(
        "/admin/audit", params={"since": "2026-13-01", "until": "yesterday", "result": "maybe"}
    )
    assert answer.status_code == 400
    assert field_error(answer.text, "since") == "日期格式应为 YYYY-MM-DD，例如 2026-03-01。"
    assert field_error(answer.text, "until") == "日期格式应为 YYYY-MM-DD，例如 2026-03-01。"
    assert field_error(answer.text, "result").startswith("结果应为 ok、refused")
    reversed_range = auditor.get("/admin/audit", params={"since": "2026-03-01", "until": "2026-02-01"})
    assert field_error(reversed_range.text, "until") == "结束日期不能早于开始日期。"
    assert auditor.get("/admin/audit/export", params={"since": "bad"}).status_code == 400


def test_audit_log_paginates(app, org, auditor):
    for i in range(60):
        entry(app, "core.test", summary=f"第 {i} 条")
    first = auditor.get("/admin/audit", params={"action": "core.test"})
    assert len(actions(first.text)) == 50
    assert "第 1 / 2 页，共 60 条" in first.text
    second = auditor.get("/admin/audit", params={"action": "core.test", "page": 2})
    assert len(actions(second.text)) == 10
    assert "第 0 条" in second.text and "第 59 条" not in second.text


# ----------------------------------------------------------------------------------------------- CSV


def test_csv_export_of_the_filtered_rows_is_audited(app, history, auditor):
    answer = auditor.get("/admin/audit/export", params={"plugin": "leave"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="audit-20260302-0900.csv"'
    rows = csv_rows(answer.content)
    assert rows[0][:6] == ["编号", "时间", "操作人", "单位", "模块", "操作"]
    assert [(r[5], r[2], r[3], r[8]) for r in rows[1:]] == [
        ("leave.approve", "胡晶(hujing)", "人事处", "拒绝"),
        ("leave.apply", "周静(zhoujing)", "办公室", "成功"),
    ]
    exported = last_audit()
    assert exported.action == "core.audit.export"
    assert exported.actor == history.auditor.id
    assert exported.summary == "导出 2 条记录（audit）"


def test_csv_neutralises_formulas_and_line_breaks(app, org, auditor):
    evil = add_user(app, "evil", name='=HYPERLINK("http://x","点我")', unit=org.office)
    entry(app, "core.test", actor=evil, summary="+SUM(A1:A9)\r\n伪造的第二行")
    entry(app, "core.test", summary="@cmd|' /C calc'!A0")
    entry(app, "core.test", summary="-2+3")
    entry(app, "core.test", summary="\t=1+1")
    entry(app, "core.test", summary="普通说明")
    body = auditor.get("/admin/audit/export", params={"action": "core.test"}).content
    lines = body.decode("utf-8").split("\r\n")
    assert len([line for line in lines if line]) == 6  # header + 5 records, one line each
    rows = csv_rows(body)
    summaries = [r[10] for r in rows[1:]]
    assert summaries == ["普通说明", "'\t=1+1", "'-2+3", "'@cmd|' /C calc'!A0", "'+SUM(A1:A9)\\n伪造的第二行"]
    assert rows[-1][2] == '\'=HYPERLINK("http://x","点我")(evil)'
    for cell in (c for row in rows[1:] for c in row):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (7, "7"),
    ],
)
def test_neutralise(value, cell):
    assert neutralise(value) == cell


# -------------------------------------------------------------------------------------- verification


def _pg(app):
    return isinstance(app.db, PostgresqlDatabase)


def test_verify_chain_button_shows_the_report(app, history, auditor):
    page = auditor.get("/admin/audit")
    assert 'action="/admin/audit/verify"' in page.text
    good = auditor.get("/admin/audit/verify")
    assert good.status_code == 200
    assert 'data-ok="yes"' in good.text
    assert re.search(r"审计日志完整：共 \d+ 条记录，哈希链校验通过。", good.text)
    with write_transaction(app.db):
        app.db.execute_sql("DROP TRIGGER core_audit_no_update" + (" ON core_audit" if _pg(app) else ""))
        app.db.execute_sql("UPDATE core_audit SET summary = '改过了' WHERE id = 2")
    bad = auditor.get("/admin/audit/verify")
    assert 'data-ok="no"' in bad.text
    assert "第 2 条记录的内容被篡改。" in bad.text
    assert "第一条有问题的记录编号为 2" in bad.text
    assert last_audit().action == "core.audit.verify" and last_audit().result == "error"


# ------------------------------------------------------------------------------------- login records


def attempt(client, username, password):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_records_filters_and_export(app, org, clock, auditor):
    with app_client(app) as other:
        attempt(other, "zhoujing", "wrong")
        attempt(other, "nobody", "wrong")
        login(other, "hujing")
    page = auditor.get("/admin/logins", params={"result": "failure"})
    assert page.status_code == 200
    names = re.findall(r"<td><code>([^<]+)</code></td>", page.text)
    assert names == ["nobody", "zhoujing"]
    assert "密码错误" in page.text and "用户不存在" in page.text
    by_unit = auditor.get("/admin/logins", params={"unit": org.hr.id})
    assert re.findall(r"<td><code>([^<]+)</code></td>", by_unit.text) == ["hujing"]
    by_name = auditor.get("/admin/logins", params={"user": "周静"})
    assert re.findall(r"<td><code>([^<]+)</code></td>", by_name.text) == ["zhoujing"]
    later = auditor.get("/admin/logins", params={"since": "2026-03-03"})
    assert "没有符合条件的登录记录" in later.text
    rows = csv_rows(auditor.get("/admin/logins/export", params={"result": "success"}).content)
    assert rows[0] == ["时间", "登录名", "姓名", "单位", "IP", "结果", "原因"]
    assert [(r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("hujing", "胡晶", "人事处", "成功"),
        ("aud", "安全审计员", "", "成功"),
    ]
    assert last_audit().action == "core.logins.export"


# ----------------------------------------------------------------------------------------------- API


def test_api_audit_and_login_records(app, history, auditor):
    headers = {}
    listing = auditor.get(
        "/api/v1/core/audit", params={"plugin": "leave", "per_page": 1}, headers=headers
    ).json()
    assert listing["total"] == 2
    assert [e["action"] for e in listing["items"]] == ["leave.approve"]
    assert listing["items"][0]["actor"] == "胡晶(hujing)"
    bad = auditor.get("/api/v1/core/audit", params={"since": "x"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"since": "日期格式应为 YYYY-MM-DD，例如 2026-03-01。"}
    logins = auditor.get("/api/v1/core/login-records", params={"user": "aud"}).json()
    assert [r["username"] for r in logins["items"]] == ["aud"]
    assert LoginRecord.select().count() == 1
    before = AuditEntry.select().count()
    verified = auditor.get("/api/v1/core/audit/verify").json()
    assert verified["ok"] is True and verified["checked"] == before
    assert last_audit().action == "core.audit.verify"


def test_a_unit_filter_that_is_not_an_id_is_a_field_error(app, history, auditor):
    answer = auditor.get("/admin/audit", params={"unit": "²"})
    assert answer.status_code == 400
    assert field_error(answer.text, "unit") == "单位不存在。"
    assert (
        auditor.get("/api/v1/core/login-records", params={"unit": "99999999999999999999"}).status_code == 400
    )
