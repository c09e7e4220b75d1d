"""The ``PLUGIN`` declaration every plugin package carries in its ``__init__.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The functional areas of the navigation, in display order.  The first five come from the bureau's
#: regulation; 系统管理 holds the administrators' modules.
AREAS: tuple[str, ...] = ("公文处理", "政务管理", "个人事务", "历史数据", "快捷操作", "系统管理")

#: One canonical plugin name is used everywhere: entry point, URL prefix, template folder, table prefix,
#: migration history.  Hyphens are excluded so that the name is also a Python identifier.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin says about itself before any of its hooks run.

    ``requires`` are hard dependencies: each must be enabled too, or the site refuses to start.
    ``optional`` are soft dependencies: when enabled they load first, otherwise they are ignored.
    """

    name: str
    title: str
    area: str
    version: str = "0.1.0"
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"插件名 {self.name!r} 不合法：只能用小写字母、数字和下划线，并以字母开头。")
        if self.area not in AREAS:
            raise ValueError(
                f"插件 {self.name} 的功能区 {self.area!r} 不合法，应为 {'、'.join(AREAS)} 之一。"
            )
        for dep in (*self.requires, *self.optional):
            if not NAME_PATTERN.match(dep):
                raise ValueError(f"插件 {self.name} 声明的依赖 {dep!r} 不是合法的插件名。")
