"""Tables of the organisation and of signing in."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel

UNIT_KINDS = {"bureau": "局", "department": "处室", "branch": "分支局", "section": "科"}
USER_STATUSES = {"active": "在岗", "disabled": "停用", "left": "离职"}


class Unit(BaseModel):
    """An organisational unit: the bureau, a department (处室), a branch (分支局) or a section (科)."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    order = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        table_name = "core_unit"


class User(BaseModel):
    """A person's account.  Administrators (三员) are accounts of their own, never a staff member's."""

    username = CharField(max_length=64, unique=True)
    name = CharField(max_length=64)
    unit = ForeignKeyField(Unit, null=True, backref="members", on_delete="RESTRICT")
    position = CharField(max_length=64, default="")
    status = CharField(max_length=16, default="active", index=True)
    password_hash = CharField(max_length=255, default="")
    password_changed_at = DateTimeField(null=True)
    must_change_password = BooleanField(default=False)
    created_at = DateTimeField()
    #: When a one-time password (from an account's creation or a reset) stops working.
    one_time_expires_at = DateTimeField(null=True)
    #: When the password must be changed (password age policy); None when it never expires.
    password_expires_at = DateTimeField(null=True)
    #: Encrypted TOTP secret; empty when the user has not enrolled.
    totp_secret = CharField(max_length=255, default="")
    #: The last TOTP time step accepted, so that a code cannot be used twice.
    totp_last_step = IntegerField(default=0)

    class Meta:
        table_name = "core_user"

    @property
    def is_active(self) -> bool:
        """Only active accounts may sign in."""
        return self.status == "active"


class RoleGrant(BaseModel):
    """A role a user holds, scoped to a unit (``clerk`` of 办公室) or site-wide when ``unit`` is empty."""

    user = ForeignKeyField(User, backref="role_grants", on_delete="CASCADE")
    role = CharField(max_length=64)
    unit = ForeignKeyField(Unit, null=True, on_delete="CASCADE")

    class Meta:
        table_name = "core_role_grant"
        # "who holds role R for unit U" is what workflow routing asks most.
        indexes = ((("role", "unit", "user"), True),)


class Session(BaseModel):
    """A signed-in browser.  ``key`` is the SHA-256 of the cookie value, so a database leak yields no sessions."""

    key = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    csrf_token = CharField(max_length=64)
    created_at = DateTimeField()
    last_seen_at = DateTimeField()
    ip = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")
    #: Fixed at sign-in from the policy and the user's roles (administrators time out sooner).
    idle_seconds = IntegerField(default=1800)
    expires_at = DateTimeField(null=True)
    #: Messages to show once on the next page (JSON list), set by ``officium.core.web.views.flash``.
    flash = TextField(null=True)

    class Meta:
        table_name = "core_session"


class LoginRecord(BaseModel):
    """One sign-in attempt; feeds lockout and the clerks' login-window report."""

    username = CharField(max_length=64, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(index=True)
    ip = CharField(max_length=64, default="")
    success = BooleanField()
    reason = CharField(max_length=64, default="")

    class Meta:
        table_name = "core_login_record"


class PasswordHistory(BaseModel):
    """Hashes of a user's earlier passwords, so that the last few cannot be reused."""

    user = ForeignKeyField(User, backref="password_history", on_delete="CASCADE")
    password_hash = CharField(max_length=255)
    changed_at = DateTimeField()

    class Meta:
        table_name = "core_password_history"


class PolicySetting(BaseModel):
    """One value of the security policy, set by the security administrator (JSON text)."""

    key = CharField(max_length=64, unique=True)
    value = TextField()

    class Meta:
        table_name = "core_policy"
