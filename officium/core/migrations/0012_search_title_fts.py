"""Search index on PostgreSQL: a short tsvector of the title and 文号 beside the full one.

Ranking ("title or 文号 matched" first) and the advanced search's 标题/文号 conditions read it instead of
the full tsvector, which is usually stored out of line (TOAST) and costly to read row by row.  SQLite's FTS5
table answers both from its own columns, so nothing changes there.
"""

from peewee import PostgresqlDatabase


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE core_search_fts ADD COLUMN title_fts TSVECTOR NOT NULL DEFAULT ''")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE core_search_fts DROP COLUMN title_fts")
