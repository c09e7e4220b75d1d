"""``officium seal verify FILE``: tell whether a sealed PDF is authentic and unchanged (exit 0) or not (1)."""

from __future__ import annotations

from pathlib import Path

import click

from officium.plugins.seals import service


def register(cli: click.Group, app) -> None:
    @cli.group("seal")
    def seal() -> None:
        """电子印章：验章。"""

    @seal.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def verify(file: Path) -> None:
        """验证 FILE（加盖电子印章的 PDF）是否真实、盖章后是否被改动；通过时退出码为 0，否则为 1。"""
        result = service.verify_pdf(app, file.read_bytes())
        if result.ok:
            click.echo(f"验证通过：{result.message}")
        else:
            click.echo(f"验证未通过：{result.message}（{result.code}）")
        if result.seal_name:
            click.echo(f"印章：{result.seal_name}（{result.seal_kind}，{result.unit_name}）")
            click.echo(f"用印人：{result.signer_name}；盖章时间：{result.signed_at}")
            click.echo(f"算法：{result.algorithm}{'（非国密算法）' if result.non_gm else ''}")
        for note in result.notes:
            click.echo(note)
        raise SystemExit(0 if result.ok else 1)

    @seal.command("maker-key")
    def maker_key() -> None:
        """显示本站的制章密钥标识和公钥：其他站点把标识加入 [plugins.seals] trusted_makers 后可验本站的印章。"""
        from officium.core.db import write_transaction

        with write_transaction(app.db):
            key = service.maker_key(app)
        click.echo(f"制章密钥标识：{key.key_id}")
        click.echo(f"算法：{key.algorithm}（非国密算法）")
        click.echo(f"公钥（base64）：{key.public_key}")
