"""The workflow engine through its service functions: every step mode and every action."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.workcalendar import CalendarOverride, add_working_days, is_workday
from officium.core.workflow import engine
from officium.core.workflow.definition import (
    Step,
    Workflow,
    chosen,
    computed,
    drafter,
    role,
    site_role,
    unit_leader,
    users,
)
from officium.core.workflow.engine import Conflict, WorkflowError
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from officium.testing import add_unit, add_user, make_plugin

EVENTS: list[str] = []
COMPUTED: list[str] = []
USER = {"a": "jia", "b": "yi", "c": "bing"}

FLOWS = [
    Workflow("single", "单人", steps=(Step("lead", "负责人审批", unit_leader(), days=2),)),
    Workflow(
        "any",
        "任一",
        steps=(Step("clerks", "综合人员办理", role("clerk")), Step("lead", "负责人", unit_leader())),
    ),
    Workflow(
        "all",
        "会签",
        steps=(
            Step("sign", "会签", users("jia", "yi", "bing"), mode="all"),
            Step("lead", "负责人", unit_leader()),
        ),
    ),
    Workflow(
        "computed",
        "计算办理人",
        steps=(
            Step(
                "sign",
                "会签",
                computed(
                    lambda app, inst: User.select().where(User.username.in_(COMPUTED)), "所选单位负责人"
                ),
                mode="all",
                when=lambda f: f.get("sign", True),
            ),
            Step("lead", "负责人", unit_leader()),
        ),
    ),
    Workflow("it", "信息化处办理", steps=(Step("carry", "系统管理员办理", site_role("workflow_admin")),)),
    Workflow("seq", "顺序会签", steps=(Step("sign", "顺序会签", users("jia", "yi"), mode="sequence"),)),
    Workflow(
        "pick",
        "选人",
        steps=(Step("lead", "负责人", unit_leader()), Step("chosen", "指定人员", chosen(users("jia", "yi")))),
    ),
    Workflow(
        "cond",
        "条件",
        steps=(
            Step(
                "lead",
                "负责人",
                unit_leader(),
                on_complete=lambda ctx: EVENTS.append(f"lead:{ctx.actor.username}"),
            ),
            Step("big", "局领导", users("boss"), when=lambda f: f.get("amount", 0) > 10000),
            Step("back", "拟稿人确认", drafter()),
        ),
        on_finish=lambda ctx: EVENTS.append(f"finish:{ctx.instance.object_id}"),
        on_return=lambda ctx: EVENTS.append("returned"),
    ),
]


class FlowHooks:
    @hookimpl
    def register_workflows(self, app):
        return FLOWS


@pytest.fixture
def site(site_factory):
    EVENTS.clear()
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    office = add_unit(app, "BGS", "办公室")
    people = {
        "writer": add_user(app, "writer", name="拟稿人", unit=office),
        "leader": add_user(app, "leader", name="主任", unit=office, roles=["leader"]),
        "clerk1": add_user(app, "clerk1", name="文书甲", unit=office, roles=["clerk"]),
        "clerk2": add_user(app, "clerk2", name="文书乙", unit=office, roles=["clerk"]),
        "a": add_user(app, "jia", name="甲", unit=office),
        "b": add_user(app, "yi", name="乙", unit=office),
        "c": add_user(app, "bing", name="丙", unit=office),
        "boss": add_user(app, "boss", name="局长", unit=office),
    }
    app.people = people
    return app


counter = iter(range(1, 10**6))


def start(app, flow, **kwargs):
    with write_transaction(app.db):
        return engine.start(
            app,
            f"flows.{flow}",
            object_type="doc",
            object_id=next(counter),
            title=f"{flow} 文件",
            url="/flows/x",
            drafter=app.people["writer"],
            **kwargs,
        )


def open_items(instance, step=None):
    query = WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.state == "open") & (WorkItem.kind == "todo")
    )
    if step:
        query = query.where(WorkItem.step == step)
    return {i.assignee.username: i for i in query}


def act(app, fn, *args, **kwargs):
    with write_transaction(app.db):
        return fn(app, *args, **kwargs)


def refreshed(instance):
    return Instance.get_by_id(instance.id)


def actions(instance):
    return [(log.action, log.actor.username if log.actor else None) for log in engine.timeline(instance)]


# ------------------------------------------------------------------------------------- step modes


def test_single_step_runs_to_the_end_and_logs_everything(site):
    inst = start(site, "single")
    (item,) = open_items(inst).values()
    assert item.assignee.username == "leader" and item.due_at is not None
    act(site, engine.approve, item.id, site.people["leader"], "同意。")
    inst = refreshed(inst)
    assert inst.state == "done" and inst.finished_at is not None
    assert actions(inst) == [("submit", "writer"), ("approve", "leader"), ("finish", "leader")]
    assert engine.timeline(inst)[1].opinion == "同意。"


def test_any_one_of_several_first_takes_it_and_the_other_gets_a_conflict(site):
    inst = start(site, "any")
    items = open_items(inst, "clerks")
    assert set(items) == {"clerk1", "clerk2"}
    act(site, engine.approve, items["clerk2"].id, site.people["clerk2"])
    assert WorkItem.get_by_id(items["clerk1"].id).state == "taken"
    with pytest.raises(Conflict):
        act(site, engine.approve, items["clerk1"].id, site.people["clerk1"])
    assert set(open_items(inst)) == {"leader"}


def test_parallel_countersign_waits_for_everyone(site):
    inst = start(site, "all")
    items = open_items(inst, "sign")
    assert set(items) == {"jia", "yi", "bing"}
    act(site, engine.approve, items["yi"].id, site.people["b"])
    act(site, engine.approve, items["jia"].id, site.people["a"])
    assert refreshed(inst).step == "sign"
    act(site, engine.approve, items["bing"].id, site.people["c"])
    assert refreshed(inst).step == "lead"


def test_sequential_countersign_opens_one_after_another(site):
    inst = start(site, "seq")
    states = {i.assignee.username: i.state for i in inst.items}
    assert states == {"jia": "open", "yi": "waiting"}
    b_item = next(i for i in inst.items if i.assignee.username == "yi")
    with pytest.raises(Conflict, match="顺序会签尚未轮到您"):
        act(site, engine.approve, b_item.id, site.people["b"])
    act(site, engine.approve, open_items(inst)["jia"].id, site.people["a"])
    assert set(open_items(inst)) == {"yi"}
    act(site, engine.approve, b_item.id, site.people["b"])
    assert refreshed(inst).state == "done"


def test_signers_added_in_a_sequential_countersign_take_their_turn_next(site):
    inst = start(site, "seq")
    act(site, engine.add_signers, open_items(inst)["jia"].id, site.people["a"], [site.people["c"]])
    # 丙 waits for 甲 (who added them), 乙 now waits for 丙
    states = {i.assignee.username: i.state for i in WorkItem.select().where(WorkItem.instance == inst)}
    assert states == {"jia": "open", "bing": "waiting", "yi": "waiting"}
    act(site, engine.approve, open_items(inst)["jia"].id, site.people["a"])
    assert set(open_items(inst)) == {"bing"}
    act(site, engine.approve, open_items(inst)["bing"].id, site.people["c"])
    assert set(open_items(inst)) == {"yi"}
    act(site, engine.approve, open_items(inst)["yi"].id, site.people["b"])
    assert refreshed(inst).state == "done"


def test_the_next_sequential_signer_is_told_and_their_clock_starts_on_their_turn(site, clock):
    from officium.core.notifications import Notification

    inst = start(site, "seq")
    yi = site.people["b"]
    assert Notification.select().where(Notification.user == yi).count() == 0
    clock.advance(days=7)
    act(site, engine.approve, open_items(inst)["jia"].id, site.people["a"])
    item = open_items(inst)["yi"]
    assert item.created_at == clock()
    assert Notification.select().where(Notification.user == yi).count() == 1


def test_chosen_handlers_must_come_from_the_candidates(site):
    inst = start(site, "pick")
    item = open_items(inst)["leader"]
    with pytest.raises(WorkflowError, match="请选择下一步的办理人"):
        act(site, engine.approve, item.id, site.people["leader"])
    with pytest.raises(WorkflowError, match="不在可选的办理人范围内"):
        act(site, engine.approve, item.id, site.people["leader"], chosen=[site.people["boss"]])
    assert WorkItem.get_by_id(item.id).state == "open"  # the failed attempts changed nothing
    act(site, engine.approve, item.id, site.people["leader"], chosen=[site.people["b"]])
    assert set(open_items(inst)) == {"yi"}


def test_conditions_skip_steps_and_callbacks_run(site):
    small = start(site, "cond", fields={"amount": 500})
    act(site, engine.approve, open_items(small)["leader"].id, site.people["leader"])
    assert set(open_items(small)) == {"writer"}
    big = start(site, "cond", fields={"amount": 50000})
    act(site, engine.approve, open_items(big)["leader"].id, site.people["leader"])
    assert set(open_items(big)) == {"boss"}
    act(site, engine.approve, open_items(small)["writer"].id, site.people["writer"])
    assert EVENTS == ["lead:leader", "lead:leader", f"finish:{small.object_id}"]


def test_role_handlers_look_up_the_unit_tree(site):
    office = site.people["writer"].unit
    section = add_unit(site, "BGS-MS", "秘书科", kind="section", parent=office)
    member = add_user(site, "member", unit=section)
    with write_transaction(site.db):
        inst = engine.start(
            site, "flows.single", object_type="doc", object_id=999, title="科室文件", url="/x", drafter=member
        )
    assert set(open_items(inst)) == {"leader"}  # the section has no leader: the office's leader handles it


def test_an_inactive_holder_does_not_stop_the_walk_up_the_tree(site):
    from officium.core.identity.accounts import set_status

    office = site.people["writer"].unit
    section = add_unit(site, "BGS-WS", "文书科", kind="section", parent=office)
    gone = add_user(site, "gone", unit=section, roles=["leader"])
    member = add_user(site, "member2", unit=section)
    with write_transaction(site.db):
        set_status(gone, "left")
        inst = engine.start(
            site, "flows.single", object_type="doc", object_id=998, title="t", url="/x", drafter=member
        )
    assert set(open_items(inst)) == {"leader"}


def test_site_roles_resolve_wherever_granted(site):
    other = add_unit(site, "XXH", "信息化处")
    admin1 = add_user(site, "itadmin", unit=other, roles=[("workflow_admin", None)])
    inst = start(site, "it")
    assert set(open_items(inst)) == {admin1.username}


def test_computed_handlers_are_resolved_when_the_step_starts_and_fields_can_change(site):
    COMPUTED[:] = ["jia", "yi"]
    inst = start(site, "computed", fields={"sign": True})
    assert set(open_items(inst)) == {"jia", "yi"}
    assert site.registry.workflows["flows.computed"].steps[0].handlers.describe() == "所选单位负责人"
    skipped = start(site, "computed", fields={"sign": True})
    act(site, engine.set_fields, refreshed(skipped), {"sign": False}, title="改后的标题")
    assert refreshed(skipped).title == "改后的标题"
    assert {i.title for i in WorkItem.select().where(WorkItem.instance == skipped)} == {"改后的标题"}
    for item in open_items(skipped).values():
        act(site, engine.approve, item.id, item.assignee)
    # the 会签 step is skipped on re-entry now that the field says so: the next document goes to 负责人
    third = start(site, "computed", fields={"sign": False})
    assert set(open_items(third)) == {"leader"}


def test_no_handler_refuses_to_start_and_saves_nothing(site):
    lonely = add_unit(site, "LONE", "无人单位")
    stranger = add_user(site, "stranger", unit=lonely)
    before = Instance.select().count()
    with pytest.raises(WorkflowError, match="找不到“负责人审批”的办理人"):
        with write_transaction(site.db):
            engine.start(
                site, "flows.single", object_type="doc", object_id=1000, title="t", url="/x", drafter=stranger
            )
    assert Instance.select().count() == before


# ---------------------------------------------------------------------------------------- actions


def test_return_to_an_earlier_step_and_to_the_drafter(site):
    inst = start(site, "any")
    act(site, engine.approve, open_items(inst)["clerk1"].id, site.people["clerk1"])
    leader_item = open_items(inst)["leader"]
    with pytest.raises(WorkflowError, match="退回理由"):
        act(site, engine.return_, leader_item.id, site.people["leader"], "clerks", "")
    with pytest.raises(WorkflowError, match="只能退回到之前"):
        act(site, engine.return_, leader_item.id, site.people["leader"], "lead", "请改")
    act(site, engine.return_, leader_item.id, site.people["leader"], "clerks", "材料不全")
    assert set(open_items(inst)) == {"clerk1"}  # back to whoever handled that step
    act(site, engine.approve, open_items(inst)["clerk1"].id, site.people["clerk1"])
    act(site, engine.return_, open_items(inst)["leader"].id, site.people["leader"], "drafter", "请补充依据")
    assert set(open_items(inst)) == {"writer"} and refreshed(inst).step == "drafter"
    act(site, engine.approve, open_items(inst)["writer"].id, site.people["writer"], "已补充")
    assert set(open_items(inst)) == {"clerk1", "clerk2"}
    assert [a for a, _ in actions(inst)].count("return") == 2


def test_return_to_drafter_runs_the_callback(site):
    inst = start(site, "cond", fields={"amount": 1})
    act(site, engine.return_, open_items(inst)["leader"].id, site.people["leader"], "drafter", "重写")
    assert EVENTS == ["returned"]


def test_withdraw_rules(site):
    inst = start(site, "any")
    with pytest.raises(WorkflowError, match="只有最近一步的办理人"):
        act(site, engine.withdraw, inst.id, site.people["clerk1"])
    act(site, engine.withdraw, inst.id, site.people["writer"])  # nobody acted yet
    assert set(open_items(inst)) == {"writer"}
    act(site, engine.approve, open_items(inst)["writer"].id, site.people["writer"])
    act(site, engine.approve, open_items(inst)["clerk2"].id, site.people["clerk2"])
    act(site, engine.withdraw, inst.id, site.people["clerk2"])
    assert set(open_items(inst)) == {"clerk1", "clerk2"} and refreshed(inst).step == "clerks"
    act(site, engine.approve, open_items(inst)["clerk1"].id, site.people["clerk1"])
    act(site, engine.approve, open_items(inst)["leader"].id, site.people["leader"])
    with pytest.raises(Conflict):
        act(site, engine.withdraw, inst.id, site.people["leader"])  # finished documents stay finished


def test_withdraw_is_refused_once_the_next_handler_acted(site):
    inst = start(site, "all")
    items = open_items(inst)
    act(site, engine.approve, items["jia"].id, site.people["a"])
    act(
        site, engine.withdraw, inst.id, site.people["a"]
    )  # the step still waits for others: own signature back
    assert set(open_items(inst)) == {"jia", "yi", "bing"}
    for name in ("a", "b", "c"):
        act(site, engine.approve, open_items(inst)[USER[name]].id, site.people[name])
    act(site, engine.approve, open_items(inst)["leader"].id, site.people["leader"])
    with pytest.raises(Conflict):
        act(site, engine.withdraw, inst.id, site.people["c"])


def test_transfer_and_add_signers(site):
    inst = start(site, "single")
    item = open_items(inst)["leader"]
    act(site, engine.transfer, item.id, site.people["leader"], site.people["a"], "请甲代为审核")
    assert set(open_items(inst)) == {"jia"}
    with pytest.raises(WorkflowError):
        act(site, engine.transfer, open_items(inst)["jia"].id, site.people["a"], site.people["a"])
    act(site, engine.add_signers, open_items(inst)["jia"].id, site.people["a"], [site.people["b"]])
    act(site, engine.approve, open_items(inst)["jia"].id, site.people["a"])
    assert refreshed(inst).state == "running" and set(open_items(inst)) == {"yi"}
    act(site, engine.approve, open_items(inst)["yi"].id, site.people["b"])
    assert refreshed(inst).state == "done"
    assert ("transfer", "leader") in actions(inst) and ("add_signer", "jia") in actions(inst)


def test_circulation_does_not_block_and_is_read_once(site):
    inst = start(site, "single")
    created = act(
        site, engine.circulate, inst.id, site.people["writer"], [site.people["a"], site.people["b"]]
    )
    assert {i.assignee.username for i in created} == {"jia", "yi"}
    act(site, engine.approve, open_items(inst)["leader"].id, site.people["leader"])
    assert refreshed(inst).state == "done"
    act(site, engine.mark_read, created[0].id, site.people["a"])
    assert WorkItem.get_by_id(created[0].id).state == "done"
    with pytest.raises(WorkflowError):
        act(site, engine.mark_read, created[1].id, site.people["a"])  # not a's item
    again = act(site, engine.circulate, inst.id, site.people["writer"], [site.people["b"]])
    assert again == []  # b already has an unread copy


def test_suspend_stops_the_clock_and_blocks_actions(site, clock):
    inst = start(site, "single")
    item = open_items(inst)["leader"]
    due = item.due_at
    act(site, engine.suspend, inst.id, site.people["writer"], "等待外单位材料")
    with pytest.raises(Conflict, match="已挂起"):
        act(site, engine.approve, item.id, site.people["leader"])
    clock.advance(days=3)
    act(site, engine.resume, inst.id, site.people["writer"])
    assert WorkItem.get_by_id(item.id).due_at == due + timedelta(days=3)
    act(site, engine.approve, item.id, site.people["leader"])


def test_monitor_reassign_jump_and_close(site):
    inst = start(site, "any")
    item = open_items(inst)["clerk1"]
    from officium.core.notifications import Notification

    act(site, engine.reassign, item.id, site.people["leader"], site.people["c"], "甲休假")
    assert "bing" in open_items(inst)
    assert Notification.select().where(Notification.user == site.people["c"]).count() == 1
    act(site, engine.jump, inst.id, site.people["leader"], "lead", "特事特办")
    assert set(open_items(inst)) == {"leader"}
    act(site, engine.close, inst.id, site.people["leader"], "重复提交")
    assert refreshed(inst).state == "closed" and open_items(inst) == {}
    assert [a for a, _ in actions(inst)][-3:] == ["reassign", "jump", "close"]


def test_urge_names_the_current_handlers(site):
    inst = start(site, "any")
    reminded = act(site, engine.urge, inst.id, site.people["writer"], "请今天办理")
    assert {u.username for u in reminded} == {"clerk1", "clerk2"}
    assert ActionLog.select().where((ActionLog.instance == inst) & (ActionLog.action == "urge")).count() == 1


def test_actions_are_audited_with_the_document(site):
    from officium.core.audit import AuditEntry, verify_chain

    inst = start(site, "single")
    act(site, engine.approve, open_items(inst)["leader"].id, site.people["leader"], "同意")
    entries = [e.action for e in AuditEntry.select().where(AuditEntry.object_id == inst.object_id)]
    assert entries == ["flows.workflow.submit", "flows.workflow.approve", "flows.workflow.finish"]
    assert verify_chain(site).ok


def test_someone_else_cannot_act_on_my_item(site):
    inst = start(site, "single")
    item = open_items(inst)["leader"]
    with pytest.raises(WorkflowError, match="不是您的待办"):
        act(site, engine.approve, item.id, site.people["a"])


# ----------------------------------------------------------------------------------- concurrency


def test_fifty_parallel_approvals_one_wins(site):
    """50 threads approve the same item at once: exactly one succeeds, 49 get a Conflict."""
    inst = start(site, "single")
    item = open_items(inst)["leader"]
    leader = User.get(User.username == "leader")
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def worker():
        barrier.wait()
        try:
            with write_transaction(site.db):
                engine.approve(site, item.id, leader, "同意")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # any other failure must show up in the assertion below
            outcomes.append(f"error: {exc!r}")
        finally:
            site.db.close()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 49 + ["ok"]
    assert (
        ActionLog.select().where((ActionLog.instance == inst) & (ActionLog.action == "approve")).count() == 1
    )


# -------------------------------------------------------------------------------------- calendar


def _holiday_span(year: int) -> tuple[date, date]:
    """The first and last day off of the National Day holiday, as chinese_calendar knows it."""
    days = [date(year, 9, 20) + timedelta(days=i) for i in range(30)]
    off = [
        d for d in days if chinese_calendar.get_holiday_detail(d)[1] == "National Day" and not is_workday(d)
    ]
    return off[0], off[-1]


def test_due_dates_skip_the_national_holiday_and_count_the_make_up_saturday(site):
    first_off, last_off = _holiday_span(2026)
    make_up = [
        first_off + timedelta(days=i)
        for i in range(20)
        if (first_off + timedelta(days=i)).weekday() == 5 and is_workday(first_off + timedelta(days=i))
    ]
    assert make_up, "chinese_calendar should know a make-up working Saturday after National Day 2026"
    eve = datetime.combine(first_off - timedelta(days=1), datetime.min.time()).replace(hour=10)
    due = add_working_days(eve, 1)
    assert due.date() > last_off and is_workday(due.date())
    # counting up to the Saturday includes it as a working day
    span = sum(is_workday(last_off + timedelta(days=i)) for i in range(1, (make_up[0] - last_off).days + 1))
    assert add_working_days(eve, span).date() == make_up[0]


def test_calendar_override_changes_a_due_date(site):
    monday = datetime(2026, 3, 2, 9, 0)
    assert add_working_days(monday, 1).date() == date(2026, 3, 3)
    with write_transaction(site.db):
        CalendarOverride.create(day=date(2026, 3, 3), workday=False, note="临时停工")
    assert add_working_days(monday, 1).date() == date(2026, 3, 4)


def test_withdraw_twice_or_after_a_return_is_refused(site):
    inst = start(site, "any")
    act(site, engine.approve, open_items(inst)["clerk1"].id, site.people["clerk1"])
    act(site, engine.withdraw, inst.id, site.people["clerk1"])
    with pytest.raises(Conflict):
        act(site, engine.withdraw, inst.id, site.people["clerk1"])  # nothing left to undo (no crash)
    act(site, engine.approve, open_items(inst)["clerk1"].id, site.people["clerk1"])
    act(site, engine.return_, open_items(inst)["leader"].id, site.people["leader"], "drafter", "请补充")
    with pytest.raises(Conflict):
        act(site, engine.withdraw, inst.id, site.people["clerk1"])
    assert set(open_items(inst)) == {"writer"}
