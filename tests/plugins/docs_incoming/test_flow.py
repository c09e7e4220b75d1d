"""The whole 批办件 flow through the web pages: 登记 → 初审 → 拟办 → 领导批示 → 分办 (主办 + 协办) → 承办 →
办结 → 答复 → 归档, and the 传阅 path of a 阅知件 with read tracking and recall."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.files import attachments_of
from officium.core.notifications import Notification
from officium.core.search import SearchQuery, search
from officium.core.search.models import SearchDoc
from officium.core.workflow import engine
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.docs_incoming import service
from officium.plugins.docs_incoming.models import Assignment, IncomingDocument
from officium.testing import app_client, login
from tests.plugins.docs_incoming.conftest import docx_bytes, form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@contextmanager
def signed_in(site, username):
    with app_client(site) as client:
        token = login(client, username)
        yield client, token


def item_of(document, username, kind="todo"):
    instance = Instance.get(Instance.object_id == str(document.id), Instance.plugin == "docs_incoming")
    return (
        WorkItem.select()
        .join_from(
            WorkItem, WorkItem.assignee.rel_model, on=(WorkItem.assignee == WorkItem.assignee.rel_model.id)
        )
        .where(
            (WorkItem.instance == instance)
            & (WorkItem.assignee.rel_model.username == username)
            & (WorkItem.kind == kind)
            & (WorkItem.state == "open")
        )
        .first()
    )


def post_ok(client, url, data):
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    return response


def test_the_whole_flow_through_the_pages(site, bureau):
    b = bureau
    # 登记 by the office's clerk, with the scanned original
    with signed_in(site, "wu") as (client, token):
        page = client.get("/docs_incoming/new")
        assert page.status_code == 200 and "收文登记" in page.text
        response = client.post(
            "/docs_incoming/new",
            data=form(
                token,
                title="关于开展进口冷链食品专项检查的通知",
                doc_number="署办函〔2026〕31号",
                urgency="urgent",
                limit_days="5",
            ),
            files=[("attachments", ("原件扫描.pdf", PDF, "application/pdf"))],
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:3000]
        document = IncomingDocument.get(IncomingDocument.doc_number == "署办函〔2026〕31号")
        assert response.headers["location"] == document.url
        assert re.fullmatch(r"收〔2026〕\d+号", document.number)
        assert document.status == "registered" and document.registered_by_id == b.wu.id
        assert document.due_date is not None
        [scan] = attachments_of("docs_incoming", "document", document.id)
        assert scan.filename == "原件扫描.pdf"
        # online preview of the PDF, and a download
        preview = client.get(f"/docs_incoming/{document.id}/files/{scan.id}?inline=1")
        assert preview.status_code == 200 and preview.headers["content-disposition"].startswith("inline")
        download = client.get(f"/docs_incoming/{document.id}/files/{scan.id}")
        assert download.headers["content-disposition"].startswith("attachment")
        # 初审: accept as a 批办件
        post_ok(
            client,
            f"/docs_incoming/{document.id}/review",
            {"csrf_token": token, "decision": "accept", "handling": "handle", "opinion": "符合要求。"},
        )
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "handling" and document.handling == "handle"

    # 拟办 by the office's director, who picks two leaders to instruct
    with signed_in(site, "liu") as (client, token):
        item = item_of(document, "liu")
        assert item is not None and item.step == "propose"
        post_ok(
            client,
            f"/workflow/items/{item.id}/approve",
            {
                "csrf_token": token,
                "opinion": "拟请人事处牵头办理，财务处配合。",
                "chosen": "chen,huang",
                "next": document.url,
            },
        )
    # 领导批示 by both leaders
    for username, text in (("chen", "请人事处牵头，抓紧落实。"), ("huang", "同意。")):
        with signed_in(site, username) as (client, token):
            item = item_of(document, username)
            assert item.step == "instruct"
            post_ok(
                client,
                f"/workflow/items/{item.id}/approve",
                {"csrf_token": token, "opinion": text, "next": document.url},
            )
    # the clerk is told that the leaders have instructed, and the instructions stand out on the page
    told = Notification.get((Notification.user == b.wu) & (Notification.kind == "docs_incoming.instructed"))
    assert "陈局长" in told.body and "黄副局长" in told.body and told.url == document.url
    with signed_in(site, "wu") as (client, token):
        page = client.get(document.url)
        assert page.status_code == 200
        block = page.text.split('data-testid="instructions"')[1].split("</section>")[0]
        assert "请人事处牵头，抓紧落实。" in block and "陈局长" in block and "黄副局长" in block
        assert 'data-testid="assign-form"' in page.text
        # 分办 without a 主办 unit is refused beside the field and changes nothing
        bad = client.post(f"/docs_incoming/{document.id}/assign", data={"csrf_token": token, "lead_unit": ""})
        assert bad.status_code == 400 and "请选择主办单位" in bad.text
        assert not Assignment.select().where(Assignment.document == document.id).exists()
        post_ok(
            client,
            f"/docs_incoming/{document.id}/assign",
            {
                "csrf_token": token,
                "lead_unit": str(b.rsc.id),
                "assist_units": [str(b.cwc.id)],
                "opinion": "请人事处主办，财务处协办。",
            },
        )
    roles = {a.unit_id: a.role for a in Assignment.select().where(Assignment.document == document.id)}
    assert roles == {b.rsc.id: "lead", b.cwc.id: "assist"}
    lead_item, assist_item = item_of(document, "zhou"), item_of(document, "li")
    assert lead_item.step == assist_item.step == "handle"
    # the document's 办理时限 bounds the 承办 deadlines (the core reminders use them)
    assert lead_item.due_at.date() == document.due_date

    # 协办: 财务处's clerk gives the unit's opinion with the generic 同意
    with signed_in(site, "li") as (client, token):
        page = client.get(document.url)
        assert 'data-testid="conclude-form"' not in page.text  # only the 主办 unit concludes
        # 主办 and 协办 work side by side: that is no 会签
        step = page.text.split('data-testid="wf-step">')[1].split("</dd>")[0]
        assert step == "承办（并行办理）"
        post_ok(
            client,
            f"/workflow/items/{assist_item.id}/approve",
            {"csrf_token": token, "opinion": "财务处已安排经费。", "next": document.url},
        )
    assert IncomingDocument.get_by_id(document.id).status == "handling"
    # 主办 办结 with the result
    with signed_in(site, "zhou") as (client, token):
        page = client.get(document.url)
        assert 'data-testid="conclude-form"' in page.text
        empty = client.post(
            f"/docs_incoming/{document.id}/conclude", data={"csrf_token": token, "result": " "}
        )
        assert empty.status_code == 400 and "请填写办理结果" in empty.text
        post_ok(
            client,
            f"/docs_incoming/{document.id}/conclude",
            {"csrf_token": token, "result": "已部署专项检查，检查情况已汇总上报。"},
        )
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "concluded" and document.result == "已部署专项检查，检查情况已汇总上报。"

    # 答复 and 归档 by the office's clerk
    with signed_in(site, "wu") as (client, token):
        post_ok(
            client,
            f"/docs_incoming/{document.id}/reply",
            {"csrf_token": token, "reply": "已电话答复海关总署办公厅。"},
        )
        post_ok(client, f"/docs_incoming/{document.id}/archive", {"csrf_token": token})
        sheet = client.get(f"/docs_incoming/{document.id}/print")
        assert sheet.status_code == 200
        for text in (
            "收文处理笺",
            document.number,
            "拟请人事处牵头办理",
            "请人事处牵头，抓紧落实。",
            "主办：人事处",
            "协办：财务处",
            "已部署专项检查",
            "已电话答复",
        ):
            assert text in sheet.text
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "archived" and document.reply == "已电话答复海关总署办公厅。"
    assert (
        Instance.get(Instance.object_id == str(document.id), Instance.plugin == "docs_incoming").state
        == "done"
    )

    # the search entry carries the instructions and the result (see also the search test below)
    entry = SearchDoc.get(
        SearchDoc.source == "docs_incoming.document", SearchDoc.record_id == str(document.id)
    )
    assert entry.from_unit == "海关总署办公厅" and document.number in entry.doc_number
    hits = search(site, b.wu, SearchQuery(text="已部署专项检查")).hits
    assert str(document.id) in [h.doc.record_id for h in hits]
    actions = {e.action for e in AuditEntry.select().where(AuditEntry.object_id == str(document.id))}
    assert {
        "docs_incoming.register",
        "docs_incoming.accept",
        "docs_incoming.assign",
        "docs_incoming.conclude",
        "docs_incoming.reply",
        "docs_incoming.archive",
    } <= actions


@pytest.mark.parametrize("username", ["ma", "qian"])
def test_people_without_a_part_in_it_get_404(site, bureau, username):
    document = IncomingDocument.select().order_by(IncomingDocument.id).first()
    with signed_in(site, username) as (client, _):
        assert client.get(document.url).status_code == 404
        assert client.get(f"/api/v1/docs_incoming/documents/{document.id}").status_code == 404
        listing = client.get("/docs_incoming/")
        assert listing.status_code == 200 and document.number not in listing.text


def test_the_office_sees_every_document_and_staff_only_theirs(site, bureau):
    with signed_in(site, "sun") as (client, _):
        assert (
            client.get("/api/v1/docs_incoming/documents").json()["total"] == IncomingDocument.select().count()
        )


def test_return_to_the_sending_unit_needs_a_reason(site, bureau):
    with signed_in(site, "wu") as (client, token):
        post_ok(client, "/docs_incoming/new", form(token, doc_number="鲁检函〔2026〕7号", from_unit="山东局"))
        document = IncomingDocument.get(IncomingDocument.doc_number == "鲁检函〔2026〕7号")
        bad = client.post(
            f"/docs_incoming/{document.id}/review",
            data={"csrf_token": token, "decision": "return", "reason": ""},
        )
        assert bad.status_code == 400 and "请填写退回理由" in bad.text
        assert IncomingDocument.get_by_id(document.id).status == "registered"
        post_ok(
            client,
            f"/docs_incoming/{document.id}/review",
            {"csrf_token": token, "decision": "return", "reason": "不属于本局管辖，请径送海关总署。"},
        )
        page = client.get(document.url)
        assert "不属于本局管辖" in page.text
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "returned" and document.return_reason == "不属于本局管辖，请径送海关总署。"
    assert AuditEntry.select().where(AuditEntry.action == "docs_incoming.return_to_sender").exists()


def test_circulation_with_read_tracking_and_recall(site, bureau):
    b = bureau
    with signed_in(site, "wu") as (client, token):
        post_ok(
            client,
            "/docs_incoming/new",
            form(
                token,
                doc_number="国办发〔2026〕5号",
                from_unit="国务院办公厅",
                doc_type="通报",
                title="关于2025年度政务公开工作情况的通报",
            ),
        )
        document = IncomingDocument.get(IncomingDocument.doc_number == "国办发〔2026〕5号")
        no_scope = client.post(
            f"/docs_incoming/{document.id}/review",
            data={"csrf_token": token, "decision": "accept", "handling": "read"},
        )
        assert no_scope.status_code == 400 and "请选择传阅" in no_scope.text
        post_ok(
            client,
            f"/docs_incoming/{document.id}/review",
            {
                "csrf_token": token,
                "decision": "accept",
                "handling": "read",
                "readers": "chen,huang",
                "reader_units": [str(b.cwc.id)],
            },
        )
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "circulating"
    readers = {
        r.assignee.username
        for r in WorkItem.select()
        .where(WorkItem.kind == "read")
        .join(Instance)
        .where(Instance.object_id == str(document.id), Instance.plugin == "docs_incoming")
    }
    assert readers == {"chen", "huang", "li", "zhao"}

    # 陈局长 reads it
    with signed_in(site, "chen") as (client, token):
        item = item_of(document, "chen", kind="read")
        post_ok(client, f"/workflow/items/{item.id}/read", {"csrf_token": token, "next": document.url})
    # the clerk sees who has read it, then recalls the rest
    with signed_in(site, "wu") as (client, token):
        page = client.get(document.url)
        rows = page.text.split('data-testid="readers"')[1].split("</table>")[0]
        assert re.search(r'data-reader="chen">.*?已阅', rows, re.S)
        assert re.search(r'data-reader="huang">.*?未阅', rows, re.S)
        post_ok(client, f"/docs_incoming/{document.id}/recall", {"csrf_token": token})
        again = client.post(f"/docs_incoming/{document.id}/recall", data={"csrf_token": token})
        assert again.status_code == 400 and "没有尚未阅读的传阅" in again.text
        page = client.get(document.url)
        rows = page.text.split('data-testid="readers"')[1].split("</table>")[0]
        assert re.search(r'data-reader="huang">.*?已收回', rows, re.S)
        assert re.search(r'data-reader="chen">.*?已阅', rows, re.S)
        # the 流转记录 names the recall in words, and the panel calls the clerk who registered it 登记人
        assert '<span class="wf-act">收回传阅</span>' in page.text
        assert "<dt>登记人</dt>" in page.text and "<dt>拟稿人</dt>" not in page.text
    # the recalled readers no longer have it waiting
    assert item_of(document, "huang", kind="read") is None
    with signed_in(site, "huang") as (client, _):
        todo = client.get("/api/v1/core/todo?box=unread").json()
        assert all(document.title not in str(i) for i in todo.get("items", []))
    # and the clerk archives it
    with signed_in(site, "wu") as (client, token):
        post_ok(client, f"/docs_incoming/{document.id}/archive", {"csrf_token": token})
    assert IncomingDocument.get_by_id(document.id).status == "archived"


def test_a_document_ended_by_the_workflow_administrator_is_closed(site, bureau):
    with signed_in(site, "wu") as (client, token):
        post_ok(client, "/docs_incoming/new", form(token, doc_number="终止〔2026〕1号"))
        document = IncomingDocument.get(IncomingDocument.doc_number == "终止〔2026〕1号")
        post_ok(
            client,
            f"/docs_incoming/{document.id}/review",
            {"csrf_token": token, "decision": "accept", "handling": "handle"},
        )
    instance = Instance.get(Instance.object_id == str(document.id), Instance.plugin == "docs_incoming")
    with write_transaction(site.db):
        engine.close(site, instance.id, bureau.sun, "重复来文，终止办理。")
    document = IncomingDocument.get_by_id(document.id)
    assert document.status == "closed" and document.status_title == "已终止"


def test_search_finds_instructions_and_attached_text_for_those_who_handled_it(site, bureau):
    document = IncomingDocument.get(IncomingDocument.doc_number == "署办函〔2026〕31号")

    def found(user, text):
        result = search(site, user, SearchQuery(text=text))
        return [h.doc.record_id for h in result.hits]

    assert str(document.id) in found(bureau.chen, "抓紧落实")  # a leader's instruction
    assert str(document.id) in found(bureau.li, "冷链食品")  # a 协办 unit's clerk
    assert str(document.id) in found(bureau.sun, "冷链食品")  # the office (docs_incoming.manage)
    assert str(document.id) not in found(bureau.ma, "冷链食品")
    assert str(document.id) not in found(bureau.qian, "冷链食品")


def test_search_finds_the_text_of_attached_files(site, bureau):
    with write_transaction(site.db):
        document = service.register(
            site,
            unit=bureau.bgs,
            actor=bureau.wu,
            data=form("", doc_number="附件〔2026〕1号", title="关于报送材料的函", doc_type="函"),
            uploads=[("材料.docx", docx_bytes("请于月底前报送进口肉类查验台账。"))],
        )
    hits = search(site, bureau.wu, SearchQuery(text="查验台账")).hits
    assert str(document.id) in [h.doc.record_id for h in hits]
