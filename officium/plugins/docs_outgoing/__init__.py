"""局发文 (docs_outgoing): 拟稿、核稿、会签、签发、编号、用印、套红和分发。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="docs_outgoing",
    title="局发文",
    area="公文处理",
    version=__version__,
    optional=("seals", "docs_incoming"),
    description="拟稿、核稿、会签、签发、编号、用印、套红和分发。",
)
