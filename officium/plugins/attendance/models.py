"""The attendance plugin's table.  After changing it, write a migration:
``officium db generate --plugin attendance 名称``, review the file, then ``officium db upgrade``."""

from peewee import DateField, ForeignKeyField, SmallIntegerField

from officium.core.db import BaseModel
from officium.core.identity.models import User


class Presence(BaseModel):
    """A signed-in person used the system at some moment of a 10-minute slot of a day.

    ``slot`` is the minute of the day divided by 10 (0–143).  Written at most once per person and slot
    (INSERT … ON CONFLICT DO NOTHING), so the table grows by at most 144 rows per person per day.
    """

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    day = DateField()
    slot = SmallIntegerField()

    class Meta:
        table_name = "attendance_presence"
        # Also the index every report reads through: one person's days, a date range.
        indexes = ((("user", "day", "slot"), True),)
