"""The shortcuts plugin's tables.  After changing them, write a migration:
``officium db generate --plugin shortcuts 名称``, review the file, then ``officium db upgrade``."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from officium.core.db import BaseModel
from officium.core.identity.models import User

TITLE_MAX = 40
URL_MAX = 500
#: What a shortcut points to: an action (起草发文) or a document (one 收文).
KINDS = {"action": "操作", "document": "文档"}


class Shortcut(BaseModel):
    """A link one user pinned, shown in their order (``position``, then id)."""

    # backref="+": no reverse accessor on the core's User, so plugins never collide there.
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    title = CharField(max_length=TITLE_MAX)
    url = CharField(max_length=URL_MAX)
    kind = CharField(max_length=16, default="action")
    position = IntegerField(default=0)
    created_at = DateTimeField()

    class Meta:
        table_name = "shortcuts_shortcut"
        indexes = ((("user", "position"), False),)


class DefaultShortcut(BaseModel):
    """A shortcut every holder of ``role`` sees until they pin their own."""

    role = CharField(max_length=64, index=True)
    title = CharField(max_length=TITLE_MAX)
    url = CharField(max_length=URL_MAX)
    kind = CharField(max_length=16, default="action")
    position = IntegerField(default=0)
    created_at = DateTimeField()

    class Meta:
        table_name = "shortcuts_default"
