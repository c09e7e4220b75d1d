"""快捷操作: each user's pinned actions and documents, and the defaults the system administrator sets per role.

A user who has pinned nothing sees the defaults of their roles.  Another module offers "pin this" with a
plain link that fills in the form: ``/shortcuts/?title=…&url=/docs_incoming/12&kind=document#add``.
"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="shortcuts",
    title="快捷操作",
    area="快捷操作",
    version=__version__,
    description="常用操作和文档的快捷入口；系统管理员可为各角色设置默认项。",
)
