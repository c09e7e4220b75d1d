"""The profile plugin's table.  After changing it, write a migration:
``officium db generate --plugin profile 名称``, review the file, then ``officium db upgrade``."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from officium.core.db import BaseModel
from officium.core.identity.models import User

#: Longest 常用意见, in characters.
OPINION_MAX = 200
#: Most 常用意见 one person may keep.
OPINIONS_PER_USER = 50


class Opinion(BaseModel):
    """One phrase of a person's 常用意见 list (``同意。``, ``请办公室阅处。``), shown in ``position`` order."""

    # The list belongs to the person: it goes when the account row goes (accounts are normally kept).
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    text = CharField(max_length=OPINION_MAX)
    position = IntegerField()
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "profile_opinion"
        # No duplicate phrase in one list; also the index that lists a person's phrases.
        indexes = ((("user", "text"), True),)
