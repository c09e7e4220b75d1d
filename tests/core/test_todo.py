"""待办中心: the five boxes across plugins, filters, sorting, pagination, lights, batch 已阅, the badge counts,
and the index the 待办 query runs on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from peewee import PostgresqlDatabase

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.workflow import engine, todo
from officium.core.workflow.definition import Step, Workflow, users
from officium.core.workflow.models import Instance, WorkItem
from officium.core.workflow.todo import Filters
from officium.testing import add_user, make_plugin

from . import flows
from .flows import signed_in


class Memos:
    """A second module with a workflow, to show that the boxes span plugins."""

    @hookimpl
    def register_workflows(self, app):
        return [Workflow("memo", "签报", steps=(Step("sign", "领导审批", users("leader"), days=5),))]


@pytest.fixture
def site(site_factory):
    app = site_factory(
        plugins=["profile"],
        extra_plugins=[flows.make_plugin(), make_plugin("memos", Memos(), title="内部签报", area="公文处理")],
    )
    app.people = flows.staff(app)
    return app


def start_memo(app, title, **kwargs):
    object_id = title
    with write_transaction(app.db):
        return engine.start(
            app,
            "memos.memo",
            object_type="memo",
            object_id=object_id,
            title=title,
            url=f"/memos/{object_id}",
            drafter=app.people["writer"],
            **kwargs,
        )


def open_item(instance, username):
    return WorkItem.get(
        (WorkItem.instance == instance.id) & (WorkItem.state == "open") & (WorkItem.kind == "todo"),
        WorkItem.assignee == User.get(User.username == username).id,
    )


def titles_in(html, candidates):
    return {t for t in candidates if t in html}


def listed(browser, path):
    page = browser.get(path)
    assert page.status_code == 200, page.text[:500]
    return page.text


# ------------------------------------------------------------------------------------------- boxes


def test_the_five_boxes_of_one_person_across_modules(site, clock):
    people = site.people
    first = flows.start(site, "single", people["writer"], title="待审文件")
    memo = start_memo(site, "待签签报")
    done = flows.start(site, "single", people["writer"], title="已审文件")
    mine = flows.start(site, "any", people["leader"], title="主任发起的文件")
    with signed_in(site, "leader") as leader:
        leader.post(f"/workflow/items/{open_item(done, 'leader').id}/approve", opinion="同意", next="/todo/")
    with signed_in(site, "writer") as writer:
        writer.post(f"/workflow/{first.id}/circulate", readers="leader")
        writer.post(f"/workflow/{memo.id}/circulate", readers="leader")
    read = WorkItem.get(WorkItem.instance == memo.id, WorkItem.kind == "read")
    with signed_in(site, "leader") as leader:
        leader.post("/todo/read", ids=str(read.id))
        names = ("待审文件", "待签签报", "已审文件", "主任发起的文件")
        assert titles_in(listed(leader, "/todo/"), names) == {"待审文件", "待签签报"}
        assert titles_in(listed(leader, "/todo/done"), names) == {"已审文件"}
        assert titles_in(listed(leader, "/todo/read"), names) == {"待审文件"}
        assert titles_in(listed(leader, "/todo/read-done"), names) == {"待签签报"}
        assert titles_in(listed(leader, "/todo/mine"), names) == {"主任发起的文件"}
        page = listed(leader, "/todo/")
        assert "测试流程" in page and "内部签报" in page  # the module of each row
        assert re.search(r'aria-current="page">待办 <span class="badge badge-count">2</span>', page)
        assert re.search(r">待阅 <span class=\"badge badge-count\">1</span>", page)
        mine_page = listed(leader, "/todo/mine")
        assert "任一、任二、任三" in mine_page  # who holds it now
        api = {
            box: [i["title"] for i in leader.api_get(f"/todo?box={box}").json()["items"]]
            for box in todo.BOXES
        }
        assert sorted(api["todo"]) == ["待审文件", "待签签报"]
        assert api["done"] == ["已审文件"] and api["read"] == ["待审文件"]
        assert api["readdone"] == ["待签签报"] and api["mine"] == ["主任发起的文件"]
        mine_json = leader.api_get("/todo?box=mine").json()["items"][0]
        assert mine_json["id"] == mine.id and [h["username"] for h in mine_json["handlers"]] == [
            "ren1",
            "ren2",
            "ren3",
        ]
    with signed_in(site, "other") as other:
        assert other.api_get("/todo?box=todo").json() == {"items": [], "page": 1, "per_page": 20, "total": 0}
        assert "没有待办事项。" in listed(other, "/todo/")


def test_filters_by_module_urgency_overdue_and_date(site, clock):
    people = site.people
    flows.start(site, "single", people["writer"], title="周一平件")  # due Wed (2 working days)
    start_memo(site, "周一签报", urgency="urgent")  # due in 5 working days
    clock.advance(days=2)
    flows.start(site, "single", people["writer"], title="周三平件")
    clock.advance(days=1)  # Thursday: the Monday flows item is overdue, the memo is not
    names = ("周一平件", "周一签报", "周三平件")
    with signed_in(site, "leader") as leader:
        assert titles_in(listed(leader, "/todo/?plugin=memos"), names) == {"周一签报"}
        assert titles_in(listed(leader, "/todo/?urgency=urgent"), names) == {"周一签报"}
        assert titles_in(listed(leader, "/todo/?overdue=1"), names) == {"周一平件"}
        assert titles_in(listed(leader, "/todo/?since=2026-03-04"), names) == {"周三平件"}
        assert titles_in(listed(leader, "/todo/?until=2026-03-02"), names) == {"周一平件", "周一签报"}
        assert titles_in(listed(leader, "/todo/?since=2026-03-02&until=2026-03-02&plugin=flows"), names) == {
            "周一平件"
        }
        bad = leader.get("/todo/?since=yesterday&until=2026-01-01&urgency=x")
        assert bad.status_code == 400
        assert 'id="f-since-error"' in bad.text and "日期格式应为 YYYY-MM-DD。" in bad.text
        assert 'id="f-urgency-error"' in bad.text
        reversed_range = leader.get("/todo/?since=2026-03-05&until=2026-03-01")
        assert reversed_range.status_code == 400 and "结束日期不能早于开始日期。" in reversed_range.text
        api = leader.api_get("/todo?box=todo&overdue=1&plugin=flows").json()
        assert [i["title"] for i in api["items"]] == ["周一平件"] and api["items"][0]["light"] == "red"
        wrong = leader.api_get("/todo?box=nope&since=x&sort=title&dir=up")
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_query"
        assert set(wrong.json()["error"]["fields"]) == {"box", "since", "sort", "dir"}


def test_overdue_lights_in_words(site, clock):
    people = site.people
    flows.start(site, "single", people["writer"], title="两天期限")  # due Wed 2026-03-04 23:59:59
    start_memo(site, "五天期限")  # due Mon 2026-03-09 23:59:59
    with signed_in(site, "leader") as leader:
        page = listed(leader, "/todo/")
        assert page.count("light-green") == 2 and "黄灯" not in page and "红灯" not in page
    clock.advance(days=1)  # Tuesday
    with signed_in(site, "leader") as leader:
        page = listed(leader, "/todo/?sort=due&dir=asc")
        assert re.search(r"两天期限.*?黄灯：即将到期.*?五天期限.*?正常", page, re.S)
    clock.advance(days=2)  # Thursday
    with signed_in(site, "leader") as leader:
        page = listed(leader, "/todo/?sort=due&dir=asc")
        assert re.search(r"两天期限.*?红灯：已超期.*?五天期限.*?正常", page, re.S)
        lights = {i["title"]: i["light"] for i in leader.api_get("/todo?box=todo").json()["items"]}
        assert lights == {"两天期限": "red", "五天期限": "green"}


def test_the_weekend_and_a_holiday_count_for_the_yellow_light(site, clock):
    # Friday 2026-04-03; 4-4 to 4-6 is the 清明 holiday: the next working day is Tuesday 4-7
    clock.now = datetime(2026, 4, 3, 9, 0)
    lights = todo.Lights.for_app(site)
    assert lights.soon == datetime(2026, 4, 7, 23, 59, 59)
    assert lights.of(datetime(2026, 4, 7, 18, 0)) == "yellow"
    assert lights.of(datetime(2026, 4, 8, 18, 0)) == "green"
    assert lights.of(datetime(2026, 4, 3, 8, 0)) == "red"
    assert lights.of(None) is None


def test_sorting_and_pagination(site, clock):
    people = site.people
    for n in range(23):
        flows.start(site, "single" if n % 2 else "any", people["writer"], title=f"文件{n:02d}")
        clock.advance(minutes=5)
    with signed_in(site, "leader") as leader:
        first = listed(leader, "/todo/")
        assert "共 11 件" in first  # the odd ones are the leader's
    with signed_in(site, "ren1") as ren1:
        newest = listed(ren1, "/todo/")
        assert "第 1 / 1 页" not in newest and "共 12 件" in newest
        assert newest.index("文件22") < newest.index("文件20")  # newest first by default
        oldest = listed(ren1, "/todo/?sort=received&dir=asc")
        assert oldest.index("文件00") < oldest.index("文件02")
        # the header link reverses the order and keeps the filters
        assert 'href="?plugin=flows&amp;sort=received&amp;dir=asc"' in listed(ren1, "/todo/?plugin=flows")
        for n in range(12, 30):
            flows.start(site, "any", people["writer"], title=f"补充{n:02d}")
        page2 = listed(ren1, "/todo/?page=2")
        assert "第 2 / 2 页，共 30 条" in page2
        api = ren1.api_get("/todo?box=todo&per_page=25&page=2&sort=received&dir=asc").json()
        assert api["total"] == 30 and len(api["items"]) == 5
        assert [i["title"] for i in api["items"]][-1] == "补充29"
        by_due = ren1.api_get("/todo?box=todo&sort=due&dir=asc&per_page=100").json()["items"]
        dues = [i["due_at"] for i in by_due]
        assert dues == sorted(dues)


def test_no_deadline_sorts_after_every_deadline(site):
    people = site.people
    flows.start(site, "chosen", people["writer"], title="无期限")  # review has no time limit
    flows.start(site, "single", people["writer"], title="有期限")
    with signed_in(site, "leader") as leader:
        up = [i["title"] for i in leader.api_get("/todo?sort=due&dir=asc").json()["items"]]
        down = [i["title"] for i in leader.api_get("/todo?sort=due&dir=desc").json()["items"]]
    assert up == ["有期限", "无期限"] and down == ["无期限", "有期限"]


# ------------------------------------------------------------------------------------------ 已阅


def test_batch_read_marks_the_ticked_items_only(site):
    people = site.people
    docs = [flows.start(site, "single", people["writer"], title=f"传阅{n}") for n in range(3)]
    with signed_in(site, "writer") as writer:
        for doc in docs:
            writer.post(f"/workflow/{doc.id}/circulate", readers="hui1")
    items = [WorkItem.get(WorkItem.instance == d.id, WorkItem.kind == "read") for d in docs]
    with signed_in(site, "hui1") as hui1:
        page = listed(hui1, "/todo/read")
        assert all(f'name="ids" value="{i.id}"' in page for i in items)
        nothing = hui1.post("/todo/read")
        assert nothing.status_code == 303 and "请先勾选" in listed(hui1, "/todo/read")
        answer = hui1.post("/todo/read", ids=[str(items[0].id), str(items[2].id)])
        assert answer.status_code == 303 and answer.headers["location"] == "/todo/read"
        assert "已将 2 件文件标记为已阅。" in listed(hui1, "/todo/read")
        assert [WorkItem.get_by_id(i.id).state for i in items] == ["done", "open", "done"]
        assert titles_in(listed(hui1, "/todo/read-done"), ["传阅0", "传阅1", "传阅2"]) == {"传阅0", "传阅2"}
        assert hui1.api("/todo/read", {"ids": [items[1].id]}).json() == {"marked": 1}
        assert hui1.api("/todo/read", {"ids": []}).status_code == 400
    with signed_in(site, "hui2") as hui2:
        refused = hui2.post("/todo/read", ids=str(items[1].id))
        assert refused.status_code == 404
        assert hui2.post("/todo/read", ids="abc").status_code == 400


def test_a_batch_with_someone_elses_item_changes_nothing(site):
    people = site.people
    doc = flows.start(site, "single", people["writer"])
    with signed_in(site, "writer") as writer:
        writer.post(f"/workflow/{doc.id}/circulate", readers="hui1,hui2")
    mine, theirs = (
        WorkItem.get(WorkItem.instance == doc.id, WorkItem.kind == "read", WorkItem.assignee == people[u].id)
        for u in ("hui1", "hui2")
    )
    with signed_in(site, "hui1") as hui1:
        assert hui1.post("/todo/read", ids=[str(mine.id), str(theirs.id)]).status_code == 404
        assert hui1.api("/todo/read", {"ids": [mine.id, theirs.id]}).status_code == 404
    assert WorkItem.get_by_id(mine.id).state == "open" and WorkItem.get_by_id(theirs.id).state == "open"


# ---------------------------------------------------------------------------------- badge counts


def count_statements(app, action):
    statements = []
    real = app.db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(sql, params, *args, **kwargs)

    app.db.execute_sql = counting
    try:
        result = action()
    finally:
        del app.db.execute_sql
    return result, statements


def test_todo_counts_per_module_in_one_grouped_query(site, clock):
    people = site.people
    flows.start(site, "single", people["writer"], title="平件一")
    flows.start(site, "single", people["writer"], title="平件二")
    start_memo(site, "签报一")
    doc = flows.start(site, "any", people["writer"])
    with signed_in(site, "writer") as writer:
        writer.post(f"/workflow/{doc.id}/circulate", readers="leader")
    counts, statements = count_statements(site, lambda: todo.todo_counts(site, people["leader"]))
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert [(c.title, c.count, c.url, c.urgent) for c in counts] == [
        ("测试流程 · 待办", 2, "/todo/?plugin=flows", False),
        ("内部签报 · 待办", 1, "/todo/?plugin=memos", False),
        ("测试流程 · 待阅", 1, "/todo/read?plugin=flows", False),
    ]
    clock.advance(days=3)  # the flows items are overdue now
    urgent = {c.title: c.urgent for c in todo.todo_counts(site, people["leader"])}
    assert urgent == {"测试流程 · 待办": True, "内部签报 · 待办": False, "测试流程 · 待阅": False}
    with signed_in(site, "leader") as leader:
        assert 'data-testid="todo-badge">4<' in leader.get("/").text
    assert todo.todo_counts(site, people["other"]) == []


def test_the_menu_has_the_todo_centre_and_the_monitor_for_administrators(site):
    with signed_in(site, "leader") as leader:
        page = leader.get("/").text
        assert 'href="/todo/">待办中心</a>' in page and "/workflow/monitor/" not in page
    with signed_in(site, "monitor") as monitor:
        assert 'href="/workflow/monitor/">流程监控</a>' in monitor.get("/").text


# ------------------------------------------------------------------------------------- the index


def seed_work_items(app, people, per_user=150):
    """Many users' old, finished work and a little open work: enough rows for a planner to prefer an index."""
    with write_transaction(app.db):
        instance = Instance.create(
            plugin="flows",
            workflow="single",
            object_type="seed",
            object_id="1",
            title="种子",
            url="/flows/seed",
            drafter=people[0],
            started_at=app.clock(),
        )
        start = app.clock() - timedelta(days=400)
        rows = []
        for n, user in enumerate(people):
            for k in range(per_user):
                state = "open" if k % 30 == 0 else "done"
                rows.append(
                    {
                        "instance": instance.id,
                        "plugin": "flows",
                        "kind": "read" if k % 7 == 0 else "todo",
                        "step": "review",
                        "assignee": user.id,
                        "state": state,
                        "title": f"文件{n}-{k}",
                        "url": "/flows/seed",
                        "created_at": start + timedelta(hours=k * 24 + n),
                        "due_at": start + timedelta(hours=k * 24 + n + 48),
                    }
                )
        for chunk in range(0, len(rows), 500):
            WorkItem.insert_many(rows[chunk : chunk + 500]).execute()
    app.db.execute_sql("ANALYZE")


def plan(app, query):
    sql, params = query.sql()
    if isinstance(app.db, PostgresqlDatabase):
        return "\n".join(row[0] for row in app.db.execute_sql("EXPLAIN " + sql, params).fetchall())
    return "\n".join(
        str(row[-1]) for row in app.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    )


def test_the_todo_query_uses_the_assignee_index(site):
    people = [add_user(site, f"seed{n:03d}") for n in range(60)]
    seed_work_items(site, people)
    user = people[17]
    now = site.clock()
    index = "workitem_assignee_id_kind_state_created_at"
    full_scan = re.compile(
        r"Seq Scan on core_work_item|\bSCAN t1\b"
    )  # PostgreSQL / SQLite (t1 = core_work_item)
    for box in ("todo", "done", "read", "readdone"):
        query = todo.order(todo.box_query(box, user, Filters(), now), box, "received", "desc").paginate(1, 20)
        shown = plan(site, query)
        assert not full_scan.search(shown), shown
        if box == "todo":
            # the 待办 query: a search of the (assignee, kind, state, created_at) index, never a full scan
            assert index in shown, shown
        else:
            assert re.search(r"workitem_assignee_id", shown), shown
        if box in ("done", "readdone"):
            # these also list what a delegate finished for the user: the principal's own index
            assert "workitem_principal_id_kind_state_created_at" in shown, shown
        counted = plan(site, todo.box_query(box, user, Filters(), now).select(WorkItem.id))
        assert not full_scan.search(counted) and "workitem_assignee_id" in counted, counted
    filtered = todo.box_query("todo", user, Filters(plugin="flows", overdue=True), now)
    assert index in plan(site, filtered)
    rows = list(
        todo.order(todo.box_query("todo", user, Filters(), now), "todo", "received", "desc").paginate(1, 20)
    )
    assert len(rows) == 4 and all(r.assignee_id == user.id and r.state == "open" for r in rows)
    badge_sql = (
        WorkItem.select(WorkItem.plugin, WorkItem.kind)
        .where(
            (WorkItem.assignee == user.id) & WorkItem.kind.in_(("todo", "read")) & (WorkItem.state == "open")
        )
        .group_by(WorkItem.plugin, WorkItem.kind)
    )
    badge_plan = plan(site, badge_sql)
    assert "workitem_assignee_id" in badge_plan and not full_scan.search(badge_plan), badge_plan
