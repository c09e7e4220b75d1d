"""The leave plugin's tables.  After changing them, write a migration:
``officium db generate --plugin leave 名称``, review the file, then ``officium db upgrade``.

Balances are not stored: they are computed from the HR record (年休假 entitlement), the type's yearly quota,
the adjustments (including carry-over rows written by the yearly roll-over) and the requests.  Saving or
deleting a type, an HR record, an adjustment or a request raises a :class:`BalanceStamp`, which is how the
首页 panel's cached balance (``balance_cache.py``) knows it is out of date.  Write these rows through
``save``/``create``/``delete_instance`` only: a bulk ``update()`` or ``delete()`` would not raise the stamp.
"""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

#: How a type counts days: working days of the calendar (holidays off, 调休 Saturdays on) or every day.
COUNTING = {"working": "工作日", "calendar": "自然日"}
#: Ranks in the HR record; approval rules may name one.
RANKS = ("", "科级及以下", "处级", "厅局级")
#: The approval steps a rule can chain, in the workflow's order.
STEPS = {"unit": "单位负责人审批", "supervising": "分管局领导审批", "hr": "人事处备案"}
#: Half-day marks: a leave starts in the morning (am) or the afternoon (pm) and ends at noon (am) or
#: the end of the day (pm).
HALVES = ("am", "pm")
#: A request's status; whether a running one is back with its drafter is read from the workflow.
STATUSES = {
    "pending": "审批中",
    "approved": "已批准",
    "ended": "已销假",
    "cancelled": "已撤销",
}
REASON_MAX = 500


#: The stamp owner for changes that concern every person (a type's quota or balance rule).
EVERYONE = 0


class BalanceStamp(BaseModel):
    """A counter raised in the same transaction as every change to the rows a balance is computed from.

    ``owner`` is a user id, or :data:`EVERYONE` for the leave types.  The sum of a person's and everyone's
    counters only ever grows, so a cached balance computed under a smaller sum is out of date, whichever
    process or web node made the change.
    """

    owner = IntegerField(primary_key=True)
    version = IntegerField(default=0)

    class Meta:
        table_name = "leave_balance_stamp"


def raise_stamp(owner: int) -> None:
    """Raise the counter of ``owner`` (a user id, or :data:`EVERYONE`)."""
    (
        BalanceStamp.insert(owner=owner, version=1)
        .on_conflict(
            conflict_target=[BalanceStamp.owner],
            update={BalanceStamp.version: BalanceStamp.version + 1},
        )
        .execute()
    )


class _Stamped:
    """A row a balance is computed from: saving or deleting it raises its owner's stamp."""

    def stamp_owner(self) -> int:
        return int(self.user_id)  # type: ignore[attr-defined]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = super().save(*args, **kwargs)
        raise_stamp(self.stamp_owner())
        return result

    def delete_instance(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = super().delete_instance(*args, **kwargs)
        raise_stamp(self.stamp_owner())
        return result


class LeaveType(_Stamped, BaseModel):
    """A kind of leave as HR configured it (defaults from the national rules are written by the migration)."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=32)
    counting = CharField(max_length=16, default="working")
    half_day = BooleanField(default=True)
    #: Requests may not exceed what is left of the year's quota (+ carry-over + adjustments).
    balance_required = BooleanField(default=False)
    #: Days per year for a balance-required type (年休假's is computed from the HR record instead).
    yearly_quota = FloatField(default=0)
    #: Most days one request may take (0: no limit), e.g. 婚假 3.
    max_days = FloatField(default=0)
    #: A supporting document (e.g. 病假 certificate) must be attached to the request.
    document_required = BooleanField(default=False)
    paid = BooleanField(default=True)
    active = BooleanField(default=True)
    order = IntegerField(default=100)
    note = TextField(default="")

    class Meta:
        table_name = "leave_type"

    def stamp_owner(self) -> int:
        return EVERYONE


class HrRecord(_Stamped, BaseModel):
    """The HR facts the leave rules need about one person, kept by HR."""

    user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    #: 参加工作时间: cumulative service is counted from here.
    work_start = DateField(null=True)
    #: 本单位连续工作起算日: the first year of continuous service gives no annual leave.
    service_start = DateField(null=True)
    rank = CharField(max_length=16, default="")
    updated_at = DateTimeField()
    updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "leave_hr_record"


class LeaveRule(BaseModel):
    """An approval rule: requests of people of ``rank`` ("" any) and of ``leave_type`` (None any) longer
    than ``min_days`` go through ``steps`` (comma-separated codes of :data:`STEPS`).  The most specific
    matching rule wins (rank, then type, then the highest ``min_days``)."""

    rank = CharField(max_length=16, default="")
    leave_type = ForeignKeyField(LeaveType, null=True, backref="+", on_delete="CASCADE")
    min_days = FloatField(default=0)
    steps = CharField(max_length=64)
    note = CharField(max_length=200, default="")

    class Meta:
        table_name = "leave_rule"

    @property
    def step_list(self) -> list[str]:
        return [s for s in self.steps.split(",") if s]


class LeaveAdjustment(_Stamped, BaseModel):
    """A change to a person's balance of a type for a year: HR's adjustment (with a reason) or the
    carry-over written by the yearly roll-over (``kind="carry"``)."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    leave_type = ForeignKeyField(LeaveType, backref="+", on_delete="CASCADE")
    year = IntegerField()
    days = FloatField()
    kind = CharField(max_length=16, default="adjust")
    reason = CharField(max_length=200)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField()

    class Meta:
        table_name = "leave_adjustment"
        indexes = ((("user", "leave_type", "year"), False),)


class LeaveRequest(_Stamped, BaseModel):
    """One leave request.  Its approval runs in the workflow engine (``leave.request``)."""

    user = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    #: The person's unit when the request was filed (team calendar, reports).
    unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="SET NULL")
    leave_type = ForeignKeyField(LeaveType, backref="+", on_delete="RESTRICT")
    start_date = DateField()
    start_half = CharField(max_length=2, default="am")
    end_date = DateField()
    end_half = CharField(max_length=2, default="pm")
    days = FloatField()
    year = IntegerField()
    reason = TextField(default="")
    #: 产假: the circumstance that decided the days allowed, in Chinese (e.g. ``难产；多胞胎（多1个婴儿）``).
    circumstance = CharField(max_length=64, default="")
    status = CharField(max_length=16, default="pending")
    #: The approval steps chosen by the rules when filed (comma-separated).
    chain = CharField(max_length=64, default="")
    #: Who filed it: the person, or their unit's 综合人员 on their behalf.
    filed_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField()
    approved_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)
    cancel_reason = CharField(max_length=200, default="")
    #: 销假: the day and half the person actually came back after, and the days actually taken.
    actual_end_date = DateField(null=True)
    actual_end_half = CharField(max_length=2, default="")
    actual_days = FloatField(null=True)
    ended_at = DateTimeField(null=True)
    #: The 外出授权 created for the period from this request, if any.
    delegation_id = IntegerField(null=True)

    class Meta:
        table_name = "leave_request"
        indexes = (
            (("user", "start_date"), False),
            (("unit", "start_date"), False),
            (("status", "start_date"), False),
        )

    @property
    def taken_days(self) -> float:
        """Days that count against the balance: the actual days after 销假, else the requested ones."""
        return self.actual_days if self.actual_days is not None else self.days

    @property
    def status_title(self) -> str:
        return STATUSES.get(self.status, self.status)
