"""The ``officium`` command through click's CliRunner (in-process).

Sites made by ``init`` get the test database (``--database-url`` from ``database_url_for_test``: a fresh
PostgreSQL schema when OFFICIUM_TEST_DATABASE_URL is set, SQLite otherwise).  ``demo`` has no database
option and always writes SQLite: its test checks the command, not the database.
"""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

import officium.core.app
from officium.cli import main
from officium.core.app import OfficiumApp
from officium.core.config import SiteConfig
from officium.core.db import write_transaction
from officium.core.identity.accounts import AccountError, grant_role
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.identity.passwords import policy_errors
from officium.testing import (
    FakeClock,
    add_user,
    app_client,
    csrf_from,
    database_url_for_test,
    drop_test_schema,
)
from tests.core.plugin_dists import PluginDists, close_apps, track_apps, write_site

ADMINS = {"sysadmin": "sysadmin", "secadmin": "secadmin", "auditor": "auditor"}


class Cli:
    """Runs ``officium`` commands and opens the sites they made; everything is closed after the test."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.apps = track_apps(monkeypatch)
        self.schemas: list[str | None] = []
        self.runner = CliRunner()

    def __call__(self, *args: Any, env: dict[str, str] | None = None) -> Result:
        return self.runner.invoke(main, [str(a) for a in args], env=env)

    def database_url(self) -> str:
        url, schema = database_url_for_test(self.tmp_path)
        self.schemas.append(schema)
        return url

    def init(self, site: Path, *extra: str) -> Result:
        return self("init", site, "--database-url", self.database_url(), *extra)

    def open(self, site: Path, clock: FakeClock | None = None) -> OfficiumApp:
        """The site's app as the server builds it (schema checked); the database proxy now points at it."""
        return officium.core.app.create_app(SiteConfig.load(site), clock=clock or FakeClock())

    def close(self) -> None:
        close_apps(self.apps)
        for schema in self.schemas:
            drop_test_schema(schema)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    runner = Cli(tmp_path, monkeypatch)
    yield runner
    runner.close()


def one_time_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"用户名 (\S+)\s+一次性密码 (\S+)", output))


# ---------------------------------------------------------------------------------------------- init


def test_init_writes_a_private_config_with_a_random_secret(cli, tmp_path):
    first = cli.init(tmp_path / "a")
    second = cli.init(tmp_path / "b")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    secrets = []
    for site in ("a", "b"):
        path = tmp_path / site / "officium.toml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        config = tomllib.loads(path.read_text(encoding="utf-8"))
        assert len(config["secret"]) >= 32
        secrets.append(config["secret"])
    assert secrets[0] != secrets[1]


def test_init_prints_three_one_time_passwords(cli, tmp_path):
    result = cli.init(tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert f"站点已创建：{(tmp_path / 'site').resolve()}" in result.output
    assert "已执行迁移 core/0001_initial" in result.output
    passwords = one_time_passwords(result.output)
    assert set(passwords) == set(ADMINS)
    assert len(set(passwords.values())) == 3
    for username, password in passwords.items():
        assert policy_errors(password, username) == []


def test_init_refuses_an_existing_site(cli, tmp_path):
    assert cli.init(tmp_path / "site").exit_code == 0
    before = (tmp_path / "site" / "officium.toml").read_text(encoding="utf-8")
    again = cli.init(tmp_path / "site")
    assert again.exit_code == 1
    assert "已存在" in again.output
    assert one_time_passwords(again.output) == {}
    assert (tmp_path / "site" / "officium.toml").read_text(encoding="utf-8") == before


def test_init_with_an_unknown_plugin_fails_with_the_message(cli, tmp_path):
    result = cli.init(tmp_path / "site", "--plugin", "ghost")
    assert result.exit_code == 1
    assert "插件 ghost 已在 officium.toml 的 enabled_plugins 中启用，但没有安装" in result.output


def test_admins_sign_in_with_the_one_time_password_and_must_change_it(cli, tmp_path):
    result = cli.init(tmp_path / "site")
    passwords = one_time_passwords(result.output)
    app = cli.open(tmp_path / "site")
    for username, role in ADMINS.items():
        user = User.get(User.username == username)
        assert user.must_change_password
        assert [g.role for g in RoleGrant.select().where(RoleGrant.user == user)] == [role]
    with app_client(app) as client:
        token = csrf_from(client.get("/login").text)
        signed_in = client.post(
            "/login",
            data={"username": "sysadmin", "password": passwords["sysadmin"], "csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.headers["location"] == "/password"
        assert client.get("/plugins", follow_redirects=False).headers["location"] == "/password"
        token = csrf_from(client.get("/password").text)
        changed = client.post(
            "/password",
            data={
                "current": passwords["sysadmin"],
                "new": "Admin@Pass2026",
                "confirm": "Admin@Pass2026",
                "csrf_token": token,
            },
        )
        assert "密码已修改" in changed.text
        assert client.get("/plugins").status_code == 200
    # Each administrator has a password of their own.
    with app_client(app) as other:
        token = csrf_from(other.get("/login").text)
        refused = other.post(
            "/login", data={"username": "secadmin", "password": passwords["sysadmin"], "csrf_token": token}
        )
        assert refused.status_code == 400


# ------------------------------------------------------------------------------------ db and serve


def test_db_status_is_0_when_current(cli, tmp_path):
    cli.init(tmp_path / "site")
    result = cli("--site", tmp_path / "site", "db", "status")
    assert result.exit_code == 0, result.output
    assert re.search(r"^core: 已执行 \d+ 个，待执行 0 个$", result.output, flags=re.M)
    assert "待执行 0" in result.output
    upgrade = cli("--site", tmp_path / "site", "db", "upgrade")
    assert upgrade.exit_code == 0
    assert "数据库结构已是最新。" in upgrade.output


def test_site_can_come_from_the_environment(cli, tmp_path):
    cli.init(tmp_path / "site")
    result = cli("db", "status", env={"OFFICIUM_SITE": str(tmp_path / "site")})
    assert result.exit_code == 0, result.output
    assert "core: 已执行" in result.output


def test_command_outside_a_site_says_how_to_make_one(cli, tmp_path):
    result = cli("--site", tmp_path / "nowhere", "db", "status")
    assert result.exit_code == 1
    assert "找不到站点配置" in result.output
    assert "officium init" in result.output


def test_serve_with_one_worker_serves_the_app_it_checked(cli, tmp_path, monkeypatch):
    cli.init(tmp_path / "site")
    served: list[tuple[Any, ...]] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    result = cli("--site", tmp_path / "site", "serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    (args,) = served
    assert args[:4] == (tmp_path / "site", "127.0.0.1", 8123, 1)
    # the app built and checked before serving is handed on: one build, not a second in uvicorn's factory
    assert args[4].config.site_dir == (tmp_path / "site").resolve()


def test_serve_with_several_workers_checks_the_site_in_a_child_process(cli, tmp_path, monkeypatch):
    cli.init(tmp_path / "site")
    served: list[tuple[Any, ...]] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    built_before = len(cli.apps)
    result = cli("--site", tmp_path / "site", "serve", "--port", "8123", "--workers", "2")
    assert result.exit_code == 0, result.output
    (args,) = served
    # no app is built in this process (uvicorn's supervisor): the child built and checked it, and said
    # that the jobs do not run in the web workers
    assert args[:5] == (tmp_path / "site", "127.0.0.1", 8123, 2, None)
    embedded, note = args[5]
    assert embedded is False and "officium worker" in note
    assert len(cli.apps) == built_before


def test_serve_with_several_workers_refuses_a_site_the_child_finds_out_of_date(cli, tmp_path, monkeypatch):
    site = tmp_path / "site"
    cli.init(site)
    config = site / "officium.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("enabled_plugins = []", 'enabled_plugins = ["shortcuts"]'),
        encoding="utf-8",
    )
    served: list[tuple[Any, ...]] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    result = cli("--site", site, "serve", "--workers", "2")
    assert result.exit_code == 1
    assert "数据库结构不是最新" in result.output and "officium db upgrade" in result.output
    assert served == []


def test_serve_with_several_workers_says_when_the_port_is_taken(tmp_path, monkeypatch):
    import socket

    import click

    from officium.cli import EMBEDDED_ENV, _serve

    # _serve sets these for the workers it starts; put them back after the test
    monkeypatch.setenv("OFFICIUM_SITE", str(tmp_path))
    monkeypatch.setenv(EMBEDDED_ENV, "0")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(click.ClickException, match=f"无法在 127.0.0.1:{port} 上监听"):
            _serve(tmp_path, "127.0.0.1", port, 2, None, (False, "说明"))
    finally:
        taken.close()


def test_the_supervisor_names_the_embedded_jobs_variable_as_the_jobs_module_does():
    from officium import cli as cli_module
    from officium.core import jobs

    assert cli_module.EMBEDDED_ENV == jobs.EMBEDDED_ENV


# -------------------------------------------------------------------------------------------- tokens


def test_token_create_and_revoke(cli, tmp_path):
    site = tmp_path / "site"
    cli.init(site)
    add_user(cli.open(site), "zhang", name="张三")
    created = cli("--site", site, "token", "create", "zhang", "--name", "erp")
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("ofm_")
    with app_client(cli.open(site)) as client:
        me = client.get("/api/v1/core/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["username"] == "zhang"
    revoked = cli("--site", site, "token", "revoke", "zhang", "--name", "erp")
    assert revoked.exit_code == 0
    assert "已吊销 1 个令牌。" in revoked.output
    with app_client(cli.open(site)) as client:
        assert client.get("/api/v1/core/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = cli("--site", site, "token", "revoke", "zhang", "--name", "erp")
    assert "已吊销 0 个令牌。" in again.output


def test_token_for_an_unknown_user_is_refused(cli, tmp_path):
    cli.init(tmp_path / "site")
    for command in ("create", "revoke"):
        result = cli("--site", tmp_path / "site", "token", command, "nobody", "--name", "erp")
        assert result.exit_code == 1
        assert "用户 nobody 不存在。" in result.output


# ---------------------------------------------------------------------------------------------- demo


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo hashes ~70 passwords; a cheap argon2id keeps this test fast (verification is unchanged)."""
    monkeypatch.setattr(
        "officium.core.identity.passwords._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def test_demo_creates_the_bureau(cli, tmp_path, fast_hashing, monkeypatch):
    served: list[tuple[Any, ...]] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    site = tmp_path / "demo"
    result = cli("demo", site, "--no-serve")
    assert result.exit_code == 0, result.output
    assert "已创建 21 个单位" in result.output
    assert "已创建 67 个用户" in result.output
    assert served == []
    app = cli.open(site)
    assert Unit.select().count() == 21
    admin_ids = {u.id for u in User.select().where(User.username.in_(list(ADMINS)))}
    assert User.select().where(User.id.not_in(admin_ids)).count() == 67
    admin_roles = {name for name, role in app.registry.roles.items() if role.admin}
    for username, role in ADMINS.items():
        grants = RoleGrant.select().join(User).where(User.username == username)
        assert [g.role for g in grants] == [role]
    holders = {g.user_id for g in RoleGrant.select().where(RoleGrant.role.in_(list(admin_roles)))}
    assert holders == admin_ids
    with app_client(app) as client:
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"username": "sysadmin", "password": "Demo@2026", "csrf_token": token})
        units = client.get("/api/v1/core/units", params={"per_page": 100}).json()
        assert units["total"] == 21


def test_demo_reuses_an_existing_site_and_serves_it(cli, tmp_path, fast_hashing, monkeypatch):
    served: list[tuple[Any, ...]] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    site = tmp_path / "demo"
    assert cli("demo", site, "--no-serve").exit_code == 0
    again = cli("demo", site, "--port", "8765")
    assert again.exit_code == 0
    assert "演示站点已存在" in again.output
    assert served == [(site, "127.0.0.1", 8765, 1)]
    cli.open(site)
    assert Unit.select().count() == 21


# ------------------------------------------------------------------------------------- three admins


@pytest.fixture
def registry_app(site_factory) -> OfficiumApp:
    return site_factory()


def grants_of(user: User) -> list[str]:
    return sorted(g.role for g in RoleGrant.select().where(RoleGrant.user == user))


def test_an_admin_cannot_get_a_second_admin_role(registry_app):
    user = add_user(registry_app, "sa", roles=["sysadmin"])
    for role in ("secadmin", "auditor"):
        with pytest.raises(AccountError, match="三员不能由同一账号兼任"):
            with write_transaction(registry_app.db):
                grant_role(registry_app.registry, user, role)
    assert grants_of(user) == ["sysadmin"]


def test_an_admin_cannot_get_a_business_role(registry_app):
    user = add_user(registry_app, "sa", roles=["secadmin"])
    for role in ("clerk", "leader", "staff"):
        with pytest.raises(AccountError, match="管理员账号，不能担任业务角色"):
            with write_transaction(registry_app.db):
                grant_role(registry_app.registry, user, role)
    assert grants_of(user) == ["secadmin"]


def test_a_business_user_cannot_become_an_admin(registry_app):
    user = add_user(registry_app, "clerk1", roles=["clerk"])
    for role in ("sysadmin", "secadmin", "auditor"):
        with pytest.raises(AccountError, match="持有业务角色"):
            with write_transaction(registry_app.db):
                grant_role(registry_app.registry, user, role)
    assert grants_of(user) == ["clerk"]


def test_granting_the_same_admin_role_again_is_harmless(registry_app):
    user = add_user(registry_app, "sa", roles=["auditor"])
    with write_transaction(registry_app.db):
        grant_role(registry_app.registry, user, "auditor")
    assert grants_of(user) == ["auditor"]


def test_business_roles_combine(registry_app):
    unit = Unit.create(code="office", name="办公室", kind="department")
    user = add_user(registry_app, "lead", unit=unit, roles=["leader", "clerk"])
    assert grants_of(user) == ["clerk", "leader"]


def test_unknown_role_is_refused(registry_app):
    user = add_user(registry_app, "zhang")
    with pytest.raises(AccountError, match="角色 typist 不存在"):
        grant_role(registry_app.registry, user, "typist")


# ------------------------------------------------------------------------------------ plugin commands

COMMAND_HOOKS = """
import click
from officium import hookimpl


@hookimpl
def register_commands(cli, app):
    @cli.command("alpha-report")
    def report():
        \"\"\"ALPHA REPORT HELP\"\"\"
        click.echo("alpha report ran")
"""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_plugin_commands_are_listed_in_help_and_run(cli, tmp_path, monkeypatch, how):
    dists = PluginDists(tmp_path / "dists", monkeypatch)
    try:
        dists.add("alpha", hooks=COMMAND_HOOKS)
        site = str(write_site(tmp_path / "site", ["alpha"]))
        if how == "option":
            help_result = cli("--site", site, "--help")
            run = cli("--site", site, "alpha-report")
        else:
            help_result = cli("--help", env={"OFFICIUM_SITE": site})
            run = cli("alpha-report", env={"OFFICIUM_SITE": site})
        assert run.exit_code == 0, run.output
        assert run.output == "alpha report ran\n"
        assert help_result.exit_code == 0
        assert "alpha-report" in help_result.output
        assert "ALPHA REPORT HELP" in help_result.output
    finally:
        dists.forget_modules()
