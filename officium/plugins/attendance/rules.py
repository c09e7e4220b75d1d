"""The regulation's rule, as the site configures it: the clerks' windows and the two half-days.

《办公自动化系统使用及管理办法》: clerks (综合人员) must be signed in during 8:30–9:30, 10:30–11:30, 13:30–14:30 and
15:30–16:30 on working days; other staff at least once each morning and each afternoon.  The times are
settings (``[plugins.attendance]`` in officium.toml), checked when the web application is built.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from officium import Setting
from officium.core.errors import StartupError

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

PLUGIN = "attendance"
#: Presence is kept per slot of this many minutes; a period is covered when any slot overlapping it is.
SLOT_MINUTES = 10

SETTINGS = [
    Setting(
        "clerk_windows",
        "综合人员必须在线的时段",
        list,
        ["08:30-09:30", "10:30-11:30", "13:30-14:30", "15:30-16:30"],
        description='"HH:MM-HH:MM" 形式的时段列表，按时间先后排列，互不重叠',
    ),
    Setting("morning", "上午", str, "08:00-12:00", description="其他人员每个上午至少登录一次的时段"),
    Setting("afternoon", "下午", str, "13:00-18:00", description="其他人员每个下午至少登录一次的时段"),
]

_SPAN = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})\Z")


@dataclass(frozen=True)
class Period:
    """A span of the day, ``[start, end)`` in minutes after midnight, with its key and label."""

    key: str
    label: str
    start: int
    end: int

    @property
    def span(self) -> str:
        """The times, ``08:30–09:30``."""
        return f"{_fmt(self.start)}–{_fmt(self.end)}"

    @property
    def slots(self) -> range:
        """The presence slots that overlap the period."""
        return range(self.start // SLOT_MINUTES, (self.end - 1) // SLOT_MINUTES + 1)


@dataclass(frozen=True)
class Rules:
    """The clerks' windows and the morning and afternoon, validated."""

    windows: tuple[Period, ...]
    morning: Period
    afternoon: Period

    @property
    def halves(self) -> tuple[Period, Period]:
        """上午 and 下午."""
        return (self.morning, self.afternoon)

    @property
    def periods(self) -> tuple[Period, ...]:
        """Every period the report looks at: the windows, then the half-days."""
        return (*self.windows, self.morning, self.afternoon)


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_span(text: Any, key: str, where: str) -> tuple[int, int]:
    """``"08:30-09:30"`` as ``(510, 570)``; anything else stops the start-up naming ``key``."""
    fix = f'修复：在 officium.toml 的 [plugins.{PLUGIN}] 中把 {key} 写成 "HH:MM-HH:MM"（24 小时制，开始早于结束），如 "08:30-09:30"。'
    match = _SPAN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise StartupError(f"在线考勤设置 {key}{where} 的值 {text!r} 不是合法的时段。{fix}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
        raise StartupError(f"在线考勤设置 {key}{where} 的值 {text!r} 不是合法的时段。{fix}")
    return start, end


def load_rules(settings: dict[str, Any]) -> Rules:
    """Validate the plugin's settings (already type-checked by the core) into :class:`Rules`."""
    windows = []
    for index, text in enumerate(settings["clerk_windows"]):
        start, end = parse_span(text, "clerk_windows", f" 第 {index + 1} 项")
        windows.append(Period(f"w{index + 1}", f"{_fmt(start)}–{_fmt(end)}", start, end))
    for before, after in itertools.pairwise(windows):
        if after.start < before.end:
            raise StartupError(
                f"在线考勤设置 clerk_windows 的时段 {before.label} 和 {after.label} 顺序颠倒或互相重叠。"
                f"修复：在 officium.toml 的 [plugins.{PLUGIN}] 中按时间先后列出互不重叠的时段。"
            )
    morning = Period("am", "上午", *parse_span(settings["morning"], "morning", ""))
    afternoon = Period("pm", "下午", *parse_span(settings["afternoon"], "afternoon", ""))
    if afternoon.start < morning.end:
        raise StartupError(
            f"在线考勤设置 afternoon（{settings['afternoon']}）应在 morning（{settings['morning']}）之后且不重叠。"
            f"修复：改正 officium.toml 的 [plugins.{PLUGIN}] 中的 morning 和 afternoon。"
        )
    return Rules(tuple(windows), morning, afternoon)


def rules(app: OfficiumApp) -> Rules:
    """The site's rules (parsed on each call: cheap, and always what officium.toml says)."""
    return load_rules(app.settings(PLUGIN))
