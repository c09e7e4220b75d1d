"""``officium backup`` and ``officium restore``: an online backup taken while another thread keeps writing,
restored into an empty site and verified; a damaged backup and a non-empty target are refused and change
nothing; the scheduled backup keeps ``[backup] keep`` copies.

SQLite by default; on PostgreSQL (OFFICIUM_TEST_DATABASE_URL) the source is the test schema and every
restore target is a fresh schema of its own (``database_url_for_test``), reached through a scratch database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from officium.cli import main
from officium.core import audit, files
from officium.core.app import OfficiumApp, create_app
from officium.core.audit import AuditEntry
from officium.core.backup import (
    MANIFEST,
    BackupError,
    create_backup,
    list_backups,
    read_manifest,
    restore_backup,
)
from officium.core.config import SiteConfig, write_config
from officium.core.db import database, write_transaction
from officium.core.errors import ConfigError
from officium.core.jobs import run_due_jobs
from officium.testing import (
    FakeClock,
    add_unit,
    add_user,
    close_site,
    database_url_for_test,
    drop_test_schema,
    make_site,
)
from tests.core.plugin_dists import close_apps, track_apps


class Writer(threading.Thread):
    """Keeps writing (an attachment and an audit row per transaction) until told to stop."""

    def __init__(self, app: OfficiumApp, user: Any) -> None:
        super().__init__(daemon=True)
        self.app, self.user = app, user
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                with write_transaction(self.app.db):
                    files.save_upload(
                        self.app,
                        (f"记录{n}.txt", f"负载写入 {n} {self.name}".encode()),
                        owner=("core", "load", n),
                        user=self.user,
                    )
                    audit.record(self.app, "core.load_write", summary=f"负载写入 {n}")
                with self.cond:
                    self.written += 1
                    self.cond.notify_all()
        except BaseException as exc:  # surfaced by the test
            self.error = exc
            with self.cond:
                self.cond.notify_all()
        finally:
            self.app.db.close()

    def wait_for(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.written >= count or self.error is not None, timeout=60)
        assert self.error is None, self.error


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficiumApp]:
    app = make_site(tmp_path_factory.mktemp("source"), clock=FakeClock())
    unit = add_unit(app, "BGS", "办公室")
    app.test_user = add_user(app, "zhang", name="张三", unit=unit)  # type: ignore[attr-defined]
    with write_transaction(app.db):
        files.save_upload(
            app, ("通知.txt", "初始附件".encode()), owner=("core", "load", 0), user=app.test_user
        )  # type: ignore[attr-defined]
        audit.record(app, "core.load_write", summary="初始")
    yield app
    close_site(app)


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[Any]:
    """``targets()`` gives an empty site folder: on PostgreSQL with an officium.toml naming a fresh schema."""
    schemas: list[str | None] = []

    def make() -> Path:
        folder = tmp_path / f"target{len(schemas)}"
        url, schema = database_url_for_test(folder)
        schemas.append(schema)
        if schema is not None:
            write_config(folder, database_url=url, enabled_plugins=[])
        return folder

    yield make
    for schema in schemas:
        drop_test_schema(schema)


@pytest.fixture(scope="module")
def loaded_backup(source: OfficiumApp, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A backup taken while a writer thread commits; the live audit count once the writer stopped."""
    writer = Writer(source, source.test_user)  # type: ignore[attr-defined]
    writer.start()
    try:
        writer.wait_for(5)
        made = create_backup(source, tmp_path_factory.mktemp("backups"))
        writer.wait_for(writer.written + 3)  # and it goes on writing after the snapshot
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    database.initialize(source.db)
    return made, AuditEntry.select().count()


def test_backup_under_load_restores_into_an_empty_site_and_verifies(
    source: OfficiumApp, loaded_backup: tuple[Path, int], targets: Any
) -> None:
    made, live_audit_rows = loaded_backup
    manifest = read_manifest(made)
    # the snapshot is one moment: fewer audit rows than the writer went on to commit, head and rows agree
    assert 5 <= manifest["tables"]["core_audit"] < live_audit_rows
    assert manifest["tables"]["core_audit_head"] == 1
    assert manifest["database"]["kind"] in ("sqlite", "postgresql")
    core = next(p for p in manifest["plugins"] if p["name"] == "core")
    assert core["head"] and core["head"] == core["migrations"][-1]
    assert manifest["created_at"] == "2026-03-02T09:00:00"
    blobs = {p.name for p in (made / "files").rglob("*") if p.is_file()}
    assert manifest["attachments"]["referenced"] <= len(blobs)
    assert all(rel in manifest["files"] for rel in ("officium.toml", manifest["database"]["file"]))

    target = targets()
    progress: list[str] = []
    report = restore_backup(made, target, progress=progress.append)
    assert report.ok, report.lines()
    text = "\n".join(report.lines())
    assert "各表行数与清单一致" in text and "哈希链校验通过" in text and "附件完整" in text
    assert "迁移是最新的" in text
    assert progress and "正在校验恢复后的站点……" in progress

    # the restored site opens normally and holds exactly the snapshot
    restored = create_app(SiteConfig.load(target), clock=FakeClock())
    try:
        assert AuditEntry.select().count() == manifest["tables"]["core_audit"]
        # each writer transaction made an attachment and an audit row: none is there without the other
        writes = AuditEntry.select().where(AuditEntry.action == "core.load_write").count()
        assert files.Attachment.select().count() == writes == manifest["tables"]["core_attachment"]
        shas = {a.sha256 for a in files.Attachment.select()}
        assert all(files.blob_path(restored, sha).is_file() for sha in shas)
    finally:
        restored.db.close_all() if hasattr(restored.db, "close_all") else restored.db.close()
        database.initialize(source.db)


def test_a_flipped_byte_is_refused_and_nothing_is_written(
    loaded_backup: tuple[Path, int], targets: Any, tmp_path: Path
) -> None:
    made, _ = loaded_backup
    damaged = tmp_path / "damaged" / made.name
    shutil.copytree(made, damaged)
    db_file = damaged / read_manifest(made)["database"]["file"]
    data = bytearray(db_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    db_file.write_bytes(bytes(data))
    target = targets()
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) if target.exists() else []
    with pytest.raises(BackupError, match="校验和不符"):
        restore_backup(damaged, target)
    after = sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) if target.exists() else []
    assert after == before
    # a file added to the backup is refused too
    shutil.copytree(made, tmp_path / "extra" / made.name)
    (tmp_path / "extra" / made.name / "files" / "ab").mkdir(exist_ok=True)
    (tmp_path / "extra" / made.name / "files" / "ab" / "x").write_bytes(b"x")
    with pytest.raises(BackupError, match="多出清单中没有的文件"):
        restore_backup(tmp_path / "extra" / made.name, target)


def test_restoring_into_a_site_with_data_is_refused_and_changes_nothing(
    source: OfficiumApp, loaded_backup: tuple[Path, int], targets: Any
) -> None:
    made, _ = loaded_backup
    database.initialize(source.db)
    counts = (AuditEntry.select().count(), files.Attachment.select().count())
    with pytest.raises(BackupError, match="数据库不是空的"):
        restore_backup(made, source.config.site_dir)
    database.initialize(source.db)
    assert (AuditEntry.select().count(), files.Attachment.select().count()) == counts
    assert audit.verify_chain(source).ok

    # an empty database but files in the attachment folder: refused as well
    target = targets()
    stray = target / "data" / "files" / "00" / "leftover"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"old")
    if not (target / "officium.toml").exists():
        shutil.copyfile(made / "officium.toml", target / "officium.toml")
    with pytest.raises(BackupError, match="附件目录"):
        restore_backup(made, target)
    assert [p.name for p in (target / "data").rglob("*") if p.is_file()] == ["leftover"]


def test_cli_backup_and_restore(
    source: OfficiumApp, targets: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = track_apps(monkeypatch)
    runner = CliRunner()
    try:
        done = runner.invoke(
            main, ["--site", str(source.config.site_dir), "backup", "--to", str(tmp_path / "b")]
        )
        assert done.exit_code == 0, done.output
        path = Path(done.stdout.strip().splitlines()[-1])
        assert path.parent == tmp_path / "b" and (path / MANIFEST).is_file()
        assert "数据库快照完成" in done.stderr and "备份完成" in done.stderr

        target = targets()
        done = runner.invoke(main, ["restore", str(path), "--site", str(target)])
        assert done.exit_code == 0, done.output
        assert "恢复完成，校验全部通过" in done.stdout and "✗" not in done.stdout

        again = runner.invoke(main, ["restore", str(path), "--site", str(target)])
        assert again.exit_code == 1
        assert "数据库不是空的" in again.output and "未做任何改动" in again.output

        missing = runner.invoke(main, ["restore", str(tmp_path), "--site", str(targets())])
        assert missing.exit_code == 1 and "不是 Officium 备份" in missing.output
    finally:
        close_apps(apps)
        database.initialize(source.db)


def _scheduled_site(source: OfficiumApp, tmp_path: Path, section: str) -> OfficiumApp:
    toml = source.config.site_dir / "officium.toml"
    copy = tmp_path / "scheduled"
    copy.mkdir()
    (copy / "officium.toml").write_text(toml.read_text(encoding="utf-8") + section, encoding="utf-8")
    if source.config.database_url.startswith("sqlite"):  # the same database file, through the copy's config
        text = (copy / "officium.toml").read_text(encoding="utf-8")
        absolute = f"sqlite:///{source.config.site_dir / 'data' / 'officium.db'}"
        (copy / "officium.toml").write_text(
            text.replace("sqlite:///data/officium.db", absolute), encoding="utf-8"
        )
    (copy / "data").symlink_to(source.config.data_dir)
    return create_app(SiteConfig.load(copy), clock=FakeClock(datetime(2026, 3, 2, 3, 0)))


def test_the_scheduled_backup_keeps_the_newest_n(source: OfficiumApp, tmp_path: Path) -> None:
    app = _scheduled_site(
        source, tmp_path, f'\n[backup]\ndir = "{tmp_path / "nightly"}"\nkeep = 2\ncron = "0 3 * * *"\n'
    )
    try:
        assert "core.backup" in app.registry.jobs
        day = datetime(2026, 3, 2, 3, 0)
        for n in range(4):
            app.clock.now = day + timedelta(days=n)  # type: ignore[attr-defined]
            outcomes = {o.name: o for o in run_due_jobs(app)}
            assert outcomes["core.backup"].ok, outcomes["core.backup"].message
        kept = list_backups(tmp_path / "nightly")
        assert [p.name for p in kept] == ["officium-20260304-030000", "officium-20260305-030000"]
        assert "删除了 1 份旧备份" in outcomes["core.backup"].message
        # not due again the same day
        assert "core.backup" not in {o.name for o in run_due_jobs(app, day + timedelta(days=3, hours=1))}
    finally:
        app.db.close_all() if hasattr(app.db, "close_all") else app.db.close()
        database.initialize(source.db)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("[backup]\nkeep = 0\n", "keep（保留份数）应为 1–1000"),
        ('[backup]\ncron = "every night"\n', "cron 不合法"),
        ('[backup]\nkeep = "7"\n', "keep 应为整数"),
        ('[backup]\nfolder = "/x"\n', "未知的配置项：folder"),
    ],
)
def test_backup_settings_are_checked(tmp_path: Path, section: str, message: str) -> None:
    write_config(tmp_path, database_url="sqlite:///data/officium.db", enabled_plugins=[])
    with (tmp_path / "officium.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + section)
    with pytest.raises(ConfigError, match=message):
        SiteConfig.load(tmp_path)


def test_no_backup_section_means_no_job(source: OfficiumApp) -> None:
    assert source.config.backup is None
    assert "core.backup" not in source.registry.jobs


def test_backup_folder_is_private_and_manifest_lists_every_file(loaded_backup: tuple[Path, int]) -> None:
    made, _ = loaded_backup
    manifest = json.loads((made / MANIFEST).read_text(encoding="utf-8"))
    on_disk = {p.relative_to(made).as_posix() for p in made.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest["files"]) == on_disk
    assert (made / "officium.toml").stat().st_mode & 0o077 == 0
    if manifest["database"]["kind"] == "sqlite":
        conn = sqlite3.connect(made / manifest["database"]["file"])
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()


def test_a_restore_whose_checks_fail_exits_1(
    source: OfficiumApp,
    loaded_backup: tuple[Path, int],
    targets: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The manifest promises one audit row more than the database holds: the count check fails."""
    made, _ = loaded_backup
    wrong = tmp_path / "wrong" / made.name
    shutil.copytree(made, wrong)
    manifest = json.loads((wrong / MANIFEST).read_text(encoding="utf-8"))
    manifest["tables"]["core_audit"] += 1
    (wrong / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    apps = track_apps(monkeypatch)
    try:
        done = CliRunner().invoke(main, ["restore", str(wrong), "--site", str(targets())])
    finally:
        close_apps(apps)
        database.initialize(source.db)
    assert done.exit_code == 1
    assert "✗ 行数与清单不符：core_audit" in done.stdout
    assert "哈希链校验通过" in done.stdout  # the other checks still ran and passed
    assert "恢复后的校验未通过" in done.stderr


def test_restore_puts_the_attachments_into_the_configured_files_dir(
    loaded_backup: tuple[Path, int], targets: Any, tmp_path: Path
) -> None:
    made, _ = loaded_backup
    target = targets()
    shared = tmp_path / "shared-files"
    shared.mkdir()
    config_file = target / "officium.toml"
    if config_file.exists():  # PostgreSQL: the fixture named the target's schema already
        config_file.write_text(f'files_dir = "{shared}"\n' + config_file.read_text(encoding="utf-8"))
    else:
        write_config(
            target,
            database_url="sqlite:///data/officium.db",
            enabled_plugins=[],
            extra=f'files_dir = "{shared}"\n',
        )
    report = restore_backup(made, target)
    assert report.ok, report.lines()
    restored = sorted(p.name for p in shared.rglob("*") if p.is_file())
    backed_up = sorted(p.name for p in (made / "files").rglob("*") if p.is_file())
    assert restored == backed_up and restored
    assert not (target / "data" / "files").exists() or not any((target / "data" / "files").rglob("*"))


@pytest.mark.parametrize("rel", ["../outside.txt", "/etc/passwd", "files/../../x", "a\\..\\b"])
def test_a_manifest_naming_a_path_outside_the_backup_is_refused(
    loaded_backup: tuple[Path, int], targets: Any, tmp_path: Path, rel: str
) -> None:
    made, _ = loaded_backup
    crafted = tmp_path / "crafted" / made.name
    shutil.copytree(made, crafted)
    manifest = read_manifest(crafted)
    manifest["files"][rel] = "0" * 64
    (crafted / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target = targets()
    with pytest.raises(BackupError, match="备份目录之外的路径"):
        restore_backup(crafted, target)
    assert not (target / "data").exists()
