# 产假: the circumstance (difficult birth, extra babies, miscarriage) that decides how many days are allowed.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("leave_request", "circumstance", CharField(max_length=64, default=""))
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("leave_request", "circumstance"))
