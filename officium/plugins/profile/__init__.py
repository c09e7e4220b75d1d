"""个人设置: one's own account — overview, second factor, sessions and the personal list of 常用意见."""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="profile",
    title="个人设置",
    area="个人事务",
    version=__version__,
    description="本人信息、最近登录、动态口令、登录会话和常用意见。",
)
