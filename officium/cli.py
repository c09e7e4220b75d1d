"""The ``officium`` command.

Built-in commands never import a plugin; plugin commands are looked up only when asked for, so a broken
plugin can never break ``officium --help`` or the commands needed to repair the site.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

import officium
from officium.core.errors import StartupError


class SiteCommands(click.Group):
    """A command group that adds the site's plugin commands (``register_commands``) on demand."""

    def _plugin_group(self, ctx: click.Context) -> click.Group | None:
        extra = click.Group("plugins-extra")
        try:
            app = load_app(ctx, check_schema=False)
        except Exception as exc:  # a broken site must not hide the built-in commands
            ctx.meta["officium_load_error"] = str(exc)
            return None
        try:
            app.hook.register_commands(cli=extra, app=app)
        except Exception as exc:
            ctx.meta["officium_load_error"] = f"插件的 register_commands 出错：{exc}"
            return None
        return extra

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        site = _site_dir(ctx)
        if site is not None and (site / "officium.toml").exists():
            extra = self._plugin_group(ctx)
            if extra is not None:
                names += [n for n in extra.list_commands(ctx) if n not in names]
        return names

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        extra = self._plugin_group(ctx)
        if extra is None:
            if "officium_load_error" in ctx.meta:
                click.echo(f"无法加载站点插件命令：{ctx.meta['officium_load_error']}", err=True)
            return None
        return extra.get_command(ctx, name)


def _site_dir(ctx: click.Context) -> Path | None:
    root = ctx.find_root()
    site = root.params.get("site") if root.params else None
    # --help is handled before a value that comes from the environment has been read.
    site = site or os.environ.get("OFFICIUM_SITE")
    return Path(site) if site else None


def load_app(ctx: click.Context, check_schema: bool = True) -> Any:
    """Build the site's app through the one start-up path; ``StartupError`` becomes a clean CLI error."""
    from officium.core.app import create_app
    from officium.core.config import SiteConfig

    site = _site_dir(ctx) or Path(".")
    try:
        return create_app(SiteConfig.load(site), check_schema=check_schema)
    except StartupError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=SiteCommands)
@click.option(
    "--site",
    "-s",
    envvar="OFFICIUM_SITE",
    default=".",
    is_eager=True,
    show_default=True,
    type=click.Path(file_okay=False),
    help="站点目录（含 officium.toml）；也可用环境变量 OFFICIUM_SITE。",
)
@click.version_option(officium.__version__, prog_name="officium")
def main(site: str) -> None:
    """Officium 办公自动化系统的管理命令。"""


# ------------------------------------------------------------------------------------------ site


@main.command()
@click.argument("site_dir", type=click.Path(file_okay=False))
@click.option(
    "--database-url",
    default="sqlite:///data/officium.db",
    show_default=True,
    help="数据库地址：sqlite:///路径 或 postgresql://用户@主机/库名。",
)
@click.option("--plugin", "plugins", multiple=True, help="要启用的插件，可重复。")
@click.option("--site-name", default="办公自动化系统", show_default=True, help="站点名称。")
def init(site_dir: str, database_url: str, plugins: tuple[str, ...], site_name: str) -> None:
    """创建新站点：写入 officium.toml，建库，并创建三员账号（一次性密码只显示一次）。"""
    from officium.core.bootstrap import init_site

    try:
        _, credentials = init_site(
            Path(site_dir),
            database_url=database_url,
            enabled_plugins=list(plugins),
            site_name=site_name,
            echo=click.echo,
        )
    except StartupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"站点已创建：{Path(site_dir).resolve()}")
    click.echo("三员账号的一次性密码如下，只显示这一次，首次登录时必须修改：")
    for cred in credentials:
        click.echo(f"  {cred.role:<10} 用户名 {cred.username:<10} 一次性密码 {cred.password}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=8000, show_default=True, type=int, help="监听端口。")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="工作进程数。")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """启动 Web 服务（数据库结构不是最新时拒绝启动）。"""
    # Build the app once before serving, to fail here with the fix in the message rather than inside
    # every worker.  One worker serves that very app; with several, the check runs in a child process so
    # that uvicorn's supervisor, which serves nothing, does not keep a whole app in memory.
    site = _site_dir(ctx) or Path(".")
    if workers == 1:
        _serve(site, host, port, workers, _checked_app(ctx))
        return
    from officium.core.web.serving import CheckFailed, check_in_child

    try:
        plan = check_in_child(lambda: _serve_plan(site, workers, _checked_app(ctx)))
    except CheckFailed as exc:
        raise click.ClickException(str(exc)) from exc
    _serve(site, host, port, workers, None, tuple(plan))


def _checked_app(ctx: click.Context) -> Any:
    app = load_app(ctx)
    try:
        app.asgi()
    except StartupError as exc:
        raise click.ClickException(str(exc)) from exc
    return app


def _serve_plan(site: Path, workers: int, app: object = None) -> tuple[bool, str]:
    """Whether the web process runs the job consumer, and the note saying so (``jobs.serve_plan``)."""
    from officium.core.config import SiteConfig
    from officium.core.jobs import serve_plan

    return serve_plan(app.config if app is not None else SiteConfig.load(site), workers)  # type: ignore[attr-defined]


#: Must match ``officium.core.jobs.EMBEDDED_ENV``; repeated here so that the supervisor of several workers
#: need not import the jobs module (and Peewee with it).
EMBEDDED_ENV = "OFFICIUM_EMBEDDED_JOBS"


def _serve(
    site: Path, host: str, port: int, workers: int, app: object = None, plan: tuple[bool, str] | None = None
) -> None:
    os.environ["OFFICIUM_SITE"] = str(site.resolve())
    embedded, note = plan if plan is not None else _serve_plan(site, workers, app)
    os.environ[EMBEDDED_ENV] = "1" if embedded else "0"
    click.echo(note)
    options: dict[str, Any] = {"log_level": "info", "access_log": False}
    if workers > 1:
        from officium.core.web.serving import run_workers

        try:
            run_workers("officium.core.asgi:create_from_env", host, port, workers, **options)
        except OSError as exc:  # binding the socket: the port is taken, or the address is not ours
            raise click.ClickException(f"无法在 {host}:{port} 上监听：{exc.strerror or exc}。") from exc
        return
    import uvicorn

    if app is not None:
        # One process: serve the app already built and checked instead of building it a second time.
        uvicorn.run(app.asgi(), host=host, port=port, **options)  # type: ignore[attr-defined]
    else:
        uvicorn.run("officium.core.asgi:create_from_env", factory=True, host=host, port=port, **options)


@main.command()
@click.argument("site_dir", default="demo-site", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="只创建演示站点，不启动服务。")
def demo(site_dir: str, host: str, port: int, no_serve: bool) -> None:
    """创建一个演示站点（模拟检验检疫局的组织和约 60 名用户）并启动服务。"""
    from officium.core.bootstrap import DEMO_PASSWORD, init_site, seed_demo
    from officium.core.loader import installed_plugins

    site = Path(site_dir)
    if (site / "officium.toml").exists():
        click.echo(f"演示站点已存在：{site.resolve()}（删除该目录可重新生成）")
    else:
        first_party = [
            name for name, where in installed_plugins().items() if where.startswith("officium.plugins.")
        ]
        click.echo(f"正在创建演示站点 {site.resolve()} ……")
        try:
            app, admins = init_site(
                site,
                enabled_plugins=first_party,
                site_name="江南出入境检验检疫局办公自动化系统",
                admin_password=DEMO_PASSWORD,
                extra_config="# 演示站点：三员登录不要求动态口令。正式站点切勿这样设置。\nadmin_mfa = false\n",
                echo=click.echo,
            )
            samples = seed_demo(app, echo=click.echo)
        except StartupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"\n演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）：")
        for cred in [*admins, *samples]:
            click.echo(f"  {cred.username:<14} {cred.name:<8} {cred.role}")
    if not no_serve:
        click.echo(f"\n打开 http://{host}:{port}/ 登录。按 Ctrl+C 停止。")
        _serve(site, host, port, 1)


# ------------------------------------------------------------------------------------------ jobs


@main.command()
@click.option(
    "--workers", type=click.IntRange(1, 32), help="工作线程数，默认取 officium.toml 的 [jobs] workers（2）。"
)
@click.option(
    "--once", is_flag=True, help="只运行一次此刻到期的定期任务，然后退出（例如由系统的 cron 每分钟调用）。"
)
@click.pass_context
def worker(ctx: click.Context, workers: int | None, once: bool) -> None:
    """运行后台任务：定期任务（期限提醒、邮件发送等）和排队的任务。按 Ctrl+C 停止。"""
    import logging

    from officium.core import jobs

    app = load_app(ctx)
    if once:
        outcomes = jobs.run_due_jobs(app)
        for outcome in outcomes:
            click.echo(f"{'✓' if outcome.ok else '✗'} {outcome.name}：{outcome.message}")
        if not outcomes:
            click.echo("没有到期的任务。")
        if any(not o.ok for o in outcomes):
            sys.exit(1)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    consumer = jobs.make_consumer(app, workers)
    click.echo(
        f"后台任务进程已启动：队列 {jobs.describe_backend(app)}，{consumer.workers} 个工作线程，"
        f"{len(app.registry.jobs)} 个定期任务。按 Ctrl+C 停止。"
    )
    consumer.run()


# -------------------------------------------------------------------------------------------- db


@main.group()
def db() -> None:
    """数据库结构迁移。"""


@db.command("upgrade")
@click.option("--plugin", help="只升级这个插件。")
@click.pass_context
def db_upgrade(ctx: click.Context, plugin: str | None) -> None:
    """执行待执行的迁移（按插件加载顺序）。"""
    from officium.core.migrations_runner import upgrade

    app = load_app(ctx, check_schema=False)
    try:
        ran = upgrade(app, plugin)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    total = 0
    for name, files in ran.items():
        for file in files:
            click.echo(f"已执行 {name}/{file}")
            total += 1
    click.echo(f"完成：执行了 {total} 个迁移。" if total else "数据库结构已是最新。")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """列出各插件已执行和待执行的迁移；有待执行的迁移时退出码为 1。"""
    from officium.core.migrations_runner import schema_status

    app = load_app(ctx, check_schema=False)
    pending = 0
    for status in schema_status(app):
        click.echo(f"{status.plugin}: 已执行 {len(status.applied)} 个，待执行 {len(status.pending)} 个")
        for name in status.pending:
            click.echo(f"  待执行 {name}")
        pending += len(status.pending)
    if pending:
        click.echo("运行 `officium db upgrade` 执行待执行的迁移。")
        sys.exit(1)


@db.command("generate")
@click.option("--plugin", required=True, help="插件名。")
@click.argument("name")
@click.pass_context
def db_generate(ctx: click.Context, plugin: str, name: str) -> None:
    """按模型与数据库的差异生成迁移文件草稿（请审阅后再提交）。"""
    from officium.core.migrations_runner import generate

    app = load_app(ctx, check_schema=False)
    try:
        path = generate(app, plugin, name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已生成 {path}" if path else "模型与数据库一致，无需迁移。")


# --------------------------------------------------------------------------------------- plugins


@main.group()
def plugins() -> None:
    """插件：列出、诊断、新建。"""


@plugins.command("list")
@click.pass_context
def plugins_list(ctx: click.Context) -> None:
    """列出已安装的插件及是否启用（不导入任何插件）。"""
    from officium.core.config import SiteConfig
    from officium.core.errors import ConfigError
    from officium.core.loader import installed_plugins

    enabled: list[str] = []
    try:
        enabled = SiteConfig.load(_site_dir(ctx) or Path(".")).enabled_plugins
    except ConfigError:
        click.echo("（未找到站点配置，只列出已安装的插件）")
    installed = installed_plugins()
    for name, where in installed.items():
        click.echo(f"{'[启用]' if name in enabled else '[    ]'} {name:<20} {where}")
    for name in enabled:
        if name not in installed:
            click.echo(f"[缺失] {name:<20} 已启用但没有安装")
    if not installed:
        click.echo("没有安装任何插件。")


@plugins.command("doctor")
@click.pass_context
def plugins_doctor(ctx: click.Context) -> None:
    """检查已启用的插件：能否导入、依赖、钩子、注册项和数据库结构。"""
    from officium.core.app import create_app
    from officium.core.config import SiteConfig
    from officium.core.migrations_runner import schema_status

    try:
        config = SiteConfig.load(_site_dir(ctx) or Path("."))
        app = create_app(config, check_schema=False)
    except StartupError as exc:
        click.echo(f"✗ {exc}")
        sys.exit(1)
    click.echo(f"✓ {len(app.plugins)} 个插件加载成功：{', '.join(p.name for p in app.plugins)}")
    problems = 0
    for status in schema_status(app):
        if status.pending:
            problems += 1
            click.echo(
                f"✗ {status.plugin} 有待执行的迁移：{', '.join(status.pending)}（运行 officium db upgrade）"
            )
    from officium.core.migrations_runner import verify_current

    checks = [app.asgi] if problems else [lambda: verify_current(app), app.asgi]  # routes validate on build
    for check in checks:
        try:
            check()
        except StartupError as exc:
            problems += 1
            click.echo(f"✗ {exc}")
    if problems:
        sys.exit(1)
    click.echo("✓ 数据库结构是最新的，没有发现问题。")


@plugins.command("new")
@click.argument("name")
@click.option("--title", default=None, help="中文名称，默认与插件名相同。")
@click.option("--area", default="政务管理", show_default=True, help="功能区。")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False), help="在此目录下创建。")
def plugins_new(name: str, title: str | None, area: str, directory: str) -> None:
    """生成一个可安装的插件包骨架（含页面、模型、迁移、模板和测试）。"""
    from officium.core.scaffold import ScaffoldError, create_plugin

    try:
        path = create_plugin(name, Path(directory), title=title or name, area=area)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已创建 {path}")
    click.echo("下一步：")
    click.echo(f"  pip install -e {path}")
    click.echo(f'  在 officium.toml 的 enabled_plugins 中加入 "{name}"，然后运行 officium db upgrade')


# ----------------------------------------------------------------------------------------- tokens


@main.group()
def token() -> None:
    """API 令牌：签发和吊销。"""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="令牌用途，例如对接的系统名。")
@click.option("--scope", "scopes", multiple=True, help="只允许调用这个插件的接口（可重复）；不给则不限。")
@click.pass_context
def token_create(ctx: click.Context, username: str, name: str, scopes: tuple[str, ...]) -> None:
    """为用户签发 API 令牌（只显示一次）。"""
    from officium.core.db import write_transaction
    from officium.core.identity.models import User
    from officium.core.identity.tokens import issue_token

    app = load_app(ctx)
    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在。")
    from officium.core import audit

    with write_transaction(app.db):
        unknown = [s for s in scopes if s not in {p.name for p in app.plugins}]
        if unknown:
            raise click.ClickException(f"没有启用的插件：{'、'.join(unknown)}。")
        value = issue_token(user, name, app.clock(), scopes)
        audit.record(
            app,
            "core.token.create",
            object_type="user",
            object_id=user.id,
            summary=f"命令行：为 {user.username} 签发 API 令牌“{name}”",
        )
    click.echo(value)


@token.command("revoke")
@click.argument("username")
@click.option("--name", required=True, help="要吊销的令牌用途名。")
@click.pass_context
def token_revoke(ctx: click.Context, username: str, name: str) -> None:
    """吊销用户某个用途的全部 API 令牌。"""
    from officium.core.db import write_transaction
    from officium.core.identity.models import User
    from officium.core.identity.tokens import revoke_token

    app = load_app(ctx)
    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在。")
    from officium.core import audit

    with write_transaction(app.db):
        count = revoke_token(user, name, app.clock())
        audit.record(
            app,
            "core.token.revoke",
            object_type="user",
            object_id=user.id,
            summary=f"命令行：吊销 {user.username} 的 API 令牌“{name}”（{count} 个）",
        )
    click.echo(f"已吊销 {count} 个令牌。")


# ------------------------------------------------------------------------------------ accounts, units


def _invalid(exc: Any) -> click.ClickException:
    """A service refusal (``Invalid``) as a CLI error listing every field's message."""
    return click.ClickException("".join(exc.fields.values()) or exc.message)


def _find_user(username: str) -> Any:
    from officium.core.identity.models import User

    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在。")
    return user


def _unit_id(code: str | None) -> str:
    """The id (as the service functions take it) of the unit with ``code``; '' for none."""
    from officium.core.admin.service import unit_by_code

    if not code:
        return ""
    unit = unit_by_code(code)
    if unit is None:
        raise click.ClickException(f"单位代码 {code} 不存在。")
    return str(unit.id)


@main.group()
def user() -> None:
    """账号：新建、列出、停用、启用、重置密码、授予和收回角色。每项变更都记入审计日志。"""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="姓名。")
@click.option("--unit", "unit_code", help="单位代码。")
@click.option("--position", default="", help="职务。")
@click.pass_context
def user_add(ctx: click.Context, username: str, name: str, unit_code: str | None, position: str) -> None:
    """新建账号，打印一次性密码（只显示这一次，首次登录时必须修改）。"""
    from officium.core.admin import service

    app = load_app(ctx)
    data = {"username": username, "name": name, "unit": _unit_id(unit_code), "position": position}
    try:
        account, password = service.create_account(app, data)
    except service.Invalid as exc:
        raise _invalid(exc) from exc
    click.echo(f"已创建账号 {account.username}（{account.name}）。")
    click.echo(f"一次性密码（只显示这一次）：{password}")


@user.command("list")
@click.option("--unit", "unit_code", help="只列出该单位（单位代码）的账号。")
@click.option("--status", type=click.Choice(["active", "disabled", "left"]), help="只列出该状态的账号。")
@click.pass_context
def user_list(ctx: click.Context, unit_code: str | None, status: str | None) -> None:
    """列出账号：用户名、姓名、单位、状态、角色。"""
    from officium.core.admin import service
    from officium.core.identity.models import USER_STATUSES

    load_app(ctx)
    unit = service.get_unit(_unit_id(unit_code)) if unit_code else None
    count = 0
    for account in service.user_query(unit=unit, status=status or "").iterator():
        roles = ",".join(
            g.role + (f"@{g.unit.code}" if g.unit_id else "") for g in service.grants_of(account)
        )
        unit_text = account.unit.code if account.unit_id else "-"
        click.echo(
            f"{account.username:<16} {account.name:<8} {unit_text:<10} "
            f"{USER_STATUSES.get(account.status, account.status):<4} {roles}"
        )
        count += 1
    click.echo(f"共 {count} 个账号。")


def _set_status(ctx: click.Context, username: str, status: str) -> None:
    from officium.core.admin import service

    app = load_app(ctx)
    account = _find_user(username)
    try:
        service.change_status(app, account, status)
    except service.Invalid as exc:
        raise _invalid(exc) from exc
    click.echo(f"已{service.STATUS_VERBS[status]}账号 {account.username}（{account.name}）。")


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """停用账号：不能再登录，现有会话立即结束。"""
    _set_status(ctx, username, "disabled")


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """启用账号。"""
    _set_status(ctx, username, "active")


@user.command("reset-password")
@click.argument("username")
@click.pass_context
def user_reset_password(ctx: click.Context, username: str) -> None:
    """重置密码：打印新的一次性密码（只显示这一次），该账号的会话全部结束。"""
    from officium.core.admin import service

    app = load_app(ctx)
    account = _find_user(username)
    password = service.reset_account_password(app, account)
    click.echo(f"已重置 {account.username}（{account.name}）的密码。")
    click.echo(f"一次性密码（只显示这一次）：{password}")


@user.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--unit", "unit_code", help="角色所在单位的代码；不给出则全局有效。")
@click.pass_context
def user_grant(ctx: click.Context, username: str, role: str, unit_code: str | None) -> None:
    """授予角色（三员互斥，且不能与业务角色兼任）。"""
    from officium.core.admin import service

    app = load_app(ctx)
    account = _find_user(username)
    try:
        service.grant(app, account, {"role": role, "unit": _unit_id(unit_code)})
    except service.Invalid as exc:
        raise _invalid(exc) from exc
    click.echo(f"已授予 {account.username} 角色 {role}{'@' + unit_code if unit_code else '（全局）'}。")


@user.command("revoke")
@click.argument("username")
@click.argument("role")
@click.option("--unit", "unit_code", help="角色所在单位的代码；不给出则指全局的授权。")
@click.pass_context
def user_revoke(ctx: click.Context, username: str, role: str, unit_code: str | None) -> None:
    """收回角色。"""
    from officium.core.admin import service
    from officium.core.identity.models import RoleGrant

    app = load_app(ctx)
    account = _find_user(username)
    unit_id = _unit_id(unit_code)
    query = RoleGrant.select().where((RoleGrant.user == account) & (RoleGrant.role == role))
    query = query.where(RoleGrant.unit == int(unit_id) if unit_id else RoleGrant.unit.is_null())
    row = query.first()
    if row is None:
        raise click.ClickException(
            f"{account.username} 没有角色 {role}{'@' + unit_code if unit_code else '（全局）'}。"
        )
    service.revoke(app, account, row.id)
    click.echo(f"已收回 {account.username} 的角色 {role}{'@' + unit_code if unit_code else '（全局）'}。")


@main.group()
def unit() -> None:
    """组织机构：新建单位、列出单位树。"""


@unit.command("add")
@click.argument("code")
@click.option("--name", required=True, help="单位名称。")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["bureau", "department", "branch", "section"]),
    help="单位类型。",
)
@click.option("--parent", "parent_code", help="上级单位代码。")
@click.option("--order", default=0, show_default=True, type=int, help="同级单位中的排序。")
@click.pass_context
def unit_add(
    ctx: click.Context, code: str, name: str, kind: str, parent_code: str | None, order: int
) -> None:
    """新建单位。"""
    from officium.core.admin import service

    app = load_app(ctx)
    data = {"code": code, "name": name, "kind": kind, "parent": _unit_id(parent_code), "order": order}
    try:
        created = service.create_unit(app, data)
    except service.Invalid as exc:
        raise _invalid(exc) from exc
    click.echo(f"已创建单位 {created.code}（{created.name}）。")


@unit.command("list")
@click.pass_context
def unit_list(ctx: click.Context) -> None:
    """按层级列出全部单位（代码、名称、类型、排序）。"""
    from officium.core.admin import service
    from officium.core.identity.models import UNIT_KINDS

    load_app(ctx)
    rows = service.unit_tree()
    for item, level in rows:
        state = "" if item.active else "  [已撤销]"
        click.echo(
            f"{'  ' * level}{item.code}  {item.name}  {UNIT_KINDS.get(item.kind, item.kind)}  {item.order}{state}"
        )
    click.echo(f"共 {len(rows)} 个单位。")


# ------------------------------------------------------------------------------------------- audit


@main.group("audit")
def audit_group() -> None:
    """审计日志：校验哈希链、导出。"""


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """校验审计日志的哈希链；发现被篡改或删除的记录时退出码为 1。"""
    from officium.core.audit import verify_chain

    app = load_app(ctx)
    report = verify_chain(app)
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


@audit_group.command("export")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="开始日期（含），YYYY-MM-DD。")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="结束日期（含），YYYY-MM-DD。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="写入的 CSV 文件。")
@click.pass_context
def audit_export(ctx: click.Context, since: Any, until: Any, output: str) -> None:
    """把审计日志导出为 CSV（UTF-8 带 BOM，可用 Excel 打开；公式字符已转义）。"""
    from officium.core import audit
    from officium.core.admin import queries
    from officium.core.db import write_transaction

    app = load_app(ctx)
    filters, errors = queries.parse_filters(
        {
            "since": since.date().isoformat() if since else "",
            "until": until.date().isoformat() if until else "",
        },
        queries.AUDIT_RESULTS,
    )
    if errors:
        raise click.ClickException("；".join(errors.values()))
    with open(output, "w", encoding="utf-8", newline="") as fh:
        count = queries.write_csv(fh, queries.AUDIT_HEADER, queries.audit_rows(queries.audit_query(filters)))
    with write_transaction(app.db):
        audit.record(
            app,
            "core.audit.export",
            summary=f"命令行：导出 {count} 条审计记录到 {output}",
            detail={"since": str(filters.since or ""), "until": str(filters.until or "")},
        )
    click.echo(f"已导出 {count} 条记录到 {output}。")


@audit_group.command("purge")
@click.option(
    "--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="清理此日期之前的记录。"
)
@click.option(
    "--archive",
    required=True,
    type=click.Path(dir_okay=False),
    help="先把要清理的记录归档到这个新 CSV 文件。",
)
@click.pass_context
def audit_purge(ctx: click.Context, before: Any, archive: str) -> None:
    """归档并清理超过保留期的审计记录（至少保留 180 天，更新的记录拒绝清理）。"""
    from officium.core.audit import RetentionError, purge

    app = load_app(ctx)
    try:
        with open(archive, "x", encoding="utf-8", newline="") as fh:
            count = purge(app, before, fh)
    except FileExistsError as exc:
        raise click.ClickException(f"归档文件 {archive} 已存在，请换一个文件名。") from exc
    except RetentionError as exc:
        Path(archive).unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已归档并清理 {count} 条审计记录（归档文件 {archive}）。")


# ------------------------------------------------------------------------------------------ files


@main.group("files")
def files_group() -> None:
    """附件文件库（data/files/）：校验、清理。"""


@files_group.command("check")
@click.pass_context
def files_check(ctx: click.Context) -> None:
    """逐个校验附件文件是否存在、内容是否与哈希一致（恢复备份后运行）；有问题时退出码为 1。"""
    from officium.core import files

    report = files.check_store(load_app(ctx))
    for sha in report.missing:
        click.echo(f"缺失 {sha}")
    for sha in report.corrupt:
        click.echo(f"损坏 {sha}")
    if not report.ok:
        raise click.ClickException(
            f"附件文件库有问题：共 {report.checked} 个文件，缺失 {len(report.missing)} 个，"
            f"损坏 {len(report.corrupt)} 个。请从备份恢复 data/files/。"
        )
    click.echo(f"附件文件库完整：共 {report.checked} 个文件，内容与哈希一致。")


@files_group.command("gc")
@click.option("--dry-run", is_flag=True, help="只列出，不删除。")
@click.pass_context
def files_gc(ctx: click.Context, dry_run: bool) -> None:
    """删除没有任何附件记录引用、且超过一天的文件（被拒绝或回滚的上传留下的）。"""
    from officium.core import files

    removed = files.collect_garbage(load_app(ctx), dry_run=dry_run)
    for path in removed:
        click.echo(f"{'将删除' if dry_run else '已删除'} {path}")
    click.echo(f"{'将删除' if dry_run else '已删除'} {len(removed)} 个无用文件。")


# ---------------------------------------------------------------------------------- backup, restore


@main.command()
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False),
    help="备份存放的目录（其下新建 officium-日期-时间 文件夹），默认为站点的 data/backups。",
)
@click.pass_context
def backup(ctx: click.Context, to: str | None) -> None:
    """在线备份数据库、附件和 officium.toml（服务运行中即可执行），附清单和校验和。"""
    from officium.core.backup import BackupError, create_backup

    app = load_app(ctx)
    try:
        path = create_backup(app, Path(to) if to else None, progress=lambda text: click.echo(text, err=True))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))


@main.command()
@click.argument("backup_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--site",
    "target",
    type=click.Path(file_okay=False),
    help="恢复到的站点目录（须为空站点），默认取全局的 --site。",
)
@click.pass_context
def restore(ctx: click.Context, backup_dir: str, target: str | None) -> None:
    """把备份恢复到一个空站点并校验（完整性、外键、审计链、行数、附件）；任一项不通过时退出码为 1。"""
    from officium.core.backup import BackupError, restore_backup

    site = Path(target) if target else (_site_dir(ctx) or Path("."))
    try:
        report = restore_backup(Path(backup_dir), site, progress=lambda text: click.echo(text, err=True))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        click.echo("恢复后的校验未通过，请勿启用该站点。", err=True)
        sys.exit(1)
    click.echo(f"恢复完成，校验全部通过：{site.resolve()}")


# ------------------------------------------------------------------------------------------ import


@main.group("import")
def import_group() -> None:
    """从 CSV 或 XLSX 批量导入单位和账号；任何一行有误则全部不导入。"""


def _check_file(path: str, check: Any) -> Any:
    from officium.core.admin.importer import ImportFileError, read_table

    try:
        rows = read_table(Path(path))
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    plan = check(rows)
    if plan.errors:
        click.echo(f"发现 {len(plan.errors)} 处错误，未导入任何数据：", err=True)
        for line in plan.report():
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    return plan


@import_group.command("units")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查，不导入。")
@click.pass_context
def import_units(ctx: click.Context, file: str, dry_run: bool) -> None:
    """导入单位（列：code, name, kind, parent, order）。上级单位须在下级之前，或已在系统中。"""
    from officium.core.admin import importer

    app = load_app(ctx)
    plan = _check_file(file, importer.check_units)
    if dry_run:
        click.echo(f"检查通过：{len(plan.rows)} 个单位可以导入（--dry-run，未导入）。")
        return
    with click.progressbar(plan.rows, label="导入单位") as bar:
        count = importer.import_units(app, plan, Path(file).name, progress=lambda rows: bar)
    click.echo(f"已导入 {count} 个单位。")


@import_group.command("users")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查，不导入。")
@click.option(
    "--passwords-out",
    type=click.Path(dir_okay=False),
    help="保存新账号一次性密码的文件（新建，权限 0600）；导入时必须给出，密码不显示在屏幕上。",
)
@click.pass_context
def import_users(ctx: click.Context, file: str, dry_run: bool, passwords_out: str | None) -> None:
    """导入账号（列：username, name, unit, position, roles，如 clerk@BGS;leader）。"""
    from officium.core.admin import importer

    app = load_app(ctx)
    if not dry_run:
        if not passwords_out:
            raise click.ClickException(
                "导入账号须用 --passwords-out 指定保存一次性密码的文件（密码不会显示在屏幕上）。"
            )
        if Path(passwords_out).exists():
            raise click.ClickException(f"{passwords_out} 已存在；为免覆盖之前的一次性密码，请换一个文件名。")
    plan = _check_file(file, lambda rows: importer.check_users(app, rows))
    if dry_run:
        click.echo(f"检查通过：{len(plan.rows)} 个账号可以导入（--dry-run，未导入）。")
        return
    assert passwords_out is not None
    with click.progressbar(plan.rows, label="导入账号") as bar:
        made = importer.import_users(
            app,
            plan,
            Path(file).name,
            progress=lambda rows: bar,
            keep_passwords=lambda accounts: importer.write_passwords(Path(passwords_out), accounts),
        )
    click.echo(
        f"已导入 {len(made)} 个账号；一次性密码已写入 {passwords_out}（仅本人可读），请妥善分发后删除。"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
