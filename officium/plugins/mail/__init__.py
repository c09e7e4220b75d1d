"""电子邮件 (mail): 内部工作邮件：单位、角色和个人收件，撤回，部门邮箱。"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="mail",
    title="电子邮件",
    area="个人事务",
    version=__version__,
    description="内部工作邮件：单位、角色和个人收件，撤回，部门邮箱。",
)
