"""Online backup and verified restore of a site: the database, the attachment store and ``officium.toml``.

A backup is one folder ``officium-YYYYmmdd-HHMMSS`` holding

- ``database.sqlite3`` (SQLite's online backup API, from a connection of its own: one consistent snapshot
  taken while the site keeps writing) or ``database.pgdump`` (``pg_dump -Fc`` of the site's schema, run on a
  snapshot exported by a REPEATABLE READ transaction, so that the row counts and the list of referenced
  attachments come from the very same snapshot as the dump);
- ``files/<2 hex>/<sha256>``: the attachment blobs, copied *after* the snapshot, so every blob the snapshot
  refers to is already on disk (blobs are written before their row commits and never change; an extra blob
  is harmless);
- ``officium.toml`` (it holds the ``secret`` that TOTP secrets and seal keys depend on: keep backups private);
- ``manifest.json``: Officium's version, the plugins with their applied migrations, the database kind, the
  time (``app.clock()``), the row count of every table and the SHA-256 of every other file.

:func:`restore_backup` checks every checksum first, refuses a target site whose database has tables or whose
attachment folder has files, restores, then verifies the result (integrity and foreign keys, the audit hash
chain, the counts against the manifest, the attachments against their hashes, migrations current).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlparse, urlunparse

import officium
from officium.core.config import CONFIG_NAME, SiteConfig
from officium.core.errors import ConfigError, StartupError

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES = "files"
FORMAT = 1
_NAME = re.compile(r"^officium-\d{8}-\d{6}(-\d+)?$")
_CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore could not be made or was refused; the message (Chinese) says why and what to do."""


def _quiet(_: str) -> None:
    pass


# ------------------------------------------------------------------------------------------ databases


def database_kind(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise BackupError(f"不支持的数据库地址 {url!r}。")


def sqlite_file(config: SiteConfig) -> Path:
    """The SQLite database file of a site (as :func:`officium.core.db.open_database` resolves it)."""
    path = Path(unquote(config.database_url[len("sqlite:///") :]))
    return path if path.is_absolute() else config.site_dir / path


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL database URL split into what libpq tools take and the schema the site lives in."""

    url: str  # without ``?search_path=``
    schema: str

    @classmethod
    def of(cls, database_url: str) -> PgTarget:
        parsed = urlparse(database_url)
        query = dict(parse_qsl(parsed.query))
        schema = query.pop("search_path", "public").split(",")[0].strip() or "public"
        rest = "&".join(f"{k}={v}" for k, v in query.items())
        url = urlunparse(parsed._replace(scheme="postgresql", query=rest))
        return cls(url=url, schema=schema)

    def with_database(self, name: str) -> str:
        parsed = urlparse(self.url)
        return urlunparse(parsed._replace(path="/" + name))

    @property
    def database(self) -> str:
        return unquote(urlparse(self.url).path.lstrip("/"))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url, **kwargs)


def _pg_tables(conn: Any, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'"
        " ORDER BY table_name",
        (schema,),
    ).fetchall()
    return [r[0] for r in rows]


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _run(command: list[str], what: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"找不到 {command[0]}：请安装 PostgreSQL 客户端工具（Debian：apt install postgresql-client）。"
        )
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(
            f"{what}失败（{command[0]} 退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}"
        )
    return done


# --------------------------------------------------------------------------------------------- backup


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Snapshot:
    """What the database snapshot held: rows per table and the attachment digests its rows refer to."""

    counts: dict[str, int]
    referenced: set[str]
    extra: dict[str, Any] = field(default_factory=dict)


def _snapshot_sqlite(config: SiteConfig, target: Path, progress: Progress) -> Snapshot:
    source_path = sqlite_file(config)
    if not source_path.is_file():
        raise BackupError(f"找不到数据库文件 {source_path}。")
    progress(f"正在备份数据库（SQLite 在线备份）：{source_path}")
    # A connection of our own, outside the app's: one step copies every page under one read transaction,
    # which in WAL mode never blocks the writers, so the copy is a single consistent snapshot.
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
    try:
        copy.execute("PRAGMA journal_mode=DELETE")
        counts = {
            t: copy.execute(f"SELECT count(*) FROM {_ident(t)}").fetchone()[0] for t in _sqlite_tables(copy)
        }
        referenced = set()
        if "core_attachment" in counts:
            referenced = {r[0] for r in copy.execute("SELECT DISTINCT sha256 FROM core_attachment")}
    finally:
        copy.close()
    return Snapshot(counts, referenced)


def _snapshot_postgresql(config: SiteConfig, target: Path, progress: Progress) -> Snapshot:
    pg = PgTarget.of(config.database_url)
    progress(f"正在备份数据库（pg_dump，模式 {pg.schema}）：{pg.database}")
    with _pg_connect(pg.url) as conn:
        # The dump, the counts and the referenced attachments all read one exported snapshot.
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        schema = _ident(pg.schema)
        tables = _pg_tables(conn, pg.schema)
        counts = {t: conn.execute(f"SELECT count(*) FROM {schema}.{_ident(t)}").fetchone()[0] for t in tables}
        referenced = set()
        if "core_attachment" in counts:
            rows = conn.execute(f"SELECT DISTINCT sha256 FROM {schema}.core_attachment").fetchall()
            referenced = {r[0] for r in rows}
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--schema={pg.schema}",
                f"--file={target}",
                f"--dbname={pg.url}",
            ],
            "pg_dump 导出数据库",
        )
        conn.rollback()
    return Snapshot(counts, referenced, {"schema": pg.schema})


def _copy_blobs(source_root: Path, target_root: Path, progress: Progress) -> int:
    blobs = [p for p in source_root.glob("??/*") if p.is_file() and re.fullmatch(r"[0-9a-f]{64}", p.name)]
    for index, blob in enumerate(blobs, 1):
        dest = target_root / blob.parent.name / blob.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blob, dest)
        if index % 500 == 0:
            progress(f"已复制附件 {index}/{len(blobs)}")
    return len(blobs)


def _backup_name(root: Path, now: datetime) -> str:
    base = f"officium-{now:%Y%m%d-%H%M%S}"
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def plugin_heads(app: OfficiumApp) -> list[dict[str, Any]]:
    """Each loaded plugin with its version and applied migrations (the last one is its head)."""
    from officium.core.migrations_runner import schema_status

    applied = {s.plugin: s.applied for s in schema_status(app)}
    return [
        {
            "name": p.name,
            "version": p.info.version,
            "migrations": applied.get(p.name, []),
            "head": (applied.get(p.name) or [None])[-1],
        }
        for p in app.plugins
    ]


def create_backup(app: OfficiumApp, to: Path | None = None, progress: Progress = _quiet) -> Path:
    """Back the site up, online, into a new folder under ``to`` (default ``<site>/data/backups``)."""
    from officium.core.files import files_dir

    config = app.config
    kind = database_kind(config.database_url)
    root = Path(to) if to is not None else config.data_dir / "backups"
    root.mkdir(parents=True, exist_ok=True)
    now = app.clock()
    name = _backup_name(root, now)
    work = root / f".{name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        db_file = work / (SQLITE_FILE if kind == "sqlite" else PG_FILE)
        if kind == "sqlite":
            snap = _snapshot_sqlite(config, db_file, progress)
        else:
            snap = _snapshot_postgresql(config, db_file, progress)
        progress(f"数据库快照完成：{len(snap.counts)} 张表，{sum(snap.counts.values())} 行。正在复制附件……")
        blob_count = _copy_blobs(files_dir(app), work / FILES, progress)
        missing = sorted(sha for sha in snap.referenced if not (work / FILES / sha[:2] / sha).is_file())
        if missing:
            raise BackupError(
                f"有 {len(missing)} 个附件文件在附件库中找不到（例如 {missing[0]}），备份不完整。"
                "请运行 `officium files check` 查明。"
            )
        shutil.copyfile(config.site_dir / CONFIG_NAME, work / CONFIG_NAME)
        os.chmod(work / CONFIG_NAME, 0o600)
        progress(f"已复制附件 {blob_count} 个。正在计算校验和……")
        checksums = {
            p.relative_to(work).as_posix(): _sha256(p) for p in sorted(work.rglob("*")) if p.is_file()
        }
        manifest = {
            "format": FORMAT,
            "officium_version": officium.__version__,
            "created_at": now.isoformat(timespec="seconds"),
            "site_name": config.site_name,
            "database": {"kind": kind, "file": db_file.name, **snap.extra},
            "plugins": plugin_heads(app),
            "tables": snap.counts,
            "attachments": {"referenced": len(snap.referenced), "blobs": blob_count},
            "files": checksums,
        }
        with (work / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(work)
        final = root / name
        os.replace(work, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    progress(f"备份完成：{final}")
    return final


def list_backups(root: Path) -> list[Path]:
    """The complete backups (with a manifest) in ``root``, oldest first."""
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.iterdir() if p.is_dir() and _NAME.match(p.name) and (p / MANIFEST).is_file()
    )


def prune_backups(root: Path, keep: int) -> list[Path]:
    """Delete the oldest complete backups beyond the newest ``keep``; return the folders removed."""
    found = list_backups(root)
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def scheduled_backup(app: OfficiumApp) -> str:
    """The ``core.backup`` job: one backup into ``[backup] dir``, then the oldest beyond ``keep`` removed."""
    settings = app.config.backup
    assert settings is not None
    root = Path(settings.dir)
    if not root.is_absolute():
        root = app.config.site_dir / root
    made = create_backup(app, root)
    removed = prune_backups(root, settings.keep)
    return f"已备份到 {made}" + (
        f"；按保留 {settings.keep} 份删除了 {len(removed)} 份旧备份" if removed else ""
    )


def backup_jobs(app: OfficiumApp) -> list[Any]:
    """The periodic backup job when ``[backup]`` is configured."""
    from officium.core.registry import Job

    settings = app.config.backup
    if settings is None:
        return []
    return [Job("core.backup", scheduled_backup, cron=settings.cron, title="定期备份", timeout_minutes=240)]


# -------------------------------------------------------------------------------------------- restore


@dataclass
class Check:
    ok: bool
    text: str


@dataclass
class RestoreReport:
    """The checks a restore made, in order; ``ok`` when every one passed."""

    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> None:
        self.checks.append(Check(ok, text))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        return [f"{'✓' if c.ok else '✗'} {c.text}" for c in self.checks] + [f"! {w}" for w in self.warnings]


def read_manifest(backup: Path) -> dict[str, Any]:
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup} 不是 Officium 备份：没有 {MANIFEST}。")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} 已损坏，无法读取：{exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "files" not in manifest:
        raise BackupError(f"{path} 不是本版本能识别的备份清单。")
    # a crafted manifest must not make restore read or copy anything outside the backup folder
    named = [*manifest["files"], (manifest.get("database") or {}).get("file", "")]
    unsafe = [rel for rel in named if not _inside(rel)]
    if unsafe:
        raise BackupError(f"{path} 列出了备份目录之外的路径（{unsafe[0]}），拒绝使用这份备份。")
    return manifest


def _inside(rel: object) -> bool:
    """Whether a manifest path stays inside the backup folder: relative, no '..', no backslash."""
    if not isinstance(rel, str) or not rel or "\\" in rel:
        return False
    parts = PurePosixPath(rel)
    return not parts.is_absolute() and ".." not in parts.parts


def verify_checksums(backup: Path, manifest: dict[str, Any]) -> list[str]:
    """Problems found comparing the backup's files with the manifest (empty when all match)."""
    problems = []
    listed = manifest["files"]
    for rel, expected in sorted(listed.items()):
        path = backup / rel
        if not path.is_file():
            problems.append(f"缺少文件 {rel}")
        elif _sha256(path) != expected:
            problems.append(f"文件 {rel} 的校验和不符（已损坏或被改动）")
    present = {p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file()} - {MANIFEST}
    for rel in sorted(present - set(listed)):
        problems.append(f"多出清单中没有的文件 {rel}")
    return problems


def _target_tables(config: SiteConfig) -> list[str]:
    if database_kind(config.database_url) == "sqlite":
        path = sqlite_file(config)
        if not path.exists():
            return []
        conn = sqlite3.connect(path)
        try:
            return _sqlite_tables(conn)
        finally:
            conn.close()
    pg = PgTarget.of(config.database_url)
    with _pg_connect(pg.url) as conn:
        return _pg_tables(conn, pg.schema)


def check_empty(config: SiteConfig) -> None:
    """Refuse (BackupError) when the site's database has tables or its attachment folder has files."""
    tables = _target_tables(config)
    if tables:
        raise BackupError(
            f"目标站点 {config.site_dir} 的数据库不是空的（已有 {len(tables)} 张表，例如 {tables[0]}）。"
            "恢复只能写入空站点：请新建一个空数据库（或空模式）并在 officium.toml 中指向它，未做任何改动。"
        )
    blobs = config.files_path
    if blobs.is_dir() and any(p.is_file() for p in blobs.rglob("*")):
        raise BackupError(
            f"目标站点的附件目录 {blobs} 中已有文件。恢复只能写入空站点：请换一个空目录，未做任何改动。"
        )


def _restore_sqlite(config: SiteConfig, source: Path) -> None:
    target = sqlite_file(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):  # a stale log beside an empty file must not replay
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    temp = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, temp)
    with temp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, target)
    _fsync_dir(target.parent)


def _filtered_list(dump: Path, workdir: Path) -> Path:
    """pg_restore's table of contents without the CREATE SCHEMA entry (the target schema is made by us)."""
    listing = _run(["pg_restore", "--list", str(dump)], "读取备份目录").stdout
    kept = [line for line in listing.splitlines() if not re.search(r"\bSCHEMA - ", line)]
    path = workdir / "toc.list"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def _pg_restore_into(url: str, schema: str, dump: Path, workdir: Path) -> None:
    with _pg_connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--use-list={_filtered_list(dump, workdir)}",
            f"--dbname={url}",
            str(dump),
        ],
        "pg_restore 恢复数据库",
    )


def _restore_postgresql(config: SiteConfig, source: Path, source_schema: str) -> None:
    target = PgTarget.of(config.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if source_schema == target.schema:
            _pg_restore_into(target.url, target.schema, source, workdir)
            return
        # Another schema name: restore into a scratch database, rename the schema there, dump it again.
        scratch = f"officium_restore_{uuid.uuid4().hex[:12]}"
        with _pg_connect(target.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {_ident(scratch)}")
        try:
            scratch_url = target.with_database(scratch)
            _pg_restore_into(scratch_url, source_schema, source, workdir)
            with _pg_connect(scratch_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {_ident(target.schema)} CASCADE")
                conn.execute(f"ALTER SCHEMA {_ident(source_schema)} RENAME TO {_ident(target.schema)}")
            renamed = workdir / "renamed.pgdump"
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--schema={target.schema}",
                    f"--file={renamed}",
                    f"--dbname={scratch_url}",
                ],
                "pg_dump 导出改名后的模式",
            )
            _pg_restore_into(target.url, target.schema, renamed, workdir)
        finally:
            with _pg_connect(target.url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {_ident(scratch)}")


def restore_backup(
    backup: Path, site_dir: Path, progress: Progress = _quiet, clock: Callable[[], datetime] | None = None
) -> RestoreReport:
    """Restore ``backup`` into the empty site in ``site_dir``, then verify it; see the module docstring.

    A site folder without ``officium.toml`` receives the backup's copy (same secret, same settings).
    Raises :class:`BackupError`, changing nothing, when the backup is damaged or the site is not empty.
    """
    backup = Path(backup)
    manifest = read_manifest(backup)
    progress(f"正在校验备份 {backup}（{len(manifest['files'])} 个文件）……")
    problems = verify_checksums(backup, manifest)
    if problems:
        shown = "；".join(problems[:5]) + (f"；等共 {len(problems)} 处" if len(problems) > 5 else "")
        raise BackupError(f"备份已损坏，拒绝恢复（未做任何改动）：{shown}。")
    site_dir = Path(site_dir)
    wrote_config = False
    if not (site_dir / CONFIG_NAME).is_file():
        site_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup / CONFIG_NAME, site_dir / CONFIG_NAME)
        os.chmod(site_dir / CONFIG_NAME, 0o600)
        wrote_config = True
    try:
        config = SiteConfig.load(site_dir)
    except ConfigError as exc:
        raise BackupError(str(exc)) from exc
    kind = manifest["database"]["kind"]
    if database_kind(config.database_url) != kind:
        raise BackupError(
            f"备份的数据库是 {kind}，目标站点配置的是 {database_kind(config.database_url)}：不能跨数据库类型恢复。"
        )
    try:
        check_empty(config)
    except BackupError:
        if wrote_config:
            (site_dir / CONFIG_NAME).unlink()
        raise
    report = RestoreReport()
    report.add(True, f"备份校验和一致：{len(manifest['files'])} 个文件")
    saved = SiteConfig.load(backup) if (backup / CONFIG_NAME).is_file() else None
    if saved is not None and saved.secret != config.secret:
        report.warnings.append(
            "目标站点 officium.toml 的 secret 与备份中的不同：管理员的动态口令和电子印章依赖原 secret，"
            f"请把 {backup / CONFIG_NAME} 中的 secret 抄到 {site_dir / CONFIG_NAME}。"
        )
    if saved is not None and sorted(saved.enabled_plugins) != sorted(config.enabled_plugins):
        report.warnings.append("目标站点启用的插件与备份时不同；请核对 officium.toml 的 enabled_plugins。")
    progress("正在恢复数据库……")
    db_file = backup / manifest["database"]["file"]
    if kind == "sqlite":
        _restore_sqlite(config, db_file)
        report.add(True, "数据库文件已恢复")
    else:
        try:
            _restore_postgresql(config, db_file, manifest["database"].get("schema", "public"))
            report.add(True, "pg_restore 成功（退出码 0）")
        except BackupError as exc:
            report.add(False, str(exc))
            return report
    progress("正在恢复附件……")
    copied = _copy_blobs(backup / FILES, config.files_path, progress)
    report.add(True, f"附件已恢复：{copied} 个文件")
    progress("正在校验恢复后的站点……")
    verify_site(config, manifest, report, clock)
    return report


def verify_site(
    config: SiteConfig, manifest: dict[str, Any], report: RestoreReport, clock: Callable[[], datetime] | None
) -> None:
    """Open the restored site and check it against the manifest, adding each result to ``report``."""
    from officium.core import files
    from officium.core.app import create_app
    from officium.core.audit import verify_chain
    from officium.core.db import database
    from officium.core.migrations_runner import verify_current

    previous = database.obj  # the models' proxy is re-pointed at the restored site; put it back after
    try:
        app = create_app(config, check_schema=False, **({"clock": clock} if clock else {}))
    except StartupError as exc:
        report.add(False, f"站点无法启动：{exc}")
        if previous is not None:
            database.initialize(previous)
        return
    try:
        db = app.db
        if database_kind(config.database_url) == "sqlite":
            integrity = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
            report.add(integrity == ["ok"], f"PRAGMA integrity_check：{'；'.join(integrity[:5])}")
            broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
            report.add(
                not broken,
                f"PRAGMA foreign_key_check：{len(broken)} 处外键不一致" if broken else "外键检查通过",
            )
            tables = [t for t in db.get_tables() if not t.startswith("sqlite_")]
        else:
            schema = PgTarget.of(config.database_url).schema
            invalid = db.execute_sql(
                "SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = %s AND NOT c.convalidated",
                (schema,),
            ).fetchall()
            disabled = db.execute_sql(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = r.relnamespace "
                "WHERE n.nspname = %s AND NOT t.tgisinternal AND t.tgenabled = 'D'",
                (schema,),
            ).fetchall()
            report.add(
                not invalid and not disabled,
                "约束均已生效、触发器均已启用"
                if not invalid and not disabled
                else f"未生效的约束 {[r[0] for r in invalid]}，停用的触发器 {[r[0] for r in disabled]}",
            )
            tables = _pg_tables(db.connection(), schema)
        expected = manifest["tables"]
        actual = {t: db.execute_sql(f"SELECT count(*) FROM {_ident(t)}").fetchone()[0] for t in tables}
        differ = sorted(t for t in set(expected) | set(actual) if expected.get(t) != actual.get(t))
        report.add(
            not differ,
            f"各表行数与清单一致：{len(actual)} 张表，{sum(actual.values())} 行"
            if not differ
            else "行数与清单不符："
            + "、".join(f"{t}（清单 {expected.get(t)}，实际 {actual.get(t)}）" for t in differ[:5]),
        )
        chain = verify_chain(app)
        report.add(chain.ok, chain.message)
        store = files.check_store(app)
        report.add(
            store.ok,
            f"附件完整：{store.checked} 个文件与哈希一致"
            if store.ok
            else f"附件缺失 {len(store.missing)} 个、损坏 {len(store.corrupt)} 个",
        )
        try:
            verify_current(app)
            report.add(True, "数据库结构与当前代码一致（迁移是最新的）")
        except StartupError as exc:
            report.add(False, str(exc))
    finally:
        if hasattr(db, "close_all"):
            db.close_all()
        else:
            db.close()
        if previous is not None:
            database.initialize(previous)
