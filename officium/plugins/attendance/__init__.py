"""在线考勤: who was signed in to the system during the regulation's windows on each working day."""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="attendance",
    title="在线考勤",
    area="政务管理",
    version=__version__,
    description="按《办公自动化系统使用及管理办法》统计综合人员各规定时段、其他人员每个上午和下午的在线情况。",
)
