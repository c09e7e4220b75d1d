"""The ``user_changed`` hook and the core's reaction to it (officium/core/workflow/reassign.py), without
the change_requests plugin: the hook is called directly, as any code that changes a person may call it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.identity.accounts import grant_role, revoke_role, set_status
from officium.core.identity.models import User
from officium.core.notifications import Notification
from officium.core.registry import UserChange
from officium.core.workflow import engine
from officium.core.workflow.models import WorkItem
from officium.testing import add_user, make_plugin

from .conftest import FlowHooks, build_bureau, open_items, start_memo


def reassigned(instance):
    return [e for e in engine.timeline(instance) if e.action == "reassign"]


def changed(app, user, change):
    with write_transaction(app.db):
        app.hook.user_changed(app=app, user=user, change=change)


def test_hook_user_changed(site_factory):
    calls = []

    class Listener:
        @hookimpl
        def user_changed(self, app, user, change):
            # plugins run before the core: the work has not moved yet
            calls.append((user.username, change, sorted(open_items(memo))))

    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks()), make_plugin("listener", Listener())])
    bureau = build_bureau(app)
    memo = start_memo(app, bureau.sun)
    with write_transaction(app.db):
        set_status(bureau.qian, "left")
    change = UserChange("left", bureau.rsc.id, bureau.rsc.id)
    changed(app, User.get_by_id(bureau.qian.id), change)
    assert calls == [("qian", change, ["qian"])]
    assert set(open_items(memo)) == {"wang"}  # then the core handed the work on
    (entry,) = reassigned(memo)
    assert entry.actor_id is None and entry.opinion == "人员离岗"
    assert json.loads(entry.detail) == {"from": "qian", "to": "wang", "reason": "left"}
    (note,) = Notification.select().where(
        (Notification.user == bureau.wang) & (Notification.kind == "core.work_new")
    )
    assert note.title == "新的待办：《内部事项 1》" and note.url == "/flows/1"  # told like any new work


def test_user_change_is_frozen_and_checked():
    change = UserChange("left", 1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.kind = "transfer"  # type: ignore[misc]
    with pytest.raises(ValueError, match="人员变更类型"):
        UserChange("fired", 1, 1)


def test_a_delegates_departure_gives_the_work_back_to_its_owner(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    item = open_items(memo)["qian"]
    with write_transaction(app.db):  # 钱程 holds 孙立's item as his delegate (外出授权)
        WorkItem.update(assignee=b.qian, principal=b.sun).where(WorkItem.id == item.id).execute()
        set_status(b.qian, "left")
    changed(app, b.qian, UserChange("left", b.rsc.id, b.rsc.id))
    moved = WorkItem.get_by_id(item.id)
    assert (moved.assignee_id, moved.principal_id) == (b.sun.id, None)


def test_the_work_of_someone_held_by_a_delegate_goes_to_the_leader(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    item = open_items(memo)["qian"]
    with write_transaction(app.db):  # 钱程's own item is held by his delegate 孙立
        WorkItem.update(assignee=b.sun, principal=b.qian).where(WorkItem.id == item.id).execute()
        set_status(b.qian, "left")
    changed(app, b.qian, UserChange("left", b.rsc.id, b.rsc.id))
    moved = WorkItem.get_by_id(item.id)
    assert (moved.assignee_id, moved.principal_id) == (b.wang.id, None)


def test_a_leaving_leaders_work_goes_up_the_unit_tree(core_app, core_bureau):
    app, b = core_app, core_bureau
    add_user(app, "boss", name="局长", unit=b.ju, roles=["leader"])
    memo = start_memo(app, b.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, b.qian)
        engine.approve(app, open_items(memo)["zhou"].id, b.zhou)
        set_status(b.wang, "left")  # 王处长 keeps his (now inactive) grant, which must not block the way up
    changed(app, b.wang, UserChange("left", b.rsc.id, b.rsc.id))
    assert set(open_items(memo)) == {"boss"}


def test_nobody_to_take_it_leaves_the_item_and_the_log_alone(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, b.qian)
        engine.approve(app, open_items(memo)["zhou"].id, b.zhou)
        set_status(b.wang, "left")
    changed(app, b.wang, UserChange("left", b.rsc.id, b.rsc.id))
    assert set(open_items(memo)) == {"wang"}  # for the workflow administrator (流程监控) to move
    assert reassigned(memo) == []


def test_a_revoked_role_moves_that_roles_work_and_a_granted_one_moves_nothing(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, b.qian)
        grant_role(app.registry, b.zhou, "deputy_leader", b.rsc)
    changed(app, b.zhou, UserChange("roles", b.rsc.id, b.rsc.id, granted=(("deputy_leader", b.rsc.id),)))
    assert set(open_items(memo)) == {"zhou"}
    with write_transaction(app.db):
        revoke_role(b.zhou, "clerk", b.rsc)
    changed(app, b.zhou, UserChange("roles", b.rsc.id, b.rsc.id, revoked=(("clerk", b.rsc.id),)))
    assert set(open_items(memo)) == {"wang"}
    assert [e.opinion for e in reassigned(memo)] == ["角色变更"]


def test_a_role_still_held_higher_up_keeps_the_work(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    with write_transaction(app.db):
        engine.approve(app, open_items(memo)["qian"].id, b.qian)
        grant_role(app.registry, b.zhou, "clerk", b.ju)  # also the bureau's clerk
        revoke_role(b.zhou, "clerk", b.rsc)
    changed(app, b.zhou, UserChange("roles", b.rsc.id, b.rsc.id, revoked=(("clerk", b.rsc.id),)))
    assert set(open_items(memo)) == {
        "zhou"
    }  # 人事处 has no clerk now: the bureau's clerk (still her) holds it


def test_reading_items_stay(core_app, core_bureau):
    app, b = core_app, core_bureau
    memo = start_memo(app, b.sun)
    with write_transaction(app.db):
        (read,) = engine.circulate(app, memo.id, b.sun, [b.zhou])
        set_status(b.zhou, "left")
    changed(app, b.zhou, UserChange("left", b.rsc.id, b.rsc.id))
    assert WorkItem.get_by_id(read.id).assignee_id == b.zhou.id
