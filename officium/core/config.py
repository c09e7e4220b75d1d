"""Site configuration: ``officium.toml`` in the site directory."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from officium.core.errors import ConfigError

CONFIG_NAME = "officium.toml"

_KNOWN_KEYS = {
    "site_name",
    "secret",
    "database_url",
    "enabled_plugins",
    "plugins",
    "https",
    "max_upload_mb",
    "admin_mfa",
    "smtp",
    "jobs",
    "backup",
    "files_dir",
}

_SMTP_KEYS = {"host", "port", "from", "starttls", "ssl", "username", "password", "timeout", "site_url"}
_JOBS_KEYS = {"redis_url", "workers"}
_BACKUP_KEYS = {"dir", "keep", "cron"}


@dataclass(frozen=True)
class SmtpConfig:
    """``[smtp]``: the mail server notifications are sent through (optional; no table, no e-mail)."""

    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""
    timeout: int = 10
    #: The address people open the site at, for links in e-mails (``https://oa.example.gov.cn``).
    site_url: str = ""


@dataclass(frozen=True)
class JobsConfig:
    """``[jobs]``: where the job queue lives (the site's data folder unless Redis is configured)."""

    redis_url: str = ""
    #: Worker threads of ``officium worker`` (and of the consumer inside ``officium serve``).
    workers: int = 2


@dataclass(frozen=True)
class BackupConfig:
    """``[backup]``: the scheduled backup (job ``core.backup``) — where, how often, how many to keep."""

    #: Folder the backups go to (relative to the site folder, or absolute; best on another disk).
    dir: str = "data/backups"
    #: Complete backups kept; the oldest beyond this are deleted after each scheduled backup.
    keep: int = 7
    #: When, as five cron fields (default 02:30 every day).
    cron: str = "30 2 * * *"


@dataclass
class SiteConfig:
    """The settings of one site, read from ``<site_dir>/officium.toml``.

    A value written as ``{ "$env" = "NAME" }`` is read from the environment variable ``NAME`` so that
    secrets can stay out of the file.
    """

    site_dir: Path
    secret: str
    database_url: str = "sqlite:///data/officium.db"
    site_name: str = "办公自动化系统"
    enabled_plugins: list[str] = field(default_factory=list)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    https: bool = False
    max_upload_mb: int = 50
    #: The three administrators must use a second factor (TOTP).  Only the demo site turns this off.
    admin_mfa: bool = True
    smtp: SmtpConfig | None = None
    jobs: JobsConfig = field(default_factory=JobsConfig)
    #: None: no scheduled backup (``officium backup`` still works by hand).
    backup: BackupConfig | None = None
    #: ``files_dir``: the attachment store, absolute or relative to the site folder; empty: ``data/files``.
    #: Several web nodes point it at one shared folder (NFS or the like).
    files_dir: str = ""

    @property
    def data_dir(self) -> Path:
        """Folder for the SQLite database, attachments and backups."""
        return self.site_dir / "data"

    @property
    def files_path(self) -> Path:
        """Folder of the attachment blobs: ``files_dir`` if configured, else ``<site>/data/files``."""
        if not self.files_dir:
            return self.data_dir / "files"
        path = Path(self.files_dir)
        return path if path.is_absolute() else self.site_dir / path

    @classmethod
    def load(cls, site_dir: str | os.PathLike[str]) -> SiteConfig:
        """Read and validate ``officium.toml``; raise :class:`ConfigError` naming the bad key."""
        site = Path(site_dir).resolve()
        path = site / CONFIG_NAME
        if not path.is_file():
            raise ConfigError(
                f"找不到站点配置 {path}。修复：先运行 `officium init {site}` 创建站点，或用 --site 指定站点目录。"
            )
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} 无法解析：{exc}") from exc
        raw = {key: _resolve_env(key, value) for key, value in raw.items()}
        unknown = sorted(set(raw) - _KNOWN_KEYS)
        if unknown:
            raise ConfigError(f"{path} 中有未知的配置项：{'、'.join(unknown)}。")
        if not isinstance(raw.get("secret"), str) or len(raw["secret"]) < 32:
            raise ConfigError(f"{path} 中的 secret 缺失或太短（至少 32 个字符）。")
        enabled = raw.get("enabled_plugins", [])
        if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
            raise ConfigError(f'{path} 中的 enabled_plugins 应为插件名列表，例如 ["bulletin", "leave"]。')
        plugins = raw.get("plugins", {})
        if not isinstance(plugins, dict):
            raise ConfigError(f"{path} 中的 [plugins] 应为表，例如 [plugins.leave]。")
        for flag in ("https", "admin_mfa"):
            if not isinstance(raw.get(flag, False), bool):
                raise ConfigError(f"{path} 中的 {flag} 应为 true 或 false（不加引号）。")
        upload = raw.get("max_upload_mb", 50)
        if not isinstance(upload, int) or isinstance(upload, bool) or not 1 <= upload <= 2048:
            raise ConfigError(f"{path} 中的 max_upload_mb 应为 1–2048 之间的整数。")
        smtp = _smtp(path, raw.get("smtp"))
        jobs = _jobs(path, raw.get("jobs", {}))
        backup = _backup(path, raw.get("backup"))
        files_dir = _files_dir(path, site, raw.get("files_dir", ""))
        return cls(
            site_dir=site,
            secret=raw["secret"],
            database_url=raw.get("database_url", cls.database_url),
            site_name=raw.get("site_name", cls.site_name),
            enabled_plugins=list(dict.fromkeys(enabled)),
            plugins=plugins,
            https=raw.get("https", False),
            admin_mfa=raw.get("admin_mfa", True),
            max_upload_mb=upload,
            smtp=smtp,
            jobs=jobs,
            backup=backup,
            files_dir=files_dir,
        )


def _resolve_env(key: str, value: Any) -> Any:
    """Replace ``{ "$env" = "NAME" }`` by the environment variable, also inside tables (``[smtp] password``)."""
    if isinstance(value, dict) and set(value) == {"$env"}:
        name = value["$env"]
        if name not in os.environ:
            raise ConfigError(f"配置项 {key} 要从环境变量 {name} 读取，但该变量未设置。")
        return os.environ[name]
    if isinstance(value, dict):
        return {inner: _resolve_env(f"{key}.{inner}", item) for inner, item in value.items()}
    return value


def _table(path: Path, name: str, value: Any, known: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path} 中的 {name} 应为表，写成 [{name}] 一节。")
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(
            f"{path} 的 [{name}] 中有未知的配置项：{'、'.join(unknown)}。可用：{'、'.join(sorted(known))}。"
        )
    return value


def _typed(path: Path, section: str, table: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = table.get(key, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        hint = {str: "字符串（加引号）", int: "整数", bool: "true 或 false（不加引号）"}[kind]
        raise ConfigError(f"{path} 的 [{section}] {key} 应为{hint}，实际是 {value!r}。")
    return value


def _smtp(path: Path, value: Any) -> SmtpConfig | None:
    if value is None:
        return None
    table = _table(path, "smtp", value, _SMTP_KEYS)
    host = _typed(path, "smtp", table, "host", str, "").strip()
    sender = _typed(path, "smtp", table, "from", str, "").strip()
    if not host:
        raise ConfigError(
            f'{path} 的 [smtp] 缺少 host（邮件服务器地址，例如 host = "mail.example.gov.cn"）。'
        )
    if "@" not in sender:
        raise ConfigError(f'{path} 的 [smtp] from 应为发件地址，例如 from = "oa@example.gov.cn"。')
    port = _typed(path, "smtp", table, "port", int, 25)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{path} 的 [smtp] port 应为 1–65535 之间的整数。")
    starttls = _typed(path, "smtp", table, "starttls", bool, False)
    ssl = _typed(path, "smtp", table, "ssl", bool, False)
    if starttls and ssl:
        raise ConfigError(
            f"{path} 的 [smtp] starttls 和 ssl 只能开启一个（587 端口用 starttls，465 端口用 ssl）。"
        )
    username = _typed(path, "smtp", table, "username", str, "")
    password = _typed(path, "smtp", table, "password", str, "")
    if password and not username:
        raise ConfigError(f"{path} 的 [smtp] 设置了 password 却没有 username。")
    timeout = _typed(path, "smtp", table, "timeout", int, 10)
    if not 1 <= timeout <= 300:
        raise ConfigError(f"{path} 的 [smtp] timeout 应为 1–300 之间的秒数。")
    site_url = _typed(path, "smtp", table, "site_url", str, "").rstrip("/")
    if site_url and not site_url.startswith(("http://", "https://")):
        raise ConfigError(
            f'{path} 的 [smtp] site_url 应以 http:// 或 https:// 开头，例如 "https://oa.example.gov.cn"。'
        )
    return SmtpConfig(
        host=host,
        sender=sender,
        port=port,
        starttls=starttls,
        ssl=ssl,
        username=username,
        password=password,
        timeout=timeout,
        site_url=site_url,
    )


def _jobs(path: Path, value: Any) -> JobsConfig:
    table = _table(path, "jobs", value, _JOBS_KEYS)
    redis_url = _typed(path, "jobs", table, "redis_url", str, "").strip()
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f'{path} 的 [jobs] redis_url 应以 redis://、rediss:// 或 unix:// 开头，例如 "redis://127.0.0.1:6379/0"。'
        )
    workers = _typed(path, "jobs", table, "workers", int, 2)
    if not 1 <= workers <= 32:
        raise ConfigError(f"{path} 的 [jobs] workers 应为 1–32 之间的整数。")
    return JobsConfig(redis_url=redis_url, workers=workers)


def _backup(path: Path, value: Any) -> BackupConfig | None:
    if value is None:
        return None
    table = _table(path, "backup", value, _BACKUP_KEYS)
    directory = _typed(path, "backup", table, "dir", str, BackupConfig.dir).strip()
    if not directory:
        raise ConfigError(f'{path} 的 [backup] dir 不能为空，例如 dir = "/backup/officium"。')
    keep = _typed(path, "backup", table, "keep", int, BackupConfig.keep)
    if not 1 <= keep <= 1000:
        raise ConfigError(f"{path} 的 [backup] keep（保留份数）应为 1–1000 之间的整数。")
    cron = _typed(path, "backup", table, "cron", str, BackupConfig.cron).strip()
    from officium.core.jobs import cron_matcher

    try:
        cron_matcher(cron)
    except ValueError as exc:
        raise ConfigError(
            f'{path} 的 [backup] cron 不合法：{exc} 例如 cron = "30 2 * * *" 表示每天 02:30。'
        ) from exc
    return BackupConfig(dir=directory, keep=keep, cron=cron)


def _files_dir(path: Path, site: Path, value: Any) -> str:
    """``files_dir`` must name an existing, writable folder: a missing one is usually an unmounted share,
    and creating it on the local disk would split the attachments between the nodes."""
    if not isinstance(value, str):
        raise ConfigError(
            f'{path} 中的 files_dir 应为目录路径字符串（加引号），例如 files_dir = "/shared/officium-files"。'
        )
    value = value.strip()
    if not value:
        return ""
    folder = Path(value) if Path(value).is_absolute() else site / value
    if not folder.is_dir():
        raise ConfigError(
            f"{path} 中的 files_dir 指向的目录 {folder} 不存在。"
            "修复：如果是共享存储（NFS 等），先挂载它；否则先创建该目录。"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{path} 中的 files_dir 指向的目录 {folder} 不可写。修复：让运行服务的账号可以写入该目录。"
        )
    return value


def write_config(
    site_dir: Path,
    *,
    database_url: str,
    enabled_plugins: list[str],
    site_name: str = "办公自动化系统",
    extra: str = "",
) -> Path:
    """Write a new ``officium.toml`` with a random secret; refuse to overwrite an existing one."""
    site_dir.mkdir(parents=True, exist_ok=True)
    path = site_dir / CONFIG_NAME
    if path.exists():
        raise ConfigError(f"{path} 已存在。为免覆盖现有站点，请换一个空目录。")
    plugins = ", ".join(f'"{name}"' for name in enabled_plugins)
    path.write_text(
        "# Officium 站点配置。修改后重启服务生效。\n"
        f'site_name = "{site_name}"\n'
        f'secret = "{secrets.token_urlsafe(48)}"\n'
        f'database_url = "{database_url}"\n'
        f"enabled_plugins = [{plugins}]\n" + extra,
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path
