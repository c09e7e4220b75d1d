"""外出授权 (the ``delegation`` plugin) through HTTP: every rule, the pages, the API and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playhouse.schema_diff import diff_models

from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.workflow.models import ActionLog, WorkItem
from officium.plugins.delegation import service
from officium.plugins.delegation.models import Delegation
from officium.testing import app_client, csrf_from, login

from .flows import item

T = "%Y-%m-%dT%H:%M"


def start_doc(api, drafter: str, plugin: str, *to: str) -> list[int]:
    response = api(drafter).post(f"/api/v1/{plugin}/start", json={"to": list(to)})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def approve(api, username: str, item_id: int):
    return api(username).post(f"/api/v1/docs/items/{item_id}/approve".replace("docs", item(item_id).plugin))


def delegate(api, principal: str, to: str, clock, *, start=None, end=None, modules="all", reason="出差"):
    body = {"delegate": to, "end": (end or clock.now + timedelta(days=4)).isoformat(), "modules": modules}
    body["reason"] = reason
    if start is not None:
        body["start"] = start.isoformat()
    return api(principal).post("/api/v1/delegation/delegations", json=body)


def holder(item_id: int) -> tuple[str, str | None]:
    row = item(item_id)
    return row.assignee.username, row.principal.username if row.principal_id else None


def audit_summaries(action: str) -> list[str]:
    return [e.summary for e in AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)]


# ----------------------------------------------------------------------------------------- basics


def test_migrations_match_the_models(app):
    assert not diff_models(app.db, app.registry.models["delegation"])


def test_menu_item_under_personal_affairs(app, client, people):
    login(client, "zhang")
    html = client.get("/").text
    nav = html.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    section = nav.split(">个人事务</h2>", 1)[1].split("</section>", 1)[0]
    assert re.search(r'<a href="/delegation/"[^>]*>外出授权</a>', section)
    # the dashboard panel invites to delegate
    assert "设置外出授权" in html


def test_anonymous_is_sent_to_login(client):
    for path in ("/delegation/", "/delegation/received", "/delegation/history"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/delegation/delegations").status_code == 401


def test_scope_choices_are_the_plugins_with_workflows_but_never_seals(api):
    response = api("zhang").get("/api/v1/delegation/modules")
    assert response.json() == [{"name": "docs", "title": "局发文"}, {"name": "leave", "title": "休假管理"}]
    assert service.EXCLUDED_PLUGINS == frozenset({"seals"})


# ----------------------------------------------------------------------------------- who may delegate


def test_administrators_can_neither_delegate_nor_be_delegates(app, client, api, people, clock):
    # 三员 hold no delegation.use: the pages and the API are closed to them ...
    login(client, "sys")
    assert client.get("/delegation/").status_code == 403
    assert api("sys").get("/api/v1/delegation/delegations").status_code == 403
    assert delegate(api, "sys", "li", clock).status_code == 403
    # ... the service refuses them even when called directly ...
    with pytest.raises(service.DelegationError) as refused, write_transaction(app.db):
        service.create(app, people.admin, service.Draft(delegate="li", end="2026-03-05 18:00", reason="x"))
    assert refused.value.status == 403
    # ... and nobody may name one as delegate
    response = delegate(api, "zhang", "sys", clock)
    assert response.status_code == 400
    assert "三员" in response.json()["error"]["fields"]["delegate"]
    assert not Delegation.select().exists()


def test_no_self_delegation_nor_to_an_unknown_or_disabled_account(app, api, people, clock):
    response = delegate(api, "zhang", "zhang", clock)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["delegate"] == "不能授权给自己，请选择另一位同事。"
    assert "nobody" in delegate(api, "zhang", "nobody", clock).json()["error"]["fields"]["delegate"]
    User.update(status="disabled").where(User.id == people.wang.id).execute()
    assert "已停用" in delegate(api, "zhang", "wang", clock).json()["error"]["fields"]["delegate"]
    assert not Delegation.select().exists()


def test_period_scope_and_reason_are_checked(api, people, clock):
    def fields(**kwargs):
        response = delegate(api, "zhang", "li", clock, **kwargs)
        assert response.status_code == 400, response.text
        return response.json()["error"]["fields"]

    assert fields(end=clock.now - timedelta(hours=1))["end"] == "结束时间应晚于当前时间。"
    later = clock.now + timedelta(days=2)
    assert fields(start=later, end=later - timedelta(hours=1))["end"] == "结束时间应晚于开始时间。"
    assert "最长 90 天" in fields(end=clock.now + timedelta(days=91))["end"]
    assert "seals" in fields(modules=["seals"])["modules"]
    assert "至少选择一个模块" in fields(modules=[])["modules"]
    assert fields(reason="  ")["reason"] == "请填写事由，例如：出差、休假。"
    assert "200" in fields(reason="出" * 201)["reason"]
    bad = api("zhang").post(
        "/api/v1/delegation/delegations", json={"delegate": "li", "end": "明天", "reason": "x", "modules": 3}
    )
    assert bad.json()["error"]["fields"] == {"modules": '应为 "all" 或插件名的列表。'}
    bad = api("zhang").post("/api/v1/delegation/delegations", json={"delegate": "li", "end": "明天", "reason": "x"})
    assert "格式不正确" in bad.json()["error"]["fields"]["end"]
    assert not Delegation.select().exists()


def test_overlapping_scope_in_an_overlapping_period_is_refused(api, people, clock):
    assert delegate(api, "zhang", "li", clock, modules=["docs"]).status_code == 201
    # same module, overlapping time: refused, with the existing one named beside the scope field
    response = delegate(api, "zhang", "wang", clock, modules=["docs", "leave"])
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["modules"]
    assert "李四" in message and "局发文" in message
    assert delegate(api, "zhang", "wang", clock, modules="all").status_code == 400
    # another module at the same time is fine: one delegate per module
    assert delegate(api, "zhang", "wang", clock, modules=["leave"]).status_code == 201
    # the same module after the first one ends is fine too
    after = clock.now + timedelta(days=4)
    assert delegate(api, "zhang", "zhao", clock, start=after, end=after + timedelta(days=1)).status_code == 201
    # other principals are not affected
    assert delegate(api, "li", "zhang", clock).status_code == 201


def test_overlap_error_is_shown_beside_the_scope_field_on_the_page(app, client, api, people, clock):
    assert delegate(api, "zhang", "li", clock).status_code == 201
    login(client, "zhang")
    token = csrf_from(client.get("/delegation/").text)
    response = client.post(
        "/delegation/",
        data={
            "csrf_token": token,
            "delegate": "wang",
            "start": clock.now.strftime(T),
            "end": (clock.now + timedelta(days=1)).strftime(T),
            "scope": "some",
            "modules": ["docs", "leave"],
            "reason": "培训",
        },
    )
    assert response.status_code == 400
    assert re.search(r'id="f-modules-error"[^>]*>与已有的授权重叠：授权 李四', response.text)
    # the submitted values are kept
    assert 'value="wang"' in response.text and "培训" in response.text
    assert Delegation.select().count() == 1


# ------------------------------------------------------------------------------------ what it does


def test_created_in_force_moves_open_items_at_once_and_new_ones_follow(app, client, api, people, clock):
    docs = start_doc(api, "writer", "docs", "zhang", "wang")
    leave = start_doc(api, "writer", "leave", "zhang")
    seal = start_doc(api, "writer", "seals", "zhang")
    login(client, "zhang")
    token = csrf_from(client.get("/delegation/").text)
    response = client.post(
        "/delegation/",
        data={
            "csrf_token": token,
            "delegate": "li",
            "start": clock.now.strftime(T),
            "end": "2026-03-06T18:00",
            "scope": "some",
            "modules": "docs",
            "reason": "赴北京参加培训",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/delegation/"
    # in the same request: 张三's docs item moved to 李四; 王五's did not; other modules stayed
    assert holder(docs[0]) == ("li", "zhang")
    assert holder(docs[1]) == ("wang", None)
    assert holder(leave[0]) == ("zhang", None)
    assert holder(seal[0]) == ("zhang", None)
    (row,) = Delegation.select()
    assert row.status == "active"
    # new docs work goes to 李四 (the hook), other modules to 张三
    assert holder(start_doc(api, "writer", "docs", "zhang")[0]) == ("li", "zhang")
    assert holder(start_doc(api, "writer", "leave", "zhang")[0]) == ("zhang", None)
    page = client.get("/delegation/").text
    assert "已授权 李四 代办（局发文），已生效。" in page and "生效中" in page and "局发文" in page and "我已返回" in page
    assert audit_summaries("delegation.create") == [
        "张三 授权 李四 代办（局发文），2026-03-02 09:00 至 2026-03-06 18:00，事由：赴北京参加培训"
    ]
    assert audit_summaries("delegation.activate") == ["张三 对 李四 的授权（局发文）生效，李四 现代为办理 1 项待办"]


def test_all_modules_never_covers_seal_custody(api, people, clock):
    docs, leave, seal = (start_doc(api, "writer", p, "zhang")[0] for p in ("docs", "leave", "seals"))
    assert delegate(api, "zhang", "li", clock).status_code == 201
    assert holder(docs) == ("li", "zhang") and holder(leave) == ("li", "zhang")
    assert holder(seal) == ("zhang", None)
    assert holder(start_doc(api, "writer", "seals", "zhang")[0]) == ("zhang", None)
    assert approve(api, "li", seal).status_code == 400


def test_delegate_acts_as_b_dai_a_and_the_principal_sees_it(app, client, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    clock.advance(hours=1)
    response = api("li").post(f"/api/v1/docs/items/{first}/approve", json={"opinion": "同意，代签。"})
    assert response.status_code == 200, response.text
    done = item(first)
    assert done.actor_id == people.li.id and done.principal_id == people.zhang.id
    log = ActionLog.get(ActionLog.action == "approve")
    assert log.actor_id == people.li.id and log.on_behalf_of_id == people.zhang.id
    entry = AuditEntry.select().where(AuditEntry.action == "docs.workflow.approve").get()
    assert entry.summary.startswith("李四 代 张三：同意") and entry.on_behalf_of == people.zhang.id
    # 张三 sees what 李四 did: page and API
    login(client, "zhang")
    page = client.get("/delegation/history").text
    assert "李四 代 张三" in page and "同意，代签。" in page
    history = api("zhang").get("/api/v1/delegation/history").json()
    assert [(i["id"], i["actor"]["username"], i["opinion"]) for i in history["items"]] == [
        (first, "li", "同意，代签。")
    ]
    (row,) = Delegation.select()
    assert api("zhang").get(f"/api/v1/delegation/history?delegation={row.id}").json()["total"] == 1
    assert api("li").get(f"/api/v1/delegation/history?delegation={row.id}").status_code == 404
    assert api("zhang").get("/api/v1/delegation/history?delegation=x").status_code == 400
    # 张三 cannot act on it while it is with 李四
    (second,) = start_doc(api, "writer", "docs", "zhang")
    assert approve(api, "zhang", second).status_code == 400


def test_revoke_on_return_gives_unfinished_items_back(app, client, api, people, clock):
    items = start_doc(api, "writer", "docs", "zhang") + start_doc(api, "writer", "leave", "zhang")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    assert approve(api, "li", items[0]).status_code == 200  # 李四 finished one
    clock.advance(hours=2)
    login(client, "zhang")
    page = client.get("/delegation/").text
    assert "data-confirm=" in page and "确定收回对李四的授权吗" in page
    (row,) = Delegation.select()
    response = client.post(
        f"/delegation/{row.id}/revoke", data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert response.headers["location"] == "/delegation/"
    assert "已收回对 李四 的授权，1 项未办完的待办已交回给您。" in client.get("/delegation/").text
    assert holder(items[1]) == ("zhang", None)
    assert item(items[0]).state == "done"
    assert approve(api, "li", items[1]).status_code == 400
    assert approve(api, "zhang", items[1]).status_code == 200
    # new work stays with 张三
    assert holder(start_doc(api, "writer", "docs", "zhang")[0]) == ("zhang", None)
    assert service.state_of(Delegation.get(), clock.now) == "revoked"
    assert "已收回" in client.get("/delegation/").text
    assert audit_summaries("delegation.revoke") == ["张三 对 李四 的授权（全部模块）收回，交回 1 项待办"]
    # a second revoke changes nothing
    again = api("zhang").post(f"/api/v1/delegation/delegations/{row.id}/revoke")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_only_the_principal_revokes(api, people, clock):
    created = delegate(api, "zhang", "li", clock).json()
    path = f"/api/v1/delegation/delegations/{created['id']}/revoke"
    assert api("li").get(f"/api/v1/delegation/delegations/{created['id']}").json()["state"] == "active"
    assert api("li").post(path).status_code == 403
    assert api("wang").post(path).status_code == 404
    assert api("wang").get(f"/api/v1/delegation/delegations/{created['id']}").status_code == 404
    response = api("zhang").post(path)
    assert response.status_code == 200
    assert response.json()["delegation"]["state"] == "revoked" and response.json()["returned"] == 0


def test_other_peoples_delegations_cannot_be_revoked_from_the_page(client, api, people, clock):
    created = delegate(api, "zhang", "li", clock).json()
    login(client, "wang")
    token = csrf_from(client.get("/delegation/").text)
    assert client.post(f"/delegation/{created['id']}/revoke", data={"csrf_token": token}).status_code == 404
    assert Delegation.get().revoked_at is None


# ------------------------------------------------------------------------------------------- time


def test_a_later_start_moves_items_when_it_starts_without_a_job(app, api, people, clock):
    (before,) = start_doc(api, "writer", "docs", "zhang")
    start = clock.now + timedelta(days=1)
    created = delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(days=2))
    assert created.status_code == 201 and created.json()["state"] == "pending"
    assert holder(before) == ("zhang", None)
    assert holder(start_doc(api, "writer", "docs", "zhang")[0]) == ("zhang", None)
    clock.advance(days=1)
    # Before any request: the hook already answers from the clock ...
    assert Delegation.get().status == "scheduled"
    assert service.active_for(app, people.zhang, "docs") is not None
    # ... and the first request of anybody applies the start before it is handled
    assert approve(api, "li", before).status_code == 200
    assert item(before).actor_id == people.li.id
    assert Delegation.get().status == "active"
    assert len(audit_summaries("delegation.activate")) == 1


def test_a_start_takes_effect_within_a_second_and_is_checked_at_most_once_a_second(
    app, client, api, people, clock, monkeypatch
):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    start = clock.now + timedelta(hours=1)
    assert delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(days=1)).status_code == 201
    statements: list[str] = []
    execute_sql = app.db.execute_sql

    def recording(sql, *args, **kwargs):
        statements.append(sql)
        return execute_sql(sql, *args, **kwargs)

    monkeypatch.setattr(app.db, "execute_sql", recording)

    def checks() -> int:
        found = sum("delegation_delegation" in sql for sql in statements)
        statements.clear()
        return found

    clock.advance(minutes=59, seconds=59.5)  # half a second before the start
    assert client.get("/health").status_code == 200
    assert checks() == 1  # nothing due yet
    clock.advance(seconds=0.5)  # the start: this process looked less than a second ago
    assert client.get("/health").status_code == 200
    assert client.get("/health").status_code == 200
    assert checks() == 0
    assert holder(first) == ("zhang", None)
    clock.advance(seconds=0.5)  # a second after the last look: the next request applies the start
    assert client.get("/health").status_code == 200
    assert checks() > 0
    assert holder(first) == ("li", "zhang")
    assert Delegation.get().status == "active"


def test_it_ends_at_its_end_time_without_a_job(app, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock, end=clock.now + timedelta(hours=8)).status_code == 201
    assert holder(first) == ("li", "zhang")
    clock.advance(hours=8)
    # at the end time, 李四's attempt is refused: the request first gave the item back
    assert approve(api, "li", first).status_code == 400
    assert holder(first) == ("zhang", None)
    assert approve(api, "zhang", first).status_code == 200
    assert api("zhang").get("/api/v1/delegation/delegations").json()["items"][0]["state"] == "ended"
    assert audit_summaries("delegation.expire") == ["张三 对 李四 的授权（全部模块）到期结束，交回 1 项待办"]


def test_the_start_up_hook_applies_due_transitions(app, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    start = clock.now + timedelta(hours=1)
    assert delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(hours=1)).status_code == 201
    clock.advance(hours=1)
    with app_client(app):
        assert holder(first) == ("li", "zhang")
    clock.advance(hours=1)
    with app_client(app):
        assert holder(first) == ("zhang", None)
        assert Delegation.get().status == "ended"


def test_a_delegation_that_started_and_ended_unseen_leaves_nothing_behind(app, api, people, clock):
    start = clock.now + timedelta(hours=1)
    assert delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(hours=2)).status_code == 201
    clock.advance(hours=2)
    # only the engine acted in the meantime (no request): the hook routed new work by the clock
    with write_transaction(app.db):
        from officium.core.workflow import engine

        instance = engine.start(
            app, "docs.handle", object_type="x", object_id=1, title="t", url="/x", drafter=people.writer,
            chosen=[people.zhang],
        )
    (row,) = instance.items
    assert (row.assignee_id, row.principal_id) == (people.li.id, people.zhang.id)
    clock.advance(hours=2)
    assert api("zhang").get("/api/v1/delegation/delegations").json()["items"][0]["state"] == "ended"
    assert holder(row.id) == ("zhang", None)


def test_hand_over_from_one_delegate_to_the_next(api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    switch = clock.now + timedelta(days=1)
    assert delegate(api, "zhang", "li", clock, end=switch).status_code == 201
    assert delegate(api, "zhang", "wang", clock, start=switch, end=switch + timedelta(days=1)).status_code == 201
    assert holder(first) == ("li", "zhang")
    clock.advance(days=1)
    api("zhao").get("/api/v1/delegation/delegations")  # anybody's request
    assert holder(first) == ("wang", "zhang")
    assert approve(api, "wang", first).status_code == 200


def test_a_disabled_delegate_ends_the_delegation(app, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    with write_transaction(app.db):
        User.update(status="disabled").where(User.id == people.li.id).execute()
    # Changed behind the admin pages' back (no user_changed hook): requests notice it within the bound of
    # the throttled check, not necessarily on the very next one.
    clock.advance(seconds=service.SYNC_INTERVAL.total_seconds())
    api("zhang").get("/api/v1/delegation/delegations")
    assert holder(first) == ("zhang", None)
    row = Delegation.get()
    assert row.status == "ended" and row.end_reason == "invalid"
    assert service.state_of(row, clock.now) == "revoked"
    assert len(audit_summaries("delegation.invalidate")) == 1


def test_cancelling_before_the_start(client, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    start = clock.now + timedelta(days=1)
    created = delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(days=1)).json()
    login(client, "zhang")
    page = client.get("/delegation/").text
    assert "待生效" in page and "取消授权" in page
    response = client.post(
        f"/delegation/{created['id']}/revoke", data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert "已取消对 李四 的授权（尚未生效）。" in client.get(response.headers["location"]).text
    clock.advance(days=1, hours=1)
    client.get("/delegation/")
    assert holder(first) == ("zhang", None)
    assert Delegation.get().activated_at is None


# --------------------------------------------------------------------------------- not transitive


def test_not_transitive(app, api, people, clock):
    (for_zhang,) = start_doc(api, "writer", "docs", "zhang")
    (for_li,) = start_doc(api, "writer", "docs", "li")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    assert holder(for_zhang) == ("li", "zhang")
    # 李四 delegates too: only 李四's own work moves to 王五; what 李四 holds for 张三 stays with 李四
    assert delegate(api, "li", "wang", clock).status_code == 201
    assert holder(for_li) == ("wang", "li")
    assert holder(for_zhang) == ("li", "zhang")
    # 张三's new work still goes to 李四, never on to 王五
    assert holder(start_doc(api, "writer", "docs", "zhang")[0]) == ("li", "zhang")
    assert approve(api, "wang", for_zhang).status_code == 400
    assert approve(api, "li", for_zhang).status_code == 200
    # when 李四's own delegation ends, only 李四's own items come back to 李四
    (li_row,) = Delegation.select().where(Delegation.principal == people.li)
    assert api("li").post(f"/api/v1/delegation/delegations/{li_row.id}/revoke").json()["returned"] == 1
    assert holder(for_li) == ("li", None)


# ------------------------------------------------------------------------------------ pages and API


def test_delegations_to_me_show_what_i_hold_for_whom(client, api, people, clock):
    (first,) = start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock, reason="休年假").status_code == 201
    login(client, "li")
    page = client.get("/delegation/received").text
    assert "张三" in page and "休年假" in page and "生效中" in page and "代 张三" in page
    assert f'data-item="{first}"' in page
    held = api("li").get("/api/v1/delegation/held").json()
    assert [(i["id"], i["principal"]["username"]) for i in held["items"]] == [(first, "zhang")]
    received = api("li").get("/api/v1/delegation/received").json()
    assert received["total"] == 1 and received["items"][0]["held"] == 1
    assert api("zhang").get("/api/v1/delegation/received").json()["total"] == 0
    # the dashboard panels: 李四 holds work for others, 张三 has a delegation in force
    assert "您正在代他人办理" in client.get("/").text


def test_api_lists_and_shows_my_delegations(api, people, clock):
    created = delegate(api, "zhang", "li", clock, modules=["leave"], reason="出差").json()
    assert created["principal"]["username"] == "zhang" and created["delegate"]["username"] == "li"
    assert created["modules"] == ["leave"] and created["scope"] == "休假管理"
    assert created["state"] == "active" and created["state_label"] == "生效中"
    listed = api("zhang").get("/api/v1/delegation/delegations").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    assert api("li").get("/api/v1/delegation/delegations").json()["total"] == 0
    shown = api("zhang").get(f"/api/v1/delegation/delegations/{created['id']}").json()
    assert shown == created


def test_a_start_in_the_past_starts_now(api, people, clock):
    created = delegate(api, "zhang", "li", clock, start=clock.now - timedelta(days=3)).json()
    assert created["start"] == clock.now.isoformat() and created["state"] == "active"


def test_form_page_renders_the_person_picker_and_scope_choices(client, people):
    login(client, "zhang")
    page = client.get("/delegation/").text
    assert 'data-source="/api/v1/core/people"' in page
    assert 'name="modules" value="docs"' in page and 'name="modules" value="leave"' in page
    assert 'value="seals"' not in page
    assert 'type="datetime-local"' in page
    assert "还没有外出授权" in page


# ------------------------------------------------------------------------------ people who change


def _person_leaves(app, user):
    from officium.core.identity.accounts import set_status
    from officium.core.registry import UserChange

    with write_transaction(app.db):
        set_status(user, "left")
        app.hook.user_changed(app=app, user=user, change=UserChange("left", user.unit_id, user.unit_id))


def test_when_the_delegate_leaves_the_owner_gets_the_work_back(app, api, people, clock):
    from officium.testing import add_user

    add_user(app, "boss", name="主任", unit=people.zhang.unit, roles=["leader"])
    (for_zhang,) = start_doc(api, "writer", "docs", "zhang")
    (for_li,) = start_doc(api, "writer", "docs", "li")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    _person_leaves(app, User.get_by_id(people.li.id))
    # the delegation ended first, so the item 李四 held for 张三 went back to 张三 (not to the leader) ...
    assert holder(for_zhang) == ("zhang", None)
    row = Delegation.get()
    assert row.status == "ended" and row.end_reason == "invalid"
    # ... and the core handed 李四's own work to the unit's leader
    assert holder(for_li) == ("boss", None)
    assert len(audit_summaries("delegation.invalidate")) == 1


def test_when_the_principal_leaves_the_delegation_ends(app, api, people, clock):
    from officium.testing import add_user

    add_user(app, "boss", name="主任", unit=people.zhang.unit, roles=["leader"])
    (for_zhang,) = start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock).status_code == 201
    _person_leaves(app, User.get_by_id(people.zhang.id))
    assert Delegation.get().status == "ended"
    assert holder(for_zhang) == ("boss", None)


def test_a_transfer_keeps_the_delegation(app, api, people, clock):
    from officium.core.registry import UserChange

    assert delegate(api, "zhang", "li", clock).status_code == 201
    with write_transaction(app.db):
        app.hook.user_changed(app=app, user=people.li, change=UserChange("transfer", 1, 2))
    assert Delegation.get().status == "active"


def test_the_periodic_job_applies_due_transitions(app, api, people, clock):
    assert app.registry.jobs["delegation.sync"].every_minutes == 1
    (first,) = start_doc(api, "writer", "docs", "zhang")
    start = clock.now + timedelta(hours=1)
    assert delegate(api, "zhang", "li", clock, start=start, end=start + timedelta(hours=1)).status_code == 201
    clock.advance(hours=1)
    assert service.run_job(app) == "生效 1 项，到期 0 项，自动收回 0 项"
    assert holder(first) == ("li", "zhang")
    clock.advance(hours=1)
    assert service.run_job(app) == "生效 0 项，到期 1 项，自动收回 0 项"
    assert holder(first) == ("zhang", None)


# --------------------------------------------------------------------------- reported to the engine


def test_withdraw_after_the_delegation_ended_leaves_nothing_with_the_delegate(app, api, people, clock):
    from officium.core.workflow import engine

    for_zhang, _for_wang = start_doc(api, "writer", "docs", "zhang", "wang")
    created = delegate(api, "zhang", "li", clock).json()
    assert approve(api, "li", for_zhang).status_code == 200  # 李四 代 张三 signs; 王五 has not yet
    assert api("zhang").post(f"/api/v1/delegation/delegations/{created['id']}/revoke").status_code == 200
    try:
        with write_transaction(app.db):
            engine.withdraw(app, item(for_zhang).instance_id, User.get_by_id(people.li.id))
    except engine.WorkflowError:
        pass  # refusing the former delegate is a fix too
    # either way no open item may stay with 李四 for 张三 once the delegation is over
    assert not (
        WorkItem.select()
        .where(
            (WorkItem.principal == people.zhang.id)
            & (WorkItem.assignee == people.li.id)
            & (WorkItem.state == "open")
        )
        .exists()
    )


def test_the_delegate_and_the_principal_are_notified(app, api, people, clock):
    from officium.core.notifications import Notification

    def titles(user):
        return [n.title for n in Notification.select().where(Notification.user == user).order_by(Notification.id)]

    start_doc(api, "writer", "docs", "zhang")
    assert delegate(api, "zhang", "li", clock, end=clock.now + timedelta(hours=8), reason="培训").status_code == 201
    assert "张三 授权您代办（全部模块），2026-03-02 09:00 至 2026-03-02 17:00" in titles(people.li)
    clock.advance(hours=8)
    api("wang").get("/api/v1/delegation/delegations")
    assert "张三 对您的授权已到期，1 项未办完的待办已交回 张三" in titles(people.li)
    assert "您对 李四 的授权已到期，1 项未办完的待办已交回给您" in titles(people.zhang)
    created = delegate(api, "zhang", "wang", clock).json()
    api("zhang").post(f"/api/v1/delegation/delegations/{created['id']}/revoke")
    assert "张三 对您的授权已收回（授权人已返回），1 项未办完的待办已交回 张三" in titles(people.wang)
    assert not any("王五" in t for t in titles(people.zhang))
