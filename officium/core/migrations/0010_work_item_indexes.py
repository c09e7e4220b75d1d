"""Work-item indexes for a million rows: the principal's boxes get their own composite index (a delegate's
work shows in the principal's 已办), and three single-column foreign-key indexes go because a composite index
starting with the same column already serves every query and every foreign-key check."""
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.drop_index('core_work_item', 'workitem_assignee_id'))
    migrator.migrate(migrator.drop_index('core_work_item', 'workitem_principal_id'))
    migrator.migrate(migrator.drop_index('core_work_item', 'workitem_instance_id'))
    migrator.migrate(migrator.add_index('core_work_item', ('principal_id', 'kind', 'state', 'created_at'), False, name='workitem_principal_id_kind_state_created_at'))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('core_work_item', 'workitem_principal_id_kind_state_created_at'))
    migrator.migrate(migrator.add_index('core_work_item', ('instance_id',), False, name='workitem_instance_id'))
    migrator.migrate(migrator.add_index('core_work_item', ('principal_id',), False, name='workitem_principal_id'))
    migrator.migrate(migrator.add_index('core_work_item', ('assignee_id',), False, name='workitem_assignee_id'))
