"""收文管理 (docs_incoming): 来文签收登记、拟办、领导批示、分办承办、办结归档和传阅。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="docs_incoming",
    title="收文管理",
    area="公文处理",
    version=__version__,
    description="来文签收登记、拟办、领导批示、分办承办、办结归档和传阅。",
)
