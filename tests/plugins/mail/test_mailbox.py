"""Recall, other people's ids, trash and restore, search, drafts, folders and labels."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.plugins.mail.models import Copy, Message


def test_recall_before_and_after_reading(people):
    qian = people["qian"]
    qian.send(to="wang,sun", subject="撤回测试")
    wang_copy = people["wang"].find("撤回测试")
    sun_copy = people["sun"].find("撤回测试")
    assert people["wang"].get(f"/api/v1/mail/messages/{wang_copy['id']}").status_code == 200  # 王芳 reads it
    mine = qian.find("撤回测试", "sent")
    answer = qian.post(f"/api/v1/mail/messages/{mine['id']}/recall")
    assert answer.status_code == 200, answer.text
    assert answer.json()["recalled"] == ["孙丽"] and answer.json()["already_read"] == ["王芳"]
    # 孙丽 no longer has it, not even by id; 王芳 keeps what she read
    assert people["sun"].find("撤回测试") is None
    assert people["sun"].get(f"/api/v1/mail/messages/{sun_copy['id']}").status_code == 404
    assert people["sun"].get(f"/mail/{sun_copy['id']}").status_code == 404
    assert people["wang"].find("撤回测试") is not None
    # the sender sees the result; a second recall has nothing left to take back
    tracking = {r["username"]: r for r in qian.get(f"/api/v1/mail/messages/{mine['id']}").json()["tracking"]}
    assert (
        tracking["sun"]["recalled_at"] and tracking["wang"]["read_at"] and not tracking["wang"]["recalled_at"]
    )
    again = qian.post(f"/api/v1/mail/messages/{mine['id']}/recall")
    assert again.status_code == 400 and "已阅读" in again.json()["error"]["message"]
    entry = (
        AuditEntry.select().where(AuditEntry.action == "mail.recall").order_by(AuditEntry.id.desc()).first()
    )
    assert entry is not None and "撤回测试" in entry.summary
    # only the sender may recall
    assert people["wang"].post(f"/api/v1/mail/messages/{wang_copy['id']}/recall").status_code == 400


def test_recall_through_the_page_after_everyone_read(people):
    people["sun"].send(to="qian", subject="都读了")
    mine = people["sun"].find("都读了", "sent")
    assert f"/mail/{mine['id']}/recall" in people["sun"].get(f"/mail/{mine['id']}").text
    copy = people["qian"].find("都读了")
    people["qian"].get(f"/mail/{copy['id']}")
    page = people["sun"].get(f"/mail/{mine['id']}").text
    assert "/recall" not in page  # no 撤回 button once everyone has read it
    response = people["sun"].post(f"/mail/{mine['id']}/recall", data={})
    assert response.status_code == 303
    assert people["qian"].find("都读了") is not None


def test_another_users_message_ids_are_refused(people):
    people["qian"].send(to="wang", subject="私人范围")
    theirs = people["wang"].find("私人范围")
    sun = people["sun"]
    for url in (f"/api/v1/mail/messages/{theirs['id']}", f"/mail/{theirs['id']}"):
        assert sun.get(url).status_code == 404, url
    for verb in ("read", "trash", "delete", "recall", "unread"):
        assert sun.post(f"/api/v1/mail/messages/{theirs['id']}/{verb}").status_code == 404, verb
    assert sun.post(f"/mail/{theirs['id']}/trash", data={}).status_code == 404
    assert sun.post("/api/v1/mail/bulk", json={"ids": [theirs["id"]], "action": "trash"}).status_code == 404
    assert people["wang"].find("私人范围")["folder"] == "inbox"


def test_trash_and_restore_for_one_never_touches_the_others(people):
    people["qian"].send(to="wang,sun", subject="删除测试")
    wang = people["wang"]
    copy = wang.find("删除测试")
    assert wang.post(f"/mail/{copy['id']}/trash", data={}).status_code == 303
    assert wang.find("删除测试") is None and wang.find("删除测试", "trash") is not None
    assert people["sun"].find("删除测试") is not None
    assert people["qian"].find("删除测试", "sent") is not None
    assert wang.post(f"/api/v1/mail/messages/{copy['id']}/restore").status_code == 200
    assert wang.find("删除测试") is not None
    # deleting for good only from the trash, and only for oneself
    assert wang.post(f"/api/v1/mail/messages/{copy['id']}/delete").status_code == 400
    wang.post(f"/api/v1/mail/messages/{copy['id']}/trash")
    assert wang.post(f"/api/v1/mail/messages/{copy['id']}/delete").status_code == 200
    assert wang.get(f"/api/v1/mail/messages/{copy['id']}").status_code == 404
    assert people["sun"].find("删除测试") is not None
    assert Message.select().where(Message.subject == "删除测试").count() == 1


def test_search_in_chinese(people, site):
    sun = people["sun"]
    people["liu"].send(to="sun", subject="关于防汛值班安排的通知", body="<p>请各处室于周五前报送名单。</p>")
    people["wu"].send(to="sun", subject="会议纪要", body="<p>讨论了年度预算。</p>")

    def subjects(**params):
        return {m["subject"] for m in sun.inbox(**params)}

    assert subjects(q="防汛") == {"关于防汛值班安排的通知"}
    assert subjects(q="报送名单") == {"关于防汛值班安排的通知"}  # in the body
    assert "会议纪要" in subjects(q="吴敏")  # the sender's name
    assert "关于防汛值班安排的通知" in subjects(sender="刘强")
    assert subjects(q="不存在的词") == set()
    today = site.clock().date().isoformat()
    assert "会议纪要" in subjects(q="纪要", **{"from": today, "to": today})
    assert subjects(q="纪要", **{"from": "2030-01-01"}) == set()
    bad = sun.get("/api/v1/mail/messages", params={"from": "2026-13-01"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["from"]
    page = sun.get("/mail/", params={"q": "防汛"}).text
    assert "关于防汛值班安排的通知" in page and "会议纪要" not in page


def test_drafts_are_saved_updated_and_sent(people):
    wu = people["wu"]
    first = wu.post("/api/v1/mail/drafts", json={"to": "liu", "subject": "草稿一", "body": "<p>未完</p>"})
    assert first.status_code == 201, first.text
    draft_id = first.json()["id"]
    again = wu.post("/api/v1/mail/drafts", json={"draft": draft_id, "to": "liu,zhou", "subject": "草稿二"})
    assert again.status_code == 200 and again.json()["id"] == draft_id
    assert [m["subject"] for m in wu.inbox("drafts")] == ["草稿二"]
    # a draft may hold a recipient still being typed; sending it checks the recipients
    half = wu.post("/api/v1/mail/drafts", json={"draft": draft_id, "to": "liu,zho", "subject": "草稿二"})
    assert half.status_code == 200
    refused = wu.post("/api/v1/mail/messages", json={"draft": draft_id, "to": "liu,zho", "subject": "草稿二"})
    assert refused.status_code == 400 and "zho" in refused.json()["error"]["fields"]["to"]
    assert [m["subject"] for m in wu.inbox("drafts")] == ["草稿二"]
    assert people["liu"].find("草稿二") is None  # a draft reaches nobody
    form = wu.get(f"/mail/compose?draft={draft_id}").text
    assert "草稿二" in form and "liu,zho" in form
    # the page's 存草稿 and then 发送
    saved = wu.post(
        "/mail/compose", data={"draft": draft_id, "to": "liu", "subject": "草稿三", "action": "save"}
    )
    assert saved.status_code == 303 and f"draft={draft_id}" in saved.headers["location"]
    sent = wu.post(
        "/mail/compose", data={"draft": draft_id, "to": "liu", "subject": "草稿三", "body": "定稿"}
    )
    assert sent.status_code == 303
    assert wu.inbox("drafts") == []
    assert wu.find("草稿三", "sent") is not None and people["liu"].find("草稿三") is not None
    # a sent draft cannot be edited again, and nobody else's draft can be used
    assert wu.post("/api/v1/mail/drafts", json={"draft": draft_id, "subject": "x"}).status_code == 400
    assert people["liu"].get(f"/mail/compose?draft={draft_id}").status_code == 404


def test_folders_and_labels(people):
    zhou = people["zhou"]
    folder = zhou.post("/api/v1/mail/folders", json={"name": "值班"}).json()
    label = zhou.post("/api/v1/mail/labels", json={"name": "待办"}).json()
    assert zhou.post("/api/v1/mail/folders", json={"name": "值班"}).status_code == 400
    people["liu"].send(to="zhou", subject="放进文件夹")
    copy = zhou.find("放进文件夹")
    assert (
        zhou.post(f"/api/v1/mail/messages/{copy['id']}/move", json={"folder": folder["box"]}).status_code
        == 200
    )
    assert zhou.find("放进文件夹") is None and zhou.find("放进文件夹", folder["box"]) is not None
    zhou.post(f"/api/v1/mail/messages/{copy['id']}/label", json={"label": label["id"], "on": True})
    assert [m["subject"] for m in zhou.inbox(folder["box"], label=label["id"])] == ["放进文件夹"]
    assert zhou.get(f"/api/v1/mail/messages/{copy['id']}").json()["labels"] == ["待办"]
    # another person's folder and label are not theirs to use
    assert people["wu"].get("/api/v1/mail/messages", params={"box": folder["box"]}).status_code == 400
    assert people["wu"].post(f"/api/v1/mail/folders/{folder['id']}/delete").status_code == 404
    # deleting the folder brings its mail back to the inbox
    assert zhou.post(f"/mail/manage/folders/{folder['id']}/delete", data={}).status_code == 303
    assert zhou.find("放进文件夹") is not None
    assert "待办" in zhou.get("/mail/manage").text


def test_a_personal_group_is_expanded_into_people(people):
    liu = people["liu"]
    group = liu.post("/api/v1/mail/groups", json={"name": "值班组", "members": ["wang", "sun"]})
    assert group.status_code == 201, group.text
    liu.send(to=f"group:{group.json()['id']}", subject="通讯组测试")
    assert people["wang"].find("通讯组测试") and people["sun"].find("通讯组测试")
    message = Message.get(Message.subject == "通讯组测试")
    assert message.to_tokens == "wang,sun"  # recipients never see the sender's private group
    assert people["wu"].send(expect=400, to=f"group:{group.json()['id']}", subject="别人的组")["error"][
        "fields"
    ]["to"]
    assert Copy.select().join(Message).where(Message.subject == "通讯组测试").count() == 3


def test_the_unit_mailbox_has_its_own_trash(site, people):
    people["wang"].send(to="unit:BGS", subject="部门邮箱删除")
    zhou = people["zhou"]
    copy = zhou.find("部门邮箱删除", f"unit{site.bgs.id}")
    assert zhou.post(f"/api/v1/mail/messages/{copy['id']}/trash").status_code == 200
    assert zhou.find("部门邮箱删除", f"unit{site.bgs.id}") is None
    assert zhou.find("部门邮箱删除", f"unit{site.bgs.id}-trash") is not None
    assert "办公室 · 已删除" in zhou.get("/mail/").text
    assert people["wu"].get(f"/mail/?box=unit{site.bgs.id}-trash").status_code == 404
    assert zhou.post(f"/mail/{copy['id']}/restore", data={}).status_code == 303
    assert zhou.find("部门邮箱删除", f"unit{site.bgs.id}") is not None
