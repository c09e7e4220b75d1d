"""The search index (文档查询): indexed records, who may read them, and the full-text table.

The full-text table differs per database: an FTS5 table on SQLite (rowid = core_search_doc.id, the text
pre-split into bigrams by officium.core.search.segment), a tsvector with a GIN index on PostgreSQL.
"""

from peewee import *
from peewee import PostgresqlDatabase


def up(migrator, db):
    class SearchDoc(Model):
        source = CharField(max_length=64)
        record_id = CharField(max_length=64)
        module = CharField(max_length=32, index=True)
        title = CharField(max_length=500)
        url = CharField(max_length=500)
        body = TextField(default="")
        attachments_text = TextField(default="")
        doc_number = CharField(max_length=100, default="")
        from_unit = CharField(max_length=200, default="")
        issuer_unit = CharField(max_length=200, default="")
        year = IntegerField(null=True, index=True)
        unit_id = IntegerField(null=True, index=True)
        doc_type = CharField(max_length=32, default="")
        urgency = CharField(max_length=16, default="")
        date = DateField(null=True, index=True)
        created_at = DateTimeField(null=True)
        indexed_at = DateTimeField()

        class Meta:
            database = db
            table_name = "core_search_doc"
            indexes = ((("source", "record_id"), True),)

    class SearchReader(Model):
        doc = ForeignKeyField(SearchDoc, on_delete="CASCADE", index=False)
        kind = CharField(max_length=16)
        value = CharField(max_length=100, default="")

        class Meta:
            database = db
            table_name = "core_search_reader"
            indexes = ((("doc", "kind", "value"), False), (("kind", "value"), False))

    db.create_tables([SearchDoc, SearchReader])
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE TABLE core_search_fts ("
            "doc_id INTEGER PRIMARY KEY REFERENCES core_search_doc (id) ON DELETE CASCADE, "
            "fts TSVECTOR NOT NULL)"
        )
        db.execute_sql("CREATE INDEX core_search_fts_gin ON core_search_fts USING GIN (fts)")
    else:
        db.execute_sql(
            "CREATE VIRTUAL TABLE core_search_fts USING fts5("
            "title, doc_number, extra, body, attachments, tokenize = 'unicode61 remove_diacritics 0')"
        )


def down(migrator, db):
    db.execute_sql("DROP TABLE IF EXISTS core_search_fts")
    db.execute_sql("DROP TABLE IF EXISTS core_search_reader")
    db.execute_sql("DROP TABLE IF EXISTS core_search_doc")
