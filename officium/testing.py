"""Helpers for testing Officium and its plugins: a site in a temporary folder, users, signing in.

A plugin's tests use them like this::

    from officium.testing import add_user, app_client, close_site, login, make_site

    def test_page(tmp_path):
        app = make_site(tmp_path, plugins=["myplugin"])
        add_user(app, "zhang", roles=["clerk"])
        with app_client(app) as client:
            login(client, "zhang")
            assert client.get("/myplugin/").status_code == 200
        close_site(app)

The database is SQLite in ``tmp_path``, or a fresh schema in the PostgreSQL database named by the
``OFFICIUM_TEST_DATABASE_URL`` environment variable.
"""

from __future__ import annotations

import os
import re
import types
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from starlette.testclient import TestClient

from officium.core.app import OfficiumApp, create_app
from officium.core.config import SiteConfig, write_config
from officium.core.db import write_transaction
from officium.core.identity.accounts import create_user, grant_role
from officium.core.identity.models import Unit, User
from officium.core.loader import LoadedPlugin
from officium.core.migrations_runner import upgrade
from officium.core.plugin_info import PluginInfo

TEST_PASSWORD = "Test@Pass1"
TEST_DATABASE_ENV = "OFFICIUM_TEST_DATABASE_URL"


class FakeClock:
    """An injectable clock: ``clock()`` returns the current fake time; ``advance()`` moves it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def make_plugin(
    name: str,
    hooks: Any,
    *,
    title: str | None = None,
    area: str = "政务管理",
    requires: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> LoadedPlugin:
    """A plugin that is not installed: ``hooks`` is any object carrying ``@hookimpl`` functions."""
    info = PluginInfo(
        name=name, title=title or name, area=area, requires=tuple(requires), optional=tuple(optional)
    )
    package = types.ModuleType(f"test_plugin_{name}")
    package.PLUGIN = info  # type: ignore[attr-defined]
    return LoadedPlugin(info=info, package=package, hooks=hooks)


def database_url_for_test(site_dir: Path) -> tuple[str, str | None]:
    """The database URL for a test site and the PostgreSQL schema created for it (None on SQLite)."""
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        return "sqlite:///data/officium.db", None
    schema = f"t_{uuid.uuid4().hex[:16]}"
    import psycopg

    with psycopg.connect(re.sub(r"^postgres(ql)?://", "postgresql://", base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}search_path={schema}", schema


def drop_test_schema(schema: str | None) -> None:
    """Remove a PostgreSQL schema made by :func:`database_url_for_test`."""
    if schema is None:
        return
    import psycopg

    base = os.environ[TEST_DATABASE_ENV]
    with psycopg.connect(re.sub(r"^postgres(ql)?://", "postgresql://", base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_site(
    site_dir: Path,
    *,
    plugins: Sequence[str] = (),
    extra_plugins: Sequence[LoadedPlugin] = (),
    clock: FakeClock | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
) -> OfficiumApp:
    """Create a site in ``site_dir`` with the given plugins enabled, its schema upgraded; return its app."""
    url, schema = database_url_for_test(site_dir)
    write_config(site_dir, database_url=url, enabled_plugins=list(plugins))
    if settings:
        with (site_dir / "officium.toml").open("a", encoding="utf-8") as fh:
            for plugin, values in settings.items():
                fh.write(f"\n[plugins.{plugin}]\n")
                for key, value in values.items():
                    fh.write(f"{key} = {_toml(value)}\n")
    config = SiteConfig.load(site_dir)
    app = create_app(config, clock=clock or FakeClock(), extra_plugins=extra_plugins, check_schema=False)
    upgrade(app)
    app.test_schema = schema  # type: ignore[attr-defined]
    return app


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def close_site(app: OfficiumApp) -> None:
    """Close the app's database and drop its PostgreSQL test schema."""
    if app.db is not None:
        if hasattr(app.db, "close_all"):
            app.db.close_all()
        else:
            app.db.close()
    drop_test_schema(getattr(app, "test_schema", None))


def add_unit(
    app: OfficiumApp, code: str, name: str | None = None, kind: str = "department", parent: Unit | None = None
) -> Unit:
    """Create an organisational unit."""
    with write_transaction(app.db):
        return Unit.create(code=code, name=name or code, kind=kind, parent=parent)


def add_user(
    app: OfficiumApp,
    username: str,
    *,
    name: str | None = None,
    unit: Unit | None = None,
    roles: Sequence[str | tuple[str, Unit | None]] = (),
    password: str = TEST_PASSWORD,
    totp: bool | None = None,
) -> User:
    """Create an active user with ``password`` and the given roles (``"clerk"`` or ``("clerk", unit)``).

    Administrators (三员) are enrolled in TOTP unless ``totp=False``; :func:`login` then supplies the code.
    """
    with write_transaction(app.db):
        user, _ = create_user(username, name or username, app.clock(), unit=unit, password=password)
        names = set()
        for role in roles:
            role_name, role_unit = (role, unit) if isinstance(role, str) else role
            grant_role(app.registry, user, role_name, role_unit)
            names.add(role_name)
        if totp or (totp is None and any(app.registry.roles[r].admin for r in names)):
            enrol_totp(app, user)
    return user


def enrol_totp(app: OfficiumApp, user: User) -> str:
    """Bind a TOTP secret to ``user`` (remembered for :func:`login`) and return it."""
    from officium.core.identity import totp as totp_module

    secret = totp_module.new_secret()
    code = pyotp.TOTP(secret).at(app.clock())
    if not totp_module.enable(user, secret, code, app.clock(), app.config.secret):
        raise AssertionError("TOTP enrolment failed")
    app.test_totp_secrets = {**getattr(app, "test_totp_secrets", {}), user.username: secret}  # type: ignore[attr-defined]
    return secret


def totp_code(app: OfficiumApp, username: str) -> str:
    """A fresh TOTP code for an enrolled test user; moves a FakeClock on if the current one was used."""
    secret = app.test_totp_secrets[username]  # type: ignore[attr-defined]
    user = User.get(User.username == username)
    if int(app.clock().timestamp()) // 30 <= user.totp_last_step and isinstance(app.clock, FakeClock):
        app.clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(app.clock())


@contextmanager
def app_client(app: OfficiumApp, **kwargs: Any) -> Iterator[TestClient]:
    """A test client that runs the app's lifespan (start-up and shut-down hooks)."""
    kwargs.setdefault("base_url", "http://testserver")
    with TestClient(app.asgi(), **kwargs) as client:
        yield client


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a rendered page."""
    match = _CSRF.search(html)
    if match is None:
        raise AssertionError("page has no CSRF field")
    return match.group(1)


def login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> str:
    """Sign in through the login form; return the session's CSRF token for later form posts.

    For a user enrolled with :func:`enrol_totp` (every administrator made by :func:`add_user`) the
    current TOTP code is filled in too.
    """
    app = client.app.state.officium  # type: ignore[attr-defined]
    code = totp_code(app, username) if username in getattr(app, "test_totp_secrets", {}) else ""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "code": code},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise AssertionError(f"login of {username} failed: {response.status_code}")
    return session_csrf(client)


def session_csrf(client: TestClient) -> str:
    """The CSRF token of the client's current session, read from a page that renders a form."""
    return csrf_from(client.get("/password").text)
