"""Audit retention (the chain anchor kept after a purge) and API token scopes."""
# Generated from a schema diff on 2026-11-26 07:44.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('core_api_token', 'scopes', CharField(max_length=500, default='*')))
    migrator.migrate(migrator.add_column('core_audit_head', 'base_hash', CharField(max_length=64, default='0000000000000000000000000000000000000000000000000000000000000000')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('core_audit_head', 'base_hash'))
    migrator.migrate(migrator.drop_column('core_api_token', 'scopes'))
