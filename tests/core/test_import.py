"""``officium import units|users FILE``: CSV and XLSX, a dry run listing every error by row, all or nothing."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from officium.cli import main
from officium.core.admin import importer
from officium.core.audit import AuditEntry
from officium.core.db import database
from officium.core.identity.models import RoleGrant, Unit, User
from officium.testing import add_unit, add_user, app_client, login
from tests.core.plugin_dists import close_apps, track_apps

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


class Site:
    def __init__(self, app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.app = app
        self.apps = track_apps(monkeypatch)
        self.tmp = tmp_path
        self.runner = CliRunner()

    def __call__(self, *args: object) -> Result:
        result = self.runner.invoke(main, ["--site", str(self.app.config.site_dir), *[str(a) for a in args]])
        database.initialize(self.app.db)
        return result

    def csv(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.tmp / name
        path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
        return path

    def xlsx(self, name: str, rows: list[list[object]]) -> Path:
        book = Workbook()
        for row in rows:
            book.active.append(row)
        path = self.tmp / name
        book.save(path)
        return path


@pytest.fixture
def site(app, monkeypatch, tmp_path) -> Iterator[Site]:
    runner = Site(app, monkeypatch, tmp_path)
    yield runner
    close_apps(runner.apps)


def error_lines(result: Result) -> list[str]:
    return [line.strip() for line in result.output.splitlines() if line.strip().startswith("第 ")]


def state() -> tuple[int, int, int, int]:
    return (
        Unit.select().count(),
        User.select().count(),
        RoleGrant.select().count(),
        AuditEntry.select().count(),
    )


# --------------------------------------------------------------------------------------------- units


def test_the_documented_samples_import(site, tmp_path):
    dry = site("import", "units", SAMPLES / "units.csv", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "检查通过：6 个单位可以导入（--dry-run，未导入）。" in dry.output
    assert state() == (0, 0, 0, 0)
    units = site("import", "units", SAMPLES / "units.csv")
    assert units.exit_code == 0, units.output
    assert "已导入 6 个单位。" in units.output
    users = site("import", "users", SAMPLES / "users.csv", "--passwords-out", tmp_path / "pw.csv")
    assert users.exit_code == 0, users.output
    assert User.select().count() == 5
    grants = sorted(
        (g.user.username, g.role, g.unit.code)
        for g in RoleGrant.select(RoleGrant, User, Unit).join(User).switch(RoleGrant).join(Unit)
    )
    assert grants == [
        ("wangjianguo", "leader", "BGS"),
        ("wangjianguo", "supervising_leader", "RSC"),
        ("zhangwei", "clerk", "GQ-ZH"),
        ("zhangwei", "leader", "GQ"),
        ("zhoujing", "clerk", "BGS"),
    ]


def test_units_import_everything_in_order_and_audit_each(site):
    path = site.csv(
        "units.csv",
        "单位代码,单位名称,单位类型,上级单位代码,排序\n"
        "JYJ,江南局,局,,1\n"
        "BGS,办公室,department,JYJ,2\n"
        "\n"
        "BGS-WS,文书科,科,BGS,\n",
    )
    result = site("import", "units", path)
    assert result.exit_code == 0, result.output
    assert "导入单位" in result.output  # the progress bar's label
    office = Unit.get(Unit.code == "BGS")
    section = Unit.get(Unit.code == "BGS-WS")
    assert (office.parent.code, office.order, section.parent_id, section.kind, section.order) == (
        "JYJ",
        2,
        office.id,
        "section",
        0,
    )
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == ["core.unit.create"] * 3 + ["core.import.units"]
    assert (
        AuditEntry.select().order_by(AuditEntry.id.desc()).get().summary
        == "命令行：从 units.csv 批量导入 3 个单位"
    )


def test_units_dry_run_lists_every_error_by_row_and_imports_nothing(site):
    add_unit(site.app, "JYJ", "江南局", kind="bureau")
    retired = add_unit(site.app, "OLD", "旧处室")
    Unit.update(active=False).where(Unit.id == retired.id).execute()
    before = state()
    path = site.csv(
        "units.csv",
        "code,name,kind,parent,order\n"
        "BGS,办公室,department,JYJ,1\n"  # 2: fine
        "BGS,办公室二,department,JYJ,2\n"  # 3: duplicate in the file
        "JYJ,又一个局,bureau,,\n"  # 4: exists
        "RSC,,ministry,JYJ,x\n"  # 5: no name, bad kind, bad order
        "SEC1,一科,section,LATER,1\n"  # 6: parent comes later
        "LATER,后来的处,department,JYJ,1\n"  # 7: fine
        "SEC2,二科,section,NOWHERE,1\n"  # 8: parent nowhere
        "SEC3,三科,section,OLD,1\n"  # 9: parent inactive
        "坏 代码,名称,section,JYJ,1\n",  # 10: bad code
    )
    for extra in ([], ["--dry-run"]):
        result = site("import", "units", path, *extra)
        assert result.exit_code == 1
        assert "发现 9 处错误，未导入任何数据：" in result.output
        assert error_lines(result) == [
            "第 3 行：单位代码 BGS 与第 2 行重复。",
            "第 4 行：单位代码 JYJ 在系统中已存在。",
            "第 5 行：缺少单位名称。",
            "第 5 行：单位类型“ministry”不合法，应为 bureau（局）、department（处室）、branch（分支局）、section（科） 之一。",
            "第 5 行：排序“x”应为 -9999–9999 之间的整数。",
            "第 6 行：上级单位代码 LATER 不存在，它在第 7 行，上级单位须写在下级单位之前。",
            "第 8 行：上级单位代码 NOWHERE 不存在。",
            "第 9 行：上级单位 OLD 已撤销。",
            "第 10 行：单位代码“坏 代码”不合法：应为 1–32 位字母、数字、点、下划线或连字符。",
        ]
        assert state() == before


def test_header_problems_are_reported_on_row_1(site):
    path = site.csv("units.csv", "code,nmae,kind,kind\nBGS,办公室,department,x\n")
    result = site("import", "units", path, "--dry-run")
    assert result.exit_code == 1
    assert error_lines(result) == [
        "第 1 行：不认识的列“nmae”，可用的列：code、name、kind、parent、order。",
        "第 1 行：列“kind”重复。",
        "第 1 行：缺少必需的列：name。",
        "第 2 行：缺少单位名称。",
        "第 2 行：单位类型“x”不合法，应为 bureau（局）、department（处室）、branch（分支局）、section（科） 之一。",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("units.txt", b"code\n", "只支持 .csv 和 .xlsx 文件。"),
        ("units.csv", b"", "文件是空的，或第 1 行不是表头。"),
        ("units.xlsx", b"not a zip", "无法读取 Excel 文件"),
    ],
)
def test_unreadable_files(site, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = site("import", "units", path)
    assert result.exit_code == 1
    assert message in result.output
    missing = site("import", "units", tmp_path / "missing.csv")
    assert "找不到文件" in missing.output


def test_units_from_xlsx(site):
    path = site.xlsx(
        "units.xlsx",
        [
            ["code", "name", "kind", "parent", "order"],
            ["JYJ", "江南局", "bureau", None, 1],
            ["BGS", "办公室", "处室", "JYJ", 2.0],
        ],
    )
    result = site("import", "units", path)
    assert result.exit_code == 0, result.output
    assert [(u.code, u.order) for u in Unit.select().order_by(Unit.id)] == [("JYJ", 1), ("BGS", 2)]


def test_gbk_csv_from_excel_is_read(site):
    path = site.csv("units.csv", "单位代码,单位名称,单位类型\nJYJ,江南局,局\n", encoding="gb18030")
    result = site("import", "units", path)
    assert result.exit_code == 0, result.output
    assert Unit.get(Unit.code == "JYJ").name == "江南局"


# --------------------------------------------------------------------------------------------- users


@pytest.fixture
def units(site):
    bureau = add_unit(site.app, "JYJ", "江南局", kind="bureau")
    office = add_unit(site.app, "BGS", "办公室", parent=bureau)
    add_unit(site.app, "RSC", "人事处", parent=bureau)
    return office


def test_users_import_writes_passwords_to_a_private_file(site, units, tmp_path):
    path = site.csv(
        "users.csv",
        "用户名,姓名,单位代码,职务,角色\n"
        "zhoujing,周静,BGS,综合人员,综合人员\n"
        "WangJianGuo,王建国,BGS,主任,leader；supervising_leader@RSC\n"
        "lihua,李华,,,staff\n",
    )
    out = tmp_path / "passwords.csv"
    result = site("import", "users", path, "--passwords-out", out)
    assert result.exit_code == 0, result.output
    assert "已导入 3 个账号；一次性密码已写入" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = [line.split(",") for line in out.read_text(encoding="utf-8-sig").splitlines()]
    assert rows[0] == ["用户名", "姓名", "一次性密码"]
    passwords = {r[0]: r[2] for r in rows[1:]}
    assert set(passwords) == {"zhoujing", "wangjianguo", "lihua"}
    for password in passwords.values():
        assert password not in result.output
        for entry in AuditEntry.select():
            assert password not in entry.summary + entry.detail
    wang = User.get(User.username == "wangjianguo")
    assert sorted((g.role, g.unit.code) for g in RoleGrant.select().where(RoleGrant.user == wang)) == [
        ("leader", "BGS"),
        ("supervising_leader", "RSC"),
    ]
    assert not RoleGrant.select().join(User).where(User.username == "lihua").exists()  # staff is implicit
    assert User.get(User.username == "lihua").unit_id is None
    with app_client(site.app) as client:
        login(client, "zhoujing", passwords["zhoujing"])
        assert client.get("/", follow_redirects=False).headers["location"] == "/password"


def test_users_dry_run_lists_every_error_and_imports_nothing(site, units, tmp_path):
    add_user(site.app, "existing")
    before = state()
    path = site.csv(
        "users.csv",
        "username,name,unit,position,roles\n"
        "zhang,张三,BGS,,clerk@BGS\n"  # 2: fine
        "Zhang,张三二,BGS,,\n"  # 3: duplicate of row 2 (case does not matter)
        "existing,某人,,,\n"  # 4: in the database
        "li,,NOPE,,\n"  # 5: no name, unknown unit
        "wang,王五,BGS,,typist;clerk@NOPE\n"  # 6: unknown role, unknown unit in a role
        "zhao,赵六,,,auditor\n"  # 7: admin roles are not imported
        "9bad,名字,,,\n",  # 8: bad username
    )
    out = tmp_path / "pw.csv"
    for extra in (["--dry-run"], ["--passwords-out", out]):
        result = site("import", "users", path, *extra)
        assert result.exit_code == 1
        assert error_lines(result) == [
            "第 3 行：用户名 zhang 与第 2 行重复。",
            "第 4 行：用户名 existing 在系统中已存在。",
            "第 5 行：缺少姓名。",
            "第 5 行：单位代码 NOPE 不存在。",
            "第 6 行：角色“typist”不存在。",
            "第 6 行：角色“clerk@NOPE”中的单位代码 NOPE 不存在。",
            "第 7 行：三员角色（安全审计员）不能通过批量导入授予，请由安全保密管理员单独授予。",
            "第 8 行：用户名“9bad”不合法：应为 2–64 位小写字母、数字、点、下划线或连字符，以字母开头。",
        ]
        assert state() == before
        assert not out.exists()


def test_users_need_a_new_passwords_file(site, units, tmp_path):
    path = site.csv("users.csv", "username,name\nzhang,张三\n")
    missing = site("import", "users", path)
    assert missing.exit_code == 1
    assert "--passwords-out" in missing.output
    existing = tmp_path / "old.csv"
    existing.write_text("earlier passwords")
    refused = site("import", "users", path, "--passwords-out", existing)
    assert refused.exit_code == 1
    assert "已存在" in refused.output
    assert existing.read_text() == "earlier passwords"
    assert User.select().count() == 0


def test_users_from_xlsx(site, units, tmp_path):
    path = site.xlsx(
        "users.xlsx",
        [
            ["username", "name", "unit", "position", "roles"],
            ["zhang", "张三", "BGS", "科员", "clerk"],
            ["li4", "李四", None, None, None],
        ],
    )
    result = site("import", "users", path, "--passwords-out", tmp_path / "pw.csv")
    assert result.exit_code == 0, result.output
    assert [(u.username, u.unit_id, u.position) for u in User.select().order_by(User.id)] == [
        ("zhang", units.id, "科员"),
        ("li4", None, ""),
    ]


def test_a_failure_while_importing_rolls_everything_back(site, units, tmp_path, monkeypatch):
    def broken(path, accounts):
        raise OSError("disk full")

    monkeypatch.setattr(importer, "write_passwords", broken)
    path = site.csv("users.csv", "username,name,roles\nzhang,张三,clerk@BGS\nli4,李四,\n")
    before = state()
    result = site("import", "users", path, "--passwords-out", tmp_path / "pw.csv")
    assert result.exit_code != 0
    assert state() == before
