"""Through the pages: the person's open work is handed on when a departure, a transfer or a role change is
carried out (the plugin calls ``user_changed``; the core moves the work)."""

from __future__ import annotations

import json

from officium.core.db import write_transaction
from officium.core.identity.models import RoleGrant
from officium.core.workflow import engine
from officium.core.workflow.models import WorkItem

from .conftest import open_items, start_memo, through


def reassign_log(instance):
    return [e for e in engine.timeline(instance) if e.action == "reassign"]


def test_departure_hands_the_leavers_work_to_the_unit_leader(app, desk, bureau):
    memo = start_memo(app, bureau.sun)
    assert set(open_items(memo)) == {"qian"}
    _, response = through(desk, kind="departure", departure_person="qian", reason="辞职")
    assert "其 1 件待办已改派" in response.text
    item = open_items(memo)["wang"]
    assert item.principal_id is None and item.step == "check"
    (entry,) = reassign_log(memo)
    assert entry.actor_id is None and entry.opinion == "人员离岗"
    assert json.loads(entry.detail)["from"] == "qian" and json.loads(entry.detail)["to"] == "wang"
    # the timeline shows it as the system's doing, and the leader can go on with the document
    rows = [(e.action, e.actor.username if e.actor_id else "系统") for e in engine.timeline(memo)]
    assert rows == [("submit", "sun"), ("reassign", "系统")]
    with write_transaction(app.db):
        engine.approve(app, item.id, bureau.wang, "代为核对")
    assert set(open_items(memo)) == {"zhou"}


def test_transfer_moves_role_work_to_the_new_holder_and_keeps_personal_work(app, desk, bureau):
    memo = start_memo(app, bureau.sun, 1)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, bureau.qian)  # now with the clerk, 周静
    returned = start_memo(app, bureau.zhou, 2)  # 周静's own document, sent back to her: personal work
    with write_transaction(app.db):
        engine.return_(app, open_items(returned)["qian"].id, bureau.qian, "drafter", "请补充")
        RoleGrant.create(user=bureau.sun, role="clerk", unit=bureau.rsc)  # 人事处 gets a second clerk
    assert set(open_items(memo)) == {"zhou"}  # the second clerk came after the step began
    through(
        desk,
        kind="transfer",
        transfer_person="zhou",
        transfer_target_unit="CWC",
        transfer_position="科员",
        reason="轮岗",
    )
    items = open_items(memo)
    assert set(items) == {"sun"} and len(WorkItem.select().where(WorkItem.instance == memo)) == 2
    (entry,) = reassign_log(memo)
    assert entry.opinion == "人员调动" and entry.actor_id is None
    assert set(open_items(returned)) == {"zhou"}  # a 拟稿人's work goes with the person
    assert reassign_log(returned) == []


def test_transfer_of_the_only_clerk_goes_to_the_old_units_leader(app, desk, bureau):
    memo = start_memo(app, bureau.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, bureau.qian)
    through(
        desk,
        kind="transfer",
        transfer_person="zhou",
        transfer_target_unit="CWC",
        transfer_position="综合人员",
        transfer_move_roles=["clerk"],
        reason="轮岗",
    )
    assert set(open_items(memo)) == {"wang"}


def test_a_revoked_role_moves_that_roles_work(app, desk, bureau):
    memo = start_memo(app, bureau.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, bureau.qian)
    through(
        desk,
        kind="role_change",
        role_person="zhou",
        role_action="revoke",
        role_role="clerk",
        reason="不再担任",
    )
    assert set(open_items(memo)) == {"wang"}
    assert reassign_log(memo)[0].opinion == "角色变更"
