# The counter per person that the 首页 panel's cached 年休假 balance is checked against (models.BalanceStamp).
from peewee import *


def up(migrator, db):
    class BalanceStamp(Model):
        owner = IntegerField(primary_key=True)
        version = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "leave_balance_stamp"

    db.create_tables([BalanceStamp])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("leave_balance_stamp"))
