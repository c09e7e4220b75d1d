"""Disabling or moving someone on the 系统管理 pages hands their open work on (user_changed)."""

from __future__ import annotations

from officium import hookimpl
from officium.core.admin import service
from officium.core.db import write_transaction
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, unit_leader
from officium.core.workflow.models import WorkItem
from officium.testing import add_unit, add_user, make_plugin


class Flow:
    @hookimpl
    def register_workflows(self, app):
        return [Workflow("ask", "请示", steps=(Step("lead", "负责人", unit_leader()),))]


def setup(site_factory):
    app = site_factory(extra_plugins=[make_plugin("asks", Flow())])
    bureau = add_unit(app, "JYJ", "局", kind="bureau")
    office = add_unit(app, "BGS", "办公室", parent=bureau)
    boss = add_user(app, "boss", unit=bureau, roles=["leader"])
    lead = add_user(app, "lead", unit=office, roles=["leader"])
    writer = add_user(app, "writer", unit=office)
    with write_transaction(app.db):
        instance = engine.start(
            app, "asks.ask", object_type="ask", object_id=1, title="请示", url="/x", drafter=writer
        )
    (item,) = list(instance.items)
    assert item.assignee_id == lead.id
    return app, item, boss, lead


def test_disabling_a_person_hands_their_open_work_to_the_leader_above(site_factory):
    app, item, boss, lead = setup(site_factory)
    service.change_status(app, lead, "disabled")
    assert WorkItem.get_by_id(item.id).assignee_id == boss.id
