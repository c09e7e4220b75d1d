# Generated from a schema diff on 2026-11-26 08:57.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("docs_outgoing_document", "seal_id", IntegerField(null=True)))
    migrator.migrate(migrator.add_column("docs_outgoing_document", "use_request_id", IntegerField(null=True)))
    migrator.migrate(
        migrator.add_column("docs_outgoing_document", "pdf_sha256", CharField(max_length=64, default=""))
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("docs_outgoing_document", "pdf_sha256"))
    migrator.migrate(migrator.drop_column("docs_outgoing_document", "use_request_id"))
    migrator.migrate(migrator.drop_column("docs_outgoing_document", "seal_id"))
