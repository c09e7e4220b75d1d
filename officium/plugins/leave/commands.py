"""``officium leave ...``: HR's batch work from the command line — the yearly roll-over and importing the
HR records (参加工作时间, 本单位起算日, 职级) of many people from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from officium.core.admin.importer import ImportFileError, read_table
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.plugins.leave import admin, admin_pages
from officium.plugins.leave.requests import LeaveError

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: Columns of the HR record file, by header title.
COLUMNS = {
    "用户名": "username",
    "参加工作时间": "work_start",
    "本单位起算日": "service_start",
    "职级": "rank",
}


class _Refused(Exception):
    pass


def add_commands(cli: click.Group, app: OfficiumApp) -> None:
    @cli.group("leave")
    def leave() -> None:
        """休假管理：年度结转、导入人事信息。"""

    @leave.command("rollover")
    @click.option("--year", required=True, type=click.IntRange(2000, 2100), help="结转哪一年的未休年休假。")
    def rollover(year: int) -> None:
        """把某年度未休的年休假结转到下一年度（重复运行不会重复结转）。"""
        with write_transaction(app.db):
            carried = admin_pages.rollover(app, year, None, None)
        click.echo(f"{year} 年度已结转：{len(carried)} 人，共 {sum(d for _, d in carried):g} 天。")

    @leave.command("import-records")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def import_records(path: Path) -> None:
        """从 CSV 或 XLSX 导入人事信息（表头：用户名、参加工作时间、本单位起算日、职级）；有错误时全部不导入。"""
        try:
            rows = read_table(path)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from exc
        header = rows[0]
        missing = [title for title in ("用户名", "参加工作时间") if title not in header]
        if missing:
            raise click.ClickException(f"表头缺少：{'、'.join(missing)}。")
        index = {COLUMNS[t]: header.index(t) for t in COLUMNS if t in header}
        problems: list[str] = []
        count = 0
        try:
            with write_transaction(app.db):
                for number, row in enumerate(rows[1:], start=2):
                    if not any(row):
                        continue
                    data = {key: (row[i] if i < len(row) else "") for key, i in index.items()}
                    user = User.get_or_none(User.username == data["username"])
                    if user is None:
                        problems.append(f"第 {number} 行：没有用户 {data['username']}。")
                        continue
                    try:
                        admin.save_record(app, user, data, None)
                        count += 1
                    except LeaveError as exc:
                        problems.append(f"第 {number} 行：" + "；".join(exc.fields.values() or [exc.message]))
                if problems:
                    raise _Refused
        except _Refused:
            raise click.ClickException("没有导入任何记录：\n" + "\n".join(problems)) from None
        click.echo(f"已导入 {count} 人的人事信息。")
