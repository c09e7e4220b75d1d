"""The 涉密 guard, attachment rules, and replies and forwards carrying attachments."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.files import Attachment
from officium.plugins.mail.models import Copy, Message


def counts():
    return Message.select().count(), Copy.select().count(), Attachment.select().count()


def refusals():
    return AuditEntry.select().where(AuditEntry.action == "mail.secrecy_refused").count()


def test_classified_subject_body_or_file_is_refused_and_nothing_stored(people):
    qian = people["qian"]
    before, audited = counts(), refusals()
    answer = qian.send(expect=422, to="wang", subject="机密★ 年度计划")
    assert answer["error"]["code"] == "secrecy_refused" and "涉密" in answer["error"]["message"]
    assert counts() == before and refusals() == audited + 1
    page = qian.post("/mail/compose", data={"to": "wang", "subject": "计划", "body": "密级：秘密"})
    assert page.status_code == 422 and "涉密" in page.text and 'id="f-body-error"' in page.text
    files = {"attachments": ("名单.txt", "人员名单 秘密★1年\n".encode(), "text/plain")}
    upload = qian.post("/mail/compose", data={"to": "wang", "subject": "名单"}, files=files)
    assert upload.status_code == 422 and 'id="f-attachments-error"' in upload.text
    draft = qian.post("/api/v1/mail/drafts", json={"subject": "绝密★ 草稿"})
    assert draft.status_code == 422  # not even kept as a draft
    assert counts() == before and refusals() == audited + 4
    # ordinary words are not marks
    qian.send(to="wang", subject="加强保密工作的通知", body="<p>注意保护商业秘密。</p>")


def test_attachment_size_type_and_count_limits(people):
    qian = people["qian"]
    before = counts()
    big = {"attachments": ("大文件.txt", b"a" * (1024 * 1024 + 1), "text/plain")}
    response = qian.post("/mail/compose", data={"to": "wang", "subject": "大附件"}, files=big)
    assert response.status_code == 400 and "不能超过 1 MB" in response.text
    exe = {"attachments": ("工具.exe", b"MZ\x90\x00", "application/octet-stream")}
    response = qian.post("/mail/compose", data={"to": "wang", "subject": "程序"}, files=exe)
    assert response.status_code == 400 and "不支持" in response.text
    fake = {"attachments": ("报告.pdf", b"this is not a pdf", "application/pdf")}
    response = qian.post("/mail/compose", data={"to": "wang", "subject": "假PDF"}, files=fake)
    assert response.status_code == 400 and "内容与扩展名不符" in response.text
    many = [("attachments", (f"{n}.txt", b"x", "text/plain")) for n in range(4)]
    response = qian.post("/mail/compose", data={"to": "wang", "subject": "太多"}, files=many)
    assert response.status_code == 400 and "最多 3 个附件" in response.text
    assert counts() == before


def test_reply_and_forward_carry_attachments(people):
    qian, wang, sun = people["qian"], people["wang"], people["sun"]
    files = [("attachments", ("值班表.txt", "周一 王芳\n".encode(), "text/plain"))]
    sent = qian.post("/mail/compose", data={"to": "wang", "cc": "liu", "subject": "值班表"}, files=files)
    assert sent.status_code == 303, sent.text
    copy = wang.find("值班表")
    original = wang.get(f"/api/v1/mail/messages/{copy['id']}").json()
    assert [a["filename"] for a in original["attachments"]] == ["值班表.txt"]
    download = wang.get(original["attachments"][0]["url"])
    assert download.status_code == 200 and download.content == "周一 王芳\n".encode()
    assert "attachment" in download.headers["content-disposition"]
    assert sun.get(original["attachments"][0]["url"]).status_code == 404
    # search by attachment name
    assert [m["subject"] for m in wang.inbox(q="值班表.txt")] == ["值班表"]
    # forward: the form offers the attachment checked; sending carries it (the same blob)
    form = wang.get(f"/mail/compose?forward={copy['id']}").text
    assert "转发：值班表" in form and 'name="carry"' in form and "checked" in form
    source_id = original["attachments"][0]["id"]
    forwarded = wang.post(
        "/mail/compose",
        data={
            "to": "sun",
            "subject": "转发：值班表",
            "origin": copy["id"],
            "origin_kind": "forward",
            "carry": source_id,
        },
    )
    assert forwarded.status_code == 303
    got = sun.get(f"/api/v1/mail/messages/{sun.find('转发：值班表')['id']}").json()
    assert [a["filename"] for a in got["attachments"]] == ["值班表.txt"]
    assert sun.get(got["attachments"][0]["url"]).content == "周一 王芳\n".encode()
    first, second = (Attachment.get_by_id(i) for i in (source_id, got["attachments"][0]["id"]))
    assert first.sha256 == second.sha256 and first.owner_id != second.owner_id
    # reply-all goes to the sender and the other recipients; the reply carries the file when asked to
    form = wang.get(f"/mail/compose?reply_all={copy['id']}").text
    assert "回复：值班表" in form and 'value="qian"' in form and 'value="liu"' in form
    reply = wang.post(
        "/api/v1/mail/messages",
        json={
            "to": "qian",
            "subject": "回复：值班表",
            "origin": copy["id"],
            "origin_kind": "reply",
            "carry": [source_id],
        },
    )
    assert reply.status_code == 201, reply.text
    assert [a["filename"] for a in reply.json()["attachments"]] == ["值班表.txt"]
    # somebody else's attachment ids cannot be carried
    stolen = sun.post(
        "/api/v1/mail/messages",
        json={"to": "sun", "subject": "偷附件", "origin": copy["id"], "carry": [source_id]},
    )
    assert stolen.status_code == 400


def test_deleting_for_the_recipient_keeps_the_senders_file(people):
    qian, wang = people["qian"], people["wang"]
    files = [("attachments", ("留存.txt", b"keep", "text/plain"))]
    qian.post("/mail/compose", data={"to": "wang", "subject": "留存附件"}, files=files)
    copy = wang.find("留存附件")
    wang.post(f"/api/v1/mail/messages/{copy['id']}/trash")
    wang.post(f"/api/v1/mail/messages/{copy['id']}/delete")
    mine = qian.find("留存附件", "sent")
    detail = qian.get(f"/api/v1/mail/messages/{mine['id']}").json()
    assert qian.get(detail["attachments"][0]["url"]).content == b"keep"
