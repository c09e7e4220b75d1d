"""What the attendance plugin guards, and who holds it by default."""

from officium import Permission
from officium.plugins.attendance.report import OWN, REPORT, REPORT_ALL

PERMISSIONS = [
    Permission(OWN, "查看本人的在线考勤", default_roles=("staff",)),
    # Leaders see the units they lead (and the sub-units); the two administrators below see every unit.
    Permission(
        REPORT,
        "查看单位在线考勤报表",
        default_roles=("leader", "deputy_leader", "supervising_leader", "auditor", "sysadmin"),
    ),
    Permission(REPORT_ALL, "查看全部单位的在线考勤", default_roles=("auditor", "sysadmin")),
]
