"""Officium: a plugin-based office-automation framework.

This module is the public surface plugin authors import::

    from officium import hookimpl, PluginInfo
    from officium import Page, Api, Permission, Role, MenuItem, Widget, TodoCount, Setting
    from officium import NotificationType, Job, SearchSource
"""

from pluggy import HookimplMarker

__version__ = "0.1.0"

#: Marker for hook implementations in a plugin's ``hooks.py``.
hookimpl = HookimplMarker("officium")

from officium.core.plugin_info import AREAS, PluginInfo  # noqa: E402
from officium.core.registry import (  # noqa: E402
    AUTHENTICATED,
    PUBLIC,
    Api,
    Job,
    MenuItem,
    NotificationType,
    Page,
    Permission,
    Role,
    SearchSource,
    Setting,
    TodoCount,
    Widget,
)

__all__ = [
    "AREAS",
    "AUTHENTICATED",
    "PUBLIC",
    "Api",
    "Job",
    "MenuItem",
    "NotificationType",
    "Page",
    "Permission",
    "PluginInfo",
    "Role",
    "SearchSource",
    "Setting",
    "TodoCount",
    "Widget",
    "__version__",
    "hookimpl",
]
