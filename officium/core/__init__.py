"""The core: the built-in plugin every site runs (accounts, sign-in, the shell) plus the engines."""

from officium.core.plugin_info import PluginInfo

PLUGIN = PluginInfo(
    name="core",
    title="系统核心",
    area="系统管理",
    description="组织机构、账号、登录、权限和页面框架。",
)
