"""The security policy the security administrator (安全保密管理员) sets: passwords, lockout, sessions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from officium.core.identity.models import PolicySetting, User


@dataclass(frozen=True)
class SecurityPolicy:
    """Values with their defaults (等保 level 2 practice; the regulation's floor is 6 characters)."""

    min_length: int = 8
    min_classes: int = 3
    expiry_days: int = 90
    history: int = 5
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15
    idle_minutes: int = 30
    admin_idle_minutes: int = 15
    absolute_hours: int = 12
    one_time_hours: int = 72


#: (title, lowest, highest) of each value; the regulation requires passwords of more than 6 characters.
LIMITS: dict[str, tuple[str, int, int]] = {
    "min_length": ("密码最小长度", 7, 64),
    "min_classes": ("至少包含的字符类别数", 1, 4),
    "expiry_days": ("密码有效期（天，0 表示不过期）", 0, 365),
    "history": ("不得与最近几次密码相同", 0, 24),
    "lockout_threshold": ("连续失败几次锁定", 3, 20),
    "lockout_window_minutes": ("失败次数统计时段（分钟）", 1, 1440),
    "lockout_minutes": ("锁定时长（分钟）", 1, 1440),
    "idle_minutes": ("普通用户空闲超时（分钟）", 5, 480),
    "admin_idle_minutes": ("管理员空闲超时（分钟）", 5, 60),
    "absolute_hours": ("会话最长时间（小时）", 1, 24),
    "one_time_hours": ("一次性密码有效期（小时）", 1, 168),
}


def load_policy() -> SecurityPolicy:
    """The policy in force: stored values over the defaults."""
    stored = {row.key: json.loads(row.value) for row in PolicySetting.select()}
    known = {f.name for f in fields(SecurityPolicy)}
    return replace(SecurityPolicy(), **{k: v for k, v in stored.items() if k in known})


def validate_policy(raw: dict[str, Any]) -> tuple[SecurityPolicy | None, dict[str, str]]:
    """Check submitted values (strings from a form or ints); return the policy or ``{field: message}``."""
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for key, (title, low, high) in LIMITS.items():
        text = str(raw.get(key, "")).strip()
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            errors[key] = f"{title}应为 {low}–{high} 之间的整数。"
        else:
            values[key] = int(text)
    if not errors and values["admin_idle_minutes"] > values["idle_minutes"]:
        errors["admin_idle_minutes"] = "管理员空闲超时不能长于普通用户。"
    if errors:
        return None, errors
    return SecurityPolicy(**values), {}


def save_policy(policy: SecurityPolicy) -> None:
    """Store every value and recompute each user's password expiry under the new age rule."""
    for key, value in asdict(policy).items():
        PolicySetting.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[PolicySetting.key], update={PolicySetting.value: json.dumps(value)}
        ).execute()
    for user in User.select(User.id, User.password_changed_at).iterator():
        User.update(password_expires_at=expiry_after(user.password_changed_at, policy)).where(
            User.id == user.id
        ).execute()


def expiry_after(changed_at: datetime | None, policy: SecurityPolicy) -> datetime | None:
    """When a password changed at ``changed_at`` expires under ``policy`` (None: never)."""
    if changed_at is None or policy.expiry_days == 0:
        return None
    return changed_at + timedelta(days=policy.expiry_days)
