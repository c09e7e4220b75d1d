"""Sending to people, a unit mailbox, a role; bcc stays hidden; the unit's clerk hands mail on."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.notifications import Notification
from officium.plugins.mail.models import Copy, Message


def test_send_to_a_unit_mailbox_and_a_role(site, people):
    qian = people["qian"]
    sent = qian.send(to="unit:BGS,role:leader@RSC", subject="请报送值班表")
    assert sent["state"] == "sent" and sent["kind"] == "from"
    message = Message.get(Message.subject == "请报送值班表")
    # stored once; one copy for the unit mailbox, one for 王芳 (the leader of 人事处), one for the sender
    copies = list(Copy.select().where(Copy.message == message))
    assert len(copies) == 3
    assert {(c.unit_id, c.user.username if c.user_id else None) for c in copies if c.kind != "from"} == {
        (site.bgs.id, None),
        (None, "wang"),
    }
    assert people["wang"].find("请报送值班表") is not None
    # the 办公室's clerk reads the unit mailbox; its other people do not see it
    unit_box = f"unit{site.bgs.id}"
    assert [m["subject"] for m in people["zhou"].inbox(unit_box)] == ["请报送值班表"]
    assert people["zhou"].find("请报送值班表") is None  # not in her personal inbox
    assert people["wu"].find("请报送值班表") is None
    assert people["wu"].get("/api/v1/mail/messages", params={"box": unit_box}).status_code == 400
    assert people["wu"].get(f"/mail/?box={unit_box}").status_code == 404
    # the clerk was notified, and the sending was audited
    assert Notification.select().where(Notification.title.contains("部门邮箱新邮件")).count() == 1
    assert (
        AuditEntry.select()
        .where((AuditEntry.action == "mail.send") & (AuditEntry.object_id == str(message.id)))
        .exists()
    )


def test_whole_unit_and_role_everywhere(site, people):
    people["wu"].send(to="members:RSC", cc="role:leader", subject="全处通知")
    for name in ("wang", "qian", "sun", "liu"):
        assert people[name].find("全处通知") is not None, name
    assert people["wu"].find("全处通知") is None  # the sender is left out of the role
    assert people["zhou"].find("全处通知") is None


def test_the_clerk_hands_unit_mail_on_inside_the_unit(site, people):
    people["sun"].send(to="unit:BGS", subject="部门邮箱分发测试")
    zhou = people["zhou"]
    copy = zhou.find("部门邮箱分发测试", f"unit{site.bgs.id}")
    refused = zhou.post(f"/api/v1/mail/messages/{copy['id']}/distribute", json={"people": ["qian"]})
    assert refused.status_code == 400 and "办公室" in refused.json()["error"]["message"]
    page = zhou.post(f"/mail/{copy['id']}/distribute", data={"people": "wu"})
    assert page.status_code == 303
    got = people["wu"].find("部门邮箱分发测试")
    assert got is not None
    detail = people["wu"].get(f"/api/v1/mail/messages/{got['id']}").json()
    assert detail["via"] == {"unit": "办公室", "by": "周静"}
    # still one message; the sender sees who it went through
    assert Message.select().where(Message.subject == "部门邮箱分发测试").count() == 1
    mine = people["sun"].find("部门邮箱分发测试", "sent")
    tracking = people["sun"].get(f"/api/v1/mail/messages/{mine['id']}").json()["tracking"]
    assert any(row["username"] == "wu" and "办公室" in row["via"] for row in tracking)
    # someone who is not the unit's clerk cannot hand it on
    assert (
        people["liu"]
        .post(f"/api/v1/mail/messages/{copy['id']}/distribute", json={"people": ["wu"]})
        .status_code
        == 404
    )


def test_bcc_is_invisible_to_the_other_recipients(site, people):
    people["qian"].send(to="wang", cc="sun", bcc="wu", subject="范围测试")
    for name in ("wang", "sun", "wu"):
        person = people[name]
        copy = person.find("范围测试")
        detail = person.get(f"/api/v1/mail/messages/{copy['id']}").json()
        assert "bcc" not in detail and "tracking" not in detail, name
        shown = [r["label"] for r in detail["to"] + detail["cc"]]
        assert not any("吴敏" in label for label in shown), name
        page = person.get(f"/mail/{copy['id']}").text
        head = page.split('<dl class="mail-head">', 1)[1].split("</dl>", 1)[0]
        assert "<dt>密送</dt>" not in head and "吴敏" not in head, name
    sender = people["qian"].find("范围测试", "sent")
    detail = people["qian"].get(f"/api/v1/mail/messages/{sender['id']}").json()
    assert [r["token"] for r in detail["bcc"]] == ["wu"]
    assert "<dt>密送</dt>" in people["qian"].get(f"/mail/{sender['id']}").text
    assert {row["username"]: row["kind"] for row in detail["tracking"]} == {
        "wang": "to",
        "sun": "cc",
        "wu": "bcc",
    }


def test_external_addresses_are_refused(people):
    answer = people["qian"].send(expect=400, to="friend@example.com", subject="外部")
    assert "外部地址" in answer["error"]["fields"]["to"]
    assert not Message.select().where(Message.subject == "外部").exists()


def test_unknown_recipients_and_a_missing_subject(people):
    answer = people["qian"].send(expect=400, to="nobody", subject="")
    assert answer["error"]["fields"]["to"] == "找不到人员“nobody”（用户名）。"
    assert answer["error"]["fields"]["subject"] == "请填写主题。"


def test_unread_badge_and_marking(site, people):
    wang = people["wang"]
    before = wang.get("/api/v1/mail/unread").json()["unread"]
    people["sun"].send(to="wang", subject="未读计数")
    assert wang.get("/api/v1/mail/unread").json()["unread"] == before + 1
    assert "未读邮件" in wang.get("/").text
    copy = wang.find("未读计数")
    wang.get(f"/mail/{copy['id']}")
    assert wang.find("未读计数")["read"] is True
    assert wang.post(f"/api/v1/mail/messages/{copy['id']}/unread").status_code == 200
    assert wang.find("未读计数")["read"] is False
    bulk = wang.post("/api/v1/mail/bulk", json={"ids": [copy["id"]], "action": "read"})
    assert bulk.status_code == 200 and wang.find("未读计数")["read"] is True
    # marking read and unread is not audited (reading is not)
    assert (
        not AuditEntry.select()
        .where(AuditEntry.action.in_(["mail.unread", "mail.bulk", "mail.read"]))
        .exists()
    )


def test_pages_render_for_the_unit_clerk(site, people):
    people["liu"].send(to="unit:BGS", subject="页面测试", importance="high", read_receipt=True)
    zhou = people["zhou"]
    unit_page = zhou.get(f"/mail/?box=unit{site.bgs.id}")
    assert (
        unit_page.status_code == 200 and "办公室部门邮箱" in unit_page.text and "页面测试" in unit_page.text
    )
    copy = zhou.find("页面测试", f"unit{site.bgs.id}")
    shown = zhou.get(f"/mail/{copy['id']}").text
    assert "分发给本单位人员" in shown and "吴敏" in shown and "重要" in shown
    # opening it signs for the unit: the sender asked for a receipt
    receipts = Notification.select().where(
        (Notification.kind == "mail.receipt") & Notification.title.contains("页面测试")
    )
    assert receipts.count() == 1 and "办公室部门邮箱" in receipts.get().title
    compose = zhou.get("/mail/compose?to=liu")
    assert compose.status_code == 200 and 'data-autosave="/api/v1/mail/drafts"' in compose.text
    assert 'data-source="/api/v1/mail/recipients"' in compose.text
    assert zhou.get("/mail/manage").status_code == 200
    sent_page = people["liu"].get("/mail/?box=sent").text
    assert "办公室（部门邮箱）" in sent_page and "unit:BGS" not in sent_page
    found = zhou.get("/api/v1/mail/recipients", params={"q": "办公室"}).json()["items"]
    assert {"unit:BGS", "members:BGS"} <= {i["username"] for i in found}
    leaders = zhou.get("/api/v1/mail/recipients", params={"q": "负责人"}).json()["items"]
    assert "role:leader" in {i["username"] for i in leaders}
