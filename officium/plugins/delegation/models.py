"""The delegation plugin's table.  After changing it, write a migration:
``officium db generate --plugin delegation 名称``, review the file, then ``officium db upgrade``."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from officium.core.db import BaseModel
from officium.core.identity.models import User

REASON_MAX = 200
MODULES_MAX = 500

#: ``status`` records which transitions were applied to the work items (the clock decides the rest):
#: ``scheduled`` (created, items not moved yet), ``active`` (items moved to the delegate), ``ended``
#: (items given back).  What a person sees is :func:`officium.plugins.delegation.service.state_of`.
STATUSES = ("scheduled", "active", "ended")

#: Why a delegation ended.
END_REASONS = {
    "expired": "到期结束",
    "revoked": "授权人已返回，收回授权",
    "invalid": "一方账号已停用或成为三员，系统自动收回",
}


class Delegation(BaseModel):
    """A (principal) asks B (delegate) to handle A's work from ``start_at`` to ``end_at`` in a scope.

    It is active while ``start_at <= now < end_at`` and ``revoked_at`` is empty.  ``modules`` lists the
    plugin names in scope, comma-separated, when ``all_modules`` is false.
    """

    principal = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    delegate = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    all_modules = BooleanField(default=True)
    modules = CharField(max_length=MODULES_MAX, default="")
    reason = CharField(max_length=REASON_MAX)
    start_at = DateTimeField()
    end_at = DateTimeField()
    status = CharField(max_length=16, default="scheduled")
    #: Set when the delegation was ended before its end time (by the principal, or by the system).
    revoked_at = DateTimeField(null=True)
    end_reason = CharField(max_length=16, default="")
    activated_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "delegation_delegation"
        indexes = (
            (("principal", "end_at"), False),
            (("delegate", "end_at"), False),
            (("status", "start_at"), False),
            (("status", "end_at"), False),
        )

    @property
    def module_names(self) -> list[str]:
        """The plugin names in scope (empty when the delegation covers all modules)."""
        return [name for name in self.modules.split(",") if name] if not self.all_modules else []
