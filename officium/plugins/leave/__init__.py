"""休假管理 (leave): 年休假等法定假期的额度计算、请假审批、销假和人事处管理。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="leave",
    title="休假管理",
    area="个人事务",
    version=__version__,
    optional=("delegation",),  # an approved leave offers an 外出授权 for its period
    description="年休假等法定假期的额度计算、请假审批、销假和人事处管理。",
)
