"""``officium leave import-records FILE`` and ``officium leave rollover --year Y``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from officium.cli import main
from officium.plugins.leave.models import HrRecord, LeaveAdjustment

from .conftest import Site


@pytest.fixture
def cli(site: Site, monkeypatch):
    monkeypatch.setattr("officium.cli.load_app", lambda ctx, check_schema=True: site.app)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["--site", str(site.app.config.site_dir), *args])


def test_import_records_all_or_nothing(site: Site, cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "用户名,参加工作时间,本单位起算日,职级\nzhangsan,1999-07-01,,处级\nnobody,2000-01-01,,\nlisi,明天,,\n",
        encoding="utf-8",
    )
    result = cli("leave", "import-records", str(bad))
    assert result.exit_code == 1
    assert "第 3 行：没有用户 nobody" in result.output and "第 4 行" in result.output
    zhangsan = site("zhangsan").user
    record = HrRecord.get_or_none(HrRecord.user == zhangsan)
    assert record is None or record.rank != "处级"
    good = tmp_path / "good.csv"
    good.write_text(
        "用户名,参加工作时间,本单位起算日,职级\nkeyuan,2003-07-01,2010-05-01,科级及以下\n", encoding="utf-8"
    )
    result = cli("leave", "import-records", str(good))
    assert result.exit_code == 0, result.output
    assert "已导入 1 人" in result.output
    assert str(HrRecord.get(HrRecord.user == site("keyuan").user).work_start) == "2003-07-01"


def test_rollover_command(site: Site, cli):
    site.set_record("zhaoliu", "2000-01-01")
    result = cli("leave", "rollover", "--year", "2024")
    assert result.exit_code == 0, result.output
    assert "2024 年度已结转" in result.output
    row = LeaveAdjustment.get((LeaveAdjustment.user == site("zhaoliu").user) & (LeaveAdjustment.year == 2025))
    assert (row.kind, row.days) == ("carry", 5)
    again = cli("leave", "rollover", "--year", "2024")
    assert "0 人" in again.output
