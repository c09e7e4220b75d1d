"""Notifications: types plugins register, channel choices, the centre's pages and API, the bell, and the
workflow engine's notices (new item, 待阅, 退回, 催办)."""

from __future__ import annotations

import pytest
from peewee import SqliteDatabase

from officium import NotificationType, hookimpl
from officium.core.db import write_transaction
from officium.core.errors import StartupError
from officium.core.notifications import (
    Notification,
    NotificationPreference,
    UnknownNotificationType,
    notify,
    on_urge,
    unread_count,
)
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, unit_leader, users
from officium.testing import add_unit, add_user, login, make_plugin


class MemoHooks:
    @hookimpl
    def register_notification_types(self, app):
        return [
            NotificationType("memo.signed", "签报已签批", ("inbox",)),
            NotificationType("memo.quiet", "静默通知", ()),
        ]


def test_hook_register_notification_types(site_factory):
    app = site_factory(extra_plugins=[make_plugin("memo", MemoHooks())])
    assert app.registry.notification_types["memo.signed"].title == "签报已签批"
    assert "core.work_new" in app.registry.notification_types  # the core's own
    zhang = add_user(app, "zhang")
    with write_transaction(app.db):
        note = notify(app, zhang, "memo.signed", "您的签报已签批", url="/memo/1", body="局长同意。")
        quiet = notify(app, zhang, "memo.quiet", "不进消息中心")
    assert note is not None and note.user_id == zhang.id and note.url == "/memo/1"
    assert quiet is None  # a type whose default channels are empty stores nothing
    assert [n.title for n in Notification.select()] == ["您的签报已签批"]
    with pytest.raises(UnknownNotificationType, match=r"memo\.unknown"):
        notify(app, zhang, "memo.unknown", "没有注册的类型")


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (NotificationType("other.thing", "前缀不对"), "必须以 bad. 开头"),
        (NotificationType("bad.thing", "渠道不对", ("sms",)), "默认渠道"),
        (NotificationType("bad.thing", "渠道写成字符串", "inbox"), "默认渠道"),
    ],
)
def test_bad_notification_types_stop_the_start_up(site_factory, declared, message):
    class Hooks:
        @hookimpl
        def register_notification_types(self, app):
            return [declared]

    with pytest.raises(StartupError, match=message):
        site_factory(extra_plugins=[make_plugin("bad", Hooks())])


def test_a_type_declared_twice_stops_the_start_up(site_factory):
    class Twice:
        @hookimpl
        def register_notification_types(self, app):
            return [NotificationType("memo.signed", "签批"), NotificationType("memo.signed", "又一次")]

    with pytest.raises(StartupError, match=r"memo\.signed 重复注册"):
        site_factory(extra_plugins=[make_plugin("memo", Twice())])


def test_notify_refuses_outside_links_and_skips_inactive_users(app):
    zhang = add_user(app, "zhang")
    with pytest.raises(ValueError, match="本站路径"):
        notify(app, zhang, "core.work_new", "外链", url="https://evil.example/")
    with pytest.raises(ValueError, match="本站路径"):
        notify(app, zhang, "core.work_new", "外链", url="//evil.example/")
    with write_transaction(app.db):
        zhang.status = "disabled"
        zhang.save()
        assert notify(app, zhang, "core.work_new", "停用的账号不再收到通知") is None
    assert Notification.select().count() == 0


def test_the_users_channel_choice_wins_over_the_default(app):
    zhang = add_user(app, "zhang")
    with write_transaction(app.db):
        NotificationPreference.create(user=zhang, kind="core.work_new", inbox=False, email=False)
        assert notify(app, zhang, "core.work_new", "关掉了") is None
        assert notify(app, zhang, "core.work_urge", "没关") is not None
    assert [n.kind for n in Notification.select()] == ["core.work_urge"]


def test_a_rolled_back_request_leaves_no_notification(app):
    zhang = add_user(app, "zhang")
    with pytest.raises(RuntimeError), write_transaction(app.db):
        notify(app, zhang, "core.work_new", "这条会回滚")
        raise RuntimeError("the caller's change failed")
    assert Notification.select().count() == 0


def _fill(app, user, count, kind="core.work_new"):
    with write_transaction(app.db):
        made = [notify(app, user, kind, f"通知{i}", url=f"/doc/{i}") for i in range(count)]
    return made


def test_bell_shows_the_unread_count_on_every_page(app, client, clock):
    zhang = add_user(app, "zhang")
    login(client, "zhang")
    page = client.get("/").text
    assert 'data-testid="notification-badge">0<' in page
    _fill(app, zhang, 3)
    page = client.get("/password").text
    assert 'data-testid="notification-badge">3<' in page and 'href="/notifications/"' in page


def test_unread_count_is_one_indexed_query(app):
    zhang = add_user(app, "zhang")
    _fill(app, zhang, 2)
    query = Notification.select().where((Notification.user == zhang) & Notification.read_at.is_null())
    sql, params = query.sql()
    if isinstance(app.db, SqliteDatabase):
        plan = " ".join(str(row) for row in app.db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "USING INDEX notification_user_id_read_at_created_at" in plan
    else:
        with app.db.atomic():
            app.db.execute_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(row) for row in app.db.execute_sql(f"EXPLAIN {sql}", params))
        assert "Index Scan using notification_user_id_read_at_created_at" in plan
    assert unread_count(zhang) == 2


def test_list_shows_unread_first_and_pages(app, client, clock):
    zhang = add_user(app, "zhang")
    notes = []
    for _i in range(25):
        notes += _fill(app, zhang, 1)
        clock.advance(minutes=1)
    with write_transaction(app.db):  # the newest is read: it goes after every unread one
        Notification.update(read_at=clock()).where(Notification.id == notes[-1].id).execute()
    login(client, "zhang")
    first = client.get("/notifications/").text
    assert "第 1 / 2 页" in first
    rows = first.split('data-notification="')[1:]
    assert rows[0].startswith(str(notes[-2].id)) and "未读" in rows[0]
    second = client.get("/notifications/?page=2").text
    assert f'data-notification="{notes[-1].id}"' in second and "已读" in second
    unread_only = client.get("/notifications/?unread=1").text
    assert f'data-notification="{notes[-1].id}"' not in unread_only and "只看未读（24）" in unread_only


def test_mark_one_all_and_open(app, client):
    zhang = add_user(app, "zhang")
    other = add_user(app, "other")
    first, second, _third = _fill(app, zhang, 3)
    (foreign,) = _fill(app, other, 1)
    token = login(client, "zhang")
    answer = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token, "page": "1"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/notifications/?page=1"
    assert Notification.get_by_id(first.id).read_at is not None and unread_count(zhang) == 2
    opened = client.post(f"/notifications/{second.id}/open", data={"csrf_token": token}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == second.url
    assert Notification.get_by_id(second.id).read_at is not None
    # someone else's notification is not there for me
    assert client.post(f"/notifications/{foreign.id}/read", data={"csrf_token": token}).status_code == 404
    assert Notification.get_by_id(foreign.id).read_at is None
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert unread_count(zhang) == 0 and unread_count(other) == 1
    # without the session's CSRF token nothing changes
    (fresh,) = _fill(app, zhang, 1)
    assert client.post(f"/notifications/{fresh.id}/read", data={}).status_code == 403
    assert unread_count(zhang) == 1


def test_json_api(app, client):
    zhang = add_user(app, "zhang")
    other = add_user(app, "other")
    notes = _fill(app, zhang, 3)
    (foreign,) = _fill(app, other, 1)
    token = login(client, "zhang")
    assert client.get("/api/v1/core/notifications/unread").json() == {"unread": 3}
    listing = client.get("/api/v1/core/notifications?per_page=2").json()
    assert listing["total"] == 3 and len(listing["items"]) == 2 and listing["items"][0]["read_at"] is None
    read = client.post(f"/api/v1/core/notifications/{notes[0].id}/read", headers={"X-CSRF-Token": token})
    assert read.status_code == 200 and read.json()["read_at"] is not None
    missing = client.post(f"/api/v1/core/notifications/{foreign.id}/read", headers={"X-CSRF-Token": token})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/core/notifications?unread=1").json()["total"] == 2
    assert client.post("/api/v1/core/notifications/read-all", headers={"X-CSRF-Token": token}).json() == {
        "marked": 2
    }
    assert client.get("/api/v1/core/notifications/unread").json() == {"unread": 0}


def test_preferences_page_saves_choices(app, client):
    zhang = add_user(app, "zhang")
    token = login(client, "zhang")
    page = client.get("/notifications/preferences").text
    assert "新的待办事项" in page and "本站没有配置邮件服务器" in page
    assert 'name="core.work_new:inbox" value="1" checked' in page
    form = {"csrf_token": token, "core.work_urge:inbox": "1"}  # every other inbox box left unticked
    assert client.post("/notifications/preferences", data=form).status_code == 200
    with write_transaction(app.db):
        assert notify(app, zhang, "core.work_new", "不再提醒") is None
        assert notify(app, zhang, "core.work_urge", "仍然提醒") is not None
    page = client.get("/notifications/preferences").text
    assert 'name="core.work_new:inbox" value="1">' in page and 'name="core.work_urge:inbox" value="1" checked' in page


def test_menu_has_the_centre(app, client):
    add_user(app, "zhang")
    login(client, "zhang")
    assert 'href="/notifications/"' in client.get("/").text


# ------------------------------------------------------------------------------- workflow notices

FLOWS = [
    Workflow("single", "单人审批", steps=(Step("lead", "负责人审批", unit_leader(), days=2),)),
    Workflow(
        "seq",
        "顺序会签",
        steps=(Step("sign", "顺序会签", users("jia", "yi"), mode="sequence"), Step("lead", "负责人", unit_leader())),
    ),
]


class FlowHooks:
    @hookimpl
    def register_workflows(self, app):
        return FLOWS


class DelegateHooks(FlowHooks):
    @hookimpl
    def workflow_assignee(self, app, user, plugin):
        from officium.core.identity.models import User

        return User.get(User.username == "deputy") if user.username == "leader" else None


def _people(app):
    office = add_unit(app, "BGS", "办公室")
    return {
        "writer": add_user(app, "writer", name="拟稿人", unit=office),
        "leader": add_user(app, "leader", name="主任", unit=office, roles=["leader"]),
        "jia": add_user(app, "jia", name="甲", unit=office),
        "yi": add_user(app, "yi", name="乙", unit=office),
        "deputy": add_user(app, "deputy", name="副主任", unit=office),
    }


def _start(app, people, key="flows.single", object_id=1):
    with write_transaction(app.db):
        return engine.start(
            app, key, object_type="doc", object_id=object_id, title="关于会议的请示", url=f"/flows/{object_id}",
            drafter=people["writer"],
        )


def _notes(user):
    return [(n.kind, n.title) for n in Notification.select().where(Notification.user == user).order_by(Notification.id)]


def test_a_new_work_item_tells_its_holder(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    people = _people(app)
    _start(app, people)
    ((kind, title),) = _notes(people["leader"])
    assert kind == "core.work_new" and title == "新的待办：《关于会议的请示》"
    note = Notification.get(Notification.user == people["leader"])
    assert note.url == "/flows/1" and "2026-03-04" in note.body  # due in two working days
    assert _notes(people["writer"]) == []


def test_a_delegate_is_told_on_behalf_of_the_principal(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", DelegateHooks())])
    people = _people(app)
    _start(app, people)
    assert _notes(people["leader"]) == []
    assert _notes(people["deputy"]) == [("core.work_new", "新的待办：《关于会议的请示》（代 主任）")]


def test_return_tells_the_drafter_with_the_reason_but_withdraw_does_not(site_factory, clock):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    people = _people(app)
    instance = _start(app, people)
    item = engine.my_open_item(instance, people["leader"])
    clock.advance(minutes=5)
    with write_transaction(app.db):
        engine.return_(app, item.id, people["leader"], "drafter", "请补充会议议程。")
    ((kind, title),) = _notes(people["writer"])
    assert kind == "core.work_returned" and title == "文件被退回：《关于会议的请示》"
    assert "请补充会议议程" in Notification.get(Notification.user == people["writer"]).body
    # the drafter resubmits, then takes the submission back: nobody is told about their own 撤回
    redo = engine.my_open_item(instance, people["writer"])
    clock.advance(minutes=5)
    with write_transaction(app.db):
        engine.approve(app, redo.id, people["writer"], "已补充。")
    clock.advance(minutes=5)
    with write_transaction(app.db):
        engine.withdraw(app, instance.id, people["writer"])
    assert len(_notes(people["writer"])) == 1


def test_sequential_signers_are_told_when_their_turn_comes_not_before(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    people = _people(app)
    _start(app, people, key="flows.seq")
    assert [k for k, _ in _notes(people["jia"])] == ["core.work_new"]
    assert _notes(people["yi"]) == []  # still waiting for 甲


def test_circulation_sends_a_reading_notice(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    people = _people(app)
    instance = _start(app, people)
    with write_transaction(app.db):
        engine.circulate(app, instance.id, people["writer"], [people["jia"]])
    assert _notes(people["jia"]) == [("core.work_read", "请阅：《关于会议的请示》")]


def test_urge_tells_the_current_handlers(site_factory):
    app = site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])
    people = _people(app)
    instance = _start(app, people)
    with write_transaction(app.db):
        holders = engine.urge(app, instance.id, people["writer"], "明天开会，请今天签批。")
        told = on_urge(app, instance, holders, "明天开会，请今天签批。", actor=people["writer"])
    assert told == 1
    urge = Notification.get((Notification.user == people["leader"]) & (Notification.kind == "core.work_urge"))
    assert urge.title == "催办：《关于会议的请示》" and "拟稿人 催您尽快办理：明天开会" in urge.body
