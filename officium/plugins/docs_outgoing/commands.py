"""``officium docs_outgoing ...``: import an external exchange package into a unit's 收文."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def register(cli: Any, app: Any) -> None:
    @cli.group("docs_outgoing")
    def group() -> None:
        """局发文：对外分发包。"""

    @group.command("import-package")
    @click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--unit", "unit_code", required=True, help="接收单位的代码。")
    @click.option("--user", "username", required=True, help="登记人的用户名。")
    @click.option("--confirm-duplicate", is_flag=True, help="同一来文字号已登记过时仍然登记。")
    def import_package(package: Path, unit_code: str, username: str, confirm_duplicate: bool) -> None:
        """把外单位的局发文分发包（ZIP）登记到某单位的收文。"""
        from officium.core.db import write_transaction
        from officium.core.identity.models import Unit, User
        from officium.plugins.docs_outgoing import distribution

        unit = Unit.get_or_none(Unit.code == unit_code)
        user = User.get_or_none((User.username == username) & (User.status == "active"))
        if unit is None:
            raise click.ClickException(f"找不到单位 {unit_code}。")
        if user is None:
            raise click.ClickException(f"找不到在岗用户 {username}。")
        try:
            with write_transaction(app.db):
                incoming = distribution.import_package(
                    app, package.read_bytes(), unit=unit, actor=user, confirm_duplicate=confirm_duplicate
                )
        except ValueError as exc:
            fields = getattr(exc, "fields", {}) or {}
            raise click.ClickException(
                "；".join(fields.values()) or getattr(exc, "message", str(exc))
            ) from exc
        click.echo(f"已登记到{unit.name}收文：{incoming.number}《{incoming.title}》")
