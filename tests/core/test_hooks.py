"""One test per hook (``test_hook_<name>``): each shows the hook's effect from the outside."""

from __future__ import annotations

import click
from click.testing import CliRunner
from peewee import CharField
from starlette.middleware import Middleware

from officium import (
    AUTHENTICATED,
    Api,
    MenuItem,
    Page,
    Permission,
    Role,
    Setting,
    TodoCount,
    Widget,
    hookimpl,
)
from officium.core.db import BaseModel
from officium.core.web.views import render
from officium.testing import add_user, app_client, login, make_plugin


class Note(BaseModel):
    title = CharField()

    class Meta:
        table_name = "notes_note"


def test_hook_register_models(site_factory):
    class Hooks:
        @hookimpl
        def register_models(self, app):
            return [Note]

    from officium.core.errors import MigrationPending
    from officium.core.migrations_runner import verify_current

    app = site_factory(extra_plugins=[make_plugin("notes", Hooks())])
    assert app.registry.models["notes"] == [Note]
    # A registered table without a migration that creates it keeps the site from starting.
    try:
        verify_current(app)
    except MigrationPending as exc:
        assert "notes_note" in str(exc)
    else:
        raise AssertionError("a registered table with no migration must be reported")


def test_hook_register_settings(site_factory):
    class Hooks:
        @hookimpl
        def register_settings(self, app):
            return [Setting("max_days", "最多天数", int, 30), Setting("label", "标签", str, "默认")]

    app = site_factory(extra_plugins=[make_plugin("conf", Hooks())], settings={"conf": {"max_days": 12}})
    assert app.settings("conf") == {"max_days": 12, "label": "默认"}


def test_hook_register_permissions(site_factory):
    class Hooks:
        @hookimpl
        def register_permissions(self, app):
            return [Permission("perm.approve", "审批", default_roles=("clerk",))]

    app = site_factory(extra_plugins=[make_plugin("perm", Hooks())])
    assert app.registry.permissions["perm.approve"].title == "审批"
    assert "perm.approve" in app.registry.role_permissions("clerk")
    assert "perm.approve" not in app.registry.role_permissions("leader")


def test_hook_register_roles(site_factory):
    class Hooks:
        @hookimpl
        def register_roles(self, app):
            return [Role("seal_keeper", "印章管理员")]

        @hookimpl
        def register_permissions(self, app):
            return [Permission("seals.use", "用印", default_roles=("seal_keeper",))]

    app = site_factory(extra_plugins=[make_plugin("seals", Hooks())])
    assert app.registry.roles["seal_keeper"].title == "印章管理员"
    keeper = add_user(app, "keeper", roles=["seal_keeper"])
    from officium.core.identity.access import permissions_of

    assert "seals.use" in permissions_of(app.registry, keeper)


def test_hook_register_routes(site_factory):
    def hello(request):
        return render(request, "core/error.html", status=200, message="你好，插件页面")

    def hello_api(request):
        return {"hello": request.state.user.username}

    class Hooks:
        @hookimpl
        def register_routes(self, app):
            return [
                Page("/", hello, "index", AUTHENTICATED),
                Api("/hello", hello_api, "hello", AUTHENTICATED),
            ]

    app = site_factory(extra_plugins=[make_plugin("greet", Hooks())])
    add_user(app, "li")
    with app_client(app) as client:
        login(client, "li")
        assert "你好，插件页面" in client.get("/greet/").text
        assert client.get("/api/v1/greet/hello").json() == {"hello": "li"}


def test_hook_register_middleware(site_factory):
    class Tag:
        def __init__(self, asgi):
            self.asgi = asgi

        async def __call__(self, scope, receive, send):
            async def tagged(message):
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-tag", b"on")]
                await send(message)

            await self.asgi(scope, receive, tagged)

    class Hooks:
        @hookimpl
        def register_middleware(self, app):
            return [Middleware(Tag)]

    app = site_factory(extra_plugins=[make_plugin("tagger", Hooks())])
    with app_client(app) as client:
        assert client.get("/health").headers["x-tag"] == "on"


def test_hook_prepare_jinja2_environment(site_factory):
    class Hooks:
        @hookimpl
        def prepare_jinja2_environment(self, env, app):
            env.filters["shout"] = lambda s: f"{s}！"

    app = site_factory(extra_plugins=[make_plugin("jinja", Hooks())])
    assert app.jinja_env.from_string("{{ '收文' | shout }}").render() == "收文！"


def test_hook_menu_items(site_factory):
    class Hooks:
        @hookimpl
        def register_permissions(self, app):
            return [Permission("menu.secret", "机密菜单", default_roles=("clerk",))]

        @hookimpl
        def menu_items(self, request, user, app):
            return [
                MenuItem("公开菜单", "/x/open", "公文处理", AUTHENTICATED),
                MenuItem("文书菜单", "/x/clerk", "政务管理", "menu.secret"),
            ]

    app = site_factory(extra_plugins=[make_plugin("menu", Hooks())])
    add_user(app, "staffer")
    add_user(app, "clerk1", roles=["clerk"])
    with app_client(app) as client:
        login(client, "staffer")
        page = client.get("/").text
        assert "公开菜单" in page and "文书菜单" not in page
    with app_client(app) as client:
        login(client, "clerk1")
        page = client.get("/").text
        assert "公开菜单" in page and "文书菜单" in page
        # grouped under the functional area headings, in AREAS order
        assert page.index("公文处理") < page.index("政务管理")


def test_hook_dashboard_widgets(site_factory):
    class Hooks:
        @hookimpl
        def dashboard_widgets(self, request, user, app):
            return [
                Widget("count", "统计", lambda request: f"共 {request.state.user.username}", AUTHENTICATED)
            ]

    app = site_factory(extra_plugins=[make_plugin("widgets", Hooks())])
    add_user(app, "wang")
    with app_client(app) as client:
        login(client, "wang")
        page = client.get("/").text
        assert 'data-widget="count"' in page and "共 wang" in page


def test_hook_todo_counts(site_factory):
    class Hooks:
        @hookimpl
        def todo_counts(self, request, user, app):
            return [TodoCount("待审批", 3, "/x/"), TodoCount("待阅", 2, "/y/")]

    app = site_factory(extra_plugins=[make_plugin("todos", Hooks())])
    add_user(app, "zhao")
    with app_client(app) as client:
        login(client, "zhao")
        page = client.get("/").text
        assert 'data-testid="todo-badge">5<' in page
        assert "待审批" in page


def test_hook_register_commands(site_factory, monkeypatch):
    class Hooks:
        @hookimpl
        def register_commands(self, cli, app):
            @cli.command("greet")
            def greet():
                click.echo(f"插件命令 {app.config.site_name}")

    app = site_factory()
    from officium import cli as cli_module

    real = cli_module.load_app

    def load_with_plugin(ctx, check_schema=True):
        from officium.core.app import create_app

        return create_app(app.config, extra_plugins=[make_plugin("cmds", Hooks())], check_schema=False)

    monkeypatch.setattr(cli_module, "load_app", load_with_plugin)
    result = CliRunner().invoke(cli_module.main, ["--site", str(app.config.site_dir), "greet"])
    assert result.exit_code == 0, result.output
    assert "插件命令 办公自动化系统" in result.output
    listed = CliRunner().invoke(cli_module.main, ["--site", str(app.config.site_dir), "--help"])
    assert "greet" in listed.output
    monkeypatch.setattr(cli_module, "load_app", real)


def test_hook_startup(site_factory):
    calls = []

    class Hooks:
        @hookimpl
        def startup(self, app):
            async def warm():
                calls.append("async")

            calls.append("sync")
            return warm()

    app = site_factory(extra_plugins=[make_plugin("boot", Hooks())])
    assert calls == []
    with app_client(app):
        assert calls == ["sync", "async"]


def test_hook_shutdown(site_factory):
    calls = []

    class Hooks:
        @hookimpl
        def shutdown(self, app):
            calls.append(app.config.site_name)

    app = site_factory(extra_plugins=[make_plugin("bye", Hooks())])
    with app_client(app) as client:
        client.get("/health")
        assert calls == []
    assert calls == ["办公自动化系统"]


def test_hook_register_workflows(site_factory):
    from officium.core.errors import StartupError
    from officium.core.workflow.definition import Step, Workflow, drafter

    flow = Workflow("simple", "简单流程", steps=(Step("check", "核对", drafter()),))

    class Hooks:
        @hookimpl
        def register_workflows(self, app):
            return [flow]

    app = site_factory(extra_plugins=[make_plugin("flows", Hooks())])
    assert app.registry.workflows["flows.simple"] is flow

    class Twice:
        @hookimpl
        def register_workflows(self, app):
            return [flow, flow]

    try:
        site_factory(extra_plugins=[make_plugin("flows2", Twice())])
    except StartupError as exc:
        assert "flows2.simple 重复注册" in str(exc)
    else:
        raise AssertionError("a workflow declared twice must stop the start-up")


def test_hook_workflow_assignee(site_factory):
    from officium.core.db import write_transaction
    from officium.core.workflow import engine
    from officium.core.workflow.definition import Step, Workflow, users

    class Hooks:
        @hookimpl
        def register_workflows(self, app):
            return [Workflow("ask", "请示", steps=(Step("boss", "领导", users("boss")),))]

        @hookimpl
        def workflow_assignee(self, app, user, plugin):
            from officium.core.identity.models import User

            return User.get(User.username == "deputy") if user.username == "boss" else None

    app = site_factory(extra_plugins=[make_plugin("asks", Hooks())])
    drafter_user = add_user(app, "writer")
    add_user(app, "boss")
    deputy = add_user(app, "deputy")
    with write_transaction(app.db):
        instance = engine.start(
            app, "asks.ask", object_type="ask", object_id=1, title="请示", url="/asks/1", drafter=drafter_user
        )
    (item,) = list(instance.items)
    assert item.assignee_id == deputy.id and item.principal.username == "boss"
