"""Time limits: the ``core.workflow_deadlines`` job (one reminder, one escalation per item) and the overdue
report per unit and per person, with its scope and CSV export."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.deadlines import approaching_until, check_deadlines, escalation_targets
from officium.core.jobs import run_due_jobs
from officium.core.notifications import Notification
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, users
from officium.core.workflow.models import WorkItem
from officium.testing import add_unit, add_user, app_client, login, make_plugin

FLOWS = [
    Workflow("three", "三日办结", steps=(Step("handle", "办理", users("jia"), days=3),)),
    Workflow("boss", "主任办理", steps=(Step("handle", "办理", users("zhuren"), days=3),)),
    Workflow("one", "一日办结", steps=(Step("handle", "办理", users("jia", "yi", "bing"), mode="all", days=1),)),
]


class FlowHooks:
    @hookimpl
    def register_workflows(self, app):
        return FLOWS


def _org(app):
    bureau = add_unit(app, "JU", "江南局", kind="bureau")
    office = add_unit(app, "BGS", "办公室", parent=bureau)
    branch = add_unit(app, "FJ", "城东分局", kind="branch", parent=bureau)
    return {
        "bureau": bureau,
        "office": office,
        "branch": branch,
        "juzhang": add_user(app, "juzhang", name="局长", unit=bureau, roles=["leader"]),
        "zhuren": add_user(app, "zhuren", name="主任", unit=office, roles=["leader"]),
        "fenju": add_user(app, "fenju", name="分局长", unit=branch, roles=["leader"]),
        "fenguan": add_user(app, "fenguan", name="分管局领导", unit=bureau, roles=[("supervising_leader", branch)]),
        "jiankong": add_user(app, "jiankong", name="流程管理员", unit=office, roles=["workflow_admin"]),
        "writer": add_user(app, "writer", name="拟稿人", unit=office),
        "jia": add_user(app, "jia", name="甲", unit=office),
        "yi": add_user(app, "yi", name="乙", unit=office),
        "bing": add_user(app, "bing", name="丙", unit=branch),
    }


@pytest.fixture
def org(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    return app, _org(app)


def _start(app, people, key="flows.three", object_id=1):
    with write_transaction(app.db):
        return engine.start(
            app, key, object_type="doc", object_id=object_id, title=f"文件{object_id}", url=f"/flows/{object_id}",
            drafter=people["writer"],
        )


def _notes(user, kind):
    return [n.title for n in Notification.select().where((Notification.user == user) & (Notification.kind == kind))]


def test_one_reminder_when_the_deadline_approaches(org, clock):
    app, people = org
    instance = _start(app, people)  # Monday 2026-03-02 09:00, three working days: due Thursday night
    (item,) = instance.items
    assert item.due_at == datetime(2026, 3, 5, 23, 59, 59)
    assert approaching_until(app, clock()) == datetime(2026, 3, 3, 23, 59, 59)
    assert check_deadlines(app) == "提醒 0 项，上报 0 项。"
    assert _notes(people["jia"], "core.work_due") == []
    clock.advance(days=2)  # Wednesday: due within one working day
    assert check_deadlines(app).startswith("提醒 1 项")
    assert _notes(people["jia"], "core.work_due") == ["即将到期：《文件1》"]
    assert WorkItem.get_by_id(item.id).reminded_at == clock()
    clock.advance(days=1)
    check_deadlines(app)
    assert len(_notes(people["jia"], "core.work_due")) == 1  # once per item


def test_an_item_first_seen_overdue_is_reminded_as_overdue(org, clock):
    app, people = org
    _start(app, people)
    clock.advance(days=4)  # Friday: past Thursday's deadline
    check_deadlines(app)
    assert _notes(people["jia"], "core.work_due") == ["已超期：《文件1》"]
    assert "已经超期" in Notification.get(Notification.kind == "core.work_due").body


def test_escalation_to_the_unit_leader_once_after_a_working_day(org, clock):
    app, people = org
    instance = _start(app, people)
    (item,) = instance.items
    clock.advance(days=4)  # Friday: overdue, but the escalation waits one working day after the deadline
    assert check_deadlines(app) == "提醒 1 项，上报 0 项。"
    assert _notes(people["zhuren"], "core.work_escalated") == []
    clock.advance(hours=14, minutes=59)  # Friday 23:59: the working day after the deadline is not over
    check_deadlines(app)
    assert _notes(people["zhuren"], "core.work_escalated") == []
    clock.advance(minutes=1)  # Saturday 00:00: it is
    assert check_deadlines(app) == "提醒 0 项，上报 1 项。"
    assert _notes(people["zhuren"], "core.work_escalated") == ["超期未办：甲《文件1》"]
    assert WorkItem.get_by_id(item.id).escalated_at == clock()
    clock.advance(days=1)
    check_deadlines(app)
    assert len(_notes(people["zhuren"], "core.work_escalated")) == 1
    assert _notes(people["juzhang"], "core.work_escalated") == []


def test_a_late_leader_is_reported_up_the_unit_tree(org, clock):
    app, people = org
    instance = _start(app, people, key="flows.boss")
    (item,) = instance.items
    assert [u.username for u in escalation_targets(item)] == ["juzhang"]
    clock.advance(days=7)
    check_deadlines(app)
    assert _notes(people["juzhang"], "core.work_escalated") == ["超期未办：主任《文件1》"]
    assert _notes(people["zhuren"], "core.work_escalated") == []


def test_the_escalation_delay_is_a_core_setting(site_factory, clock):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())], settings={"core": {"escalate_after_days": 3}})
    people = _org(app)
    _start(app, people)
    clock.advance(days=7)  # Monday 03-09: Friday, one working day after the deadline, is over; Monday is not
    check_deadlines(app)
    assert _notes(people["zhuren"], "core.work_escalated") == []
    clock.advance(days=1)  # Tuesday 03-10: the third working day is not over yet
    check_deadlines(app)
    assert _notes(people["zhuren"], "core.work_escalated") == []
    clock.advance(days=1)  # Wednesday
    check_deadlines(app)
    assert _notes(people["zhuren"], "core.work_escalated") == ["超期未办：甲《文件1》"]


def test_suspended_and_finished_documents_are_left_alone(org, clock):
    app, people = org
    suspended = _start(app, people, object_id=1)
    finished = _start(app, people, object_id=2)
    with write_transaction(app.db):
        engine.suspend(app, suspended.id, people["writer"], "等待外单位材料")
        (item,) = finished.items
        engine.approve(app, item.id, people["jia"], "已办。")
    clock.advance(days=10)
    assert check_deadlines(app) == "提醒 0 项，上报 0 项。"
    assert Notification.select().where(Notification.kind.in_(("core.work_due", "core.work_escalated"))).count() == 0


def test_the_job_runs_every_ten_minutes_through_the_job_runner(org, clock):
    app, people = org
    _start(app, people)
    job = app.registry.jobs["core.workflow_deadlines"]
    assert job.every_minutes == 10
    clock.advance(days=2)
    (outcome,) = [o for o in run_due_jobs(app, clock()) if o.name == job.name]
    assert outcome.ok and outcome.message == "提醒 1 项，上报 0 项。"
    clock.advance(minutes=9)
    assert [o for o in run_due_jobs(app, clock()) if o.name == job.name] == []


def test_no_leader_no_escalation_but_a_note(site_factory, clock):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    office = add_unit(app, "BGS", "办公室")
    writer = add_user(app, "writer", unit=office)
    add_user(app, "jia", unit=office)
    with write_transaction(app.db):
        engine.start(app, "flows.three", object_type="doc", object_id=1, title="无人可报", url="/f/1", drafter=writer)
    clock.advance(days=8)
    assert check_deadlines(app) == "提醒 1 项，上报 0 项，1 项找不到可上报的单位负责人。"
    assert WorkItem.get().escalated_at is None  # tried again once a leader is named


# ------------------------------------------------------------------------------------------ report


def _report_data(app, people, clock):
    """Monday 03-02: three one-day items each for 甲 (办公室), 乙 (办公室), 丙 (城东分局)."""
    _start(app, people, key="flows.one", object_id=1)
    _start(app, people, key="flows.one", object_id=2)
    clock.advance(days=2)  # Wednesday: all overdue (due Tuesday night)
    with write_transaction(app.db):
        for instance_id in (1, 2):
            yi_item = WorkItem.get((WorkItem.instance == instance_id) & (WorkItem.assignee == people["yi"]))
            engine.approve(app, yi_item.id, people["yi"], "已办（超期）。")
    on_time = _start(app, people, key="flows.one", object_id=3)
    with write_transaction(app.db):
        jia_item = WorkItem.get((WorkItem.instance == on_time.id) & (WorkItem.assignee == people["jia"]))
        engine.approve(app, jia_item.id, people["jia"], "按时办理。")


def _rows(html, testid):
    """The cells of a table's body rows, tags stripped."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row)] for row in table.split("</tr>")[:-1]]


def test_overdue_report_for_the_workflow_administrator(org, clock):
    app, people = org
    _report_data(app, people, clock)
    with app_client(app) as client:
        login(client, "jiankong")
        page = client.get("/reports/overdue?start=2026-03-01&end=2026-03-31").text
        assert _rows(page, "by-person") == [
            ["办公室", "甲", "2", "0"],
            ["城东分局", "丙", "2", "0"],
            ["办公室", "乙", "0", "2"],
        ]
        assert _rows(page, "by-unit") == [["办公室", "2", "2", "2"], ["城东分局", "1", "2", "0"]]
        # a period before the late approvals counts no late finishing; overdue-now stays
        earlier = client.get("/reports/overdue?start=2026-02-01&end=2026-02-28").text
        assert _rows(earlier, "by-unit") == [["办公室", "1", "2", "0"], ["城东分局", "1", "2", "0"]]
        csv_answer = client.get("/reports/overdue?start=2026-03-01&end=2026-03-31&format=csv&by=unit")
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv_answer.headers["content-disposition"]
        lines = csv_answer.content.decode("utf-8").splitlines()
        assert lines == ["\ufeff单位,人数,当前超期未办,超期办结（2026-03-01至2026-03-31）", "办公室,2,2,2", "城东分局,1,2,0"]
        by_person = client.get("/reports/overdue?start=2026-03-01&end=2026-03-31&format=csv&by=person")
        assert by_person.content.decode("utf-8").splitlines()[1:] == ["办公室,甲,jia,2,0", "城东分局,丙,bing,2,0", "办公室,乙,yi,0,2"]


def test_leaders_see_only_their_units(org, clock):
    app, people = org
    _report_data(app, people, clock)
    with app_client(app) as client:
        login(client, "zhuren")
        page = client.get("/reports/overdue?start=2026-03-01&end=2026-03-31").text
        assert "您负责或分管的单位" in page
        assert "城东分局" not in page and ">甲<" in page and ">乙<" in page
        csv_text = client.get("/reports/overdue?format=csv&by=person").content.decode("utf-8")
        assert ",丙," not in csv_text and ",甲,jia," in csv_text
    with app_client(app) as client:
        login(client, "fenguan")  # 分管 the branch only
        page = client.get("/reports/overdue").text
        assert ">丙<" in page and ">甲<" not in page
    with app_client(app) as client:
        login(client, "juzhang")  # leader of the bureau: every unit below it
        page = client.get("/reports/overdue").text
        assert ">丙<" in page and ">甲<" in page


def test_overdue_report_refuses_staff_and_bad_dates(org, clock):
    app, _people = org
    with app_client(app) as client:
        login(client, "jia")
        assert client.get("/reports/overdue").status_code == 403
    with app_client(app) as client:
        login(client, "jiankong")
        bad = client.get("/reports/overdue?start=2026-13-01")
        assert bad.status_code == 400 and "请按 YYYY-MM-DD 填写日期" in bad.text
        backwards = client.get("/reports/overdue?start=2026-03-10&end=2026-03-01")
        assert backwards.status_code == 400 and "结束日期不能早于开始日期" in backwards.text
        empty = client.get("/reports/overdue")
        assert empty.status_code == 200 and "所选范围内没有超期事项" in empty.text
