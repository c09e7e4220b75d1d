"""``officium plugins new``: the checks, the files written, and the generated package installed and run
the way a plugin author would (pip install, officium init/db/plugins, its own tests)."""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from peewee import ForeignKeyField, SqliteDatabase

import officium
from officium.cli import main
from officium.core.loader import RESERVED_NAMES
from officium.core.scaffold import FILES, TEMPLATE_DIR, ScaffoldError, create_plugin

NAME = "meeting_room"
TITLE = "会议室预约"
DIST = "officium-meeting-room"
PACKAGE = "officium_meeting_room"

#: Every file of a new project, relative to its folder.
LAYOUT = {
    "pyproject.toml",
    "README.md",
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/hooks.py",
    f"{PACKAGE}/models.py",
    f"{PACKAGE}/routes.py",
    f"{PACKAGE}/migrations/0001_initial.py",
    f"{PACKAGE}/templates/{NAME}/index.html",
    f"{PACKAGE}/static/{NAME}.css",
    f"tests/test_{NAME}.py",
}

REPO = Path(officium.__file__).resolve().parent.parent


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# ------------------------------------------------------------------------------------------ checks


@pytest.mark.parametrize("name", ["MeetingRoom", "1room", "meeting-room", "_room", "", "会议室", "room.x"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ScaffoldError, match=r"^插件名 .* 不合法：只能用小写字母、数字和下划线，并以字母开头"):
        create_plugin(name, tmp_path, title=TITLE, area="政务管理")
    assert list(tmp_path.iterdir()) == []


def test_trailing_underscore_is_refused(tmp_path):
    # A valid plugin name, but "officium-room-" is not a valid distribution name.
    with pytest.raises(
        ScaffoldError, match=r"^插件名 room_ 不能以下划线结尾：.*officium-room- 不是合法的包名"
    ):
        create_plugin("room_", tmp_path, title=TITLE, area="政务管理")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_reserved_names_are_refused(tmp_path, name):
    with pytest.raises(ScaffoldError, match=rf"^插件名 {name} 是系统保留名"):
        create_plugin(name, tmp_path, title=TITLE, area="政务管理")
    assert list(tmp_path.iterdir()) == []


def test_unknown_area_is_refused(tmp_path):
    with pytest.raises(ScaffoldError, match=r"^功能区 '办公' 不合法，应为 公文处理、政务管理、.* 之一"):
        create_plugin(NAME, tmp_path, title=TITLE, area="办公")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("title", ["", "   ", "会议\n室", "长" * 51])
def test_bad_titles_are_refused(tmp_path, title):
    with pytest.raises(ScaffoldError, match=r"^插件的中文名称 .* 不合法"):
        create_plugin(NAME, tmp_path, title=title, area="政务管理")
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_left_alone(tmp_path):
    existing = tmp_path / DIST
    existing.mkdir()
    (existing / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=rf"^目录 .*{DIST} 已存在"):
        create_plugin(NAME, tmp_path, title=TITLE, area="政务管理")
    assert tree(existing) == {"mine.txt"}
    assert [p.name for p in tmp_path.iterdir()] == [DIST]


def test_unwritable_parent_is_a_scaffold_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=r"^无法在 .*not-a-folder 中创建插件"):
        create_plugin(NAME, blocker, title=TITLE, area="政务管理")
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]


def test_every_template_file_is_written():
    on_disk = tree(TEMPLATE_DIR)
    assert on_disk == {source for source, _ in FILES}
    assert len(on_disk) == len(LAYOUT)


def test_creates_the_layout_and_nothing_else(tmp_path):
    created = create_plugin(NAME, tmp_path / "new" / "parent", title=TITLE, area="个人事务")
    assert created == tmp_path / "new" / "parent" / DIST
    assert tree(created) == LAYOUT
    assert [p.name for p in created.parent.iterdir()] == [DIST]  # no staging folder left behind
    project = tomllib.loads((created / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DIST
    assert project["dependencies"] == ["officium"]
    assert project["entry-points"]["officium.plugins"] == {NAME: PACKAGE}
    assert project["optional-dependencies"]["test"] == ["pytest", "httpx2"]
    plugin = runpy.run_path(str(created / PACKAGE / "__init__.py"))["PLUGIN"]
    assert (plugin.name, plugin.title, plugin.area, plugin.version) == (NAME, TITLE, "个人事务", "0.1.0")
    page = (created / PACKAGE / "templates" / NAME / "index.html").read_text(encoding="utf-8")
    assert '{% extends "core/base.html" %}' in page
    assert f'{{{{ static("{NAME}", "{NAME}.css") }}}}' in page
    assert "{{ csrf_field }}" in page
    for text in (p.read_text(encoding="utf-8") for p in created.rglob("*") if p.is_file()):
        assert "${" not in text and "$name" not in text


def test_title_is_quoted_safely(tmp_path):
    title = '会议"室\\{{ x }}$name'
    created = create_plugin(NAME, tmp_path, title=f"  {title} ", area="政务管理")
    assert runpy.run_path(str(created / PACKAGE / "__init__.py"))["PLUGIN"].title == title
    project = tomllib.loads((created / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"] == f"Officium 插件：{title}"
    assert f"# {title}（{DIST}）" in (created / "README.md").read_text(encoding="utf-8")
    page = (created / PACKAGE / "templates" / NAME / "index.html").read_text(encoding="utf-8")
    assert title not in page  # the page shows PLUGIN.title at run time, never pasted into Jinja source


class CapturingDatabase(SqliteDatabase):
    """Records the models a migration's ``up`` creates instead of creating them."""

    def create_tables(self, models, **options):
        self.created = list(models)


def field_specs(model: type) -> list[tuple]:
    return [
        (
            f.name,
            type(f).__name__,
            f.column_name,
            f.null,
            f.unique,
            f.index,
            getattr(f, "max_length", None),
            f.default,
            getattr(f, "on_delete", None),
            f.rel_model._meta.table_name if isinstance(f, ForeignKeyField) else None,
        )
        for f in model._meta.sorted_fields
    ]


def test_initial_migration_is_a_frozen_copy_of_the_model(tmp_path):
    created = create_plugin(NAME, tmp_path, title=TITLE, area="政务管理")
    model = runpy.run_path(str(created / PACKAGE / "models.py"))["Item"]
    migration = runpy.run_path(str(created / PACKAGE / "migrations" / "0001_initial.py"))
    db = CapturingDatabase(":memory:")
    migration["up"](None, db)
    [frozen] = db.created
    assert frozen._meta.table_name == model._meta.table_name == f"{NAME}_item"
    assert field_specs(frozen) == field_specs(model)
    assert [f.name for f in model._meta.sorted_fields] == ["id", "title", "note", "created_by", "created_at"]


def test_generated_code_passes_ruff(tmp_path):
    created = create_plugin(NAME, tmp_path, title=TITLE, area="政务管理")
    for args in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=created, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_cli_creates_the_package(tmp_path):
    result = CliRunner().invoke(
        main, ["plugins", "new", NAME, "--title", TITLE, "--area", "政务管理", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"已创建 {tmp_path / DIST}" in result.output
    assert f'"{NAME}"' in result.output
    assert tree(tmp_path / DIST) == LAYOUT


def test_cli_reports_a_refusal(tmp_path):
    result = CliRunner().invoke(main, ["plugins", "new", "core", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "插件名 core 是系统保留名" in result.output
    again = CliRunner().invoke(main, ["plugins", "new", NAME, "--area", "杂项", "--dir", str(tmp_path)])
    assert again.exit_code == 1
    assert "功能区 '杂项' 不合法" in again.output
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------------------------- packaging


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def officium_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from officium.cli import main; main(prog_name='officium')", *args]


def env_with(target: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OFFICIUM_SITE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"
    env["XDG_CACHE_HOME"] = str(target.parent / "cache")  # stevedore's entry-point cache, not in $HOME
    return env


def pip_install(source: Path, target: Path, env: dict[str, str], cwd: Path) -> None:
    """A non-editable, offline install into ``target``, so the test venv is never modified."""
    result = run(
        [
            sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
            "--target", str(target), str(source),
        ],
        env,
        cwd,
    )  # fmt: skip
    output = result.stdout + result.stderr
    hint = (
        "\n(setuptools < 70.1 needs the `wheel` package to build; install the test extras)"
        if "bdist_wheel" in output
        else ""
    )
    assert result.returncode == 0, output + hint


def test_officium_wheel_ships_the_templates(tmp_path):
    """pyproject's ``scaffold/**/*`` package-data really ships the templates: scaffold from a built copy."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "officium", source / "officium", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site-packages"
    env = env_with(target)
    pip_install(source, target, env, tmp_path)
    script = (
        "import json, sys; from pathlib import Path; import officium.core.scaffold as s;"
        "p = s.create_plugin(sys.argv[1], Path(sys.argv[2]), title='x', area='政务管理');"
        "print(json.dumps([s.__file__, str(p)]))"
    )
    result = run([sys.executable, "-c", script, NAME, str(tmp_path / "out")], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    module, created = json.loads(result.stdout)
    assert Path(module) == target / "officium" / "core" / "scaffold.py"
    assert tree(Path(created)) == LAYOUT


@dataclass
class Author:
    """A plugin author's machine: the scaffolded project, installed into ``target``."""

    root: Path
    project: Path
    target: Path
    env: dict[str, str]
    work: Path

    def officium(self, *args: str) -> subprocess.CompletedProcess:
        return run(officium_cmd(*args), self.env, self.work)


@pytest.fixture(scope="module")
def author(tmp_path_factory) -> Author:
    root = tmp_path_factory.mktemp("author")
    target = root / "site-packages"
    work = root / "work"
    work.mkdir()
    env = env_with(target)
    new = run(officium_cmd("plugins", "new", NAME, "--title", TITLE, "--dir", str(root)), env, work)
    assert new.returncode == 0, new.stdout + new.stderr
    project = root / DIST
    assert f"已创建 {project}" in new.stdout
    pip_install(project, target, env, work)
    return Author(root, project, target, env, work)


def test_installed_package_ships_templates_static_and_migrations(author):
    package = author.target / PACKAGE
    for path in (f"templates/{NAME}/index.html", f"static/{NAME}.css", "migrations/0001_initial.py"):
        assert (package / path).is_file(), path
    entry_points = (author.target / f"{PACKAGE}-0.1.0.dist-info" / "entry_points.txt").read_text()
    assert f"[officium.plugins]\n{NAME} = {PACKAGE}" in entry_points


def item_table(site: Path) -> list[str]:
    with sqlite3.connect(site / "data" / "officium.db") as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({NAME}_item)")]


def test_init_with_the_plugin_applies_its_migration(author):
    site = author.root / "site-init"
    init = author.officium("init", str(site), "--plugin", NAME)
    assert init.returncode == 0, init.stdout + init.stderr
    assert f"已执行迁移 {NAME}/0001_initial" in init.stdout
    status = author.officium("-s", str(site), "db", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"{NAME}: 已执行 1 个，待执行 0 个" in status.stdout
    assert "待执行 0001_initial" not in status.stdout
    listed = author.officium("-s", str(site), "plugins", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert re.search(rf"^\[启用\] {NAME} +{PACKAGE}（{DIST} 0\.1\.0）$", listed.stdout, re.M), listed.stdout
    doctor = author.officium("-s", str(site), "plugins", "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    # The frozen migration matches the model exactly: there is nothing left to generate.
    generate = author.officium("-s", str(site), "db", "generate", "--plugin", NAME, "check")
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert "模型与数据库一致，无需迁移。" in generate.stdout
    assert item_table(site) == ["id", "title", "note", "created_by_id", "created_at"]


def test_enabling_later_then_db_upgrade_creates_the_table(author):
    site = author.root / "site-later"
    init = author.officium("init", str(site))
    assert init.returncode == 0, init.stdout + init.stderr
    assert item_table(site) == []
    config = site / "officium.toml"
    text = config.read_text(encoding="utf-8")
    assert "enabled_plugins = []" in text
    config.write_text(text.replace("enabled_plugins = []", f'enabled_plugins = ["{NAME}"]'), encoding="utf-8")
    pending = author.officium("-s", str(site), "db", "status")
    assert pending.returncode == 1
    assert f"{NAME}: 已执行 0 个，待执行 1 个\n  待执行 0001_initial" in pending.stdout
    upgrade = author.officium("-s", str(site), "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert f"已执行 {NAME}/0001_initial" in upgrade.stdout
    assert item_table(site) == ["id", "title", "note", "created_by_id", "created_at"]
    status = author.officium("-s", str(site), "db", "status")
    assert status.returncode == 0, status.stdout + status.stderr


WEB_SCRIPT = """
import json, sys
from pathlib import Path
from officium.core.app import create_app
from officium.core.config import SiteConfig
from officium.testing import add_user, app_client, login

name = sys.argv[2]
app = create_app(SiteConfig.load(Path(sys.argv[1])))
add_user(app, "wang", name="王五", roles=["clerk"])
out = {"directory": str(app.plugin(name).directory)}
with app_client(app) as client:
    token = login(client, "wang")
    page = client.get(f"/{name}/")
    out["page"] = [page.status_code, page.text]
    css = client.get(f"/static/{name}/{name}.css")
    out["css"] = [css.status_code, css.text]
    added = client.post(f"/{name}/", data={"title": "周一例会", "csrf_token": token})
    out["added"] = [added.status_code, added.text]
    out["api"] = client.get(f"/api/v1/{name}/items").json()
    out["dashboard"] = client.get("/").text
print(json.dumps(out))
"""


def test_a_clerk_uses_the_page_of_the_installed_plugin(author):
    site = author.root / "site-web"
    init = author.officium("init", str(site), "--plugin", NAME)
    assert init.returncode == 0, init.stdout + init.stderr
    result = run([sys.executable, "-c", WEB_SCRIPT, str(site), NAME], author.env, author.work)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(out["directory"]) == author.target / PACKAGE  # the installed copy, not the source tree
    status, html = out["page"]
    assert status == 200
    assert f"<h1>{TITLE}</h1>" in html
    assert "暂无记录" in html
    assert f'href="/static/{NAME}/{NAME}.css?v=' in html
    assert out["css"][0] == 200
    assert f".{NAME}-form" in out["css"][1]
    assert out["added"][0] == 200
    assert "周一例会" in out["added"][1]
    assert out["api"]["total"] == 1
    assert out["api"]["items"][0]["created_by"] == {"username": "wang", "name": "王五"}
    assert f'<a href="/{NAME}/">{TITLE}</a>' in out["dashboard"]  # the menu item
    assert f'data-widget="{NAME}_count"' in out["dashboard"]


def test_the_generated_tests_pass_against_the_installed_package(author):
    tests = author.project / "tests"
    count = len(re.findall(r"^def test_", (tests / f"test_{NAME}.py").read_text(encoding="utf-8"), re.M))
    assert count >= 6
    result = run(
        [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider"], author.env, author.work
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"^{count} passed in ", result.stdout, re.M), result.stdout
