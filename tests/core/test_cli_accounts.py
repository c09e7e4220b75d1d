"""``officium user|unit|audit``: accounts, units and the audit log from the command line, each change audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from click.testing import CliRunner, Result
from peewee import PostgresqlDatabase

from officium.cli import main
from officium.core import audit
from officium.core.audit import AuditEntry
from officium.core.db import database, write_transaction
from officium.core.identity.models import RoleGrant, Session, Unit, User
from officium.testing import add_unit, add_user, app_client, csrf_from, login
from tests.core.plugin_dists import close_apps, track_apps

from .admin_helpers import last_audit


class Site:
    """A test site and a runner for ``officium --site SITE …``."""

    def __init__(self, app, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = app
        self.apps = track_apps(monkeypatch)
        self.runner = CliRunner()

    def __call__(self, *args: object) -> Result:
        result = self.runner.invoke(main, ["--site", str(self.app.config.site_dir), *[str(a) for a in args]])
        # The command built its own app, which re-pointed the models; point them back at the test's app, so
        # that a request through the test's client and the models share one connection.
        database.initialize(self.app.db)
        return result


@pytest.fixture
def site(app, monkeypatch) -> Iterator[Site]:
    bureau = add_unit(app, "JYJ", "江南局", kind="bureau")
    add_unit(app, "BGS", "办公室", parent=bureau)
    runner = Site(app, monkeypatch)
    yield runner
    close_apps(runner.apps)


def printed_password(output: str) -> str:
    found = re.findall(r"一次性密码（只显示这一次）：(\S+)", output)
    assert len(found) == 1
    return found[0]


def cli_entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


# --------------------------------------------------------------------------------------------- users


def test_user_add_prints_the_one_time_password_once(site):
    result = site("user", "add", "zhoujing", "--name", "周静", "--unit", "BGS", "--position", "综合人员")
    assert result.exit_code == 0, result.output
    password = printed_password(result.output)
    user = User.get(User.username == "zhoujing")
    assert (user.name, user.unit.code, user.position, user.must_change_password) == (
        "周静",
        "BGS",
        "综合人员",
        True,
    )
    [entry] = cli_entries("core.user.create")
    assert entry.actor is None
    assert entry.summary == "命令行：新建账号 周静（zhoujing），已生成一次性密码"
    assert password not in entry.summary + entry.detail
    with app_client(site.app) as client:
        token = csrf_from(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"username": "zhoujing", "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/password"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["zhoujing", "--name", "周静", "--unit", "NOPE"], "单位代码 NOPE 不存在。"),
        (["Bad Name", "--name", "某人"], "用户名为 2–64 位小写字母"),
        (["newone", "--name", ""], "请填写姓名。"),
    ],
)
def test_user_add_refuses_bad_input(site, args, message):
    result = site("user", "add", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "一次性密码" not in result.output
    assert User.select().count() == 0
    assert AuditEntry.select().count() == 0


def test_user_add_refuses_a_taken_username(site):
    add_user(site.app, "zhoujing")
    result = site("user", "add", "ZHOUJING", "--name", "周静")
    assert result.exit_code == 1
    assert "用户名 zhoujing 已被使用。" in result.output
    assert User.select().count() == 1


def test_user_list_with_filters(site):
    office = Unit.get(Unit.code == "BGS")
    add_user(site.app, "zhoujing", name="周静", unit=office, roles=["clerk"])
    add_user(site.app, "hujing", name="胡晶")
    site("user", "disable", "hujing")
    everyone = site("user", "list")
    assert everyone.exit_code == 0
    assert "共 2 个账号。" in everyone.output
    assert re.search(r"^zhoujing\s+周静\s+BGS\s+在岗\s+clerk@BGS$", everyone.output, re.M)
    only_office = site("user", "list", "--unit", "BGS")
    assert "zhoujing" in only_office.output and "hujing" not in only_office.output
    disabled = site("user", "list", "--status", "disabled")
    assert "hujing" in disabled.output and "zhoujing" not in disabled.output
    assert site("user", "list", "--status", "gone").exit_code == 2
    assert site("user", "list", "--unit", "NOPE").exit_code == 1


def test_disable_and_enable_end_sessions_and_are_audited(site):
    add_user(site.app, "hujing", name="胡晶")
    with app_client(site.app) as client:
        login(client, "hujing")
        result = site("user", "disable", "hujing")
        assert result.exit_code == 0, result.output
        assert "已停用账号 hujing（胡晶）。" in result.output
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert User.get(User.username == "hujing").status == "disabled"
    again = site("user", "disable", "hujing")
    assert again.exit_code == 1 and "已是“停用”状态" in again.output
    assert site("user", "enable", "hujing").exit_code == 0
    assert User.get(User.username == "hujing").status == "active"
    summaries = [e.summary for e in cli_entries("core.user.status")]
    assert summaries == ["命令行：停用账号 胡晶（hujing）", "命令行：启用账号 胡晶（hujing）"]
    assert site("user", "disable", "nobody").output.strip().endswith("用户 nobody 不存在。")


def test_reset_password(site):
    add_user(site.app, "hujing", name="胡晶")
    with app_client(site.app) as client:
        login(client, "hujing")
    assert Session.select().count() == 1
    result = site("user", "reset-password", "hujing")
    assert result.exit_code == 0, result.output
    password = printed_password(result.output)
    assert Session.select().count() == 0
    assert User.get(User.username == "hujing").must_change_password
    assert last_audit().summary == "命令行：重置账号 胡晶（hujing） 的密码，已生成一次性密码"
    with app_client(site.app) as client:
        login(client, "hujing", password)
        assert client.get("/", follow_redirects=False).headers["location"] == "/password"


def test_grant_and_revoke(site):
    user = add_user(site.app, "zhoujing", name="周静")
    granted = site("user", "grant", "zhoujing", "clerk", "--unit", "BGS")
    assert granted.exit_code == 0, granted.output
    assert "已授予 zhoujing 角色 clerk@BGS。" in granted.output
    office = Unit.get(Unit.code == "BGS")
    assert [(g.role, g.unit_id) for g in RoleGrant.select().where(RoleGrant.user == user)] == [
        ("clerk", office.id)
    ]
    refused = site("user", "grant", "zhoujing", "auditor")
    assert refused.exit_code == 1
    assert "zhoujing 持有业务角色，不能再担任安全审计员。" in refused.output
    missing = site("user", "revoke", "zhoujing", "clerk")  # the grant is in BGS, not site-wide
    assert missing.exit_code == 1 and "没有角色 clerk（全局）" in missing.output
    revoked = site("user", "revoke", "zhoujing", "clerk", "--unit", "BGS")
    assert revoked.exit_code == 0
    assert not RoleGrant.select().where(RoleGrant.user == user).exists()
    assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] == [
        "core.role.grant",
        "core.role.revoke",
    ]
    assert all(e.summary.startswith("命令行：") for e in AuditEntry.select())


# --------------------------------------------------------------------------------------------- units


def test_unit_add_and_list(site):
    added = site(
        "unit", "add", "BGS-WS", "--name", "文书科", "--kind", "section", "--parent", "BGS", "--order", "2"
    )
    assert added.exit_code == 0, added.output
    assert "已创建单位 BGS-WS（文书科）。" in added.output
    assert (
        site("unit", "add", "RSC", "--name", "人事处", "--kind", "department", "--parent", "JYJ").exit_code
        == 0
    )
    assert Unit.get(Unit.code == "BGS-WS").parent.code == "BGS"
    listing = site("unit", "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[:4] == [
        "JYJ  江南局  局  0",
        "  BGS  办公室  处室  0",
        "    BGS-WS  文书科  科  2",
        "  RSC  人事处  处室  0",
    ]
    assert lines[-1] == "共 4 个单位。"
    assert last_audit().summary == "命令行：新建单位 人事处（RSC）"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["BGS", "--name", "重复", "--kind", "department"], 1, "单位代码 BGS 已被其他单位使用。"),
        (["X1", "--name", "某处", "--kind", "department", "--parent", "NOPE"], 1, "单位代码 NOPE 不存在。"),
        (["X1", "--name", "某处", "--kind", "ministry"], 2, "ministry"),
        (["X1", "--name", "某处", "--kind", "department", "--order", "99999"], 1, "排序应为"),
    ],
)
def test_unit_add_refuses_bad_input(site, args, code, message):
    result = site("unit", "add", *args)
    assert result.exit_code == code
    assert message in result.output
    assert Unit.select().count() == 2


# --------------------------------------------------------------------------------------------- audit


def test_audit_verify_detects_tampering(site):
    site("user", "add", "a1", "--name", "甲")
    site("user", "add", "a2", "--name", "乙")
    ok = site("audit", "verify")
    assert ok.exit_code == 0
    assert ok.output.strip() == "审计日志完整：共 2 条记录，哈希链校验通过。"
    pg = isinstance(site.app.db, PostgresqlDatabase)
    with write_transaction(site.app.db):
        site.app.db.execute_sql("DROP TRIGGER core_audit_no_delete" + (" ON core_audit" if pg else ""))
        site.app.db.execute_sql("DELETE FROM core_audit WHERE id = 1")
    broken = site("audit", "verify")
    assert broken.exit_code == 1
    assert broken.output.strip() == "第 2 条记录之前的记录被删除或篡改。"


def test_audit_export_by_dates(site, tmp_path):
    app = site.app
    for day in (1, 5, 9):
        app.clock.now = datetime(2026, 3, day, 10)
        with write_transaction(app.db):
            audit.record(app, "core.test", summary=f"=3月{day}日")
    out = tmp_path / "audit.csv"
    result = site("audit", "export", "--since", "2026-03-02", "--until", "2026-03-09", "-o", out)
    assert result.exit_code == 0, result.output
    assert f"已导出 2 条记录到 {out}。" in result.output
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")[1:], newline="")))
    assert rows[0][0] == "编号"
    assert [r[10] for r in rows[1:]] == ["'=3月9日", "'=3月5日"]
    assert last_audit().action == "core.audit.export"
    assert last_audit().summary.startswith("命令行：导出 2 条审计记录")
    bad = site("audit", "export", "--since", "03/02/2026", "-o", out)
    assert bad.exit_code == 2
