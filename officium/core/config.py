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
}


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

    @property
    def data_dir(self) -> Path:
        """Folder for the SQLite database, attachments and backups."""
        return self.site_dir / "data"

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
        )


def _resolve_env(key: str, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$env"}:
        name = value["$env"]
        if name not in os.environ:
            raise ConfigError(f"配置项 {key} 要从环境变量 {name} 读取，但该变量未设置。")
        return os.environ[name]
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
