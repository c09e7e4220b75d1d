"""The body is sanitised when it is saved through the publish form (a few cases; the sanitiser's own corpus
is tested in the core), and attachments are served only to those who may see the announcement."""

from __future__ import annotations

import pytest

from officium.core.files import Attachment
from officium.plugins.bulletin.models import Announcement
from tests.plugins.bulletin.conftest import api, make_column

XSS = [
    ('<p>通知</p><script>alert("x")</script>', "<script"),
    ('<img src="x.png" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">点击</a>', "javascript:"),
    ('<p style="background:url(javascript:alert(1))">样式</p>', "style="),
    ('<iframe src="https://evil.example/"></iframe><p>正文</p>', "<iframe"),
    ("<svg><script>alert(1)</script></svg><p>正文</p>", "<svg"),
]


@pytest.fixture(scope="module")
def column(bureau):
    from officium.testing import app_client, login

    with app_client(bureau.app) as office:
        office.csrf = login(office, "wu")
        made = make_column(office, "内容栏目", readers={"units": ["RSC", "CWC"]})
        office.portal.call(bureau.app.db.close)
        return made


@pytest.mark.parametrize(("payload", "forbidden"), XSS)
def test_the_publish_form_sanitises_the_body(bureau, people, column, payload, forbidden):
    zhou = people("zhou")
    title = f"XSS {forbidden}"
    response = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": title,
            "body": payload + "<p>正文</p>",
            "importance": "normal",
            "scope_mode": "column",
            "action": "submit",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    stored = Announcement.get(Announcement.title == title)
    assert forbidden not in stored.body.lower()
    page = people("qian").get(f"/bulletin/{stored.id}").text
    body = page.split('data-testid="body">', 1)[1].split("</div>", 1)[0]
    assert forbidden not in body.lower()
    assert "正文" in body


def test_word_paste_keeps_structure_and_drops_junk(bureau, people, column):
    zhou = people("zhou")
    pasted = (
        '<p class="MsoNormal"><b>一、</b>工作要求<o:p></o:p></p>'
        "<table><tr><td>单位</td><td>人数</td></tr></table>"
        '<ul><li><a href="https://www.example.gov.cn/">链接</a></li></ul>'
    )
    body = api(
        zhou,
        "POST",
        "/announcements",
        json={"column": column, "title": "Word 粘贴", "body": pasted, "submit": True},
    ).json()["body"]
    assert "<table>" in body and "<li>" in body and "<b>" in body
    assert "Mso" not in body and "o:p" not in body
    assert 'rel="noopener noreferrer"' in body


def test_an_empty_body_after_cleaning_is_refused(bureau, people, column):
    zhou = people("zhou")
    response = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": "只有脚本",
            "body": "<script>alert(1)</script>",
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert "请填写正文" in response.text
    assert not Announcement.select().where(Announcement.title == "只有脚本").exists()


def test_attachments_are_served_to_readers_only(bureau, people, column):
    zhou = people("zhou")
    response = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": "带附件的通知",
            "body": "<p>见附件。</p>",
            "action": "submit",
        },
        files=[("files", ("报名表.txt", "姓名,单位\n".encode(), "text/plain"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    announcement_id = int(response.headers["location"].rsplit("/", 1)[1])
    attachment = Attachment.get(
        (Attachment.plugin == "bulletin") & (Attachment.owner_id == str(announcement_id))
    )
    url = f"/bulletin/{announcement_id}/files/{attachment.id}"

    reader = people("sun")
    assert url in reader.get(f"/bulletin/{announcement_id}").text
    download = reader.get(url)
    assert download.status_code == 200
    assert download.content == "姓名,单位\n".encode()
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"

    by_api = api(reader, "GET", f"/announcements/{announcement_id}/files/{attachment.id}")
    assert by_api.status_code == 200 and by_api.content == download.content

    outsider = people("liu")  # 办公室: not a reader of this column
    assert outsider.get(url).status_code == 404
    assert api(outsider, "GET", f"/announcements/{announcement_id}/files/{attachment.id}").status_code == 404
    # an attachment id under another announcement's path is not found either
    other = api(
        zhou,
        "POST",
        "/announcements",
        json={"column": column, "title": "别的公告", "body": "<p>x</p>", "submit": True},
    )
    assert reader.get(f"/bulletin/{other.json()['id']}/files/{attachment.id}").status_code == 404


def test_a_refused_file_stores_nothing(bureau, people, column):
    zhou = people("zhou")
    response = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": "伪装的附件",
            "body": "<p>x</p>",
            "action": "save",
        },
        files=[("files", ("setup.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))],
    )
    assert response.status_code == 400
    assert "setup.pdf" in response.text
    assert not Announcement.select().where(Announcement.title == "伪装的附件").exists()


def test_attachments_through_the_api(bureau, people, column):
    zhou = people("zhou")
    created = api(
        zhou, "POST", "/announcements", json={"column": column, "title": "API 附件", "body": "<p>x</p>"}
    ).json()
    uploaded = api(
        zhou,
        "POST",
        f"/announcements/{created['id']}/files",
        files=[("files", ("说明.txt", b"hello", "text/plain"))],
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()[0]["id"]
    assert (
        api(people("qian"), "POST", f"/announcements/{created['id']}/files/{file_id}/delete").status_code
        == 404
    )
    assert api(zhou, "POST", f"/announcements/{created['id']}/files/{file_id}/delete").status_code == 200
    assert api(zhou, "GET", f"/announcements/{created['id']}").json()["attachments"] == []


def test_classified_material_is_refused(bureau, people, column):
    from officium.core.audit import AuditEntry

    zhou = people("zhou")
    page = zhou.post(
        "/bulletin/new",
        data={
            "csrf_token": zhou.csrf,
            "column": str(column),
            "title": "机密★10年 关于某事项的通报",
            "body": "<p>正文</p>",
            "action": "submit",
        },
    )
    assert page.status_code == 422
    assert "密级标志" in page.text
    by_api = api(
        zhou, "POST", "/announcements", json={"column": column, "title": "通报", "body": "<p>密级：秘密</p>"}
    )
    assert by_api.status_code == 422
    assert by_api.json()["error"]["code"] == "secrecy_refused"
    with_file = zhou.post(
        "/bulletin/new",
        data={"csrf_token": zhou.csrf, "column": str(column), "title": "附件通报", "body": "<p>见附件</p>"},
        files=[("files", ("通报.txt", "秘密★1年\n内容".encode(), "text/plain"))],
    )
    assert with_file.status_code == 422
    assert not Announcement.select().where(Announcement.title.contains("通报")).exists()
    assert AuditEntry.select().where(AuditEntry.action == "bulletin.secrecy_refused").count() == 3
