"""电子印章 (seals): 印章登记、保管人、用印申请与审批、用印登记簿和验章。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="seals",
    title="电子印章",
    area="系统管理",
    version=__version__,
    description="印章登记、保管人、用印申请与审批、用印登记簿和验章。",
)
