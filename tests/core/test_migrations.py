"""Per-plugin migrations: the server refuses an out-of-date schema, and the CLI brings it up to date.

The plugins are installed through real entry points (``plugin_dists``) so that the CLI finds them from
officium.toml; the sites use the test database (PostgreSQL schema or SQLite).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

import officium.core.app
from officium.cli import main
from officium.core.app import OfficiumApp
from officium.core.config import SiteConfig
from officium.core.db import database
from officium.core.errors import MigrationPending
from officium.core.migrations_runner import history_table, schema_status, upgrade
from officium.testing import FakeClock, close_site, make_site
from tests.core.plugin_dists import PluginDists, close_apps, track_apps


def model_files(plugin: str, table: str) -> dict[str, str]:
    """``models.py`` and ``hooks.py`` of a plugin owning one table ``<plugin>_<table>``."""
    return {
        "models.py": f"""
            from peewee import CharField

            from officium.core.db import BaseModel


            class Record(BaseModel):
                title = CharField(max_length=100)

                class Meta:
                    table_name = "{plugin}_{table}"
            """,
        "hooks.py": """
            from officium import hookimpl

            from . import models


            @hookimpl
            def register_models(app):
                return [models.Record]
            """,
    }


def create_migration(plugin: str, table: str) -> str:
    return f"""
        from peewee import *


        def up(migrator, db):
            class Record(Model):
                title = CharField(max_length=100)

                class Meta:
                    database = db
                    table_name = "{plugin}_{table}"

            db.create_tables([Record])
        """


def add_column_migration(table: str, column: str) -> str:
    return textwrap.dedent(f"""
        from peewee import *


        def up(migrator, db):
            migrator.migrate(migrator.add_column("{table}", "{column}", TextField(default="")))
        """)


class Sites:
    """Plugins with migrations, sites using them, and the ``officium`` command on those sites."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.dists = PluginDists(tmp_path / "dists", monkeypatch)
        self.cli_apps = track_apps(monkeypatch)
        self.sites: list[OfficiumApp] = []
        self.site_dir = tmp_path / "site"

    def plugin(self, name: str, *, migrations: bool = True) -> Path:
        """Install plugin ``name`` owning table ``<name>_record``; return its migrations folder."""
        files = model_files(name, "record")
        hooks = files.pop("hooks.py")
        if migrations:
            files["migrations/0001_create.py"] = create_migration(name, "record")
        self.dists.add(name, hooks=hooks, files=files)
        return self.dists.directory(name) / "migrations"

    def make(self, plugins: list[str]) -> OfficiumApp:
        """The site, with every migration applied (as ``officium init`` would leave it)."""
        app = make_site(self.site_dir, plugins=plugins)
        self.sites.append(app)
        return app

    def start(self, check_schema: bool = True) -> OfficiumApp:
        """Start the site the way the server does."""
        return officium.core.app.create_app(
            SiteConfig.load(self.site_dir), clock=FakeClock(), check_schema=check_schema
        )

    def cli(self, *args: Any) -> Result:
        return CliRunner().invoke(main, ["--site", str(self.site_dir), *map(str, args)])

    def close(self) -> None:
        close_apps(self.cli_apps)
        if database.obj is not None:  # a start-up that raised MigrationPending opened it and returned nothing
            close_apps([SimpleNamespace(db=database.obj)])
        for app in self.sites:
            close_site(app)
        self.dists.forget_modules()


@pytest.fixture
def sites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sites]:
    made = Sites(tmp_path, monkeypatch)
    yield made
    made.close()


# --------------------------------------------------------------------------------- pending migrations


def test_pending_migration_stops_the_start_up(sites):
    folder = sites.plugin("notes")
    sites.make(["notes"])
    (folder / "0002_add_body.py").write_text(add_column_migration("notes_record", "body"), encoding="utf-8")
    with pytest.raises(MigrationPending) as caught:
        sites.start()
    message = str(caught.value)
    assert "插件 notes 有 1 个待执行的迁移（0002_add_body）" in message
    assert "`officium db upgrade`" in message


def test_serve_prints_the_message_and_refuses(sites, monkeypatch):
    folder = sites.plugin("notes")
    sites.make(["notes"])
    (folder / "0002_add_body.py").write_text(add_column_migration("notes_record", "body"), encoding="utf-8")
    served: list[Any] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    result = sites.cli("serve")
    assert result.exit_code != 0
    assert "插件 notes 有 1 个待执行的迁移（0002_add_body）" in result.output
    assert "officium db upgrade" in result.output
    assert "Traceback" not in result.output
    assert served == []


def test_db_status_lists_pending_and_upgrade_applies_them(sites, monkeypatch):
    folder = sites.plugin("notes")
    sites.make(["notes"])
    (folder / "0002_add_body.py").write_text(add_column_migration("notes_record", "body"), encoding="utf-8")
    status = sites.cli("db", "status")
    assert status.exit_code == 1
    assert "notes: 已执行 1 个，待执行 1 个" in status.output
    assert "  待执行 0002_add_body" in status.output
    assert "officium db upgrade" in status.output

    upgraded = sites.cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.splitlines() == ["已执行 notes/0002_add_body", "完成：执行了 1 个迁移。"]

    app = sites.start()
    assert "body" in [c.name for c in app.db.get_columns("notes_record")]
    assert sites.cli("db", "status").exit_code == 0
    served: list[Any] = []
    monkeypatch.setattr("officium.cli._serve", lambda *args: served.append(args))
    assert sites.cli("serve").exit_code == 0
    assert len(served) == 1


def test_db_upgrade_of_one_plugin_applies_only_its_migrations(sites):
    notes = sites.plugin("notes")
    memo = sites.plugin("memo")
    sites.make(["notes", "memo"])
    (notes / "0002_add_body.py").write_text(add_column_migration("notes_record", "body"), encoding="utf-8")
    (memo / "0002_add_body.py").write_text(add_column_migration("memo_record", "body"), encoding="utf-8")

    result = sites.cli("db", "upgrade", "--plugin", "notes")
    assert result.exit_code == 0, result.output
    assert "已执行 notes/0002_add_body" in result.output
    assert "memo" not in result.output

    app = sites.start(check_schema=False)
    pending = {s.plugin: s.pending for s in schema_status(app)}
    assert pending == {"core": [], "notes": [], "memo": ["0002_add_body"]}
    assert "body" in [c.name for c in app.db.get_columns("notes_record")]
    assert "body" not in [c.name for c in app.db.get_columns("memo_record")]
    with pytest.raises(MigrationPending, match="插件 memo 有 1 个待执行的迁移"):
        sites.start()


def test_db_upgrade_of_an_unknown_plugin_is_refused(sites):
    sites.plugin("notes")
    sites.make(["notes"])
    result = sites.cli("db", "upgrade", "--plugin", "ghost")
    assert result.exit_code == 1
    assert "插件 ghost 未启用或没有迁移目录" in result.output


def test_doctor_reports_pending_migrations(sites):
    folder = sites.plugin("notes")
    sites.make(["notes"])
    (folder / "0002_add_body.py").write_text(add_column_migration("notes_record", "body"), encoding="utf-8")
    result = sites.cli("plugins", "doctor")
    assert result.exit_code == 1
    assert "✓ 2 个插件加载成功：core, notes" in result.output
    assert "✗ notes 有待执行的迁移：0002_add_body" in result.output


# ------------------------------------------------------------------------------------------- history


def test_history_tables_are_per_plugin(sites):
    sites.plugin("notes")
    sites.plugin("memo")
    app = sites.make(["notes", "memo"])
    tables = set(app.db.get_tables())
    assert {"core_migrations", "notes_migrations", "memo_migrations"} <= tables
    assert "schema_migration" not in tables
    assert history_table("notes") == "notes_migrations"
    rows = app.db.execute_sql(f"SELECT name FROM {history_table('notes')}").fetchall()
    assert [r[0] for r in rows] == ["0001_create"]
    core_rows = [r[0] for r in app.db.execute_sql("SELECT name FROM core_migrations").fetchall()]
    assert "0001_initial" in core_rows
    assert "0001_create" not in core_rows


def test_a_failing_migration_leaves_nothing_behind(sites):
    folder = sites.plugin("notes")
    app = sites.make(["notes"])
    (folder / "0002_broken.py").write_text(
        """
from peewee import *


def up(migrator, db):
    class Scratch(Model):
        name = CharField()

        class Meta:
            database = db
            table_name = "notes_scratch"

    db.create_tables([Scratch])
    raise RuntimeError("migration failed half-way")
""",
        encoding="utf-8",
    )
    with pytest.raises(RuntimeError, match="half-way"):
        upgrade(app)
    assert "notes_scratch" not in app.db.get_tables()
    assert {s.plugin: s.pending for s in schema_status(app)}["notes"] == ["0002_broken"]


# ------------------------------------------------------------------------------- models without tables


def test_model_without_a_migration_stops_the_start_up(sites):
    sites.plugin("memo", migrations=False)
    sites.make(["memo"])
    with pytest.raises(MigrationPending) as caught:
        sites.start()
    message = str(caught.value)
    assert "插件 memo 注册的表 memo_record 在数据库中不存在" in message
    assert "`officium db generate --plugin memo 名称`" in message
    assert "`officium db upgrade`" in message


def test_db_generate_writes_a_migration_that_makes_the_site_start(sites):
    sites.plugin("memo", migrations=False)
    sites.make(["memo"])
    generated = sites.cli("db", "generate", "--plugin", "memo", "create records")
    assert generated.exit_code == 0, generated.output
    path = sites.dists.directory("memo") / "migrations" / "0001_create_records.py"
    assert generated.output.strip() == f"已生成 {path}"
    assert "memo_record" in path.read_text(encoding="utf-8")

    with pytest.raises(MigrationPending, match="插件 memo 有 1 个待执行的迁移（0001_create_records）"):
        sites.start()
    upgraded = sites.cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "已执行 memo/0001_create_records" in upgraded.output

    app = sites.start()
    assert "memo_record" in app.db.get_tables()
    again = sites.cli("db", "generate", "--plugin", "memo", "nothing")
    assert again.exit_code == 0
    assert "模型与数据库一致，无需迁移。" in again.output
    assert sorted(p.name for p in path.parent.glob("*.py")) == ["0001_create_records.py"]


def test_db_generate_for_a_plugin_that_is_not_enabled(sites):
    sites.plugin("memo", migrations=False)
    sites.make([])
    result = sites.cli("db", "generate", "--plugin", "memo", "x")
    assert result.exit_code == 1
    assert "插件 memo 未启用" in result.output
