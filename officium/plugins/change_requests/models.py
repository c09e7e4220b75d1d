"""The change_requests plugin's table.  After changing it, write a migration:
``officium db generate --plugin change_requests 名称``, review the file, then ``officium db upgrade``."""

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

#: What a request asks for.
KINDS = {
    "new_account": "新增账号",
    "transfer": "人员调动",
    "role_change": "角色变更",
    "departure": "人员离岗",
}
ROLE_ACTIONS = {"grant": "授予", "revoke": "撤销"}


class ChangeRequest(BaseModel):
    """One 事项变更申请 of a unit.  Its progress lives in the workflow engine (``change_requests.change``)."""

    kind = CharField(max_length=16)
    #: The unit asking (the 综合人员's unit); the person concerned belongs to it.
    unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
    requested_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField()
    reason = TextField(default="")
    #: The person concerned; for a new account, the account once it was created.
    person = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    #: New account: the name and the proposed username.
    name = CharField(max_length=64, default="")
    username = CharField(max_length=64, default="")
    #: New account: the position; transfer: the new position.
    position = CharField(max_length=64, default="")
    #: Transfer: the unit the person moves to and the roles (comma-separated) that move with them.
    target_unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="RESTRICT")
    move_roles = CharField(max_length=255, default="")
    #: Role change: which role, granted or revoked, in ``unit``.
    role = CharField(max_length=64, default="")
    role_action = CharField(max_length=8, default="")
    #: Filled in when the IT division carries the change out.
    carried_out_at = DateTimeField(null=True)
    carried_out_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    result = TextField(default="")

    class Meta:
        table_name = "change_requests_request"
        # a unit's list of requests, newest first
        indexes = ((("unit", "created_at"), False),)

    @property
    def kind_title(self) -> str:
        """The kind in Chinese."""
        return KINDS.get(self.kind, self.kind)

    @property
    def roles_to_move(self) -> list[str]:
        """Transfer: the role names that move to the new unit."""
        return [r for r in self.move_roles.split(",") if r]
