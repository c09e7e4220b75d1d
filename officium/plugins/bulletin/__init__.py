"""公告板 (bulletin): 栏目、公告发布审批、发布范围、阅读回执和必读确认。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="bulletin",
    title="公告板",
    area="政务管理",
    version=__version__,
    description="栏目、公告发布审批、发布范围、阅读回执和必读确认。",
)
