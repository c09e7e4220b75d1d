"""事项变更申请 (regulation §10): a unit's 综合人员 requests a staff or post change — a new account, a transfer,
a role change or a departure — the unit's leader approves it, and the IT division's system administrator
carries it out from the request page, which changes the organisation and hands the person's open work on.
"""

from officium import PluginInfo

__version__ = "0.1.0"

PLUGIN = PluginInfo(
    name="change_requests",
    title="人员与权限变更申请",
    area="政务管理",
    version=__version__,
    description="综合人员申请新增账号、人员调动、角色变更和人员离岗，单位负责人审批，信息化处办理。",
)
