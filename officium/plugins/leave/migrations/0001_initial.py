# Written from the models on 2026-11-26; the default types and rules are written with the tables.
from peewee import *


def up(migrator, db):
    class Unit(Model):
        class Meta:
            database = db
            table_name = "core_unit"

    class User(Model):
        class Meta:
            database = db
            table_name = "core_user"

    class LeaveType(Model):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=32)
        counting = CharField(max_length=16, default="working")
        half_day = BooleanField(default=True)
        balance_required = BooleanField(default=False)
        yearly_quota = FloatField(default=0)
        max_days = FloatField(default=0)
        document_required = BooleanField(default=False)
        paid = BooleanField(default=True)
        active = BooleanField(default=True)
        order = IntegerField(default=100)
        note = TextField(default="")

        class Meta:
            database = db
            table_name = "leave_type"

    class HrRecord(Model):
        user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
        work_start = DateField(null=True)
        service_start = DateField(null=True)
        rank = CharField(max_length=16, default="")
        updated_at = DateTimeField()
        updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "leave_hr_record"

    class LeaveRule(Model):
        rank = CharField(max_length=16, default="")
        leave_type = ForeignKeyField(LeaveType, null=True, backref="+", on_delete="CASCADE")
        min_days = FloatField(default=0)
        steps = CharField(max_length=64)
        note = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "leave_rule"

    class LeaveAdjustment(Model):
        user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        leave_type = ForeignKeyField(LeaveType, backref="+", on_delete="CASCADE")
        year = IntegerField()
        days = FloatField()
        kind = CharField(max_length=16, default="adjust")
        reason = CharField(max_length=200)
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "leave_adjustment"
            indexes = ((("user", "leave_type", "year"), False),)

    class LeaveRequest(Model):
        user = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="SET NULL")
        leave_type = ForeignKeyField(LeaveType, backref="+", on_delete="RESTRICT")
        start_date = DateField()
        start_half = CharField(max_length=2, default="am")
        end_date = DateField()
        end_half = CharField(max_length=2, default="pm")
        days = FloatField()
        year = IntegerField()
        reason = TextField(default="")
        status = CharField(max_length=16, default="pending")
        chain = CharField(max_length=64, default="")
        filed_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        approved_at = DateTimeField(null=True)
        cancelled_at = DateTimeField(null=True)
        cancel_reason = CharField(max_length=200, default="")
        actual_end_date = DateField(null=True)
        actual_end_half = CharField(max_length=2, default="")
        actual_days = FloatField(null=True)
        ended_at = DateTimeField(null=True)
        delegation_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "leave_request"
            indexes = (
                (("user", "start_date"), False),
                (("unit", "start_date"), False),
                (("status", "start_date"), False),
            )

    db.create_tables([LeaveType, HrRecord, LeaveRule, LeaveAdjustment, LeaveRequest])

    # The national defaults (a copy, so that later edits of the plugin never change this migration).
    types = [
        (
            "annual",
            "年休假",
            "working",
            True,
            True,
            0,
            0,
            False,
            True,
            "累计工作满1年不满10年5天，满10年不满20年10天，满20年15天；法定节假日、休息日不计入。",
        ),
        (
            "personal",
            "事假",
            "working",
            True,
            False,
            0,
            0,
            False,
            False,
            "当年事假累计20天以上且单位按规定不扣工资的，不享受当年年休假。",
        ),
        (
            "sick",
            "病假",
            "working",
            True,
            False,
            0,
            0,
            True,
            True,
            "须上传医院证明。累计病假2个月（工龄1-10年）、3个月（10-20年）、4个月（20年以上）的，不享受当年年休假。",
        ),
        (
            "marriage",
            "婚假",
            "working",
            False,
            False,
            0,
            3,
            False,
            True,
            "本人结婚1-3天，另可按路途远近给予路程假（由人事处调整额度）。各省另有规定的从其规定。",
        ),
        (
            "bereavement",
            "丧假",
            "working",
            False,
            False,
            0,
            3,
            False,
            True,
            "直系亲属（父母、配偶、子女）死亡1-3天，另可给予路程假。",
        ),
        (
            "maternity",
            "产假",
            "calendar",
            False,
            False,
            0,
            98,
            False,
            True,
            "98天（产前可休15天）；难产增加15天；多胞胎每多1个婴儿增加15天；"
            "怀孕未满4个月流产15天，满4个月流产42天。超过98天的由人事处调整。",
        ),
        (
            "paternity",
            "陪产假（护理假）",
            "calendar",
            False,
            False,
            0,
            15,
            False,
            True,
            "按本省规定，天数由人事处设置（如广东15天、山东7天）。",
        ),
        (
            "parental",
            "育儿假",
            "working",
            True,
            True,
            10,
            0,
            False,
            True,
            "按本省规定，子女未满3周岁的父母每年享有，天数由人事处设置。",
        ),
        (
            "home_visit",
            "探亲假",
            "calendar",
            False,
            True,
            0,
            0,
            False,
            True,
            "探望配偶每年30天；未婚探望父母每年20天或两年45天；已婚探望父母每4年20天；"
            "含公休假日和法定节日，另给路程假。额度由人事处按本人情况调整。",
        ),
        ("comp", "调休", "working", True, True, 0, 0, False, True, "加班后由人事处登记可调休天数。"),
    ]
    for order, row in enumerate(types, start=1):
        code, name, counting, half, balance, quota, max_days, document, paid, note = row
        LeaveType.create(
            code=code,
            name=name,
            counting=counting,
            half_day=half,
            balance_required=balance,
            yearly_quota=quota,
            max_days=max_days,
            document_required=document,
            paid=paid,
            active=True,
            order=order * 10,
            note=note,
        )
    for rank, min_days, steps, note in (
        ("", 0, "unit,hr", "3天以内：单位负责人审批，人事处备案"),
        ("", 3, "unit,supervising,hr", "超过3天：另需分管局领导审批"),
        ("处级", 0, "supervising,hr", "处级干部：由分管局领导审批"),
        ("厅局级", 0, "unit,hr", "局领导：由局长审批（局领导所在单位的负责人）"),
    ):
        LeaveRule.create(rank=rank, min_days=min_days, steps=steps, note=note)


def down(migrator, db):
    for table in ("leave_request", "leave_adjustment", "leave_rule", "leave_hr_record", "leave_type"):
        migrator.migrate(migrator.drop_table(table))
