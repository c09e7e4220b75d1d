"""Search index: who may read an entry is also kept in its full-text row (tokens _e, _u<id>, _n<unit>,
_p<hex>), so that a text query checks text and readers in one index lookup.

SQLite: the FTS5 table is rebuilt with an ``acl`` column and ``_`` as a token character.  PostgreSQL: the
tokens are added to the tsvector.  Existing entries are rewritten here from core_search_doc, core_search_text
and core_search_reader (the same text, segmented again).
"""

from types import SimpleNamespace

from peewee import PostgresqlDatabase


def up(migrator, db):
    from officium.core.search.index import fts_columns, pg_vectors

    pg = isinstance(db, PostgresqlDatabase)
    if not pg:
        db.execute_sql("DROP TABLE core_search_fts")
        db.execute_sql(
            "CREATE VIRTUAL TABLE core_search_fts USING fts5("
            "title, doc_number, extra, body, attachments, acl, "
            "tokenize = 'unicode61 remove_diacritics 0 tokenchars ''_''')"
        )
    readers = {}
    for doc_id, kind, value in db.execute_sql(
        "SELECT doc_id, kind, value FROM core_search_reader"
    ).fetchall():
        readers.setdefault(doc_id, []).append((kind, value))
    rows = db.execute_sql(
        "SELECT d.id, d.title, d.doc_number, d.from_unit, d.issuer_unit, d.doc_type, d.urgency, "
        "t.body, t.attachments_text FROM core_search_doc d LEFT JOIN core_search_text t ON t.doc_id = d.id"
    ).fetchall()
    for row in rows:
        doc = SimpleNamespace(
            title=row[1],
            doc_number=row[2],
            from_unit=row[3],
            issuer_unit=row[4],
            doc_type=row[5],
            urgency=row[6],
        )
        columns = fts_columns(doc, row[7] or "", row[8] or "", readers.get(row[0], []))
        if pg:
            full, short = pg_vectors(columns)
            db.execute_sql(
                "UPDATE core_search_fts SET fts = %s::tsvector, title_fts = %s::tsvector WHERE doc_id = %s",
                (full, short, row[0]),
            )
        else:
            db.execute_sql(
                "INSERT INTO core_search_fts (rowid, title, doc_number, extra, body, attachments, acl) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row[0], *(" ".join(t) for t in columns.values())),
            )


def down(migrator, db):
    # The extra tokens do no harm to the earlier code; only SQLite's table shape goes back.
    if not isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TABLE core_search_fts")
        db.execute_sql(
            "CREATE VIRTUAL TABLE core_search_fts USING fts5("
            "title, doc_number, extra, body, attachments, tokenize = 'unicode61 remove_diacritics 0')"
        )
