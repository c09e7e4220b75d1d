"""文档查询 (search): 跨模块的全文检索，按权限过滤，支持公文要素高级查询。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="search",
    title="文档查询",
    area="历史数据",
    version=__version__,
    description="跨模块的全文检索，按权限过滤，支持公文要素高级查询。",
)
