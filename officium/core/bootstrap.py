"""Creating a new site and seeding the demo bureau."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from officium.core.app import OfficiumApp, create_app
from officium.core.config import SiteConfig, write_config
from officium.core.db import write_transaction
from officium.core.identity.accounts import create_unit, create_user, grant_role
from officium.core.identity.models import Unit
from officium.core.migrations_runner import upgrade

#: The three administrators every site starts with (三员分立): separate accounts, no superuser.
ADMIN_ACCOUNTS = (
    ("sysadmin", "系统管理员", "sysadmin"),
    ("secadmin", "安全保密管理员", "secadmin"),
    ("auditor", "安全审计员", "auditor"),
)

DEMO_PASSWORD = "Demo@2026"


@dataclass(frozen=True)
class Credential:
    """A login to show once: who, and the password to use."""

    username: str
    name: str
    role: str
    password: str


def init_site(
    site_dir: Path,
    *,
    database_url: str = "sqlite:///data/officium.db",
    enabled_plugins: list[str] | None = None,
    site_name: str = "办公自动化系统",
    admin_password: str | None = None,
    extra_config: str = "",
    echo: Callable[[str], None] = lambda _: None,
) -> tuple[OfficiumApp, list[Credential]]:
    """Write officium.toml, create the schema and the three administrators.

    Each administrator gets a one-time password that must be changed at first sign-in, unless
    ``admin_password`` is given (the demo uses a known one).
    """
    write_config(
        site_dir,
        database_url=database_url,
        enabled_plugins=enabled_plugins or [],
        site_name=site_name,
        extra=extra_config,
    )
    config = SiteConfig.load(site_dir)
    app = create_app(config, check_schema=False)
    for plugin, names in upgrade(app).items():
        for name in names:
            echo(f"  已执行迁移 {plugin}/{name}")
    credentials = []
    now = app.clock()
    with write_transaction(app.db):
        for username, name, role in ADMIN_ACCOUNTS:
            user, one_time = create_user(username, name, now, password=admin_password)
            grant_role(app.registry, user, role)
            credentials.append(
                Credential(username, name, app.registry.roles[role].title, one_time or admin_password or "")
            )
    return app, credentials


def seed_demo(app: OfficiumApp, echo: Callable[[str], None] = lambda _: None) -> list[Credential]:
    """Create the demo bureau's units and staff (all with the demo password); return sample logins."""
    from officium.core import demo_data

    problems = demo_data.check()
    if problems:
        raise ValueError("演示数据有误：" + "；".join(problems))
    now = app.clock()
    units: dict[str, Unit] = {}
    samples: list[Credential] = []
    shown: set[str] = set()
    with write_transaction(app.db):
        for spec in demo_data.DEMO_UNITS:
            units[spec.code] = create_unit(
                spec.code, spec.name, spec.kind, units.get(spec.parent), spec.order
            )
        echo(f"  已创建 {len(units)} 个单位")
        for spec in demo_data.DEMO_USERS:
            user, _ = create_user(
                spec.username,
                spec.name,
                now,
                unit=units[spec.unit],
                position=spec.position,
                password=DEMO_PASSWORD,
            )
            for role, unit_code in spec.roles:
                grant_role(app.registry, user, role, units[unit_code])
            first_role = spec.roles[0][0] if spec.roles else "staff"
            if first_role not in shown:
                shown.add(first_role)
                title = app.registry.roles[first_role].title
                samples.append(
                    Credential(spec.username, spec.name, f"{title}（{spec.position}）", DEMO_PASSWORD)
                )
        echo(f"  已创建 {len(demo_data.DEMO_USERS)} 个用户")
        app.hook.seed_demo(app=app)
    return samples
