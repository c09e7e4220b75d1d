"""The search plugin's own table: a user's saved searches (我的查询)."""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import User


class SavedSearch(BaseModel):
    """A named search of one user: ``query`` is the canonical query string of the results page."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    name = CharField(max_length=50)
    query = TextField()
    created_at = DateTimeField()

    class Meta:
        table_name = "search_saved"
        indexes = ((("user", "name"), True),)
